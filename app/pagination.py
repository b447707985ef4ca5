"""Keyset pagination: `?limit=` (default 50, max 200) and an opaque `?cursor=`."""
from __future__ import annotations

import base64
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from app.problems import field_error

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=200, description="page size, at most 200")]
Cursor = Annotated[str | None, Query(max_length=512, description="`next_cursor` of the previous page")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except Exception:
        raise field_error("query.cursor", "not a cursor this service issued") from None
    if not isinstance(values, list) or len(values) != arity:
        raise field_error("query.cursor", "not a cursor this service issued")
    return values
