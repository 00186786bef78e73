"""Writes for billing: subscriptions, plan changes, invoices and usage metering."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.utils import timezone

from billing.models import Invoice, InvoiceLine, Plan, PlanChange, Subscription, UsageCounter
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


def subscription_change_plan(
    *, subscription: Subscription, plan: Plan, changed_by: str, production_pairs: int,
    sandbox_pairs: int, now: dt.datetime | None = None,
) -> Subscription:
    """Move the subscription to ``plan`` now, if the tenant fits it; raise ``LimitExceeded``
    naming every limit it would break otherwise.

    Upgrades and downgrades both take effect at once: the period's invoice charges each plan
    for the share of the period it was in force, so neither direction needs to wait."""
    # billing.limits imports this module, so its Decision is reached through the selector.
    from billing.limits import ensure
    from billing.selectors import plan_change_check

    now = now or timezone.now()
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().select_related("plan").get(
            pk=subscription.pk)
        ensure(plan_change_check(subscription=subscription, plan=plan,
                                 production_pairs=production_pairs,
                                 sandbox_pairs=sandbox_pairs, at=now))
        PlanChange.objects.create(subscription=subscription, from_plan=subscription.plan,
                                  to_plan=plan, changed_by=changed_by, changed_at=now)
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

    Each closed paid period is invoiced (once: a rerun finds the invoice already there).
    Active subscriptions renew for another period (or end, when cancelled at period end);
    trials that ended without being activated become past due, with no invoice: the trial
    is free.
    """
    now = now or timezone.now()
    changed = 0
    due = Subscription.objects.select_related("plan", "tenant").filter(
        current_period_end__lte=now,
        status__in=[Subscription.Status.ACTIVE, Subscription.Status.TRIALING],
    )
    with transaction.atomic():
        # skip_locked: a second worker running the same job at once takes different rows.
        for subscription in due.select_for_update(skip_locked=True, of=("self",)):
            if subscription.status == Subscription.Status.TRIALING:
                subscription.status = Subscription.Status.PAST_DUE
            elif subscription.cancel_at_period_end:
                invoice_issue(subscription=subscription, now=now)
                subscription.status = Subscription.Status.CANCELED
            else:
                step = _period_length(subscription.plan)
                while subscription.current_period_end <= now:
                    invoice_issue(subscription=subscription, now=now)
                    subscription.current_period_start = subscription.current_period_end
                    subscription.current_period_end = subscription.current_period_end + step
            subscription.save()
            changed += 1
    return changed


CENT = Decimal("0.01")


def plan_period_price(plan: Plan) -> Decimal:
    """What one billing period of the plan costs (annual plans are billed for 12 months)."""
    months = 12 if plan.billing_period == Plan.BillingPeriod.ANNUAL else 1
    return plan.price_per_month * months


def _plan_at(subscription: Subscription, moment: dt.datetime) -> Plan:
    later = subscription.plan_changes.filter(changed_at__gt=moment).order_by("changed_at")
    first_later = later.select_related("from_plan").first()
    return first_later.from_plan if first_later else subscription.plan


def invoice_issue(*, subscription: Subscription, now: dt.datetime | None = None) -> Invoice:
    """Invoice the subscription's current period (which is closing), once.

    A whole period on one plan costs that plan's period price. When the plan changed during
    the period (or the period was cut short), each plan is charged its period price times
    the share of one of its periods that it was in force. The seeds
    promise unlimited transactions within fair use and no transaction penalties, so there is
    no overage line."""
    start, end = subscription.current_period_start, subscription.current_period_end
    existing = Invoice.objects.filter(subscription=subscription, period_start=start).first()
    if existing:
        return existing
    now = now or timezone.now()
    changes = list(subscription.plan_changes.filter(changed_at__gt=start, changed_at__lt=end)
                   .select_related("to_plan").order_by("changed_at"))
    boundaries = [start, *(c.changed_at for c in changes), end]
    plans = [_plan_at(subscription, start), *(c.to_plan for c in changes)]
    lines = []
    for position, (plan, seg_start, seg_end) in enumerate(
        zip(plans, boundaries, boundaries[1:], strict=False)
    ):
        one_period = (start + _period_length(plan) - start).total_seconds()
        used = (seg_end - seg_start).total_seconds()
        share = Decimal(used) / Decimal(one_period)
        amount = (plan_period_price(plan) * share).quantize(CENT, ROUND_HALF_UP)
        description = f"{plan.name}, {seg_start:%d %b %Y} – {seg_end:%d %b %Y}"
        if share != 1:
            description += f" ({used / 86400:.1f} of {one_period / 86400:.0f} days)"
        lines.append(InvoiceLine(position=position, description=description,
                                 period_start=seg_start, period_end=seg_end, amount=amount))
    total = sum((line.amount for line in lines), Decimal("0.00"))
    final_plan = plans[-1]
    sequence = Invoice.objects.filter(tenant_id=subscription.tenant_id).count() + 1
    invoice = Invoice.objects.create(
        tenant_id=subscription.tenant_id, subscription=subscription,
        number=f"{subscription.tenant.slug.upper()}-{sequence:04d}",
        period_start=start, period_end=end, plan_name=final_plan.name,
        plan_price=plan_period_price(final_plan), total=total,
        currency=final_plan.currency,
        # Nothing to collect on a zero invoice (a free plan): it is settled as issued.
        status=Invoice.Status.OPEN if total else Invoice.Status.PAID,
        issued_at=now, paid_at=None if total else now,
    )
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    return invoice


def invoice_mark_paid(*, invoice: Invoice, now: dt.datetime | None = None) -> Invoice:
    """Record a payment taken outside the product (staff, until payments are in-product)."""
    if invoice.status != Invoice.Status.PAID:
        invoice.status = Invoice.Status.PAID
        invoice.paid_at = now or timezone.now()
        invoice.save(update_fields=["status", "paid_at"])
    return invoice


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
