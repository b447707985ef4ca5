"""Tiếp nhận: logging a petition the moment it arrives — validation, location, duplicates, the
suggested competent organisation, the first stage of the clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Literal

import anyio
import sqlalchemy as sa
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import (
    Invalid,
    Unavailable,
    field_error,
)
from app.models.cases import (
    Case,
    CaseCreate,
    DuplicateHint,
    LocationResolutionPublic,
    Petitioner,
    PetitionerCreate,
    PossibleDuplicatePublic,
    UnitRefPublic,
)
from app.models.reference import AdminUnit, Organization
from app.security import Principal
from app.services import audit
from app.services.cases import obligations, steps
from app.services.cases.common import (
    EARLIEST_DATE,
    IntakeResult,
    _org_by_code_memo,
    _pin_and_hash,
    _start_stage,
    _unit,
    _visible_or_422,
    identity_protected,
    new_tracking_code,
    write_search_text,
)
from app.services.clock import Clock
from app.services.reference import org_path
from app.workflows import deadlines as dl
from app.workflows import lifecycle as lc
from app.workflows import routing
from app.workflows.calendar import WorkCalendar
from app.workflows.lifecycle import Kind, Status
from app.workflows.petitioners import MASS_THRESHOLD, check_representatives, phone_key
from app.workflows.text import fold, similar_titles


async def resolve_location(
    session: AsyncSession, data: CaseCreate
) -> tuple[AdminUnit, LocationResolutionPublic | None]:
    if data.location_unit_code:
        unit = await _unit(session, data.location_unit_code, "body.location_unit_code")
        return unit, None
    if not data.location_address:
        raise Invalid(
            "body.location_unit_code",
            "required when location_address is absent",
            more=[("body.location_address", "required when location_unit_code is absent")],
            detail="Give location_unit_code or location_address.",
        )
    from app.workflows.address import AddressNotResolved, resolve_address

    try:
        res = await anyio.to_thread.run_sync(resolve_address, data.location_address)
    except AddressNotResolved as exc:
        raise field_error("body.location_address", f"cannot be resolved to a ward or commune: {exc}") from None
    chosen = res.unit.code
    if data.location_choice:
        allowed_codes = {c.code for c in res.candidates} or {res.unit.code}
        if data.location_choice not in allowed_codes:
            raise field_error("body.location_choice", f"must be one of {sorted(allowed_codes)}")
        chosen = data.location_choice
    unit = await _unit(session, chosen, "body.location_address")
    info = LocationResolutionPublic(
        unit=UnitRefPublic(code=unit.code, name=unit.name),
        candidates=[UnitRefPublic(code=c.code, name=c.name) for c in res.candidates],
        legacy=res.legacy,
        ambiguous=res.ambiguous and not data.location_choice,
        note=res.note,
    )
    return unit, info


async def suggest_org(
    session: AsyncSession, *, kind: str, field_: str, unit: AdminUnit, rules: Sequence[Any] | None = None
) -> Organization | None:
    """The competent organisation for this place and kind: the most specific routing rule
    (kind, field, unit subtree), else the People's Committee of the ward.

    `rules`: the routing rules as the request's clock read them (app/services/clock.py); else
    they are read here. The rules and the organisations looked up by code are remembered for
    the rest of the transaction: a bulk load, a split or an appeal asks again and again."""
    from app.models.cases import RoutingRule

    memo = audit.txn_memo(session)
    all_rules = rules if rules is not None else memo.get("routing_rules")
    if all_rules is None:
        all_rules = memo["routing_rules"] = list((await session.execute(select(RoutingRule))).scalars())
    for code in routing.ranked_org_codes(all_rules, kind=kind, field=field_, unit_path=unit.path):
        org = await _org_by_code_memo(session, memo, code)
        if org is not None and org.active:
            return org
    return await _org_by_code_memo(session, memo, routing.default_org_code(unit.code))


async def find_possible_duplicates(
    session: AsyncSession,
    principal: Principal,
    *,
    exclude_id: int | None,
    petitioners: list[PetitionerCreate],
    respondent: str | None,
    title: str,
    new_case: Case | None = None,
) -> list[PossibleDuplicatePublic]:
    """Open cases from the same petitioner (ID number, or folded name and phone) about the same
    respondent or with a similar title — only those the caller's own organisation received or
    holds. A match against any other organisation's case is never shown to the caller: with
    `new_case` (intake), it becomes a hint on that case, for its holder (DuplicateHint), unless the
    new case's identity is itself protected (docs/decisions/0020-duplicates-across-organisations.md).
    The caller's answer is the same whether or not such a match exists."""
    conds: list[sa.ColumnElement[bool]] = []
    ids = [p.id_number for p in petitioners if p.id_number]
    if ids:
        conds.append(col(Petitioner.id_number).in_(ids))
    for p in petitioners:
        if p.phone:
            conds.append(
                and_(col(Petitioner.name_key) == fold(p.full_name), col(Petitioner.phone_key) == phone_key(p.phone))
            )
    if not conds:
        return []
    stmt = (
        select(Case)
        .join(Petitioner, col(Petitioner.case_id) == col(Case.id))
        .where(or_(*conds), col(Case.status).in_([s.value for s in lc.OPEN_STATUSES]))
        .distinct()
        .order_by(col(Case.id))
        .limit(100)
    )
    if exclude_id is not None:
        stmt = stmt.where(col(Case.id) != exclude_id)
    out = []
    elsewhere: list[tuple[Case, str]] = []
    resp = fold(respondent)
    own = principal.org.id
    for c in (await session.execute(stmt)).scalars():
        same_respondent = bool(resp) and fold(c.respondent) == resp
        if not (same_respondent or similar_titles(c.title, title)):
            continue
        match: Literal["same respondent", "similar title"] = "same respondent" if same_respondent else "similar title"
        if own in (c.receiving_org_id, c.assigned_org_id):
            out.append(
                PossibleDuplicatePublic(
                    id=c.id,
                    code=c.code,
                    title=c.title,
                    status=Status(c.status),
                    kind=Kind(c.kind),
                    received_on=c.received_on,
                    match=match,
                )
            )
        else:
            elsewhere.append((c, match))
    if new_case is not None and elsewhere and not identity_protected(new_case):
        await _hint_holders(session, principal, new_case, elsewhere)
    return out[:50]


