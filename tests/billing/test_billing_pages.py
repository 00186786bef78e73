"""The portal's billing page: plan, usage, invoices, and changing plan."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from accounts.models import User
from billing.models import Plan, PlanChange, Subscription
from billing.services import invoice_issue, subscription_activate, usage_record
from integrations.models import Connection, IntegrationPair
from tests.conftest import inside
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ALPHA = "alpha.localhost"
BETA = "beta.localhost"


def _client(role: str) -> Client:
    client = Client(HTTP_HOST=ALPHA)
    client.force_login(UserFactory(role=role))
    return client


@pytest.fixture
def owner(tenant_a) -> Client:
    return _client(User.Role.OWNER)


@pytest.fixture
def viewer(tenant_a) -> Client:
    return _client(User.Role.VIEWER)


def _page(client: Client, url: str = "/billing/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _production_pairs(count: int) -> None:
    for n in range(count):
        bp = Connection.objects.create(name=f"BP {n}", system="brightpearl",
                                       environment="production", base_url="https://bp.example",
                                       auth_type="api_token")
        partner = Connection.objects.create(name=f"BC {n}", system="bigcommerce",
                                            environment="production",
                                            base_url="https://bc.example", auth_type="api_token")
        IntegrationPair.objects.create(name=f"Pair {n}", template_key="brightpearl-bigcommerce",
                                       brightpearl=bp, partner=partner, environment="production")


def _on_plan(tenant, slug: str) -> Subscription:
    subscription = tenant.subscription
    subscription.plan = Plan.objects.get(slug=slug)
    subscription.save()
    return subscription


def test_billing_page_shows_the_plan_its_price_and_the_trial(owner, tenant_a):
    page = _page(owner)
    assert "Clarity Connect" in page
    assert "USD 599.00 a month, billed annually (USD 7,188.00 a year)" in page
    assert "Trial ends" in page
    assert f"{tenant_a.subscription.trial_ends_at:%Y-%m-%d}" in page


def test_billing_page_shows_usage_against_the_plans_allowances(owner, tenant_a):
    usage_record(tenant=tenant_a, transactions=1234, api_calls=7)
    _production_pairs(1)
    page = _page(owner)
    assert "1,234 of 250,000" in page
    assert "Production integration pairs" in page
    assert "1 of 1" in page
    assert "0 of 2" in page  # sandbox pairs


def test_reaching_the_pair_limit_marks_the_plans_that_lift_it(owner, tenant_a):
    _production_pairs(1)
    page = _page(owner)
    assert ("Production integration pairs: you use 1 of the 1 the Clarity Connect plan "
            "includes, so no more can be added." in page)
    assert page.count("✓ Production integration pairs") == 2  # Growth and Enterprise


def test_billing_page_lists_invoices_with_a_link_to_each(owner, tenant_a):
    invoice = invoice_issue(subscription=subscription_activate(
        subscription=tenant_a.subscription))
    page = _page(owner)
    assert f'<a href="/billing/invoices/{invoice.number}/">{invoice.number}</a>' in page
    assert "<td>USD 7,188.00</td>" in page


def test_change_plan_asks_for_confirmation_first(owner, tenant_a):
    response = owner.post("/billing/plan/", {"plan": "growth"})
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Upgrade to Clarity Growth?" in page
    assert 'name="confirm"' in page
    tenant_a.subscription.refresh_from_db()
    assert tenant_a.subscription.plan.slug == "connect"


def test_owner_upgrades_at_once_and_the_change_records_who(owner, tenant_a):
    response = owner.post("/billing/plan/", {"plan": "growth", "confirm": "on"}, follow=True)
    page = html.unescape(response.content.decode())
    assert "You are now on the Clarity Growth plan" in page
    subscription = Subscription.objects.get(tenant=tenant_a)
    assert subscription.plan.slug == "growth"
    change = PlanChange.objects.get(subscription=subscription)
    assert (change.from_plan.slug, change.to_plan.slug) == ("connect", "growth")
    assert change.changed_by.endswith("@example.com")
    assert f"Clarity Connect → Clarity Growth by {change.changed_by}" in page


def test_downgrade_with_too_many_production_pairs_is_refused_and_says_why(owner, tenant_a):
    _on_plan(tenant_a, "growth")
    _production_pairs(2)
    response = owner.post("/billing/plan/", {"plan": "connect", "confirm": "on"}, follow=True)
    page = html.unescape(response.content.decode())
    assert ("The Clarity Connect plan includes 1 production integration pair and you have 2"
            in page)
    assert Subscription.objects.get(tenant=tenant_a).plan.slug == "growth"
    assert not PlanChange.objects.exists()


def test_downgrade_past_the_new_transaction_allowance_is_refused(owner, tenant_a):
    _on_plan(tenant_a, "growth")
    usage_record(tenant=tenant_a, transactions=250_001)
    response = owner.post("/billing/plan/", {"plan": "connect"})
    page = html.unescape(response.content.decode())
    assert ("This month's 250,001 transactions are already past the Clarity Connect plan's "
            "fair-use allowance of 250,000 a month." in page)
    assert "Confirm: move to" not in page


def test_downgrade_that_fits_takes_effect(owner, tenant_a):
    _on_plan(tenant_a, "growth")
    _production_pairs(1)
    owner.post("/billing/plan/", {"plan": "connect", "confirm": "on"})
    assert Subscription.objects.get(tenant=tenant_a).plan.slug == "connect"


def test_unknown_plan_is_a_form_error(owner, tenant_a):
    response = owner.post("/billing/plan/", {"plan": "platinum", "confirm": "on"})
    assert response.status_code == 400
    assert "Choose one of the plans listed." in response.content.decode()


def test_viewer_sees_billing_but_cannot_change_the_plan(viewer, tenant_a):
    page = _page(viewer)
    assert "Only owners and admins can change the plan." in page
    assert 'action="/billing/plan/"' not in page
    response = viewer.post("/billing/plan/", {"plan": "growth", "confirm": "on"})
    assert response.status_code == 403
    assert Subscription.objects.get(tenant=tenant_a).plan.slug == "connect"


def test_plan_change_is_post_only(owner):
    assert owner.get("/billing/plan/").status_code == 405


def test_invoice_detail_shows_its_lines_and_total(owner, tenant_a):
    subscription = subscription_activate(subscription=tenant_a.subscription)
    invoice = invoice_issue(subscription=subscription)
    page = _page(owner, f"/billing/invoices/{invoice.number}/")
    assert f"Invoice {invoice.number}" in page
    assert "<dt>Billed to</dt><dd>Alpha Retail</dd>" in page
    assert (f"<td>Clarity Connect, {subscription.current_period_start:%d %b %Y} – "
            f"{subscription.current_period_end:%d %b %Y}</td>" in page)
    assert "<strong>USD 7,188.00</strong>" in page
    assert "portal/billing.js" in page  # the Print button's script, not an inline handler


def test_another_tenants_invoice_is_404(tenant_a, tenant_b):
    with inside(tenant_b):
        invoice = invoice_issue(subscription=subscription_activate(
            subscription=tenant_b.subscription))
    client = _client(User.Role.OWNER)
    assert client.get(f"/billing/invoices/{invoice.number}/").status_code == 404


def test_billing_page_needs_a_login(client, tenant_a):
    response = client.get("/billing/", HTTP_HOST=ALPHA)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
