"""A request budget per external account, shared by every worker through Redis.

A generic cell rate algorithm (GCRA): one Redis key per account holds the theoretical arrival
time of the next request. Requests are spaced at ``safety × limit / period`` with a burst of
``(1 − safety) × limit``, so even a rolling window (Brightpearl) or a fixed window
(BigCommerce) never sees more than ``limit`` requests from all our workers together. When a
response says the account is nearly spent (headers) or refuses us (429/503), ``penalize`` pushes
the arrival time out so every worker waits, not just the one that was refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from integrations.connectors.errors import RateLimited

# KEYS[1] = budget key; ARGV = now_ms, emission_ms, tolerance_ms
_ACQUIRE = """
local now = tonumber(ARGV[1])
local emission = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if tat < now then tat = now end
local new_tat = tat + emission
local allow_at = new_tat - tolerance - emission
-- Redis replies with integers: answer whole milliseconds, and let sub-millisecond float
-- error count as "now" rather than a wait that would truncate to zero.
if allow_at - now >= 1 then
  return math.ceil(allow_at - now)
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now + emission))
return 0
"""

# KEYS[1] = budget key; ARGV = now_ms, until_ms
_PENALIZE = """
local now = tonumber(ARGV[1])
local untl = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if untl > tat then
  redis.call('SET', KEYS[1], untl, 'PX', math.ceil(untl - now + 1000))
end
return 0
"""


class RedisLike(Protocol):
    def register_script(self, script: str) -> Callable[..., Any]: ...


@dataclass(frozen=True)
class RateLimit:
    """A system's documented limit: ``requests`` per ``period_s`` seconds."""

    requests: int
    period_s: float

    def __post_init__(self) -> None:
        if self.requests < 1 or self.period_s <= 0:
            raise ValueError(f"A rate limit needs requests ≥ 1 and a period > 0, not {self}.")


class RequestBudget:
    def __init__(
        self,
        redis: RedisLike,
        *,
        key: str,
        limit: RateLimit,
        safety: float = 0.9,
        max_wait_s: float = 10.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 0 < safety <= 1:
            raise ValueError("safety must be in (0, 1].")
        self.key = f"ratebudget:{key}"
        self.limit = limit
        self.emission_ms = limit.period_s * 1000 / (limit.requests * safety)
        burst = max(1, round(limit.requests * (1 - safety)))
        self.tolerance_ms = (burst - 1) * self.emission_ms
        self.max_wait_s = max_wait_s
        self._clock = clock
        self._sleep = sleep
        self._acquire = redis.register_script(_ACQUIRE)
        self._penalize = redis.register_script(_PENALIZE)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def try_acquire(self) -> float:
        """Take one request if the budget allows; else return the seconds to wait."""
        wait_ms = self._acquire(keys=[self.key],
                                args=[self._now_ms(), self.emission_ms, self.tolerance_ms])
        return float(wait_ms) / 1000

    def acquire(self) -> None:
        """Take one request, sleeping while the wait is short; raise ``RateLimited`` if long.

        A long wait goes back to the caller so a worker thread is not held: the message is
        retried after the wait instead.
        """
        deadline = self._clock() + self.max_wait_s
        while True:
            wait_s = self.try_acquire()
            if wait_s <= 0:
                return
            if self._clock() + wait_s > deadline:
                raise RateLimited(
                    f"Request budget for {self.key.removeprefix('ratebudget:')} is spent; "
                    f"next request in {wait_s:.1f} s.",
                    wait_s=wait_s,
                )
            self._sleep(wait_s)

    def penalize(self, wait_s: float) -> None:
        """Make every worker wait ``wait_s`` from now (the system told us to back off)."""
        if wait_s <= 0:
            return
        now = self._now_ms()
        # Arrival time past the burst tolerance, so the first request after the wait is the
        # first one allowed, and then only a trickle.
        until = now + int(wait_s * 1000) + self.tolerance_ms
        self._penalize(keys=[self.key], args=[now, until])
