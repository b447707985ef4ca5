"""The `withdraw` action (rút đơn): app/workflows/withdrawal.py decides, this applies it — who
withdrew (`withdrawn_on` on their petitioner rows), and the case's end only when everyone withdrew
everything with no reason to go on (Luật Tố cáo Art 33; Luật Khiếu nại Art 10)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import field_error
from app.models.cases import Case, CaseTransitionCreate
from app.security import Principal
from app.services.cases import obligations
from app.services.cases.common import _stop_clock, load_petitioners
from app.services.clock import Clock
from app.workflows.lifecycle import Status
from app.workflows.withdrawal import WithdrawalRefused, plan_withdrawal


async def apply_withdrawal(
    session: AsyncSession,
    principal: Principal,
    case: Case,
    data: CaseTransitionCreate,
    clock: Clock,
    on: date,
    changes: dict[str, Any],
) -> None:
    petitioners = await load_petitioners(session, case.id)
    try:
        plan = plan_withdrawal(
            kind=case.kind,
            petitioner_ids=[p.id for p in petitioners],
            already_withdrawn=[p.id for p in petitioners if p.withdrawn_on is not None],
            signers=case.petitioner_count,
            requested=data.petitioner_ids,
            partial=data.partial,
            continue_resolution=bool(data.continue_resolution),
        )
    except WithdrawalRefused as exc:
        raise field_error(exc.field, str(exc)) from None
    for p in petitioners:
        if p.id in plan.withdrawing:
            p.withdrawn_on = on
    # Ids, not names: the trail is readable by supervisors (identity protection).
    changes["withdrawn_petitioner_ids"] = list(plan.withdrawing)
    changes["by_everyone"] = plan.by_everyone
    if data.partial is not None:
        changes["partial"] = data.partial
        changes["partial_by_petitioner_ids"] = (
            sorted(data.petitioner_ids)
            if data.petitioner_ids is not None
            else [p.id for p in petitioners if p.withdrawn_on is None]
        )
    if plan.continues_because == "art33_3":
        changes["continue_resolution"] = True  # the reason is the event's reason (Luật Tố cáo Art 33(3))
    if plan.ends_case:
        case.status = Status.withdrawn.value
        if case.stage is not None:
            _stop_clock(case)
        await obligations.on_event(session, case, "withdraw_all", on, clock, changes)
    else:
        changes["continues"] = plan.continues_because
