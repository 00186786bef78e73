"""Benchmark: log inserts with 10 million rows present, and while retention purges.

One tenant (Connect plan: 30 days of logs) on a throw-away database (``bench.stack``), with a
Brightpearl + BigCommerce pair (no sandbox needed: nothing is synced). Its transaction log and
its event table are filled with ``--rows`` rows each, spread evenly over the last 60 days in id
order as the pipeline writes them, so half of them are past the plan's retention.

Insert throughput is measured three times, ``--threads`` threads for ``--seconds`` each, every
thread writing what one sync message writes: 20 events through the ingest statement
(``inbound_events_record``, enqueueing left out) and 20 transaction rows through the worker's
multi-row insert, in one transaction. First on the empty tables, then with the rows present,
then while ``logs_purge`` runs in another thread, chunk after chunk.

Records ``log_rows_present``, ``log_insert_rows_per_s_empty``, ``log_insert_rows_per_s_10m``,
``log_insert_rows_per_s_purging``, ``log_insert_p99_ms_purging`` and ``log_purge_rows_per_s``.

    python bench/retention_bench.py [--rows 10000000] [--threads 4] [--seconds 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `make bench` runs this file as a script
    sys.path.insert(0, str(REPO_ROOT))

from bench.results import results_record  # noqa: E402
from bench.stack import PASSWORD, Stack  # noqa: E402

FILL_CHUNK = 500_000
PER_MESSAGE = 20


def setup(stack: Stack) -> dict[str, Any]:
    stack.database_create()
    from django_tenants.utils import tenant_context

    from integrations.services import events
    from integrations.services.connections import connection_create
    from integrations.services.pairs import pair_create_from_template

    # Nothing is synced here: stored events are not handed to a broker.
    events.events_enqueue_soon = lambda event_ids: None
    from tenants.services import tenant_create

    tenant = stack.tenant = tenant_create(name="Retention Retail", slug="retention",
                                          owner_email="owner@retention.example.com",
                                          owner_password=PASSWORD, plan="connect")
    with tenant_context(tenant):
        bp = connection_create(name="BP", system="brightpearl", base_url="http://127.0.0.1:9",
                               account="benchbp", auth_type="private_app",
                               credentials={"private_app_ref": "x", "account_token": "y"})
        bc = connection_create(name="BC", system="bigcommerce", base_url="http://127.0.0.1:9",
                               account="benchbc", auth_type="api_token",
                               credentials={"store_hash": "benchbc", "access_token": "z"})
        pair = pair_create_from_template(name="Retention", template_key="brightpearl-bigcommerce",
                                         brightpearl=bp, partner=bc)
        flow = pair.flows.get(key="sales-order-bc-to-bp")
    return {"tenant": tenant, "connection": bp, "flow": flow}


def fill(world: dict[str, Any], rows: int) -> float:
    """``rows`` transactions and ``rows`` finished events over the last 60 days, in id order.
    Returns the seconds it took."""
    from django.db import connection
    from django_tenants.utils import tenant_context

    from integrations.models import InboundEvent, Transaction

    tx, ev = Transaction._meta.db_table, InboundEvent._meta.db_table
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=60)
    step_us = int(60 * 86_400 * 1_000_000 / max(rows, 1))
    flow, conn = world["flow"].pk, world["connection"].pk
    began = time.monotonic()
    with tenant_context(world["tenant"]), connection.cursor() as cursor:
        # The empty-table run's rows go: ids must rise with time, as the pipeline writes them.
        cursor.execute(f"TRUNCATE {tx}, {ev} RESTART IDENTITY CASCADE")
        for first in range(1, rows + 1, FILL_CHUNK):
            last = min(rows, first + FILL_CHUNK - 1)
            params = {"first": first, "last": last, "start": start, "step": step_us,
                      "flow": flow, "conn": conn}
            cursor.execute(f"""
                INSERT INTO {ev} (flow_id, connection_id, origin, event_type, external_id,
                    dedupe_key, payload, status, attempts, last_error, received_at, processed_at)
                SELECT %(flow)s, %(conn)s, 'webhook', 'store/order/created', g::text,
                       md5(g::text) || md5((g + 1)::text), '{{}}'::jsonb, 'done', 1, '',
                       %(start)s + make_interval(secs => g * %(step)s / 1e6),
                       %(start)s + make_interval(secs => g * %(step)s / 1e6 + 0.2)
                FROM generate_series(%(first)s::bigint, %(last)s::bigint) g""",  # noqa: S608
                params)
            cursor.execute(f"""
                INSERT INTO {tx} (flow_id, event_id, source_id, target_id, status, action,
                    attempt, error_class, message, source_record, target_record, started_at,
                    duration_ms)
                SELECT %(flow)s, NULL, g::text, 'BP' || g, 'success', 'create', 1, '', '',
                       jsonb_build_object('id', g, 'status', 'awaiting_fulfillment',
                                          'total_inc_tax', (g %% 500)::text || '.00',
                                          'billing_address', jsonb_build_object(
                                              'first_name', 'Ada', 'city', 'Leeds',
                                              'country_iso2', 'GB')),
                       jsonb_build_object('reference', 'BC-' || g, 'total', g %% 500),
                       %(start)s + make_interval(secs => g * %(step)s / 1e6), 120
                FROM generate_series(%(first)s::bigint, %(last)s::bigint) g""",  # noqa: S608
                params)
            print(f"  filled {last:,} of {rows:,} ({time.monotonic() - began:.0f} s)",
                  flush=True)
        cursor.execute(f"ANALYZE {tx}; ANALYZE {ev}")
    return time.monotonic() - began


def _write_one_message(world: dict[str, Any], serial: str) -> None:
    """What a sync message writes: its events at ingest, its transactions after."""
    from django.db import transaction
    from django.utils import timezone

    from integrations.connectors.base import WebhookEvent
    from integrations.models import Transaction
    from integrations.services.events import inbound_events_record
    from integrations.services.sync import _rows_insert

    now = timezone.now()
    with transaction.atomic():
        inbound_events_record(connection=world["connection"], fingerprint=serial, events=[
            WebhookEvent(entity="order", external_id=f"{serial}-{n}",
                         event_type="store/order/created") for n in range(PER_MESSAGE)])
        _rows_insert(Transaction, ["flow_id", "source_id", "target_id", "status", "action",
                                   "attempt", "error_class", "message", "source_record",
                                   "started_at", "duration_ms"],
                     [(world["flow"].pk, f"{serial}-{n}", f"BP{n}", "success", "create", 1, "",
                       "", '{"id": 1, "status": "awaiting_fulfillment"}', now, 120)
                      for n in range(PER_MESSAGE)], jsonb={"source_record"})


def insert_rate(world: dict[str, Any], *, threads: int, seconds: float
                ) -> tuple[float, float]:
    """Rows a second (events + transactions) and the p99 of one message's write, in ms."""
    from django.db import connection
    from django_tenants.utils import tenant_context

    counts, latencies = [0] * threads, []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def work(index: int) -> None:
        mine: list[float] = []
        with tenant_context(world["tenant"]):
            while time.monotonic() < stop:
                clock = time.monotonic()
                _write_one_message(world, uuid.uuid4().hex)
                mine.append((time.monotonic() - clock) * 1000)
                counts[index] += 2 * PER_MESSAGE
        connection.close()
        with lock:
            latencies.extend(mine)

    began = time.monotonic()
    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] if latencies else 0.0
    return sum(counts) / (time.monotonic() - began), p99


