import datetime as dt

import pytest
from django.utils import timezone

from billing.models import Subscription, UsageCounter
from billing.services import subscription_periods_advance, usage_record

pytestmark = pytest.mark.django_db


def test_usage_record_adds_to_the_months_counter(tenant_a):
    at = dt.datetime(2026, 3, 14, tzinfo=dt.UTC)
    usage_record(tenant=tenant_a, transactions=3, at=at)
    usage_record(tenant=tenant_a, transactions=4, api_calls=2, at=at)

    counter = UsageCounter.objects.get(tenant=tenant_a, period=dt.date(2026, 3, 1))
    assert (counter.transactions, counter.api_calls) == (7, 2)


def test_usage_in_a_new_month_starts_a_new_counter(tenant_a):
    usage_record(tenant=tenant_a, transactions=5, at=dt.datetime(2026, 3, 31, 23, tzinfo=dt.UTC))
    usage_record(tenant=tenant_a, transactions=1, at=dt.datetime(2026, 4, 1, 0, tzinfo=dt.UTC))
    assert list(UsageCounter.objects.filter(tenant=tenant_a).order_by("period")
                .values_list("transactions", flat=True)) == [5, 1]


def test_negative_usage_is_refused(tenant_a):
    with pytest.raises(ValueError, match="only grow"):
        usage_record(tenant=tenant_a, transactions=-1)


def test_active_annual_subscription_renews_for_a_year_when_its_period_ends(tenant_a):
    subscription = tenant_a.subscription
    start = dt.datetime(2025, 1, 10, tzinfo=dt.UTC)
    subscription.status = Subscription.Status.ACTIVE
    subscription.current_period_start = start
    subscription.current_period_end = start.replace(year=2026)
    subscription.save()

    changed = subscription_periods_advance(now=dt.datetime(2026, 1, 11, tzinfo=dt.UTC))

    subscription.refresh_from_db()
    assert changed == 1
    assert subscription.current_period_start == dt.datetime(2026, 1, 10, tzinfo=dt.UTC)
    assert subscription.current_period_end == dt.datetime(2027, 1, 10, tzinfo=dt.UTC)


def test_trial_that_ends_without_activation_becomes_past_due(tenant_a):
    subscription = tenant_a.subscription
    subscription.status = Subscription.Status.TRIALING
    subscription.current_period_end = subscription.trial_ends_at = (
        timezone.now() - dt.timedelta(minutes=1))
    subscription.save()

    subscription_periods_advance()

    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.PAST_DUE


def test_subscription_cancelled_at_period_end_is_cancelled_when_the_period_ends(tenant_a):
    subscription = tenant_a.subscription
    subscription.status = Subscription.Status.ACTIVE
    subscription.cancel_at_period_end = True
    subscription.current_period_end = timezone.now() - dt.timedelta(minutes=1)
    subscription.save()

    subscription_periods_advance()

    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.CANCELED
