"""Invoices: one per closed paid period, issued by the period roll-over."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from billing.models import Invoice, Plan, Subscription
from billing.services import invoice_issue, subscription_change_plan, subscription_periods_advance
from tests.conftest import TEST_PASSWORD
from tests.factories import PlanFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2025, 1, 10, tzinfo=dt.UTC)


def _active(subscription: Subscription, *, start: dt.datetime = START,
            end: dt.datetime | None = None) -> Subscription:
    subscription.status = Subscription.Status.ACTIVE
    subscription.trial_ends_at = None
    subscription.current_period_start = start
    subscription.current_period_end = end or start.replace(year=start.year + 1)
    subscription.save()
    return subscription


def test_closing_a_period_twice_issues_one_invoice(tenant_a):
    _active(tenant_a.subscription)
    after = dt.datetime(2026, 1, 11, tzinfo=dt.UTC)

    subscription_periods_advance(now=after)
    subscription_periods_advance(now=after)

    invoice = Invoice.objects.get(tenant=tenant_a)
    assert (invoice.period_start, invoice.period_end) == (START, START.replace(year=2026))


def test_annual_connect_invoice_charges_twelve_months_of_the_plan_price(tenant_a):
    _active(tenant_a.subscription)
    subscription_periods_advance(now=dt.datetime(2026, 1, 11, tzinfo=dt.UTC))

    invoice = Invoice.objects.get(tenant=tenant_a)
    assert invoice.total == Decimal("7188.00")
    assert (invoice.plan_name, invoice.plan_price, invoice.currency) == (
        "Clarity Connect", Decimal("7188.00"), "USD")
    assert invoice.status == Invoice.Status.OPEN
    assert [(line.description, line.amount) for line in invoice.lines.all()] == [
        ("Clarity Connect, 10 Jan 2025 – 10 Jan 2026", Decimal("7188.00"))]


def test_rerunning_issue_on_the_same_period_returns_the_existing_invoice(tenant_a):
    subscription = _active(tenant_a.subscription)
    first = invoice_issue(subscription=subscription)
    assert invoice_issue(subscription=subscription) == first
    assert Invoice.objects.count() == 1


def test_missed_periods_are_each_invoiced_when_the_roll_over_catches_up(tenant_a):
    monthly = PlanFactory(slug="monthly-test", billing_period=Plan.BillingPeriod.MONTHLY,
                          price_per_month=Decimal("100.00"))
    subscription = tenant_a.subscription
    subscription.plan = monthly
    _active(subscription, end=dt.datetime(2025, 2, 10, tzinfo=dt.UTC))

    subscription_periods_advance(now=dt.datetime(2025, 4, 11, tzinfo=dt.UTC))

    invoices = Invoice.objects.filter(tenant=tenant_a).order_by("period_start")
    assert [(i.period_start.date(), i.total) for i in invoices] == [
        (dt.date(2025, 1, 10), Decimal("100.00")),
        (dt.date(2025, 2, 10), Decimal("100.00")),
        (dt.date(2025, 3, 10), Decimal("100.00")),
    ]
    assert [i.number for i in invoices] == ["ALPHA-0001", "ALPHA-0002", "ALPHA-0003"]


def test_upgrade_mid_period_charges_each_plan_for_its_share(tenant_a):
    subscription = _active(tenant_a.subscription)
    halfway = START + (START.replace(year=2026) - START) / 2
    subscription_change_plan(subscription=subscription, plan=Plan.objects.get(slug="growth"),
                             changed_by="owner@alpha.example.com", production_pairs=0,
                             sandbox_pairs=0, now=halfway)

    subscription_periods_advance(now=dt.datetime(2026, 1, 11, tzinfo=dt.UTC))

    invoice = Invoice.objects.get(tenant=tenant_a)
    amounts = [line.amount for line in invoice.lines.all()]
    assert amounts == [Decimal("3594.00"), Decimal("8994.00")]  # half of 7,188 and of 17,988
    assert invoice.total == sum(amounts)
    assert invoice.plan_name == "Clarity Growth"
    assert "182.5 of 365 days" in invoice.lines.first().description


def test_a_trial_that_ends_is_not_invoiced(tenant_a):
    subscription = tenant_a.subscription
    assert subscription.status == Subscription.Status.TRIALING
    subscription_periods_advance(now=subscription.current_period_end + dt.timedelta(minutes=1))

    assert not Invoice.objects.exists()


def test_subscription_cancelled_at_period_end_gets_its_last_invoice(tenant_a):
    subscription = _active(tenant_a.subscription)
    subscription.cancel_at_period_end = True
    subscription.save()

    subscription_periods_advance(now=dt.datetime(2026, 1, 11, tzinfo=dt.UTC))

    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.CANCELED
    assert Invoice.objects.get(tenant=tenant_a).total == Decimal("7188.00")


def test_a_later_price_change_does_not_alter_an_issued_invoice(tenant_a):
    _active(tenant_a.subscription)
    subscription_periods_advance(now=dt.datetime(2026, 1, 11, tzinfo=dt.UTC))
    Plan.objects.filter(slug="connect").update(price_per_month=Decimal("999.00"))

    assert Invoice.objects.get(tenant=tenant_a).total == Decimal("7188.00")


def test_a_free_plans_invoice_is_settled_as_issued(tenant_a):
    subscription = tenant_a.subscription
    subscription.plan = PlanFactory(slug="free-test", price_per_month=Decimal("0"))
    _active(subscription)
    invoice = invoice_issue(subscription=subscription)
    assert (invoice.total, invoice.status) == (Decimal("0.00"), Invoice.Status.PAID)



@pytest.fixture
def staff_client(client, django_db_setup):
    with schema_context("public"):
        User.objects.create_superuser("staff@clarity.example.com", TEST_PASSWORD)
    client.login(username="staff@clarity.example.com", password=TEST_PASSWORD)
    return client


def test_staff_see_invoices_in_the_admin_and_mark_one_paid(tenant_b, staff_client):
    invoice = invoice_issue(subscription=_active(tenant_b.subscription))
    page = staff_client.get("/admin/billing/invoice/", HTTP_HOST="localhost").content.decode()
    assert invoice.number in page
    staff_client.post("/admin/billing/invoice/", {
        "action": "mark_paid", "_selected_action": [invoice.pk]}, HTTP_HOST="localhost")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.paid_at
