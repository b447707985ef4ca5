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
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app import errors
from app.openapi import exact_document

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


# Domain errors (app/errors.py) and the problem each one is: status, slug, title.
_DOMAIN: dict[type[errors.DomainError], tuple[int, str, str | None]] = {
    errors.NotFound: (404, "not-found", None),
    errors.Forbidden: (403, "forbidden", None),
    errors.IllegalAction: (409, "illegal-transition", None),
    errors.Conflict: (409, "conflict", None),
    errors.PreconditionRequired: (428, "precondition-required", None),
    errors.Stale: (412, "precondition-failed", None),
    errors.Invalid: (422, "validation-error", "Invalid input"),
    errors.Unavailable: (503, "unavailable", None),
}


def domain_problem(exc: errors.DomainError) -> Problem:
    """The problem+json a domain error is (the most specific class in _DOMAIN wins)."""
    for cls in type(exc).__mro__:
        if cls in _DOMAIN:
            status, slug, title = _DOMAIN[cls]
            break
    else:  # pragma: no cover - every DomainError subclass is a subclass of one listed
        status, slug, title = 500, "internal-error", None
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, errors.Unavailable) else None
    extra = dict(exc.extra)
    errs = exc.errors if isinstance(exc, errors.Invalid) else extra.pop("errors", None)
    return Problem(status, exc.message, slug=exc.code or slug, title=title, errors=errs, headers=headers, **extra)


