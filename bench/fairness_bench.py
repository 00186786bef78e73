"""Benchmark: a quiet tenant's latency while another tenant works through 100,000 events.

Two tenants on one stack (``bench.stack``: database, gunicorn, Dramatiq worker, scheduler and
the sandboxes), each with a Brightpearl account, a BigCommerce store and the bench's own
Brightpearl → BigCommerce order flow (``bench.stack.ORDER_MAPPING``), its webhooks registered:

- *flood* (Enterprise plan) has ``--flood`` sales orders seeded in its Brightpearl account and
  one stored event for each, dispatched at once: a backlog like a catalogue import or a
  receiver catching up after an outage. Every event is real work (fetch the order from the
  Brightpearl sandbox, map it, create the BigCommerce order).
- *quiet* (Connect plan) creates ``--rate`` orders a second through the Brightpearl API for
  ``--window-s`` seconds, once the flood is being worked; the sandbox delivers each
  ``sales-order.created`` webhook live to the web server.
- *sibling*: a second pair of the flood tenant, on a Brightpearl account of its own, whose
  orders arrive the same way at the same time: the flood tenant's other connection, which its
  flood must not hold up either (per-connection slots).

The quiet tenant's latency is each event's ``processed_at − received_at`` (from the moment its
delivery was stored to the moment its BigCommerce order was written), so the figure is the
wait for a worker plus the pipeline itself, not the sandbox's webhook delay. The flood's
throughput over the same window says the workers were busy with it.

Records ``fair_quiet_p99_s`` (and ``fair_quiet_p50_s``, ``fair_flood_events_per_s``,
``fair_sibling_p99_s`` and ``fair_sibling_p50_s`` for the sibling connection's events); with
``--unfair`` the same run without fair dispatch (``SYNC_FAIR_DISPATCH=false``), recorded as
``unfair_quiet_p99_s`` (events not done by the end of the window count as the window).

    python bench/fairness_bench.py [--flood 100000] [--rate 2] [--window-s 60] [--unfair]
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `make bench` runs this file as a script
    sys.path.insert(0, str(REPO_ROOT))

from bench.results import results_record  # noqa: E402
from bench.stack import PASSWORD, Stack, order_flow_create, wait_until  # noqa: E402

TARGET_P99_S = 5.0
UNLIMITED = 10**9
BATCH = 2000  # events stored per statement


def tenant_setup(stack: Stack, control: httpx.Client, *, slug: str, plan: str,
                 orders: int) -> dict[str, Any]:
    """A tenant with its own Brightpearl account (``orders`` seeded), BigCommerce store and
    the bench order flow, webhooks registered."""
    from tenants.services import tenant_create

    tenant = tenant_create(name=f"{slug.title()} Retail", slug=slug,
                           owner_email=f"owner@{slug}.example.com", owner_password=PASSWORD,
                           plan=plan)
    return pair_setup(control, tenant=tenant, slug=slug, orders=orders)


def pair_setup(control: httpx.Client, *, tenant: Any, slug: str, orders: int) -> dict[str, Any]:
    """In ``tenant``, a pair of a new Brightpearl account (``orders`` seeded) and BigCommerce
    store (both named after ``slug``) with the bench order flow, webhooks registered."""
    from django_tenants.utils import tenant_context

    from integrations.services.connections import connection_create
    from integrations.services.pairs import pair_create_from_template, pair_webhooks_register

    bp = control.post("/brightpearl/accounts", json={
        "account": f"{slug}bp", "seed": {"products": 20, "customers": 50, "orders": orders}},
    ).raise_for_status().json()
    bc = control.post("/bigcommerce/accounts", json={"account": f"{slug}bc"}
                      ).raise_for_status().json()
    control.put(f"/limits/brightpearl/{slug}bp",
                json={"requests_per_minute": UNLIMITED}).raise_for_status()
    control.put(f"/limits/bigcommerce/{slug}bc",
                json={"requests_quota": UNLIMITED}).raise_for_status()
    with tenant_context(tenant):
        bp_conn = connection_create(
            name=f"{slug} BP", system="brightpearl", base_url=bp["base_url"], account=bp["account"],
            auth_type="private_app",
            credentials={"private_app_ref": bp["credentials"]["private_app_ref"],
                         "account_token": bp["credentials"]["account_token"]},
            settings={"requests_per_minute": UNLIMITED})
        bc_conn = connection_create(
            name=f"{slug} BC", system="bigcommerce", base_url=bc["base_url"], account=bc["account"],
            auth_type="api_token",
            credentials={"store_hash": bc["account"],
                         "access_token": bc["credentials"]["access_token"]},
            settings={"rate_limit_per_30s": UNLIMITED})
        pair = pair_create_from_template(name=f"{slug} shop",
                                         template_key="brightpearl-bigcommerce",
                                         brightpearl=bp_conn, partner=bc_conn)
        pair.flows.update(enabled=False)
        order_flow_create(pair)
        registration = pair_webhooks_register(pair=pair)
        if registration.failed or not registration.registered:
            raise RuntimeError(f"webhook registration failed: {registration.failed}")
    order_ids: list[int] = []
    offset = 0
    while True:  # pages: each answer carries its records, purchase orders among them
        page = control.get(f"/brightpearl/{slug}bp/order",
                           params={"offset": offset, "limit": 5000}).json()
        if not page["ids"]:
            break
        offset += len(page["ids"])
        order_ids.extend(int(i) for i, record in zip(page["ids"], page["records"], strict=True)
                         if record.get("orderTypeCode") == "SO")
    customers = [int(i) for i in control.get(f"/brightpearl/{slug}bp/contact",
                                             params={"limit": 1000}).json()["ids"]]
    products = [int(i) for i in control.get(f"/brightpearl/{slug}bp/product",
                                            params={"limit": 1000}).json()["ids"]]
    return {"tenant": tenant, "bp": bp, "bc": bc, "connection": bp_conn, "orders": order_ids,
            "customers": customers, "products": products}


def flood_store(world: dict[str, Any], count: int) -> int:
    """Store one ``sales-order.created`` event per seeded order, as deliveries would, and
    dispatch them when each batch commits. Returns how many were stored."""
    from django.db import transaction
    from django_tenants.utils import tenant_context

    from integrations.connectors.base import WebhookEvent
    from integrations.services.events import inbound_events_record

    ids = world["orders"][:count]
    stored = 0
    with tenant_context(world["tenant"]):
        for start in range(0, len(ids), BATCH):
            events = [WebhookEvent(entity="order", external_id=str(i),
                                   event_type="sales-order.created", occurred_at="flood")
                      for i in ids[start:start + BATCH]]
            with transaction.atomic():
                stored += inbound_events_record(connection=world["connection"], events=events,
                                                fingerprint="flood").created
    from integrations.services import events as events_module

    if events_module._buffer is not None:
        events_module._buffer.flush()
    return stored


def quiet_stream(world: dict[str, Any], *, rate: float, seconds: float) -> list[int]:
    """Create orders in the quiet tenant's Brightpearl account at ``rate`` a second."""
    bp = world["bp"]
    headers = {"brightpearl-app-ref": bp["credentials"]["private_app_ref"],
               "brightpearl-account-token": bp["credentials"]["account_token"]}
    created: list[int] = []
    with httpx.Client(base_url=f"{bp['base_url']}/public-api/{bp['account']}/",
                      headers=headers, timeout=30) as client:
        started = time.monotonic()
        n = 0
        while time.monotonic() - started < seconds:
            body = {"orderTypeCode": "SO", "reference": f"QUIET-{n}",
                    "parties": {"customer": {"contactId": world["customers"][n % 50]}},
                    "rows": [{"productId": world["products"][n % 20],
                              "quantity": {"magnitude": "1"}}]}
            response = client.post("order-service/order", json=body)
            response.raise_for_status()
            created.append(int(response.json()["response"]))
            n += 1
            time.sleep(max(0.0, started + n / rate - time.monotonic()))
    return created


