"""Log in and see who you are."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field

from app.deps import ReadSession
from app.models.reference import OrgRead
from app.models.users import UserRead
from app.problems import Problem, problem_responses
from app.routers.params import InputRoute
from app.security import CurrentPrincipal, Principal, create_access_token, token_claims_for
from app.services import users as user_service

router = APIRouter(route_class=InputRoute, prefix="/api/v1/auth", tags=["auth"])


class Token(BaseModel):
    model_config = {"json_schema_extra": {"examples": [
        {"access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…", "token_type": "bearer", "expires_in": 3600}]}}

    access_token: str = Field(description="a JWT: send it as `Authorization: Bearer <token>`")
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds until it expires")


_LOGIN_ERRORS = problem_responses(401, 422, 429, descriptions={401: "Wrong username or password"})
_LOGIN_ERRORS[429]["headers"] = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
_LOGIN_EXAMPLE = {"requestBody": {"content": {"application/x-www-form-urlencoded": {
    "example": {"username": "tiepdan.mttq", "password": "mot-mat-khau-dai"}}}}}


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def user_read(principal: Principal) -> UserRead:
    u = principal.user
    return UserRead(id=u.id, username=u.username, full_name=u.full_name, role=u.role, is_active=u.is_active,
                    organization=OrgRead.model_validate(principal.org, from_attributes=True))


@router.post("/token", response_model=Token, summary="Log in (OAuth2 password form)", responses=_LOGIN_ERRORS,
             openapi_extra=_LOGIN_EXAMPLE)
async def login(
    request: Request,
    session: ReadSession,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=256)],
) -> Token:
    settings = request.app.state.settings
    limits = request.app.state.login_limits
    addr = client_address(request)
    pair_key, addr_key = f"{username.lower()}|{addr}", f"addr|{addr}"
    wait = limits.failures.retry_after(pair_key) or limits.attempts.retry_after(addr_key)
    if wait:
        raise Problem(429, f"Too many login attempts. Try again in {wait} seconds.", slug="too-many-requests",
                      headers={"Retry-After": str(wait)})
    limits.attempts.hit(addr_key)
    user = await user_service.authenticate(session, username, password)
    if user is None:
        limits.failures.hit(pair_key)
        request.app.state.metrics.login_failures.inc()
        raise Problem(401, "Wrong username or password.", slug="unauthorized", headers={"WWW-Authenticate": "Bearer"})
    limits.failures.reset(pair_key)
    token = create_access_token(settings, subject=str(user.id), extra=token_claims_for(user))
    return Token(access_token=token, expires_in=settings.access_token_minutes * 60)


@router.get("/me", response_model=UserRead, summary="The caller: user, role and organisation",
            responses=problem_responses(401))
async def me(principal: CurrentPrincipal) -> UserRead:
    return user_read(principal)
