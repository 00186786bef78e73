"""Recording inbound events durably (before any acknowledgement) and handing them to workers.

Transactional outbox: events are inserted in the caller's transaction and enqueued only after
it commits; a sweeper re-enqueues anything left pending (a crash between commit and enqueue,
a worker killed mid-message). Enqueueing goes through the tenant's slots
(``integrations.services.dispatch``), so one tenant's flood waits in its own backlog.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import psycopg
import redis
from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from config.redis import redis_client
from integrations.connectors.base import WebhookEvent
from integrations.models import Connection, Flow, InboundEvent, IntegrationPair
from integrations.services.dispatch import Dispatcher
from integrations.services.outbox import EnqueueBuffer

logger = logging.getLogger(__name__)

PENDING_GRACE = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class Recorded:
    created: int
    duplicates: int
    unrouted: int


# Routing and storing are one statement, for every delivery: PostgreSQL chooses the flows that
# take each event, so a delivery is one round trip. A flow that names events takes exactly those
# and their sub-events, as Brightpearl names them (``product.modified`` covers
# ``product.modified.price-modified``); a flow that names none takes every event about its
# entity. Candidates are the enabled flows whose source is this connection's system, on a pair
# that has the connection; paused pairs still get their events, and processing holds them until
# the pair resumes. An event no flow takes is kept as unrouted, so nothing acknowledged is ever
# lost. The dedupe key is sha256 of "origin|connection|flow|event type|external id|print" (flow
# "None" when there is none), and ON CONFLICT makes a repeated delivery a no-op.
_ROUTED_BY_FLOWS = """
    SELECT f.id, row_number() OVER (ORDER BY f.pair_id, f.key) AS ord
    FROM {flow} f JOIN {pair} p ON p.id = f.pair_id
    WHERE (p.brightpearl_id = %(connection)s::bigint OR p.partner_id = %(connection)s::bigint)
      AND f.source_system = %(system)s::text AND f.enabled
      AND CASE WHEN jsonb_typeof(f.events) = 'array' AND jsonb_array_length(f.events) > 0
               THEN EXISTS (SELECT 1 FROM jsonb_array_elements_text(f.events) AS sub(name)
                            WHERE ev.event_type = sub.name
                                  OR starts_with(ev.event_type, sub.name || '.'))
               ELSE f.entity = ev.entity END
"""
_ROUTED_EXPLICITLY = "SELECT id, ord FROM unnest(%(flows)s::bigint[]) WITH ORDINALITY AS x(id, ord)"
_RECORD = """
WITH ev (n, event_type, entity, external_id, print) AS (VALUES {values}),
routed AS (
    SELECT ev.n, ev.event_type, ev.external_id, ev.print, r.id AS flow_id, r.ord
    FROM ev LEFT JOIN LATERAL ({routes}) r ON true
),
stored AS (
    INSERT INTO {event} (flow_id, connection_id, origin, event_type, external_id, dedupe_key,
                         payload, status, attempts, last_error, received_at)
    SELECT flow_id, %(connection)s::bigint, %(origin)s::text, event_type, external_id,
           encode(sha256(convert_to(concat_ws('|', %(origin)s::text, %(connection)s::bigint,
                                              coalesce(flow_id::text, 'None'), event_type,
                                              external_id, print), 'UTF8')), 'hex'),
           %(payload)s::jsonb,
           CASE WHEN flow_id IS NULL THEN %(unrouted)s::text ELSE %(pending)s::text END, 0, '',
           clock_timestamp()  -- when the event arrived, not when the transaction began
    FROM routed ORDER BY n, ord
    ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, status
)
SELECT (SELECT count(*) FROM routed),
       (SELECT count(*) FROM routed WHERE flow_id IS NULL),
       (SELECT count(*) FROM stored),
       ARRAY(SELECT id FROM stored WHERE status = %(pending)s::text ORDER BY id)
