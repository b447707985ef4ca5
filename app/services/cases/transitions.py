"""Changing a case: descriptive edits, lifecycle transitions (one handler per action of
app/workflows/lifecycle.py), and splitting a petition with several contents."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import (
    Forbidden,
    Invalid,
    field_error,
)
from app.models.base import utcnow
from app.models.cases import (
    Case,
    CaseCreate,
    CaseUpdate,
    SplitIn,
    TransitionIn,
)
from app.models.reference import Organization
from app.security import Principal
from app.services import audit
from app.services.cases.common import (
    IntakeResult,
    TransitionResult,
    _as_input,
    _conflict,
    _org_by_code,
    _org_path,
    _pin_and_hash,
    _require_actor,
    _search_text,
    _start_stage,
    _stop_clock,
    _unit,
    _visible_or_422,
    check_version,
    holder_org_id,
    load_petitioners,
)
from app.services.cases.intake import _check_decision_date, _filing_late, intake
from app.services.clock import Clock, rule_by_key
from app.workflows import deadlines as dl
from app.workflows import lifecycle as lc
from app.workflows.lifecycle import Kind, Stage, Status
from app.workflows.roles import Role

_DESCRIPTIVE = ("title", "content", "field", "respondent", "location_unit_code", "decision_date", "remote_area")


async def update(session: AsyncSession, principal: Principal, case: Case, data: CaseUpdate, clock: Clock,
                 if_match: str | None) -> Case:
    """Descriptive fields only; the holder's desk or handler, with the version they read."""
    _require_actor(case, principal)
    check_version(case, if_match)
    patch = data.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    for name in _DESCRIPTIVE:
        if name not in patch:
            continue
        value = patch[name]
        if value is None and name in ("title", "field", "location_unit_code", "remote_area"):
            raise field_error(f"body.{name}", "may not be null")
        if hasattr(value, "value"):
            value = value.value
        if name == "location_unit_code" and value != case.location_unit_code:
            unit = await _unit(session, value, "body.location_unit_code")
            case.location_path = unit.path
        if name == "decision_date":
            _check_decision_date(case.kind, value, case.received_on)
        if getattr(case, name) != value:
            changes[name] = {"from": getattr(case, name), "to": value}
            setattr(case, name, value)
    if "decision_date" in changes:
        case.filing_late = _filing_late(case.decision_date, case.received_on)
    if not changes:
        return case
    case.search_text = _search_text(case)
    case.version += 1
    case.updated_at = utcnow()
    await session.flush()
    await audit.record(session, actor=principal, action="case.update", entity="case", entity_id=case.id,
                       case_id=case.id, changes=changes)
    return case


async def transition(session: AsyncSession, principal: Principal, case: Case, data: TransitionIn, clock: Clock,
                     if_match: str | None) -> TransitionResult:
    if principal.role not in lc.TRANSITION_ROLES:
        raise Forbidden(f"Role '{principal.role.value}' may not transition cases.")
    check_version(case, if_match)
    kind, status = Kind(case.kind), Status(case.status)
    action = lc.find(data.action, kind, case.complaint_round, status)
    if action is None:
        if not lc.candidates(data.action, kind, case.complaint_round):
            raise _conflict(case, principal, f"'{data.action}' does not apply to a {kind.value}"
                            + (f" (round {case.complaint_round})" if case.complaint_round else "") + ".")
        raise _conflict(case, principal, f"'{data.action}' is not allowed while the case is {status.value}.")
    if Role(principal.role) not in action.roles:
        raise Forbidden(f"Role '{principal.role.value}' may not '{action.name}'; allowed: "
                        f"{', '.join(sorted(r.value for r in action.roles))}.")
    if principal.org.id != holder_org_id(case):
        raise Forbidden("Only the organisation holding the case may act on it.")
    missing = [f for f in action.required if getattr(data, f, None) in (None, "")]
    if missing:
        raise Invalid(f"body.{missing[0]}", "required for this action",
                      more=[(f"body.{f}", "required for this action") for f in missing[1:]],
                      detail=f"'{action.name}' requires: {', '.join(missing)}.")
    grounds = action.grounds_for(kind)
    if grounds and data.ground not in {g.code for g in grounds}:
        raise field_error("body.ground", f"not a ground for '{action.name}' of a {kind.value}; one of "
                          + ", ".join(g.code for g in grounds))
    on = data.on or clock.today
    if on > clock.today:
        raise field_error("body.on", f"is in the future (today is {clock.today.isoformat()} in Hanoi)")
    if on < case.last_event_on:
        raise field_error("body.on", f"is before the case's last event ({case.last_event_on.isoformat()})")

    before = {"status": case.status, "due": case.due, "stage": case.stage, "assigned_org_id": case.assigned_org_id}
    changes: dict[str, Any] = {}
    opened: IntakeResult | None = None
    handler = _APPLY.get(action.name)
    if handler is not None:
        opened = await handler(session, principal, case, data, clock, on, changes)
    if action.to_status is not None:
        case.status = action.to_status.value
    if action.clock == Clock_.stop and case.stage is not None:
        _stop_clock(case)
    for k in ("due", "stage"):
        if getattr(case, k) != before[k]:
            changes[k] = {"from": before[k], "to": getattr(case, k)}
    case.last_event_on = on
    case.version += 1
    case.updated_at = utcnow()
    # No flush of its own: the audit event's flush writes the case with it.
    await audit.record(session, actor=principal, action=f"case.{action.name}", entity="case", entity_id=case.id,
                       case_id=case.id, from_status=before["status"], to_status=case.status,
                       changes={"on": on, **changes}, reason=data.reason)
    return TransitionResult(case=case, opened=opened)


