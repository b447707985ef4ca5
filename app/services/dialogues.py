"""Dialogues (đối thoại) and their commitments: schedule, hold with minutes and attendance,
postpone, cancel; commitments tracked to completion; the rule that some complaints may not be
decided before their dialogue has been held (Luật Khiếu nại Art 30, 39).

Jurisdiction: a dialogue is visible when its host organisation's unit or the unit it concerns is
in the caller's jurisdiction; a commitment also when its responsible organisation is. Records
outside it are the same 404 as records that do not exist. Only the host organisation's handlers
and desks act on a dialogue; supervisors read. Every write records its audit event in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db import referenced
from app.errors import (
    Conflict,
    Forbidden,
    IllegalAction,
    Invalid,
    field_error,
    required_fields,
    unknown_reference,
)
from app.models.base import as_utc, utcnow
from app.models.cases import Case
from app.models.dialogues import (
    Commitment,
    CommitmentCreate,
    CommitmentPublic,
    CommitmentUpdate,
    Dialogue,
    DialogueCase,
    DialogueCreate,
    DialoguePublic,
    DialogueTransitionCreate,
    ParticipantPublic,
    commitment_overdue_clause,
)
from app.models.reference import Organization
from app.security import Principal
from app.services import audit
from app.services.linked_cases import (
    cases_by_id,
    check_version,
    linked_case,
    linked_ids,
    org_by_code,
    orgs_by_id,
    unit_by_code,
    visible_cases,
    visible_row,
)
from app.services.reference import org_path
from app.workflows import actions
from app.workflows import dialogues as rules
from app.workflows.dialogues import (
    CommitmentStatus,
    DialogueActionName,
    DialogueKind,
    DialogueStatus,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# A complaint is in resolution while accepted, being verified or suspended: the time for its dialogue.
_IN_RESOLUTION = ("accepted", "verifying", "suspended")


def _local_day(at: datetime) -> date:
    """The day in Hanoi of a stored or given moment (SQLite hands back naive UTC)."""
    return as_utc(at).astimezone(TZ).date()


# ---- scoping and permissions ----------------------------------------------------------------


def visible_clause(principal: Principal):
    prefix = principal.jurisdiction_path
    return or_(
        col(Dialogue.host_path).startswith(prefix, autoescape=True),
        col(Dialogue.unit_path).startswith(prefix, autoescape=True),
    )


def commitment_visible_clause(principal: Principal):
    prefix = principal.jurisdiction_path
    return or_(
        col(Commitment.responsible_path).startswith(prefix, autoescape=True),
        col(Commitment.dialogue_id).in_(select(col(Dialogue.id)).where(visible_clause(principal))),
    )


def _require_host(principal: Principal, host_org_id: int) -> None:
    if principal.role not in rules.DIALOGUE_ROLES:
        raise Forbidden(f"Role '{principal.role.value}' may not act on dialogues; allowed: handler, reception.")
    if principal.org.id != host_org_id:
        raise Forbidden("Only the host organisation's staff may act on its dialogues.")


async def get_visible(
    session: AsyncSession, principal: Principal, dialogue_id: int, *, for_update: bool = False
) -> Dialogue:
    return await visible_row(
        session,
        Dialogue,
        col(Dialogue.id),
        dialogue_id,
        visible_clause(principal),
        f"No dialogue {dialogue_id}.",
        for_update=for_update,
    )


async def get_commitment_visible(
    session: AsyncSession, principal: Principal, commitment_id: int, *, for_update: bool = False
) -> Commitment:
    return await visible_row(
        session,
        Commitment,
        col(Commitment.id),
        commitment_id,
        commitment_visible_clause(principal),
        f"No commitment {commitment_id}.",
        for_update=for_update,
    )


async def _case_ids(session: AsyncSession, dialogue_id: int) -> list[int]:
    return await linked_ids(session, col(DialogueCase.case_id), col(DialogueCase.dialogue_id), dialogue_id)


def _audit_case(case_ids: Sequence[int]) -> int | None:
    """The event's case_id when the record concerns exactly one case (the case's history shows it)."""
    return case_ids[0] if len(case_ids) == 1 else None


# ---- dialogues ------------------------------------------------------------------------------


async def create(session: AsyncSession, principal: Principal, data: DialogueCreate, today: date) -> Dialogue:
    if principal.role not in rules.DIALOGUE_ROLES:
        raise Forbidden(f"Role '{principal.role.value}' may not schedule dialogues; allowed: handler, reception.")
    host = principal.org
    if data.host_org is not None and data.host_org != host.code:
        await org_by_code(session, data.host_org, "body.host_org")
        raise Forbidden("You schedule dialogues hosted by your own organisation only.")
    notice_on = data.notice_on or today
    if notice_on > today:
        raise field_error("body.notice_on", f"is in the future (today is {today.isoformat()} in Hanoi)")
    day = _local_day(data.scheduled_at)
    if day < notice_on:
        raise field_error("body.scheduled_at", "is before the notice was given")
    cases = await visible_cases(session, principal, data.case_ids, "body.case_ids")
    if data.kind == DialogueKind.complaint_resolution:
        if len(cases) != 1:
            raise field_error("body.case_ids", "a complaint-resolution dialogue links exactly one complaint case")
        case = cases[0]
        if case.kind != "complaint":
            raise field_error("body.case_ids.0", f"case {case.id} is a {case.kind}, not a complaint")
        if (case.assigned_org_id or case.receiving_org_id) != host.id:
            raise field_error("body.case_ids.0", f"case {case.id} is resolved by another organisation")
        if case.status not in _IN_RESOLUTION:
            raise Conflict(
                f"Case {case.id} is {case.status}: a complaint's dialogue is held while it is being "
                "resolved (accepted, verifying or suspended)."
            )
        unit_code = data.unit_code or case.location_unit_code
    else:
        missing = [f for f in ("unit_code", "topic") if not getattr(data, f)]
        if missing or data.unit_code is None:
            raise Invalid(
                f"body.{missing[0]}",
                "required for a direct dialogue",
                more=[(f"body.{f}", "required for a direct dialogue") for f in missing[1:]],
            )
        unit_code = data.unit_code
    unit = await unit_by_code(session, unit_code, "body.unit_code")
    if not principal.covers(unit.path):
        raise unknown_reference("body.unit_code", f"unit {unit_code} is outside your jurisdiction")
    dialogue = Dialogue(
        kind=data.kind.value,
        status=DialogueStatus.scheduled.value,
        host_org_id=host.id,
        host_path=principal.unit.path,
        unit_code=unit.code,
        unit_path=unit.path,
        chair=data.chair,
        scheduled_at=data.scheduled_at,
        notice_on=notice_on,
        short_notice=rules.short_notice(notice_on, day),
        location=data.location,
        topic=data.topic,
        participants=[
            ParticipantPublic(**p.model_dump(mode="json")).model_dump(mode="json") for p in data.participants
        ],
        created_by_id=principal.user.id,
    )
    session.add(dialogue)
    await session.flush()
    for c in cases:
        session.add(DialogueCase(dialogue_id=dialogue.id, case_id=c.id))
    ids = [c.id for c in cases]
    await audit.record(
        session,
        actor=principal,
        action="dialogue.create",
        entity="dialogue",
        entity_id=dialogue.id,
        case_id=_audit_case(ids),
        to_status=dialogue.status,
        changes={
            "kind": dialogue.kind,
            "host_org": host.code,
            "unit_code": unit.code,
            "scheduled_at": dialogue.scheduled_at.isoformat(),
            "notice_on": notice_on,
            "short_notice": dialogue.short_notice,
            "case_ids": ids,
            "participants": len(dialogue.participants),
        },
    )
    return dialogue


async def transition(
    session: AsyncSession,
    principal: Principal,
    dialogue: Dialogue,
    data: DialogueTransitionCreate,
    today: date,
    if_match: str | None,
) -> Dialogue:
    _require_host(principal, dialogue.host_org_id)
    check_version(dialogue, if_match, "dialogue")
    action = rules.dialogue_action(data.action.value, dialogue.status)
    if action is None:
        allowed = rules.allowed_dialogue_actions(dialogue.status)
        raise IllegalAction(
            f"'{data.action.value}' is not allowed while the dialogue is {dialogue.status}.",
            status_now=dialogue.status,
            allowed_actions=allowed,
        )
    missing = actions.missing(action.required, data)
    if missing:
        raise required_fields(action.name.value, missing)
    on = data.on or today
    if on > today:
        raise field_error("body.on", f"is in the future (today is {today.isoformat()} in Hanoi)")
    before = dialogue.status
    changes: dict[str, Any] = {"on": on}
    if action.name == DialogueActionName.hold:
        if on < _local_day(dialogue.scheduled_at):
            raise field_error("body.on", "is before the day the dialogue was scheduled for")
        people = [dict(p) for p in dialogue.participants]
        by_name = {p["name"]: p for p in people}
        for i, mark in enumerate(data.attendance):
            name = " ".join(mark.name.split())
            if name not in by_name:
                raise field_error(f"body.attendance.{i}.name", f"'{name}' is not a participant of this dialogue")
            by_name[name]["present"] = mark.present
            by_name[name]["absence_reason"] = None if mark.present else mark.absence_reason
        dialogue.participants = people
        dialogue.minutes = data.minutes
        dialogue.held_on = on
        absent = [p for p in people if p.get("present") is False]
        changes.update(
            present=sum(1 for p in people if p.get("present")),
            absent=len(absent),
            absent_without_reason=sum(1 for p in absent if not p.get("absence_reason")),
        )
    elif action.name == DialogueActionName.postpone:
        assert data.scheduled_at is not None  # the action table requires it (checked above)
        new_day = _local_day(data.scheduled_at)
        if new_day < on:
            raise field_error("body.scheduled_at", "is before the new notice")
        changes["scheduled_at"] = {"from": dialogue.scheduled_at.isoformat(), "to": data.scheduled_at.isoformat()}
        dialogue.scheduled_at = data.scheduled_at
        dialogue.notice_on = on
        dialogue.short_notice = rules.short_notice(on, new_day)
        dialogue.postponements += 1
        changes["short_notice"] = dialogue.short_notice
    else:
        dialogue.cancel_reason = data.reason
    dialogue.status = action.to_status.value
    dialogue.version += 1
    dialogue.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action=f"dialogue.{action.name.value}",
        entity="dialogue",
        entity_id=dialogue.id,
        case_id=_audit_case(await _case_ids(session, dialogue.id)),
        from_status=before,
        to_status=dialogue.status,
        changes=changes,
        reason=data.reason,
    )
    return dialogue


@dataclass
class DialogueFilters:
    status: str | None = None
    kind: str | None = None
    unit: str | None = None
    host_org: str | None = None
    case_id: int | None = None


async def list_dialogues(
    session: AsyncSession, principal: Principal, f: DialogueFilters, *, limit: int, after_id: int | None
) -> list[Dialogue]:
    """Newest first (by id), limit + 1 rows for cut_page."""
    stmt = select(Dialogue).where(visible_clause(principal))
    if f.status:
        stmt = stmt.where(col(Dialogue.status) == f.status)
    if f.kind:
        stmt = stmt.where(col(Dialogue.kind) == f.kind)
    if f.unit:
        unit = await unit_by_code(session, f.unit, "query.unit")
        stmt = stmt.where(col(Dialogue.unit_path).startswith(unit.path, autoescape=True))
    if f.host_org:
        org = await org_by_code(session, f.host_org, "query.host_org")
        stmt = stmt.where(col(Dialogue.host_org_id) == org.id)
    if f.case_id:
        stmt = stmt.where(
            exists().where(col(DialogueCase.dialogue_id) == col(Dialogue.id), col(DialogueCase.case_id) == f.case_id)
        )
    if after_id is not None:
        stmt = stmt.where(col(Dialogue.id) < after_id)
    return list((await session.execute(stmt.order_by(col(Dialogue.id).desc()).limit(limit + 1))).scalars())


async def dialogues_out(session: AsyncSession, dialogues: Sequence[Dialogue], today: date) -> list[DialoguePublic]:
    """The response shape of each, with a handful of queries for the whole page."""
    ids = [d.id for d in dialogues]
    if not ids:
        return []
    links: dict[int, list[int]] = {i: [] for i in ids}
    for did, cid in (
        await session.execute(
            select(col(DialogueCase.dialogue_id), col(DialogueCase.case_id))
            .where(col(DialogueCase.dialogue_id).in_(ids))
            .order_by(col(DialogueCase.case_id))
        )
    ).all():
        links[did].append(cid)
    cases = await cases_by_id(session, {c for cs in links.values() for c in cs})
    commitments: dict[int, list[Commitment]] = {i: [] for i in ids}
    for c in (
        await session.execute(
            select(Commitment)
            .where(col(Commitment.dialogue_id).in_(ids))
            .order_by(col(Commitment.due_on), col(Commitment.id))
        )
    ).scalars():
        commitments[c.dialogue_id].append(c)
    orgs = await orgs_by_id(
        session, {d.host_org_id for d in dialogues} | {c.responsible_org_id for cs in commitments.values() for c in cs}
    )
    out = []
    for d in dialogues:
        people = [ParticipantPublic(**p) for p in d.participants]
        out.append(
            DialoguePublic(
                id=d.id,
                kind=DialogueKind(d.kind),
                status=DialogueStatus(d.status),
                host_org=orgs[d.host_org_id].code,
                host_org_name=orgs[d.host_org_id].name,
                chair=d.chair,
                scheduled_at=as_utc(d.scheduled_at).astimezone(TZ),
                notice_on=d.notice_on,
                short_notice=d.short_notice,
                location=d.location,
                unit_code=d.unit_code,
                topic=d.topic,
                case_ids=links[d.id],
                cases=[linked_case(cases[c], today) for c in links[d.id]],
                participants=people,
                absentees=[p for p in people if p.present is False],
                minutes=d.minutes,
                held_on=d.held_on,
                cancel_reason=d.cancel_reason,
                postponements=d.postponements,
                commitments=[commitment_out(c, orgs[c.responsible_org_id], today) for c in commitments[d.id]],
                allowed_actions=rules.allowed_dialogue_actions(d.status),
                version=d.version,
                created_at=as_utc(d.created_at),
                updated_at=as_utc(d.updated_at),
            )
        )
    return out


async def dialogue_out(session: AsyncSession, dialogue: Dialogue, today: date) -> DialoguePublic:
    return (await dialogues_out(session, [dialogue], today))[0]


# ---- a complaint's decision waits for its dialogue (Luật Khiếu nại Art 30, 39) ---------------


async def dialogue_held_for_case(session: AsyncSession, case_id: int) -> bool:
    """Whether a complaint-resolution dialogue on this case has been held."""
    stmt = (
        select(col(DialogueCase.case_id))
        .join(Dialogue, col(Dialogue.id) == col(DialogueCase.dialogue_id))
        .where(
            col(DialogueCase.case_id) == case_id,
            col(Dialogue.kind) == DialogueKind.complaint_resolution.value,
            col(Dialogue.status) == DialogueStatus.held.value,
        )
        .limit(1)
    )
    return (await session.execute(stmt)).first() is not None


async def require_dialogue_before_decision(
    session: AsyncSession, case: Case, verification_differs: bool | None
) -> None:
    """Called where a case is decided: a 409 when the law wants a held dialogue first."""
    source = rules.dialogue_required_before_decision(case.kind, case.complaint_round, verification_differs)
    if source and not await dialogue_held_for_case(session, case.id):
        why = (
            "a second-time complaint"
            if (case.complaint_round or 1) == 2
            else "a complaint whose verification differs from the complainant's request"
        )
        raise Conflict(
            f"Hold the dialogue first: {why} is decided only after a dialogue on it has been held ({source}).",
            code="dialogue-required",
            legal_source=source,
        )


# ---- commitments ----------------------------------------------------------------------------


def commitment_out(c: Commitment, org: Organization, today: date) -> CommitmentPublic:
    late = rules.commitment_overdue(c.status, c.due_on, today)
    return CommitmentPublic(
        id=c.id,
        dialogue_id=c.dialogue_id,
        description=c.description,
        responsible_org=org.code,
        responsible_org_name=org.name,
        due_on=c.due_on,
        status=CommitmentStatus(c.status),
        done_on=c.done_on,
        overdue=late,
        days_overdue=(today - c.due_on).days if late else 0,
        version=c.version,
        created_at=as_utc(c.created_at),
        updated_at=as_utc(c.updated_at),
    )


async def add_commitment(
    session: AsyncSession, principal: Principal, dialogue: Dialogue, data: CommitmentCreate, today: date
) -> Commitment:
    _require_host(principal, dialogue.host_org_id)
    if dialogue.status != DialogueStatus.held:
        raise IllegalAction(
            f"Commitments are made at a held dialogue; this one is {dialogue.status}.",
            status_now=dialogue.status,
            allowed_actions=rules.allowed_dialogue_actions(dialogue.status),
        )
    org = await org_by_code(session, data.responsible_org, "body.responsible_org")
    if dialogue.held_on and data.due_on < dialogue.held_on:
        raise field_error("body.due_on", "is before the dialogue was held")
    c = Commitment(
        dialogue_id=dialogue.id,
        description=data.description,
        responsible_org_id=org.id,
        responsible_path=await org_path(session, org),
        due_on=data.due_on,
        status=CommitmentStatus.open.value,
    )
    session.add(c)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="commitment.create",
        entity="commitment",
        entity_id=c.id,
        case_id=_audit_case(await _case_ids(session, dialogue.id)),
        to_status=c.status,
        changes={
            "dialogue_id": dialogue.id,
            "responsible_org": org.code,
            "due_on": c.due_on,
            "description": c.description,
        },
    )
    return c


async def update_commitment(
    session: AsyncSession,
    principal: Principal,
    c: Commitment,
    data: CommitmentUpdate,
    today: date,
    if_match: str | None,
) -> Commitment:
    """The host organisation, or the organisation responsible for it, reports progress."""
    dialogue = await referenced(session, Dialogue, c.dialogue_id)
    if principal.role not in rules.DIALOGUE_ROLES:
        raise Forbidden(f"Role '{principal.role.value}' may not change commitments; allowed: handler, reception.")
    if principal.org.id not in (dialogue.host_org_id, c.responsible_org_id):
        raise Forbidden("Only the host organisation or the responsible organisation may change a commitment.")
    check_version(c, if_match, "commitment")
    patch = data.model_dump(exclude_unset=True)
    for name in ("description", "due_on", "status"):
        if name in patch and patch[name] is None:
            raise field_error(f"body.{name}", "may not be null")
    changes: dict[str, Any] = {}
    before = c.status
    if data.description is not None and data.description != c.description:
        changes["description"] = {"from": c.description, "to": data.description}
        c.description = data.description
    if data.due_on is not None and data.due_on != c.due_on:
        if dialogue.held_on and data.due_on < dialogue.held_on:
            raise field_error("body.due_on", "is before the dialogue was held")
        changes["due_on"] = {"from": c.due_on, "to": data.due_on}
        c.due_on = data.due_on
    if data.done_on is not None and data.status != CommitmentStatus.done:
        raise field_error("body.done_on", "only with status done")
    if data.status is not None and data.status != c.status:
        if data.status == CommitmentStatus.done:
            done_on = data.done_on or today
            if done_on > today:
                raise field_error("body.done_on", f"is in the future (today is {today.isoformat()} in Hanoi)")
            c.done_on = done_on
            changes["done_on"] = done_on
        elif data.status == CommitmentStatus.cancelled and not data.reason:
            raise field_error("body.reason", "required to cancel a commitment")
        else:
            c.done_on = None
        c.status = data.status.value
    if not changes and c.status == before:
        return c
    c.version += 1
    c.updated_at = utcnow()
    await session.flush()
    action = (
        {"done": "commitment.done", "cancelled": "commitment.cancel", "open": "commitment.reopen"}[c.status]
        if c.status != before
        else "commitment.update"
    )
    await audit.record(
        session,
        actor=principal,
        action=action,
        entity="commitment",
        entity_id=c.id,
        case_id=_audit_case(await _case_ids(session, c.dialogue_id)),
        from_status=before,
        to_status=c.status,
        changes=changes,
        reason=data.reason,
    )
    return c


@dataclass
class CommitmentFilters:
    responsible_org: str | None = None
    unit: str | None = None
    status: str | None = None
    overdue: bool | None = None
    dialogue_id: int | None = None


async def list_commitments(
    session: AsyncSession,
    principal: Principal,
    f: CommitmentFilters,
    today: date,
    *,
    limit: int,
    after: list[Any] | None,
) -> list[Commitment]:
    """By due date, then id (keyset: `[due_on, id]`); limit + 1 rows for cut_page. `unit`: the
    unit the dialogue concerns, and everything below it."""
    stmt = select(Commitment).where(commitment_visible_clause(principal))
    if f.responsible_org:
        org = await org_by_code(session, f.responsible_org, "query.responsible_org")
        stmt = stmt.where(col(Commitment.responsible_org_id) == org.id)
    if f.unit:
        unit = await unit_by_code(session, f.unit, "query.unit")
        stmt = stmt.where(
            col(Commitment.dialogue_id).in_(
                select(col(Dialogue.id)).where(col(Dialogue.unit_path).startswith(unit.path, autoescape=True))
            )
        )
    if f.status:
        stmt = stmt.where(col(Commitment.status) == f.status)
    if f.overdue is not None:
        clause = commitment_overdue_clause(today)
        stmt = stmt.where(clause if f.overdue else ~clause)
    if f.dialogue_id:
        stmt = stmt.where(col(Commitment.dialogue_id) == f.dialogue_id)
    if after is not None:
        due, last_id = date.fromisoformat(after[0]), after[1]
        stmt = stmt.where(
            or_(col(Commitment.due_on) > due, and_(col(Commitment.due_on) == due, col(Commitment.id) > last_id))
        )
    return list(
        (await session.execute(stmt.order_by(col(Commitment.due_on), col(Commitment.id)).limit(limit + 1))).scalars()
    )


async def commitments_out(session: AsyncSession, rows: Sequence[Commitment], today: date) -> list[CommitmentPublic]:
    orgs = await orgs_by_id(session, {c.responsible_org_id for c in rows})
    return [commitment_out(c, orgs[c.responsible_org_id], today) for c in rows]
