"""Reads for the integrations app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection as db
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.db.models.functions import Trunc
from django.utils import timezone

from billing.limits import tenant_plan
from integrations.filters import DeadLetterLogFilter
from integrations.models import (
    Connection,
    DeadLetter,
    Flow,
    InboundEvent,
    IntegrationPair,
    LookupEntry,
    LookupTable,
    Operation,
    Transaction,
)
from integrations.services.circuit import open_for


def lookup_tables_as_dict() -> dict[str, dict[str, str]]:
    """Every lookup table of the current tenant, as the mapping engine takes them."""
    tables: dict[str, dict[str, str]] = {name: {} for name in
                                         LookupTable.objects.values_list("name", flat=True)}
    for name, key, value in LookupEntry.objects.values_list("table__name", "key", "value"):
        tables[name][key] = value
    return dict(tables)


ERROR_RATE_WINDOW = dt.timedelta(hours=24)
BACKLOG_STATUSES = (InboundEvent.Status.PENDING, InboundEvent.Status.PROCESSING,
                    InboundEvent.Status.RETRYING)


@dataclass(frozen=True)
class FlowHealth:
    last_success_at: dt.datetime | None
    attempts_24h: int
    failures_24h: int
    backlog: int
    open_dead_letters: int

    @property
    def error_rate_24h(self) -> float | None:
        return round(self.failures_24h / self.attempts_24h, 4) if self.attempts_24h else None


def flows_health(*, flow_ids: list[int], now: dt.datetime | None = None
                 ) -> dict[int, FlowHealth]:
    """Per flow: last success, attempts and failures in the last 24 h, events waiting, open
    dead letters. Four grouped queries, whatever the number of flows."""
    now = now or timezone.now()
    ids = list(flow_ids)
    last_success = dict(Transaction.objects.filter(
        flow_id__in=ids, status=Transaction.Status.SUCCESS).values_list("flow_id")
        .annotate(at=Max("started_at")))
    failing = Q(status__in=(Transaction.Status.FAILED, Transaction.Status.RETRYING))
    recent = {row[0]: row[1:] for row in Transaction.objects.filter(
        flow_id__in=ids, started_at__gte=now - ERROR_RATE_WINDOW).values("flow_id")
        .annotate(total=Count("pk"), failed=Count("pk", filter=failing))
        .values_list("flow_id", "total", "failed")}
    backlog = dict(InboundEvent.objects.filter(flow_id__in=ids, status__in=BACKLOG_STATUSES)
                   .values_list("flow_id").annotate(n=Count("pk")))
    dead = dict(DeadLetter.objects.filter(flow_id__in=ids, resolution=DeadLetter.Resolution.OPEN)
                .values_list("flow_id").annotate(n=Count("pk")))
    return {flow_id: FlowHealth(last_success_at=last_success.get(flow_id),
                                attempts_24h=recent.get(flow_id, (0, 0))[0],
                                failures_24h=recent.get(flow_id, (0, 0))[1],
                                backlog=backlog.get(flow_id, 0),
                                open_dead_letters=dead.get(flow_id, 0))
            for flow_id in ids}


def circuit_state(connection: Connection, *, now: dt.datetime | None = None) -> str:
    """``open`` while calls are held back, ``closed`` otherwise (a probe closes it)."""
    return "open" if open_for(connection, now=now, reload=False) else "closed"


def pairs_count(*, production: bool) -> int:
    environment = Connection.Environment.PRODUCTION if production else \
        Connection.Environment.SANDBOX
    return IntegrationPair.objects.filter(environment=environment).count()


@dataclass(frozen=True)
class PairAllowance:
    """Pairs of one environment against the plan, and why one more would be refused."""

    environment: str
    label: str
    used: int
    limit: int | None
    refusal: str

    @property
    def full(self) -> bool:
        return bool(self.refusal)


def pair_allowances() -> list[PairAllowance]:
    """The current tenant's pairs against its plan: production first, then sandbox."""
    from django.db import connection as db

    from billing import limits

    tenant = db.tenant
    plan = limits.tenant_plan(tenant=tenant)
    allowances = []
    for environment in (Connection.Environment.PRODUCTION, Connection.Environment.SANDBOX):
        production = environment == Connection.Environment.PRODUCTION
        used = pairs_count(production=production)
        limit = None
        if plan is not None:
            limit = plan.production_pair_limit if production else plan.sandbox_pair_limit
        decision = limits.can_add_pair(tenant=tenant, production=production, current_count=used)
        allowances.append(PairAllowance(environment=environment,
                                        label=environment.label.lower(), used=used,
                                        limit=limit, refusal=decision.reason))
    return allowances


