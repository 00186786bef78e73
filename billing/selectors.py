"""Reads for billing: plans on offer, what a tenant uses against its plan, invoices."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from django.db.models import QuerySet
from django.utils import timezone

from billing.limits import USAGE_WARN_RATIO, Decision
from billing.models import Invoice, Plan, PlanChange, Subscription, UsageCounter
from billing.services import month_start
from tenants.models import Tenant


def plan_list_public() -> list[Plan]:
    return list(Plan.objects.filter(is_public=True, is_active=True))


def subscription_for(*, tenant: Tenant) -> Subscription | None:
    return Subscription.objects.select_related("plan").filter(tenant=tenant).first()


def usage_this_month(*, tenant: Tenant, at: dt.datetime | None = None) -> UsageCounter:
    """This month's counter, or an unsaved empty one when nothing was counted yet."""
    period = month_start(at or timezone.now())
    return (UsageCounter.objects.filter(tenant=tenant, period=period).first()
            or UsageCounter(tenant=tenant, period=period))


@dataclass(frozen=True)
class Allowance:
    """One of the plan's limits with what the tenant uses of it."""

    key: Literal["production_pairs", "sandbox_pairs", "transactions"]
    label: str
    used: int
    limit: int | None

    @property
    def level(self) -> Literal["ok", "warning", "full", "over"]:
        if self.limit is None:
            return "ok"
        if self.used > self.limit:
            return "over"
        if self.used == self.limit:
            return "full"
        return "warning" if self.used >= self.limit * USAGE_WARN_RATIO else "ok"


LIMIT_LABELS = {
    "production_pairs": "Production integration pairs",
    "sandbox_pairs": "Sandbox integration pairs",
    "transactions": "Transactions this month (fair use)",
}


def _limit(plan: Plan, key: str) -> int | None:
    return {
        "production_pairs": plan.production_pair_limit,
        "sandbox_pairs": plan.sandbox_pair_limit,
        "transactions": plan.monthly_transaction_allowance,
    }[key]


def allowances(
    *, tenant: Tenant, plan: Plan, production_pairs: int, sandbox_pairs: int,
    at: dt.datetime | None = None,
) -> list[Allowance]:
    """What the tenant uses against each of ``plan``'s limits (its own or one it might
    move to). Pair counts come from the caller: they live in the tenant's schema."""
    used = {"production_pairs": production_pairs, "sandbox_pairs": sandbox_pairs,
            "transactions": usage_this_month(tenant=tenant, at=at).transactions}
    return [Allowance(key=key, label=label, used=used[key], limit=_limit(plan, key))
            for key, label in LIMIT_LABELS.items()]


def _noun(count: int | None, singular: str, plural: str) -> str:
    return singular if count == 1 else plural


def plan_change_check(
    *, subscription: Subscription, plan: Plan, production_pairs: int, sandbox_pairs: int,
    at: dt.datetime | None = None,
) -> Decision:
    """Whether the subscription may move to ``plan`` now: every limit the tenant already
    uses more of than the plan allows is named, so nothing is left to discover later."""
    if plan.pk == subscription.plan_id:
        return Decision(allowed=False, code="same_plan",
                        reason=f"You are already on the {plan.name} plan.")
    if not plan.is_active:
        return Decision(allowed=False, code="plan_not_offered",
                        reason=f"The {plan.name} plan is no longer offered.")
    problems = []
    for allowance in allowances(tenant=subscription.tenant, plan=plan,
                                production_pairs=production_pairs,
                                sandbox_pairs=sandbox_pairs, at=at):
        if allowance.level != "over":
            continue
        limit, used = allowance.limit, allowance.used
        if allowance.key == "transactions":
            problems.append(
                f"This month's {used:,} transactions are already past the {plan.name} plan's "
                f"fair-use allowance of {limit:,} a month.")
        else:
            kind = "production" if allowance.key == "production_pairs" else "sandbox"
            problems.append(
                f"The {plan.name} plan includes {limit} {kind} integration "
                f"{_noun(limit, 'pair', 'pairs')} and you have {used}; retire "
                f"{used - limit} first.")
    if problems:
        return Decision(allowed=False, code="plan_does_not_fit",
                        reason=" ".join([*problems, "Your plan was not changed."]))
    return Decision(allowed=True)


@dataclass(frozen=True)
class PlanOption:
    """A plan on offer, as the billing page compares it with the tenant's current one."""

    plan: Plan
    is_current: bool
    decision: Decision
    # Limits of the current plan the tenant has reached that this plan raises.
    lifts: tuple[str, ...]
    # Every limit compared with the current plan: (label, this plan's value, "more"/"less"/"").
    limits: tuple[tuple[str, int | None, str], ...]
    # By price: what a move to it is called on the page.
    direction: Literal["current", "upgrade", "downgrade"]


def _compare(new: int | None, old: int | None) -> str:
    if new == old:
        return ""
    if new is None:
        return "more"
    if old is None:
        return "less"
    return "more" if new > old else "less"


def plan_options(
    *, subscription: Subscription, production_pairs: int, sandbox_pairs: int,
    at: dt.datetime | None = None,
) -> list[PlanOption]:
    current = subscription.plan
    reached = {a.key for a in allowances(
        tenant=subscription.tenant, plan=current, production_pairs=production_pairs,
        sandbox_pairs=sandbox_pairs, at=at) if a.level in ("full", "over")}
    options = []
    for plan in plan_list_public():
        is_current = plan.pk == current.pk
        limits = tuple((label, _limit(plan, key), _compare(_limit(plan, key), _limit(current, key)))
                       for key, label in LIMIT_LABELS.items())
        lifts = tuple(LIMIT_LABELS[key] for key in LIMIT_LABELS
                      if key in reached and _compare(_limit(plan, key), _limit(current, key))
                      == "more")
        decision = Decision(allowed=False, code="same_plan", reason="Your current plan.") \
            if is_current else plan_change_check(
                subscription=subscription, plan=plan, production_pairs=production_pairs,
                sandbox_pairs=sandbox_pairs, at=at)
        direction: Literal["current", "upgrade", "downgrade"] = "current" if is_current else (
            "upgrade" if plan.price_per_month > current.price_per_month else "downgrade")
        options.append(PlanOption(plan=plan, is_current=is_current, decision=decision,
                                  lifts=lifts, limits=limits, direction=direction))
    return options


def plan_limit_rows(
    options: list[PlanOption],
) -> list[tuple[str, list[tuple[PlanOption, int | None, str]]]]:
    """The plan table's limit rows: per limit, each plan's value and how it compares."""
    return [(label, [(o, o.limits[i][1], o.limits[i][2]) for o in options])
            for i, label in enumerate(LIMIT_LABELS.values())]


def plan_change_list(*, subscription: Subscription) -> QuerySet[PlanChange]:
    return subscription.plan_changes.select_related("from_plan", "to_plan")


def invoice_list(*, tenant: Tenant) -> QuerySet[Invoice]:
    return Invoice.objects.filter(tenant=tenant)


def invoice_get(*, tenant: Tenant, number: str) -> Invoice | None:
    """The tenant's invoice of that number; another tenant's is as absent as a missing one."""
    return Invoice.objects.prefetch_related("lines").filter(tenant=tenant, number=number).first()
