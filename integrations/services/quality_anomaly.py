"""Anomaly detection per flow: records far outside what the flow usually sees, and hours whose
volume surges or drops.

The statistics are plain Python (``integrations.quality.anomaly``); their states live in
``FlowStat`` rows, one per flow, metric and segment:

- ``order_total``, ``order_unit_value``, ``line_quantity`` per channel: the usual range,
  learnt from the records that synced cleanly (``anomaly_learn``, once per batch);
- ``price`` per SKU and price list (``"<sku>|<list>"``): the last price. One row per SKU
  rather than one row of every price, so a batch reads only the SKUs it has, however large
  the catalogue;
- ``volume`` (no segment): records per hour, learnt and judged by the scheduled
  ``anomaly_volume_check``, from the transaction log;
- ``fraud_ship_country`` and ``fraud_customers`` per hash bucket, for storefront and CRM sales
  orders: where the flow ships, which customers it has seen and their last hour's orders
  (``integrations.quality.fraud``); learnt with the rest, judged in the same read.

A record's findings (``anomaly_findings``, before mapping) become notes on its transaction;
the flow's action decides whether it syncs with them (and alerts) or is held for review.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from typing import Any

from django.db import connection as db
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from integrations.models import AlertEvent, Flow, FlowStat, IntegrationPair, Transaction
from integrations.quality import anomaly, fraud
from integrations.services.quality import Note, quality_settings

logger = logging.getLogger(__name__)

VOLUME_METRIC = "volume"
VOLUME_BACKFILL_HOURS = 14 * 24   # what a flow's first volume check learns from its log
RECORD_WORDS = {"sales_order": "orders", "credit_note": "credit notes",
                "purchase_order": "purchase orders", "payment": "payments",
                "product": "product updates", "inventory": "stock updates"}


def _observations(flow: Flow, record: Any) -> list[anomaly.Observation]:
    return anomaly.observations(system=flow.source_system, entity=flow.entity, record=record)


def _stats_read(flow: Flow, keys: set[tuple[str, str]], *, lock: bool = False
                ) -> dict[tuple[str, str], FlowStat]:
    """The flow's stat rows for ``keys``, in one query."""
    if not keys:
        return {}
    by_metric: dict[str, set[str]] = defaultdict(set)
    for metric, segment in keys:
        by_metric[metric].add(segment)
    where = Q()
    for metric, segments in by_metric.items():
        where |= Q(metric=metric, segment__in=sorted(segments))
    rows = FlowStat.objects.filter(where, flow=flow)
    if lock:
        rows = rows.select_for_update().order_by("metric", "segment")
    return {(row.metric, row.segment): row for row in rows}


def _segment_words(observation: anomaly.Observation) -> str:
    if observation.metric == "price" or not observation.segment:
        return ""
    return f"for channel {observation.segment}"


def anomaly_findings(*, flow: Flow, record: dict[str, Any], settings: dict[str, Any]
                     ) -> list[Note]:
    """What in ``record`` is far outside the flow's usual range (nothing until the flow has
    learnt ``min_history`` records of a metric and segment; a price needs a last price).

    With action "flag" the record syncs anyway: a flagged price becomes the SKU's pending
    price (so the same new price does not alarm again) and the anomaly alert rules hear of
    it."""
    found = _observations(flow, record)
    facts = _order_facts(flow, record)
    if not found and facts is None:
        return []
    stats = _stats_read(flow, {(o.metric, o.segment) for o in found}
                        | (fraud.state_keys(facts) if facts else set()))
    sensitivity = float(settings["sensitivity"])
    notes = []
    for observation in found:
        row = stats.get((observation.metric, observation.segment))
        state = row.state if row is not None else {}
        if observation.metric == "price":
            finding = anomaly.price_check(state, observation,
                                          change_pct=float(settings["price_change_pct"]))
        else:
            finding = anomaly.range_check(state, observation, sensitivity=sensitivity,
                                          min_history=int(settings["min_history"]),
                                          segment_words=_segment_words(observation))
        if finding is not None:
            notes.append(Note("anomaly", finding.message, finding.path,
                              data=finding.as_data()))
    if facts is not None:
        risk = fraud.fraud_check(facts, states={k: r.state for k, r in stats.items()},
                                 now=timezone.now().timestamp(),
                                 min_history=int(settings["min_history"]))
        if risk is not None:
            notes.append(Note("anomaly", risk.message, risk.path, data=risk.as_data()))
    if notes:
        if settings.get("action") == "flag":
            _prices_pending(flow, [n for n in notes if n.data.get("metric") == "price"])
        if facts is not None:
            _orders_placed(flow, facts)
        # Held or flagged, the anomaly rules hear of it: a held order waits for a person.
        try:
            from integrations.services.alerts import alerts_check_anomaly

            alerts_check_anomaly(flow=flow, what="records",
                                 findings=[n.message for n in notes])
        except Exception:  # an alert that cannot be raised must not stop the sync
            logger.exception("Flow %s could not raise its anomaly alert", flow.pk)
    return notes


