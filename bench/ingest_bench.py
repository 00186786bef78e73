"""Benchmark: webhooks durably accepted per second, and their latency, next to a bare view.

Sets itself up from nothing (``bench.stack``): a ``<db>_bench`` database, an Enterprise tenant,
a Brightpearl connection whose webhook flow takes ``sales-order`` events, and gunicorn with the
production settings (DEBUG off) serving both

- the real ingest endpoint ``POST /api/v1/webhooks/brightpearl/<id>/?secret=…`` (verify, store
  the event in the database, acknowledge 202, enqueue after the commit), and
- a bare view (``bench/bare.py``, bench-only) that parses the body and inserts one row: the
  floor of this stack, under the same server, middleware and database.

Separate client processes send Brightpearl-shaped deliveries (unique ids, so each one is a new
event) over raw HTTP/1.1 on loopback at 16 and 64 concurrent connections, interleaving the
two endpoints. Every 202 from the ingest endpoint is checked against the rows stored. Records
``ingest_per_s_64``, ``ingest_bare_per_s_64``, ``ingest_p50_ms_16``, ``ingest_p99_ms_16``.

    python bench/ingest_bench.py [--seconds 5] [--rounds 2] [--workers 2] [--threads 4]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `make bench` runs this file as a script
    sys.path.insert(0, str(REPO_ROOT))

from bench.results import results_record  # noqa: E402
from bench.stack import Stack, order_flow_create, tree_cpu_seconds  # noqa: E402

TARGET_RATIO = 0.70
TARGET_P99_MS = 100.0


@dataclass
class Run:
    endpoint: str
    concurrency: int
    ok: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    server_cpu: float
    client_cpu: float

    @property
    def per_s(self) -> float:
        return self.ok / self.seconds

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _body(n: int) -> bytes:
    # A Brightpearl delivery as our registered body template makes it (ids, not documents).
    return (f'{{"accountCode":"bench","resourceType":"sales-order","id":"{n}",'
            f'"lifecycleEvent":"created","fullEvent":"sales-order.created",'
            f'"raisedOn":"2026-01-01T00:00:00.{n:09d}Z"}}').encode()


async def _connection(port: int, head: str, next_id: list[int], deadline: float,
                      latencies: list[float], counts: list[int]) -> None:
    reader = writer = None
    try:
        while time.monotonic() < deadline:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            next_id[0] += 1
            body = _body(next_id[0])
            started = time.perf_counter()
            writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
            raw = await reader.readuntil(b"\r\n\r\n")
            length, close = 0, False
            for line in raw.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            if length:
                await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            counts[0 if raw[9:12] == b"202" else 1] += 1
            if close:  # sync workers answer one request per connection
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


def _client(port: int, host: str, path: str, connections: int, id_base: int, start_at: float,
            seconds: float, queue: multiprocessing.Queue) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            "User-Agent: clarity-bench\r\n")

    async def run() -> tuple[list[float], list[int]]:
        latencies: list[float] = []
        counts, next_id = [0, 0], [id_base]
        await asyncio.sleep(max(0.0, start_at - time.time()))
        deadline = time.monotonic() + seconds
        await asyncio.gather(*[_connection(port, head, next_id, deadline, latencies, counts)
                               for _ in range(connections)])
        return latencies, counts

    before = resource.getrusage(resource.RUSAGE_SELF)
    latencies, counts = asyncio.run(run())
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    queue.put((latencies, counts[0], counts[1], cpu))


def load(stack: Stack, *, endpoint: str, path: str, concurrency: int, clients: int,
         seconds: float, id_base: int) -> Run:
    ctx = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue = ctx.Queue()
    start_at = time.time() + 1.5  # every client process is up before the clock runs
    shares = [concurrency // clients + (1 if i < concurrency % clients else 0)
              for i in range(clients)]
    procs = [ctx.Process(target=_client, args=(stack.web_port, stack.host, path, share,
                                               id_base + i * 10_000_000, start_at, seconds,
                                               queue))
             for i, share in enumerate(shares) if share]
    for proc in procs:
        proc.start()
    time.sleep(max(0.0, start_at - time.time()))
    server_before = tree_cpu_seconds(stack.processes["web"].pid)
    results = [queue.get(timeout=seconds + 120) for _ in procs]
    server_cpu = tree_cpu_seconds(stack.processes["web"].pid) - server_before
    for proc in procs:
        proc.join()
    return Run(endpoint=endpoint, concurrency=concurrency,
               ok=sum(r[1] for r in results), errors=sum(r[2] for r in results),
               seconds=seconds, latencies_ms=[x for r in results for x in r[0]],
               server_cpu=server_cpu / seconds, client_cpu=sum(r[3] for r in results) / seconds)


def setup(stack: Stack) -> str:
    """Tenant, a Brightpearl connection and a pair whose webhook flow takes sales orders;
    returns the ingest path (the connection's secret in the query, as Brightpearl sends it)."""
    stack.database_create()  # sets Django up: the imports below need it
    from django.db import connection
    from django_tenants.utils import tenant_context

    from bench.bare import CREATE_TABLE
    from integrations.services.connections import connection_create
    from integrations.services.pairs import pair_create_from_template

    tenant = stack.tenant_create()
    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE)
    with tenant_context(tenant):
        # Nothing is called on these systems: the ingest endpoint only verifies and stores.
        bp = connection_create(
            name="BP bench", system="brightpearl", base_url="http://127.0.0.1:9/brightpearl",
            account="bench", auth_type="private_app",
            credentials={"private_app_ref": "clarity-private", "account_token": "bench"})
        bc = connection_create(
            name="BC bench", system="bigcommerce", base_url="http://127.0.0.1:9/bigcommerce",
            account="bench", auth_type="api_token",
            credentials={"store_hash": "bench", "access_token": "bench"})
        pair = pair_create_from_template(name="Bench shop", template_key="brightpearl-bigcommerce",
                                         brightpearl=bp, partner=bc)
        # Every delivery is routed to exactly one flow (the bench's Brightpearl → BigCommerce
        # order flow), so each 202 is one stored event, enqueued after the commit.
        order_flow_create(pair)
        return f"/api/v1/webhooks/brightpearl/{bp.pk}/?secret={bp.webhook_secret}"


