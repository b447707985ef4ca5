"""The statutory clock as configured in this database: the code's rule table with the admin's
changes to local defaults, and the working-day calendar with the admin's overrides.

A process keeps them, with the routing rules, under the database's `config_stamp` (a random value
a trigger replaces whenever one of those admin tables is written, migration 0014_wpath): a request
reads the stamp, one row, instead of the tables, and reads the tables again when the stamp is new.
An edit committed by any process is seen by the next transaction that starts after it, as when
every request read the tables (decision 0100)."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models.cases import CalendarOverride, ConfigStamp, DeadlineSetting, RoutingRule
from app.services.audit import txn_memo
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


async def routing_rules(session: AsyncSession) -> tuple[Any, ...]:
    """The routing rules as plain read-only rows (kind, field, unit_code, org_code, priority, id)."""
    cols = (RoutingRule.kind, RoutingRule.field, RoutingRule.unit_code, RoutingRule.org_code, RoutingRule.priority)
    return tuple((await session.execute(select(*(col(c) for c in cols), col(RoutingRule.id)))).all())


def rule_by_key(all_rules: tuple[DeadlineRule, ...], key: str | None) -> DeadlineRule | None:
    return next((r for r in all_rules if r.key == key), None) if key else None


@dataclasses.dataclass(frozen=True)
class Config:
    """What the admin tables say, as read under one stamp; immutable, shared by requests."""

    calendar: WorkCalendar
    rules: tuple[DeadlineRule, ...]
    routing: Sequence[Any]


_MEMO = "clock_config"
_KEEP = 4  # stamps remembered (a test's rolled-back edit brings an older one back)
_by_stamp: dict[str, Config] = {}


async def _stamp(session: AsyncSession) -> str | None:
    return (await session.execute(select(col(ConfigStamp.stamp)).where(col(ConfigStamp.id) == 1))).scalar()


async def config(session: AsyncSession) -> Config:
    """The calendar, deadline rules and routing rules this transaction sees: read once per
    transaction, from the process's copy when the stamp is one it has read them under."""
    memo = txn_memo(session)
    cfg = memo.get(_MEMO)
    if cfg is not None:
        return cfg
    stamp = await _stamp(session)
    cfg = _by_stamp.get(stamp) if stamp is not None else None
    if cfg is None:
        cfg = Config(
            calendar=await work_calendar(session), rules=await rules(session), routing=await routing_rules(session)
        )
        # Kept only if the stamp did not move while the tables were read (each statement has its
        # own snapshot in READ COMMITTED): then what was read is what that stamp names.
        if stamp is not None and await _stamp(session) == stamp:
            while len(_by_stamp) >= _KEEP:
                _by_stamp.pop(next(iter(_by_stamp)))
            _by_stamp[stamp] = cfg
    memo[_MEMO] = cfg
    return cfg


def forget(session: AsyncSession) -> None:
    """After this transaction wrote an admin table: its next look-up reads the stamp again."""
    memo = txn_memo(session)
    memo.pop(_MEMO, None)
    memo.pop("routing_rules", None)  # (app/services/cases/intake.py suggest_org)


@dataclasses.dataclass
class Clock:
    """What the case service needs to compute due dates in one request."""

    calendar: WorkCalendar
    rules: tuple[DeadlineRule, ...]
    today: date
    # The tracking-code generator: None draws from the system's CSPRNG (every request); demo data
    # passes a seeded random.Random so that a seed gives the same codes.
    codes: random.Random | None = None
    # The routing rules as read with the calendar (intake's suggested organisation); None: the
    # case service reads them itself.
    routing: Sequence[Any] | None = None

    @classmethod
    async def load(cls, session: AsyncSession, today: date) -> "Clock":
        cfg = await config(session)
        return cls(calendar=cfg.calendar, rules=cfg.rules, today=today, routing=cfg.routing)
