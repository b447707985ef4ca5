"""The supervisor's overview of a unit: for the unit and each child unit, the open cases by kind,
stage and status, the overdue ones (the one definition: app/workflows/overdue.py and
app/models/cases.overdue_clause), those due within 5 working days, the oldest overdue case, mass
and urgent cases, the recommendations and commitments open and overdue, and the missed case
obligations.

Computed in SQL with a few grouped queries over the whole subtree, whatever its size: the cases
grouped by (location_path, kind, status, stage), the oldest overdue case of each location_path (a
window function), the recommendations grouped by (unit_path, status). Each location path is then
folded into the child unit it lies in (app/workflows/supervision.child_path): there are at most as
many paths as units, so the folding is cheap and no query runs per unit.

Extension point: COUNT_PROVIDERS. Each provider adds counts to a field of `UnitOverviewPublic` (for
example commitments or missed obligations, issue 8): given the scope, it returns rows of
(a unit path, counts); the rows are folded into the children like the cases' are.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import Forbidden, NotFound
from app.models.cases import Case, overdue_clause
from app.models.dialogues import Commitment, Dialogue, commitment_overdue_clause
from app.models.obligations import CaseObligation, obligation_overdue_clause
from app.models.reference import AdminUnit, UnitLevel
from app.models.supervision import (
    OldestOverduePublic,
    OverviewPublic,
    OverviewUnitPublic,
    Recommendation,
    UnitOverviewPublic,
    due_soon_clause,
    recommendation_overdue_clause,
)
from app.security import Principal
from app.services.clock import work_calendar
from app.workflows.calendar import days_overdue
from app.workflows.dialogues import CommitmentStatus
from app.workflows.lifecycle import OPEN_STATUSES
from app.workflows.recommendations import RecStatus
from app.workflows.roles import Role
from app.workflows.supervision import child_path, due_soon_horizon

OPEN = sorted(s.value for s in OPEN_STATUSES)
OVERSEERS = frozenset({Role.supervisor, Role.admin})


@dataclass(frozen=True)
class Scope:
    unit: AdminUnit
    today: date
    horizon: date  # due soon: up to this day

    @property
    def path(self) -> str:
        return self.unit.path


CountRows = list[tuple[str, dict[str, int]]]
CountProvider = Callable[[AsyncSession, Scope], Awaitable[tuple[str, CountRows]]]
"""A provider returns (the `UnitOverviewPublic` field it fills, rows of (unit path, {counter: n}))."""


def _flag(clause: sa.ColumnElement[bool]) -> Any:
    return func.sum(sa.case((clause, 1), else_=0))


async def case_rows(session: AsyncSession, scope: Scope) -> list[Any]:
    """Open cases in the subtree, grouped by place, kind, status and stage."""
    stmt = (
        select(
            col(Case.location_path),
            col(Case.kind),
            col(Case.status),
            col(Case.stage),
            func.count().label("n"),
            _flag(overdue_clause(scope.today)).label("overdue"),
            _flag(due_soon_clause(scope.today, scope.horizon)).label("due_soon"),
            _flag(col(Case.mass).is_(True)).label("mass"),
            _flag(col(Case.urgent).is_(True)).label("urgent"),
        )
        .where(col(Case.location_path).startswith(scope.path, autoescape=True), col(Case.status).in_(OPEN))
        .group_by(col(Case.location_path), col(Case.kind), col(Case.status), col(Case.stage))
    )
    return list((await session.execute(stmt)).all())


async def oldest_overdue_rows(session: AsyncSession, scope: Scope) -> list[Any]:
    """The oldest overdue case (earliest due, then lowest id) of each place in the subtree."""
    ranked = (
        select(
            col(Case.location_path),
            col(Case.id),
            col(Case.code),
            col(Case.due),
            func.row_number().over(partition_by=Case.location_path, order_by=(col(Case.due), col(Case.id))).label("rn"),
        )
        .where(col(Case.location_path).startswith(scope.path, autoescape=True), overdue_clause(scope.today))
        .subquery()
    )
    stmt = select(ranked.c.location_path, ranked.c.id, ranked.c.code, ranked.c.due).where(ranked.c.rn == 1)
    return list((await session.execute(stmt)).all())


async def recommendation_counts(session: AsyncSession, scope: Scope) -> tuple[str, CountRows]:
    overdue = recommendation_overdue_clause(scope.today)
    stmt = (
        select(
            col(Recommendation.unit_path),
            col(Recommendation.status),
            func.count(),
            _flag(overdue),
            _flag(col(Recommendation.answered_late).is_(True)),
        )
        .where(
            col(Recommendation.unit_path).startswith(scope.path, autoescape=True),
            col(Recommendation.status) != RecStatus.closed.value,
        )
        .group_by(Recommendation.unit_path, Recommendation.status)
    )
    rows: CountRows = []
    for path, status, n, n_overdue, n_late in (await session.execute(stmt)).all():
        rows.append(
            (
                path,
                {
                    "open": n if status == RecStatus.open else 0,
                    "answered": n if status == RecStatus.answered else 0,
                    "overdue": int(n_overdue or 0),
                    "answered_late": int(n_late or 0),
                },
            )
        )
    return "recommendations", rows


async def commitment_counts(session: AsyncSession, scope: Scope) -> tuple[str, CountRows]:
    """Open commitments, and the overdue ones among them, by the unit their dialogue concerns (the
    place `GET /commitments?unit=` filters on)."""
    stmt = (
        select(col(Dialogue.unit_path), func.count(), _flag(commitment_overdue_clause(scope.today)))
        .join(Dialogue, col(Dialogue.id) == col(Commitment.dialogue_id))
        .where(
            col(Dialogue.unit_path).startswith(scope.path, autoescape=True),
            col(Commitment.status) == CommitmentStatus.open.value,
        )
        .group_by(Dialogue.unit_path)
    )
    return "commitments", [
        (path, {"open": n, "overdue": int(n_overdue or 0)})
        for path, n, n_overdue in (await session.execute(stmt)).all()
    ]


async def missed_obligation_counts(session: AsyncSession, scope: Scope) -> tuple[str, CountRows]:
    """The case obligations overdue today, and the cases that have one, by the case's place (the
    place `GET /cases?unit=&obligation_overdue=true` filters on). A case has one place, so the
    distinct cases of each place add up across places."""
    stmt = (
        select(col(Case.location_path), func.count(sa.distinct(col(CaseObligation.case_id))), func.count())
        .join(Case, col(Case.id) == col(CaseObligation.case_id))
        .where(col(Case.location_path).startswith(scope.path, autoescape=True), obligation_overdue_clause(scope.today))
        .group_by(Case.location_path)
    )
    return "missed_obligations", [
        (path, {"cases": n_cases, "obligations": n}) for path, n_cases, n in (await session.execute(stmt)).all()
    ]


COUNT_PROVIDERS: list[CountProvider] = [recommendation_counts, commitment_counts, missed_obligation_counts]
"""Extension point: each provider fills one field of `UnitOverviewPublic` with counts by unit path."""


async def resolve_unit(session: AsyncSession, principal: Principal, code: str | None) -> AdminUnit:
    if principal.role not in OVERSEERS:
        raise Forbidden(f"Role '{principal.role.value}' may not read the supervision overview.")
    if code is None:
        return principal.unit
    unit = await session.get(AdminUnit, code)
    if unit is None or not principal.covers(unit.path):
        raise NotFound(f"No administrative unit {code} in your jurisdiction.")
    return unit


COUNTERS = ("open", "overdue", "due_soon", "mass", "urgent")
"""What each overview row counts (the SQL below selects them in this order)."""


@dataclass(slots=True)
class _Acc:
    """One row's counts while the grouped rows are folded (plain Python: setting fields of the
    response models row by row costs more than the queries)."""

    unit_code: str
    unit_name: str | None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    by_kind: dict[str, int] = field(default_factory=dict)
    by_stage: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    oldest: tuple[date, int, str] | None = None
    provided: dict[str, dict[str, int]] = field(default_factory=dict)

    def out(self, today: date) -> UnitOverviewPublic:
        oldest = None
        if self.oldest is not None:
            due, case_id, code = self.oldest
            oldest = OldestOverduePublic(id=case_id, code=code, due=due, days_overdue=days_overdue(due, today))
        return UnitOverviewPublic.model_validate(
            {
                "unit_code": self.unit_code,
                "unit_name": self.unit_name,
                **self.counts,
                "by_kind": self.by_kind,
                "by_stage": self.by_stage,
                "by_status": self.by_status,
                "oldest_overdue": oldest,
                **self.provided,
            }
        )


def _add(target: dict[str, int], key: str | None, n: int) -> None:
    k = key or "none"
    target[k] = target.get(k, 0) + n


async def overview(session: AsyncSession, principal: Principal, code: str | None, today: date) -> OverviewPublic:
    unit = await resolve_unit(session, principal, code)
    calendar = await work_calendar(session)
    scope = Scope(unit=unit, today=today, horizon=due_soon_horizon(calendar, today))
    children = list(
        (
            await session.execute(
                select(AdminUnit).where(col(AdminUnit.parent_code) == unit.code).order_by(AdminUnit.code)
            )
        ).scalars()
    )
    by_path = {c.path: _Acc(c.code, c.name) for c in children}
    total, own = _Acc(unit.code, unit.name), _Acc(unit.code, unit.name)
    memo: dict[str, tuple[_Acc, _Acc]] = {}

    def rows_for(path: str) -> tuple[_Acc, _Acc]:
        """The rows a place counts in: the total, and its child (or the unit's own row)."""
        if path not in memo:
            child = child_path(path, scope.path)
            memo[path] = (total, by_path.get(child, own) if child else own)
        return memo[path]

    for path, kind, status, stage, n, n_overdue, n_soon, n_mass, n_urgent in await case_rows(session, scope):
        values = (n, int(n_overdue or 0), int(n_soon or 0), int(n_mass or 0), int(n_urgent or 0))
        for row in rows_for(path):
            counts = row.counts
            for name, v in zip(COUNTERS, values, strict=True):
                counts[name] += v
            _add(row.by_kind, kind, n)
            _add(row.by_stage, stage, n)
            _add(row.by_status, status, n)
    for path, case_id, case_code, due in await oldest_overdue_rows(session, scope):
        for row in rows_for(path):
            if row.oldest is None or (due, case_id) < row.oldest[:2]:
                row.oldest = (due, case_id, case_code)
    for provider in COUNT_PROVIDERS:
        name, rows = await provider(session, scope)
        for path, counts in rows:
            for row in rows_for(path):
                acc = row.provided.setdefault(name, {})
                for counter, n in counts.items():
                    acc[counter] = acc.get(counter, 0) + n
    return OverviewPublic(
        unit=OverviewUnitPublic(code=unit.code, name=unit.name, level=UnitLevel(unit.level)),
        as_of=today,
        due_soon_until=scope.horizon,
        total=total.out(today),
        own=own.out(today),
        children=[row.out(today) for row in by_path.values()],
    )
