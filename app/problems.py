"""RFC 9457 problem details: every error the API returns, in one shape.

Validation errors carry an `errors` list naming each bad field (`field` is a dotted path such as
`body.petitioners.0.full_name`). No stack trace ever reaches a client; the request id in the
body lets an operator find the log line.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("app.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "urn:hanoi-petitions:problem:"


class Problem(Exception):
    """Raise anywhere in a request to return a problem+json response."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        errors: Sequence[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug
        self.title = title or HTTPStatus(status).phrase
        self.errors = list(errors) if errors is not None else None
        self.headers = headers or {}
        self.extra = extra


def field_error(field: str, message: str, status: int = 422, **extra: Any) -> Problem:
    """A 4xx naming one bad field, in the same shape as request validation errors."""
    return Problem(status, f"{field}: {message}", slug="validation-error", title="Invalid input",
                   errors=[{"field": field, "message": message}], **extra)


def problem_response(request: Request | None, status: int, detail: str, *, slug: str | None = None,
                     title: str | None = None, errors: list[dict[str, Any]] | None = None,
                     headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug if slug else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.url.path
        rid = getattr(request.state, "request_id", None)
        if rid:
            body["request_id"] = rid
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _loc_to_field(loc: Sequence[Any]) -> str:
    return ".".join(str(p) for p in loc)


def _clean_ctx(err: dict[str, Any]) -> dict[str, Any]:
    out = {"field": _loc_to_field(err.get("loc", ())), "message": err.get("msg", "invalid"), "type": err.get("type")}
    return out


_SLUGS = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
          409: "conflict", 412: "precondition-failed", 415: "unsupported-media-type", 422: "validation-error",
          428: "precondition-required", 429: "too-many-requests"}


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(request, exc.status, exc.detail, slug=exc.slug or _SLUGS.get(exc.status),
                                title=exc.title, errors=exc.errors, headers=exc.headers, extra=exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_clean_ctx(e) for e in exc.errors()]
        fields = ", ".join(e["field"] for e in errors) or "request"
        return problem_response(request, 422, f"Invalid input in: {fields}", slug="validation-error",
                                title="Invalid input", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and detail == "Not Found":
            detail = "No resource at this path."
        if exc.status_code == 405:
            detail = f"Method {request.method} is not allowed on this path."
        return problem_response(request, exc.status_code, detail, slug=_SLUGS.get(exc.status_code),
                                headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return unexpected_error_response(request, exc)


def unexpected_error_response(request: Request, exc: BaseException, route: str | None = None) -> JSONResponse:
    """Log the failure (with its trace and request id) for the operator; tell the client only the id."""
    log.error("unhandled error", exc_info=(type(exc), exc, exc.__traceback__),
              extra={"path": request.url.path, "route": route})
    return problem_response(request, 500, "An unexpected error occurred. Quote the request id when reporting it.",
                            slug="internal-error")
