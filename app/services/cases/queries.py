"""Reading cases: the jurisdiction-scoped, keyset-paginated list and a case's history."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlmodel
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import unknown_reference
from app.models.audit import AuditEvent
from app.models.cases import Case, CaseSearch, overdue_clause
from app.models.obligations import case_has_overdue_obligation
from app.models.reference import AdminUnit, Organization
from app.security import Principal
from app.services.cases_scope import visible_clause
from app.workflows.text import fold


@dataclass
class CaseFilters:
    status: list[str] | None = None
    kind: str | None = None
    field: str | None = None
    unit: str | None = None
    assigned_org: str | None = None
    receiving_org: str | None = None
    overdue: bool | None = None
    obligation_overdue: bool | None = None
    due_before: date | None = None
    received_from: date | None = None
    received_to: date | None = None
    q: str | None = None
    sort: str = "-received_on"


SORTS = {
    "-received_on": (Case.received_on, True), "received_on": (Case.received_on, False),
    "due": (Case.due, False), "-due": (Case.due, True), "-id": (Case.id, True), "id": (Case.id, False),
    "-updated_at": (Case.updated_at, True),
}


async def list_cases(session: AsyncSession, principal: Principal, f: CaseFilters, today: date, *, limit: int,
                     after: list[Any] | None) -> tuple[list[Case], list[Any] | None]:
    """Keyset-paginated, scoped to the caller's jurisdiction, sorted by a stable key (the sort
    column, then id)."""
    stmt = select(Case).where(visible_clause(principal))
    if f.status:
        stmt = stmt.where(Case.status.in_(f.status))
    if f.kind:
        stmt = stmt.where(Case.kind == f.kind)
    if f.field:
        stmt = stmt.where(Case.field == f.field)
    if f.unit:
        unit = await session.get(AdminUnit, f.unit)
        if unit is None:
            raise unknown_reference("query.unit", f"no administrative unit with code {f.unit}")
        stmt = stmt.where(Case.location_path.startswith(unit.path, autoescape=True))
    for name, col in (("assigned_org", Case.assigned_org_id), ("receiving_org", Case.receiving_org_id)):
        code = getattr(f, name)
        if code:
            org = (await session.execute(select(Organization).where(Organization.code == code))).scalar_one_or_none()
            if org is None:
                raise unknown_reference(f"query.{name}", f"no organisation with code {code}")
            stmt = stmt.where(col == org.id)
    if f.overdue is not None:
        stmt = stmt.where(overdue_clause(today) if f.overdue else ~overdue_clause(today))
    if f.obligation_overdue is not None:
        missed = case_has_overdue_obligation(Case.id, today)
        stmt = stmt.where(missed if f.obligation_overdue else ~missed)
    if f.due_before:
        stmt = stmt.where(Case.due < f.due_before)
    if f.received_from:
        stmt = stmt.where(Case.received_on >= f.received_from)
    if f.received_to:
        stmt = stmt.where(Case.received_on <= f.received_to)
    if f.q:
        terms = fold(f.q).split()[:8]
        if terms:
            stmt = stmt.join(CaseSearch, sqlmodel.col(CaseSearch.case_id) == sqlmodel.col(Case.id)).where(
                *(sqlmodel.col(CaseSearch.text).contains(term, autoescape=True) for term in terms))
    col, desc = SORTS[f.sort]
    if col is Case.due:
        stmt = stmt.where(Case.due.is_not(None))  # a due-date order lists cases with a running clock
    if after is not None:
        value, last_id = after
        if col is not Case.id:
            value = date.fromisoformat(value) if col in (Case.received_on, Case.due) else value
            if col is Case.updated_at:
                value = datetime.fromisoformat(value)
            cmp = or_(col < value, and_(col == value, Case.id < last_id)) if desc else \
                or_(col > value, and_(col == value, Case.id > last_id))
        else:
            cmp = Case.id < last_id if desc else Case.id > last_id
        stmt = stmt.where(cmp)
    order = [col.desc() if desc else col.asc()]
    if col is not Case.id:
        order.append(Case.id.desc() if desc else Case.id.asc())
    rows = list((await session.execute(stmt.order_by(*order).limit(limit + 1))).scalars())
    nxt = None
    if len(rows) > limit:
        last = rows[limit - 1]
        key = getattr(last, col.key)
        nxt = [key.isoformat() if hasattr(key, "isoformat") else key, last.id]
    return rows[:limit], nxt


async def history(session: AsyncSession, case: Case, *, limit: int, after_seq: int | None) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.case_id == case.id)
    if after_seq is not None:
        stmt = stmt.where(AuditEvent.seq > after_seq)
    return list((await session.execute(stmt.order_by(AuditEvent.seq).limit(limit + 1))).scalars())
