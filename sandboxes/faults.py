"""Fault injection: settings per system (and optionally per account) and the ASGI middleware.

Each request draws at most one number from the system's seeded ``random.Random``; the enabled
modes split [0, 1) in a fixed order (hang, drop, 5xx, rate limit, malformed), so a test that sets
the same seed and sends the same requests in the same order sees the same faults.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any

RATE_FIELDS = ("hang_rate", "drop_rate", "error_5xx_rate", "rate_limit_rate", "malformed_rate")


class FaultKind(StrEnum):
    SERVER_ERROR = "server_error"  # a 5xx in the system's own error shape
    RATE_LIMITED = "rate_limited"  # 429 or 503, with the system's rate-limit headers


@dataclass
class FaultSettings:
    latency_ms: float = 0.0
    error_5xx_rate: float = 0.0
    rate_limit_rate: float = 0.0
    hang_rate: float = 0.0
    drop_rate: float = 0.0
    malformed_rate: float = 0.0
    seed: int | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultSettings:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known - {"system", "account", "expire_tokens_now"}
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        settings = cls(**{k: v for k, v in data.items() if k in known})
        for name in (*RATE_FIELDS, "latency_ms"):
            value = getattr(settings, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a non-negative number")
        if sum(getattr(settings, n) for n in RATE_FIELDS) > 1.0:
            raise ValueError("the fault rates must add up to at most 1")
        return settings

    @property
    def active(self) -> bool:
        return self.latency_ms > 0 or any(getattr(self, n) > 0 for n in RATE_FIELDS)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultBook:
    """Fault settings of one system: system-wide under ``None``, else per account."""

    def __init__(self, default_seed: int) -> None:
        self.default_seed = default_seed
        self.settings: dict[str | None, FaultSettings] = {}
        self.rngs: dict[str | None, random.Random] = {}

    def put(self, account: str | None, settings: FaultSettings) -> None:
        self.settings[account] = settings
        seed = self.default_seed if settings.seed is None else settings.seed
        self.rngs[account] = random.Random(seed)  # noqa: S311 - reproducible, not secret

    def clear(self, account: str | None = None, *, everything: bool = False) -> None:
        if everything:
            self.settings.clear()
            self.rngs.clear()
        else:
            self.settings.pop(account, None)
            self.rngs.pop(account, None)

    def lookup(self, account: str | None) -> tuple[FaultSettings, random.Random] | None:
        """Settings for a request to ``account``: the account's own, else the system's."""
        if account is not None and account in self.settings:
            settings = self.settings[account]
            if settings.active:
                return settings, self.rngs[account]
        settings = self.settings.get(None)
        if settings is not None and settings.active:
            return settings, self.rngs[None]
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            ("*" if acc is None else acc): s.to_json() for acc, s in self.settings.items()
        }


def fault_draw(settings: FaultSettings, rng: random.Random) -> str | None:
    """Pick the fault mode for one request, or None for a normal answer."""
    if not any(getattr(settings, n) > 0 for n in RATE_FIELDS):
        return None
    r = rng.random()
    edge = 0.0
    for name in RATE_FIELDS:
        edge += getattr(settings, name)
        if r < edge:
            return name.removesuffix("_rate")
    return None


async def wait_for_disconnect(receive: Any, max_s: float) -> None:
    """Hold a request open until the client goes away (or ``max_s`` passes)."""

    async def drain() -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(drain(), timeout=max_s)


async def drop_connection(scope: dict[str, Any], send: Any) -> None:
    """Close the TCP connection without sending a byte of response."""
    transport = scope.get("sandbox.transport")
    if transport is not None:
        transport.close()
        # Let the server notice the disconnect so it doesn't try to answer 500 afterwards.
        for _ in range(5):
            await asyncio.sleep(0)
        return
    # No transport reachable (another server): announce a body and never finish it.
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"resp', "more_body": True})
