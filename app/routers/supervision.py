"""Supervision over HTTP: the overview, recommendations, alerts (docs/supervision.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from app.deps import DbSession, IfMatch, Today, etag
from app.models.supervision import (
    AlertPagePublic,
    AlertPublic,
    OverviewPublic,
    RecommendationCreate,
    RecommendationPublic,
    RecommendationResponseCreate,
    RecommendationTransitionCreate,
)
from app.pagination import Cursor, Limit, Page, cut_page, decode_cursor
from app.problems import problem_responses
from app.routers.params import InputRoute, id_path, id_query
from app.security import CurrentPrincipal, Principal, RequireRole
from app.services import alerts as alert_service
from app.services import recommendations as rec_service
from app.services import supervision as svc
from app.workflows.recommendations import RecStatus
from app.workflows.roles import Role

router = APIRouter(
    route_class=InputRoute,
    prefix="/api/v1/supervision",
    tags=["supervision and audit"],
    responses=problem_responses(401),
)
alerts_router = APIRouter(
    route_class=InputRoute, prefix="/api/v1/alerts", tags=["supervision and audit"], responses=problem_responses(401)
)

Overseer = Annotated[Principal, Depends(RequireRole(Role.supervisor, Role.admin))]
Supervisor = Annotated[Principal, Depends(RequireRole(Role.supervisor))]
RecId = Annotated[int, id_path("recommendation")]
_DESC = {
    403: "Your role or organisation may not do this",
    404: "No such record in your jurisdiction (its existence is not revealed)",
    409: "Not allowed in the recommendation's current status: `allowed_actions` lists what is",
}
_ETAG = {"ETag": {"description": "the recommendation's version, for `If-Match`", "schema": {"type": "string"}}}


def _responses(*statuses: int, ok: int | None = None) -> dict:
    out = problem_responses(*statuses, descriptions=_DESC)
    if ok is not None:
        out[ok] = {"headers": _ETAG}
    return out


@router.get(
    "/overview",
    response_model=OverviewPublic,
    summary="Open, overdue and due-soon cases by child unit",
    description="For the unit (default: your own) and each child unit; numbers are defined in docs/supervision.md.",
    responses=_responses(403, 404, 422),
)
async def overview(
    session: DbSession,
    principal: Overseer,
    t: Today,
    unit: Annotated[str | None, Query(max_length=16, description="administrative unit code")] = None,
) -> OverviewPublic:
    return await svc.overview(session, principal, unit, t)


@router.post(
    "/recommendations",
    response_model=RecommendationPublic,
    status_code=201,
    summary="Issue a recommendation (kiến nghị giám sát)",
    responses=_responses(403, 422, ok=201),
)
async def create_recommendation(
    response: Response, session: DbSession, principal: Supervisor, t: Today, body: RecommendationCreate
) -> RecommendationPublic:
    rec = await rec_service.create(session, principal, body, t)
    response.headers["ETag"] = etag(rec)
    response.headers["Location"] = f"/api/v1/supervision/recommendations/{rec.id}"
    return (await rec_service.to_out(session, principal, [rec], t))[0]


@router.get(
    "/recommendations",
    response_model=Page[RecommendationPublic],
    summary="Recommendations you may see, newest first",
    responses=_responses(422),
)
async def list_recommendations(
    session: DbSession,
    principal: CurrentPrincipal,
    t: Today,
    unit: Annotated[str | None, Query(max_length=16, description="the unit and below")] = None,
    target_org: Annotated[str | None, Query(max_length=64, description="organisation code")] = None,
    status: RecStatus | None = None,
    overdue: bool | None = None,
    case_id: Annotated[int | None, id_query("case")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[RecommendationPublic]:
    after = decode_cursor(cursor, 1, kinds=(int,))
    filters = rec_service.RecFilters(
        unit=unit, target_org=target_org, status=status.value if status else None, overdue=overdue, case_id=case_id
    )
    rows = await rec_service.list_recommendations(
        session, principal, filters, t, limit=limit, after_id=after[0] if after else None
    )
    page, nxt = cut_page(rows, limit, lambda r: [r.id])
    return Page(items=await rec_service.to_out(session, principal, page, t), next_cursor=nxt)


@router.get(
    "/recommendations/{rec_id}",
    response_model=RecommendationPublic,
    summary="One recommendation",
    responses=_responses(404, 422, ok=200),
)
async def get_recommendation(
    response: Response, session: DbSession, principal: CurrentPrincipal, t: Today, rec_id: RecId
) -> RecommendationPublic:
    rec = await rec_service.get_visible(session, principal, rec_id)
    response.headers["ETag"] = etag(rec)
    return (await rec_service.to_out(session, principal, [rec], t))[0]


@router.post(
    "/recommendations/{rec_id}/response",
    response_model=RecommendationPublic,
    summary="Answer a recommendation (the organisation it is addressed to; If-Match required)",
    responses=_responses(403, 404, 409, 412, 422, 428, ok=200),
)
async def answer_recommendation(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    t: Today,
    rec_id: RecId,
    body: RecommendationResponseCreate,
    if_match: IfMatch = None,
) -> RecommendationPublic:
    rec = await rec_service.get_visible(session, principal, rec_id, for_update=True)
    await rec_service.act(session, principal, rec, "answer", t, if_match, response=body.response)
    response.headers["ETag"] = etag(rec)
    return (await rec_service.to_out(session, principal, [rec], t))[0]


@router.post(
    "/recommendations/{rec_id}/transitions",
    response_model=RecommendationPublic,
    summary="Accept the answer and close, or reopen (the issuing supervisors; If-Match required)",
    responses=_responses(403, 404, 409, 412, 422, 428, ok=200),
)
async def recommendation_transition(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    t: Today,
    rec_id: RecId,
    body: RecommendationTransitionCreate,
    if_match: IfMatch = None,
) -> RecommendationPublic:
    rec = await rec_service.get_visible(session, principal, rec_id, for_update=True)
    await rec_service.transition(session, principal, rec, body, t, if_match)
    response.headers["ETag"] = etag(rec)
    return (await rec_service.to_out(session, principal, [rec], t))[0]


@alerts_router.get(
    "",
    response_model=AlertPagePublic,
    summary="Urgent and newly overdue cases, newest first",
    description="Poll with `after=<next_cursor>` to get only what is new (docs/supervision.md).",
    responses=_responses(403, 422),
)
async def alerts(
    session: DbSession,
    principal: CurrentPrincipal,
    t: Today,
    after: Annotated[str | None, Query(max_length=512, description="`next_cursor` of the previous call")] = None,
    limit: Limit = 50,
) -> Any:
    items, nxt, more = await alert_service.list_alerts(session, principal, t, after=after, limit=limit)
    return AlertPagePublic(
        items=[AlertPublic(**alert_service.alert_dict(a)) for a in items], next_cursor=nxt, has_more=more
    )
