import pytest
from django.db import connection
from django_tenants.utils import schema_context

from accounts.models import User
from integrations.models import Connection
from tests.conftest import TEST_PASSWORD, inside

pytestmark = pytest.mark.django_db

PUBLIC = "localhost"


def _staff(email: str, *, superuser: bool) -> User:
    with schema_context("public"):
        if superuser:
            return User.objects.create_superuser(email, TEST_PASSWORD)
        return User.objects.create_user(email, TEST_PASSWORD, is_staff=True)


@pytest.fixture
def superuser_client(client, django_db_setup):
    _staff("root@clarity.example.com", superuser=True)
    client.login(username="root@clarity.example.com", password=TEST_PASSWORD)
    return client


def _connection(tenant, name: str) -> Connection:
    with inside(tenant):
        return Connection.objects.create(
            name=name, system="bigcommerce", base_url="http://127.0.0.1:8100/bigcommerce",
            account="store1", auth_type="api_token",
            credentials={"store_hash": "store1", "access_token": "tok_secret_value_123"})


def test_staff_see_a_tenants_connections_in_its_data_admin(superuser_client, tenant_a, tenant_b):
    _connection(tenant_a, "Alpha store")
    _connection(tenant_b, "Beta store")
    connection.set_schema_to_public()

    page = superuser_client.get("/admin/tenant/alpha/integrations/connection/",
                                HTTP_HOST=PUBLIC).content.decode()

    assert "Alpha store" in page
    assert "Beta store" not in page


def test_connection_page_shows_masked_credentials_only(superuser_client, tenant_a):
    saved = _connection(tenant_a, "Alpha store")
    connection.set_schema_to_public()

    page = superuser_client.get(f"/admin/tenant/alpha/integrations/connection/{saved.pk}/change/",
                                HTTP_HOST=PUBLIC).content.decode()

    assert "tok_secret_value_123" not in page
    assert "••••_123" in page


def test_links_in_the_tenant_data_admin_stay_in_that_tenant(superuser_client, tenant_a):
    page = superuser_client.get("/admin/tenant/alpha/", HTTP_HOST=PUBLIC).content.decode()
    assert 'href="/admin/tenant/alpha/integrations/connection/"' in page
    assert "Alpha Retail" in page


def test_unknown_tenant_slug_is_404(superuser_client):
    assert superuser_client.get("/admin/tenant/nobody/", HTTP_HOST=PUBLIC).status_code == 404


def test_staff_without_superuser_rights_are_sent_to_login(client, tenant_a):
    _staff("helpdesk@clarity.example.com", superuser=False)
    client.login(username="helpdesk@clarity.example.com", password=TEST_PASSWORD)
    response = client.get("/admin/tenant/alpha/", HTTP_HOST=PUBLIC)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_anonymous_visitors_cannot_open_tenant_data(client, tenant_a):
    response = client.get("/admin/tenant/alpha/integrations/connection/", HTTP_HOST=PUBLIC)
    assert response.status_code == 302


def test_tenant_data_admin_is_not_served_on_tenant_domains(superuser_client, tenant_a):
    response = superuser_client.get("/admin/tenant/alpha/", HTTP_HOST="alpha.localhost")
    assert response.status_code == 404


def test_request_leaves_the_connection_on_the_public_schema(superuser_client, tenant_a):
    superuser_client.get("/admin/tenant/alpha/", HTTP_HOST=PUBLIC)
    assert connection.schema_name == "public"
