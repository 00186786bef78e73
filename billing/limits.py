"""Every "may this tenant do X?" question, answered in one place with a reason.

Callers (admin, portal, API, workers) ask a ``can_*`` function and get a ``Decision``; code that
must stop on a refusal calls ``ensure(decision)``, which raises ``LimitExceeded`` carrying the
reason and a stable code for API error bodies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from django.utils import timezone

from billing.models import Plan, Subscription, UsageCounter
from billing.services import month_start
from tenants.models import Tenant

PAST_DUE_GRACE = dt.timedelta(days=7)
USAGE_WARN_RATIO = 0.8


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    code: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(allowed=True)


class LimitExceeded(Exception):
    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason)
        self.decision = decision
        self.code = decision.code
        self.reason = decision.reason


def ensure(decision: Decision) -> Decision:
    if not decision.allowed:
        raise LimitExceeded(decision)
    return decision


def _deny(code: str, reason: str) -> Decision:
    return Decision(allowed=False, reason=reason, code=code)


def _subscription(tenant: Tenant) -> Subscription | None:
    try:
        return tenant.subscription
    except Subscription.DoesNotExist:
        return None


def can_operate(*, tenant: Tenant, now: dt.datetime | None = None) -> Decision:
    """Whether the tenant's account is in good standing: active and subscribed."""
    now = now or timezone.now()
    if not tenant.is_active:
        return _deny("tenant_suspended",
                     f"The account {tenant.slug!r} is suspended; contact Clarity support.")
    subscription = _subscription(tenant)
    if subscription is None:
        return _deny("no_subscription", f"The account {tenant.slug!r} has no subscription; "
                                        "choose a plan to continue.")
    status = subscription.status
    if status == Subscription.Status.CANCELED:
        return _deny("subscription_canceled",
                     f"The subscription was canceled on {subscription.current_period_end:%Y-%m-%d};"
                     " choose a plan to continue.")
    if status == Subscription.Status.TRIALING and subscription.trial_ends_at and (
        subscription.trial_ends_at <= now
    ):
        return _deny("trial_ended", f"The trial ended on {subscription.trial_ends_at:%Y-%m-%d}; "
                                    "choose a plan to continue.")
    if status == Subscription.Status.PAST_DUE:
        grace_ends = subscription.current_period_end + PAST_DUE_GRACE
        if grace_ends <= now:
            return _deny("payment_overdue", f"Payment is overdue since "
                                            f"{subscription.current_period_end:%Y-%m-%d}; update "
                                            "billing details to resume.")
        return Decision(allowed=True, warnings=(
            f"Payment is overdue; syncing stops on {grace_ends:%Y-%m-%d}.",))
    return ALLOWED


def _plan(tenant: Tenant) -> Plan | None:
    subscription = _subscription(tenant)
    return subscription.plan if subscription else None


def tenant_plan(*, tenant: Tenant) -> Plan | None:
    """The plan of the tenant's subscription, if it has one."""
    return _plan(tenant)


def can_add_pair(*, tenant: Tenant, production: bool, current_count: int) -> Decision:
    """Whether one more (production or sandbox) integration pair fits the plan."""
    standing = can_operate(tenant=tenant)
    if not standing:
        return standing
    plan = _plan(tenant)
    assert plan is not None  # can_operate refused tenants without a subscription
    limit = plan.production_pair_limit if production else plan.sandbox_pair_limit
    kind = "production" if production else "sandbox"
    if limit is not None and current_count >= limit:
        noun = "pair" if limit == 1 else "pairs"
        return _deny(f"{kind}_pair_limit",
                     f"The {plan.name} plan includes {limit} {kind} integration {noun} and "
                     f"{current_count} already exist; upgrade the plan or retire a pair.")
    return ALLOWED


def can_use_poll_interval(*, tenant: Tenant, seconds: int) -> Decision:
    plan = _plan(tenant)
    if plan is None:
        return can_operate(tenant=tenant)
    if seconds < plan.min_poll_interval_seconds:
        return _deny("poll_interval_too_short",
                     f"The {plan.name} plan polls at most every "
                     f"{plan.min_poll_interval_seconds} seconds; {seconds} seconds was requested.")
    return ALLOWED


def can_use_feature(*, tenant: Tenant, feature: str) -> Decision:
    plan = _plan(tenant)
    if plan is None:
        return can_operate(tenant=tenant)
    if feature not in Plan.Feature.values:
        raise ValueError(f"Unknown feature {feature!r}.")
    if not plan.has_feature(feature):
        label = Plan.Feature(feature).label
        return _deny("feature_not_in_plan",
                     f"{label} is not included in the {plan.name} plan; upgrade to use it.")
    return ALLOWED


def can_view_logs_since(*, tenant: Tenant, since: dt.datetime) -> Decision:
    plan = _plan(tenant)
    if plan is None:
        return can_operate(tenant=tenant)
    oldest = timezone.now() - dt.timedelta(days=plan.log_retention_days)
    if since < oldest:
        return _deny("beyond_log_retention",
                     f"The {plan.name} plan keeps logs for {plan.log_retention_days} days; "
                     f"the oldest available entry is from {oldest:%Y-%m-%d}.")
    return ALLOWED


@dataclass(frozen=True)
class UsageStatus:
    used: int
    allowance: int | None
    level: Literal["ok", "warning", "over"]

    @property
    def ratio(self) -> float | None:
        return None if not self.allowance else self.used / self.allowance


def usage_status(*, tenant: Tenant, at: dt.datetime | None = None) -> UsageStatus:
    plan = _plan(tenant)
    allowance = plan.monthly_transaction_allowance if plan else None
    counter = UsageCounter.objects.filter(tenant=tenant, period=month_start(
        at or timezone.now())).first()
    used = counter.transactions if counter else 0
    level: Literal["ok", "warning", "over"] = "ok"
    if allowance:
        if used >= allowance:
            level = "over"
        elif used >= allowance * USAGE_WARN_RATIO:
            level = "warning"
    return UsageStatus(used=used, allowance=allowance, level=level)


def can_sync(*, tenant: Tenant) -> Decision:
    """Whether a sync may run now.

    The transaction allowance is fair use: past it, syncs still run (data is never dropped)
    and the decision carries a warning for alerts and the portal.
    """
    standing = can_operate(tenant=tenant)
    if not standing:
        return standing
    usage = usage_status(tenant=tenant)
    warnings = list(standing.warnings)
    if usage.level == "over":
        warnings.append(f"{usage.used:,} of {usage.allowance:,} monthly transactions used: past "
                        "the fair-use allowance; Clarity will contact you about a larger plan.")
    elif usage.level == "warning":
        warnings.append(f"{usage.used:,} of {usage.allowance:,} monthly transactions used.")
    return Decision(allowed=True, warnings=tuple(warnings))