async def _hint_holders(
    session: AsyncSession, principal: Principal, new_case: Case, matches: list[tuple[Case, str]]
) -> None:
    """Tell each matched case's holder, on that case, that the same person filed `new_case`
    here. The audit event names no case_id: the trail of neither case shows the link to readers
    of that case's history (an administrator's event)."""
    for c, match in matches:
        hint = DuplicateHint(case_id=c.id, other_case_id=new_case.id, match=match)
        session.add(hint)
        await session.flush()
        await audit.record(
            session,
            actor=principal,
            action="case.duplicate_hint",
            entity="duplicate_hint",
            entity_id=hint.id,
            changes={"case_id": c.id, "other_case_id": new_case.id, "match": match},
        )


def _check_decision_date(kind: str, decision_date: date | None, received_on: date) -> None:
    if decision_date is None:
        return
    if kind != Kind.complaint:
        raise field_error("body.decision_date", "only complaints carry the date of the decision complained about")
    if decision_date > received_on:
        raise field_error("body.decision_date", "is after received_on")


def _check_filing_dates(data: CaseCreate, kind: Kind, received_on: date) -> None:
    """When the complainant received the decision, and the days an Art 9 obstacle took: complaints only."""
    if data.decision_received_on is not None:
        if kind != Kind.complaint:
            raise field_error("body.decision_received_on", "only complaints carry when the decision was received")
        if data.decision_received_on < EARLIEST_DATE:
            raise field_error("body.decision_received_on", f"is before {EARLIEST_DATE.isoformat()}")
        if data.decision_received_on > received_on:
            raise field_error("body.decision_received_on", "is after received_on")
        if data.decision_date is not None and data.decision_received_on < data.decision_date:
            raise field_error("body.decision_received_on", "is before decision_date")
    if data.filing_obstacle is not None and data.filing_obstacle.days:
        if kind != Kind.complaint:
            raise field_error(
                "body.filing_obstacle", "only a complaint's filing limit has obstacles (Luật Khiếu nại Art 9)"
            )
        if not data.filing_obstacle.reason.strip():
            raise field_error("body.filing_obstacle.reason", "required when days are excluded (Luật Khiếu nại Art 9)")


