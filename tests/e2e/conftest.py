"""End-to-end harness: real web (gunicorn), worker (Dramatiq), scheduler and sandboxes.

One committed tenant for the session; the processes run against the test database and the
suite's broker, on loopback. External systems reach the tenant at ``e2e.localhost:<port>``
(the sandboxes send ``*.localhost`` to 127.0.0.1 with the Host header kept).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from django.db import connection
from django.test import override_settings

from config.redis import redis_client
from tenants.models import Tenant
from tenants.services import tenant_create
from tests.conftest import TEST_PASSWORD, inside

ROOT = Path(__file__).resolve().parents[2]
E2E_SLUG = "e2e"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    db = connection.settings_dict
    host = quote(db["HOST"], safe="") if db["HOST"].startswith("/") else db["HOST"]
    port = f":{db['PORT']}" if db["PORT"] else ""
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{host}{port}/{db['NAME']}"


@dataclass
class LiveStack:
    tenant: Tenant
    port: int
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return f"{self.tenant.slug}.localhost:{self.port}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        log = ROOT / "var" / "e2e" / str(self.port) / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        self.logs[name] = log
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, start_new_session=True,
                                   stdout=log.open("wb"), stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def stop(self, name: str, *, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        process = self.processes.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, sig)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def start_web(self) -> None:
        self.start("web", [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind",
                           f"127.0.0.1:{self.port}", "--workers", "2", "--threads", "4",
                           "--graceful-timeout", "5", "--access-logfile", "-"])
        wait_until(lambda: _answers(f"{self.url}/healthz"), timeout=30,
                   what=f"web server on {self.port} ({self.logs['web']})")

    def start_worker(self) -> None:
        # Started directly (rundramatiq execs dramatiq in this process group), so stopping the
        # group, SIGKILL included, takes the worker's subprocesses with it.
        self.start("worker", [sys.executable, "manage.py", "rundramatiq", "--processes", "1",
                              "--threads", "8", "--worker-shutdown-timeout", "5000",
                              "--queues", "sync", "poll", "maintenance"])

    def start_scheduler(self) -> None:
        self.start("scheduler", [sys.executable, "manage.py", "scheduler"])

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", headers={"Host": self.host,
                                                        **kwargs.pop("headers", {})},
                          timeout=10, **kwargs)

    @contextlib.contextmanager
    def inside(self) -> Iterator[Tenant]:
        with inside(self.tenant) as tenant:
            yield tenant


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def bigcommerce_pair(live_stack: LiveStack, bp: dict[str, Any], bc: dict[str, Any], *,
                     name: str) -> dict[str, Any]:
    """A Brightpearl + BigCommerce pair from its template on two sandbox accounts, with its
    webhooks registered: {"pair", "bp_conn", "bc_conn"}."""
    from integrations.services.pairs import pair_create_from_template, pair_webhooks_register
    from tests.connections import bigcommerce_connection, brightpearl_connection

    with live_stack.inside():
        bp_conn = brightpearl_connection(bp, name=f"BP {bp['account']}")
        bc_conn = bigcommerce_connection(bc, name=f"BC {bc['account']}")
        pair = pair_create_from_template(name=f"{name} {bc['account']}",
                                         template_key="brightpearl-bigcommerce",
                                         brightpearl=bp_conn, partner=bc_conn)
        assert pair_webhooks_register(pair=pair).failed == {}
    return {"pair": pair, "bp_conn": bp_conn, "bc_conn": bc_conn}


def wait_until(predicate: Callable[[], Any], *, timeout: float = 60, every: float = 0.25,
               what: str = "condition") -> Any:
    """Poll until ``predicate`` returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not met within {timeout:g} s")
        time.sleep(every)


@pytest.fixture(scope="session")
def live_stack(django_db_setup, django_db_blocker, sandbox_url) -> Iterator[LiveStack]:
    with django_db_blocker.unblock():
        tenant = Tenant.objects.filter(slug=E2E_SLUG).first() or tenant_create(
            name="E2E Retail", slug=E2E_SLUG, owner_email="owner@e2e.example.com",
            owner_password=TEST_PASSWORD, plan="enterprise")
        port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": test_database_url(),
            "TENANT_URL_TEMPLATE": f"http://{{slug}}.{{base}}:{port}",
            # Connection forms in the browser tests offer the sandboxes as the default address.
            "SANDBOX_URL": sandbox_url,
            "SCHEDULER_TICK_SECONDS": "0.5",
            # A killed worker's events are taken over within seconds, not minutes.
            "EVENT_LEASE_SECONDS": "4",
            "EVENT_SWEEP_SECONDS": "2",
            "DATABASE_CONN_MAX_AGE": "0",
            # The web server coalesces its enqueues as in production.
            "EVENTS_ENQUEUE_WINDOW_MS": "20",
            # Fair dispatch as in production (in-process tests run without it); a killed
            # worker's slots come back within seconds.
            "SYNC_FAIR_DISPATCH": "true",
            "SYNC_SLOT_LEASE_S": "4",
        }
        # Slots and backlog left by an earlier run against the same Redis.
        redis_client().delete(f"cc:slots:{tenant.schema_name}",
                              f"cc:backlog:{tenant.schema_name}")
        stack = LiveStack(tenant=tenant, port=port, env=env)
        # Webhook URLs registered from this process must name the live web server too.
        urls = override_settings(TENANT_URL_TEMPLATE=env["TENANT_URL_TEMPLATE"])
        urls.enable()
        try:
            stack.start_web()
            stack.start_worker()
            stack.start_scheduler()
            yield stack
        finally:
            urls.disable()
            for name in list(stack.processes):
                stack.stop(name)
            connection.set_schema_to_public()
            tenant.delete(force_drop=True)
