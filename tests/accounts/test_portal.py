import pytest
from django.test import Client

from accounts.models import User
from tests.conftest import TEST_PASSWORD, inside
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ALPHA = "alpha.localhost"
BETA = "beta.localhost"


def test_tenant_root_sends_anonymous_visitors_to_the_tenants_login(client, tenant_a):
    response = client.get("/", HTTP_HOST=ALPHA)
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_login_page_names_the_tenant(client, tenant_a):
    response = client.get("/login/", HTTP_HOST=ALPHA)
    assert response.status_code == 200
    assert "Sign in to Alpha Retail" in response.content.decode()


def test_tenant_owner_signs_in_and_sees_plan_and_usage(client, tenant_a):
    response = client.post("/login/", {"username": "owner@alpha.example.com",
                                       "password": TEST_PASSWORD}, HTTP_HOST=ALPHA, follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Clarity Connect" in page
    assert "Trial" in page
    assert "transactions of 250000" in page


def test_wrong_password_gets_a_form_error(client, tenant_a):
    response = client.post("/login/", {"username": "owner@alpha.example.com",
                                       "password": "wrong"}, HTTP_HOST=ALPHA)
    assert response.status_code == 200
    assert "Please enter a correct email and password" in response.content.decode()


def test_user_of_tenant_a_cannot_sign_in_on_tenant_b(client, tenant_a, tenant_b):
    response = client.post("/login/", {"username": "owner@alpha.example.com",
                                       "password": TEST_PASSWORD}, HTTP_HOST=BETA)
    assert response.status_code == 200
    assert "Please enter a correct email and password" in response.content.decode()


def test_session_from_tenant_a_does_not_open_tenant_b(tenant_a, tenant_b):
    client = Client()
    assert client.login(username="owner@alpha.example.com", password=TEST_PASSWORD)
    # The session cookie lives in alpha's schema; beta has no such session.
    with inside(tenant_b):
        response = client.get("/", HTTP_HOST=BETA)
    assert response.status_code == 302


def test_unknown_tenant_domain_is_404(client, db):
    assert client.get("/", HTTP_HOST="nobody.localhost").status_code == 404


def test_staff_admin_is_not_served_on_tenant_domains(client, tenant_a):
    assert client.get("/admin/", HTTP_HOST=ALPHA).status_code == 404


def test_tenant_user_cannot_sign_in_to_the_staff_admin(client, tenant_a):
    UserFactory(email="sneaky@alpha.example.com", is_staff=True, is_superuser=True)
    response = client.post("/admin/login/", {"username": "sneaky@alpha.example.com",
                                             "password": TEST_PASSWORD}, HTTP_HOST="localhost")
    assert response.status_code == 200
    assert "Please enter the correct email and password for a staff account" in (
        response.content.decode())


def test_public_site_lists_the_plans_from_the_plan_table(client, db):
    page = client.get("/", HTTP_HOST="localhost").content.decode()
    assert "Clarity Connect" in page
    assert "$599" in page
    assert "Billed annually" in page
    assert "1 production integration pair" in page


def test_viewer_role_cannot_edit(tenant_a):
    assert not UserFactory(role=User.Role.VIEWER).can_edit
    assert UserFactory(role=User.Role.OWNER).can_edit