def _filing_late(calendar: WorkCalendar, case: Case) -> bool:
    """Luật Khiếu nại Art 9: filed after 90 days from when the complainant received or learned of
    the decision or act, less the days an obstacle took (app.workflows.deadlines.filing_late)."""
    return dl.filing_late(
        calendar,
        learned_on=case.decision_received_on or case.decision_date,
        received_on=case.received_on,
        obstacle_days=case.filing_obstacle_days,
    )


_CODE_TAKEN = select(col(Case.id)).where(col(Case.code) == bindparam("code"))  # built once: asked at every intake


async def intake(
    session: AsyncSession,
    principal: Principal,
    data: CaseCreate,
    clock: Clock,
    *,
    pin: str | None = None,
    codes: Any | None = None,
    check_duplicates: bool = True,
    split_from: Case | None = None,
    parent: Case | None = None,
    receiving_org: Organization | None = None,
    audit_action: str = "case.create",
) -> IntakeResult:
    """Tiếp nhận: log a petition the moment it arrives.

    `pin`: the tracking PIN to give the case (default: a fresh random one); `codes`: a
    random.Random to draw the tracking code from (default: the clock's, else the system's CSPRNG)."""
    received_on = data.received_on or clock.today
    if received_on > clock.today:
        raise field_error("body.received_on", f"is in the future (today is {clock.today.isoformat()} in Hanoi)")
    if received_on < EARLIEST_DATE:
        raise field_error(
            "body.received_on", f"is before {EARLIEST_DATE.isoformat()}: not a date this service can file"
        )
    if data.decision_date is not None and data.decision_date < EARLIEST_DATE:
        raise field_error("body.decision_date", f"is before {EARLIEST_DATE.isoformat()}")
    kind = Kind(data.kind)
    if kind != Kind.complaint and data.complaint_round is not None:
        raise field_error("body.complaint_round", "only complaints have a round")
    complaint_round = (data.complaint_round or 1) if kind == Kind.complaint else None
    if parent is None and data.parent_case_id is not None:
        parent = await _visible_or_422(session, principal, data.parent_case_id, "body.parent_case_id")
    if data.anonymous and data.petitioners:
        raise field_error("body.petitioners", "an anonymous petition lists no petitioners")
    if not data.anonymous and not data.petitioners:
        raise field_error("body.petitioners", "at least one petitioner is required (or anonymous: true)")
    count = 0 if data.anonymous else max(data.petitioner_count or 0, len(data.petitioners))
    check_representatives(count, [p.is_representative for p in data.petitioners])
    _check_decision_date(kind, data.decision_date, received_on)
    _check_filing_dates(data, kind, received_on)
    unit, location_info = await resolve_location(session, data)
    org = receiving_org or principal.org
    # the caller's organisation, read with the caller this request: the suggested one, most often
    audit.txn_memo(session).setdefault(("org_by_code", principal.org.code), principal.org)
    obstacle = data.filing_obstacle if data.filing_obstacle and data.filing_obstacle.days else None

    pin, pin_hash = _pin_and_hash(pin)
    # Identity protection follows the person: a denouncer's, and anyone's on a case derived from
    # a protected one (a split part, a round-2 complaint).
    protect = kind == Kind.denunciation or any(
        src is not None and identity_protected(src) for src in (parent, split_from)
    )
    case = Case(
        code="",
        pin_hash=pin_hash,
        kind=kind.value,
        status=Status.received.value,
        channel=data.channel.value,
        received_on=received_on,
        title=data.title,
        content=data.content,
        field=data.field.value,
        respondent=data.respondent,
        location_unit_code=unit.code,
        location_path=unit.path,
        location_address=data.location_address,
        anonymous=data.anonymous,
        complaint_round=complaint_round,
        parent_case_id=parent.id if parent else None,
        split_from_id=split_from.id if split_from else None,
        receiving_org_id=org.id,
        receiving_path=await org_path(session, org),
        petitioner_count=count,
        mass=count >= MASS_THRESHOLD,
        decision_date=data.decision_date,
        decision_received_on=data.decision_received_on,
        filing_obstacle_days=obstacle.days if obstacle else 0,
        filing_obstacle_reason=obstacle.reason.strip() if obstacle else None,
        remote_area=data.remote_area,
        last_event_on=received_on,
        created_by_id=principal.user.id,
        identity_protected=protect,
    )
    filing_late = case.filing_late = _filing_late(clock.calendar, case)
    _start_stage(case, clock, lc.intake_stage(kind, complaint_round, org.may_resolve), received_on)
    for _attempt in range(8):
        code = new_tracking_code(kind, received_on, codes if codes is not None else clock.codes)
        exists = (await session.execute(_CODE_TAKEN, {"code": code})).first()
        if not exists:
            case.code = code
            break
    else:  # pragma: no cover - 31^6 codes a year per kind
        raise Unavailable("Could not allocate a tracking code; try again.")
    session.add(case)
    await session.flush()
    await write_search_text(session, case, new_case=True)
    people = []
    for i, p in enumerate(data.petitioners):
        people.append(
            Petitioner(
                case_id=case.id,
                position=i,
                full_name=p.full_name,
                id_number=p.id_number,
                phone=p.phone,
                address=p.address,
                email=str(p.email) if p.email else None,
                is_representative=p.is_representative,
                name_key=fold(p.full_name)[:200],
                phone_key=phone_key(p.phone),
                protected=protect,
            )
        )
    for person in people:
        session.add(person)
    started: dict[str, Any] = {}
    opened = await obligations.on_event(
        session,
        case,
        "intake",
        received_on,
        clock,
        started,
        followup=kind == Kind.denunciation and parent is not None and parent.kind == Kind.denunciation.value,
        receiver_kind=org.kind,
        new_case=True,
    )
    # The petitioners are written by the next flush (a later query's, or the commit's), in the same transaction.
    # The audit event names no petitioner: the trail is readable by supervisors.
    event = await audit.record(
        session,
        actor=principal,
        action=audit_action,
        entity="case",
        entity_id=case.id,
        case_id=case.id,
        to_status=case.status,
        changes={
            "kind": case.kind,
            "channel": case.channel,
            "received_on": case.received_on,
            "title": case.title,
            "field": case.field,
            "location_unit_code": case.location_unit_code,
            "receiving_org": org.code,
            "petitioner_count": count,
            "anonymous": case.anonymous,
            "complaint_round": complaint_round,
            "parent_case_id": case.parent_case_id,
            "split_from_id": case.split_from_id,
            "stage": case.stage,
            "due": case.due,
            "due_rule": case.due_rule,
            "filing_late": filing_late,
            **started,
            **({"decision_received_on": case.decision_received_on} if case.decision_received_on else {}),
            **({"filing_obstacle_days": case.filing_obstacle_days} if obstacle else {}),
        },
    )
    await steps.record_step(session, case, "intake", received_on, event)  # reports: the dated history
    dups = []
    if check_duplicates and data.petitioners:
        dups = await find_possible_duplicates(
            session,
            principal,
            exclude_id=case.id,
            petitioners=data.petitioners,
            respondent=data.respondent,
            title=data.title,
            new_case=case,
        )
    suggestion = await suggest_org(session, kind=case.kind, field_=case.field, unit=unit, rules=clock.routing)
    return IntakeResult(
        case=case,
        pin=pin or "",
        possible_duplicates=dups,
        suggested_org=suggestion,
        location_resolution=location_info,
        petitioners=people,
        obligations=opened,
    )