def _prices_pending(flow: Flow, notes: list[Note]) -> None:
    if not notes:
        return
    with transaction.atomic():
        _flow_lock(flow)
        stats = _stats_read(flow, {("price", n.data["segment"]) for n in notes}, lock=True)
        rows = []
        for note in notes:
            key = ("price", note.data["segment"])
            state = stats[key].state if key in stats else {}
            rows.append(FlowStat(flow=flow, metric=key[0], segment=key[1],
                                 state=anomaly.price_learn(state, value=note.data["value"],
                                                           flagged=True)))
        _stats_write(rows)


def _order_facts(flow: Flow, record: Any) -> fraud.OrderFacts | None:
    return fraud.order_facts(system=flow.source_system, entity=flow.entity, record=record)


def _orders_placed(flow: Flow, facts: fraud.OrderFacts) -> None:
    """A flagged or held order is not learnt, but it was placed: it still counts towards its
    customer's orders in the hour, or a burst whose first orders were flagged would hide."""
    with transaction.atomic():
        _flow_lock(flow)
        keys = {(fraud.CUSTOMERS_METRIC, fraud.bucket(h)) for h in facts.customer_keys}
        stats = _stats_read(flow, keys, lock=True)
        changed = fraud.fraud_learn({k: r.state for k, r in stats.items()}, [facts],
                                    now=timezone.now().timestamp(), known=False)
        _stats_write([FlowStat(flow=flow, metric=metric, segment=segment, state=state)
                      for (metric, segment), state in sorted(changed.items())])


def _flow_lock(flow: Flow) -> None:
    """Serialise learning of one flow across workers for this transaction: two batches that
    both read a stat and write it back would otherwise lose one's values, and row locks do
    not cover a row neither has created yet."""
    digest = hashlib.blake2b(f"anomaly:{db.schema_name}:{flow.pk}".encode(),
                             digest_size=8).digest()
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)",
                       [int.from_bytes(digest, "big", signed=True)])


def _stats_write(rows: list[FlowStat]) -> None:
    FlowStat.objects.bulk_create(rows, update_conflicts=True,
                                 unique_fields=["flow", "metric", "segment"],
                                 update_fields=["state", "updated_at"])


def anomaly_learn(*, flow: Flow, records: list[Any], settings: dict[str, Any]) -> None:
    """Learn from a batch's clean records: one lock, one read and one upsert of the flow's
    stat rows, whatever the batch's size."""
    grouped: dict[tuple[str, str], list[float]] = defaultdict(list)
    orders = []
    for record in records:
        for observation in _observations(flow, record):
            grouped[(observation.metric, observation.segment)].append(observation.value)
        facts = _order_facts(flow, record)
        if facts is not None:
            orders.append(facts)
    if not grouped and not orders:
        return
    fraud_keys = set().union(*(fraud.state_keys(f) for f in orders)) - {
        (fraud.TOTALS_METRIC, f.channel) for f in orders}
    with transaction.atomic():
        _flow_lock(flow)
        stats = _stats_read(flow, set(grouped) | fraud_keys)
        rows = []
        for (metric, segment), values in sorted(grouped.items()):
            row = stats.get((metric, segment))
            state = row.state if row is not None else {}
            if metric == "price":
                for value in values:
                    state = anomaly.price_learn(state, value=value)
            else:
                state = anomaly.range_learn(state, metric=metric, values=values)
            rows.append(FlowStat(flow=flow, metric=metric, segment=segment, state=state))
        if orders:
            changed = fraud.fraud_learn({k: r.state for k, r in stats.items()}, orders,
                                        now=timezone.now().timestamp())
            rows += [FlowStat(flow=flow, metric=metric, segment=segment, state=state)
                     for (metric, segment), state in sorted(changed.items())]
        _stats_write(rows)


# --- volume ----------------------------------------------------------------------------------

