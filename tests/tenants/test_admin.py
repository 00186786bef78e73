import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from billing.models import Plan
from tenants.models import Tenant
from tests.conftest import TEST_PASSWORD

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
