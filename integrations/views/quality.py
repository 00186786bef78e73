"""The portal page of a flow's data-quality checks: which run and what a finding does."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from integrations.forms_quality import FlowQualityForm
from integrations.models import Flow
from integrations.services.quality import QualitySettingsError, flow_quality_set


@login_required
def flow_quality(request: HttpRequest, pk: int) -> HttpResponse:
    flow = get_object_or_404(Flow.objects.select_related("pair"), pk=pk)
    if request.method == "POST" and not request.user.can_edit:
        raise PermissionDenied("Viewers can only look; ask an owner or admin to change this.")
    form = FlowQualityForm(request.POST or None, flow=flow)
    if request.method == "POST" and form.is_valid():
        try:
            flow_quality_set(flow=flow, settings=form.settings())
        except QualitySettingsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Data-quality checks of “{flow.name}” saved.")
            return redirect("flow_quality", pk=flow.pk)
    return render(request, "portal/quality/flow.html", {"flow": flow, "form": form},
                  status=400 if form.errors else 200)
