from decimal import Decimal

import pytest

from billing.models import Plan

pytestmark = pytest.mark.django_db


def test_connect_plan_is_seeded_as_the_product_pages_sell_it():
    plan = Plan.objects.get(slug="connect")
    assert plan.price_per_month == Decimal("599.00")
    assert plan.billing_period == Plan.BillingPeriod.ANNUAL
    assert plan.production_pair_limit == 1
    assert plan.has_feature("workflow_designer")


def test_seeded_plans_include_a_larger_tier_and_an_unlimited_enterprise_tier():
    plans = {p.slug: p for p in Plan.objects.all()}
    assert plans["growth"].production_pair_limit > plans["connect"].production_pair_limit
    assert plans["enterprise"].production_pair_limit is None
    enterprise, connect = plans["enterprise"], plans["connect"]
    assert enterprise.min_poll_interval_seconds < connect.min_poll_interval_seconds
