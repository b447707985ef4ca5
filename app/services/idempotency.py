"""`Idempotency-Key`: a repeat with the same key and body returns the first response; the same
key with another body is a 422. Stored in the same transaction as the write it protects."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import IDEMPOTENCY_KEY_REUSED, Invalid
from app.models.cases import IdempotencyRecord

MAX_KEY = 128


def body_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                                     default=str).encode()).hexdigest()


async def lookup(session: AsyncSession, *, user_id: int, key: str, scope: str, digest: str) -> IdempotencyRecord | None:
    if not key or len(key) > MAX_KEY:
        raise Invalid("header.Idempotency-Key", f"1–{MAX_KEY} characters",
                      detail=f"Idempotency-Key must be 1–{MAX_KEY} characters.")
    rec = await session.get(IdempotencyRecord, (user_id, key))
    if rec is None:
        return None
    if rec.scope != scope or rec.request_hash != digest:
        raise Invalid("header.Idempotency-Key", "already used with another body", code="idempotency-key-reused",
                      kind=IDEMPOTENCY_KEY_REUSED,
                      detail="This Idempotency-Key was already used with another request body or endpoint.")
    return rec


async def store(session: AsyncSession, *, user_id: int, key: str, scope: str, digest: str, status_code: int,
                response: dict[str, Any]) -> None:
    session.add(IdempotencyRecord(user_id=user_id, key=key, scope=scope, request_hash=digest,
                                  status_code=status_code, response=json.loads(json.dumps(response, default=str))))
    await session.flush()