def purge_during(world: dict[str, Any], *, threads: int, seconds: float
                 ) -> tuple[float, float, float]:
    """Insert rate and p99 while a purge runs; and rows purged a second."""
    from django.db import connection
    from django_tenants.utils import tenant_context

    from integrations.services.retention import logs_purge

    purged, done = [0], threading.Event()

    def purge() -> None:
        with tenant_context(world["tenant"]):
            while not done.is_set():
                result = logs_purge(max_batches=5)
                purged[0] += result.transactions + result.events
                if not result.more and not result.transactions and not result.events:
                    break
        connection.close()

    began = time.monotonic()
    purger = threading.Thread(target=purge)
    purger.start()
    rate, p99 = insert_rate(world, threads=threads, seconds=seconds)
    done.set()
    purger.join()
    return rate, p99, purged[0] / (time.monotonic() - began)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000,
                        help="rows in each of the transaction log and the event table")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args(argv)

    stack = Stack("retention")
    try:
        world = setup(stack)
        empty, empty_p99 = insert_rate(world, threads=args.threads, seconds=args.seconds)
        print(f"empty tables: {empty:,.0f} rows/s (p99 {empty_p99:.1f} ms a message)",
              flush=True)
        took = fill(world, args.rows)
        print(f"filled {args.rows:,} + {args.rows:,} rows in {took:.0f} s", flush=True)
        full, full_p99 = insert_rate(world, threads=args.threads, seconds=args.seconds)
        print(f"{args.rows:,} rows present: {full:,.0f} rows/s (p99 {full_p99:.1f} ms)",
              flush=True)
        purging, purging_p99, purge_rate = purge_during(world, threads=args.threads,
                                                        seconds=args.seconds)
        print(f"while purging: {purging:,.0f} rows/s (p99 {purging_p99:.1f} ms); purged "
              f"{purge_rate:,.0f} rows/s", flush=True)
    finally:
        stack.close()
    figures = {
        "log_rows_present": float(2 * args.rows),
        "log_insert_rows_per_s_empty": round(empty, 1),
        "log_insert_rows_per_s_10m": round(full, 1),
        "log_insert_p99_ms_10m": round(full_p99, 2),
        "log_insert_rows_per_s_purging": round(purging, 1),
        "log_insert_p99_ms_purging": round(purging_p99, 2),
        "log_purge_rows_per_s": round(purge_rate, 1),
    }
    for name, value in figures.items():
        print(f"  {name:32} {value}")
    results_record(figures=figures)


if __name__ == "__main__":
    main()
