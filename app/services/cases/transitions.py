"""Changing a case: descriptive edits, lifecycle transitions (one handler per action of
app/workflows/lifecycle.py), and splitting a petition with several contents."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db import referenced
from app.errors import (
    Forbidden,
    field_error,
    required_fields,
)
from app.models.base import utcnow
from app.models.cases import (
    Case,
    CaseCreate,
    CaseField,
    CaseSplitCreate,
    CaseTransitionCreate,
    CaseUpdate,
    Channel,
    FilingObstacle,
)
from app.models.reference import Organization
from app.security import Principal
from app.services import audit
from app.services.cases import obligations, steps
from app.services.cases.common import (
    IntakeResult,
    TransitionResult,
    _as_input,
    _conflict,
    _org_by_code,
    _require_actor,
    _start_intake_stage,
    _start_stage,
    _stop_clock,
    _unit,
    _visible_or_422,
    check_version,
    holder_org_id,
    identity_protected,
    load_petitioners,
    protect_identity,
    write_search_text,
)
from app.services.cases.intake import _check_decision_date, _filing_late, intake
from app.services.cases.withdrawal import apply_withdrawal
from app.services.clock import Clock, rule_by_key
from app.services.reference import org_path
from app.workflows import actions
from app.workflows import deadlines as dl
from app.workflows import lifecycle as lc
from app.workflows.lifecycle import Kind, Stage, Status
from app.workflows.roles import Role

# (not the unit: that is the `relocate` transition, which keeps the old unit on its audit event)
_DESCRIPTIVE = ("title", "content", "field", "respondent", "decision_date", "remote_area")


async def update(
    session: AsyncSession, principal: Principal, case: Case, data: CaseUpdate, clock: Clock, if_match: str | None
) -> Case:
    """Descriptive fields only; the holder's desk or handler, with the version they read."""
    _require_actor(case, principal)
    check_version(case, if_match)
    patch = data.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    for name in _DESCRIPTIVE:
        if name not in patch:
            continue
        value = patch[name]
        if value is None and name in ("title", "field", "remote_area"):
            raise field_error(f"body.{name}", "may not be null")
        if hasattr(value, "value"):
            value = value.value
        if name == "decision_date":
            _check_decision_date(case.kind, value, case.received_on)
        if getattr(case, name) != value:
            changes[name] = {"from": getattr(case, name), "to": value}
            setattr(case, name, value)
    if "decision_date" in changes:
        if case.decision_date is None or (case.decision_received_on and case.decision_received_on < case.decision_date):
            case.decision_received_on = None  # (it defaults to the decision's date)
        case.filing_late = _filing_late(clock.calendar, case)
    if not changes:
        return case
    await write_search_text(session, case)
    case.version += 1
    case.updated_at = utcnow()
    await session.flush()
    event = await audit.record(
        session,
        actor=principal,
        action="case.update",
        entity="case",
        entity_id=case.id,
        case_id=case.id,
        changes=changes,
    )
    await steps.record_step(session, case, "update", clock.today, event)
    return case


