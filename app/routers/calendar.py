"""The deadline engine, exposed: working-day overrides, the rule table, due-date checks."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from sqlalchemy import delete, select

from app.db import DbSession
from app.models.base import Day, utcnow
from app.models.cases import CalendarOverride, DeadlineSetting
from app.problems import Problem, field_error, problem_responses
from app.routers.params import InputRoute, date_query
from app.security import AdminPrincipal, CurrentPrincipal
from app.services import audit
from app.services.clock import rule_by_key, work_calendar
from app.services.clock import rules as configured_rules
from app.workflows.deadlines import DEFAULT_RULES

router = APIRouter(route_class=InputRoute, prefix="/api/v1/calendar", tags=["calendar and deadlines"],
                   responses=problem_responses(401))
_ADMIN = problem_responses(403, descriptions={403: "Only an admin changes the calendar and the rules"})


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: Day
    working: StrictBool = Field(description="true: a make-up working day (ngày làm bù); false: an extra day off")
    note: str = Field(default="", max_length=300)


class OverridesIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"year": 2026, "overrides": [
            {"day": "2026-01-02", "working": False, "note": "Nghỉ bù Tết Dương lịch (quyết định của Thủ tướng)"},
            {"day": "2026-01-10", "working": True, "note": "Làm bù cho ngày 02/01"}]},
        {"overrides": []}]})

    year: StrictInt | None = Field(default=None, ge=2000, le=2100,
                             description="replace only this year's overrides; omit to replace all")
    overrides: list[OverrideIn] = Field(max_length=400)


class OverridesOut(BaseModel):
    overrides: list[OverrideIn]


@router.get("/overrides", response_model=OverridesOut, summary="Extra days off and make-up working days (admin)",
            responses=_ADMIN)
async def get_overrides(session: DbSession, _: AdminPrincipal,
                        year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> OverridesOut:
    stmt = select(CalendarOverride).order_by(CalendarOverride.day)
    if year:
        stmt = stmt.where(CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
    rows = (await session.execute(stmt)).scalars()
    return OverridesOut(overrides=[OverrideIn(day=r.day, working=r.working, note=r.note) for r in rows])


@router.put("/overrides", response_model=OverridesOut, summary="Replace the overrides (of one year, or all) (admin)",
            responses=_ADMIN)
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
async def due_date(session: DbSession, _: CurrentPrincipal,
                   start: Annotated[Day, date_query("the day the period starts (not counted)")],
                   days: Annotated[int, Query(ge=0, le=3650)],
                   mode: Literal["working", "calendar"] = "calendar") -> DueDateOut:
    cal = await work_calendar(session)
    rule = ("Mon–Fri minus Vietnamese public holidays and swapped days, plus overrides; the start day is not counted"
            if mode == "working" else
            "Civil Code 91/2015 Art 147 (first day not counted) and Art 148(5) (ends on the next working day "
            "if it falls on a weekend or holiday)")
    return DueDateOut(start=start, days=days, mode=mode, due=cal.due_date(start, days, mode), rule=rule)


class DeadlineRuleOut(BaseModel):
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


@router.get("/rules", response_model=list[DeadlineRuleOut], summary="The deadline rule table in force",
            description="Statutory limits with their legal sources, and the local defaults an admin may change.")
async def list_rules(session: DbSession, _: CurrentPrincipal) -> list[DeadlineRuleOut]:
    return [DeadlineRuleOut(**{k: getattr(r, k) for k in DeadlineRuleOut.model_fields})
            for r in await configured_rules(session)]


class RuleSettingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"days": 10, "mode": "working"}]})

    days: StrictInt = Field(ge=1, le=365)
    mode: Literal["working", "calendar"]


@router.put("/rules/{key}", response_model=DeadlineRuleOut, summary="Change a local-default limit (admin)",
            responses={**_ADMIN, **problem_responses(404, 409, descriptions={
                404: "No rule with this key", 409: "A statutory limit: it changes with the law, not as a setting"})})
async def put_rule(session: DbSession, admin: AdminPrincipal,
                   key: Annotated[str, Path(max_length=64, description="a rule's `key` from GET /calendar/rules",
                                            examples=["petition.resolution"])],
                   body: RuleSettingIn) -> DeadlineRuleOut:
    base = rule_by_key(DEFAULT_RULES, key)
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
    rule = rule_by_key(await configured_rules(session), key)
    return DeadlineRuleOut(**{k: getattr(rule, k) for k in DeadlineRuleOut.model_fields})
