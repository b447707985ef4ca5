"""Migrations on the configured database kind: up, down to nothing, up again; and the models
agree with the migrations (autogenerate would write an empty migration)."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
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
            map(repr, differences)
        )


async def test_0013_moves_the_search_text_out_of_the_case_row_and_back(database_url, tmp_path):
    """Cases logged before 0013 stay findable by `q` after it (their text is copied into
    case_search), and a downgrade puts the text back into case_file."""
    from app.config import Settings
    from app.db import Database
    from app.services.reference import seed_reference

    async with throwaway_database(database_url, tmp_path, "srch") as url:
        await asyncio.to_thread(upgrade, url, "0010_pub")
        db = Database.from_settings(Settings(app_env="test", database_url=url))
        try:
            async with db.sessionmaker() as s, s.begin():
                await seed_reference(s)
            async with db.engine.begin() as conn:
                org_id, unit, path = (
                    await conn.exec_driver_sql(
                        "SELECT o.id, u.code, u.path FROM organization o JOIN admin_unit u ON u.code = o.unit_code "
                        "ORDER BY o.id LIMIT 1"
                    )
                ).one()
                await conn.execute(
                    text(
                        "INSERT INTO case_file (code, pin_hash, kind, status, channel, received_on, title, "
                        "content, field, "
                        "location_unit_code, location_path, anonymous, identity_protected, receiving_org_id, "
                        "receiving_path, petitioner_count, mass, filing_late, filing_obstacle_days, remote_area, "
                        "extensions_used, urgent, last_event_on, search_text, version, created_at, updated_at) VALUES "
                        "('HN-26N-AAAAAA', 'x', 'petition', 'received', 'mail', '2026-11-02', 'Đất đai', '', 'land', "
                        ":unit, :path, false, false, :org, :path, 1, false, false, 0, false, 0, false, '2026-11-02', "
                        "'hn-26n-aaaaaa dat dai', 1, '2026-11-02 01:00:00+00', '2026-11-02 01:00:00+00')"
                    ),
                    {"unit": unit, "path": path, "org": org_id},
                )
        finally:
            await db.dispose()
        await asyncio.to_thread(upgrade, url)
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                rows = (
                    await conn.exec_driver_sql(
                        "SELECT c.code, s.text FROM case_search s JOIN case_file c ON c.id = s.case_id"
                    )
                ).all()
                assert [tuple(r) for r in rows] == [("HN-26N-AAAAAA", "hn-26n-aaaaaa dat dai")]
                columns = await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("case_file")})
                assert "search_text" not in columns
            await asyncio.to_thread(downgrade, url, "0010_pub")
            async with engine.connect() as conn:
                back = (await conn.exec_driver_sql("SELECT code, search_text FROM case_file")).all()
                assert [tuple(r) for r in back] == [("HN-26N-AAAAAA", "hn-26n-aaaaaa dat dai")]
                tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
                assert "case_search" not in tables
        finally:
            await engine.dispose()


def test_0013_partial_index_names_the_statuses_the_rules_use():
    """The PostgreSQL partial index of 0013 spells out the open statuses; they must be the lifecycle's
    (an index whose predicate a query does not imply is silently never used)."""
    import importlib.util
    from pathlib import Path

    from app.workflows.lifecycle import OPEN_STATUSES

    path = Path(__file__).resolve().parent.parent / "alembic" / "versions" / "0013_srch.py"
    spec = importlib.util.spec_from_file_location("m0013", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def listed(sql: str) -> list[str]:
        return [s.strip().strip("'") for s in sql.strip("()").split(",")]

    assert listed(module._OPEN) == sorted(s.value for s in OPEN_STATUSES)


def test_0014_partial_indexes_name_the_statuses_whose_clock_runs():
    """0014's indexes serve the overdue list and window only if `overdue_clause` implies their
    predicate: the statuses they spell out must be app/workflows/overdue.RUNNING_STATUSES."""
    import importlib.util
    from pathlib import Path

    from app.workflows.overdue import RUNNING_STATUSES

    path = Path(__file__).resolve().parent.parent / "alembic" / "versions" / "0014_stat.py"
    spec = importlib.util.spec_from_file_location("m0014", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert [s.strip().strip("'") for s in module._RUNNING.strip("()").split(",")] == sorted(RUNNING_STATUSES)