"""


def inbound_events_record(
    *,
    connection: Connection,
    events: Sequence[WebhookEvent],
    origin: str = "webhook",
    fingerprint: str = "",
    payload: dict[str, Any] | None = None,
    flows: Iterable[Flow] | None = None,
) -> Recorded:
    """Store one row per (event, flow that takes it); repeats of a delivery are ignored.

    ``fingerprint`` identifies the delivery (the system's own event time, or a hash of the
    body), so a resent webhook dedupes while a later change to the same record does not.
    A poller names its ``flows``: its changes go there whatever events the flows subscribe to.
    """
    if not events:
        return Recorded(created=0, duplicates=0, unrouted=0)
    params: dict[str, Any] = {
        "connection": connection.pk, "system": connection.system, "origin": origin,
        "payload": json.dumps(payload or {}), "pending": InboundEvent.Status.PENDING,
        "unrouted": InboundEvent.Status.UNROUTED,
    }
    values = []
    for n, event in enumerate(events):
        values.append(f"({n}, %(t{n})s::text, %(e{n})s::text, %(x{n})s::text, %(p{n})s::text)")
        params.update({f"t{n}": event.event_type, f"e{n}": event.entity,
                       f"x{n}": event.external_id, f"p{n}": event.occurred_at or fingerprint})
    # Tables named with the tenant's schema: the statement needs no `SET search_path` first.
    schema = db.schema_name
    qualified = {name: f'"{schema}".{model._meta.db_table}' for name, model in (
        ("flow", Flow), ("pair", IntegrationPair), ("event", InboundEvent))}
    if flows is None:
        routes = _ROUTED_BY_FLOWS.format(flow=qualified["flow"], pair=qualified["pair"])
    else:
        routes = _ROUTED_EXPLICITLY
        params["flows"] = [flow.pk for flow in flows]
    sql = _RECORD.format(values=", ".join(values), routes=routes, event=qualified["event"])
    db.ensure_connection()
    with db.wrap_database_errors, psycopg.Cursor(db.connection) as cursor:
        # Straight on the driver's connection, bound on the server: prepared once per database
        # connection and then only executed (Django binds on the client, so PostgreSQL parsed
        # and planned it per delivery), and without the round trips a Django cursor costs
        # first (its health check `SELECT 1` and `SET search_path`). A connection that died
        # fails this statement; Django then closes it at the end of the request, as it does
        # without health checks, and the sender retries the delivery.
        cursor.execute(sql, params, prepare=True)
        rows, unrouted, created, pending = cursor.fetchone()
    if pending:
        lane = str(connection.pk)
        transaction.on_commit(lambda: events_enqueue_soon(pending, lane=lane))
    return Recorded(created=created, duplicates=rows - created, unrouted=unrouted)


# Events per message: a delivery's events share one claim, one fetch of their records and
# one write of their results (see sync.events_process); small enough that one slow record
# holds up few others and that the worker's threads share a burst between them.
EVENTS_PER_MESSAGE = 20


def events_enqueue(event_ids: Sequence[int], *, delay_ms: int | None = None) -> None:
    """Send events to the workers in messages of ``EVENTS_PER_MESSAGE``: through the slots of
    the tenant and of each event's source connection (its lane), or, after ``delay_ms``
    (a retry's wait), as a message that passes them through the slots when it arrives:
    holding a slot through the wait would leave it idle."""
    schema = db.schema_name
    ids = list(event_ids)
    if delay_ms or not settings.SYNC_FAIR_DISPATCH:
        redispatch = bool(delay_ms) and settings.SYNC_FAIR_DISPATCH
        for start in range(0, len(ids), EVENTS_PER_MESSAGE):
            _message_send(schema, ids[start:start + EVENTS_PER_MESSAGE], "", delay_ms=delay_ms,
                          redispatch=redispatch)
        return
    tenant_concurrency(schema)  # read here, where the tenant's database connection is
    for lane, lane_ids in _lanes(ids).items():
        for start in range(0, len(lane_ids), EVENTS_PER_MESSAGE):
            _send(schema, lane_ids[start:start + EVENTS_PER_MESSAGE], lane=lane)


def _lanes(event_ids: list[int]) -> dict[str, list[int]]:
    """The events by source connection, in the order given; ids of no event in the lane ""."""
    connections = dict(InboundEvent.objects.filter(pk__in=event_ids)
                       .values_list("pk", "connection_id"))
    lanes: dict[str, list[int]] = {}
    for event_id in event_ids:
        found = connections.get(event_id)
        lanes.setdefault("" if found is None else str(found), []).append(event_id)
    return lanes


def _send(schema: str, event_ids: list[int], *, lane: str = "") -> None:
    """One message of events through the tenant's and the lane's slots (``dispatch``)."""
    try:
        dispatcher().dispatch(schema, event_ids, limit=tenant_concurrency(schema, cached=True),
                              lane=lane, lane_limit=connection_concurrency(schema, cached=True),
                              send=_message_send)
    except redis.RedisError:
        # Without the slots' Redis, fairness is lost but not the work: straight to the broker.
        logger.warning("Fair dispatch unavailable for %s; sending %d events directly.",
                       schema, len(event_ids), exc_info=True)
        _message_send(schema, event_ids, "")


def _message_send(schema: str, event_ids: list[int], slot: str, *,
                  delay_ms: int | None = None, redispatch: bool = False) -> None:
    from integrations.tasks import events_process_task

    kwargs: dict[str, Any] = {}
    if slot:
        kwargs["slot"] = slot
    if redispatch:
        kwargs["redispatch"] = True
    events_process_task.send_with_options(args=(event_ids,), kwargs=kwargs or None,
                                          delay=delay_ms, tenant_schema=schema)


def events_slot_hand_on(*, schema: str, slot: str) -> int:
    """A message of ``schema`` finished: its slot goes to the tenant's next waiting chunk.
    Returns how many messages were sent."""
    try:
        return dispatcher().hand_on(schema, slot, limit=tenant_concurrency(schema),
                                    lane_limit=connection_concurrency(schema),
                                    send=_message_send)
    except redis.RedisError:
        logger.warning("Could not hand on a slot of %s; the pump will.", schema, exc_info=True)
        return 0


def backlogs_pump() -> int:
    """Move every backlog whose tenant has a free slot (leases that ran out, a hand-on that
    failed); the scheduler runs it every few seconds. Returns how many messages were sent.

    A suspended tenant's backlog waits (its messages would be skipped, each holding a slot
    until its lease ran out); a deleted tenant's is dropped."""
    from tenants.models import Tenant

    schemas = dispatcher().backlogged()
    if not schemas:
        return 0
    active = {schema: status == Tenant.Status.ACTIVE for schema, status in
              Tenant.objects.filter(schema_name__in=schemas).values_list("schema_name",
                                                                          "status")}
    sent = 0
    for schema in schemas:
        if schema not in active:
            dispatcher().forget(schema)
        elif active[schema]:
            sent += dispatcher().hand_on(schema, "", limit=tenant_concurrency(schema),
                                         lane_limit=connection_concurrency(schema),
                                         send=_message_send)
    return sent


