"""What readiness checks ask the database."""

from __future__ import annotations

from sqlalchemy import text

from app.db import Database


async def database_revision(db: Database) -> str | None:
    """The migration revision the database is at (None when it has none); raises when the
    database cannot be reached or has never been migrated."""
    async with db.read_sessionmaker() as session:
        return (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar_one_or_none()
