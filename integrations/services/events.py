"""Recording inbound events durably (before any acknowledgement) and handing them to workers.

Transactional outbox: events are inserted in the caller's transaction and enqueued only after
it commits; a sweeper re-enqueues anything left pending (a crash between commit and enqueue,
a worker killed mid-message).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from integrations.connectors.base import WebhookEvent
from integrations.models import Connection, Flow, InboundEvent, IntegrationPair

PENDING_GRACE = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class Recorded:
    created: int
    duplicates: int
    unrouted: int


def _routes(connection: Connection) -> list[Flow]:
    """Enabled flows that take events from this connection (its system is their source).

    Paused pairs still get their events; processing holds them until the pair resumes.
    """
    # Read for every delivery, so it is one plain statement with only what routing needs
    # (the ORM spent more time building the OR-join than PostgreSQL spent answering it).
    flow, pair = Flow._meta.db_table, IntegrationPair._meta.db_table
    return list(Flow.objects.raw(
        f"SELECT f.id, f.entity, f.events FROM {flow} f JOIN {pair} p ON p.id = f.pair_id "  # noqa: S608
        "WHERE (p.brightpearl_id = %s OR p.partner_id = %s) AND f.source_system = %s "
        "AND f.enabled ORDER BY f.pair_id, f.key",
        [connection.pk, connection.pk, connection.system]))


def _matches(flow: Flow, event: WebhookEvent) -> bool:
    """A flow that names events takes exactly those (and their sub-events, as Brightpearl
    names them: ``product.modified`` covers ``product.modified.price-modified``); a flow
    that names none takes every event about its entity."""
    if flow.events:
        return any(event.event_type == name or event.event_type.startswith(f"{name}.")
                   for name in flow.events)
    return flow.entity == event.entity


def dedupe_key(*, origin: str, connection_id: int, flow_id: int | None, event: WebhookEvent,
               fingerprint: str) -> str:
    raw = f"{origin}|{connection_id}|{flow_id}|{event.event_type}|{event.external_id}|{fingerprint}"
    return hashlib.sha256(raw.encode()).hexdigest()


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
    """
    # A poller names its flow: its changes go there whatever events the flow subscribes to.
    explicit = flows is not None
    routes = list(flows) if flows is not None else _routes(connection)
    rows: list[tuple[Any, ...]] = []
    unrouted = 0
    for event in events:
        print_ = event.occurred_at or fingerprint
        targets = [f for f in routes if explicit or _matches(f, event)]
        if not targets:
            unrouted += 1
            targets = [None]  # kept, so nothing acknowledged is ever lost
        for flow in targets:
            rows.append((
                flow.pk if flow else None, connection.pk, origin, event.event_type,
                event.external_id,
                dedupe_key(origin=origin, connection_id=connection.pk,
                           flow_id=flow.pk if flow else None, event=event, fingerprint=print_),
                json.dumps(payload or {}),
                InboundEvent.Status.PENDING if flow else InboundEvent.Status.UNROUTED,
            ))
    inserted = _insert(rows)
    pending = [pk for pk, status in inserted if status == InboundEvent.Status.PENDING]
    if pending:
        transaction.on_commit(lambda: events_enqueue(pending))
    return Recorded(created=len(inserted), duplicates=len(rows) - len(inserted),
                    unrouted=unrouted)


def _insert(rows: list[tuple[Any, ...]]) -> list[tuple[int, str]]:
    if not rows:
        return []
    table = InboundEvent._meta.db_table
    # clock_timestamp(): when the event arrived, not when the surrounding transaction began.
    row = "(%s, %s, %s, %s, %s, %s, %s::jsonb, %s, 0, '', clock_timestamp())"
    values = ", ".join([row] * len(rows))
    params = [v for row in rows for v in row]
    with db.cursor() as cursor:
        # One statement; ON CONFLICT makes a repeated delivery a no-op, not an error.
        cursor.execute(
            f"INSERT INTO {table} (flow_id, connection_id, origin, event_type, external_id, "  # noqa: S608
            f"dedupe_key, payload, status, attempts, last_error, received_at) VALUES {values} "
            "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, status",
            params,
        )
        return list(cursor.fetchall())


# Events per message: a delivery's events share one claim, one fetch of their records and
# one write of their results (see sync.events_process); small enough that one slow record
# holds up few others and that the worker's threads share a burst between them.
EVENTS_PER_MESSAGE = 20


def events_enqueue(event_ids: Sequence[int], *, delay_ms: int | None = None) -> None:
    from integrations.tasks import events_process_task

    schema = db.schema_name
    ids = list(event_ids)
    for start in range(0, len(ids), EVENTS_PER_MESSAGE):
        events_process_task.send_with_options(args=(ids[start:start + EVENTS_PER_MESSAGE],),
                                              delay=delay_ms, tenant_schema=schema)


def events_sweep(*, now: dt.datetime | None = None) -> int:
    """Re-enqueue events nobody is working on: pending past a grace period, retries that are
    due, and processing leases that ran out (the worker died). Returns how many."""
    now = now or timezone.now()
    due = InboundEvent.objects.filter(
        status=InboundEvent.Status.PENDING, received_at__lt=now - PENDING_GRACE,
    ) | InboundEvent.objects.filter(
        status=InboundEvent.Status.RETRYING, next_attempt_at__lte=now,
    ) | InboundEvent.objects.filter(
        status=InboundEvent.Status.PROCESSING, lease_until__lt=now,
    )
    ids = list(due.values_list("pk", flat=True)[:5000])
    events_enqueue(ids)
    return len(ids)