async def transition(
    session: AsyncSession,
    principal: Principal,
    case: Case,
    data: CaseTransitionCreate,
    clock: Clock,
    if_match: str | None,
) -> TransitionResult:
    if principal.role not in lc.TRANSITION_ROLES:
        raise Forbidden(f"Role '{principal.role.value}' may not transition cases.")
    check_version(case, if_match)
    kind, status = Kind(case.kind), Status(case.status)
    action = lc.find(data.action, kind, case.complaint_round, status)
    if action is None:
        if not lc.candidates(data.action, kind, case.complaint_round):
            raise _conflict(
                case,
                principal,
                f"'{data.action}' does not apply to a {kind.value}"
                + (f" (round {case.complaint_round})" if case.complaint_round else "")
                + ".",
            )
        raise _conflict(case, principal, f"'{data.action}' is not allowed while the case is {status.value}.")
    if Role(principal.role) not in action.roles:
        raise Forbidden(
            f"Role '{principal.role.value}' may not '{action.name}'; allowed: "
            f"{', '.join(sorted(r.value for r in action.roles))}."
        )
    receiver = action.by_receiver and principal.org.id == case.receiving_org_id
    if principal.org.id != holder_org_id(case) and not receiver:
        raise Forbidden("Only the organisation holding the case may act on it.")
    if not action.open_to(kind, principal.org.may_resolve):
        raise Forbidden(
            f"{principal.org.code} does not resolve complaints or denunciations, so it may not "
            f"'{action.name}' this {kind.value}: only the competent resolver accepts or refuses it "
            "(thụ lý). Forward it to the competent body or guide the citizen (Luật Tiếp công dân Art 26)."
        )
    missing = actions.missing(action.required, data)
    if missing:
        raise required_fields(action.name, missing)
    grounds = action.grounds_for(kind)
    if grounds and data.ground not in {g.code for g in grounds}:
        raise field_error(
            "body.ground",
            f"not a ground for '{action.name}' of a {kind.value}; one of " + ", ".join(g.code for g in grounds),
        )
    on = data.on or clock.today
    if on > clock.today:
        raise field_error("body.on", f"is in the future (today is {clock.today.isoformat()} in Hanoi)")
    if on < case.last_event_on:
        raise field_error("body.on", f"is before the case's last event ({case.last_event_on.isoformat()})")
    not_in_force = action.not_yet_in_force(on)
    if not_in_force:
        raise _conflict(case, principal, not_in_force)

    before = {"status": case.status, "due": case.due, "stage": case.stage, "assigned_org_id": case.assigned_org_id}
    before_status = case.status
    ctx = ActionContext(
        session=session, principal=principal, case=case, data=data, clock=clock, on=on, changes={}, action=action
    )
    handler = _APPLY.get(action.name)
    opened = await handler(ctx) if handler is not None else None
    await obligations.on_event(session, case, action.name, on, clock, ctx.changes)
    await _apply_clock(ctx)
    if action.to_status is not None:
        case.status = action.to_status.value
    steps.mark_end(case, before_status, on)
    changes = ctx.changes
    for k in ("due", "stage"):
        if getattr(case, k) != before[k]:
            changes[k] = {"from": before[k], "to": getattr(case, k)}
    case.last_event_on = on
    case.version += 1
    case.updated_at = utcnow()
    # No flush of its own: the next flush (a later query's, or the commit's) writes the case.
    event = await audit.record(
        session,
        actor=principal,
        action=f"case.{action.name}",
        entity="case",
        entity_id=case.id,
        case_id=case.id,
        from_status=before_status,
        to_status=case.status,
        changes={"on": on, **changes},
        reason=data.reason,
    )
    await steps.record_step(session, case, action.name, on, event)  # reports: the dated history
    return TransitionResult(case=case, opened=opened)


@dataclass
class ActionContext:
    """What a handler of one action works with: the request, the case (loaded for update), the
    request's clock, the action's date and the change record the audit event will carry."""

    session: AsyncSession
    principal: Principal
    case: Case
    data: CaseTransitionCreate
    clock: Clock
    on: date
    changes: dict[str, Any]
    action: lc.Action