Clock_ = lc.Clock  # the lifecycle's clock effects (not the request's Clock)


def _change_kind(case: Case, new_kind: Kind, new_round: int | None, clock: Clock, changes: dict[str, Any]) -> None:
    """Classified by content, not title (TT 05/2021 Art 6): the new kind's clock runs from
    receipt, as the law counts it."""
    changes["kind"] = {"from": case.kind, "to": new_kind.value}
    if new_round != case.complaint_round:
        changes["complaint_round"] = {"from": case.complaint_round, "to": new_round}
    if new_kind != Kind.complaint:
        case.decision_date, case.filing_late = None, False
    case.kind, case.complaint_round = new_kind.value, new_round
    _start_stage(case, clock, Stage.acceptance if new_round == 2 else Stage.processing, case.received_on)


async def _reclassify(session, principal, case: Case, data: TransitionIn, clock: Clock, on, changes) -> None:
    new_kind = Kind(data.kind)
    new_round = (data.complaint_round or 1) if new_kind == Kind.complaint else None
    if new_kind == Kind(case.kind) and new_round == case.complaint_round:
        raise field_error("body.kind", f"the case is already a {new_kind.value}")
    _change_kind(case, new_kind, new_round, clock, changes)


async def _forward(session, principal, case: Case, data: TransitionIn, clock: Clock, on, changes) -> None:
    target = await _org_by_code(session, data.to_org, "body.to_org")
    if target.id == holder_org_id(case):
        raise field_error("body.to_org", "the case is already held by this organisation")
    changes["assigned_org"] = {"from": (await session.get(Organization, holder_org_id(case))).code, "to": target.code}
    path = await _org_path(session, target)  # (looked up before the case changes: no autoflush in between)
    case.assigned_org_id = target.id
    case.assigned_path = path
    _start_stage(case, clock, Stage.acceptance, on)


async def _accept(session, principal, case: Case, data: TransitionIn, clock: Clock, on, changes) -> None:
    if data.remote_area is not None and data.remote_area != case.remote_area:
        changes["remote_area"] = {"from": case.remote_area, "to": data.remote_area}
        case.remote_area = data.remote_area
    if case.assigned_org_id is None:  # own competence: the receiving body accepts
        case.assigned_org_id = case.receiving_org_id
        case.assigned_path = case.receiving_path
    case.accepted_on = on
    _start_stage(case, clock, Stage.resolution, on)


async def _return(session, principal, case: Case, data: TransitionIn, clock: Clock, on, changes) -> None:
    changes["assigned_org"] = {"from": (await session.get(Organization, case.assigned_org_id)).code, "to": None}
    case.assigned_org_id = None
    case.assigned_path = None
    _start_stage(case, clock, Stage.processing, case.received_on)


