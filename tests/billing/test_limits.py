import datetime as dt

import pytest
from django.utils import timezone

from billing import limits
from billing.models import Subscription
from billing.services import usage_record
from tenants.models import Tenant
from tests.factories import PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription(tenant_a) -> Subscription:
    subscription = tenant_a.subscription
    subscription.plan = PlanFactory(slug="test-small", name="Small", production_pair_limit=1,
                                    sandbox_pair_limit=2, monthly_transaction_allowance=100,
                                    min_poll_interval_seconds=60, log_retention_days=30)
    subscription.status = Subscription.Status.ACTIVE
    subscription.save()
    return subscription


def test_second_production_pair_is_refused_with_the_plan_limit_as_reason(tenant_a, subscription):
    decision = limits.can_add_pair(tenant=tenant_a, production=True, current_count=1)

    assert not decision
    assert decision.code == "production_pair_limit"
    assert decision.reason == ("The Small plan includes 1 production integration pair and 1 "
                               "already exist; upgrade the plan or retire a pair.")


def test_first_production_pair_is_allowed(tenant_a, subscription):
    assert limits.can_add_pair(tenant=tenant_a, production=True, current_count=0)


def test_sandbox_pairs_count_against_their_own_limit(tenant_a, subscription):
    assert limits.can_add_pair(tenant=tenant_a, production=False, current_count=1)
    assert not limits.can_add_pair(tenant=tenant_a, production=False, current_count=2)


def test_unlimited_plan_allows_any_number_of_pairs(tenant_a, subscription):
    subscription.plan = PlanFactory(slug="test-unlimited", production_pair_limit=None)
    subscription.save()
    assert limits.can_add_pair(tenant=tenant_a, production=True, current_count=500)


def test_poll_interval_faster_than_the_plan_allows_is_refused(tenant_a, subscription):
    decision = limits.can_use_poll_interval(tenant=tenant_a, seconds=30)
    assert decision.code == "poll_interval_too_short"
    assert "at most every 60 seconds; 30 seconds was requested" in decision.reason
    assert limits.can_use_poll_interval(tenant=tenant_a, seconds=60)


def test_feature_outside_the_plan_is_refused_with_its_name(tenant_a, subscription):
    decision = limits.can_use_feature(tenant=tenant_a, feature="reconciliation")
    assert decision.code == "feature_not_in_plan"
    assert decision.reason.startswith("Daily reconciliation reports is not included in the Small")
    assert limits.can_use_feature(tenant=tenant_a, feature="workflow_designer")


def test_unknown_feature_name_is_a_programming_error(tenant_a, subscription):
    with pytest.raises(ValueError, match="Unknown feature 'teleport'"):
        limits.can_use_feature(tenant=tenant_a, feature="teleport")


def test_logs_older_than_retention_are_refused(tenant_a, subscription):
    decision = limits.can_view_logs_since(tenant=tenant_a,
                                          since=timezone.now() - dt.timedelta(days=31))
    assert decision.code == "beyond_log_retention"
    assert "keeps logs for 30 days" in decision.reason


def test_suspended_tenant_may_not_sync(tenant_a, subscription):
    tenant_a.status = Tenant.Status.SUSPENDED
    decision = limits.can_sync(tenant=tenant_a)
    assert decision.code == "tenant_suspended"
    assert "suspended" in decision.reason


def test_ended_trial_may_not_sync_and_says_when_it_ended(tenant_a, subscription):
    subscription.status = Subscription.Status.TRIALING
    subscription.trial_ends_at = timezone.now() - dt.timedelta(days=1)
    subscription.save()
    decision = limits.can_sync(tenant=tenant_a)
    assert decision.code == "trial_ended"
    assert f"{subscription.trial_ends_at:%Y-%m-%d}" in decision.reason


def test_past_due_subscription_syncs_during_grace_with_a_warning(tenant_a, subscription):
    subscription.status = Subscription.Status.PAST_DUE
    subscription.current_period_end = timezone.now() - dt.timedelta(days=2)
    subscription.save()
    decision = limits.can_sync(tenant=tenant_a)
    assert decision.allowed
    assert "Payment is overdue; syncing stops on" in decision.warnings[0]


def test_past_due_subscription_after_grace_may_not_sync(tenant_a, subscription):
    subscription.status = Subscription.Status.PAST_DUE
    subscription.current_period_end = timezone.now() - dt.timedelta(days=8)
    subscription.save()
    assert limits.can_sync(tenant=tenant_a).code == "payment_overdue"


def test_canceled_subscription_may_not_sync(tenant_a, subscription):
    subscription.status = Subscription.Status.CANCELED
    subscription.save()
    assert limits.can_sync(tenant=tenant_a).code == "subscription_canceled"


def test_usage_past_the_allowance_still_syncs_but_warns(tenant_a, subscription):
    usage_record(tenant=tenant_a, transactions=101)
    decision = limits.can_sync(tenant=tenant_a)
    assert decision.allowed
    assert decision.warnings == ("101 of 100 monthly transactions used: past the fair-use "
                                 "allowance; Clarity will contact you about a larger plan.",)
    assert limits.usage_status(tenant=tenant_a).level == "over"


def test_usage_at_eighty_percent_is_a_warning(tenant_a, subscription):
    usage_record(tenant=tenant_a, transactions=80)
    assert limits.usage_status(tenant=tenant_a).level == "warning"
    assert limits.can_sync(tenant=tenant_a).warnings == ("80 of 100 monthly transactions used.",)


def test_ensure_raises_limit_exceeded_with_code_and_reason(tenant_a, subscription):
    with pytest.raises(limits.LimitExceeded) as excinfo:
        limits.ensure(limits.can_add_pair(tenant=tenant_a, production=True, current_count=3))
    assert excinfo.value.code == "production_pair_limit"
    assert "includes 1 production integration pair" in excinfo.value.reason