async def _apply_clock(ctx: ActionContext) -> None:
    """What the action's `clock` column of the lifecycle table does to the statutory clock — the
    one place that starts, pauses, resumes, extends and stops stages."""
    case, clock, on = ctx.case, ctx.clock, ctx.on
    effect = ctx.action.clock
    if effect == LcClock.start_processing:  # the intake stage again, counted from receipt
        await _start_intake_stage(ctx.session, case, clock)
    elif effect == LcClock.start_acceptance:
        _start_stage(case, clock, Stage.acceptance, on)
    elif effect == LcClock.start_resolution:
        _start_stage(case, clock, Stage.resolution, on)
    elif effect == LcClock.pause:
        case.suspended_on = on
        case.status_before_suspend = case.status
    elif effect == LcClock.resume:
        rule = rule_by_key(clock.rules, case.due_rule)
        if case.due is not None and case.suspended_on is not None:
            mode = rule.mode if rule else "calendar"
            if mode == "calendar":  # from the unrolled end: the roll applies once, to the whole period
                case.period_end = (case.period_end or case.due) + (on - case.suspended_on)
                case.due = clock.calendar.next_working_day(case.period_end)
            else:
                case.due = case.period_end = clock.calendar.shift_for_suspension(case.due, case.suspended_on, on, mode)
        ctx.changes["suspended_days"] = (on - case.suspended_on).days if case.suspended_on else 0
        case.status = case.status_before_suspend or Status.verifying.value
        case.suspended_on = None
        case.status_before_suspend = None
    elif effect == LcClock.extend:
        _extend_clock(ctx)
    elif effect == LcClock.stop and case.stage is not None:
        _stop_clock(case)
    elif effect == LcClock.stop_if_ended and case.stage is not None and Status(case.status) in lc.FINAL_STATUSES:
        _stop_clock(case)  # a withdrawal by everyone of everything ends the case; a partial one does not


def _extend_clock(ctx: ActionContext) -> None:
    case, clock, data = ctx.case, ctx.clock, ctx.data
    rule = rule_by_key(clock.rules, case.due_rule)
    if rule is None or case.due is None or case.stage != Stage.resolution:
        raise _conflict(case, ctx.principal, "Only a running resolution stage can be extended.")
    accepted_on = case.accepted_on or case.stage_started_on
    current_end = case.period_end or case.due
    # a running stage has a start; `extend` requires a complexity, which _extend checked
    assert accepted_on is not None and data.complexity is not None
    try:
        new_due = dl.extension_due(
            rule,
            current_end if case.kind == Kind.denunciation else case.due,
            clock.calendar,
            extensions_used=case.extensions_used,
            complexity=data.complexity,
            accepted_on=accepted_on,
            remote=case.remote_area,
            days=data.days,
        )
    except dl.ExtensionNotAllowed as exc:
        raise _conflict(case, ctx.principal, f"Extension refused: {exc}") from None
    if case.kind == Kind.denunciation:
        added = dl.extension_length(rule, days=data.days)
        case.period_end = current_end + timedelta(days=added)
        ctx.changes["days"] = added
    else:
        case.period_end = dl.period_end(rule, accepted_on, complex=True, remote=case.remote_area) or new_due
    case.extensions_used += 1
    case.complexity = data.complexity
    case.due = new_due
    ctx.changes["complexity"] = data.complexity
    ctx.changes["extensions_used"] = case.extensions_used


LcClock = lc.Clock  # the lifecycle's clock effects (not the request's Clock)


def _change_kind(case: Case, new_kind: Kind, new_round: int | None, changes: dict[str, Any]) -> None:
    """Classified by content, not title (TT 05/2021 Art 6); the new kind's clock runs from
    receipt, as the law counts it (the caller restarts it)."""
    changes["kind"] = {"from": case.kind, "to": new_kind.value}
    if new_round != case.complaint_round:
        changes["complaint_round"] = {"from": case.complaint_round, "to": new_round}
    if new_kind != Kind.complaint:
        case.decision_date, case.filing_late = None, False
        case.decision_received_on, case.filing_obstacle_days, case.filing_obstacle_reason = None, 0, None
    case.kind, case.complaint_round = new_kind.value, new_round


async def _reclassify(ctx: ActionContext) -> None:
    case, data = ctx.case, ctx.data
    assert data.kind is not None  # the lifecycle table requires it (checked before the handler runs)
    new_kind = Kind(data.kind)
    new_round = (data.complaint_round or 1) if new_kind == Kind.complaint else None
    if new_kind == Kind(case.kind) and new_round == case.complaint_round:
        raise field_error("body.kind", f"the case is already a {new_kind.value}")
    _change_kind(case, new_kind, new_round, ctx.changes)
    if new_kind == Kind.denunciation and await protect_identity(ctx.session, case):
        ctx.changes["identity_protected"] = True  # and it stays so, whatever the case becomes later