# Dashboard: the state of each pair and flow, and transactions over time for its charts.

FLOW_STATE_LABELS = {"healthy": "Healthy", "attention": "Needs attention", "down": "Down",
                     "paused": "Paused"}


@dataclass(frozen=True)
class FlowStatus:
    flow: Flow
    health: FlowHealth
    state: str
    reason: str

    @property
    def label(self) -> str:
        return FLOW_STATE_LABELS[self.state]


@dataclass(frozen=True)
class PairStatus:
    pair: IntegrationPair
    circuits: dict[str, str]
    flows: list[FlowStatus]

    @property
    def connections(self) -> list[tuple[Connection, str]]:
        return [(c, self.circuits[c.system]) for c in (self.pair.brightpearl, self.pair.partner)]

    @property
    def attempts_24h(self) -> int:
        return sum(f.health.attempts_24h for f in self.flows)

    @property
    def failures_24h(self) -> int:
        return sum(f.health.failures_24h for f in self.flows)

    @property
    def error_rate_24h(self) -> float | None:
        return round(self.failures_24h / self.attempts_24h, 4) if self.attempts_24h else None

    @property
    def backlog(self) -> int:
        return sum(f.health.backlog for f in self.flows)

    @property
    def open_dead_letters(self) -> int:
        return sum(f.health.open_dead_letters for f in self.flows)

    @property
    def state(self) -> str:
        """The worst state among the flows (a pair with no flows counts as healthy)."""
        order = ("down", "attention", "healthy", "paused")
        states = {f.state for f in self.flows}
        return next((s for s in order if s in states), "healthy")

    @property
    def label(self) -> str:
        return FLOW_STATE_LABELS[self.state]


def _flow_state(flow: Flow, pair: IntegrationPair, health: FlowHealth,
                circuits: dict[str, str]) -> tuple[str, str]:
    if pair.status == IntegrationPair.Status.PAUSED:
        return "paused", "The integration is paused."
    if not flow.enabled:
        return "paused", "This flow is switched off."
    for system in (flow.source_system, flow.target_system):
        if circuits.get(system) == "open":
            return "down", (f"Calls to {Connection.System(system).label} are held back after "
                            "repeated failures; they are tried again automatically.")
    if health.open_dead_letters:
        n = health.open_dead_letters
        return "attention", f"{n} dead letter{'s' if n != 1 else ''} waiting for review."
    if health.failures_24h:
        return "attention", (f"{health.failures_24h} of {health.attempts_24h} attempts failed "
                             "in the last 24 hours.")
    return "healthy", ""


def pair_status_list(*, pair_ids: Iterable[int] | None = None, now: dt.datetime | None = None
                     ) -> list[PairStatus]:
    """Every pair (or those named) by name, each flow with its health and a state in words:
    paused, down (a connection's circuit is open), needs attention (open dead letters or
    failures in the last 24 h) or healthy."""
    now = now or timezone.now()
    pairs = IntegrationPair.objects.select_related("brightpearl", "partner").prefetch_related(
        Prefetch("flows", Flow.objects.order_by("pk"))).order_by("name")
    if pair_ids is not None:
        pairs = pairs.filter(pk__in=list(pair_ids))
    pairs = list(pairs)
    health = flows_health(flow_ids=[f.pk for p in pairs for f in p.flows.all()], now=now)
    rows = []
    for pair in pairs:
        circuits = {c.system: circuit_state(c, now=now) for c in (pair.brightpearl, pair.partner)}
        flows = [FlowStatus(flow, health[flow.pk],
                            *_flow_state(flow, pair, health[flow.pk], circuits))
                 for flow in pair.flows.all()]
        rows.append(PairStatus(pair=pair, circuits=circuits, flows=flows))
    return rows


