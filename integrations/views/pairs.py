"""Portal pages for integration pairs: create from a template, watch flows, pause, run now."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import editor_required
from integrations.models import DeadLetter, Flow, IntegrationPair
from integrations.pair_templates import template_get, template_list
from integrations.selectors import pair_allowances
from integrations.services.operations import flow_backfill_start
from integrations.services.pairs import flow_run_now, pair_set_status, pair_webhooks_register
from integrations.services.polling import backfill_progress
from integrations.views.onboarding import BILLING_PATH, review


@require_safe
@login_required
def pair_list(request: HttpRequest) -> HttpResponse:
    pairs = IntegrationPair.objects.prefetch_related("flows").order_by("name")
    return render(request, "portal/pairs/list.html", {
        "pairs": pairs, "open_dead_letters": DeadLetter.objects.filter(
            resolution=DeadLetter.Resolution.OPEN).count()})


@login_required
def pair_new(request: HttpRequest) -> HttpResponse:
    """Choose a template, then review its flows and go live (the wizard's last steps).

    A POST naming every field at once (template, name, connections, environment) still
    creates the pair in one step, with the template's default flows.
    """
    if request.method == "POST" and not request.user.can_edit:
        raise PermissionDenied("Viewers can only look; ask an owner or admin to go live.")
    key = request.POST.get("template") or request.GET.get("template")
    if key:
        try:
            template = template_get(key)
        except LookupError:
            messages.error(request, f"There is no pair template {key!r}; choose one below.")
        else:
            return review(request, template, wizard=False)
    elif request.method == "POST":
        messages.error(request, "Choose a pair template first.")
    return render(request, "portal/pairs/form.html", {
        "templates": template_list(), "allowances": pair_allowances(),
        "billing_path": BILLING_PATH})


@require_safe
@login_required
def pair_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pair = get_object_or_404(IntegrationPair, pk=pk)
    flows = list(pair.flows.select_related("mapping__current_version", "steps_version"))
    for flow in flows:
        flow.backfill = backfill_progress(flow=flow)
    return render(request, "portal/pairs/detail.html", {"pair": pair, "flows": flows})


@require_POST
@editor_required
def pair_status(request: HttpRequest, pk: int) -> HttpResponse:
    pair = get_object_or_404(IntegrationPair, pk=pk)
    status = request.POST.get("status")
    if status in IntegrationPair.Status.values:
        pair_set_status(pair=pair, status=status)
        messages.success(request, f"{pair.name} is {pair.get_status_display().lower()}.")
    return redirect("pair_detail", pk=pk)


@require_POST
@editor_required
def flow_backfill_view(request: HttpRequest, pk: int) -> HttpResponse:
    flow = get_object_or_404(Flow, pk=pk)
    try:
        since = dt.datetime.fromisoformat(request.POST.get("since", "")).replace(tzinfo=dt.UTC)
    except ValueError:
        messages.error(request, "Enter the date to backfill from as YYYY-MM-DD.")
    else:
        # Recorded as an operation too, so it is listed with the tenant's other long jobs.
        flow_backfill_start(flow=flow, since=since, by=request.user.email)
        messages.success(request, f"{flow.name}: syncing everything changed since "
                                  f"{since:%Y-%m-%d}. Progress shows below and under "
                                  "Operations.")
    return redirect("pair_detail", pk=flow.pair_id)


@require_POST
@editor_required
def pair_webhooks(request: HttpRequest, pk: int) -> HttpResponse:
    pair = get_object_or_404(IntegrationPair, pk=pk)
    registration = pair_webhooks_register(pair=pair)
    for event, reason in registration.failed.items():
        messages.error(request, f"Could not subscribe to {event}: {reason}")
    if registration.registered:
        messages.success(request, f"Subscribed to {len(registration.registered)} events.")
    return redirect("pair_detail", pk=pk)


@require_POST
@editor_required
def flow_run(request: HttpRequest, pk: int) -> HttpResponse:
    flow = get_object_or_404(Flow, pk=pk)
    try:
        flow_run_now(flow=flow)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"{flow.name}: checking for changes now.")
    return redirect("pair_detail", pk=flow.pair_id)
