"""Outgoing webhook deliveries: background tasks with retries and a delivery log.

Systems decide what to send and when to retry (``retry_on``); the dispatcher does the HTTP,
waits between attempts following a compressed schedule and records every attempt.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

# retry_on(status, error) -> retry? ``status`` is None when the request failed at the transport.
RetryPolicy = Callable[[int | None, str | None], bool]
# accept(response) -> delivered? For receivers that must acknowledge in the body (Salesforce
# Outbound Messages answer an <Ack>); a 2xx that isn't accepted counts as a failed attempt.
AcceptPolicy = Callable[[httpx.Response], bool]

DEFAULT_RETRY_DELAYS_S: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0)
DEFAULT_TIMEOUT_S = 10.0
LOG_LIMIT = 1000  # deliveries kept per account


def retry_on_failure(status: int | None, error: str | None) -> bool:
    return status is None or status >= 300


@dataclass
class Delivery:
    id: int
    system: str
    account: str
    event: str
    url: str
    method: str
    headers: dict[str, str]
    body: str
    status: str = "pending"  # pending | delivered | failed
    attempts: list[dict[str, Any]] = field(default_factory=list)
    created_at: float = field(default_factory=time.time)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event": self.event,
            "url": self.url,
            "method": self.method,
            "headers": self.headers,
            "body": self.body,
            "status": self.status,
            "attempt_count": len(self.attempts),
            "attempts": self.attempts,
            "last_status_code": self.attempts[-1]["status_code"] if self.attempts else None,
            "created_at": self.created_at,
            "meta": self.meta,
        }


def loopback_target(url: str, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    """Point ``localhost`` / ``*.localhost`` at 127.0.0.1, keeping the original Host header.

    Python's resolver doesn't know ``*.localhost`` (tenants live at ``<slug>.localhost:8000``).
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        headers = {**headers, "Host": parts.netloc.rsplit("@", 1)[-1]}
        netloc = "127.0.0.1" + (f":{parts.port}" if parts.port else "")
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url, headers


class WebhookDispatcher:
    """One per process; deliveries run as tasks on the server's event loop."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None
        self.log: dict[tuple[str, str], list[Delivery]] = {}
        # Accounts whose deliveries wait (queued) until released, then go out together: a test
        # or benchmark can make a backlog, as a receiver that was down finds when it comes back.
        self._gates: dict[tuple[str, str], asyncio.Event] = {}
        self._waiting: dict[tuple[str, str], int] = {}

    def hold(self, system: str, account: str) -> None:
        gate = self._gates.get((system, account))
        if gate is None or gate.is_set():
            self._gates[system, account] = asyncio.Event()

    def release(self, system: str, account: str) -> int:
        """Let held deliveries go; returns how many were waiting."""
        gate = self._gates.pop((system, account), None)
        if gate is None:
            return 0
        gate.set()
        # Counted at the gate, not from the log, which keeps only the last LOG_LIMIT.
        return self._waiting.pop((system, account), 0)

    def held(self, system: str, account: str) -> bool:
        gate = self._gates.get((system, account))
        return gate is not None and not gate.is_set()

    async def start(self) -> None:
        if self._client is None:
            # Deliveries to https://…localhost would fail certificate checks; tests use http.
            self._client = httpx.AsyncClient(timeout=DEFAULT_TIMEOUT_S, verify=False)  # noqa: S501

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def deliver(
        self,
        *,
        system: str,
        account: str,
        event: str,
        url: str,
        method: str = "POST",
        headers: dict[str, str] | None = None,
        body: str | bytes = "",
        retry_on: RetryPolicy = retry_on_failure,
        delays_s: Sequence[float] = DEFAULT_RETRY_DELAYS_S,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        on_done: Callable[[Delivery], None] | None = None,
        meta: dict[str, Any] | None = None,
        accept: AcceptPolicy | None = None,
    ) -> Delivery:
        """Queue one delivery; returns its log entry at once (status ``pending``)."""
        text = body.decode() if isinstance(body, bytes) else body
        delivery = Delivery(
            id=next(self._ids),
            system=system,
            account=account,
            event=event,
            url=url,
            method=method.upper(),
            headers=dict(headers or {}),
            body=text,
            meta=dict(meta or {}),
        )
        entries = self.log.setdefault((system, account), [])
        entries.append(delivery)
        if len(entries) > LOG_LIMIT:
            del entries[: len(entries) - LOG_LIMIT]
        task = asyncio.get_running_loop().create_task(
            self._run(delivery, retry_on, tuple(delays_s), timeout_s, on_done, accept)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    def deliveries(self, system: str, account: str) -> list[Delivery]:
        return list(self.log.get((system, account), []))

    def clear(self, system: str | None = None, account: str | None = None) -> None:
        for key in list(self.log):
            if (system is None or key[0] == system) and (account is None or key[1] == account):
                del self.log[key]

    async def _run(
        self,
        delivery: Delivery,
        retry_on: RetryPolicy,
        delays_s: tuple[float, ...],
        timeout_s: float,
        on_done: Callable[[Delivery], None] | None,
        accept: AcceptPolicy | None = None,
    ) -> None:
        await self.start()
        assert self._client is not None
        key = (delivery.system, delivery.account)
        gate = self._gates.get(key)
        if gate is not None and not gate.is_set():
            self._waiting[key] = self._waiting.get(key, 0) + 1
            await gate.wait()
        url, headers = loopback_target(delivery.url, delivery.headers)
        for attempt in range(len(delays_s) + 1):
            status: int | None = None
            error: str | None = None
            started = time.time()
            try:
                response = await self._client.request(
                    delivery.method,
                    url,
                    headers=headers,
                    content=delivery.body.encode(),
                    timeout=timeout_s,
                )
                status = response.status_code
                if accept is not None and 200 <= status < 300 and not accept(response):
                    error = "not acknowledged"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            delivery.attempts.append(
                {"attempt": attempt + 1, "at": started, "status_code": status, "error": error}
            )
            if status is not None and 200 <= status < 300 and error is None:
                delivery.status = "delivered"
                break
            if attempt >= len(delays_s) or not retry_on(status, error):
                delivery.status = "failed"
                break
            await asyncio.sleep(delays_s[attempt])
        if on_done is not None:
            on_done(delivery)
