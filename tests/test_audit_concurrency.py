"""Concurrent appends to the audit chain from separate connections, committing for real: the
chain lock (pg_advisory_xact_lock on PostgreSQL, SQLite's single write lock taken by BEGIN
IMMEDIATE) must keep seq gapless and every prev_hash pointing at its predecessor."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from app.config import Settings
from app.db import Database
from app.migrations import upgrade
from app.models.audit import AuditEvent
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
                    ev = await audit.record(session, actor=None, action="test.append", entity="test",
                                            entity_id=i, changes={"i": i, "tên": "Hà Nội"})
                    await asyncio.sleep(0.001)  # hold the transaction open while others queue
                    return ev.seq

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
