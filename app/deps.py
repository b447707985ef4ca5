"""What the routers share: the request's session, caller, business date and clock, the case in
the path (loaded within the caller's jurisdiction), the conditional-write and idempotency headers.

Each is an `Annotated` dependency named for what it gives (cf. Netflix Dispatch's `DbSession`,
`CurrentCase`): a route declares what it needs and gets it already checked.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.db import DbSession, ReadSession
from app.errors import Forbidden, NotFound
from app.models.cases import Case
from app.routers.params import CaseId
from app.security import CurrentPrincipal, Principal
from app.services import cases as case_service
from app.services import idempotency
from app.services.clock import Clock
from app.workflows import lifecycle as lc

__all__ = [
    "CaseForUpdate",
    "CurrentCase",
    "CurrentPrincipal",
    "DbSession",
    "IdemKey",
    "IfMatch",
    "ReadSession",
    "RequestClock",
    "Today",
    "etag",
    "idempotent_replay",
    "remember_response",
]


def business_today(request: Request) -> date:
    """The business date in Asia/Ho_Chi_Minh (`app.state.today`: tests and demos may pin it)."""
    return request.app.state.today()


Today = Annotated[date, Depends(business_today)]


async def _request_clock(session: DbSession, today: Today) -> Clock:
    return await Clock.load(session, today)


RequestClock = Annotated[Clock, Depends(_request_clock)]
"""The deadline rules and working-day calendar, as of the request's business date."""


async def _current_case(session: DbSession, principal: CurrentPrincipal, case_id: CaseId) -> Case:
    return await case_service.get_visible(session, principal, case_id)


async def _case_for_update(session: DbSession, principal: CurrentPrincipal, case_id: CaseId) -> Case:
    return await case_service.get_visible(session, principal, case_id, for_update=True)


CurrentCase = Annotated[Case, Depends(_current_case)]
"""The case in the path, if it is in the caller's jurisdiction; else 404 (existence not revealed)."""
CaseForUpdate = Annotated[Case, Depends(_case_for_update)]
"""The same, locked for the rest of the transaction (FOR UPDATE on PostgreSQL) before a write."""

IfMatch = Annotated[str | None, Header(description="the ETag (version) of the record you read", examples=['"1"'])]
IdemKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        description="repeat-safe key for this request: a repeat with the same key and body returns the first response",
    ),
]


def etag(record: Any) -> str:
    return f'"{record.version}"'


PendingKey = tuple[str, str, str, timedelta] | None  # key, scope, body digest, how long it is kept


def _ttl(request: Request) -> timedelta:
    return timedelta(hours=request.app.state.settings.idempotency_ttl_hours)


async def _may_replay(session: DbSession, principal: Principal, response: dict[str, Any], case: Case | None) -> None:
    """A replay answers who the caller is now, not who they were: the route's dependencies have
    checked their role (and loaded the case in the path within their jurisdiction); a transition
    also needs a role that may act on cases, and a stored new case must still be in their
    jurisdiction (it carries the tracking PIN)."""
    if case is not None:
        if principal.role not in lc.TRANSITION_ROLES:
            raise Forbidden(f"Role '{principal.role.value}' may not transition cases.")
        return
    case_id = response.get("id")
    if isinstance(case_id, int):
        try:
            await case_service.get_visible(session, principal, case_id)
        except NotFound:
            raise Forbidden(
                "The response stored for this Idempotency-Key is about a case outside your jurisdiction now."
            ) from None


async def idempotent_replay(
    request: Request, session: DbSession, principal: Principal, key: str | None, *, case: Case | None = None
) -> tuple[JSONResponse | None, PendingKey]:
    """With an `Idempotency-Key`: the stored response of a repeat (replayed as it was, if the
    caller may still see it), or what `remember_response` needs to store this one. `case`: the
    case in the path, already loaded within the caller's jurisdiction."""
    if key is None:
        return None, None
    digest = idempotency.body_hash(await request.json())
    scope = f"POST {request.url.path}"
    rec = await idempotency.lookup(
        session, user_id=principal.user.id, key=key, scope=scope, digest=digest, ttl=_ttl(request)
    )
    if rec is not None:
        await _may_replay(session, principal, rec.response, case)
        headers = {"Idempotency-Replayed": "true"}
        version = rec.response.get("version")
        if version is not None:
            headers["ETag"] = f'"{version}"'
        return JSONResponse(rec.response, status_code=rec.status_code, headers=headers), None
    return None, (key, scope, digest, _ttl(request))


async def remember_response(
    session: DbSession, principal: Principal, pending: PendingKey, status_code: int, body: BaseModel
) -> None:
    if pending:
        key, scope, digest, ttl = pending
        await idempotency.store(
            session,
            user_id=principal.user.id,
            key=key,
            scope=scope,
            digest=digest,
            status_code=status_code,
            response=body.model_dump(mode="json"),
            ttl=ttl,
        )
