"""Portal billing pages: plan, usage, invoices, change plan."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import editor_required
from billing import selectors
from billing.forms import PlanChangeForm
from billing.limits import LimitExceeded, can_operate
from billing.models import Subscription
from billing.services import plan_period_price, subscription_change_plan
from integrations.selectors import pairs_count


def _pair_counts() -> dict[str, int]:
    return {"production_pairs": pairs_count(production=True),
            "sandbox_pairs": pairs_count(production=False)}


def _subscription() -> Subscription:
    subscription = selectors.subscription_for(tenant=connection.tenant)
    if subscription is None:
        # tenant_create always makes one; a tenant without is a staff matter, not a page.
        raise Http404("This account has no subscription; contact Clarity support.")
    return subscription


def _page(request: HttpRequest, *, form: PlanChangeForm | None = None,
          status: int = 200) -> HttpResponse:
    tenant = connection.tenant
    subscription = _subscription()
    counts = _pair_counts()
    options = selectors.plan_options(subscription=subscription, **counts)
    return render(request, "portal/billing/billing.html", {
        "subscription": subscription,
        "plan": subscription.plan,
        "period_price": plan_period_price(subscription.plan),
        "standing": can_operate(tenant=tenant),
        "usage": selectors.usage_this_month(tenant=tenant),
        "allowances": selectors.allowances(tenant=tenant, plan=subscription.plan, **counts),
        "options": options,
        "limit_rows": selectors.plan_limit_rows(options),
        "invoices": selectors.invoice_list(tenant=tenant),
        "plan_changes": selectors.plan_change_list(subscription=subscription)[:10],
        "form": form or PlanChangeForm(),
    }, status=status)


@require_safe
@login_required
def billing(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@editor_required
def plan_change(request: HttpRequest) -> HttpResponse:
    """First submit: show what the change means (or why it cannot be made). The
    confirmation's submit makes it."""
    form = PlanChangeForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    subscription, plan = _subscription(), form.cleaned_data["plan"]
    counts = _pair_counts()
    if not form.cleaned_data["confirm"]:
        current = subscription.plan
        return render(request, "portal/billing/confirm.html", {
            "subscription": subscription, "current": current, "plan": plan,
            "current_price": plan_period_price(current), "new_price": plan_period_price(plan),
            "upgrade": plan.price_per_month > current.price_per_month,
            "decision": selectors.plan_change_check(subscription=subscription, plan=plan,
                                                    **counts),
            "new_allowances": selectors.allowances(tenant=connection.tenant, plan=plan,
                                                   **counts),
        })
    try:
        subscription_change_plan(subscription=subscription, plan=plan,
                                 changed_by=request.user.email, **counts)
    except LimitExceeded as refused:
        messages.error(request, refused.reason)
    else:
        messages.success(request, f"You are now on the {plan.name} plan. Its limits apply "
                                  "from now on; this period's invoice charges each plan for "
                                  "the time it was in force.")
    return redirect("billing")


@login_required
def invoice_detail(request: HttpRequest, number: str) -> HttpResponse:
    invoice = selectors.invoice_get(tenant=connection.tenant, number=number)
    if invoice is None:
        raise Http404("No such invoice.")
    return render(request, "portal/billing/invoice.html", {"invoice": invoice,
                                                            "tenant": connection.tenant})
