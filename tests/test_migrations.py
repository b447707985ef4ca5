"""Migrations on the configured database kind: up, down to nothing, up again; and the models
agree with the migrations (autogenerate would write an empty migration)."""
from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import app.models  # noqa: F401  registers every table
from app.migrations import downgrade, head_revision, upgrade
from tests.dbtools import throwaway_database

pytestmark = pytest.mark.slow


def _significant(diff) -> bool:
    """PostgreSQL-only expression indexes (`ixpg_*`) are created by hand in migrations."""
    op = diff[0] if isinstance(diff, tuple) else diff[0][0]
    if op in ("add_index", "remove_index"):
        index = diff[1] if isinstance(diff, tuple) else diff[0][1]
        return not (index.name or "").startswith("ixpg_")
    return True


async def _tables_and_revision(url: str) -> tuple[set[str], str | None]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            revision = None
            if "alembic_version" in tables:
                revision = (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).scalar()
        return tables, revision
    finally:
        await engine.dispose()


async def _model_differences(url: str) -> list:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            def compare(sync_conn):
                ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return compare_metadata(ctx, SQLModel.metadata)

            return [d for d in await conn.run_sync(compare) if _significant(d)]
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade_and_models_match(database_url, tmp_path):
    async with throwaway_database(database_url, tmp_path, "migr") as url:
        await asyncio.to_thread(upgrade, url)
        tables, revision = await _tables_and_revision(url)
        assert revision == head_revision()
        assert {"admin_unit", "organization", "app_user", "audit_event"} <= tables
        assert set(SQLModel.metadata.tables) <= tables

        await asyncio.to_thread(downgrade, url, "base")
        tables, revision = await _tables_and_revision(url)
        assert tables <= {"alembic_version"} and revision is None, tables

        await asyncio.to_thread(upgrade, url)
        assert (await _tables_and_revision(url))[1] == head_revision()

        differences = await _model_differences(url)
        assert differences == [], "models and migrations disagree; autogenerate a migration:\n" + "\n".join(
            map(repr, differences))
