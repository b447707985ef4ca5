"""Reading cases: the jurisdiction-scoped, keyset-paginated list and a case's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

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
    # the equivalents of the periodic reports' indicators (docs/reports.md)
    pending_on: date | None = None
    ended_from: date | None = None
    ended_to: date | None = None
    accepted: bool | None = None
    accepted_from: date | None = None
    accepted_to: date | None = None
    decided_from: date | None = None
    decided_to: date | None = None
    decided_late: bool | None = None
    outcome: str | None = None
    forwarded: bool | None = None
    mass: bool | None = None
    signers_min: int | None = None


# sort parameter -> (Case column, descending)
SORTS = {
    "-received_on": ("received_on", True),
    "received_on": ("received_on", False),
    "due": ("due", False),
    "-due": ("due", True),
    "-id": ("id", True),
    "id": ("id", False),
    "-updated_at": ("updated_at", True),
}


async def list_cases(
    session: AsyncSession, principal: Principal, f: CaseFilters, today: date, *, limit: int, after: list[Any] | None
) -> tuple[list[Case], list[Any] | None]:
    """Keyset-paginated, scoped to the caller's jurisdiction, sorted by a stable key (the sort
    column, then id)."""
    stmt = select(Case)
    in_scope = False
    if f.unit:
        unit = await session.get(AdminUnit, f.unit)
        if unit is None:
            raise unknown_reference("query.unit", f"no administrative unit with code {f.unit}")
        stmt = stmt.where(col(Case.location_path).startswith(unit.path, autoescape=True))
        # a place in the caller's jurisdiction: the place filter implies the scope's condition
        in_scope = principal.covers(unit.path)
    if not in_scope:
        stmt = stmt.where(visible_clause(principal))
    if f.overdue:
        # the status filter and the overdue clause's running statuses as one list (same cases)
        stmt = stmt.where(overdue_clause(today, among=f.status or None))
    elif f.status:
        stmt = stmt.where(col(Case.status).in_(f.status))
    if f.kind:
        stmt = stmt.where(col(Case.kind) == f.kind)
    if f.field:
        stmt = stmt.where(col(Case.field) == f.field)
    for name, org_column in (
        ("assigned_org", col(Case.assigned_org_id)),
        ("receiving_org", col(Case.receiving_org_id)),
    ):
        code = getattr(f, name)
        if code:
            org = (await session.execute(select(Organization).where(Organization.code == code))).scalar_one_or_none()
            if org is None:
                raise unknown_reference(f"query.{name}", f"no organisation with code {code}")
            stmt = stmt.where(org_column == org.id)
    if f.overdue is False:
        stmt = stmt.where(~overdue_clause(today))
    if f.obligation_overdue is not None:
        missed = case_has_overdue_obligation(col(Case.id), today)
        stmt = stmt.where(missed if f.obligation_overdue else ~missed)
    if f.due_before:
        stmt = stmt.where(col(Case.due) < f.due_before)
    if f.received_from:
        stmt = stmt.where(col(Case.received_on) >= f.received_from)
    if f.received_to:
        stmt = stmt.where(col(Case.received_on) <= f.received_to)
    stmt = _report_filters(stmt, f)
    if f.q:
        terms = fold(f.q).split()[:8]
        if terms:
            stmt = stmt.join(CaseSearch, col(CaseSearch.case_id) == col(Case.id)).where(
                *(col(CaseSearch.text).contains(term, autoescape=True) for term in terms)
            )
    sort_name, desc = SORTS[f.sort]
    sort_col = col(getattr(Case, sort_name))
    if sort_name == "due":
        stmt = stmt.where(col(Case.due).is_not(None))  # a due-date order lists cases with a running clock
    if after is not None:
        value, last_id = after
        if sort_name != "id":
            if sort_name in ("received_on", "due"):
                value = date.fromisoformat(value)
            elif sort_name == "updated_at":
                value = datetime.fromisoformat(value)
            # a row comparison, (sort column, id) after the cursor's: an index on both can start
            # there (PostgreSQL takes it as an index condition, not an OR it filters by)
            key = tuple_(sort_col, col(Case.id))  # the cursor's values take the columns' types
            cmp = key < (value, last_id) if desc else key > (value, last_id)
        else:
            cmp = col(Case.id) < last_id if desc else col(Case.id) > last_id
        stmt = stmt.where(cmp)
    order = [sort_col.desc() if desc else sort_col.asc()]
    if sort_name != "id":
        order.append(col(Case.id).desc() if desc else col(Case.id).asc())
    rows = list((await session.execute(stmt.order_by(*order).limit(limit + 1))).scalars())
    nxt = None
    if len(rows) > limit:
        last = rows[limit - 1]
        key = getattr(last, sort_name)
        nxt = [key.isoformat() if hasattr(key, "isoformat") else key, last.id]
    return rows[:limit], nxt


def _in_range(column: Any, start: date | None, end: date | None) -> list[Any]:
    out = []
    if start is not None:
        out.append(column >= start)
    if end is not None:
        out.append(column <= end)
    return out


def _report_filters(stmt: Any, f: CaseFilters) -> Any:
    """The filters a periodic report's numbers correspond to (docs/reports.md): each indicator is
    a count of the cases these select."""
    conds: list[Any] = []
    if f.pending_on is not None:  # received by that day, and neither decided nor ended by its end
        day, ended, decided = f.pending_on, col(Case.ended_on), col(Case.decided_on)
        conds += [
            col(Case.received_on) <= day,
            or_(ended.is_(None), ended > day),
            or_(decided.is_(None), decided > day),
        ]
    conds += _in_range(col(Case.ended_on), f.ended_from, f.ended_to)
    conds += _in_range(col(Case.accepted_on), f.accepted_from, f.accepted_to)
    conds += _in_range(col(Case.decided_on), f.decided_from, f.decided_to)
    if f.accepted is not None:
        conds.append(col(Case.accepted_on).is_not(None) if f.accepted else col(Case.accepted_on).is_(None))
    if f.decided_late is not None:
        conds.append(col(Case.decided_late).is_(f.decided_late))
    if f.outcome is not None:
        conds.append(col(Case.outcome) == f.outcome)
    if f.forwarded is not None:
        assigned = col(Case.assigned_org_id)
        fwd = and_(assigned.is_not(None), assigned != col(Case.receiving_org_id))
        conds.append(fwd if f.forwarded else ~fwd)
    if f.mass is not None:
        conds.append(col(Case.mass).is_(f.mass))
    if f.signers_min is not None:
        conds.append(col(Case.petitioner_count) >= f.signers_min)
    return stmt.where(*conds) if conds else stmt


async def history(session: AsyncSession, case: Case, *, limit: int, after_seq: int | None) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(col(AuditEvent.case_id) == case.id)
    if after_seq is not None:
        stmt = stmt.where(col(AuditEvent.seq) > after_seq)
    return list((await session.execute(stmt.order_by(col(AuditEvent.seq)).limit(limit + 1))).scalars())