async def _archive(session, principal, case: Case, data: TransitionIn, clock: Clock, on, changes) -> None:
    changes["ground"] = data.ground
    if data.ground == "duplicate":
        if data.duplicate_of is None:
            raise field_error("body.duplicate_of", "required when the ground is duplicate")
        if data.duplicate_of == case.id:
            raise field_error("body.duplicate_of", "a case cannot duplicate itself")
        await _visible_or_422(session, principal, data.duplicate_of, "body.duplicate_of")
        case.duplicate_of_id = data.duplicate_of
        changes["duplicate_of"] = data.duplicate_of


async def _reject(session, principal, case, data, clock, on, changes) -> None:
    changes["ground"] = data.ground


async def _guide(session, principal, case, data, clock, on, changes) -> None:
    if data.guided_to:
        changes["guided_to"] = data.guided_to


async def _suspend(session, principal, case: Case, data, clock, on, changes) -> None:
    case.suspended_on = on
    case.status_before_suspend = case.status


async def _resume(session, principal, case: Case, data, clock: Clock, on, changes) -> None:
    rule = rule_by_key(clock.rules, case.due_rule)
    if case.due is not None and case.suspended_on is not None:
        mode = rule.mode if rule else "calendar"
        case.due = clock.calendar.shift_for_suspension(case.due, case.suspended_on, on, mode)
    changes["suspended_days"] = (on - case.suspended_on).days if case.suspended_on else 0
    case.status = case.status_before_suspend or Status.verifying.value
    case.suspended_on = None
    case.status_before_suspend = None


async def _extend(session, principal, case: Case, data: TransitionIn, clock: Clock, on, changes) -> None:
    if data.complexity not in lc.COMPLEXITIES:
        raise field_error("body.complexity", f"one of {', '.join(lc.COMPLEXITIES)}")
    rule = rule_by_key(clock.rules, case.due_rule)
    if rule is None or case.due is None or case.stage != Stage.resolution:
        raise _conflict(case, principal, "Only a running resolution stage can be extended.")
    try:
        new_due = dl.extension_due(rule, case.due, clock.calendar, extensions_used=case.extensions_used,
                                   complexity=data.complexity, accepted_on=case.accepted_on or case.stage_started_on,
                                   remote=case.remote_area)
    except dl.ExtensionNotAllowed as exc:
        raise _conflict(case, principal, f"Extension refused: {exc}") from None
    case.extensions_used += 1
    case.complexity = data.complexity
    case.due = new_due
    changes["complexity"] = data.complexity
    changes["extensions_used"] = case.extensions_used


async def _decide(session, principal, case: Case, data: TransitionIn, clock, on, changes) -> None:
    outcomes = lc.OUTCOMES[Kind(case.kind)]
    if data.outcome not in outcomes:
        raise field_error("body.outcome", f"for a {case.kind}: one of {', '.join(outcomes)}")
    case.outcome = data.outcome
    case.outcome_summary = data.summary
    case.decided_on = on
    changes["outcome"] = data.outcome
    changes["on_time"] = case.due is None or on <= case.due


async def _close(session, principal, case: Case, data, clock, on, changes) -> None:
    case.closed_on = on


