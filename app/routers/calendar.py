"""The deadline engine, exposed: working-day overrides, the rule table, due-date checks."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from app.deps import DbSession
from app.models.base import Day
from app.models.calendar import (
    CalendarOverridePublic,
    CalendarOverridesPublic,
    CalendarOverridesUpdate,
    DeadlineRulePublic,
    DeadlineRuleUpdate,
    DueDatePublic,
)
from app.problems import problem_responses
from app.routers.params import InputRoute, date_query
from app.security import AdminPrincipal, CurrentPrincipal
from app.services import calendar as calendar_service

router = APIRouter(
    route_class=InputRoute, prefix="/api/v1/calendar", tags=["calendar and deadlines"], responses=problem_responses(401)
)
_ADMIN = problem_responses(403, descriptions={403: "Only an admin changes the calendar and the rules"})


@router.get(
    "/overrides",
    response_model=CalendarOverridesPublic,
    summary="Extra days off and make-up working days (admin)",
    responses=_ADMIN,
)
async def get_overrides(
    session: DbSession, _: AdminPrincipal, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
) -> CalendarOverridesPublic:
    rows = await calendar_service.list_overrides(session, year)
    return CalendarOverridesPublic(
        overrides=[CalendarOverridePublic(day=r.day, working=r.working, note=r.note) for r in rows]
    )


@router.put(
    "/overrides",
    response_model=CalendarOverridesPublic,
    summary="Replace the overrides (of one year, or all) (admin)",
    responses=_ADMIN,
)
async def put_overrides(
    session: DbSession, admin: AdminPrincipal, body: CalendarOverridesUpdate
) -> CalendarOverridesPublic:
    wanted = [calendar_service.Override(o.day, o.working, o.note) for o in body.overrides]
    rows = await calendar_service.replace_overrides(session, admin, body.year, wanted)
    return CalendarOverridesPublic(
        overrides=[CalendarOverridePublic(day=r.day, working=r.working, note=r.note) for r in rows]
    )


@router.get("/due-date", response_model=DueDatePublic, summary="Compute a due date with the service's calendar")
async def due_date(
    session: DbSession,
    _: CurrentPrincipal,
    start: Annotated[Day, date_query("the day the period starts (not counted)")],
    days: Annotated[int, Query(ge=0, le=3650)],
    mode: Literal["working", "calendar"] = "calendar",
) -> DueDatePublic:
    due, rule = await calendar_service.due_date(session, start, days, mode)
    return DueDatePublic(start=start, days=days, mode=mode, due=due, rule=rule)


@router.get(
    "/rules",
    response_model=list[DeadlineRulePublic],
    summary="The deadline rule table in force",
    description="Statutory limits with their legal sources, and the local defaults an admin may change.",
)
async def list_rules(session: DbSession, _: CurrentPrincipal) -> list[DeadlineRulePublic]:
    return [
        DeadlineRulePublic(**{k: getattr(r, k) for k in DeadlineRulePublic.model_fields})
        for r in await calendar_service.list_rules(session)
    ]


@router.put(
    "/rules/{key}",
    response_model=DeadlineRulePublic,
    summary="Change a local-default limit (admin)",
    responses={
        **_ADMIN,
        **problem_responses(
            404,
            409,
            descriptions={
                404: "No rule with this key",
                409: "A statutory limit: it changes with the law, not as a setting",
            },
        ),
    },
)
async def put_rule(
    session: DbSession,
    admin: AdminPrincipal,
    key: Annotated[
        str,
        Path(max_length=64, description="a rule's `key` from GET /calendar/rules", examples=["petition.resolution"]),
    ],
    body: DeadlineRuleUpdate,
) -> DeadlineRulePublic:
    rule = await calendar_service.set_local_limit(session, admin, key, body.days, body.mode)
    return DeadlineRulePublic(**{k: getattr(rule, k) for k in DeadlineRulePublic.model_fields})
