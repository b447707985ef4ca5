"""API keys for client systems (admin): issue, list, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response

from app.deps import DbSession
from app.models.api_keys import ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from app.models.base import as_utc
from app.models.reference import Organization
from app.pagination import Cursor, Limit, Page, cut_page, decode_cursor
from app.problems import problem_responses
from app.routers.params import InputRoute, id_path
from app.security import AdminPrincipal
from app.services import api_keys as service

router = APIRouter(
    route_class=InputRoute,
    prefix="/api/v1/api-keys",
    tags=["api keys"],
    responses=problem_responses(401, 403, descriptions={403: "Only an admin manages API keys"}),
)
ApiKeyId = Annotated[int, id_path("API key")]


def _public(row: ApiKey, org: Organization) -> ApiKeyPublic:
    return ApiKeyPublic(
        id=row.id,
        name=row.name,
        org=org.code,
        prefix=row.prefix,
        created_at=as_utc(row.created_at),
        revoked_at=as_utc(row.revoked_at),
        active=row.revoked_at is None,
    )


@router.post(
    "",
    response_model=ApiKeyCreated,
    status_code=201,
    summary="Issue an API key (admin)",
    description="The key is in this response only; the service stores a keyed hash of it.",
    responses=problem_responses(422),
)
async def create_key(request: Request, session: DbSession, admin: AdminPrincipal, body: ApiKeyCreate) -> ApiKeyCreated:
    row, org, key = await service.create(session, admin, body, server_key=request.app.state.settings.api_key_key)
    return ApiKeyCreated(**_public(row, org).model_dump(), key=key)


@router.get(
    "",
    response_model=Page[ApiKeyPublic],
    summary="API keys in your jurisdiction (admin)",
    responses=problem_responses(422),
)
async def list_keys(
    session: DbSession, admin: AdminPrincipal, limit: Limit = 50, cursor: Cursor = None
) -> Page[ApiKeyPublic]:
    after = decode_cursor(cursor, 1, kinds=(int,))
    rows = await service.list_keys(session, admin, limit=limit, after_id=after[0] if after else None)
    page, nxt = cut_page(rows, limit, lambda r: [r[0].id])
    return Page(items=[_public(k, o) for k, o in page], next_cursor=nxt)


@router.delete("/{key_id}", status_code=204, summary="Revoke an API key (admin)", responses=problem_responses(404, 422))
async def revoke_key(session: DbSession, admin: AdminPrincipal, key_id: ApiKeyId) -> Response:
    await service.revoke(session, admin, key_id)
    return Response(status_code=204)
