"""Throwaway databases of the configured kind, for tests that must commit for real (migrations,
concurrent appends, the CLI): the audit table's triggers make cleaning up impossible, so each
such test gets a database of its own and drops it afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine


@asynccontextmanager
async def throwaway_database(database_url: str, tmp_path: Path, label: str) -> AsyncIterator[str]:
    """An empty database beside the test database: a new SQLite file, or a new PostgreSQL
    database on the same server (created here, dropped on exit)."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite+aiosqlite:///{tmp_path / f'{label}.db'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}"[:63]
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.dispose()
