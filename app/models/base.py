"""Shared column helpers for the SQLModel tables."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, overload

import sqlalchemy as sa
from pydantic import AfterValidator, AwareDatetime, BeforeValidator
from sqlmodel import Field
from sqlmodel._compat import SQLModelConfig

__all__ = ["SQLModelConfig"]  # what an SQLModel class's `model_config` is typed as (pydantic's ConfigDict is not)

# Constraint names that are the same on SQLite and PostgreSQL, so that Alembic sees no difference.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Ids and counters are `INTEGER` columns: PostgreSQL's int4. A larger number in a request is
# refused as bad input (422) rather than reaching the database (a 500 there).
DB_INT_MAX = 2**31 - 1

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Days a person could mean: the deadline engine's holiday tables and date arithmetic stay well
# inside Python's year 1..9999 (a due date after 9999-12-31 would overflow). The OpenAPI document
# states the same bounds as a pattern on every request date (app/openapi.py).
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2100, 12, 31)


def _iso_day(value: Any) -> Any:
    """Only `YYYY-MM-DD` is a day: pydantic's lax mode would also read `0` or `"1700000000"` as a
    Unix timestamp and `"2026-11-20T00:00"` as a day, and a typo would become a date in 1970."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DAY.match(value):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


def _plausible_day(value: date) -> date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError(f"must be between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}")
    return value


Day = Annotated[date, BeforeValidator(_iso_day), AfterValidator(_plausible_day)]
"""A calendar day in input (body or query): `YYYY-MM-DD` and nothing else, 1900-01-01..2100-12-31."""


def _plausible_moment(value: datetime) -> datetime:
    """Far years would overflow when converted to UTC or Hanoi time."""
    if not EARLIEST_DAY.year <= value.year <= LATEST_DAY.year:
        raise ValueError(f"must be between {EARLIEST_DAY.year} and {LATEST_DAY.year}")
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_plausible_moment)]
"""A moment in input: ISO 8601 with an offset, its year (as written) 1900..2100. The OpenAPI document
states the bound as a pattern on every request `date-time` (app/openapi.py)."""

# Patterns for text a validator normalises, stated so that the OpenAPI document says exactly what
# is accepted (the same regex reads alike in Python, in pydantic's Rust engine and in JSON Schema).
# WHITESPACE is what Python's str.strip() and str.split() remove: exactly the str.isspace() characters.
WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = rf"^[^\x00]*[^\x00{WHITESPACE}][^\x00]*$"
"""Some character other than whitespace (and no NUL)."""


def omit_not_null(schema: dict[str, Any]) -> None:
    """`json_schema_extra` of an optional field that may be left out but not sent as `null` (the
    service refuses null): the document then admits no null, as the server."""
    branches = [b for b in schema.pop("anyOf", []) if b.get("type") != "null"]
    if len(branches) == 1:
        schema.update(branches[0])
    schema.pop("default", None)


def padded(core: str) -> str:
    """Empty, or `core` with any whitespace around it (a validator strips it)."""
    return rf"^$|^[{WHITESPACE}]*({core})[{WHITESPACE}]*$"


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
@overload
def as_utc(value: datetime | None) -> datetime | None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def ts_field(**kw: Any) -> Any:
    """A timezone-aware timestamp column defaulting to now (UTC)."""
    return Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True), **kw)


from sqlmodel import SQLModel  # noqa: E402

SQLModel.metadata.naming_convention = NAMING_CONVENTION

from app.models.construct import install as _install_fast_construct  # noqa: E402

_install_fast_construct()  # table objects built without SQLModel's per-field setattr (decision 0105)