def done_count(world: dict[str, Any]) -> int:
    from django_tenants.utils import tenant_context

    from integrations.models import InboundEvent

    with tenant_context(world["tenant"]):
        return InboundEvent.objects.filter(status=InboundEvent.Status.DONE,
                                           connection=world["connection"]).count()


def quiet_latencies(world: dict[str, Any], *, until: float) -> tuple[list[float], int]:
    """Seconds from stored to done of each event of the world's connection; events not done
    count as the time from stored to ``until`` (epoch seconds). Returns (latencies, not
    done)."""
    from django_tenants.utils import tenant_context

    from integrations.models import InboundEvent

    latencies, waiting = [], 0
    with tenant_context(world["tenant"]):
        for received, processed in InboundEvent.objects.filter(
                connection=world["connection"]).values_list("received_at", "processed_at"):
            if processed is None:
                waiting += 1
                latencies.append(until - received.timestamp())
            else:
                latencies.append((processed - received).total_seconds())
    return latencies, waiting


def _dispatch_forget(*worlds: dict[str, Any]) -> None:
    """The flood's backlog is not worked to its end: its slots and backlog go with the stack."""
    from integrations.services.events import dispatcher

    for world in worlds:
        dispatcher().forget(world["tenant"].schema_name)


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(args: argparse.Namespace) -> dict[str, float]:
    stack = Stack("fairness")
    if args.unfair:
        stack.env["SYNC_FAIR_DISPATCH"] = "false"
    stack.database_create()  # Django reads SYNC_FAIR_DISPATCH from the stack's environment
    sandbox = stack.start_sandbox()
    control = httpx.Client(base_url=f"{sandbox}/_control", timeout=300)
    flood = tenant_setup(stack, control, slug="flood", plan="enterprise", orders=args.flood)
    quiet = tenant_setup(stack, control, slug="quiet", plan="connect", orders=0)
    # The flood tenant's other connection: its own shop, whose orders arrive live meanwhile.
    sibling = pair_setup(control, tenant=flood["tenant"], slug="sibling", orders=0)
    stack.tenant = flood["tenant"]
    print(f"tenants ready: flood has {len(flood['orders'])} sales orders", flush=True)
    stack.start_web(workers=2, threads=8)
    stack.start_scheduler()

    stored = flood_store(flood, args.flood)
    print(f"flood: {stored} events stored and dispatched", flush=True)
    worker = stack.start_worker(processes=args.worker_processes, threads=args.worker_threads)
    print(f"worker: {' '.join(worker)}", flush=True)
    wait_until(lambda: done_count(flood) >= 200, timeout=300, what="the flood being worked")

    flood_before, clock = done_count(flood), time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:
        streams = [pool.submit(quiet_stream, world, rate=args.rate, seconds=args.window_s)
                   for world in (quiet, sibling)]
        sent, sibling_sent = (stream.result() for stream in streams)
    window = time.monotonic() - clock
    flood_rate = (done_count(flood) - flood_before) / window
    # The last quiet events get the time a worker needs to take them, bounded.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not any(quiet_latencies(world, until=time.time())[1] for world in (quiet, sibling)):
            break
        time.sleep(0.5)
    latencies, waiting = quiet_latencies(quiet, until=time.time())
    sibling_latencies, sibling_waiting = quiet_latencies(sibling, until=time.time())
    flood_left = stored - done_count(flood)
    _dispatch_forget(flood, quiet)
    stack.close()
    prefix = "unfair" if args.unfair else "fair"
    figures = {
        f"{prefix}_quiet_p99_s": round(p(latencies, 0.99), 3),
        f"{prefix}_quiet_p50_s": round(p(latencies, 0.50), 3),
        f"{prefix}_quiet_max_s": round(max(latencies), 3),
        f"{prefix}_flood_events_per_s": round(flood_rate, 1),
        f"{prefix}_sibling_p99_s": round(p(sibling_latencies, 0.99), 3),
        f"{prefix}_sibling_p50_s": round(p(sibling_latencies, 0.50), 3),
    }
    print(f"quiet: {len(sent)} orders at {args.rate}/s over {window:.0f} s, {len(latencies)} "
          f"events, {waiting} not done; flood: {flood_rate:.0f} events/s, {flood_left} of "
          f"{stored} still waiting at the end; the flood tenant's other connection: "
          f"{len(sibling_sent)} orders, {sibling_waiting} not done")
    for name, value in figures.items():
        print(f"  {name:28} {value}")
    if not args.unfair:
        verdict = "met" if figures["fair_quiet_p99_s"] <= TARGET_P99_S else "MISSED"
        print(f"target: quiet p99 <= {TARGET_P99_S:g} s: {verdict}")
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flood", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=2.0, help="quiet orders a second")
    parser.add_argument("--window-s", type=float, default=60.0)
    parser.add_argument("--worker-processes", type=int, default=2)
    parser.add_argument("--worker-threads", type=int, default=4)
    parser.add_argument("--unfair", action="store_true",
                        help="the same run with fair dispatch off, for comparison")
    args = parser.parse_args(argv)
    figures = run(args)
    results_record(figures=figures)


if __name__ == "__main__":
    main()
