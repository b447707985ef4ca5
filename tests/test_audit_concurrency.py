"""Concurrent appends to the audit chain from separate connections, committing for real: the
chain lock (pg_advisory_xact_lock on PostgreSQL, taken at commit; SQLite's single write lock
taken by BEGIN IMMEDIATE) must keep seq gapless and every prev_hash pointing at its predecessor."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from app.config import Settings
from app.db import Database
from app.migrations import upgrade
from app.models.audit import AuditEvent
from app.models.reference import AdminUnit
from app.services import audit
from tests.dbtools import throwaway_database

pytestmark = pytest.mark.slow

APPENDS = 50


async def test_concurrent_appends_keep_the_chain_gapless(database_url, tmp_path):
    async with throwaway_database(database_url, tmp_path, "chain") as url:
        await asyncio.to_thread(upgrade, url)
        db = Database.from_settings(Settings(app_env="test", database_url=url, db_pool_size=10))
        try:

            async def append(i: int) -> int:
                async with db.sessionmaker() as session, session.begin():
                    ev = await audit.record(
                        session,
                        actor=None,
                        action="test.append",
                        entity="test",
                        entity_id=i,
                        changes={"i": i, "tên": "Hà Nội"},
                    )
                    await asyncio.sleep(0.001)  # hold the transaction open while others run
                return ev.seq  # numbered when it joined the chain, at commit

            seqs = await asyncio.gather(*(append(i) for i in range(APPENDS)))
            assert sorted(seqs) == list(range(1, APPENDS + 1))

            async with db.read_sessionmaker() as session, session.begin():
                events = list((await session.execute(select(AuditEvent).order_by(AuditEvent.seq))).scalars())
                result = await audit.verify(session)
            assert [e.seq for e in events] == list(range(1, APPENDS + 1))
            assert sorted(e.changes["i"] for e in events) == list(range(APPENDS))
            for prev, ev in zip(events, events[1:], strict=False):
                assert ev.prev_hash == prev.hash
            assert events[0].prev_hash == audit.GENESIS_HASH
            assert result.ok and result.events_checked == APPENDS and result.first_bad_seq is None
            assert result.head_seq == APPENDS and result.head_hash == events[-1].hash
        finally:
            await db.dispose()


async def _chain(db: Database) -> tuple[list[AuditEvent], audit.AuditVerifyPublic]:
    async with db.read_sessionmaker() as session, session.begin():
        events = list((await session.execute(select(AuditEvent).order_by(col(AuditEvent.seq)))).scalars())
        return events, await audit.verify(session)


async def test_a_slow_transaction_does_not_hold_back_other_writers(database_url, tmp_path, is_postgres):
    """The chain lock is taken at commit, not at the first event: a writer still busy with its
    transaction (here: waiting) does not stop another from writing and committing its event.
    Events join the chain in commit order, gapless."""
    if not is_postgres:
        pytest.skip(
            "SQLite has one write lock per database, taken by BEGIN IMMEDIATE: its writers are serial "
            "whatever the chain does"
        )
    async with throwaway_database(database_url, tmp_path, "slow") as url:
        await asyncio.to_thread(upgrade, url)
        db = Database.from_settings(Settings(app_env="test", database_url=url, db_pool_size=4))
        try:
            recorded, release = asyncio.Event(), asyncio.Event()

            async def slow() -> AuditEvent:
                async with db.sessionmaker() as session, session.begin():
                    ev = await audit.record(session, actor=None, action="test.slow", entity="test", entity_id=1)
                    recorded.set()
                    await asyncio.wait_for(release.wait(), 30)
                return ev

            async def fast() -> AuditEvent:
                async with db.sessionmaker() as session, session.begin():
                    return await audit.record(session, actor=None, action="test.fast", entity="test", entity_id=2)

            slow_task = asyncio.create_task(slow())
            await asyncio.wait_for(recorded.wait(), 10)
            # Before: fast() queued on the lock the slow transaction took at its first event.
            fast_ev = await asyncio.wait_for(fast(), 10)
            assert not slow_task.done()
            release.set()
            slow_ev = await slow_task

            events, result = await _chain(db)
            assert (fast_ev.seq, slow_ev.seq) == (1, 2)
            assert [e.action for e in events] == ["test.fast", "test.slow"]
            assert events[1].prev_hash == events[0].hash and events[0].prev_hash == audit.GENESIS_HASH
            assert result.ok and result.events_checked == 2
        finally:
            await db.dispose()


async def test_a_failed_commit_leaves_neither_the_change_nor_its_event(database_url, tmp_path):
    """The events are written by the commit itself: if the transaction's own changes fail there
    (a unique key, here), neither they nor the events are kept, and the next event chains onto
    the last committed one."""
    async with throwaway_database(database_url, tmp_path, "fail") as url:
        await asyncio.to_thread(upgrade, url)
        db = Database.from_settings(Settings(app_env="test", database_url=url))
        try:
            async with db.sessionmaker() as session, session.begin():
                session.add(AdminUnit(code="99", name="Tỉnh thử", level="province", path="99/"))
                await audit.record(session, actor=None, action="unit.create", entity="unit", entity_id="99")
            with pytest.raises(IntegrityError):
                async with db.sessionmaker() as session, session.begin():
                    session.add(AdminUnit(code="98", name="Tỉnh mới", level="province", path="98/"))
                    session.add(AdminUnit(code="99", name="Trùng mã", level="province", path="99/"))
                    await audit.record(session, actor=None, action="unit.create", entity="unit", entity_id="98")
            async with db.sessionmaker() as session, session.begin():
                assert (await session.get(AdminUnit, "98")) is None
                await audit.record(session, actor=None, action="test.after", entity="test", entity_id=3)

            events, result = await _chain(db)
            assert [(e.seq, e.action, e.entity_id) for e in events] == [
                (1, "unit.create", "99"),
                (2, "test.after", "3"),
            ]
            assert result.ok and result.events_checked == 2
        finally:
            await db.dispose()


async def test_events_of_a_rolled_back_transaction_are_not_appended(database_url, tmp_path):
    async with throwaway_database(database_url, tmp_path, "undo") as url:
        await asyncio.to_thread(upgrade, url)
        db = Database.from_settings(Settings(app_env="test", database_url=url))
        try:
            with pytest.raises(RuntimeError):
                async with db.sessionmaker() as session, session.begin():
                    await audit.record(session, actor=None, action="test.undone", entity="test", entity_id=1)
                    assert [e.action for e in audit.pending(session)] == ["test.undone"]
                    raise RuntimeError("the service refused")
            async with db.sessionmaker() as session, session.begin():
                await audit.record(session, actor=None, action="test.kept", entity="test", entity_id=2)
            events, result = await _chain(db)
            assert [(e.seq, e.action) for e in events] == [(1, "test.kept")]
            assert result.ok
        finally:
            await db.dispose()
