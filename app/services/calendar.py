"""The working-day calendar and the deadline rules as an admin changes them: overrides (extra days
off, make-up working days), local-default limits, and due dates computed with them. Every change
is audited in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import Conflict, NotFound, field_error
from app.models.base import utcnow
from app.models.cases import CalendarOverride, DeadlineSetting
from app.services import audit
from app.services.clock import forget, rule_by_key, rules, work_calendar
from app.workflows.calendar import CountingMode
from app.workflows.deadlines import DEFAULT_RULES, DeadlineRule

WORKING_RULE = "Mon–Fri minus Vietnamese public holidays and swapped days, plus overrides; the start day is not counted"
CALENDAR_RULE = (
    "Civil Code 91/2015 Art 147 (first day not counted) and Art 148(5) (ends on the next working day "
    "if it falls on a weekend or holiday)"
)


@dataclass(frozen=True)
class Override:
    day: date
    working: bool
    note: str = ""


def _year_clause(column: Any, year: int | None) -> Any:
    return column.between(date(year, 1, 1), date(year, 12, 31)) if year is not None else None


async def list_overrides(session: AsyncSession, year: int | None = None) -> list[Override]:
    stmt = select(CalendarOverride).order_by(col(CalendarOverride.day))
    if year:
        stmt = stmt.where(_year_clause(CalendarOverride.day, year))
    return [Override(r.day, r.working, r.note) for r in (await session.execute(stmt)).scalars()]


async def replace_overrides(
    session: AsyncSession, actor: Any, year: int | None, overrides: Sequence[Override]
) -> list[Override]:
    """Replace the overrides of `year` (or all of them): each day once, and inside that year."""
    days = [o.day for o in overrides]
    if len(set(days)) != len(days):
        raise field_error("body.overrides", "a day is listed twice")
    if year is not None:
        outside = [d for d in days if d.year != year]
        if outside:
            raise field_error("body.overrides", f"{outside[0].isoformat()} is not in {year}")
    old_stmt = select(CalendarOverride)
    del_stmt = delete(CalendarOverride)
    if year is not None:
        old_stmt = old_stmt.where(_year_clause(CalendarOverride.day, year))
        del_stmt = del_stmt.where(_year_clause(CalendarOverride.day, year))
    old = {r.day.isoformat(): r.working for r in (await session.execute(old_stmt)).scalars()}
    await session.execute(del_stmt)
    for o in overrides:
        session.add(CalendarOverride(day=o.day, working=o.working, note=o.note))
    await session.flush()
    forget(session)
    new = {o.day.isoformat(): o.working for o in overrides}
    await audit.record(
        session,
        actor=actor,
        action="calendar.overrides_replace",
        entity="calendar",
        entity_id=str(year or "all"),
        changes={"from": old, "to": new},
    )
    return sorted(overrides, key=lambda o: o.day)


async def due_date(session: AsyncSession, start: date, days: int, mode: CountingMode) -> tuple[date, str]:
    """The due date with this database's calendar, and the rule that computed it."""
    cal = await work_calendar(session)
    return cal.due_date(start, days, mode), WORKING_RULE if mode == "working" else CALENDAR_RULE


async def list_rules(session: AsyncSession) -> tuple[DeadlineRule, ...]:
    return await rules(session)


async def set_local_limit(session: AsyncSession, actor: Any, key: str, days: int, mode: str) -> DeadlineRule:
    """Change a local-default limit; a statutory one changes with the law, not as a setting."""
    base = rule_by_key(DEFAULT_RULES, key)
    if base is None:
        raise NotFound(f"No deadline rule {key}.")
    if not base.local_default:
        raise Conflict(
            f"{key} is a statutory limit ({base.source}); it changes with the law, not as a setting.",
            code="statutory-limit",
        )
    row = await session.get(DeadlineSetting, key)
    before = {"days": row.days, "mode": row.mode} if row else {"days": base.days, "mode": base.mode}
    if row is None:
        session.add(DeadlineSetting(key=key, days=days, mode=mode))
    else:
        row.days, row.mode, row.updated_at = days, mode, utcnow()
    await session.flush()
    forget(session)
    await audit.record(
        session,
        actor=actor,
        action="deadline_rule.update",
        entity="deadline_rule",
        entity_id=key,
        changes={"from": before, "to": {"days": days, "mode": mode}},
    )
    rule = rule_by_key(await rules(session), key)
    assert rule is not None
    return rule