def _volume_flows() -> list[tuple[Flow, dict[str, Any]]]:
    flows = Flow.objects.select_related("pair").filter(
        enabled=True, pair__status=IntegrationPair.Status.ACTIVE)
    chosen = []
    for flow in flows:
        settings = quality_settings(flow)["anomaly"]
        if settings["enabled"] and settings["volume"]:
            chosen.append((flow, settings))
    return chosen


def _hour_words(start: dt.datetime) -> str:
    end = start + dt.timedelta(hours=1)
    return f"{end:%H:%M} UTC on {end:%a %d %b}"


def anomaly_volume_check(*, now: dt.datetime | None = None) -> list[AlertEvent]:
    """Judge and learn each running flow's records in the last complete hour against its
    usual count for that hour and weekday; alert on a surge or a drop.

    Idempotent (a flow's state names the last hour it judged, so a second run in the same
    hour does nothing) and single-runner per tenant (a transaction advisory lock: a second
    scheduler's run returns at once). A flow's first check learns up to two weeks of its
    transaction log without judging, so a flow with history is judged from its next hour.
    After a gap (the scheduler was down, or the pair paused) only the last hour is judged:
    the hours in between might be a pause, not a drop."""
    now = now or timezone.now()
    end = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    last_hour = end - dt.timedelta(hours=1)
    flows = _volume_flows()
    if not flows:
        return []
    found: list[tuple[Flow, str]] = []
    with transaction.atomic():
        digest = hashlib.blake2b(f"anomaly-volume:{db.schema_name}".encode(),
                                 digest_size=8).digest()
        with db.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)",
                           [int.from_bytes(digest, "big", signed=True)])
            if not cursor.fetchone()[0]:
                return []
        stats = {row.flow_id: row for row in FlowStat.objects.filter(
            flow__in=[f for f, _ in flows], metric=VOLUME_METRIC, segment="")}
        plans: dict[int, list[dt.datetime]] = {}
        for flow, _ in flows:
            row = stats.get(flow.pk)
            last = row.state.get("last") if row is not None else None
            if last is None:
                first = max(end - dt.timedelta(hours=VOLUME_BACKFILL_HOURS),
                            flow.created_at.astimezone(dt.UTC).replace(
                                minute=0, second=0, microsecond=0))
                hours = [first + dt.timedelta(hours=h) for h in
                         range(int((end - first).total_seconds() // 3600))]
                if hours:
                    plans[flow.pk] = hours
            elif dt.datetime.fromisoformat(last) < last_hour:
                plans[flow.pk] = [last_hour]
        if not plans:
            return []
        since = min(hour for hours in plans.values() for hour in hours)
        # A record's final attempt only: a record retried five times is one record.
        counts = {(row["flow_id"], row["hour"]): row["n"] for row in (
            Transaction.objects.filter(flow_id__in=list(plans), started_at__gte=since,
                                       started_at__lt=end)
            .exclude(status=Transaction.Status.RETRYING)
            .annotate(hour=TruncHour("started_at", tzinfo=dt.UTC))
            .values("flow_id", "hour").annotate(n=Count("id")))}
        rows = []
        for flow, settings in flows:
            if flow.pk not in plans:
                continue
            row = stats.get(flow.pk)
            state = dict(row.state) if row is not None else {}
            backfill = not state
            if not backfill and dt.datetime.fromisoformat(state["last"]) < last_hour - \
                    dt.timedelta(hours=1):
                state["recent"] = []   # a gap: the hours before this one are unknown
            for hour in plans[flow.pk]:
                count = counts.get((flow.pk, hour), 0)
                finding = None if backfill else anomaly.volume_check(
                    state, weekday=hour.weekday(), hour=hour.hour, count=count,
                    sensitivity=float(settings["sensitivity"]),
                    min_history=int(settings["min_history"]),
                    label=RECORD_WORDS.get(flow.entity, "records"), ending=_hour_words(hour))
                state = anomaly.volume_learn(state, weekday=hour.weekday(), hour=hour.hour,
                                             count=count, anomalous=finding is not None)
                if finding is not None:
                    found.append((flow, finding.message))
            state["last"] = plans[flow.pk][-1].isoformat()
            rows.append(FlowStat(flow=flow, metric=VOLUME_METRIC, segment="", state=state))
        _stats_write(rows)
    # Alerted after the commit: an alert that fails cannot undo what was learnt.
    from integrations.services.alerts import alerts_check_anomaly

    raised: list[AlertEvent] = []
    for flow, message in found:
        raised += alerts_check_anomaly(flow=flow, what="volume", findings=[message])
    return raised
