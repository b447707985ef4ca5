"""The demo's bulk path writes exactly the rows the service path writes.

The same seed, number of cases and business date are loaded twice, into two fresh databases of
the configured kind (SQLite, or PostgreSQL with TEST_DATABASE_URL): once case by case through the
case service and its ORM session (`load_demo(bulk=False)`), once through the same service
functions over the in-memory session with the rows copied in bulk (`bulk=True`: COPY on
PostgreSQL). Then every table is compared row by row, every column: ids, tracking codes,
statuses, dates, due dates, petitioners, obligations, dialogues, and the audit events with their
hashes. Wall-clock time is frozen for both loads (otherwise `created_at` and the audit `at`, and
so the hashes, would differ by the clock alone), and the random PINs of split and round-2 cases
come from one counter. The only column left out is the demo users' Argon2 password hash, which
is salted at random by design.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlmodel import SQLModel

from app.config import Settings
from app.db import Database
from app.demo import load_demo
from app.migrations import upgrade
from app.services import audit
from app.services.reference import seed_reference
from tests.dbtools import throwaway_database

TODAY = date(2026, 11, 27)
SEED = 11
CASES = 300
FROZEN = datetime(2026, 11, 27, 3, 0, 0, 123456, tzinfo=UTC)
# (a password's salt, and the admin tables' stamp: random in every database, decision 0100)
SKIP = {("app_user", "password_hash"), ("config_stamp", "stamp")}


class _FrozenDatetime(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        return FROZEN if tz is not None else FROZEN.replace(tzinfo=None)


async def _load(url: str, *, bulk: bool, batch: int) -> tuple[dict[str, list[tuple]], Any]:
    await asyncio.to_thread(upgrade, url)
    db = Database.from_settings(Settings(app_env="test", database_url=url))
    try:
        async with db.sessionmaker() as s, s.begin():
            await seed_reference(s)
        report = await load_demo(
            db, cases=CASES, seed=SEED, batch=batch, today=TODAY, password="demo-password-1", bulk=bulk, analyze=False
        )
        tables: dict[str, list[tuple]] = {}
        async with db.read_sessionmaker() as s, s.begin():
            for table in SQLModel.metadata.sorted_tables:
                cols = [c for c in table.columns if (table.name, c.name) not in SKIP]
                order = list(table.primary_key.columns) or cols
                tables[table.name] = [tuple(r) for r in (await s.execute(select(*cols).order_by(*order))).all()]
            verified = await audit.verify(s)
            if db.dialect == "postgresql":  # the next id the database hands out follows the loaded ones
                nxt = (await s.execute(text("SELECT nextval(pg_get_serial_sequence('case_file', 'id'))"))).scalar()
                tables["_next_case_id"] = [(nxt,)]
        return tables, (report, verified)
    finally:
        await db.dispose()


@pytest.mark.asyncio
async def test_bulk_path_writes_the_rows_the_service_writes(database_url, tmp_path, monkeypatch):
    monkeypatch.setattr("app.models.base.datetime", _FrozenDatetime)
    results = {}
    for bulk in (False, True):
        pins = itertools.count(1)
        monkeypatch.setattr("app.services.cases.common.new_pin", lambda pins=pins: f"{next(pins):06d}")
        async with throwaway_database(database_url, tmp_path, "bulk" if bulk else "svc") as url:
            # batches of 40 in the bulk path: cases are written in several transactions, and a
            # repeat submission may name a case written in an earlier one
            results[bulk] = await _load(url, bulk=bulk, batch=500 if not bulk else 40)

    (service, (svc_report, svc_verified)), (bulk_rows, (bulk_report, bulk_verified)) = results[False], results[True]
    assert svc_verified.ok and bulk_verified.ok, (svc_verified, bulk_verified)
    # the load exercised what the demo does: every lifecycle, splits, appeals, dialogues, duplicates
    assert len(service["case_file"]) == CASES
    assert svc_report.actions["split"] and svc_report.actions["appeal"] and svc_report.actions["dialogue"]
    assert svc_report.actions["archive"] and svc_report.actions["extend"] and svc_report.actions["withdraw"]
    assert any(
        r
        for r in service["case_file"]
        if r[list(SQLModel.metadata.tables["case_file"].columns.keys()).index("duplicate_of_id")] is not None
    )
    assert service["case_obligation"] and service["dialogue"] and service["dialogue_case"]
    assert bulk_report.as_dict()["statuses"] == svc_report.as_dict()["statuses"]
    assert bulk_report.events == svc_report.events > CASES
    assert set(bulk_rows) == set(service)
    for name in service:
        assert len(bulk_rows[name]) == len(service[name]), name
        for a, b in zip(service[name], bulk_rows[name], strict=True):
            assert a == b, (name, a, b)


@pytest.mark.asyncio
async def test_a_tracking_code_taken_by_a_case_already_written_is_known_taken():
    """Intake's check that a new tracking code is free needs only the id of the case holding it,
    which the in-memory session knows for every case, written and forgotten or not; anything that
    needs more of a forgotten case is refused, not guessed."""
    from sqlmodel import col

    from app.demo.bulk import MemorySession, UnsupportedStatement
    from app.models.cases import Case
    from app.services.cases.intake import _CODE_TAKEN

    session = MemorySession(
        units=[], orgs=[], rules=[], next_ids={}, codes={"HN-25K-ABCDEF": 7}, head=(0, audit.GENESIS_HASH)
    )
    assert (await session.execute(_CODE_TAKEN, {"code": "HN-25K-ABCDEF"})).first() == (7,)
    assert (await session.execute(_CODE_TAKEN, {"code": "HN-25K-FREEEE"})).first() is None
    with pytest.raises(UnsupportedStatement):
        await session.execute(select(Case).where(col(Case.code) == "HN-25K-ABCDEF"))
    with pytest.raises(UnsupportedStatement):
        await session.execute(select(col(Case.title)).where(col(Case.code) == "HN-25K-ABCDEF"))


@pytest.mark.asyncio
async def test_a_search_row_added_and_not_yet_flushed_is_found_by_get():
    """A real session's get() autoflushes before it looks a row up: a case's search text written
    at intake and written again before any other statement (no flush between) is updated, not
    added twice (a 10,000-case load stopped on pk_case_search before the in-memory session did
    the same)."""
    from app.demo.bulk import MemorySession
    from app.models.cases import Case, CaseSearch

    session = MemorySession(units=[], orgs=[], rules=[], next_ids={}, codes={}, head=(0, audit.GENESIS_HASH))
    session.add(Case(id=5, code="HN-25K-ABCDEF"))
    await session.flush()
    session.add(CaseSearch(case_id=5, text="hn-25k-abcdef khieu nai"))
    row = await session.get(CaseSearch, 5)
    assert row is not None and row.text == "hn-25k-abcdef khieu nai"
