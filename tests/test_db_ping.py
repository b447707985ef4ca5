"""PostgreSQL connections are pinged before use only when they have been idle (decision 0106): a
connection the database closed while it sat idle in the pool is replaced without the request
noticing; one closed while it was in use a moment ago fails one request, then the pool is new."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.db import create_engine


@pytest.fixture
def pg_only(is_postgres):
    if not is_postgres:
        pytest.skip("the pool's ping is PostgreSQL's (SQLite opens a file)")


async def _pid(engine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()


async def _terminate(engine, pid: int) -> None:
    async with engine.connect() as conn:  # (a second pooled connection: the one under test is idle)
        assert (await conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})).scalar_one()


@pytest.mark.usefixtures("pg_only")
async def test_an_idle_connection_closed_by_the_database_is_replaced_unnoticed(settings):
    engine = create_engine(settings.model_copy(update={"db_ping_idle_seconds": 0.2}))
    try:
        before = await _pid(engine)
        other = create_engine(settings)
        await _terminate(other, before)
        await other.dispose()
        await asyncio.sleep(0.3)  # idle longer than the threshold: pinged, found dead, replaced
        assert await _pid(engine) != before
    finally:
        await engine.dispose()


@pytest.mark.usefixtures("pg_only")
async def test_a_connection_used_a_moment_ago_is_not_pinged(settings):
    engine = create_engine(settings.model_copy(update={"db_ping_idle_seconds": 60}))
    try:
        before = await _pid(engine)
        other = create_engine(settings)
        await _terminate(other, before)
        await other.dispose()
        with pytest.raises(DBAPIError):  # not pinged: this one request fails …
            await _pid(engine)
        assert await _pid(engine) != before  # … and the pool was invalidated: the next one works
    finally:
        await engine.dispose()
