"""What every router shares about its input: ids that fit the database, plausible dates, and no
NUL characters anywhere.

Bad input must be a 4xx that names the field, never a 500 from the database: PostgreSQL's
`INTEGER` holds at most 2**31-1 (SQLite overflows past 2**63-1) and PostgreSQL refuses a NUL
character in text. Both are refused here, before a query is built, on every database.
"""
from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import Path, Query, Request

from app.models.base import DB_INT_MAX
from app.problems import Problem

# Dates a person could mean: the deadline engine's holiday tables and date arithmetic stay well
# inside Python's year 1..9999 (a due date after 9999-12-31 would overflow).
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)
DATE_RANGE = f"between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"


def id_path(what: str) -> Any:
    return Path(ge=1, le=DB_INT_MAX, description=f"the {what}'s numeric id", examples=[1])


def id_query(what: str) -> Any:
    return Query(ge=1, le=DB_INT_MAX, description=f"the {what}'s numeric id")


def date_query(description: str, **kwargs: Any) -> Any:
    return Query(ge=EARLIEST_DATE, le=LATEST_DATE, description=f"{description} ({DATE_RANGE})", **kwargs)


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
    return Problem(422, f"{field}: {message}", slug="validation-error", title="Invalid input",
                   errors=[{"field": field, "message": message, "type": "nul_character"}])


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
