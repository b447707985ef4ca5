"""The statutory clock as configured in this database: the code's rule table with the admin's
changes to local defaults, and the working-day calendar with the admin's overrides."""

from __future__ import annotations

import dataclasses
import random
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models.cases import CalendarOverride, DeadlineSetting
from app.workflows.calendar import WorkCalendar, counting_mode
from app.workflows.deadlines import DEFAULT_RULES, DeadlineRule


async def work_calendar(session: AsyncSession) -> WorkCalendar:
    rows = (await session.execute(select(col(CalendarOverride.day), col(CalendarOverride.working)))).all()
    return WorkCalendar({d: w for d, w in rows})


async def rules(session: AsyncSession) -> tuple[DeadlineRule, ...]:
    """DEFAULT_RULES, with an admin's days/mode applied to *local default* rules only: the
    statutory limits are the law's, not a setting."""
    settings = {s.key: s for s in (await session.execute(select(DeadlineSetting))).scalars()}
    if not settings:
        return DEFAULT_RULES
    out = []
    for r in DEFAULT_RULES:
        s = settings.get(r.key)
        if s is not None and r.local_default:
            r = dataclasses.replace(r, days=s.days, mode=counting_mode(s.mode))
        out.append(r)
    return tuple(out)


def rule_by_key(all_rules: tuple[DeadlineRule, ...], key: str | None) -> DeadlineRule | None:
    return next((r for r in all_rules if r.key == key), None) if key else None


@dataclasses.dataclass
class Clock:
    """What the case service needs to compute due dates in one request."""

    calendar: WorkCalendar
    rules: tuple[DeadlineRule, ...]
    today: date
    # The tracking-code generator: None draws from the system's CSPRNG (every request); demo data
    # passes a seeded random.Random so that a seed gives the same codes.
    codes: random.Random | None = None

    @classmethod
    async def load(cls, session: AsyncSession, today: date) -> "Clock":
        return cls(calendar=await work_calendar(session), rules=await rules(session), today=today)
