"""What the end-to-end benchmarks share: a throw-away database, a tenant, and real processes.

Each benchmark builds everything from nothing against the ``DATABASE_URL`` / ``BROKER_URL``
it is given (``make bench`` gives embedded ones): a ``<db>_bench`` database migrated with
``migrate_schemas``, an Enterprise tenant, then gunicorn / Dramatiq / sandbox processes in
their own sessions, which ``Stack.close`` always stops (also on failure or Ctrl-C). The
processes run with the production settings (DEBUG off); only the bench's own keys are made up.

Not a benchmark itself (``make bench`` runs ``*_bench.py``, ``sandbox_*.py``, ``mapping_*.py``).
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = REPO_ROOT / "var" / "bench"
SLUG = "bench"
PASSWORD = secrets.token_urlsafe(16)  # the owner never logs in


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process and its reaped children (``/proc/<pid>/stat``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and every live descendant (gunicorn and Dramatiq fork workers)."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += cpu_seconds(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except FileNotFoundError:
            children = []
        todo.extend(int(c) for c in children)
    return total


def wait_until(predicate: Callable[[], Any], *, timeout: float, what: str,
               every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout:g} s")
        time.sleep(every)


def answers(url: str, **kwargs: Any) -> bool:
    try:
        return httpx.get(url, timeout=1, **kwargs).status_code == 200
    except httpx.HTTPError:
        return False


def _database_url_with_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _psql_connect(url: str, dbname: str) -> Any:
    import psycopg

    parts = urlsplit(url)
    hostport = parts.netloc.rsplit("@", 1)[-1]
    # The embedded PostgreSQL listens on a Unix socket whose folder is the URL's host.
    host = unquote(hostport) if hostport.startswith("%2F") else (parts.hostname or "127.0.0.1")
    port = None if hostport.startswith("%2F") else (parts.port or 5432)
    return psycopg.connect(host=host, port=port, user=unquote(parts.username or "postgres"),
                           password=unquote(parts.password or "") or None, dbname=dbname,
                           autocommit=True)


class Stack:
    """One benchmark's world: database, tenant, processes. ``close()`` undoes all of it."""

    def __init__(self, name: str) -> None:
        self.name = name
        base_url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/clarity"
        base_name = urlsplit(base_url).path.lstrip("/") or "clarity"
        self.admin_url, self.admin_db = base_url, base_name
        self.db_name = f"{base_name}_bench"
        self.database_url = _database_url_with_name(base_url, self.db_name)
        self.web_port = free_port()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.tenant: Any = None
        from cryptography.fernet import Fernet

        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DATABASE_URL": self.database_url,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "CREDENTIALS_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            # Loopback HTTP, no TLS proxy in front: production's HTTPS redirect would answer
            # every delivery with a 301.
            "SECURE_SSL_REDIRECT": "false",
            "TENANT_URL_TEMPLATE": f"http://{{slug}}.{{base}}:{self.web_port}",
            "LOG_LEVEL": "WARNING",
            # Raised like the sandboxes' rate limits: one connection takes the whole load here.
            # The limiter still runs (its Redis call is part of what is measured).
            "WEBHOOK_RATE_PER_MIN": "100000000",
        }
        self.env.setdefault("BROKER_URL", "redis://127.0.0.1:6379/0")
        # Production settings refuse an unset BASE_DOMAIN; tenants are <slug>.localhost here.
        self.env.setdefault("BASE_DOMAIN", "localhost")
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        atexit.register(self.close)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum: int, frame: object) -> None:
        self.close()
        raise SystemExit(128 + signum)

    # --- database and tenant -------------------------------------------------------------------
    def database_create(self) -> None:
        """A fresh ``<db>_bench``, migrated (shared apps), then Django set up in this process."""
        self._database_drop()
        with _psql_connect(self.admin_url, self.admin_db) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        subprocess.run([sys.executable, "manage.py", "migrate_schemas", "--shared",
                        "--executor=standard", "--verbosity", "0"],
                       cwd=REPO_ROOT, env=self.env, check=True)
        os.environ.update({k: v for k, v in self.env.items() if k != "PYTHONPATH"})
        import django

        django.setup()

    def _database_drop(self) -> None:
        with _psql_connect(self.admin_url, self.admin_db) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def tenant_create(self) -> Any:
        from tenants.services import tenant_create

        self.tenant = tenant_create(name="Bench Retail", slug=SLUG,
                                    owner_email="owner@bench.example.com",
                                    owner_password=PASSWORD, plan="enterprise")
        return self.tenant

    @property
    def host(self) -> str:
        return f"{SLUG}.localhost:{self.web_port}"

    # --- processes -------------------------------------------------------------------------------
    def start(self, name: str, command: list[str], *, env: dict[str, str] | None = None
              ) -> subprocess.Popen[bytes]:
        log = LOG_DIR / f"{self.name}-{name}.log"
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env or self.env,
                                   start_new_session=True, stdout=log.open("wb"),
                                   stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def log_tail(self, name: str, lines: int = 30) -> str:
        log = LOG_DIR / f"{self.name}-{name}.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() \
            else ""

    def start_web(self, *, workers: int, threads: int, settings: str | None = None) -> list[str]:
        """gunicorn as the Procfile runs it (``config.wsgi``), minus the access log."""
        command = [sys.executable, "-m", "gunicorn", "config.wsgi",
                   "--bind", f"127.0.0.1:{self.web_port}", "--workers", str(workers),
                   "--threads", str(threads), "--graceful-timeout", "5", "--backlog", "2048"]
        env = {**self.env, "DJANGO_SETTINGS_MODULE": settings} if settings else None
        self.start("web", command, env=env)
        wait_until(lambda: self.processes["web"].poll() is None and answers(
            f"http://127.0.0.1:{self.web_port}/healthz"), timeout=60,
            what=f"gunicorn on {self.web_port} ({self.log_tail('web')})")
        return command[2:]

    def start_worker(self, *, processes: int, threads: int) -> list[str]:
        command = [sys.executable, "manage.py", "rundramatiq", "--processes", str(processes),
                   "--threads", str(threads), "--worker-shutdown-timeout", "5000",
                   "--queues", "sync", "maintenance"]
        self.start("worker", command)
        return command[2:]

    def start_scheduler(self) -> None:
        """The scheduler as the Procfile runs it: its sweep re-enqueues events whose message
        went missing (part of what keeps an acknowledged event from being lost)."""
        self.start("scheduler", [sys.executable, "manage.py", "scheduler"])

    def start_sandbox(self) -> str:
        port = free_port()
        self.start("sandbox", [sys.executable, "-m", "sandboxes", "--port", str(port),
                               "--no-demo"])
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: answers(f"{url}/_control/health"), timeout=30,
                   what="sandbox started")
        return url

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass

    def broker_purge(self) -> int:
        """Drop the messages this bench enqueued for its tenant that nobody will process (the
        ingest bench runs no worker); other tenants' messages are left alone."""
        if self.tenant is None:
            return 0
        from config.redis import redis_client

        client, schema, removed = redis_client(), self.tenant.schema_name, 0
        for key in client.scan_iter("dramatiq:*.msgs"):
            queue = key.decode()[: -len(".msgs")]
            ours = [mid for mid, raw in client.hscan_iter(key)
                    if json.loads(raw).get("options", {}).get("tenant_schema") == schema]
            is_list = client.type(queue) == b"list"  # dead letters (.XQ) are a sorted set
            for start in range(0, len(ours), 1000):
                chunk = ours[start:start + 1000]
                client.hdel(key, *chunk)
                for mid in chunk:
                    if is_list:
                        client.lrem(queue, 0, mid)
                    else:
                        client.zrem(queue, mid)
                removed += len(chunk)
        return removed

    def close(self) -> None:
        for name in list(self.processes):
            self.stop(name)
        try:
            self.broker_purge()
        except Exception as exc:
            print(f"(could not purge the broker: {exc})", file=sys.stderr)
        self.tenant = None
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may not be set up yet
            pass
        try:
            self._database_drop()
        except Exception as exc:
            print(f"(could not drop {self.db_name}: {exc})", file=sys.stderr)



