"""Keyset pagination: `?limit=` (default 50, max 200) and an opaque `?cursor=`."""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from app.errors import CURSOR, field_error
from app.models.base import DB_INT_MAX

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=200, description="page size, at most 200")]
Cursor = Annotated[str | None, Query(max_length=512, description="`next_cursor` of the previous page")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cut_page(rows: list[T], limit: int, key) -> tuple[list[T], str | None]:
    """`rows` were fetched with `limit + 1`: the page, and the cursor after its last row
    (`key(row)` gives the sort key's values) when a further row exists."""
    nxt = encode_cursor(key(rows[limit - 1])) if len(rows) > limit else None
    return rows[:limit], nxt


def decode_cursor(cursor: str | None, arity: int, kinds: tuple[type, ...] | None = None) -> list[Any] | None:
    """The values of a cursor this service issued, or a 422 naming `query.cursor`.

    A cursor arrives from the client, so it is input like any other: each value must be a string
    without NUL characters or an integer a database column holds; `kinds` (one type per value)
    narrows that further, e.g. `(int,)` for a cursor over ids."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except Exception:
        raise field_error("query.cursor", "not a cursor this service issued", kind=CURSOR) from None
    if not isinstance(values, list) or len(values) != arity or not all(_plausible(v) for v in values):
        raise field_error("query.cursor", "not a cursor this service issued", kind=CURSOR)
    if kinds is not None and not all(type(v) is k for v, k in zip(values, kinds, strict=True)):
        raise field_error("query.cursor", "not a cursor this service issued", kind=CURSOR)
    return values


def decode_day_cursor(cursor: str | None) -> list[Any] | None:
    """A `[day, id]` cursor of a list kept in date order (`YYYY-MM-DD`, then the id), or the same
    422 as any cursor this service did not issue."""
    values = decode_cursor(cursor, 2, kinds=(str, int))
    if values is not None:
        try:
            date.fromisoformat(values[0])
        except ValueError:
            raise field_error("query.cursor", "not a cursor this service issued", kind=CURSOR) from None
    return values


def _plausible(value: Any) -> bool:
    if type(value) is int:
        return -DB_INT_MAX - 1 <= value <= DB_INT_MAX
    return isinstance(value, str) and "\x00" not in value and len(value) <= 256
