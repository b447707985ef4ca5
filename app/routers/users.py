"""Admin user management."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import DbSession
from app.models.users import Role, UserCreate, UserPublic, UserUpdate
from app.pagination import Cursor, Limit, Page
from app.problems import problem_responses
from app.routers.params import InputRoute, UserId
from app.security import AdminPrincipal
from app.services import users as user_service

router = APIRouter(
    route_class=InputRoute,
    prefix="/api/v1/users",
    tags=["users"],
    responses=problem_responses(401, 403, descriptions={403: "Only an admin manages users"}),
)


@router.get("", response_model=Page[UserPublic], summary="Users, by id (admin)", responses=problem_responses(422))
async def list_users(
    session: DbSession,
    _: AdminPrincipal,
    org: Annotated[str | None, Query(max_length=64)] = None,
    role: Role | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[UserPublic]:
    rows, nxt = await user_service.list_users(
        session, org=org, role=role.value if role else None, limit=limit, cursor=cursor
    )
    return Page(items=[user_service.user_public(u, o) for u, o in rows], next_cursor=nxt)


@router.post(
    "",
    response_model=UserPublic,
    status_code=201,
    summary="Create a user (admin)",
    responses=problem_responses(409, 422, descriptions={409: "The username is taken"}),
)
async def create_user(session: DbSession, admin: AdminPrincipal, body: UserCreate) -> UserPublic:
    user, org = await user_service.create_user(session, admin, body)
    return user_service.user_public(user, org)


@router.get("/{user_id}", response_model=UserPublic, summary="One user (admin)", responses=problem_responses(404, 422))
async def get_user(session: DbSession, _: AdminPrincipal, user_id: UserId) -> UserPublic:
    return user_service.user_public(*await user_service.get_user(session, user_id))


@router.patch(
    "/{user_id}",
    response_model=UserPublic,
    summary="Change a user's name, role, organisation, password or active flag (admin)",
    responses=problem_responses(
        404, 409, 422, descriptions={409: "An admin cannot deactivate or demote their own account"}
    ),
)
async def update_user(session: DbSession, admin: AdminPrincipal, user_id: UserId, body: UserUpdate) -> UserPublic:
    return user_service.user_public(*await user_service.update_user_by_id(session, admin, user_id, body))