# Chart ranges: how many whole UTC hours or days, ending with the current (partial) one.
CHART_RANGES: dict[str, tuple[str, int]] = {"24h": ("hour", 24), "7d": ("day", 7),
                                            "30d": ("day", 30)}
_BUCKET_STEP = {"hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1)}
_BUCKET_LABEL = {"hour": "%H:00", "day": "%d %b"}
CHART_RANGE_LABELS = {"24h": "24 hours", "7d": "7 days", "30d": "30 days"}


@dataclass(frozen=True)
class ChartRange:
    key: str
    unit: str
    buckets: tuple[dt.datetime, ...]

    @property
    def start(self) -> dt.datetime:
        return self.buckets[0]

    @property
    def end(self) -> dt.datetime:
        return self.buckets[-1] + _BUCKET_STEP[self.unit]


def chart_range(*, key: str, now: dt.datetime | None = None) -> ChartRange:
    """The buckets of a chart range; ``ValueError`` names the valid keys."""
    if key not in CHART_RANGES:
        raise ValueError(f"Unknown range {key!r}: use one of {', '.join(CHART_RANGES)}.")
    unit, count = CHART_RANGES[key]
    current = (now or timezone.now()).astimezone(dt.UTC).replace(minute=0, second=0,
                                                                   microsecond=0)
    if unit == "day":
        current = current.replace(hour=0)
    step = _BUCKET_STEP[unit]
    return ChartRange(key=key, unit=unit,
                      buckets=tuple(current - step * i for i in range(count - 1, -1, -1)))


@dataclass(frozen=True)
class TransactionSeries:
    """Attempts per bucket; ``failed`` counts failed and retrying attempts, ``total`` all of
    them (skipped ones too)."""

    succeeded: tuple[int, ...]
    failed: tuple[int, ...]
    total: tuple[int, ...]

    @property
    def error_rate(self) -> tuple[float | None, ...]:
        """Percent of the bucket's attempts that failed; None where there were none (no rate
        to plot, rather than a misleading 0 %)."""
        return tuple(round(100 * f / t, 1) if t else None
                     for f, t in zip(self.failed, self.total, strict=True))

    @classmethod
    def empty(cls, length: int) -> TransactionSeries:
        return cls(succeeded=(0,) * length, failed=(0,) * length, total=(0,) * length)

    def __add__(self, other: TransactionSeries) -> TransactionSeries:
        return TransactionSeries(
            succeeded=tuple(map(sum, zip(self.succeeded, other.succeeded, strict=True))),
            failed=tuple(map(sum, zip(self.failed, other.failed, strict=True))),
            total=tuple(map(sum, zip(self.total, other.total, strict=True))))


def transaction_series(*, flow_ids: Iterable[int], chart: ChartRange
                       ) -> dict[int, TransactionSeries]:
    """Per flow, its transactions in each bucket of ``chart``. One query grouped by flow and
    bucket in the database (a range scan of the (flow, started_at) index, however many rows);
    buckets without transactions are filled with zeros here."""
    ids = list(flow_ids)
    rows = (Transaction.objects
            .filter(flow_id__in=ids, started_at__gte=chart.start, started_at__lt=chart.end)
            .annotate(bucket=Trunc("started_at", chart.unit, tzinfo=dt.UTC))
            .values("flow_id", "bucket").order_by()
            .annotate(succeeded=Count("pk", filter=Q(status=Transaction.Status.SUCCESS)),
                      failed=Count("pk", filter=Q(status__in=(Transaction.Status.FAILED,
                                                              Transaction.Status.RETRYING))),
                      total=Count("pk"))
            .values_list("flow_id", "bucket", "succeeded", "failed", "total"))
    position = {bucket: i for i, bucket in enumerate(chart.buckets)}
    length = len(chart.buckets)
    counts = {flow_id: ([0] * length, [0] * length, [0] * length) for flow_id in ids}
    for flow_id, bucket, *values in rows:
        i = position[bucket]
        for column, value in zip(counts[flow_id], values, strict=True):
            column[i] = value
    return {flow_id: TransactionSeries(*(tuple(column) for column in columns))
            for flow_id, columns in counts.items()}


def chart_series(*, range_key: str, pair: IntegrationPair | None = None,
                 now: dt.datetime | None = None) -> dict[str, Any]:
    """Chart data as the dashboard's charts take it: one series per pair, or with ``pair``
    one per flow of that pair. Bucket times are UTC."""
    chart = chart_range(key=range_key, now=now)
    if pair is None:
        groups = [(p.pk, p.name, [f.pk for f in p.flows.all()])
                  for p in IntegrationPair.objects.prefetch_related("flows").order_by("name")]
    else:
        groups = [(f.pk, f.name, [f.pk]) for f in pair.flows.order_by("pk")]
    per_flow = transaction_series(flow_ids=[i for _, _, ids in groups for i in ids], chart=chart)
    length = len(chart.buckets)
    series = []
    for pk, name, flow_ids in groups:
        total = sum((per_flow[i] for i in flow_ids), TransactionSeries.empty(length))
        series.append({"id": pk, "name": name, "succeeded": list(total.succeeded),
                       "failed": list(total.failed), "total": list(total.total),
                       "error_rate": list(total.error_rate)})
    return {"range": chart.key, "unit": chart.unit,
            "buckets": [b.isoformat().replace("+00:00", "Z") for b in chart.buckets],
            "labels": [b.strftime(_BUCKET_LABEL[chart.unit]) for b in chart.buckets],
            "series": series}


@dataclass(frozen=True)
class KeysetPage:
    """One page of a list in newest-first (``-pk``) order, and the keys of its neighbours:
    ``older`` goes in ``?after=``, ``newer`` in ``?before=``. No COUNT: logs are big."""

    items: list[Any]
    older: int | None
    newer: int | None


def keyset_page(queryset: QuerySet[Any], *, after: int | None = None,
                before: int | None = None, size: int = 50) -> KeysetPage:
    if before is not None:
        rows = list(queryset.filter(pk__gt=before).order_by("pk")[:size + 1])
        more_newer = len(rows) > size
        items = rows[:size][::-1]
        return KeysetPage(items=items, older=items[-1].pk if items else before,
                          newer=items[0].pk if items and more_newer else None)
    if after is not None:
        queryset = queryset.filter(pk__lt=after)
    rows = list(queryset.order_by("-pk")[:size + 1])
    items = rows[:size]
    return KeysetPage(items=items, older=items[-1].pk if len(rows) > size else None,
                      newer=items[0].pk if items and after is not None else None)


def transactions_retained(*, now: dt.datetime | None = None) -> QuerySet[Transaction]:
    """The log as far back as the plan keeps it. Older rows only wait for the daily purge;
    leaving them out also bounds what a search has to read."""
    rows = Transaction.objects.select_related("flow__pair")
    plan = tenant_plan(tenant=db.tenant)
    if plan is not None:
        oldest = (now or timezone.now()) - dt.timedelta(days=plan.log_retention_days)
        rows = rows.filter(started_at__gte=oldest)
    return rows


def transaction_attempts(*, transaction: Transaction) -> list[Transaction]:
    """Every attempt at the same event, oldest first (the event's own retries and replays)."""
    if transaction.event_id is None:
        return [transaction]
    return list(Transaction.objects.filter(event_id=transaction.event_id)
                .order_by("started_at", "pk"))


def dead_letter_error_classes() -> list[str]:
    return list(DeadLetter.objects.order_by("error_class").values_list("error_class", flat=True)
                .distinct()[:100])


def operations_recent(*, limit: int = 50) -> list[Operation]:
    return list(Operation.objects.all()[:limit])


def dead_letters_matching(*, filters: dict[str, Any], ids: list[int] | None = None
                          ) -> QuerySet[DeadLetter]:
    """The open dead letters a portal filter (and a ticked selection, if any) names; what a
    bulk replay or discard works through."""
    found = DeadLetterLogFilter(data=filters, queryset=DeadLetter.objects.all())
    if not found.is_valid():
        raise ValidationError({name: [str(error) for error in errors]
                               for name, errors in found.errors.items()})
    letters = found.qs.filter(resolution=DeadLetter.Resolution.OPEN)
    if ids is not None:
        letters = letters.filter(pk__in=ids)
    return letters
