"""Dramatiq actors. The tenant schema is set from the message by config.dramatiq."""

from __future__ import annotations

import dramatiq
from django.db import connection as db

from integrations.models import Flow
from integrations.services import circuit
from integrations.services.alerts import alert_deliver
from integrations.services.events import events_enqueue, events_slot_hand_on, events_sweep
from integrations.services.operations import operation_run
from integrations.services.polling import flow_poll
from integrations.services.retention import logs_purge
from integrations.services.sync import event_process, events_process


# Retries are scheduled by the pipeline itself (with the system's wait and a dead letter at
# the end), so the broker never retries an event on its own.
@dramatiq.actor(queue_name="sync", max_retries=0, time_limit=300_000)
def events_process_task(event_ids: list[int], slot: str = "", redispatch: bool = False) -> None:
    """``slot``: the tenant's dispatch slot this message holds, handed on when it is done
    (also when it failed: its events have their own retries). ``redispatch``: a retry whose
    wait is over; its events go through the slots like new ones, so retries never add to
    the concurrency the plan allows."""
    if redispatch:
        events_enqueue(event_ids)
        return
    try:
        events_process(event_ids=event_ids)
    finally:
        if slot:
            events_slot_hand_on(schema=db.schema_name, slot=slot)


# Messages of one event each, as sent before batches: kept so a queue filled by an older
# release drains after an upgrade.
@dramatiq.actor(queue_name="sync", max_retries=0, time_limit=300_000)
def event_process_task(event_id: int) -> None:
    event_process(event_id=event_id)


@dramatiq.actor(queue_name="poll", max_retries=3, time_limit=600_000)
def flow_poll_task(flow_id: int) -> None:
    flow = Flow.objects.select_related("pair__brightpearl", "pair__partner").filter(
        pk=flow_id).first()
    if flow is not None and flow.is_running:
        flow_poll(flow=flow)


@dramatiq.actor(queue_name="maintenance", max_retries=3)
def events_sweep_task() -> None:
    events_sweep()


@dramatiq.actor(queue_name="maintenance", max_retries=3)
def events_sweep_all_task() -> None:
    """Fan out one sweep per active tenant (a cheap indexed query in each)."""
    from tenants.selectors import tenant_list_active

    for tenant in tenant_list_active():
        events_sweep_task.send_with_options(tenant_schema=tenant.schema_name)


@dramatiq.actor(queue_name="maintenance", max_retries=3)
def logs_purge_task() -> None:
    """A tenant's purge, a bounded number of chunks at a time: when old rows are left it
    sends itself again, so other maintenance work runs in between."""
    if logs_purge().more:
        logs_purge_task.send_with_options(tenant_schema=db.schema_name, delay=1000)


@dramatiq.actor(queue_name="maintenance", max_retries=3)
def logs_purge_all_task() -> None:
    """Once a day: each active tenant purges what is past its plan's log retention."""
    from tenants.selectors import tenant_list_active

    for tenant in tenant_list_active():
        logs_purge_task.send_with_options(tenant_schema=tenant.schema_name)


# A person waits on these (the operation page polls its progress): bulk replays and discards,
# and confirmed imports of mappings and lookup tables. Each message does a few chunks (or
# batches of rows) and sends the rest on, so it never nears the time limit. No broker
# retries: a failed operation says why on its page, and what its finished chunks did stays
# done (an import checks its whole file before the first batch).
@dramatiq.actor(queue_name="maintenance", max_retries=0, time_limit=600_000)
def operation_run_task(operation_id: int) -> None:
    if operation_run(operation_id=operation_id):
        operation_run_task.send(operation_id)


@dramatiq.actor(queue_name="maintenance", max_retries=0)
def connection_probe_task(connection_id: int) -> None:
    circuit.connection_probe(connection_id=connection_id)


@dramatiq.actor(queue_name="maintenance", max_retries=3)
def anomaly_volume_check_task() -> None:
    from integrations.services.quality_anomaly import anomaly_volume_check

    anomaly_volume_check()


@dramatiq.actor(queue_name="maintenance", max_retries=3)
def anomaly_volume_check_all_task() -> None:
    """Every few minutes: each active tenant judges its flows' last complete hour (a no-op
    until the hour has changed, so running it often only makes the alert come sooner)."""
    from tenants.selectors import tenant_list_active

    for tenant in tenant_list_active():
        anomaly_volume_check_task.send_with_options(tenant_schema=tenant.schema_name)


@dramatiq.actor(queue_name="maintenance", max_retries=5, min_backoff=10_000)
def alert_deliver_task(alert_id: int) -> None:
    alert_deliver(alert_id=alert_id)


