"""Reads for the integrations app."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q
from django.utils import timezone

from integrations.models import (
    Connection,
    DeadLetter,
    InboundEvent,
    IntegrationPair,
    LookupEntry,
    LookupTable,
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