def stored_counts(stack: Stack) -> tuple[int, int]:
    """(inbound events, bare rows) in the database now."""
    from django.db import connection
    from django_tenants.utils import tenant_context

    from bench.bare import TABLE
    from integrations.models import InboundEvent

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE}")  # noqa: S608
        (bare,) = cursor.fetchone()
    with tenant_context(stack.tenant):
        events = InboundEvent.objects.count()
    return events, bare


def measure(stack: Stack, *, ingest_path: str, seconds: float, clients: int,
            rounds: int) -> list[Run]:
    """Alternate bare and ingest runs (``rounds`` of each per concurrency, pooled), so a
    disturbance on a shared machine hits both sides alike."""
    # Warm every worker (imports, connections, compiled URL patterns) before measuring.
    load(stack, endpoint="warm-up", path=ingest_path, concurrency=16, clients=1, seconds=1.5,
         id_base=900_000_000)
    load(stack, endpoint="warm-up", path="/bench/bare/", concurrency=16, clients=1,
         seconds=1.5, id_base=910_000_000)
    id_base = 1_000_000_000
    pooled: dict[tuple[str, int], Run] = {}
    for concurrency in (16, 64):
        for _ in range(rounds):
            for endpoint, path in (("bare", "/bench/bare/"), ("ingest", ingest_path)):
                events_before, bare_before = stored_counts(stack)
                run = load(stack, endpoint=endpoint, path=path, concurrency=concurrency,
                           clients=clients, seconds=seconds, id_base=id_base)
                id_base += 100_000_000
                events_after, bare_after = stored_counts(stack)
                stored = (events_after - events_before if endpoint == "ingest"
                          else bare_after - bare_before)
                if stored != run.ok:
                    raise SystemExit(f"{endpoint} at {concurrency}: {run.ok} accepted but "
                                     f"{stored} stored")
                print(f"  {endpoint:6} x{concurrency:<3} {run.per_s:7.0f}/s  "
                      f"p50 {run.percentile(0.5):6.1f} ms  p99 {run.percentile(0.99):6.1f} ms"
                      f"  ({run.errors} errors)", flush=True)
                total = pooled.get((endpoint, concurrency))
                pooled[endpoint, concurrency] = run if total is None else Run(
                    endpoint=endpoint, concurrency=concurrency, ok=total.ok + run.ok,
                    errors=total.errors + run.errors, seconds=total.seconds + run.seconds,
                    latencies_ms=total.latencies_ms + run.latencies_ms,
                    server_cpu=(total.server_cpu + run.server_cpu) / 2,
                    client_cpu=(total.client_cpu + run.client_cpu) / 2)
    return list(pooled.values())


