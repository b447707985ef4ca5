"""`Idempotency-Key`: a repeat with the same key and body returns the first response; the same
key with another body is a 422. Stored in the same transaction as the write it protects.

A stored response is replayed for `IDEMPOTENCY_TTL_HOURS` (24 by default); after that the key is
unused again. Expired rows are deleted when the same user stores a new response, and all of them
by `petitions idempotency purge` (docs/operations.md)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import IDEMPOTENCY_KEY_REUSED, Invalid
from app.models.base import as_utc, utcnow
from app.models.cases import IdempotencyRecord

MAX_KEY = 128


def body_hash(body: Any) -> str:
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()
    ).hexdigest()


def _cutoff(ttl: timedelta, now: datetime | None) -> datetime:
    return (now or utcnow()) - ttl


async def lookup(
    session: AsyncSession,
    *,
    user_id: int,
    key: str,
    scope: str,
    digest: str,
    ttl: timedelta = timedelta(hours=24),
    now: datetime | None = None,
) -> IdempotencyRecord | None:
    """The stored response for this key, if it is still fresh; an expired one is deleted, and the
    key counts as unused."""
    if not key or len(key) > MAX_KEY:
        raise Invalid(
            "header.Idempotency-Key",
            f"1–{MAX_KEY} characters",
            detail=f"Idempotency-Key must be 1–{MAX_KEY} characters.",
        )
    rec = await session.get(IdempotencyRecord, (user_id, key))
    if rec is None:
        return None
    if as_utc(rec.created_at) <= _cutoff(ttl, now):
        await session.delete(rec)
        await session.flush()
        return None
    if rec.scope != scope or rec.request_hash != digest:
        raise Invalid(
            "header.Idempotency-Key",
            "already used with another body",
            code="idempotency-key-reused",
            kind=IDEMPOTENCY_KEY_REUSED,
            detail="This Idempotency-Key was already used with another request body or endpoint.",
        )
    return rec


async def store(
    session: AsyncSession,
    *,
    user_id: int,
    key: str,
    scope: str,
    digest: str,
    status_code: int,
    response: dict[str, Any],
    ttl: timedelta = timedelta(hours=24),
) -> None:
    await purge_expired(session, ttl, user_id=user_id)  # opportunistic: this user's expired keys
    session.add(
        IdempotencyRecord(
            user_id=user_id,
            key=key,
            scope=scope,
            request_hash=digest,
            status_code=status_code,
            response=json.loads(json.dumps(response, default=str)),
        )
    )
    await session.flush()


async def purge_expired(
    session: AsyncSession, ttl: timedelta, *, user_id: int | None = None, now: datetime | None = None
) -> int:
    """Delete the stored responses older than `ttl` (of one user, or of all); how many went."""
    stmt = delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) <= _cutoff(ttl, now))
    if user_id is not None:
        stmt = stmt.where(col(IdempotencyRecord.user_id) == user_id)
    result = cast(CursorResult[Any], await session.execute(stmt.execution_options(synchronize_session=False)))
    return result.rowcount or 0  # a DELETE's result is a CursorResult; AsyncSession.execute is typed Result
