"""What every router shares about its input: ids that fit the database, plausible dates, and no
NUL characters anywhere.

Bad input must be a 4xx that names the field, never a 500 from the database: PostgreSQL's
`INTEGER` holds at most 2**31-1 (SQLite overflows past 2**63-1) and PostgreSQL refuses a NUL
character in text. Both are refused here, before a query is built, on every database.

`InputRoute` is the route class of every router: it runs the NUL check after the route's own
authentication and role checks, and reads JSON numbers as JSON Schema counts them. The OpenAPI
document states the same rules (app/openapi.py, decision 0050).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request, Response
from fastapi.routing import APIRoute

from app.models.base import DB_INT_MAX, EARLIEST_DAY, LATEST_DAY
from app.problems import Problem

# Dates a person could mean (every `Day` in input is bounded so: app/models/base.py).
EARLIEST_DATE = EARLIEST_DAY
LATEST_DATE = LATEST_DAY
DATE_RANGE = f"between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"


def id_path(what: str) -> Any:
    return Path(ge=1, le=DB_INT_MAX, description=f"the {what}'s numeric id", examples=[1])


def id_query(what: str) -> Any:
    return Query(ge=1, le=DB_INT_MAX, description=f"the {what}'s numeric id")


def date_query(description: str, **kwargs: Any) -> Any:
    # FastAPI types ge/le as numbers; pydantic compares any ordered value, dates included
    bounds: dict[str, Any] = {"ge": EARLIEST_DATE, "le": LATEST_DATE}
    return Query(description=f"{description} ({DATE_RANGE})", **bounds, **kwargs)


CaseId = Annotated[int, id_path("case")]
UserId = Annotated[int, id_path("user")]
RuleId = Annotated[int, id_path("routing rule")]


# ---- NUL characters ---------------------------------------------------------------------------


def _nul_in(value: Any, where: str) -> str | None:
    """The dotted path of the first string (or key) holding a NUL character, if any."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for k, v in value.items():
            if "\x00" in str(k):
                return f"{where}.{k!s}".replace("\x00", "\\u0000")
            found = _nul_in(v, f"{where}.{k}")
            if found:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _nul_in(v, f"{where}.{i}")
            if found:
                return found
    return None


def _nul_problem(field: str) -> Problem:
    message = "must not contain NUL (\\u0000) characters"
    return Problem(
        422,
        f"{field}: {message}",
        slug="validation-error",
        title="Invalid input",
        errors=[{"field": field, "message": message, "type": "nul_character"}],
    )


class InputRoute(APIRoute):
    """The route class of every router (`APIRouter(route_class=InputRoute, ...)`): its requests'
    JSON is read by `_JsonRequest`, and its endpoint gets `reject_nul_characters` as its last
    dependency, so the check runs after authentication and the role check (a reception desk
    sending a NUL to an admin-only route is told 403, as for any other body) and before the
    handler touches the database. (FastAPI solves app- and route-level dependencies before the
    endpoint's own, so an app-wide dependency would answer 422 before 401 or 403.)"""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, _nul_checked(endpoint), **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            return await handler(_JsonRequest(request.scope, request.receive))

        return handle


class _JsonRequest(Request):
    """A JSON number without a fractional part is an integer, as JSON Schema (and so the OpenAPI
    document) counts it: `1.0` and `1e2` are read as 1 and 100, so that a `StrictInt` field takes
    every value its `type: integer` admits (and still refuses `"1"`, `true` and `1.5`)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), parse_float=_json_number)
        return self._json


def _json_number(text: str) -> float | int:
    number = Decimal(text)
    # an integral value of a sane size (a huge exponent would make a huge int)
    if number.is_finite() and number.adjusted() < 19 and number == number.to_integral_value():
        return int(number)
    return float(text)


def _nul_checked(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """`endpoint` with one more, last, keyword-only parameter: `Depends(reject_nul_characters)`."""
    if getattr(endpoint, "_nul_checked", False):
        return endpoint
    signature = inspect.signature(endpoint, eval_str=True)
    check = inspect.Parameter(
        "_input_checked", inspect.Parameter.KEYWORD_ONLY, annotation=None, default=Depends(reject_nul_characters)
    )
    # (mypy takes an async and a sync variant of one name for a conflict: misc; a function takes
    # any attribute, which its type does not declare: attr-defined)
    if inspect.iscoroutinefunction(endpoint):

        async def checked(*args: Any, _input_checked: None = None, **kwargs: Any) -> Any:
            return await endpoint(*args, **kwargs)
    else:

        def checked(*args: Any, _input_checked: None = None, **kwargs: Any) -> Any:  # type: ignore[misc]
            return endpoint(*args, **kwargs)

    # not functools.wraps: FastAPI would follow __wrapped__ back to the endpoint's own signature
    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(checked, attr, getattr(endpoint, attr))
    checked.__signature__ = signature.replace(parameters=[*signature.parameters.values(), check])  # type: ignore[attr-defined]
    checked._nul_checked = True  # type: ignore[attr-defined]
    return checked


async def reject_nul_characters(request: Request) -> None:
    """An app-wide dependency: a NUL character in the path, the query or the body is a 422
    naming the field (PostgreSQL cannot store one, and no legitimate input holds one)."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and "\x00" in value:
            raise _nul_problem(f"path.{name}")
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise _nul_problem(f"query.{name}".replace("\x00", "\\u0000"))
    if request.method in ("GET", "HEAD", "DELETE", "OPTIONS"):
        return
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json" or ctype.endswith("+json"):
        raw = await request.body()
        if b"\\u0000" not in raw:  # a raw NUL byte is not valid JSON: the body parser rejects it
            return
        try:
            body = json.loads(raw)
        except ValueError:
            return  # FastAPI answers the malformed body with its own 422
        found = _nul_in(body, "body")
        if found:
            raise _nul_problem(found)
    elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = await request.form()
        except Exception:
            return  # a malformed form: the route's own body handling answers it (a 422)
        for name, value in form.multi_items():
            if "\x00" in name or (isinstance(value, str) and "\x00" in value):
                raise _nul_problem(f"body.{name}".replace("\x00", "\\u0000"))
