"""Log in and see who you are."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from app.deps import ReadSession
from app.models.auth import TokenPublic
from app.models.users import UserPublic
from app.problems import Problem, problem_responses
from app.routers.params import InputRoute
from app.security import CurrentPrincipal, create_access_token, token_claims_for
from app.services import users as user_service

router = APIRouter(route_class=InputRoute, prefix="/api/v1/auth", tags=["auth"])


_LOGIN_ERRORS = problem_responses(401, 422, 429, descriptions={401: "Wrong username or password"})
_LOGIN_ERRORS[429]["headers"] = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
_LOGIN_EXAMPLE = {
    "requestBody": {
        "content": {
            "application/x-www-form-urlencoded": {
                "example": {"username": "tiepdan.mttq", "password": "mot-mat-khau-dai"}
            }
        }
    }
}


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/token",
    response_model=TokenPublic,
    summary="Log in (OAuth2 password form)",
    responses=_LOGIN_ERRORS,
    openapi_extra=_LOGIN_EXAMPLE,
)
async def login(
    request: Request,
    session: ReadSession,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=256)],
) -> TokenPublic:
    settings = request.app.state.settings
    limits = request.app.state.login_limits
    addr = client_address(request)
    pair_key, addr_key = f"{username.lower()}|{addr}", f"addr|{addr}"
    wait = await limits.failures.check(pair_key) or await limits.attempts.check(addr_key)
    if wait:
        raise Problem(
            429,
            f"Too many login attempts. Try again in {wait} seconds.",
            slug="too-many-requests",
            headers={"Retry-After": str(wait)},
        )
    await limits.attempts.count(addr_key)
    user = await user_service.authenticate(session, username, password)
    if user is None:
        await limits.failures.count(pair_key)
        request.app.state.metrics.login_failures.inc()
        raise Problem(401, "Wrong username or password.", slug="unauthorized", headers={"WWW-Authenticate": "Bearer"})
    await limits.failures.forget(pair_key)
    token = create_access_token(settings, subject=str(user.id), extra=token_claims_for(user))
    return TokenPublic(access_token=token, expires_in=settings.access_token_minutes * 60)


@router.get(
    "/me",
    response_model=UserPublic,
    summary="The caller: user, role and organisation",
    responses=problem_responses(401),
)
async def me(principal: CurrentPrincipal) -> UserPublic:
    return user_service.user_public(principal.user, principal.org)
