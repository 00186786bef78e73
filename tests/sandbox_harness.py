"""Fixtures for driving a real sandbox process over HTTP (a pytest plugin, see tests/conftest.py).

- ``sandbox_url``: base URL of a ``python -m sandboxes`` subprocess started once per session.
- ``http``: an ``httpx.Client`` on that base URL (``http.get("/brightpearl/...")``).
- ``control``: a ``SandboxControl`` for ``/_control/`` (faults are cleared after each test).
- ``new_account``: ``new_account("brightpearl", seed={...})`` creates a uniquely named account
  and returns the control API's answer (``account``, ``credentials``, ``base_url``).
- ``webhook_receiver``: a local HTTP server in a thread that records what it receives.

No database is needed: these tests only speak HTTP.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SANDBOX_SEED = 42
SANDBOX_DEMO_SIZE = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], Any], *, timeout: float = 10.0, every: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy; return that, or fail the test."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s")
        time.sleep(every)


class SandboxProcess:
    """A ``python -m sandboxes`` subprocess on a free port."""

    def __init__(self, *extra_args: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [
            sys.executable, "-m", "sandboxes", "--port", str(self.port),
            "--seed", str(SANDBOX_SEED), "--demo-size", str(SANDBOX_DEMO_SIZE), *extra_args,
        ]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> SandboxProcess:
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        self.proc = subprocess.Popen(self.args, cwd=REPO_ROOT, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sandbox exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.url}/_control/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("sandbox did not become healthy within 30 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="session")
def sandbox_process() -> Iterator[SandboxProcess]:
    process = SandboxProcess().start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def sandbox_url(sandbox_process: SandboxProcess) -> str:
    return sandbox_process.url


@pytest.fixture
def http(sandbox_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox_url, timeout=10) as client:
        yield client


class SandboxControl:
    """Thin client of the control API; every method returns the decoded JSON answer."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def _json(self, response: httpx.Response) -> Any:
        assert response.status_code < 300, (response.status_code, response.text)
        return response.json()

    def state(self) -> dict[str, Any]:
        return self._json(self.client.get("/_control/state"))["systems"]

    def counts(self, system: str, account: str) -> dict[str, int]:
        return self.state()[system].get(account, {})

    def reset(self, system: str | None = None, account: str | None = None, *,
              demo: bool = True) -> dict[str, Any]:
        body = {"system": system, "account": account, "demo": demo}
        return self._json(self.client.post("/_control/reset", json=body))

    def create_account(self, system: str, account: str | None = None, *,
                       credentials: dict[str, Any] | None = None,
                       seed: dict[str, Any] | None = None) -> dict[str, Any]:
        name = account or f"t{uuid.uuid4().hex[:10]}"
        body: dict[str, Any] = {"account": name, "credentials": credentials or {}}
        if seed is not None:
            body["seed"] = seed
        return self._json(self.client.post(f"/_control/{system}/accounts", json=body))

    def seed(self, system: str, account: str, **sizes: int) -> dict[str, Any]:
        return self._json(self.client.post(f"/_control/{system}/{account}/seed", json=sizes))

    def records(self, system: str, account: str, entity: str) -> list[dict[str, Any]]:
        return self._json(self.client.get(f"/_control/{system}/{account}/{entity}"))["records"]

    def faults(self, system: str, account: str | None = None, **settings: Any) -> dict[str, Any]:
        path = f"/_control/faults/{system}" + (f"/{account}" if account else "")
        return self._json(self.client.put(path, json=settings))

    def clear_faults(self) -> None:
        self._json(self.client.delete("/_control/faults"))

    def limits(self, system: str, account: str | None = None, **values: Any) -> dict[str, Any]:
        path = f"/_control/limits/{system}" + (f"/{account}" if account else "")
        return self._json(self.client.put(path, json=values))

    def expire_tokens(self, system: str, account: str | None = None) -> int:
        body = {"system": system, "account": account}
        return self._json(self.client.post("/_control/expire-tokens", json=body))[
            "tokens_expired"
        ]

    def deliveries(self, system: str, account: str) -> list[dict[str, Any]]:
        path = f"/_control/{system}/{account}/webhook-deliveries"
        return self._json(self.client.get(path))["deliveries"]

    def wait_for_deliveries(self, system: str, account: str, count: int, *,
                            status: str | None = None,
                            timeout: float = 10.0) -> list[dict[str, Any]]:
        """Poll until ``count`` deliveries (in ``status``, if given) are logged."""

        def ready() -> list[dict[str, Any]] | None:
            items = self.deliveries(system, account)
            if status is not None:
                items = [d for d in items if d["status"] == status]
            return items if len(items) >= count else None

        return wait_until(ready, timeout=timeout)


@pytest.fixture
def control(sandbox_url: str) -> Iterator[SandboxControl]:
    with httpx.Client(base_url=sandbox_url, timeout=10) as client:
        ctl = SandboxControl(client)
        yield ctl
        ctl.clear_faults()


@pytest.fixture(scope="module")
def new_account_module(sandbox_url: str) -> Iterator[Callable[..., dict[str, Any]]]:
    """``new_account`` for module-scoped fixtures (one account shared by a module's tests)."""
    with httpx.Client(base_url=sandbox_url, timeout=30) as client:
        control = SandboxControl(client)
        yield lambda system, **kwargs: control.create_account(system, None, **kwargs)


@pytest.fixture
def new_account(control: SandboxControl) -> Callable[..., dict[str, Any]]:
    """Factory: ``new_account(system, seed=None, credentials=None)`` → the created account."""

    def make(system: str, *, seed: dict[str, Any] | None = None,
             credentials: dict[str, Any] | None = None, name: str | None = None
             ) -> dict[str, Any]:
        return control.create_account(system, name, credentials=credentials, seed=seed)

    return make


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """Records every request; answers with queued status codes, then ``default_status``."""

    url: str
    requests: list[ReceivedRequest] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    default_status: int = 200
    # Body of every answer (e.g. a Salesforce Outbound Message <Ack>), with its content type.
    response_body: bytes = b""
    response_content_type: str = "text/plain"
    lock: threading.Lock = field(default_factory=threading.Lock)

    def respond_with(self, *statuses: int) -> None:
        """Answer the next requests with these codes, in order."""
        with self.lock:
            self.statuses.extend(statuses)

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else self.default_status

    def record(self, request: ReceivedRequest) -> None:
        with self.lock:
            self.requests.append(request)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        def ready() -> list[ReceivedRequest] | None:
            with self.lock:
                return list(self.requests) if len(self.requests) >= count else None

        return wait_until(ready, timeout=timeout)


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver: WebhookReceiver | None = None

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            assert receiver is not None
            receiver.record(ReceivedRequest(
                method=self.command,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            ))
            status = receiver.next_status()
            self.send_response(status)
            self.send_header("Content-Type", receiver.response_content_type)
            self.send_header("Content-Length", str(len(receiver.response_body)))
            self.end_headers()
            if receiver.response_body:
                self.wfile.write(receiver.response_body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = WebhookReceiver(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


_ids = itertools.count(1)


def unique(prefix: str = "T") -> str:
    """A short unique string for references, SKUs and emails within one test session."""
    return f"{prefix}{os.getpid() % 1000:03d}{next(_ids):05d}"
