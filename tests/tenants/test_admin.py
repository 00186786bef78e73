import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from billing.models import Plan, UsageCounter
from billing.services import month_start, subscription_create
from integrations.models import Connection
from integrations.services.pairs import pair_create_from_template
from tenants.models import Tenant
from tests.conftest import TEST_PASSWORD, inside

pytestmark = pytest.mark.django_db

PUBLIC = "localhost"


def connect_pk() -> str:
    return str(Plan.objects.get(slug="connect").pk)


@pytest.fixture
def staff_client(client, django_db_setup):
    with schema_context("public"):
        User.objects.create_superuser("staff@clarity.example.com", TEST_PASSWORD)
    client.login(username="staff@clarity.example.com", password=TEST_PASSWORD)
    return client


def test_staff_sees_tenants_with_their_plan(staff_client):
    page = staff_client.get("/admin/tenants/tenant/", HTTP_HOST=PUBLIC).content.decode()
    assert "Alpha Retail" in page
    assert "Clarity Connect" in page


def test_staff_creates_a_tenant_with_owner_through_the_admin(staff_client):
    response = staff_client.post("/admin/tenants/tenant/add/", {
        "name": "Gamma Goods", "slug": "gamma", "owner_email": "own@gamma.example.com",
        "owner_password": TEST_PASSWORD, "plan": connect_pk(), "trial_days": "14",
    }, HTTP_HOST=PUBLIC)

    assert response.status_code == 302, response.content.decode()[:2000]
    tenant = Tenant.objects.get(slug="gamma")
    with schema_context(tenant.schema_name):
        assert User.objects.get().email == "own@gamma.example.com"


def test_admin_add_form_shows_the_slug_error_and_creates_nothing(staff_client):
    response = staff_client.post("/admin/tenants/tenant/add/", {
        "name": "Bad", "slug": "admin", "owner_email": "own@bad.example.com",
        "owner_password": TEST_PASSWORD, "plan": connect_pk(), "trial_days": "14",
    }, HTTP_HOST=PUBLIC)

    assert response.status_code == 200
    assert "Slug &#x27;admin&#x27; is reserved; choose another." in response.content.decode()
    assert not Tenant.objects.filter(name="Bad").exists()


def test_staff_admin_pages_for_plans_subscriptions_and_usage_load(staff_client):
    for url in ("/admin/billing/plan/", "/admin/billing/subscription/",
                "/admin/billing/usagecounter/", f"/admin/billing/plan/{connect_pk()}/change/"):
        assert staff_client.get(url, HTTP_HOST=PUBLIC).status_code == 200, url


def _this_month() -> dt.date:
    return month_start(timezone.now())


def _live_pair(tenant: Tenant, *, environment: str) -> None:
    with inside(tenant):
        bp, partner = (Connection.objects.create(
            name=f"{system} {environment}", system=system, base_url="https://example.com",
            auth_type="api_token", credentials={}) for system in ("brightpearl", "bigcommerce"))
        pair_create_from_template(name=f"Shop {environment}",
                                  template_key="brightpearl-bigcommerce", brightpearl=bp,
                                  partner=partner, environment=environment)


def _tenant_row(page: str, name: str) -> str:
    return re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{name}(?:(?!</tr>).)*</tr>", page, re.S)[0]


def test_tenant_list_shows_subscription_usage_against_the_allowance_and_pairs(staff_client):
    alpha = Tenant.objects.get(slug="alpha")
    UsageCounter.objects.create(tenant=alpha, period=_this_month(), transactions=1234)
    UsageCounter.objects.create(tenant=alpha, period=_this_month() - dt.timedelta(days=40),
                                transactions=99999)
    _live_pair(alpha, environment="production")
    allowance = alpha.subscription.plan.monthly_transaction_allowance

    page = staff_client.get("/admin/tenants/tenant/", HTTP_HOST=PUBLIC).content.decode()

    row = _tenant_row(page, "Alpha Retail")
    assert f"1,234 / {allowance:,}" in row
    assert "1/1, 0/2" in row
    assert "Trial until" in row


def test_tenant_list_marks_usage_past_the_allowance(staff_client):
    alpha = Tenant.objects.get(slug="alpha")
    allowance = alpha.subscription.plan.monthly_transaction_allowance
    UsageCounter.objects.create(tenant=alpha, period=_this_month(), transactions=allowance + 1)
    page = staff_client.get("/admin/tenants/tenant/", HTTP_HOST=PUBLIC).content.decode()
    assert "(past the allowance)" in _tenant_row(page, "Alpha Retail")


def test_tenant_list_queries_do_not_grow_with_the_number_of_tenants(staff_client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get("/admin/tenants/tenant/", HTTP_HOST=PUBLIC).status_code == 200
        return len(captured)

    before = queries()
    plan = Plan.objects.get(slug="connect")
    for n in range(3):
        # Rows without a schema (as during a sign-up being rolled back) are listed too.
        tenant = Tenant.objects.create(schema_name=f"ghost{n}", name=f"Ghost {n}",
                                       slug=f"ghost{n}")
        subscription_create(tenant=tenant, plan=plan)
        UsageCounter.objects.create(tenant=tenant, period=_this_month(), transactions=n)

    assert queries() == before


def test_a_tenant_without_a_schema_is_listed_with_no_pairs(staff_client):
    tenant = Tenant.objects.create(schema_name="ghost", name="Ghost Co", slug="ghost")
    subscription_create(tenant=tenant, plan=Plan.objects.get(slug="connect"))
    page = staff_client.get("/admin/tenants/tenant/", HTTP_HOST=PUBLIC).content.decode()
    assert "0/1, 0/2" in _tenant_row(page, "Ghost Co")


def test_tenant_page_shows_its_pairs_and_links_to_its_data(staff_client):
    alpha = Tenant.objects.get(slug="alpha")
    _live_pair(alpha, environment="sandbox")
    page = staff_client.get(f"/admin/tenants/tenant/{alpha.pk}/change/",
                            HTTP_HOST=PUBLIC).content.decode()
    assert "0/1, 1/2" in page
    assert 'href="/admin/tenant/alpha/"' in page
