"""``create_app(config)``: every registered system under ``/<name>/`` plus ``/_control/``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from sandboxes import control
from sandboxes.config import SandboxConfig
from sandboxes.runtime import Sandbox
from sandboxes.system import SandboxSystem, SystemApp

logger = logging.getLogger("sandboxes")


async def _index(request: Any) -> JSONResponse:
    sandbox: Sandbox = request.app.state.sandbox
    return JSONResponse({
        "sandboxes": {name: ctx.base_url for name, ctx in sandbox.contexts.items()},
        "control": f"{sandbox.config.base_url}/_control/",
    })


async def _persist_loop(sandbox: Sandbox) -> None:
    last = sandbox.fingerprint()
    while True:
        await asyncio.sleep(sandbox.config.persist_interval_s)
        current = sandbox.fingerprint()
        if current != last:
            try:
                sandbox.save()
            except OSError:
                logger.exception("could not save sandbox state")
            last = current


class SandboxApp(Starlette):
    """Starlette that keeps the connection's transport in the scope so a fault can drop it.

    uvicorn's ``send`` is a bound method of the request cycle, which holds the transport;
    Starlette's own middleware wraps ``send``, so this has to happen before it.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            cycle = getattr(send, "__self__", None)
            scope["sandbox.transport"] = getattr(cycle, "transport", None)
        await super().__call__(scope, receive, send)


def create_app(
    config: SandboxConfig | None = None, systems: Sequence[SandboxSystem] | None = None
) -> SandboxApp:
    """Build the ASGI app; ``systems`` defaults to every system in ``sandboxes.systems``."""
    config = config or SandboxConfig()
    if systems is None:
        from sandboxes.systems import registered_systems

        systems = registered_systems()
    sandbox = Sandbox(config, systems)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await sandbox.dispatcher.start()
        if config.state_file is not None:
            sandbox.load()
        if config.demo:
            sandbox.demos_ensure()
        for ctx in sandbox.contexts.values():
            if ctx.system.on_startup is not None:
                ctx.system.on_startup(ctx)
        saver = None
        if config.state_file is not None:
            saver = asyncio.create_task(_persist_loop(sandbox))
        try:
            yield
        finally:
            if saver is not None:
                saver.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await saver
                sandbox.save()
            await sandbox.dispatcher.stop()

    routes: list[Any] = [
        Route("/", _index, methods=["GET"]),
        Mount("/_control", routes=control.routes),
    ]
    routes += [Mount(f"/{name}", app=SystemApp(ctx)) for name, ctx in sandbox.contexts.items()]
    app = SandboxApp(routes=routes, lifespan=lifespan)
    app.state.sandbox = sandbox
    return app