async def _appeal(session, principal, case: Case, data: TransitionIn, clock: Clock, on, changes) -> IntakeResult:
    """Khiếu nại lần hai (Luật Khiếu nại Art 33): within 30 days of the first decision (45 in
    remote areas), or once the first resolver's deadline has passed without a decision. The
    round-2 case opens at the superior organisation, linked to this one."""
    remote = case.remote_area if data.remote_area is None else data.remote_area
    refusal = dl.appeal_refusal(clock.calendar, on=on, decided_on=case.decided_on, first_due=case.due, remote=remote)
    if refusal:
        raise _conflict(case, principal, refusal)
    first_resolver = await session.get(Organization, holder_org_id(case))
    superior = None
    if first_resolver and first_resolver.parent_code:
        superior = (await session.execute(select(Organization).where(
            Organization.code == first_resolver.parent_code))).scalar_one_or_none()
    if superior is None:
        raise _conflict(case, principal, f"{first_resolver.code if first_resolver else 'The resolver'} has no superior "
                        "organisation configured to resolve a second-time complaint.")
    petitioners = await load_petitioners(session, case.id)
    data2 = CaseCreate(
        kind=Kind.complaint, channel="forwarded", received_on=on, title=case.title, content=case.content,
        field=case.field, location_unit_code=case.location_unit_code, respondent=case.respondent,
        petitioners=_as_input(petitioners),
        petitioner_count=case.petitioner_count or None, anonymous=case.anonymous or not petitioners,
        complaint_round=2, decision_date=case.decided_on, remote_area=remote,
    )
    opened = await intake(session, principal, data2, clock, check_duplicates=False, parent=case,
                          receiving_org=superior, audit_action="case.create_appeal")
    opened.case.filing_late = False  # the round-2 window was checked above
    changes["opened_case_id"] = opened.case.id
    changes["superior_org"] = superior.code
    return opened


async def _flag_urgent(session, principal, case: Case, data: TransitionIn, clock, on, changes) -> None:
    # issue 8 item 7 (urgent alerts, Quy chế 2387 Art 23): kept tiny; the rule is app/services/alerts.py
    from app.services.alerts import apply_flag_urgent

    apply_flag_urgent(case, data.urgent_reason, changes)


_APPLY = {
    "reclassify": _reclassify, "forward": _forward, "accept": _accept, "return": _return, "archive": _archive,
    "reject": _reject, "guide": _guide, "suspend": _suspend, "resume": _resume, "extend": _extend,
    "decide": _decide, "close": _close, "appeal": _appeal,
    "flag_urgent": _flag_urgent,  # issue 8 item 7
}


async def split(session: AsyncSession, principal: Principal, case: Case, data: SplitIn, clock: Clock,
                if_match: str | None) -> tuple[Case, list[IntakeResult]]:
    """A petition with several contents becomes linked cases, one per content: the first part
    stays in this case (reclassified if needed), each other part opens a new case."""
    _require_actor(case, principal)
    check_version(case, if_match)
    if case.status != Status.received:
        raise _conflict(case, principal, "Only a case still at reception (received) can be split.")
    first, rest = data.parts[0], data.parts[1:]
    changes: dict[str, Any] = {}
    if first.kind.value != case.kind:
        _change_kind(case, first.kind, 1 if first.kind == Kind.complaint else None, clock, changes)
    for name in ("title", "content"):
        if getattr(first, name) != getattr(case, name):
            changes[name] = {"from": getattr(case, name), "to": getattr(first, name)}
            setattr(case, name, getattr(first, name))
    if first.field and first.field.value != case.field:
        changes["field"] = {"from": case.field, "to": first.field.value}
        case.field = first.field.value
    case.search_text = _search_text(case)
    petitioners = await load_petitioners(session, case.id)
    receiving = await session.get(Organization, case.receiving_org_id)
    # Every new case's PIN is hashed before the first of them is audited: that first audit event
    # takes the chain lock until commit, and argon2 must not run while every other writer waits.
    pins = [await _pin_and_hash(session) for _ in rest]
    opened = []
    for part, (pin, pin_hash) in zip(rest, pins, strict=True):
        data_n = CaseCreate(
            kind=part.kind, channel=case.channel, received_on=case.received_on, title=part.title,
            content=part.content, field=part.field or case.field, location_unit_code=case.location_unit_code,
            respondent=case.respondent,
            petitioners=_as_input(petitioners),
            petitioner_count=case.petitioner_count or None, anonymous=case.anonymous,
            decision_date=case.decision_date if part.kind == Kind.complaint else None, remote_area=case.remote_area,
        )
        opened.append(await intake(session, principal, data_n, clock, pin=pin, pin_hash=pin_hash,
                                   check_duplicates=False, split_from=case, receiving_org=receiving,
                                   audit_action="case.create_split"))
    changes["split_into"] = [o.case.id for o in opened]
    case.version += 1
    case.updated_at = utcnow()
    await session.flush()
    await audit.record(session, actor=principal, action="case.split", entity="case", entity_id=case.id,
                       case_id=case.id, changes=changes, reason=data.reason)
    return case, opened
