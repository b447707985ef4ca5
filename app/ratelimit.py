"""Small in-process sliding-window limiter (login, public case look-ups).

Per process: with several workers each keeps its own window, so the effective limit is
multiplied by the worker count (docs/operations.md)."""

from __future__ import annotations

import math
import time
from collections import deque
from threading import Lock


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
