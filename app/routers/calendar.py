"""The deadline engine, exposed: working-day overrides, the rule table, due-date checks."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select

from app.db import DbSession
from app.models.base import utcnow
from app.models.cases import CalendarOverride, DeadlineSetting
from app.problems import Problem, field_error
from app.security import AdminPrincipal, CurrentPrincipal
from app.services import audit
from app.services.clock import rules as configured_rules
from app.services.clock import work_calendar
from app.workflows.deadlines import DEFAULT_RULES

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar and deadlines"])


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: date
    working: bool = Field(description="true: a make-up working day (ngày làm bù); false: an extra day off")
    note: str = Field(default="", max_length=300)


class OverridesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int | None = Field(default=None, ge=2000, le=2100,
                             description="replace only this year's overrides; omit to replace all")
    overrides: list[OverrideIn] = Field(max_length=400)


class OverridesOut(BaseModel):
    overrides: list[OverrideIn]


@router.get("/overrides", response_model=OverridesOut, summary="Extra days off and make-up working days (admin)")
async def get_overrides(session: DbSession, _: AdminPrincipal,
                        year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> OverridesOut:
    stmt = select(CalendarOverride).order_by(CalendarOverride.day)
    if year:
        stmt = stmt.where(CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
    rows = (await session.execute(stmt)).scalars()
    return OverridesOut(overrides=[OverrideIn(day=r.day, working=r.working, note=r.note) for r in rows])


@router.put("/overrides", response_model=OverridesOut, summary="Replace the overrides (of one year, or all) (admin)")
async def put_overrides(session: DbSession, admin: AdminPrincipal, body: OverridesIn) -> OverridesOut:
    days = [o.day for o in body.overrides]
    if len(set(days)) != len(days):
        raise field_error("body.overrides", "a day is listed twice")
    if body.year is not None:
        outside = [d for d in days if d.year != body.year]
        if outside:
            raise field_error("body.overrides", f"{outside[0].isoformat()} is not in {body.year}")
    old_stmt = select(CalendarOverride)
    del_stmt = delete(CalendarOverride)
    if body.year is not None:
        lo, hi = date(body.year, 1, 1), date(body.year, 12, 31)
        old_stmt = old_stmt.where(CalendarOverride.day.between(lo, hi))
        del_stmt = del_stmt.where(CalendarOverride.day.between(lo, hi))
    old = {r.day.isoformat(): r.working for r in (await session.execute(old_stmt)).scalars()}
    await session.execute(del_stmt)
    for o in body.overrides:
        session.add(CalendarOverride(day=o.day, working=o.working, note=o.note))
    await session.flush()
    new = {o.day.isoformat(): o.working for o in body.overrides}
    await audit.record(session, actor=admin, action="calendar.overrides_replace", entity="calendar",
                       entity_id=str(body.year or "all"), changes={"from": old, "to": new})
    return OverridesOut(overrides=sorted(body.overrides, key=lambda o: o.day))


class DueDateOut(BaseModel):
    start: date
    days: int
    mode: str
    due: date
    rule: str


@router.get("/due-date", response_model=DueDateOut, summary="Compute a due date with the service's calendar")
async def due_date(session: DbSession, _: CurrentPrincipal, start: date,
                   days: Annotated[int, Query(ge=0, le=3650)],
                   mode: Literal["working", "calendar"] = "calendar") -> DueDateOut:
    cal = await work_calendar(session)
    rule = ("Mon–Fri minus Vietnamese public holidays and swapped days, plus overrides; the start day is not counted"
            if mode == "working" else
            "Civil Code 91/2015 Art 147 (first day not counted) and Art 148(5) (ends on the next working day "
            "if it falls on a weekend or holiday)")
    return DueDateOut(start=start, days=days, mode=mode, due=cal.due_date(start, days, mode), rule=rule)


class RuleOut(BaseModel):
    key: str
    kind: str
    round: int | None
    stage: str
    days: int
    mode: str
    complex_days: int | None
    remote_days: int | None
    remote_complex_days: int | None
    extension_days: int | None
    max_extensions: int
    effective_from: date
    source: str
    local_default: bool
    note: str


@router.get("/rules", response_model=list[RuleOut], summary="The deadline rule table in force")
async def list_rules(session: DbSession, _: CurrentPrincipal) -> list[RuleOut]:
    return [RuleOut(**{k: getattr(r, k) for k in RuleOut.model_fields}) for r in await configured_rules(session)]


class RuleSettingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(ge=1, le=365)
    mode: Literal["working", "calendar"]


@router.put("/rules/{key}", response_model=RuleOut, summary="Change a local-default limit (admin)")
async def put_rule(session: DbSession, admin: AdminPrincipal, key: str, body: RuleSettingIn) -> RuleOut:
    base = next((r for r in DEFAULT_RULES if r.key == key), None)
    if base is None:
        raise Problem(404, f"No deadline rule {key}.", slug="not-found")
    if not base.local_default:
        raise Problem(409, f"{key} is a statutory limit ({base.source}); it changes with the law, not as a setting.",
                      slug="statutory-limit")
    row = await session.get(DeadlineSetting, key)
    before = {"days": row.days, "mode": row.mode} if row else {"days": base.days, "mode": base.mode}
    if row is None:
        session.add(DeadlineSetting(key=key, days=body.days, mode=body.mode))
    else:
        row.days, row.mode, row.updated_at = body.days, body.mode, utcnow()
    await session.flush()
    await audit.record(session, actor=admin, action="deadline_rule.update", entity="deadline_rule", entity_id=key,
                       changes={"from": before, "to": body.model_dump()})
    rule = next(r for r in await configured_rules(session) if r.key == key)
    return RuleOut(**{k: getattr(rule, k) for k in RuleOut.model_fields})
