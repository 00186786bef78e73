"""Benchmark: a thousand tenants. Creation, migrations, scheduler tick, host resolution, memory.

Sets itself up from nothing (``bench.stack``: a ``<db>_bench`` database, production settings)
and then, in order:

1. ``manage.py tenants_demo --count N --jobs 2``: N demo tenants, each with a Brightpearl +
   BigCommerce pair (9 webhook flows) and a Brightpearl + Dynamics GP pair (11 flows, 4 polled).
2. ``tenant_create_s``: 20 more sign-ups through ``tenants.services.tenant_create`` with N
   tenants present (mean, p95); next to it the two ways we did not take, at the same scale: a
   schema made by running every migration (``tenant_schema_migrate_s``) and django-tenants'
   ``clone_schema()`` (``tenant_schema_clone_dt_s``), 3 each.
3. ``migrate_noop_s_<N>``: ``migrate_schemas --tenant --executor=multiprocessing`` with nothing
   to apply. ``migrate_one_s_<N>``: the same run applying exactly one migration to every
   schema: the newest integrations migration is first unapplied everywhere (itself timed, as
   ``migrate_unapply_one_s_<N>``), so the forward run re-applies it. Bench database only.
4. ``scheduler_tick_ms_10000``: 10,000 poll schedules over the N tenants (their 4·N polled
   flows plus rows for flow ids that do not exist, which a tick never opens); mean and p99 of
   ``Scheduler.tick()`` with nothing due, and with 1 % (100 rows) due, with its query count.
5. ``tenant_resolve_us``: the tenant middleware's ``process_request`` for hosts cycling over
   the N tenants, django-tenants' own (a query per request) and ours (per-process cache).
6. ``web_rss_mb`` / ``worker_rss_mb``: one gunicorn worker after a portal login page for every
   tenant; one Dramatiq worker process after one sweep message per tenant.

    python bench/tenants_bench.py [--tenants 1000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `make bench` runs this file as a script
    sys.path.insert(0, str(REPO_ROOT))

from bench.results import results_record  # noqa: E402
from bench.stack import Stack, wait_until  # noqa: E402

PREFIX = "scale"
TICK_FLOWS = 10_000


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _manage(stack: Stack, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=stack.env,
                   check=True)
    return time.perf_counter() - started


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            kids = [int(c) for c in
                    Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except FileNotFoundError:
            kids = []
        found.extend(kids)
        todo.extend(kids)
    return found


def creation(stack: Stack, figures: dict[str, float]) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.clone import CloneSchema

    from tenants.services import tenant_create

    times = []
    for n in range(20):
        started = time.perf_counter()
        tenant_create(name=f"Sign-up {n}", slug=f"signup-{n:02d}",
                      owner_email=f"owner{n}@signup.example.com",
                      owner_password="a-long-sign-up-pass-2026")  # noqa: S106
        times.append(time.perf_counter() - started)
    figures["tenant_create_s"] = round(statistics.mean(times), 3)
    figures["tenant_create_p95_s"] = round(_pct(times, 0.95), 3)

    migrate_times, clone_times = [], []
    for n in range(3):
        schema = f"zz_bench_migrated_{n}"
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{schema}"')
        call_command("migrate_schemas", tenant=True, schema_name=schema, interactive=False,
                     verbosity=0)
        migrate_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        CloneSchema().clone_schema(schema, f"zz_bench_dtclone_{n}", "DATA")
        clone_times.append(time.perf_counter() - started)
    with connection.cursor() as cursor:
        for n in range(3):
            cursor.execute(f'DROP SCHEMA "zz_bench_migrated_{n}" CASCADE')
            cursor.execute(f'DROP SCHEMA "zz_bench_dtclone_{n}" CASCADE')
    connection.set_schema_to_public()
    figures["tenant_schema_migrate_s"] = round(statistics.mean(migrate_times), 3)
    figures["tenant_schema_clone_dt_s"] = round(statistics.mean(clone_times), 3)


def migrations(stack: Stack, tenants: int, figures: dict[str, float]) -> None:
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    newest = sorted(name for app, name in loader.disk_migrations if app == "integrations")
    previous = newest[-2]
    # System checks once, not again inside every schema's migrate (17 ms each).
    _manage(stack, "check")
    parallel = ["migrate_schemas", "--tenant", "--executor=multiprocessing", "--skip-checks",
                "--verbosity", "0"]
    figures[f"migrate_noop_s_{tenants}"] = round(_manage(stack, *parallel), 1)
    figures[f"migrate_unapply_one_s_{tenants}"] = round(
        _manage(stack, *parallel, "integrations", previous), 1)
    figures[f"migrate_one_s_{tenants}"] = round(_manage(stack, *parallel), 1)
    figures["migrate_processes"] = int(stack.env.get("MIGRATE_PROCESSES", "2"))


def scheduler(figures: dict[str, float]) -> None:
    import random

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from config.scheduler import Scheduler
    from tenants.models import PollSchedule, Tenant

    later = timezone.now() + dt.timedelta(hours=1)
    PollSchedule.objects.update(next_run_at=later)
    tenant_ids = list(Tenant.objects.exclude(schema_name="public").values_list("pk", flat=True))
    missing = TICK_FLOWS - PollSchedule.objects.count()
    PollSchedule.objects.bulk_create(
        [PollSchedule(tenant_id=tenant_ids[n % len(tenant_ids)], flow_id=10_000_000 + n,
                      interval_s=300, next_run_at=later) for n in range(max(0, missing))],
        batch_size=2000)
    assert PollSchedule.objects.count() >= TICK_FLOWS
    ids = list(PollSchedule.objects.values_list("pk", flat=True))
    tick = Scheduler(jobs=(), polls=True)
    tick.tick()  # leader election, once

    def measure(due: int, rounds: int) -> tuple[list[float], int]:
        times, queries = [], 0
        for _ in range(rounds):
            if due:
                PollSchedule.objects.filter(pk__in=random.sample(ids, due)).update(
                    next_run_at=timezone.now() - dt.timedelta(seconds=1))
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                tick.tick()
                times.append((time.perf_counter() - started) * 1000)
            queries = len(captured.captured_queries)
            PollSchedule.objects.update(next_run_at=later)
        return times, queries

    idle, idle_queries = measure(0, 200)
    busy, busy_queries = measure(TICK_FLOWS // 100, 50)
    figures["scheduler_tick_ms_10000"] = round(statistics.mean(idle), 2)
    figures["scheduler_tick_p99_ms_10000"] = round(_pct(idle, 0.99), 2)
    figures["scheduler_tick_queries_idle"] = idle_queries
    figures["scheduler_tick_due1pct_ms_10000"] = round(statistics.mean(busy), 2)
    figures["scheduler_tick_due1pct_p99_ms_10000"] = round(_pct(busy, 0.99), 2)
    figures["scheduler_tick_queries_due1pct"] = busy_queries


def resolution(figures: dict[str, float]) -> None:
    from django.db import connection
    from django.test import RequestFactory
    from django_tenants.middleware.main import TenantMainMiddleware

    from tenants.middleware import CachedTenantMiddleware
    from tenants.models import Domain

    hosts = list(Domain.objects.exclude(tenant__schema_name="public")
                 .values_list("domain", flat=True))
    factory = RequestFactory()
    requests = [factory.get("/login/", HTTP_HOST=host) for host in hosts]
    for name, middleware_class in (("tenant_resolve_us_uncached", TenantMainMiddleware),
                                   ("tenant_resolve_us", CachedTenantMiddleware)):
        middleware = middleware_class(lambda request: None)
        for request in requests:  # warm: connection, caches
            middleware.process_request(request)
        rounds = max(5000, len(requests))
        started = time.perf_counter()
        for n in range(rounds):
            middleware.process_request(requests[n % len(requests)])
        figures[name] = round((time.perf_counter() - started) / rounds * 1e6, 1)
        connection.set_schema_to_public()


def memory(stack: Stack, figures: dict[str, float]) -> None:
    import httpx

    from config.redis import redis_client
    from integrations.tasks import events_sweep_all_task
    from tenants.models import Domain

    hosts = list(Domain.objects.exclude(tenant__schema_name="public")
                 .values_list("domain", flat=True))
    stack.start_web(workers=1, threads=1)
    master = stack.processes["web"].pid
    with httpx.Client(base_url=f"http://127.0.0.1:{stack.web_port}", timeout=30) as client:
        for host in hosts:
            response = client.get("/login/", headers={"Host": f"{host}:{stack.web_port}"})
            assert response.status_code == 200, (host, response.status_code)
    workers = _descendants(master)
    figures["web_rss_mb"] = round(max(_rss_mb(pid) for pid in workers), 1)
    figures["web_requests_for_rss"] = len(hosts)
    stack.stop("web")

    stack.start_worker(processes=1, threads=1)
    client = redis_client()
    events_sweep_all_task.send()
    time.sleep(2)
    wait_until(lambda: not any(client.hlen(key) for key in client.scan_iter("dramatiq:*.msgs")),
               timeout=600, what="sweep messages processed", every=0.5)
    pids = _descendants(stack.processes["worker"].pid)
    figures["worker_rss_mb"] = round(max(_rss_mb(pid) for pid in pids), 1)
    stack.stop("worker")


def _broker_purge(schemas: set[str]) -> None:
    from config.redis import redis_client

    client = redis_client()
    for key in client.scan_iter("dramatiq:*.msgs"):
        queue = key.decode()[: -len(".msgs")]
        ours = [mid for mid, raw in client.hscan_iter(key)
                if json.loads(raw).get("options", {}).get("tenant_schema") in schemas]
        for mid in ours:
            client.hdel(key, mid)
            client.lrem(queue, 0, mid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    options = parser.parse_args()
    started = time.perf_counter()
    stack = Stack("tenants")
    # Tenants live at <slug>.localhost, which resolves to this machine without DNS.
    stack.env.setdefault("BASE_DOMAIN", "localhost")
    figures: dict[str, float] = {}
    try:
        stack.database_create()
        from django.conf import settings

        from tenants.models import Tenant
        from tenants.services import public_tenant_ensure

        public_tenant_ensure(domain=settings.BASE_DOMAIN)
        _manage(stack, "tenant_template")
        phase = time.perf_counter()
        _manage(stack, "tenants_demo", "--count", str(options.tenants), "--prefix", PREFIX,
                "--jobs", str(options.jobs), "--progress-every", "100")
        figures["tenants_demo_s_per_tenant"] = round(
            (time.perf_counter() - phase) / options.tenants, 3)
        print(f"tenants ready after {time.perf_counter() - started:.0f} s", flush=True)
        creation(stack, figures)
        print(f"creation measured after {time.perf_counter() - started:.0f} s", flush=True)
        tenants = Tenant.objects.exclude(schema_name="public").count()
        migrations(stack, options.tenants, figures)
        figures["migrate_tenants"] = tenants
        print(f"migrations measured after {time.perf_counter() - started:.0f} s", flush=True)
        scheduler(figures)
        _broker_purge(set(Tenant.objects.values_list("schema_name", flat=True)))
        resolution(figures)
        memory(stack, figures)
        figures["tenants_bench_minutes"] = round((time.perf_counter() - started) / 60, 1)
    finally:
        stack.close()
    results_record(figures=figures)
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
