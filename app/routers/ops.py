"""Health, readiness and metrics for the engineer who runs this at night."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from app.migrations import head_revision
from app.models.ops import HealthPublic, ReadinessPublic
from app.problems import Problem, problem_responses
from app.routers.params import InputRoute
from app.services.health import database_revision

router = APIRouter(route_class=InputRoute, tags=["operations"])


@router.get("/healthz", response_model=HealthPublic, summary="The process is alive")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=ReadinessPublic,
    summary="The database is reachable and at the latest migration",
    responses={503: {"model": ReadinessPublic, "description": "database unreachable, not migrated, or behind"}},
)
async def readyz(request: Request) -> JSONResponse:
    db = request.app.state.db
    expected = head_revision()
    try:
        current = await database_revision(db)
    except Exception:
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable or not migrated", "expected_revision": expected},
            status_code=503,
        )
    ok = current == expected
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "database": "ok", "revision": current, "expected_revision": expected},
        status_code=200 if ok else 503,
    )


_LOOPBACK = ("127.", "::1", "::ffff:127.")
_FORWARDED = (b"x-forwarded-for", b"forwarded", b"x-real-ip")


def _metrics_allowed(request: Request) -> None:
    """With `METRICS_TOKEN` set: that bearer token, compared in constant time. Without it: only a
    client on this machine that did not come through a proxy (no forwarding headers), so that a
    reverse proxy on the same host does not publish the metrics."""
    token = request.app.state.settings.metrics_token
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise Problem(
                401,
                "The metrics need the METRICS_TOKEN bearer token.",
                slug="unauthorized",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return
    host = request.client.host if request.client else ""
    proxied = any(name in _FORWARDED for name, _ in request.scope.get("headers", ()))
    if not host.startswith(_LOOPBACK) or proxied:
        raise Problem(403, "The metrics answer local clients only (or set METRICS_TOKEN).", slug="forbidden")


@router.get(
    "/metrics",
    summary="Prometheus metrics (local clients, or the METRICS_TOKEN bearer token)",
    response_class=Response,
    dependencies=[Depends(_metrics_allowed)],
    responses={
        200: {
            "description": "Prometheus text exposition format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        **problem_responses(
            401,
            403,
            descriptions={
                401: "METRICS_TOKEN is set and the request lacks it",
                403: "METRICS_TOKEN is not set and the client is not local",
            },
        ),
    },
)
async def metrics(request: Request) -> Response:
    body, ctype = request.app.state.metrics.render()
    return Response(body, media_type=ctype)
