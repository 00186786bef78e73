"""Portal alert pages (rules and their recipients, recent alerts, test sends) and the
settings hub that leads to them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import editor_required
from billing.selectors import subscription_for
from integrations.alert_forms import AlertRuleForm
from integrations.models import AlertEvent, AlertRule
from integrations.services import alerts as alert_services

RECENT_EVENTS = 50


@require_safe
@login_required
def settings_hub(request: HttpRequest) -> HttpResponse:
    tenant = connection.tenant
    subscription = subscription_for(tenant=tenant)
    return render(request, "portal/settings.html", {
        "tenant": tenant, "domain": tenant.get_primary_domain(), "subscription": subscription,
        "rule_count": AlertRule.objects.filter(enabled=True).count(),
    })


@require_safe
@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    rules = [(rule, alert_services.alert_rule_describe(rule=rule))
             for rule in AlertRule.objects.order_by("kind", "pk")]
    events = AlertEvent.objects.select_related("rule")[:RECENT_EVENTS]
    return render(request, "portal/alerts/list.html", {"rules": rules, "events": events})


def _save(request: HttpRequest, rule: AlertRule | None) -> HttpResponse:
    form = AlertRuleForm(request.POST or None, tenant=connection.tenant, rule=rule)
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k]
                  for k in ("kind", "threshold", "emails", "webhook_url", "enabled")}
        if rule is None:
            rule = alert_services.alert_rule_create(**fields)
            messages.success(request, f"Alert rule “{rule.get_kind_display()}” created.")
        else:
            alert_services.alert_rule_update(rule=rule, **fields)
            messages.success(request, f"Alert rule “{rule.get_kind_display()}” saved.")
        return redirect("alert_list")
    return render(request, "portal/alerts/form.html", {"form": form, "rule": rule},
                  status=400 if form.errors else 200)


@editor_required
def alert_new(request: HttpRequest) -> HttpResponse:
    return _save(request, None)


@editor_required
def alert_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _save(request, get_object_or_404(AlertRule, pk=pk))


@editor_required
def alert_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(AlertRule, pk=pk)
    if request.method == "POST":
        alert_services.alert_rule_delete(rule=rule)
        messages.success(request, f"Alert rule “{rule.get_kind_display()}” deleted, with its "
                                  "alert history.")
        return redirect("alert_list")
    return render(request, "portal/alerts/delete.html", {
        "rule": rule, "description": alert_services.alert_rule_describe(rule=rule),
        "event_count": rule.events.count()})


@require_POST
@editor_required
def alert_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(AlertRule, pk=pk)
    alert_services.alert_rule_set_enabled(rule=rule, enabled=not rule.enabled)
    state = "enabled" if rule.enabled else "disabled: it sends nothing until enabled again"
    messages.success(request, f"Alert rule “{rule.get_kind_display()}” {state}.")
    return redirect("alert_list")


@require_POST
@editor_required
def alert_test(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(AlertRule, pk=pk)
    event = alert_services.alert_test_send(rule=rule, by=request.user.email)
    sent = []
    if event.delivered_email:
        sent.append(f"emailed to {', '.join(rule.emails)}")
    if event.delivered_webhook:
        sent.append(f"posted to {rule.webhook_url}")
    if event.delivery_error:
        done = f" It was {' and '.join(sent)}." if sent else ""
        messages.error(request, f"The test alert could not be fully delivered: "
                                f"{event.delivery_error}.{done}")
    else:
        messages.success(request, f"Test alert {' and '.join(sent)}.")
    return redirect("alert_list")
