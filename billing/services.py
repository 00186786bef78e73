"""Writes for billing: subscriptions and usage metering."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.utils import timezone

from billing.models import Plan, Subscription, UsageCounter
from tenants.models import Tenant

DEFAULT_TRIAL_DAYS = 14


def month_start(moment: dt.datetime | dt.date) -> dt.date:
    return dt.date(moment.year, moment.month, 1)


def _period_length(plan: Plan) -> relativedelta:
    return relativedelta(years=1) if plan.billing_period == Plan.BillingPeriod.ANNUAL else (
        relativedelta(months=1)
    )


def subscription_create(
    *, tenant: Tenant, plan: Plan, trial_days: int | None = None, now: dt.datetime | None = None
) -> Subscription:
    now = now or timezone.now()
    trial_days = DEFAULT_TRIAL_DAYS if trial_days is None else trial_days
    trial_ends_at = now + dt.timedelta(days=trial_days) if trial_days > 0 else None
    return Subscription.objects.create(
        tenant=tenant,
        plan=plan,
        status=Subscription.Status.TRIALING if trial_ends_at else Subscription.Status.ACTIVE,
        trial_ends_at=trial_ends_at,
        current_period_start=now,
        current_period_end=trial_ends_at or now + _period_length(plan),
    )


def subscription_change_plan(*, subscription: Subscription, plan: Plan) -> Subscription:
    if not plan.is_active:
        raise ValueError(f"Plan {plan.name!r} is no longer offered.")
    subscription.plan = plan
    subscription.save(update_fields=["plan", "updated_at"])
    return subscription


def subscription_activate(
    *, subscription: Subscription, now: dt.datetime | None = None
) -> Subscription:
    """Start a paid period now (staff action until payments are taken in-product)."""
    now = now or timezone.now()
    subscription.status = Subscription.Status.ACTIVE
    subscription.current_period_start = now
    subscription.current_period_end = now + _period_length(subscription.plan)
    subscription.save()
    return subscription


def subscription_periods_advance(*, now: dt.datetime | None = None) -> int:
    """Roll over every subscription whose period has ended; return how many changed.

    Active subscriptions renew for another period (or end, when cancelled at period end);
    trials that ended without being activated become past due.
    """
    now = now or timezone.now()
    changed = 0
    due = Subscription.objects.select_related("plan").filter(
        current_period_end__lte=now,
        status__in=[Subscription.Status.ACTIVE, Subscription.Status.TRIALING],
    )
    with transaction.atomic():
        # skip_locked: a second worker running the same job at once takes different rows.
        for subscription in due.select_for_update(skip_locked=True, of=("self",)):
            if subscription.status == Subscription.Status.TRIALING:
                subscription.status = Subscription.Status.PAST_DUE
            elif subscription.cancel_at_period_end:
                subscription.status = Subscription.Status.CANCELED
            else:
                step = _period_length(subscription.plan)
                while subscription.current_period_end <= now:
                    subscription.current_period_start = subscription.current_period_end
                    subscription.current_period_end = subscription.current_period_end + step
            subscription.save()
            changed += 1
    return changed


def usage_record(
    *, tenant: Tenant, transactions: int = 0, api_calls: int = 0, at: dt.datetime | None = None
) -> int:
    """Add to this month's counters in one statement, safe under concurrent workers; return
    the month's transaction count after the addition."""
    if transactions < 0 or api_calls < 0:
        raise ValueError("Usage can only grow.")
    period = month_start(at or timezone.now())
    table = f"public.{UsageCounter._meta.db_table}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (tenant_id, period, transactions, api_calls, updated_at)
            VALUES (%s, %s, %s, %s, now())
            ON CONFLICT (tenant_id, period) DO UPDATE SET
                transactions = {table}.transactions + EXCLUDED.transactions,
                api_calls = {table}.api_calls + EXCLUDED.api_calls,
                updated_at = now()
            RETURNING transactions
            """,  # noqa: S608 - the table name is ours, values are parameters
            [tenant.pk, period, transactions, api_calls],
        )
        return int(cursor.fetchone()[0])
