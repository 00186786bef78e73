"""What a system module declares (``SandboxSystem``) and what its handlers get (``SystemContext``).

A system module ``sandboxes/systems/<name>.py`` exports ``SYSTEM = SandboxSystem(...)``. The app
mounts its routes under ``/<name>`` behind ``SystemApp``, which puts the context in the request
scope (``system_context(request)``) and applies fault injection before the handler runs.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Router
from starlette.types import Message, Receive, Scope, Send

from sandboxes.config import SandboxConfig
from sandboxes.faults import FaultBook, FaultKind, drop_connection, fault_draw, wait_for_disconnect
from sandboxes.ratelimit import DailyCounter, FixedWindow, RollingWindow
from sandboxes.state import Account, SystemState
from sandboxes.webhooks import Delivery, WebhookDispatcher

if TYPE_CHECKING:
    from sandboxes.seeding import Dataset

# fault_response(ctx, kind, scope) -> the system's own 5xx / 429 / 503 response.
FaultResponder = Callable[["SystemContext", FaultKind, Scope], Response]
# create_account(ctx, account, requested_credentials) -> the account's full credentials.
AccountCreator = Callable[["SystemContext", str, dict[str, Any]], dict[str, Any]]
# init_account(ctx, account): reference data every account has (warehouses, tax codes...).
AccountInitialiser = Callable[["SystemContext", Account], None]
# seed_account(ctx, account, dataset): write the neutral dataset in the system's own shape.
AccountSeeder = Callable[["SystemContext", Account, "Dataset"], None]


def default_fault_response(ctx: SystemContext, kind: FaultKind, scope: Scope) -> Response:
    if kind is FaultKind.RATE_LIMITED:
        return JSONResponse({"error": "rate limited"}, status_code=429)
    return JSONResponse({"error": "internal server error"}, status_code=500)


def default_create_account(
    ctx: SystemContext, account: str, credentials: dict[str, Any]
) -> dict[str, Any]:
    return dict(credentials)


@dataclass
class DemoAccount:
    name: str
    credentials: dict[str, Any]


@dataclass
class SandboxSystem:
    """Declaration of one emulated system."""

    name: str  # URL prefix: served under /<name>/
    title: str
    routes: Sequence[BaseRoute]
    demo_account: DemoAccount
    seed_account: AccountSeeder | None = None
    init_account: AccountInitialiser | None = None
    create_account: AccountCreator = default_create_account
    fault_response: FaultResponder = default_fault_response
    # Which account a request path (relative to /<name>) addresses, for per-account faults.
    account_from_path: Callable[[str], str | None] = lambda path: None
    # Limits PUT /_control/limits may change, with their defaults.
    default_limits: dict[str, Any] = field(default_factory=dict)
    # One line for README / GET /_control/systems: the base URL pattern after /<name>.
    base_path: str = ""
    # Called once when the app starts (after demo accounts exist).
    on_startup: Callable[[SystemContext], None] | None = None


class SystemContext:
    """Runtime of one system: its state, faults, limits, limiters and webhook dispatcher."""

    def __init__(
        self, system: SandboxSystem, config: SandboxConfig, dispatcher: WebhookDispatcher
    ) -> None:
        self.system = system
        self.name = system.name
        self.config = config
        self.state = SystemState(system.name)
        self.faults = FaultBook(config.seed)
        self.dispatcher = dispatcher
        self.limits: dict[str | None, dict[str, Any]] = {None: dict(system.default_limits)}
        self.limiters: dict[str, RollingWindow | FixedWindow | DailyCounter] = {}

    # -- URLs ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """Public URL of this system's prefix, e.g. ``http://127.0.0.1:8100/brightpearl``."""
        return f"{self.config.base_url}/{self.name}"

    # -- accounts -----------------------------------------------------------------------
    def account(self, name: str) -> Account | None:
        return self.state.accounts.get(name)

    def account_create(self, name: str, credentials: dict[str, Any] | None = None) -> Account:
        """Create (or update) an account, letting the system fill in its credentials."""
        full = self.system.create_account(self, name, dict(credentials or {}))
        fresh = self.state.account(name) is None
        account = self.state.account_create(name)
        account.credentials.update(full)
        if fresh and self.system.init_account is not None:
            self.system.init_account(self, account)
        return account

    # -- limits -------------------------------------------------------------------------
    def limit(self, key: str, account: str | None = None) -> Any:
        """Current value of a limit: the account's override, else the system's."""
        if account is not None:
            per_account = self.limits.get(account)
            if per_account and key in per_account:
                return per_account[key]
        return self.limits[None].get(key, self.system.default_limits.get(key))

    def rolling_window(self, name: str, window_s: float) -> RollingWindow:
        limiter = self.limiters.get(name)
        if not isinstance(limiter, RollingWindow):
            limiter = self.limiters[name] = RollingWindow(window_s)
        return limiter

    def fixed_window(self, name: str, window_s: float) -> FixedWindow:
        limiter = self.limiters.get(name)
        if not isinstance(limiter, FixedWindow):
            limiter = self.limiters[name] = FixedWindow(window_s)
        return limiter

    def daily_counter(self, name: str) -> DailyCounter:
        limiter = self.limiters.get(name)
        if not isinstance(limiter, DailyCounter):
            limiter = self.limiters[name] = DailyCounter()
        return limiter

    def limiters_reset(self, account: str | None = None) -> None:
        for limiter in self.limiters.values():
            limiter.reset(None if account is None else account)

    # -- webhooks -----------------------------------------------------------------------
    def webhook_send(self, account: str, *, event: str, url: str, **kwargs: Any) -> Delivery:
        """Queue a delivery (see ``WebhookDispatcher.deliver`` for the keyword arguments).

        Unless given, retry delays come from the ``webhook_retry_delays_s`` limit.
        """
        if "delays_s" not in kwargs:
            delays = self.limit("webhook_retry_delays_s", account)
            if delays is not None:
                kwargs["delays_s"] = delays
        return self.dispatcher.deliver(
            system=self.name, account=account, event=event, url=url, **kwargs
        )

    # -- misc ---------------------------------------------------------------------------
    @staticmethod
    def now() -> float:
        return time.time()


