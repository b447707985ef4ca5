"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production).

One transaction per request: the `DbSession` dependency opens it before the endpoint runs and
commits right after the endpoint returns, *before* the response is sent, so a client never sees
a success for a change that did not commit.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from app.config import Settings
from app.models.audit import AuditEvent

_Row = TypeVar("_Row")


async def referenced(session: AsyncSession, model: type[_Row], key: Any) -> _Row:
    """The row a foreign key of a loaded row names: it exists (the database enforces the key), so
    a miss is a broken database, not bad input."""
    row = await session.get(model, key)
    if row is None:
        raise LookupError(f"{model.__name__} {key!r} is referenced but missing")
    return row


def _sqlite_path(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database)


def create_engine(settings: Settings) -> AsyncEngine:
    """`hide_parameters`: a database error's message would otherwise carry the bound values (a
    petitioner's name, ID number, address) into the logs."""
    url = settings.database_url
    if settings.is_sqlite:
        path = _sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url,
            echo=settings.db_echo,
            hide_parameters=True,
            connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000},
        )
        busy_ms = settings.sqlite_busy_timeout_ms

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised on every connection
            # Let SQLAlchemy, not the driver, emit BEGIN: needed for SAVEPOINT and BEGIN IMMEDIATE.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn):  # pragma: no cover
            # A transaction takes the write lock up front: a read-then-write transaction in WAL
            # mode would otherwise fail with SQLITE_BUSY when another writer commits in between.
            if conn.get_execution_options().get("sqlite_deferred"):
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_async_engine(
        url,
        echo=settings.db_echo,
        hide_parameters=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        # asyncpg prepares every statement; after five runs PostgreSQL may switch to a generic
        # plan that cannot see the search term or the unit path, and `q=` got 4x slower
        # (docs/performance.md). Planning each run is cheap next to that.
        connect_args={"server_settings": {"plan_cache_mode": "force_custom_plan"}},
    )
    _ping_when_idle(engine, settings.db_ping_idle_seconds)
    return engine


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """SQLAlchemy's `pool_pre_ping`, for the connections that have been idle: a connection taken
    from the pool is pinged (asyncpg: BEGIN, `;`, ROLLBACK) only if it was returned more than
    `idle_seconds` ago, and replaced if the ping fails. A connection in use a moment ago is alive
    but for a database restart in between; then SQLAlchemy invalidates the whole pool at the first
    disconnect error, so one request fails (decision 0106). Pinging every check-out cost a write
    request a quarter of its throughput: three round trips, twice a request (docs/performance.md)."""
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    @event.listens_for(pool, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned <= idle_seconds:
            return  # new (just connected), or in use a moment ago
        try:
            alive = dialect.do_ping(dbapi_conn)
        except Exception as exc:  # any failure of the ping: the connection is not usable
            raise DisconnectionError("ping of an idle connection failed") from exc
        if not alive:
            raise DisconnectionError("ping of an idle connection failed")


@dataclass
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    read_sessionmaker: async_sessionmaker[AsyncSession]
    dialect: str
    # One-statement reads (the caller, per request): on PostgreSQL in autocommit, with no BEGIN
    # and COMMIT round trips around the statement; else (SQLite, tests) the read sessions.
    statement_sessionmaker: async_sessionmaker[AsyncSession] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "Database":
        engine = create_engine(settings)
        read_bind = engine.execution_options(sqlite_deferred=True) if settings.is_sqlite else engine
        return cls(
            engine=engine,
            sessionmaker=async_sessionmaker(engine, expire_on_commit=False),
            read_sessionmaker=async_sessionmaker(read_bind, expire_on_commit=False),
            dialect=engine.dialect.name,
            statement_sessionmaker=None
            if settings.is_sqlite
            else async_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False),
        )

    async def dispose(self) -> None:
        await self.engine.dispose()


_AUDITED = "audit_actions_written"


def note_audited(session: Session, action: str) -> None:
    """An audit event of this action is written in the session's transaction (for the metrics,
    counted once the transaction commits)."""
    session.info.setdefault(_AUDITED, []).append(action)


@event.listens_for(Session, "pending_to_persistent")
def _note_audit_event(session: Session, instance: object) -> None:
    if isinstance(instance, AuditEvent):
        note_audited(session, instance.action)


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    db: Database = request.app.state.db
    async with db.sessionmaker() as session:
        async with session.begin():
            yield session
        # committed: count the audit events that are now part of the chain
        metrics = getattr(request.app.state, "metrics", None)
        for action in session.sync_session.info.pop(_AUDITED, ()):
            if metrics is not None:
                metrics.audit_events.labels(action).inc()


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """For long read-only work (chain verification, exports): never holds SQLite's write lock."""
    db: Database = request.app.state.db
    async with db.read_sessionmaker() as session, session.begin():
        yield session


DbSession = Annotated[AsyncSession, Depends(_session, scope="function")]
ReadSession = Annotated[AsyncSession, Depends(_read_session, scope="function")]
