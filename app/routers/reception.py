"""Reception sessions over HTTP, and the heads' compliance with their reception duty."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.deps import DbSession, Today
from app.models.base import Day
from app.models.dialogues import CompliancePublic, ReceptionSessionCreate, ReceptionSessionPublic
from app.pagination import Cursor, Limit, Page, cut_page, decode_day_cursor
from app.problems import problem_responses
from app.routers.params import InputRoute, date_query
from app.security import CurrentPrincipal
from app.services import reception as svc

router = APIRouter(
    route_class=InputRoute,
    prefix="/api/v1/reception-sessions",
    tags=["dialogues, reception sessions, commitments"],
    responses=problem_responses(401),
)
_DESCRIPTIONS = {403: "Your role may not record sessions, or not for that organisation"}


@router.post(
    "",
    response_model=ReceptionSessionPublic,
    status_code=201,
    summary="Record a reception session",
    description="A desk's session, or a head's own session (`led_by_head`), with the citizens and "
    "delegations received and the cases logged there.",
    responses=problem_responses(403, 422, descriptions=_DESCRIPTIONS),
)
async def create_session(
    response: Response, session: DbSession, principal: CurrentPrincipal, body: ReceptionSessionCreate, t: Today
) -> ReceptionSessionPublic:
    row = await svc.create(session, principal, body, t)
    response.headers["Location"] = f"/api/v1/reception-sessions?org={principal.org.code}"
    return (await svc.sessions_out(session, [row], t))[0]


@router.get(
    "",
    response_model=Page[ReceptionSessionPublic],
    summary="Reception sessions in your jurisdiction, newest first",
    responses=problem_responses(422),
)
async def list_sessions(
    session: DbSession,
    principal: CurrentPrincipal,
    t: Today,
    org: Annotated[str | None, Query(max_length=64, description="organisation code")] = None,
    unit: Annotated[str | None, Query(max_length=16, description="the organisation's unit, and below")] = None,
    led_by_head: bool | None = None,
    held_from: Annotated[Day | None, date_query("first day")] = None,
    held_to: Annotated[Day | None, date_query("last day, inclusive")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ReceptionSessionPublic]:
    after = decode_day_cursor(cursor)
    rows = await svc.list_sessions(
        session,
        principal,
        svc.SessionFilters(org=org, unit=unit, led_by_head=led_by_head, held_from=held_from, held_to=held_to),
        limit=limit,
        after=after,
    )
    page, nxt = cut_page(rows, limit, lambda r: [r.held_on.isoformat(), r.id])
    return Page(items=await svc.sessions_out(session, page, t), next_cursor=nxt)


@router.get(
    "/compliance",
    response_model=CompliancePublic,
    summary="Heads' own reception sessions in a month against the legal frequency",
    description="For each organisation in your jurisdiction whose head must receive citizens in person "
    "(Luật Tiếp công dân Art 12(5), 13(5), 15(2)(d), 18(2); from 1 Jul 2026 the commune "
    "chairman's frequency per Law 136/2025): the rule in force, what it requires that month "
    "and what was held. Default: the current month.",
    responses=problem_responses(422),
)
async def compliance(
    session: DbSession,
    principal: CurrentPrincipal,
    t: Today,
    year: Annotated[int | None, Query(ge=2014, le=2100)] = None,
    month: Annotated[int | None, Query(ge=1, le=12)] = None,
    unit: Annotated[str | None, Query(max_length=16, description="unit code: the unit and below")] = None,
    org: Annotated[str | None, Query(max_length=64, description="one organisation")] = None,
) -> CompliancePublic:
    return await svc.compliance(
        session, principal, year=year or t.year, month=month or t.month, unit=unit, org=org, today=t
    )