def system_context(request: Request) -> SystemContext:
    """The context of the system a request was routed to."""
    return request.scope["sandbox.system"]


class SystemApp:
    """ASGI app for one system: context into the scope, faults, then the system's routes."""

    def __init__(self, ctx: SystemContext) -> None:
        self.ctx = ctx
        self.router = Router(routes=list(ctx.system.routes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.router(scope, receive, send)
            return
        ctx = self.ctx
        scope["sandbox.system"] = ctx
        found = None
        if ctx.faults.settings:
            path = scope["path"]
            root = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            found = ctx.faults.lookup(ctx.system.account_from_path(path))
        if found is None:
            await self.router(scope, receive, send)
            return
        settings, rng = found
        if settings.latency_ms > 0:
            await asyncio.sleep(settings.latency_ms / 1000)
        mode = fault_draw(settings, rng)
        if mode is None:
            await self.router(scope, receive, send)
        elif mode == "hang":
            await wait_for_disconnect(receive, ctx.config.hang_max_s)
        elif mode == "drop":
            await drop_connection(scope, send)
        elif mode == "error_5xx":
            await ctx.system.fault_response(ctx, FaultKind.SERVER_ERROR, scope)(
                scope, receive, send
            )
        elif mode == "rate_limit":
            await ctx.system.fault_response(ctx, FaultKind.RATE_LIMITED, scope)(
                scope, receive, send
            )
        else:
            await self._malformed(scope, receive, send)

    async def _malformed(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer normally but cut the body in half (a truncated JSON/XML document)."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.router(scope, receive, capture)
        body = b"".join(chunks)
        broken = body[: max(1, len(body) // 2)] if body else b'{"'
        assert start is not None
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(broken)).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send({"type": "http.response.body", "body": broken})


def json_dumps(data: Any) -> bytes:
    """Compact JSON as the vendors send it."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
