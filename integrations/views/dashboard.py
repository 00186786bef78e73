"""The dashboard: the tenant's home page, its auto-refreshed numbers and the charts' data."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_safe
from django_htmx.http import HttpResponseClientRedirect

from billing import limits
from integrations.models import IntegrationPair
from integrations.selectors import (
    CHART_RANGE_LABELS,
    CHART_RANGES,
    chart_series,
    pair_allowances,
    pair_status_list,
)

DEFAULT_RANGE = "24h"


def _partial_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """login_required for htmx partials: a session that ran out while the page kept polling
    sends the whole browser to the login page, not the login form into a table cell."""
    protected = login_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.htmx and not request.user.is_authenticated:
            page = request.htmx.current_url_abs_path or "/"
            return HttpResponseClientRedirect(f"{reverse('login')}?{urlencode({'next': page})}")
        return protected(request, *args, **kwargs)

    return wrapper


def _numbers() -> dict[str, Any]:
    tenant = connection.tenant
    return {
        "subscription": getattr(tenant, "subscription", None),
        "usage": limits.usage_status(tenant=tenant),
        "allowances": pair_allowances(),
        "pairs": pair_status_list(),
    }


@require_safe
@login_required
def home(request: HttpRequest) -> HttpResponse:
    tenant = connection.tenant
    numbers = _numbers()
    return render(request, "portal/home.html", {
        "tenant": tenant,
        "standing": limits.can_operate(tenant=tenant),
        **numbers,
        "chart": chart_series(range_key=DEFAULT_RANGE) if numbers["pairs"] else None,
        "ranges": CHART_RANGE_LABELS, "chart_id": "chart-pairs",
    })


@_partial_login_required
@require_GET
def dashboard_numbers(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/dashboard/_numbers.html", _numbers())


@_partial_login_required
@require_GET
def dashboard_pair_health(request: HttpRequest, pk: int) -> HttpResponse:
    status = pair_status_list(pair_ids=[pk])
    if not status:
        return HttpResponse(status=404)
    return render(request, "portal/dashboard/_pair_health.html", {"status": status[0]})


@login_required
@require_GET
def dashboard_series(request: HttpRequest) -> JsonResponse:
    """Chart data for one range: per pair, or per flow with ``?pair=<id>``."""
    range_key = request.GET.get("range", DEFAULT_RANGE)
    if range_key not in CHART_RANGES:
        return JsonResponse({"detail": f"Unknown range {range_key!r}: use one of "
                                       f"{', '.join(CHART_RANGES)}."}, status=400)
    pair = None
    if "pair" in request.GET:
        raw = request.GET["pair"]
        if not raw.isdigit():
            return JsonResponse({"detail": f"pair must be an integration's id; got {raw!r}."},
                                status=400)
        pair = get_object_or_404(IntegrationPair, pk=int(raw))
    return JsonResponse(chart_series(range_key=range_key, pair=pair))
