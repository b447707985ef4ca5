"""create_app(): routers, middleware, problem+json handlers, lifespan."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import problems
from app.bodylimit import BodySizeLimitMiddleware
from app.config import Settings, get_settings
from app.db import Database
from app.observability import Metrics, RequestContextMiddleware, configure_logging
from app.ratelimit import Limiter, SharedWindowLimiter, SlidingWindowLimiter
from app.routers import (
    api_keys,
    audit,
    auth,
    calendar,
    cases,
    dialogues,
    open311,
    ops,
    public,
    reception,
    reference,
    reports,
    routing,
    supervision,
    users,
    voter_meetings,
)
from app.services.cases.common import configure_pin_key
from app.workflows.calendar import business_today

DESCRIPTION = """
Case management for citizens' complaints (khiếu nại), denunciations (tố cáo), petitions (kiến nghị)
and reflections (phản ánh) in Hanoi, under Quy chế 2387-QĐ/TU and the national laws on complaints,
denunciations and citizen reception. Errors are RFC 9457 `application/problem+json`.
"""


@dataclass
class LoginLimits:
    failures: Limiter
    attempts: Limiter

    def reset(self) -> None:
        self.failures.reset()
        self.attempts.reset()


def _limiter(app: FastAPI, settings: Settings, scope: str, limit: int, window: float) -> Limiter:
    """In memory, or shared by every process through the database (RATE_LIMITS_SHARED, decision 0099)."""
    if not settings.rate_limits_shared:
        return SlidingWindowLimiter(limit, window)
    return SharedWindowLimiter(
        scope, limit, window, engine=lambda: app.state.db.engine, secret=settings.pin_key + b"/rate-limits"
    )


def create_app(settings: Settings | None = None, *, configure_logs: bool = True) -> FastAPI:
    settings = settings or get_settings()
    if configure_logs:
        configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = getattr(app.state, "db", None) is None
        if owned:
            app.state.db = Database.from_settings(settings)
        try:
            yield
        finally:
            if owned:
                await app.state.db.dispose()

    app = FastAPI(title="Hanoi citizen petitions", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    configure_pin_key(settings.pin_key)
    app.state.metrics = Metrics()
    app.state.today = business_today  # the business date in Asia/Ho_Chi_Minh; tests may pin it
    app.state.login_limits = LoginLimits(
        failures=_limiter(app, settings, "login.user", settings.login_max_failures, settings.login_window_seconds),
        attempts=_limiter(app, settings, "login.addr", settings.login_max_per_address, settings.login_window_seconds),
    )
    app.state.public_limits = _limiter(app, settings, "public", settings.public_lookups_per_minute, 60)
    problems.install(app)

    @app.exception_handler(IntegrityError)
    async def _integrity(request, exc):  # a concurrent duplicate (same key, same code): nothing was stored
        # Logged: a foreign-key or NOT NULL violation here is a bug, not a race. The exception's
        # text carries no parameters (hide_parameters), so no personal data reaches the log.
        logging.getLogger("app.errors").warning(
            "integrity error answered as 409: %s", type(exc.orig).__name__, exc_info=exc
        )
        return problems.problem_response(
            request, 409, "The change conflicts with data stored meanwhile; retry.", slug="conflict"
        )

    # Added first, so it runs inside the request context (its 413 carries the request id).
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    if settings.trusted_proxy_list:
        # Outermost: the client address that logs, limits and /metrics see is the one the trusted
        # proxies forwarded (the right-most address in X-Forwarded-For that is not one of them).
        # From any other peer the headers are ignored; with no TRUSTED_PROXIES, from every peer.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
    for module in (ops, auth, users, reference, cases, calendar, routing, audit, api_keys, open311, public):
        app.include_router(module.router)
    for module in (dialogues, reception, voter_meetings):  # issue #8: dialogues, reception, voter meetings
        app.include_router(module.router)
    app.include_router(supervision.router)  # overview, recommendations
    app.include_router(supervision.alerts_router)  # alerts (Quy chế 2387 Art 23)
    app.include_router(reports.router)  # periodic reports (Quy chế 2387 Art 24, issue 9)
    app.state.error_edges = {open311.PREFIX + "/": open311.error_for}
    problem_openapi = app.openapi
    # replacing app.openapi is FastAPI's documented way to extend the document; its stubs call it a method
    app.openapi = lambda: open311.document(problem_openapi())  # type: ignore[method-assign]
    return app


def app_factory() -> FastAPI:
    """For `uvicorn --factory app.main:app_factory`."""
    return create_app()
