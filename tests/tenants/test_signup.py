"""Public sign-up: the form on BASE_DOMAIN, and the hand-over to the new tenant's domain."""

import uuid
from urllib.parse import urlsplit

import pytest
from django_tenants.utils import schema_context

from accounts import services as account_services
from accounts.models import User
from billing.models import Subscription
from tenants.models import Tenant
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.django_db

PUBLIC = "localhost"


def signup_data(**overrides: str) -> dict[str, str]:
    return {"name": "Northwind Traders", "slug": "northwind", "owner_name": "Nancy Davolio",
            "owner_email": "Nancy@Northwind.example.com", "owner_password": TEST_PASSWORD,
            "plan": "growth", **overrides}


def sign_up(client, **overrides: str):
    return client.post("/signup/", signup_data(**overrides), HTTP_HOST=PUBLIC)


def follow_to_tenant(client, location: str):
    url = urlsplit(location)
    return client.get(url.path, HTTP_HOST=url.hostname)


def test_signup_page_lists_the_public_plans_with_the_linked_one_preselected(client, db):
    page = client.get("/signup/?plan=enterprise", HTTP_HOST=PUBLIC).content.decode()
    assert '<option value="enterprise" selected>' in page
    assert 'value="connect"' in page and 'value="growth"' in page


def test_signup_page_preselects_the_default_plan_without_a_link(client, db):
    page = client.get("/signup/", HTTP_HOST=PUBLIC).content.decode()
    assert '<option value="connect" selected>' in page


def test_pricing_page_links_every_plan_to_signup_with_that_plan(client, db):
    page = client.get("/", HTTP_HOST=PUBLIC).content.decode()
    for slug in ("connect", "growth", "enterprise"):
        assert f'href="/signup/?plan={slug}"' in page


def test_signup_creates_the_company_and_signs_the_owner_in_on_its_own_domain(client, db):
    response = sign_up(client)

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}" == "http://northwind.localhost:8000"
    assert location.path.startswith("/welcome/")
    tenant = Tenant.objects.get(slug="northwind")
    assert Subscription.objects.get(tenant=tenant).plan.slug == "growth"
    with schema_context(tenant.schema_name):
        owner = User.objects.get()
        assert (owner.email, owner.full_name, owner.role) == (
            "nancy@northwind.example.com", "Nancy Davolio", User.Role.OWNER)

    landed = follow_to_tenant(client, response["Location"])
    assert landed.status_code == 302 and landed["Location"] == "/"
    team = client.get("/team/", HTTP_HOST="northwind.localhost")
    assert team.status_code == 200
    assert "nancy@northwind.example.com" in team.content.decode()


def test_welcome_link_signs_in_only_once(client, db):
    location = sign_up(client)["Location"]
    follow_to_tenant(client, location)
    client.post("/logout/", HTTP_HOST="northwind.localhost")

    again = follow_to_tenant(client, location)

    assert again["Location"] == "/login/"
    login_page = client.get("/login/", HTTP_HOST="northwind.localhost").content.decode()
    assert "already been used" in login_page
    assert client.get("/team/", HTTP_HOST="northwind.localhost").status_code == 302


def test_welcome_link_expires(client, db, monkeypatch):
    location = sign_up(client)["Location"]
    monkeypatch.setattr(account_services, "WELCOME_MAX_AGE_S", -1)

    response = follow_to_tenant(client, location)

    assert response["Location"] == "/login/"
    assert "has expired" in client.get("/login/", HTTP_HOST="northwind.localhost").content.decode()


def test_welcome_link_of_one_tenant_does_not_sign_in_on_another(client, tenant_b):
    location = urlsplit(sign_up(client)["Location"])

    response = client.get(location.path, HTTP_HOST="beta.localhost")

    assert response["Location"] == "/login/"
    assert client.get("/team/", HTTP_HOST="beta.localhost").status_code == 302


def test_bad_fields_are_shown_inline_and_the_entered_values_are_kept(client, db):
    response = sign_up(client, slug="alpha", owner_password="123", owner_email="nope")

    page = response.content.decode()
    assert response.status_code == 400
    assert "Slug &#x27;alpha&#x27; is already taken" in page
    assert "This password is too short" in page
    assert "Enter a valid email address" in page
    assert 'value="Northwind Traders"' in page
    assert not Tenant.objects.filter(name="Northwind Traders").exists()


def test_service_rules_beyond_the_form_fields_are_shown_inline(client, db):
    response = sign_up(client, slug="admin")

    assert response.status_code == 400
    assert "Slug &#x27;admin&#x27; is reserved" in response.content.decode()


def test_address_hint_shows_the_portal_address_and_whether_it_is_free(client, db):
    free = client.get("/signup/address/?slug=Fresh-Co", HTTP_HOST=PUBLIC).content.decode()
    taken = client.get("/signup/address/?slug=alpha", HTTP_HOST=PUBLIC).content.decode()

    assert "http://fresh-co.localhost:8000" in free and "Available." in free
    assert "http://alpha.localhost:8000" in taken and "already taken" in taken


def test_signup_page_lets_the_form_redirect_to_tenant_domains_only(client, db):
    policy = client.get("/signup/", HTTP_HOST=PUBLIC)["Content-Security-Policy"]
    assert "form-action 'self' http://*.localhost:8000" in policy


def _fresh_address() -> dict[str, str]:
    """An address no earlier run counted (the counts live in Redis for the rate's period)."""
    part = uuid.uuid4().hex
    return {"REMOTE_ADDR": f"2001:db8::{part[:4]}:{part[4:8]}:{part[8:12]}"}


def test_sign_ups_past_the_rate_from_one_address_are_refused_with_a_reason(client, db,
                                                                            settings):
    settings.SIGNUP_RATE = "2/h"
    address = _fresh_address()
    for n in range(2):
        made = client.post("/signup/", signup_data(slug=f"limit-{n}", owner_email=f"o{n}@x.io"),
                           HTTP_HOST=PUBLIC, **address)
        assert made.status_code == 302
        client.logout()

    refused = client.post("/signup/", signup_data(slug="limit-3", owner_email="o3@x.io"),
                          HTTP_HOST=PUBLIC, **address)

    assert refused.status_code == 429
    assert "Too many sign-ups from your network" in refused.content.decode()
    assert not Tenant.objects.filter(slug="limit-3").exists()


def test_a_sign_up_form_with_mistakes_does_not_count_towards_the_rate(client, db, settings):
    settings.SIGNUP_RATE = "1/h"
    address = _fresh_address()
    for _ in range(3):
        assert client.post("/signup/", signup_data(slug="x"), HTTP_HOST=PUBLIC,
                           **address).status_code == 400

    made = client.post("/signup/", signup_data(slug="typo-free"), HTTP_HOST=PUBLIC, **address)

    assert made.status_code == 302
