"""Portal pages for integration pairs: create from a template, watch flows, pause, run now."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.decorators import editor_required
from billing.limits import LimitExceeded
from integrations.models import Connection, DeadLetter, Flow, IntegrationPair
from integrations.pair_templates import template_list
from integrations.services.pairs import (
    flow_run_now,
    pair_create_from_template,
    pair_set_status,
    pair_webhooks_register,
)
from integrations.services.polling import backfill_progress, flow_backfill


class PairForm(forms.Form):
    name = forms.CharField(max_length=200)
    template = forms.ChoiceField()
    brightpearl = forms.ModelChoiceField(
        queryset=Connection.objects.filter(system=Connection.System.BRIGHTPEARL))
    partner = forms.ModelChoiceField(
        queryset=Connection.objects.exclude(system=Connection.System.BRIGHTPEARL))
    environment = forms.ChoiceField(choices=Connection.Environment.choices)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["template"].choices = [(t.key, t.name) for t in template_list()]


@login_required
def pair_list(request: HttpRequest) -> HttpResponse:
    pairs = IntegrationPair.objects.prefetch_related("flows").order_by("name")
    return render(request, "portal/pairs/list.html", {
        "pairs": pairs, "open_dead_letters": DeadLetter.objects.filter(
            resolution=DeadLetter.Resolution.OPEN).count()})


@editor_required
def pair_new(request: HttpRequest) -> HttpResponse:
    form = PairForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                pair = pair_create_from_template(
                    name=data["name"], template_key=data["template"],
                    brightpearl=data["brightpearl"], partner=data["partner"],
                    environment=data["environment"], created_by=request.user.email)
        except LimitExceeded as exc:
            form.add_error(None, exc.reason)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            registration = pair_webhooks_register(pair=pair)
            for event, reason in registration.failed.items():
                messages.error(request, f"Could not subscribe to {event}: {reason}")
            messages.success(request, f"{pair.name} is live with {pair.flows.count()} flows.")
            return redirect("pair_detail", pk=pair.pk)
    return render(request, "portal/pairs/form.html", {"form": form})


@login_required
def pair_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pair = get_object_or_404(IntegrationPair, pk=pk)
    flows = list(pair.flows.select_related("mapping__current_version"))
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
        flow_backfill(flow=flow, since=since)
        messages.success(request, f"{flow.name}: syncing everything changed since "
                                  f"{since:%Y-%m-%d}. Progress shows below.")
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
