"""Request budgets the emulated systems enforce: rolling window, fixed window, daily counter.

Each limiter is keyed (by account, or ``account:more`` for finer budgets) and takes its limit at
call time, so a limit changed through ``PUT /_control/limits`` applies to the next request.
``hit`` counts only allowed requests, as the vendors do. ``reset(account)`` clears the account's
key and every ``account:…`` key.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Any


def _drop(counters: dict[str, Any], key: str | None) -> None:
    if key is None:
        counters.clear()
        return
    for name in [k for k in counters if k == key or k.startswith(key + ":")]:
        del counters[name]


@dataclass(frozen=True)
class Budget:
    allowed: bool
    limit: int
    remaining: int
    # Milliseconds until the budget grows again (rolling: oldest request ages out;
    # fixed: window ends; daily: the day ends).
    reset_ms: int
    used: int


class RollingWindow:
    """At most ``limit`` requests in any ``window_s`` seconds (Brightpearl: 200 per minute)."""

    def __init__(self, window_s: float = 60.0) -> None:
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str, limit: int, *, now: float | None = None) -> Budget:
        now = time.monotonic() if now is None else now
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
        horizon = now - self.window_s
        while hits and hits[0] <= horizon:
            hits.popleft()
        allowed = len(hits) < limit
        if allowed:
            hits.append(now)
        reset_ms = int(max(0.0, (hits[0] + self.window_s - now)) * 1000) if hits else 0
        return Budget(allowed, limit, max(0, limit - len(hits)), reset_ms, len(hits))

    def reset(self, key: str | None = None) -> None:
        _drop(self._hits, key)


class FixedWindow:
    """At most ``limit`` requests per window starting at the first request (BigCommerce: 30 s)."""

    def __init__(self, window_s: float = 30.0) -> None:
        self.window_s = window_s
        self._windows: dict[str, list[float]] = {}  # key -> [window_start, count]

    def hit(
        self, key: str, limit: int, *, now: float | None = None, window_s: float | None = None
    ) -> Budget:
        now = time.monotonic() if now is None else now
        span = self.window_s if window_s is None else window_s
        window = self._windows.get(key)
        if window is None or now >= window[0] + span:
            window = self._windows[key] = [now, 0]
        allowed = window[1] < limit
        if allowed:
            window[1] += 1
        used = int(window[1])
        reset_ms = int(max(0.0, window[0] + span - now) * 1000)
        return Budget(allowed, limit, max(0, limit - used), reset_ms, used)

    def reset(self, key: str | None = None) -> None:
        _drop(self._windows, key)


class DailyCounter:
    """At most ``limit`` requests per rolling 24 h from the first one (Salesforce API requests)."""

    def __init__(self) -> None:
        self._inner = FixedWindow(window_s=86400.0)

    def hit(self, key: str, limit: int, *, now: float | None = None) -> Budget:
        return self._inner.hit(key, limit, now=now)

    def used(self, key: str) -> int:
        window = self._inner._windows.get(key)
        return int(window[1]) if window else 0

    def reset(self, key: str | None = None) -> None:
        self._inner.reset(key)
