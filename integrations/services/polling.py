"""Pollers for systems that cannot push: list what changed since the flow's high-water mark
and record each change as an inbound event, exactly like a webhook would."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.connectors.base import WebhookEvent
from integrations.models import Flow
from integrations.services.connections import connector_for
from integrations.services.events import Recorded, inbound_events_record

MAX_PAGES_PER_RUN = 20
# Systems stamp changes with their own clocks; look back a little so nothing slips between.
OVERLAP = dt.timedelta(seconds=5)

_MODIFIED_FIELDS = ("modified_at", "updatedOn", "date_modified", "LastModifiedDate",
                    "DEX_ROW_TS", "LMTS", "TimeStamp", "updated")


def _record_id(connector: Any, entity: str, record: dict[str, Any]) -> str:
    if hasattr(connector, "record_id"):
        return str(connector.record_id(entity, record))
    for key in ("id", "Id", "external_id"):
        if record.get(key) not in (None, ""):
            return str(record[key])
    raise ValueError(f"A {entity} record from the poll has no id.")


def _stamp(record: dict[str, Any]) -> str:
    for name in _MODIFIED_FIELDS:
        if record.get(name) not in (None, ""):
            return str(record[name])
    return ""


def flow_poll(*, flow: Flow, now: dt.datetime | None = None) -> Recorded:
    """One poll run: at most ``MAX_PAGES_PER_RUN`` pages, then the mark moves on."""
    now = now or timezone.now()
    state = dict(flow.poll_state or {})
    since = dt.datetime.fromisoformat(state["since"]) if state.get("since") else None
    cursor = state.get("cursor")
    connector = connector_for(flow.source_connection)
    totals = Recorded(0, 0, 0)
    for _ in range(MAX_PAGES_PER_RUN):
        page = connector.list_changed(flow.entity, since=since, cursor=cursor)
        events = [WebhookEvent(entity=flow.entity, external_id=_record_id(connector, flow.entity,
                                                                          r),
                               event_type=f"{flow.entity}.changed", occurred_at=_stamp(r))
                  for r in page.records]
        with transaction.atomic():
            recorded = inbound_events_record(connection=flow.source_connection, events=events,
                                             origin="poll", flows=[flow],
                                             fingerprint=now.isoformat())
        totals = Recorded(totals.created + recorded.created,
                          totals.duplicates + recorded.duplicates, 0)
        if page.next_cursor:
            cursor = page.next_cursor
            # Systems whose cursor is the watermark itself (SYSPRO's TimeStamp) keep it.
            state["cursor"] = cursor
            continue
        break
    else:
        # More pages remain: keep the cursor and continue next run from there.
        _backfill_progress(state, totals.created, done=False)
        flow.poll_state = state
        flow.last_polled_at = now
        flow.save(update_fields=["poll_state", "last_polled_at"])
        if "backfill" in state:
            _continue(flow)
        return totals
    _backfill_progress(state, totals.created, done=True)
    state["since"] = (now - OVERLAP).isoformat()
    if not connector_keeps_cursor(connector):
        state.pop("cursor", None)
    flow.poll_state = state
    flow.last_polled_at = now
    flow.save(update_fields=["poll_state", "last_polled_at"])
    return totals


def _backfill_progress(state: dict[str, Any], recorded: int, *, done: bool) -> None:
    backfill = state.get("backfill")
    if backfill and not backfill.get("done"):
        backfill["recorded"] = int(backfill.get("recorded", 0)) + recorded
        backfill["done"] = done


def _continue(flow: Flow) -> None:
    from django.db import connection as db

    from integrations.tasks import flow_poll_task

    transaction.on_commit(lambda: flow_poll_task.send_with_options(
        args=(flow.pk,), tenant_schema=db.schema_name))


def flow_backfill(*, flow: Flow, since: dt.datetime) -> None:
    """Sync every source record changed since ``since`` (webhook or polled flow alike): the
    flow's high-water mark moves back and the poller walks forward from there. Records
    already in sync are skipped by their payload hash, so nothing is written twice."""
    state = {"since": since.isoformat(),
             "backfill": {"since": since.isoformat(), "started_at": timezone.now().isoformat(),
                          "recorded": 0, "done": False}}
    Flow.objects.filter(pk=flow.pk).update(poll_state=state)
    flow.poll_state = state
    _continue(flow)


def backfill_progress(*, flow: Flow) -> dict[str, Any] | None:
    """Recorded changes, and how many of them are delivered, skipped, waiting or dead."""
    backfill = (flow.poll_state or {}).get("backfill")
    if not backfill:
        return None
    from django.db.models import Count

    from integrations.models import InboundEvent

    counts = dict(InboundEvent.objects.filter(
        flow=flow, origin="poll", received_at__gte=backfill["started_at"],
    ).values_list("status").annotate(n=Count("pk")))
    return {**backfill, "statuses": counts}


def connector_keeps_cursor(connector: Any) -> bool:
    """SYSPRO rows carry no change time: its cursor (a rowversion) is the high-water mark."""
    return getattr(connector, "system", "") == "syspro"