def problem_response(
    request: Request | None,
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
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


# ---- documentation: the problem shape in /openapi.json --------------------------------------------


class FieldProblem(BaseModel):
    field: str = Field(
        description="dotted path of the bad input: `body.petitioners.0.full_name`, `query.limit`, "
        "`path.case_id`, `header.Idempotency-Key`"
    )
    message: str
    type: str | None = Field(default=None, description="machine-readable error kind, when known")


class ProblemDetails(BaseModel):
    """An RFC 9457 problem. Some problems carry more members (e.g. a 409 from a transition lists
    `allowed_actions`)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": PROBLEM_BASE + "validation-error",
                    "title": "Invalid input",
                    "status": 422,
                    "detail": "Invalid input in: body.petitioners.0.full_name",
                    "instance": "/api/v1/cases",
                    "request_id": "6f1c0e0d4b6a4f43a5f3c0f2b1f5d8aa",
                    "errors": [
                        {
                            "field": "body.petitioners.0.full_name",
                            "message": "String should have at least 1 character",
                            "type": "string_too_short",
                        }
                    ],
                }
            ]
        },
    )

    type: str = Field(description="`urn:hanoi-petitions:problem:<slug>` or `about:blank`")
    title: str
    status: int
    detail: str
    instance: str | None = Field(default=None, description="the request path")
    request_id: str | None = Field(default=None, description="quote it when reporting a problem")
    errors: list[FieldProblem] | None = Field(default=None, description="validation errors: one per bad field")


PROBLEM_DESCRIPTIONS = {
    400: "Bad request",
    401: "No bearer token, or a bad, expired or revoked one",
    403: "Your role or organisation may not do this",
    404: "No such record (or it is outside your jurisdiction)",
    409: "Conflicts with the current state of the record",
    412: "`If-Match` does not match the current version: reload and retry",
    413: "The request body is larger than the configured limit (`MAX_BODY_BYTES`)",
    415: "Unsupported media type",
    422: "Invalid input: `errors` names each bad field",
    428: "`If-Match` is required: send the ETag you read",
    429: "Too many requests: see `Retry-After`",
    503: "Temporarily unavailable",
}


def problem_responses(*statuses: int, descriptions: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route or router: these statuses answer with a problem (optionally with
    a more specific description than the default one)."""
    descriptions = descriptions or {}
    return {
        status: {
            "model": ProblemDetails,
            "description": descriptions.get(status) or PROBLEM_DESCRIPTIONS.get(status) or HTTPStatus(status).phrase,
        }
        for status in statuses
    }


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Post-process the generated OpenAPI document: error responses are `application/problem+json`
    (FastAPI would list the model under `application/json`), and FastAPI's default 422
    (`HTTPValidationError`, a shape this service never returns) becomes the problem it is."""
    ref = "#/components/schemas/ProblemDetails"
    problem_content = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": ref}}}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for _status, response in operation["responses"].items():
                content = response.get("content") or {}
                media = content.get("application/json", {})
                ref_now = media.get("schema", {}).get("$ref", "")
                if ref_now == ref or ref_now.endswith("/HTTPValidationError"):
                    response["content"] = problem_content
                    if ref_now.endswith("/HTTPValidationError"):
                        response["description"] = PROBLEM_DESCRIPTIONS[422]
    components = schema.get("components", {}).get("schemas", {})
    if "HTTPValidationError" in components and "HTTPValidationError" not in str(schema.get("paths")):
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
    return schema


# FastAPI's 400 for a body it could not decode (e.g. bytes that are not UTF-8); a JSON syntax error
# is already a 422 (`json_invalid`). Starlette's multipart errors carry their own detail.
_FASTAPI_UNPARSABLE_BODY = "There was an error parsing the body"

_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "content-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    428: "precondition-required",
    429: "too-many-requests",
}


def _is_sqlite_busy(exc: OperationalError) -> bool:
    return "database is locked" in str(exc.orig) or "database table is locked" in str(exc.orig)


def _edge(request: Request) -> Any:
    """An edge with its own error format (Open311) for this path, if any: `app.state.error_edges`
    maps a path prefix to `f(request, status, messages) -> Response`."""
    for prefix, edge in getattr(request.app.state, "error_edges", {}).items():
        if request.url.path.startswith(prefix):
            return edge
    return None


def install(app: FastAPI) -> None:
    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> JSONResponse:
        # SQLite's single write lock stayed taken past the busy timeout: a moment's overload,
        # not a bug; the transaction was rolled back, so the client may simply retry.
        if _is_sqlite_busy(exc):
            log.warning("database busy: write lock not obtained in time", extra={"path": request.url.path})
            return problem_response(
                request,
                503,
                "The database is busy; nothing was changed. Retry shortly.",
                slug="database-busy",
                headers={"Retry-After": "1"},
            )
        return unexpected_error_response(request, exc)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        edge = _edge(request)
        if edge is not None:
            messages = [e["field"] + ": " + e["message"] for e in exc.errors or []] or [exc.detail]
            return edge(request, exc.status, messages)
        return problem_response(
            request,
            exc.status,
            exc.detail,
            slug=exc.slug or _SLUGS.get(exc.status),
            title=exc.title,
            errors=exc.errors,
            headers=exc.headers,
            extra=exc.extra,
        )

    @app.exception_handler(errors.DomainError)
    async def _domain(request: Request, exc: errors.DomainError) -> Response:
        return await _problem(request, domain_problem(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [_clean_ctx(e) for e in exc.errors()]
        edge = _edge(request)
        if edge is not None:
            return edge(request, 422, [f"{e['field'].split('.', 1)[-1]}: {e['message']}" for e in errors])
        fields = ", ".join(e["field"] for e in errors) or "request"
        return problem_response(
            request, 422, f"Invalid input in: {fields}", slug="validation-error", title="Invalid input", errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        edge = _edge(request)
        if edge is not None:
            response = edge(request, exc.status_code, [detail])
            if exc.status_code == 405:  # RFC 9110: a 405 lists what the path supports, in any format
                response.headers["Allow"] = ", ".join(allowed_methods(request))
            return response
        if exc.status_code == 400:
            # Only FastAPI and Starlette raise a bare 400 here (this service raises Problem), and only
            # for a body they could not parse: not UTF-8, or a malformed multipart form. It is
            # invalid input like any other: a 422 naming the body.
            message = "could not be parsed: send UTF-8 JSON (or the form the operation documents)"
            if detail != _FASTAPI_UNPARSABLE_BODY:
                message += f" ({detail})"
            return problem_response(
                request,
                422,
                f"body: {message}",
                slug="validation-error",
                title="Invalid input",
                errors=[{"field": "body", "message": message, "type": "body_unparsable"}],
            )
        if exc.status_code == 404 and detail == "Not Found":
            detail = "No resource at this path."
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            detail = f"Method {request.method} is not allowed on this path."
            # Starlette's router names only the methods of the first route whose path matched; a
            # path served by several routes (GET and POST /api/v1/units) supports them all.
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return problem_response(request, exc.status_code, detail, slug=_SLUGS.get(exc.status_code), headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return unexpected_error_response(request, exc)

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = exact_document(document_problems(generate()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the document


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """The methods the request's path supports: each one some route fully matches with this path."""
    routes = request.app.router.routes
    return [
        m for m in _METHODS if any(route.matches({**request.scope, "method": m})[0] == Match.FULL for route in routes)
    ]


def unexpected_error_response(request: Request, exc: BaseException, route: str | None = None) -> JSONResponse:
    """Log the failure (with its trace and request id) for the operator; tell the client only the id."""
    log.error(
        "unhandled error",
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"path": request.url.path, "route": route},
    )
    return problem_response(
        request, 500, "An unexpected error occurred. Quote the request id when reporting it.", slug="internal-error"
    )
