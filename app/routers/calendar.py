"""The deadline engine, exposed: working-day overrides, the rule table, due-date checks."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from app.deps import DbSession
from app.models.base import Day
from app.problems import problem_responses
from app.routers.params import InputRoute, date_query
from app.security import AdminPrincipal, CurrentPrincipal
from app.services import calendar as calendar_service

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
    rows = await calendar_service.list_overrides(session, year)
    return OverridesOut(overrides=[OverrideIn(day=r.day, working=r.working, note=r.note) for r in rows])


@router.put("/overrides", response_model=OverridesOut, summary="Replace the overrides (of one year, or all) (admin)",
            responses=_ADMIN)
async def put_overrides(session: DbSession, admin: AdminPrincipal, body: OverridesIn) -> OverridesOut:
    wanted = [calendar_service.Override(o.day, o.working, o.note) for o in body.overrides]
    rows = await calendar_service.replace_overrides(session, admin, body.year, wanted)
    return OverridesOut(overrides=[OverrideIn(day=r.day, working=r.working, note=r.note) for r in rows])


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
    due, rule = await calendar_service.due_date(session, start, days, mode)
    return DueDateOut(start=start, days=days, mode=mode, due=due, rule=rule)


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
            for r in await calendar_service.list_rules(session)]


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
    rule = await calendar_service.set_local_limit(session, admin, key, body.days, body.mode)
    return DeadlineRuleOut(**{k: getattr(rule, k) for k in DeadlineRuleOut.model_fields})
