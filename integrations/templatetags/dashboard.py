"""Dashboard parts for pages whose views live elsewhere (the integration pages)."""

from __future__ import annotations

from typing import Any

from django import template

from integrations.models import IntegrationPair
from integrations.selectors import (
    CHART_RANGE_LABELS,
    PairStatus,
    chart_series,
    pair_status_list,
)

register = template.Library()


@register.inclusion_tag("portal/dashboard/_pair_health.html")
def pair_health(pair: IntegrationPair) -> dict[str, Any]:
    """The pair's flows with health, last sync, backlog and dead letters (refreshes itself)."""
    return {"status": pair_status_list(pair_ids=[pair.pk])[0]}


@register.inclusion_tag("portal/dashboard/_charts.html")
def flow_charts(pair: IntegrationPair) -> dict[str, Any]:
    """Throughput and error-rate charts with one line per flow of the pair."""
    return {"chart": chart_series(range_key="24h", pair=pair), "ranges": CHART_RANGE_LABELS,
            "pair": pair, "chart_id": f"chart-pair-{pair.pk}"}


@register.simple_tag
def pair_statuses(pairs: Any) -> dict[int, PairStatus]:
    """Health of the given pairs by id, in the queries of one (not one set per pair)."""
    return {s.pair.pk: s for s in pair_status_list(pair_ids=[p.pk for p in pairs])}


@register.filter
def status_of(statuses: dict[int, PairStatus], pair: IntegrationPair) -> PairStatus | None:
    return statuses.get(pair.pk)


@register.filter
def percent(fraction: float | None) -> str:
    """0.0123 as "1.2 %"; no rate (nothing was attempted) as a dash."""
    return "–" if fraction is None else f"{100 * fraction:.1f} %"
