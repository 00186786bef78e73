"""A fixed-window limit shared by every process through Redis, counted in blocks.

The webhook ingest limits deliveries per connection and minute across all web processes.
Asking Redis for every delivery cost one round trip each, as long as the database INSERT that
makes the delivery durable. Here a process takes a block of the window's allowance at once
(``INCRBY``) and spends it locally, so most deliveries make no Redis call.

The limit is never exceeded: Redis hands out at most ``limit`` units a window in all. The
price is that units a process took but did not spend are lost to the others until the window
ends, so a connection at its limit may be refused slightly early. Blocks shrink as the window
fills (a thirty-second of what was left, at least one), which keeps that loss small.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

BLOCK_MAX = 64
# A block is at most this share of what is left of the window (see the module's text).
BLOCK_SHARE = 32
_KEYS_MAX = 4096


class _Pipeline(Protocol):
    def incrby(self, name: str, amount: int) -> object: ...
    def expire(self, name: str, time: int) -> object: ...
    def execute(self) -> list[object]: ...


class _Redis(Protocol):
    def pipeline(self, transaction: bool = ...) -> _Pipeline: ...


@dataclass
class _Grant:
    window: int
    limit: int
    units: int  # taken from Redis and not spent yet
    seen: int  # the window's shared count when the block was taken


class SharedWindowLimit:
    """``allow(key, limit=…, now=…)``: whether one more unit fits this window for ``key``.

    Thread-safe; one instance per process. Redis errors propagate (the caller decides whether
    no limit or no service is the safer answer)."""

    def __init__(self, *, redis: Callable[[], _Redis], prefix: str, window_s: int = 60) -> None:
        self._redis = redis
        self._prefix = prefix
        self.window_s = window_s
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, *, limit: int, now: float) -> bool:
        window = int(now // self.window_s)
        with self._lock:
            grant = self._grants.get(key)
            if grant is None or grant.window != window or grant.limit != limit:
                grant = None
            elif grant.units > 0:
                grant.units -= 1
                return True
            elif grant.seen >= limit:
                return False  # the window is spent everywhere; only a new window helps
        seen = grant.seen if grant is not None else 0
        block = max(1, min(BLOCK_MAX, (limit - seen) // BLOCK_SHARE))
        redis_key = f"{self._prefix}:{key}:{window}"
        pipe = self._redis().pipeline(transaction=False)
        pipe.incrby(redis_key, block)
        pipe.expire(redis_key, 2 * self.window_s)
        count = int(pipe.execute()[0])  # type: ignore[call-overload]
        granted = max(0, min(block, limit - (count - block)))
        with self._lock:
            if len(self._grants) >= _KEYS_MAX:
                self._grants.clear()
            held = self._grants.get(key)
            if held is not None and held.window == window and held.limit == limit:
                # Another thread took a block meanwhile: keep its units too.
                held.units += max(0, granted - 1)
                held.seen = max(held.seen, count)
            else:
                self._grants[key] = _Grant(window=window, limit=limit,
                                           units=max(0, granted - 1), seen=count)
        return granted > 0

    def retry_after_s(self, *, now: float) -> float:
        """Seconds until the window after ``now`` begins."""
        return (int(now // self.window_s) + 1) * self.window_s - now

    def forget(self) -> None:
        """Drop what this process holds (tests that reset the shared counts call it)."""
        with self._lock:
            self._grants.clear()