def report(runs: list[Run], *, server: list[str]) -> dict[str, float]:
    by = {(r.endpoint, r.concurrency): r for r in runs}
    print(f"\nserver: gunicorn {' '.join(server)} (config.settings.production, DEBUG off)")
    print(f"{'endpoint':<8} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'errors':>6} {'server CPU':>10} {'client CPU':>10}")
    for r in runs:
        print(f"{r.endpoint:<8} {r.concurrency:>7} {r.per_s:>8.0f} {r.percentile(0.5):>8.1f} "
              f"{r.percentile(0.99):>8.1f} {r.errors:>6} {r.server_cpu:>9.0%} "
              f"{r.client_cpu:>9.0%}")
    ingest64, bare64, ingest16 = by["ingest", 64], by["bare", 64], by["ingest", 16]
    ratio = ingest64.per_s / bare64.per_s if bare64.per_s else 0.0
    p99 = ingest16.percentile(0.99)
    print(f"\ningest / bare at 64 clients: {ratio:.0%} (target ≥ {TARGET_RATIO:.0%}: "
          f"{'met' if ratio >= TARGET_RATIO else 'MISSED'}); p99 at 16 clients {p99:.1f} ms "
          f"(target ≤ {TARGET_P99_MS:.0f} ms: {'met' if p99 <= TARGET_P99_MS else 'MISSED'})")
    if any(r.errors for r in runs):
        raise SystemExit("non-202 answers during the benchmark")
    figures = {
        "ingest_per_s_64": round(ingest64.per_s, 1),
        "ingest_bare_per_s_64": round(bare64.per_s, 1),
        "ingest_p50_ms_16": round(ingest16.percentile(0.5), 2),
        "ingest_p99_ms_16": round(p99, 2),
    }
    results_record(figures=figures)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measured run")
    parser.add_argument("--rounds", type=int, default=2,
                        help="runs of each endpoint per concurrency, alternating")
    parser.add_argument("--workers", type=int,
                        default=int(os.environ.get("WEB_CONCURRENCY") or 4),
                        help="gunicorn workers (Procfile: WEB_CONCURRENCY, default 4)")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS") or 1),
                        help="gunicorn threads (Procfile: WEB_THREADS, default 1)")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    args = parser.parse_args(argv)
    stack = Stack("ingest")
    try:
        print("setting up: database, tenant, connection, flow, gunicorn …", flush=True)
        ingest_path = setup(stack)
        server = stack.start_web(workers=args.workers, threads=args.threads,
                                 settings="bench.settings_bare")
        runs = measure(stack, ingest_path=ingest_path, seconds=args.seconds,
                       clients=args.clients, rounds=args.rounds)
        report(runs, server=server)
    finally:
        stack.close()


if __name__ == "__main__":
    main()