# --- the benchmarks' own order flow ------------------------------------------------------------
# The Brightpearl + BigCommerce template sends orders BigCommerce → Brightpearl; issue 6 measures
# Brightpearl → BigCommerce, so the benchmarks define that flow themselves, through the same
# services a user's custom flow goes through (a versioned mapping + a Flow on the pair).
ORDER_FLOW_KEY = "bench-sales-order-bp-to-bc"
ORDER_EVENTS = ["sales-order.created"]

_NET = "rowValue.rowNet.value"
_GROSS = {"calc": "add", "args": [_NET, "rowValue.rowTax.value"]}
_QTY = "quantity.magnitude"


def _address(prefix: str) -> dict[str, Any]:
    name = f"{prefix}addressFullName"
    return {"object": {
        "first_name": {"from": name, "transform": [{"split": {"sep": " ", "index": 0}}],
                       "required": True},
        "last_name": {"from": name, "transform": [{"split": {"sep": " ", "index": 1, "max": 1}},
                                                  {"default": "-"}]},
        "company": f"{prefix}companyName",
        "street_1": {"from": f"{prefix}addressLine1", "required": True},
        "street_2": f"{prefix}addressLine2",
        "city": {"from": f"{prefix}addressLine3", "required": True},
        "state": {"from": f"{prefix}addressLine4", "transform": [{"default": "-"}]},
        "zip": {"from": f"{prefix}postalCode", "required": True},
        "country": {"from": f"{prefix}countryIsoCode", "required": True},
        "country_iso2": {"from": f"{prefix}countryIsoCode",
                         "transform": [{"lookup": {"table": "countries_iso2",
                                                   "on_miss": "fail"}}]},
        "phone": f"{prefix}telephone",
        "email": f"{prefix}email",
    }}


