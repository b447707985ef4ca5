"""Test harness: one database per run (SQLite file or a throwaway PostgreSQL database), built by
the real Alembic migrations and seeded with the real reference data; every test runs inside
one outer transaction that is rolled back at the end (the app's own commits become savepoints).

TEST_DATABASE_URL selects the database: unset → a fresh SQLite file; a postgresql+asyncpg URL →
that database is dropped and re-created first, so point it at a throwaway name.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.migrations import upgrade
from app.models.reference import Organization
from app.models.users import User
from app.security import configure_password_hashing, create_access_token, hash_password

TEST_PASSWORD = "correct-horse-battery"
# Cheap Argon2 (one pass over 8 KiB) so that the suite's time goes to behaviour, not to hashing.
# Production keeps the ARGON2_* defaults (tests/test_password_hashing.py).
TEST_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_cost": 8, "argon2_parallelism": 1}
_TMP = Path(tempfile.mkdtemp(prefix="petitions-test-"))


def _test_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{_TMP / 'test.db'}"


async def _recreate_pg_database(url: str) -> None:
    u = make_url(url)
    admin = create_async_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
        await conn.exec_driver_sql(f'CREATE DATABASE "{u.database}"')
    await admin.dispose()


def pytest_report_header(config):
    url = make_url(_test_url())
    return f"database: {url.get_backend_name()} ({url.database})"


@pytest.fixture(scope="session")
def database_url() -> str:
    return _test_url()


@pytest.fixture(scope="session")
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture(scope="session")
def settings(database_url) -> Settings:
    return Settings(
        app_env="test",
        database_url=database_url,
        log_json=True,
        login_max_failures=5,
        login_max_per_address=1000,
        **TEST_ARGON2,
    )


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing(settings) -> None:
    """Every hash in this process, the app's and the tests' own, uses the settings' cheap Argon2."""
    configure_password_hashing(settings)


@pytest_asyncio.fixture(scope="session")
async def migrated(database_url, settings) -> str:
    if database_url.startswith("postgresql"):
        await _recreate_pg_database(database_url)
    await asyncio.to_thread(upgrade, database_url)
    from app.services.reference import seed_reference

    db = Database.from_settings(settings)
    async with db.sessionmaker() as s, s.begin():
        await seed_reference(s)
    await db.dispose()
    return database_url


@pytest_asyncio.fixture(scope="session")
async def engine_db(migrated, settings) -> AsyncIterator[Database]:
    db = Database.from_settings(settings)
    yield db
    await db.dispose()


@pytest.fixture(scope="session")
def app(settings):
    return create_app(settings, configure_logs=False)


@dataclass
class TestDB:
    session: AsyncSession  # the test's own session (same outer transaction as the app)
    maker: async_sessionmaker


@pytest_asyncio.fixture
async def db(engine_db, app) -> AsyncIterator[TestDB]:
    conn = await engine_db.engine.connect()
    outer = await conn.begin()
    maker = async_sessionmaker(bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint")
    app.state.db = Database(
        engine=engine_db.engine, sessionmaker=maker, read_sessionmaker=maker, dialect=engine_db.dialect
    )
    app.state.login_limits.reset()
    session = maker()
    try:
        yield TestDB(session=session, maker=maker)
    finally:
        await session.close()
        await outer.rollback()
        await conn.close()


@pytest_asyncio.fixture
async def client(app, db) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


_HASH_CACHE: dict[str, str] = {}


def _hash(password: str) -> str:
    if password not in _HASH_CACHE:
        _HASH_CACHE[password] = hash_password(password)
    return _HASH_CACHE[password]


@pytest.fixture
def make_user(db, settings):
    """make_user(role, org_code) -> (user, auth headers). Written straight to the database."""
    counter = {"n": 0}

    async def _make(
        role: str, org_code: str = "UBND-01", *, username: str | None = None, password: str = TEST_PASSWORD
    ) -> tuple[User, dict[str, str]]:
        from sqlalchemy import select

        counter["n"] += 1
        s = db.session
        org = (await s.execute(select(Organization).where(Organization.code == org_code))).scalar_one()
        user = User(
            username=username or f"{role}{counter['n']}_{org_code.lower()}",
            full_name=f"Cán bộ {role}",
            password_hash=_hash(password),
            role=role,
            organization_id=org.id,
        )
        s.add(user)
        await s.commit()
        token = create_access_token(settings, subject=str(user.id))
        return user, {"Authorization": f"Bearer {token}"}

    return _make


@pytest_asyncio.fixture
async def admin_headers(make_user) -> dict[str, str]:
    return (await make_user("admin", "UBND-01"))[1]


def assert_problem(resp: httpx.Response, status: int, field: str | None = None) -> dict:
    """The response is an RFC 9457 problem with this status (and names `field`, if given)."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers["content-type"]
    body = resp.json()
    for key in ("type", "title", "status", "detail"):
        assert key in body, body
    assert body["status"] == status
    if field is not None:
        fields = [e["field"] for e in body.get("errors", [])]
        assert any(f == field or f.endswith("." + field) or f.startswith(field) for f in fields), (field, body)
    assert "Traceback" not in resp.text
    return body


class JsonLogCapture:
    """What the service would write to its log stream, formatted as in production."""

    def __init__(self) -> None:
        import io
        import logging

        from app.observability import JsonFormatter

        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(JsonFormatter())

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self, logger: str | None = None) -> list[dict]:
        import json

        docs = [json.loads(line) for line in self.text.splitlines() if line.strip()]
        return [d for d in docs if logger is None or d["logger"] == logger]


@pytest.fixture
def json_log():
    """Attach a JsonFormatter handler to the root logger (INFO, as served) for one test."""
    import logging

    cap = JsonLogCapture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(cap.handler)
    root.setLevel(logging.INFO)
    try:
        yield cap
    finally:
        root.removeHandler(cap.handler)
        root.setLevel(old_level)


def petitions_command() -> list[str]:
    """The `petitions` console script of this environment (or the same entry point via python)."""
    import sys

    script = Path(sys.executable).with_name("petitions")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from app.cli import main; main()"]


@asynccontextmanager
async def standalone_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app of its own over `settings`' database, outside the test transaction."""
    app = create_app(settings, configure_logs=False)
    app.state.db = Database.from_settings(settings)
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c
    finally:
        await app.state.db.dispose()
