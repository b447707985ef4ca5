"""Sliding-window limiters for logging in and for the public case look-ups.

`SlidingWindowLimiter` keeps its window in the process's memory. `SharedWindowLimiter` keeps the
same window in the database (`rate_hit`), so that every API process behind a balancer counts
against one budget, with the in-memory window in front of it: a process never asks the database
about a key it already knows to be over its limit (decision 0099). `RATE_LIMITS_SHARED` chooses.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import random
import time
from collections import deque
from collections.abc import Callable
from threading import Lock
from typing import Any, Protocol

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from app.models.auth import RateHit


class SlidingWindowLimiter:
    def __init__(self, limit: int, window_seconds: float, *, clock=time.monotonic, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window_seconds
        self.clock = clock
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        q = self._hits.get(key)
        if q is None:
            if len(self._hits) >= self.max_keys:  # bounded memory under a key-spraying attack
                self._hits.pop(next(iter(self._hits)))
            q = self._hits[key] = deque()
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def retry_after(self, key: str) -> int | None:
        """Seconds to wait if `key` is over its limit now, else None."""
        with self._lock:
            now = self.clock()
            q = self._prune(key, now)
            if len(q) >= self.limit:
                return max(1, math.ceil(q[0] + self.window - now))
            return None

    def hit(self, key: str) -> None:
        with self._lock:
            now = self.clock()
            self._prune(key, now).append(now)

    def reset(self, key: str | None = None) -> None:
        with self._lock:
            if key is None:
                self._hits.clear()
            else:
                self._hits.pop(key, None)

    # The interface the routers use (the shared limiter's, which needs the database).
    async def check(self, key: str) -> int | None:
        return self.retry_after(key)

    async def count(self, key: str) -> None:
        self.hit(key)

    async def forget(self, key: str) -> None:
        self.reset(key)


class Limiter(Protocol):
    async def check(self, key: str) -> int | None: ...

    async def count(self, key: str) -> None: ...

    async def forget(self, key: str) -> None: ...

    def reset(self, key: str | None = None) -> None: ...


class SharedWindowLimiter:
    """The same sliding window as `SlidingWindowLimiter`, counted in the `rate_hit` table: one row
    per hit (scope, keyed hash of the key, wall-clock time), each statement its own short
    transaction on its own connection, never inside a request's transaction.

    In front of it, this process's own window and what the database last said: a key that this
    process alone has hit `limit` times, or that the database found over its limit, is refused
    without a statement until its wait is over, so a flood from one client costs the database at
    most `limit` writes per window per process, and then nothing."""

    def __init__(
        self,
        scope: str,
        limit: int,
        window_seconds: float,
        *,
        engine: Callable[[], AsyncEngine],
        secret: bytes,
        clock=time.time,
        max_keys: int = 100_000,
    ) -> None:
        self.scope = scope
        self.limit = limit
        self.window = window_seconds
        self.engine = engine
        self.clock = clock
        self._secret = secret
        self.local = SlidingWindowLimiter(limit, window_seconds, clock=clock, max_keys=max_keys)
        self._blocked: dict[str, float] = {}  # key -> until (the database's answer)
        self.max_keys = max_keys

    def _digest(self, key: str) -> str:
        # Keys hold usernames and client addresses: the table keeps only a keyed hash of them.
        return hmac.new(self._secret, f"{self.scope}|{key}".encode(), hashlib.sha256).hexdigest()

    def _rows(self, digest: str) -> tuple[Any, Any]:
        return col(RateHit.scope) == self.scope, col(RateHit.key) == digest

    def _known_wait(self, key: str, now: float) -> int | None:
        until = self._blocked.get(key)
        if until is not None:
            if until > now:
                return max(1, math.ceil(until - now))
            self._blocked.pop(key, None)
        return self.local.retry_after(key)

    async def check(self, key: str) -> int | None:
        now = self.clock()
        wait = self._known_wait(key, now)
        if wait:
            return wait
        async with self.engine().connect() as conn:
            n, oldest = (
                await conn.execute(
                    select(func.count(), func.min(col(RateHit.at))).where(
                        *self._rows(self._digest(key)), col(RateHit.at) > now - self.window
                    )
                )
            ).one()
            await conn.rollback()
        if n >= self.limit and oldest is not None:
            until = oldest + self.window
            if len(self._blocked) >= self.max_keys:
                self._blocked.pop(next(iter(self._blocked)))
            self._blocked[key] = until
            return max(1, math.ceil(until - now))
        return None

    async def count(self, key: str) -> None:
        now = self.clock()
        digest = self._digest(key)
        self.local.hit(key)
        async with self.engine().begin() as conn:
            await conn.execute(insert(RateHit).values(scope=self.scope, key=digest, at=now))
            # This key's expired hits go with its next hit; now and then, everyone's.
            gone = col(RateHit.at) <= now - self.window
            if random.random() < 0.01:
                await conn.execute(delete(RateHit).where(col(RateHit.scope) == self.scope, gone))
            else:
                await conn.execute(delete(RateHit).where(*self._rows(digest), gone))

    async def forget(self, key: str) -> None:
        self.local.reset(key)
        self._blocked.pop(key, None)
        async with self.engine().begin() as conn:
            await conn.execute(delete(RateHit).where(*self._rows(self._digest(key))))

    def reset(self, key: str | None = None) -> None:
        """This process's memory only (tests; the table is cleared with `forget`)."""
        self.local.reset(key)
        if key is None:
            self._blocked.clear()
        else:
            self._blocked.pop(key, None)
