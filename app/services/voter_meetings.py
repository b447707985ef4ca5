"""Voter meetings (tiếp xúc cử tri, Quy chế 2387 Art 9.2, 15.3): the meeting, the deputies and
the People's Council or Fatherland Front organising it, and the petitions raised there — each
a case with channel `voter_meeting` — tracked to their answers.

A meeting is visible when its unit or its organiser's unit is in the caller's jurisdiction. The
organiser's desk officers and supervisors (the Council's and the Front's own staff) record it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import Forbidden, field_error, unknown_reference
from app.models.base import as_utc, utcnow
from app.models.cases import Case, Channel
from app.models.dialogues import (
    MeetingCase,
    MeetingCountsPublic,
    VoterMeeting,
    VoterMeetingCase,
    VoterMeetingCreate,
    VoterMeetingPublic,
    VoterMeetingUpdate,
)
from app.models.reference import Organization, OrgKind
from app.security import Principal
from app.services import audit
from app.services.linked_cases import (
    case_is_overdue,
    cases_by_id,
    check_version,
    linked_ids,
    org_by_code,
    orgs_by_id,
    unit_by_code,
    visible_cases,
    visible_row,
)
from app.services.reference import org_path
from app.workflows.lifecycle import OPEN_STATUSES, Kind, Status
from app.workflows.roles import Role

ORGANISERS = frozenset({OrgKind.people_council.value, OrgKind.fatherland_front.value})
RECORDERS = frozenset({Role.reception, Role.supervisor})
# A petition is answered once a decision or written answer has been issued.
ANSWERED = frozenset({Status.decided.value, Status.closed.value, Status.appealed.value})
AWAITING = frozenset(s.value for s in OPEN_STATUSES) - ANSWERED


def visible_clause(principal: Principal):
    prefix = principal.jurisdiction_path
    return or_(
        col(VoterMeeting.unit_path).startswith(prefix, autoescape=True),
        col(VoterMeeting.organised_path).startswith(prefix, autoescape=True),
    )


def _require_recorder(principal: Principal) -> None:
    if principal.role not in RECORDERS:
        raise Forbidden(
            f"Role '{principal.role.value}' may not record voter meetings; allowed: reception, "
            "supervisor (of the organising People's Council or Fatherland Front)."
        )


async def _meeting_cases(session: AsyncSession, principal: Principal, ids: Sequence[int], held_on: date) -> list[Case]:
    cases = await visible_cases(session, principal, ids, "body.case_ids")
    for i, c in enumerate(cases):
        if c.channel != Channel.voter_meeting:
            raise field_error(
                f"body.case_ids.{i}", f"case {c.id} did not come from a voter meeting (channel {c.channel})"
            )
        if c.received_on < held_on:
            raise field_error(f"body.case_ids.{i}", f"case {c.id} was received before the meeting")
    return cases


async def create(session: AsyncSession, principal: Principal, data: VoterMeetingCreate, today: date) -> VoterMeeting:
    _require_recorder(principal)
    org = principal.org
    if data.organised_by is not None and data.organised_by != org.code:
        await org_by_code(session, data.organised_by, "body.organised_by")
        raise Forbidden("You record the meetings your own organisation organises.")
    if org.kind not in ORGANISERS:
        raise field_error(
            "body.organised_by",
            f"a voter meeting is organised by a People's Council or a Fatherland Front; {org.code} is neither",
        )
    if data.held_on > today:
        raise field_error("body.held_on", f"is in the future (today is {today.isoformat()} in Hanoi)")
    unit = await unit_by_code(session, data.unit_code, "body.unit_code")
    if not principal.covers(unit.path):
        raise unknown_reference("body.unit_code", f"unit {unit.code} is outside your jurisdiction")
    cases = await _meeting_cases(session, principal, data.case_ids, data.held_on)
    m = VoterMeeting(
        held_on=data.held_on,
        unit_code=unit.code,
        unit_path=unit.path,
        organised_by_id=org.id,
        organised_path=await org_path(session, org),
        location=data.location,
        deputies=data.deputies,
        voters=data.voters,
        summary=data.summary,
        created_by_id=principal.user.id,
    )
    session.add(m)
    await session.flush()
    for c in cases:
        session.add(VoterMeetingCase(meeting_id=m.id, case_id=c.id))
    ids = [c.id for c in cases]
    await audit.record(
        session,
        actor=principal,
        action="voter_meeting.create",
        entity="voter_meeting",
        entity_id=m.id,
        case_id=ids[0] if len(ids) == 1 else None,
        changes={
            "held_on": m.held_on,
            "unit_code": m.unit_code,
            "organised_by": org.code,
            "deputies": m.deputies,
            "voters": m.voters,
            "case_ids": ids,
        },
    )
    return m


async def get_visible(
    session: AsyncSession, principal: Principal, meeting_id: int, *, for_update: bool = False
) -> VoterMeeting:
    return await visible_row(
        session,
        VoterMeeting,
        col(VoterMeeting.id),
        meeting_id,
        visible_clause(principal),
        f"No voter meeting {meeting_id}.",
        for_update=for_update,
    )


async def _linked_ids(session: AsyncSession, meeting_id: int) -> list[int]:
    return await linked_ids(session, col(VoterMeetingCase.case_id), col(VoterMeetingCase.meeting_id), meeting_id)


async def update(
    session: AsyncSession, principal: Principal, m: VoterMeeting, data: VoterMeetingUpdate, if_match: str | None
) -> VoterMeeting:
    """The organiser adds the petitions logged from the meeting and its summary of the answers."""
    _require_recorder(principal)
    if principal.org.id != m.organised_by_id:
        raise Forbidden("Only the organising organisation may change its voter meeting.")
    check_version(m, if_match, "voter meeting")
    patch = data.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    for name in ("deputies", "voters", "location", "summary"):
        if name in patch:
            if patch[name] is None and name in ("deputies", "voters"):
                raise field_error(f"body.{name}", "may not be null")
            if getattr(m, name) != patch[name]:
                changes[name] = {"from": getattr(m, name), "to": patch[name]} if name != "summary" else "changed"
                setattr(m, name, patch[name])
    if "case_ids" in patch:
        if patch["case_ids"] is None:
            raise field_error("body.case_ids", "may not be null")
        before = await _linked_ids(session, m.id)
        cases = await _meeting_cases(session, principal, patch["case_ids"], m.held_on)
        after = sorted(c.id for c in cases)
        if after != before:
            await session.execute(delete(VoterMeetingCase).where(col(VoterMeetingCase.meeting_id) == m.id))
            for c in cases:
                session.add(VoterMeetingCase(meeting_id=m.id, case_id=c.id))
            changes["case_ids"] = {"from": before, "to": after}
    if not changes:
        return m
    m.version += 1
    m.updated_at = utcnow()
    await session.flush()
    ids = await _linked_ids(session, m.id)
    await audit.record(
        session,
        actor=principal,
        action="voter_meeting.update",
        entity="voter_meeting",
        entity_id=m.id,
        case_id=ids[0] if len(ids) == 1 else None,
        changes=changes,
    )
    return m


@dataclass
class MeetingFilters:
    unit: str | None = None
    organised_by: str | None = None
    held_from: date | None = None
    held_to: date | None = None
    case_id: int | None = None


async def list_meetings(
    session: AsyncSession, principal: Principal, f: MeetingFilters, *, limit: int, after_id: int | None
) -> list[VoterMeeting]:
    stmt = select(VoterMeeting).where(visible_clause(principal))
    if f.unit:
        unit = await unit_by_code(session, f.unit, "query.unit")
        stmt = stmt.where(col(VoterMeeting.unit_path).startswith(unit.path, autoescape=True))
    if f.organised_by:
        org = await org_by_code(session, f.organised_by, "query.organised_by")
        stmt = stmt.where(col(VoterMeeting.organised_by_id) == org.id)
    if f.held_from:
        stmt = stmt.where(col(VoterMeeting.held_on) >= f.held_from)
    if f.held_to:
        stmt = stmt.where(col(VoterMeeting.held_on) <= f.held_to)
    if f.case_id:
        stmt = stmt.where(
            exists().where(
                col(VoterMeetingCase.meeting_id) == col(VoterMeeting.id), col(VoterMeetingCase.case_id) == f.case_id
            )
        )
    if after_id is not None:
        stmt = stmt.where(col(VoterMeeting.id) < after_id)
    return list((await session.execute(stmt.order_by(col(VoterMeeting.id).desc()).limit(limit + 1))).scalars())


def _meeting_case(c: Case, today: date) -> MeetingCase:
    return MeetingCase(
        id=c.id,
        code=c.code,
        kind=Kind(c.kind),
        status=Status(c.status),
        overdue=case_is_overdue(c, today),
        answered=c.status in ANSWERED,
        outcome=c.outcome,
    )


async def meetings_out(session: AsyncSession, rows: Sequence[VoterMeeting], today: date) -> list[VoterMeetingPublic]:
    ids = [m.id for m in rows]
    links: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        for mid, cid in (
            await session.execute(
                select(col(VoterMeetingCase.meeting_id), col(VoterMeetingCase.case_id))
                .where(col(VoterMeetingCase.meeting_id).in_(ids))
                .order_by(col(VoterMeetingCase.case_id))
            )
        ).all():
            links[mid].append(cid)
    cases = await cases_by_id(session, {c for cs in links.values() for c in cs})
    orgs: dict[int, Organization] = await orgs_by_id(session, {m.organised_by_id for m in rows})
    out = []
    for m in rows:
        shown = [_meeting_case(cases[c], today) for c in links[m.id]]
        counts = MeetingCountsPublic(
            total=len(shown),
            answered=sum(c.answered for c in shown),
            open=sum(c.status in AWAITING for c in shown),
            overdue=sum(c.overdue for c in shown),
        )
        org = orgs[m.organised_by_id]
        out.append(
            VoterMeetingPublic(
                id=m.id,
                held_on=m.held_on,
                unit_code=m.unit_code,
                organised_by=org.code,
                organised_by_name=org.name,
                deputies=list(m.deputies),
                voters=m.voters,
                location=m.location,
                case_ids=links[m.id],
                cases=shown,
                counts=counts,
                summary=m.summary,
                version=m.version,
                created_at=as_utc(m.created_at),
                updated_at=as_utc(m.updated_at),
            )
        )
    return out