async def _forward(ctx: ActionContext) -> None:
    session, case = ctx.session, ctx.case
    target = await _org_by_code(session, ctx.data.to_org, "body.to_org")
    if target.id == holder_org_id(case):
        raise field_error("body.to_org", "the case is already held by this organisation")
    ctx.changes["assigned_org"] = {
        "from": (await referenced(session, Organization, holder_org_id(case))).code,
        "to": target.code,
    }
    path = await org_path(session, target)  # (looked up before the case changes: no autoflush in between)
    case.assigned_org_id = target.id
    case.assigned_path = path


async def _accept(ctx: ActionContext) -> None:
    case, data = ctx.case, ctx.data
    if data.remote_area is not None and data.remote_area != case.remote_area:
        ctx.changes["remote_area"] = {"from": case.remote_area, "to": data.remote_area}
        case.remote_area = data.remote_area
    if case.assigned_org_id is None:  # own competence: the receiving body accepts
        case.assigned_org_id = case.receiving_org_id
        case.assigned_path = case.receiving_path
    case.accepted_on = ctx.on


async def _return(ctx: ActionContext) -> None:
    case = ctx.case
    ctx.changes["assigned_org"] = {
        "from": (await referenced(ctx.session, Organization, case.assigned_org_id)).code,
        "to": None,
    }
    case.assigned_org_id = None
    case.assigned_path = None


async def _archive(ctx: ActionContext) -> None:
    case, data = ctx.case, ctx.data
    ctx.changes["ground"] = data.ground
    if data.ground == "duplicate":
        if data.duplicate_of is None:
            raise field_error("body.duplicate_of", "required when the ground is duplicate")
        if data.duplicate_of == case.id:
            raise field_error("body.duplicate_of", "a case cannot duplicate itself")
        original = await _visible_or_422(ctx.session, ctx.principal, data.duplicate_of, "body.duplicate_of")
        case.duplicate_of_id = data.duplicate_of
        ctx.changes["duplicate_of"] = data.duplicate_of
        # The link says both are the same person: if either identity is protected, so is the other.
        if identity_protected(case) or identity_protected(original):
            protected_now = [c.id for c in (case, original) if await protect_identity(ctx.session, c)]
            if protected_now:
                ctx.changes["identity_protected"] = protected_now


async def _reject(ctx: ActionContext) -> None:
    ctx.changes["ground"] = ctx.data.ground


async def _guide(ctx: ActionContext) -> None:
    if ctx.data.guided_to:
        ctx.changes["guided_to"] = ctx.data.guided_to


async def _extend(ctx: ActionContext) -> None:
    """Gia hạn (Luật Tố cáo Art 30; Luật Khiếu nại Art 28, 37), decided on or before the due date:
    a late extension would erase the fact that the case was overdue (decision 0032)."""
    case = ctx.case
    if ctx.data.complexity not in lc.COMPLEXITIES:
        raise field_error("body.complexity", f"one of {', '.join(lc.COMPLEXITIES)}")
    if ctx.data.days is not None and case.kind != Kind.denunciation:
        raise field_error("body.days", "only a denunciation's extension takes a number of days (Luật Tố cáo Art 30)")
    if case.due is not None and ctx.on > case.due:
        raise _conflict(
            case,
            ctx.principal,
            f"Extension refused: the case was due on {case.due.isoformat()}; an "
            "extension must be decided on or before the due date, and the case stays overdue.",
        )
    ctx.changes["decided_by_due"] = case.due.isoformat() if case.due else None


async def _decide(ctx: ActionContext) -> None:
    case, data = ctx.case, ctx.data
    outcomes = lc.OUTCOMES[Kind(case.kind)]
    if data.outcome not in outcomes:
        raise field_error("body.outcome", f"for a {case.kind}: one of {', '.join(outcomes)}")
    # Luật Khiếu nại Art 39 (round 2) and Art 30 (round 1 when verification differs): a held dialogue first.
    from app.services.dialogues import require_dialogue_before_decision  # late: dialogues build on cases

    await require_dialogue_before_decision(ctx.session, case, data.verification_differs)
    case.outcome = data.outcome
    case.outcome_summary = data.summary
    case.decided_on = ctx.on
    ctx.changes["outcome"] = data.outcome
    ctx.changes["on_time"] = case.due is None or ctx.on <= case.due
    case.decided_late = not ctx.changes["on_time"]


