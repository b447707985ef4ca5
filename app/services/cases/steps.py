"""The cases' dated history (`case_step`), which periodic reports are computed from
(app/services/reports.py, docs/reports.md).

`record_step` is called by each use case that changes a case (intake, transition, update, split),
after its audit event, in the same transaction: the change, its audit event and its step commit
together or not at all. Append-only: nothing updates or deletes a step."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.audit import AuditEvent
from app.models.cases import Case
from app.models.reports import CaseStep
from app.services import audit
from app.workflows.lifecycle import FINAL_STATUSES, Status


def mark_end(case: Case, status_before: object, on: date) -> None:
    """The day a case reaches a final status (from an open one) is its `ended_on`."""
    if Status(case.status) in FINAL_STATUSES and Status(str(status_before)) not in FINAL_STATUSES:
        case.ended_on = on


def step_for(case: Case, action: str, on: date) -> CaseStep:
    """The case's state from `on`, as a step (the case's columns, now); its `audit_seq` is set
    when its event joins the chain (`record_step`)."""
    assert case.id is not None
    holder = case.assigned_path or case.receiving_path
    return CaseStep(
        case_id=case.id,
        on=on,
        action=action[:32],
        status=case.status,
        kind=case.kind,
        field=case.field,
        location_path=case.location_path,
        holder_path=holder,
        received_on=case.received_on,
        stage=case.stage,
        due=case.due,
        accepted_on=case.accepted_on,
        decided_on=case.decided_on,
        ended_on=case.ended_on,
        forwarded=case.assigned_org_id is not None and case.assigned_org_id != case.receiving_org_id,
        mass=case.mass,
        petitioner_count=case.petitioner_count,
        outcome=case.outcome,
        decided_late=case.decided_late,
    )


async def record_step(session: AsyncSession, case: Case, action: str, on: date, event: AuditEvent) -> None:
    """Append the case's state after `action` (effective `on`), tied to its audit `event`: the
    event's seq is known only when it joins the chain, at commit (decision 0090)."""
    audit.attach(session, event, step_for(case, action, on))
