"""Shared column helpers for the SQLModel tables."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

# Constraint names that are the same on SQLite and PostgreSQL, so that Alembic sees no difference.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


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