async def _close(ctx: ActionContext) -> None:
    ctx.case.closed_on = ctx.on


async def _appeal(ctx: ActionContext) -> IntakeResult:
    """Khiếu nại lần hai (Luật Khiếu nại Art 33): within 30 days of the first decision (45 in
    remote areas), or once the first resolver's deadline has passed without a decision. The
    round-2 case opens at the superior organisation, linked to this one."""
    session, principal, case, data, clock, on = ctx.session, ctx.principal, ctx.case, ctx.data, ctx.clock, ctx.on
    remote = case.remote_area if data.remote_area is None else data.remote_area
    received = data.decision_received_on
    if received is not None:
        if case.decided_on is None:
            raise field_error("body.decision_received_on", "there is no first decision yet")
        if received < case.decided_on:
            raise field_error(
                "body.decision_received_on", f"is before the first decision ({case.decided_on.isoformat()})"
            )
        if received > on:
            raise field_error("body.decision_received_on", "is after the appeal's date")
        ctx.changes["decision_received_on"] = received
    refusal = dl.appeal_refusal(
        clock.calendar,
        on=on,
        decided_on=case.decided_on,
        first_due=case.due,
        remote=remote,
        decision_received_on=received,
    )
    if refusal:
        raise _conflict(case, principal, refusal)
    first_resolver = await session.get(Organization, holder_org_id(case))
    superior = None
    if first_resolver and first_resolver.parent_code:
        superior = (
            await session.execute(select(Organization).where(col(Organization.code) == first_resolver.parent_code))
        ).scalar_one_or_none()
    if superior is None:
        raise _conflict(
            case,
            principal,
            f"{first_resolver.code if first_resolver else 'The resolver'} has no superior "
            "organisation configured to resolve a second-time complaint.",
        )
    petitioners = await load_petitioners(session, case.id)
    data2 = CaseCreate(
        kind=Kind.complaint,
        channel=Channel.forwarded,
        received_on=on,
        title=case.title,
        content=case.content,
        field=CaseField(case.field),
        location_unit_code=case.location_unit_code,
        respondent=case.respondent,
        petitioners=_as_input(petitioners),
        petitioner_count=case.petitioner_count or None,
        anonymous=case.anonymous or not petitioners,
        complaint_round=2,
        decision_date=case.decided_on,
        decision_received_on=received,
        remote_area=remote,
    )
    opened = await intake(
        session,
        principal,
        data2,
        clock,
        check_duplicates=False,
        parent=case,
        receiving_org=superior,
        audit_action="case.create_appeal",
    )
    opened.case.filing_late = False  # the round-2 window was checked above
    ctx.changes["opened_case_id"] = opened.case.id
    ctx.changes["superior_org"] = superior.code
    return opened


async def _relocate(ctx: ActionContext) -> None:
    """The case is about another place (a mistaken unit, an address resolved anew). Its event
    records both units and the old unit's path, so that the supervisors of the old unit keep
    seeing that it moved, and where (app/services/cases_scope.py relocated_from_clause)."""
    case, data = ctx.case, ctx.data
    unit = await _unit(ctx.session, data.location_unit_code, "body.location_unit_code")
    if unit.code == case.location_unit_code:
        raise field_error("body.location_unit_code", f"the case is already located in {unit.code}")
    ctx.changes["location_unit_code"] = {"from": case.location_unit_code, "to": unit.code}
    ctx.changes["location_path"] = {"from": case.location_path, "to": unit.path}
    case.location_unit_code, case.location_path = unit.code, unit.path


async def _withdraw(ctx: ActionContext) -> None:
    await apply_withdrawal(ctx.session, ctx.principal, ctx.case, ctx.data, ctx.clock, ctx.on, ctx.changes)


