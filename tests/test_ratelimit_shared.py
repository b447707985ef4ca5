"""Shared rate limits (RATE_LIMITS_SHARED, decision 0099): behind several API processes a client
gets one budget, not one per process. Two apps with their own engines stand for two processes
on one database (SQLite file or PostgreSQL); their windows meet only in the `rate_hit` table."""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from app.db import Database
from app.main import create_app
from app.models.auth import RateHit
from app.ratelimit import SharedWindowLimiter


@pytest_asyncio.fixture
async def two_processes(migrated, settings) -> AsyncIterator[list[httpx.AsyncClient]]:
    shared = settings.model_copy(update={"rate_limits_shared": True, "public_lookups_per_minute": 4})
    # One client address per test run: the rows these apps write are committed, not rolled back.
    address = f"198.51.100.{secrets.randbelow(250) + 1}-{secrets.token_hex(4)}"
    apps, dbs, clients = [], [], []
    for _ in range(2):
        app = create_app(shared, configure_logs=False)
        app.state.db = Database.from_settings(shared)
        apps.append(app)
        dbs.append(app.state.db)
        transport = httpx.ASGITransport(app=app, client=(address, 4711), raise_app_exceptions=False)
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://test"))
    try:
        yield clients
    finally:
        for app, client in zip(apps, clients, strict=True):
            await app.state.public_limits.forget(address)
            await client.aclose()
        for db in dbs:
            await db.dispose()


async def test_a_client_spread_over_two_processes_gets_one_budget(two_processes):
    a, b = two_processes
    looked_up = [await c.get("/api/v1/public/cases/HN-NO-SUCH-CASE", params={"pin": "000000"}) for c in (a, b, a, b)]
    assert [r.status_code for r in looked_up] == [404, 404, 404, 404]
    # Each process has seen two look-ups: alone, each would allow two more.
    for c in (a, b):
        refused = await c.get("/api/v1/public/cases/HN-NO-SUCH-CASE", params={"pin": "000000"})
        assert refused.status_code == 429, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
    page = await b.post("/track", data={"code": "HN-NO-SUCH-CASE", "pin": "000000"})
    assert page.status_code == 429 and "thử lại sau" in page.text


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_the_shared_window_slides_forgets_and_stores_no_address(engine_db):
    clock = _Clock()
    scope = f"t{secrets.token_hex(4)}"

    def limiter() -> SharedWindowLimiter:
        return SharedWindowLimiter(scope, 3, 60, engine=lambda: engine_db.engine, secret=b"k", clock=clock)

    first, second = limiter(), limiter()  # two processes
    key = "someone|203.0.113.9"
    for who, dt in zip(itertools.cycle((first, second)), (0, 10, 20), strict=False):
        clock.now += dt
        assert await who.check(key) is None
        await who.count(key)
    # hits at t, t+10, t+30: at t+30 the oldest frees its place at t+60
    assert await second.check(key) == 30
    assert await first.check(key) == 30
    assert await first.check("someone-else|203.0.113.9") is None
    async with engine_db.engine.connect() as conn:
        keys = (await conn.execute(select(RateHit.key).where(RateHit.scope == scope))).scalars().all()
    assert len(keys) == 3 and all(key not in k and "203.0.113.9" not in k for k in keys)

    clock.now += 31  # t+61: the first hit has left the window
    fresh = limiter()  # a process that has not seen the key: it asks the database
    assert await fresh.check(key) is None
    await fresh.count(key)  # and the expired hit is deleted with this one
    async with engine_db.engine.connect() as conn:
        n = (await conn.execute(select(func.count()).where(RateHit.scope == scope))).scalar_one()
    assert n == 3
    assert await limiter().check(key) == 9  # hits at t+10, t+30, t+61: a place frees at t+70

    await first.forget(key)  # a successful login clears the key for every process
    assert await second.check(key) is None
    assert await limiter().check(key) is None


@pytest.mark.parametrize(("workers", "chosen", "expected"), [(1, None, None), (2, None, "true"), (2, "false", "false")])
def test_serve_with_several_workers_shares_the_limits_unless_told_otherwise(monkeypatch, workers, chosen, expected):
    import uvicorn

    from app import cli

    monkeypatch.delenv("RATE_LIMITS_SHARED", raising=False)
    if chosen is not None:
        monkeypatch.setenv("RATE_LIMITS_SHARED", chosen)
    seen: dict[str, str | None] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.setdefault("env", os.environ.get("RATE_LIMITS_SHARED")))
    cli.serve(host="127.0.0.1", port=8000, workers=workers, reload=False)
    assert seen["env"] == expected
