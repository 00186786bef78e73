""""New integration": choose a template, review its flows, go live; the plan's limit shown."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from integrations.models import Connection, IntegrationPair
from integrations.services.pairs import pair_create_from_template
from tests.connections import bigcommerce_connection, brightpearl_connection
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ALPHA = "alpha.localhost"
TEMPLATE = "brightpearl-bigcommerce"


@pytest.fixture
def editor(tenant_a) -> Client:
    client = Client(HTTP_HOST=ALPHA)
    client.force_login(UserFactory(role=User.Role.ADMIN))
    return client


@pytest.fixture
def connections(tenant_a, new_account) -> tuple[Connection, Connection]:
    pair = (brightpearl_connection(new_account("brightpearl")),
            bigcommerce_connection(new_account("bigcommerce")))
    Connection.objects.update(health=Connection.Health.OK, last_checked_at=timezone.now())
    return pair


def test_new_integration_lists_the_templates_and_the_pairs_used(editor, connections):
    page = editor.get("/integrations/new/").content.decode()
    assert "Brightpearl + SYSPRO" in page
    assert 'href="/integrations/new/?template=brightpearl-bigcommerce"' in page
    assert "0 of 1 production pair used" in page
    assert "0 of 2 sandbox pairs used" in page


def test_reviewing_a_template_preselects_the_tested_connections(editor, connections):
    bp, bc = connections
    page = editor.get(f"/integrations/new/?template={TEMPLATE}").content.decode()
    assert f'<option value="{bp.pk}" selected>' in page
    assert f'<option value="{bc.pk}" selected>' in page
    assert 'value="Brightpearl + BigCommerce"' in page


def test_partner_list_offers_only_connections_to_the_templates_system(editor, connections,
                                                                      sandbox_url):
    Connection.objects.create(name="GP", system="dynamics_gp", base_url=sandbox_url,
                              auth_type="basic", credentials={})
    page = editor.get(f"/integrations/new/?template={TEMPLATE}").content.decode()
    assert ">GP (Microsoft Dynamics GP" not in page


def test_a_reviewed_form_goes_live_with_the_unticked_flows_off(editor, connections):
    bp, bc = connections
    response = editor.post("/integrations/new/", {
        "template": TEMPLATE, "flows_reviewed": "1", "name": "Shop", "brightpearl": bp.pk,
        "partner": bc.pk, "environment": "sandbox",
        "flows": ["sales-order-bc-to-bp", "customer-bc-to-bp", "product-bp-to-bc"]})

    pair = IntegrationPair.objects.get(name="Shop")
    assert response["Location"] == f"/integrations/{pair.pk}/"
    assert set(pair.flows.filter(enabled=True).values_list("key", flat=True)) == {
        "sales-order-bc-to-bp", "customer-bc-to-bp", "product-bp-to-bc"}


def test_a_full_production_allowance_links_to_billing_and_creates_nothing(editor, connections):
    bp, bc = connections
    pair_create_from_template(name="Live", template_key=TEMPLATE, brightpearl=bp, partner=bc,
                              environment="production")
    assert 'href="/billing/"' in editor.get("/integrations/new/").content.decode()

    response = editor.post("/integrations/new/", {
        "template": TEMPLATE, "flows_reviewed": "1", "name": "Another", "brightpearl": bp.pk,
        "partner": bc.pk, "environment": "production", "flows": ["product-bp-to-bc"]})

    page = response.content.decode()
    assert response.status_code == 200
    assert "1 production integration pair and 1 already exist" in page
    assert "Upgrade your plan on the billing page" in page
    assert not IntegrationPair.objects.filter(name="Another").exists()


def test_an_unknown_template_says_so_and_shows_the_choices(editor, connections):
    response = editor.get("/integrations/new/?template=nope", follow=True)
    page = response.content.decode()
    assert "There is no pair template &#x27;nope&#x27;; choose one below." in page
    assert "Brightpearl + Infor" in page


def test_a_viewer_may_look_at_new_integration_but_not_create_one(tenant_a, connections):
    bp, bc = connections
    viewer = Client(HTTP_HOST=ALPHA)
    viewer.force_login(UserFactory(role=User.Role.VIEWER))

    assert viewer.get(f"/integrations/new/?template={TEMPLATE}").status_code == 200
    response = viewer.post("/integrations/new/", {
        "template": TEMPLATE, "name": "Shop", "brightpearl": bp.pk, "partner": bc.pk,
        "environment": "sandbox"})
    assert response.status_code == 403
    assert not IntegrationPair.objects.exists()