@cache
def dispatcher() -> Dispatcher:
    return Dispatcher(redis_client(), lease_s=settings.SYNC_SLOT_LEASE_S)


_CONCURRENCY: dict[str, tuple[float, int, int]] = {}


def _concurrency(schema: str, *, cached: bool) -> tuple[int, int]:
    """(tenant slots, slots of one connection), read at most once a minute per process.
    ``cached`` never reads the database (the enqueue thread has no connection of its own):
    the last values read, else the defaults."""
    found = _CONCURRENCY.get(schema)
    if found and (cached or found[0] > time.monotonic()):
        return found[1], found[2]
    default = settings.SYNC_CONCURRENCY_DEFAULT
    default_lane = max(1, default * 3 // 4)
    if cached:
        return default, default_lane
    from tenants.models import Tenant

    limits = (Tenant.objects.filter(schema_name=schema)
              .values_list("subscription__plan__sync_concurrency",
                           "subscription__plan__connection_concurrency").first())
    tenant, lane = limits if limits and limits[0] else (default, default_lane)
    _CONCURRENCY[schema] = (time.monotonic() + 60, tenant, min(lane or tenant, tenant))
    return _CONCURRENCY[schema][1], _CONCURRENCY[schema][2]


def tenant_concurrency(schema: str, *, cached: bool = False) -> int:
    """The tenant's slots: its plan's ``sync_concurrency``."""
    return _concurrency(schema, cached=cached)[0]


def connection_concurrency(schema: str, *, cached: bool = False) -> int:
    """The most of the tenant's slots one connection's events hold: its plan's
    ``connection_concurrency`` (never more than the tenant's)."""
    return _concurrency(schema, cached=cached)[1]


_buffer: EnqueueBuffer | None = None


def events_enqueue_soon(event_ids: Sequence[int], *, lane: str = "") -> None:
    """Enqueue committed events within ``EVENTS_ENQUEUE_WINDOW_MS``, coalesced with others
    (``outbox.EnqueueBuffer``); at once when the window is 0."""
    global _buffer
    window_ms = settings.EVENTS_ENQUEUE_WINDOW_MS
    if window_ms <= 0:
        events_enqueue(event_ids)
        return
    if settings.SYNC_FAIR_DISPATCH:
        tenant_concurrency(db.schema_name)  # the buffer's thread reads it from the cache
    if _buffer is None:
        _buffer = EnqueueBuffer(send=_buffered_send, window_s=window_ms / 1000,
                                per_message=EVENTS_PER_MESSAGE)
    _buffer.add((db.schema_name, lane), event_ids)


def _buffered_send(key: Hashable, event_ids: list[int]) -> None:
    schema, lane = key  # type: ignore[misc]
    if settings.SYNC_FAIR_DISPATCH:
        _send(schema, event_ids, lane=lane)
    else:
        _message_send(schema, event_ids, "")


def events_sweep(*, now: dt.datetime | None = None) -> int:
    """Re-enqueue events nobody is working on: pending past a grace period, retries that are
    due, and processing leases that ran out (the worker died). Returns how many."""
    now = now or timezone.now()
    due = InboundEvent.objects.filter(
        status=InboundEvent.Status.RETRYING, next_attempt_at__lte=now,
    ) | InboundEvent.objects.filter(
        status=InboundEvent.Status.PROCESSING, lease_until__lt=now,
    )
    # Pending events of a tenant with a backlog are, but for a few, in that backlog: sending
    # them again would queue each twice. Once it has drained, any left out are swept.
    if not _backlogged(db.schema_name):
        due = due | InboundEvent.objects.filter(
            status=InboundEvent.Status.PENDING, received_at__lt=now - PENDING_GRACE)
    ids = list(due.values_list("pk", flat=True)[:5000])
    events_enqueue(ids)
    return len(ids)


def _backlogged(schema: str) -> bool:
    if not settings.SYNC_FAIR_DISPATCH:
        return False
    try:
        return dispatcher().backlog_size(schema) > 0
    except redis.RedisError:
        return False