async def _notify(ctx: ActionContext) -> None:
    await obligations.fulfil(ctx.session, ctx.principal, ctx.case, ctx.data.obligation, ctx.on, ctx.changes)


async def _flag_urgent(ctx: ActionContext) -> None:
    """Quy chế 2387 Art 23: an urgent case (mass petition, security, disaster, epidemic) is
    reported at once; the rule is app/services/alerts.py, the feed GET /alerts."""
    from app.services.alerts import apply_flag_urgent  # late: alerts build on cases

    apply_flag_urgent(ctx.case, ctx.data.urgent_reason, ctx.changes)


_APPLY: dict[str, Callable[[ActionContext], Awaitable[IntakeResult | None]]] = {
    "reclassify": _reclassify,
    "forward": _forward,
    "accept": _accept,
    "return": _return,
    "archive": _archive,
    "reject": _reject,
    "guide": _guide,
    "extend": _extend,
    "decide": _decide,
    "close": _close,
    "appeal": _appeal,
    "relocate": _relocate,
    "withdraw": _withdraw,
    "notify": _notify,
    "flag_urgent": _flag_urgent,
}


async def split(
    session: AsyncSession, principal: Principal, case: Case, data: CaseSplitCreate, clock: Clock, if_match: str | None
) -> tuple[Case, list[IntakeResult]]:
    """A petition with several contents becomes linked cases, one per content: the first part
    stays in this case (reclassified if needed), each other part opens a new case."""
    _require_actor(case, principal)
    check_version(case, if_match)
    if case.status != Status.received:
        raise _conflict(case, principal, "Only a case still at reception (received) can be split.")
    first, rest = data.parts[0], data.parts[1:]
    changes: dict[str, Any] = {}
    if first.kind.value != case.kind:
        _change_kind(case, first.kind, 1 if first.kind == Kind.complaint else None, changes)
        await _start_intake_stage(session, case, clock)
        if first.kind == Kind.denunciation and await protect_identity(session, case):
            changes["identity_protected"] = True
    for name in ("title", "content"):
        if getattr(first, name) != getattr(case, name):
            changes[name] = {"from": getattr(case, name), "to": getattr(first, name)}
            setattr(case, name, getattr(first, name))
    if first.field and first.field.value != case.field:
        changes["field"] = {"from": case.field, "to": first.field.value}
        case.field = first.field.value
    await write_search_text(session, case)
    petitioners = await load_petitioners(session, case.id)
    receiving = await session.get(Organization, case.receiving_org_id)
    opened = []
    for part in rest:
        from_complaint = part.kind == Kind.complaint and case.kind == Kind.complaint  # keeps the filing facts
        data_n = CaseCreate(
            kind=part.kind,
            channel=Channel(case.channel),
            received_on=case.received_on,
            title=part.title,
            content=part.content,
            field=part.field or CaseField(case.field),
            location_unit_code=case.location_unit_code,
            respondent=case.respondent,
            petitioners=_as_input(petitioners),
            petitioner_count=case.petitioner_count or None,
            anonymous=case.anonymous,
            decision_date=case.decision_date if part.kind == Kind.complaint else None,
            remote_area=case.remote_area,
            decision_received_on=case.decision_received_on if from_complaint else None,
            filing_obstacle=FilingObstacle(days=case.filing_obstacle_days, reason=case.filing_obstacle_reason or "")
            if from_complaint
            else None,
        )
        opened.append(
            await intake(
                session,
                principal,
                data_n,
                clock,
                check_duplicates=False,
                split_from=case,
                receiving_org=receiving,
                audit_action="case.create_split",
            )
        )
    changes["split_into"] = [o.case.id for o in opened]
    case.version += 1
    case.updated_at = utcnow()
    await session.flush()
    event = await audit.record(
        session,
        actor=principal,
        action="case.split",
        entity="case",
        entity_id=case.id,
        case_id=case.id,
        changes=changes,
        reason=data.reason,
    )
    await steps.record_step(session, case, "split", clock.today, event)
    return case, opened