ORDER_MAPPING: dict[str, Any] = {
    "format_version": 1, "name": "Brightpearl sales order -> BigCommerce order (bench)",
    "source": {"system": "brightpearl", "entity": "order"},
    "target": {"system": "bigcommerce", "entity": "v2.order"},
    "fields": {
        "status_id": {"const": 11},  # Awaiting Fulfillment
        "customer_id": {"const": 0},  # a guest order: no customer sync needed first
        "external_source": {"const": "Brightpearl"},
        "external_id": {"from": "id", "transform": ["to_string"], "required": True},
        "staff_notes": {"concat": [{"const": "Brightpearl order"}, "reference"], "sep": " "},
        "billing_address": _address("parties.billing."),
        "shipping_addresses": {"list": [_address("parties.delivery.")]},
        "products": {"each": "orderRows", "fields": {
            "name": {"from": "productName", "required": True},
            "sku": "productSku",
            "quantity": {"from": _QTY, "transform": ["to_int"], "required": True},
            "price_ex_tax": {"calc": "div", "args": [_NET, _QTY], "transform": [{"round": 4}]},
            "price_inc_tax": {"calc": "div", "args": [_GROSS, _QTY],
                              "transform": [{"round": 4}]},
        }},
    },
}


def order_flow_create(pair: Any) -> Any:
    """The Brightpearl → BigCommerce sales-order flow on ``pair`` (webhook-triggered)."""
    from integrations.models import Flow
    from integrations.services.mappings import mapping_create

    mapping = mapping_create(name=f"{pair.name}: bench orders BP → BC", document=ORDER_MAPPING,
                             comment="issue 6 benchmark")
    return Flow.objects.create(
        pair=pair, key=ORDER_FLOW_KEY, name="Sales orders: Brightpearl → BigCommerce (bench)",
        entity="sales_order", source_system="brightpearl", target_system="bigcommerce",
        trigger=Flow.Trigger.WEBHOOK, events=ORDER_EVENTS, mapping=mapping)
