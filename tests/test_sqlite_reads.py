"""On SQLite, read-only work must not take the single write lock: logging in and verifying the
audit chain go on while another connection is writing (WAL lets readers through). A write that
cannot get the lock in time is a 503 to retry, not a 500."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from app.config import Settings
from app.db import Database
from app.migrations import upgrade
from app.models.users import UserCreate
from app.services.reference import seed_reference
from app.services.users import create_user
from tests.conftest import standalone_client

pytestmark = pytest.mark.slow

PASSWORD = "a-long-admin-password"


async def test_reads_pass_a_writer_and_a_blocked_write_is_503(tmp_path, is_postgres):
    if is_postgres:
        pytest.skip("SQLite's single write lock")
    path = tmp_path / "locks.db"
    settings = Settings(
        app_env="test", database_url=f"sqlite+aiosqlite:///{path}", sqlite_busy_timeout_ms=300, _env_file=None
    )
    await asyncio.to_thread(upgrade, settings.database_url)
    db = Database.from_settings(settings)
    async with db.sessionmaker() as s, s.begin():
        await seed_reference(s)
        await create_user(s, None, UserCreate(username="quantri", password=PASSWORD, role="admin", org="UBND-01"))
    await db.dispose()
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        async with standalone_client(settings) as c:
            token = (await c.post("/api/v1/auth/token", data={"username": "quantri", "password": PASSWORD})).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            writer.execute("BEGIN IMMEDIATE")  # another process is in the middle of a write
            login = await c.post("/api/v1/auth/token", data={"username": "quantri", "password": PASSWORD})
            assert login.status_code == 200, login.text
            verify = await c.get("/api/v1/audit/verify", headers=headers)
            assert verify.status_code == 200, verify.text
            assert verify.json()["ok"] is True and verify.json()["events_checked"] == 2
            # a write cannot get the lock in time: a 503 to retry, not a 500, and nothing written
            org = {"code": "SO-BUSY", "name": "Sở bận", "kind": "department", "unit_code": "01"}
            busy = await c.post("/api/v1/organizations", json=org, headers=headers)
            assert busy.status_code == 503, busy.text
            assert busy.headers["content-type"].startswith("application/problem+json")
            assert busy.headers["retry-after"] == "1" and busy.json()["request_id"]
            writer.execute("ROLLBACK")
            assert (await c.post("/api/v1/organizations", json=org, headers=headers)).status_code == 201
    finally:
        writer.close()
