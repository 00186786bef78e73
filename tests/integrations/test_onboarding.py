"""The getting-started wizard: connect both systems, test them, pick a template, go live."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.db import connection as db
from django.test import Client
from django.utils import timezone

from accounts.models import User
from billing.models import Plan
from integrations.models import Connection, IntegrationPair
from integrations.services.pairs import pair_create_from_template
from integrations.views.onboarding import progress
from tests.connections import (
    bigcommerce_connection,
    brightpearl_connection,
    oauth_continue_url,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ALPHA = "alpha.localhost:8000"
WIZARD = "/get-started/"
BC_TEMPLATE = "brightpearl-bigcommerce"


@pytest.fixture
def editor(tenant_a) -> Client:
    client = Client(HTTP_HOST=ALPHA)
    client.force_login(UserFactory(role=User.Role.OWNER))
    return client


@pytest.fixture
def viewer(tenant_a) -> Client:
    client = Client(HTTP_HOST=ALPHA)
    client.force_login(UserFactory(role=User.Role.VIEWER))
    return client


@pytest.fixture
def tested_connections(tenant_a, new_account) -> tuple[Connection, Connection]:
    connections = (brightpearl_connection(new_account("brightpearl")),
                   bigcommerce_connection(new_account("bigcommerce")))
    Connection.objects.filter(pk__in=[c.pk for c in connections]).update(
        health=Connection.Health.OK, last_checked_at=timezone.now())
    return connections


def _ticks(page: str) -> list[str]:
    return re.findall(r'<li class="done[^"]*"[^>]*>\s*<span class="tick"[^>]*>✓</span>\s*([^<]+)',
                      page)


def _current(page: str) -> str:
    return re.search(r'aria-current="step">\s*<span class="tick"[^>]*>[^<]*</span>\s*([^<]+)',
                     page)[1].strip()


def _go_live(client: Client, bp: Connection, partner: Connection, *, flows: list[str],
             environment: str = "sandbox", name: str = "Web shop"):
    return client.post(f"{WIZARD}templates/{BC_TEMPLATE}/", {
        "template": BC_TEMPLATE, "flows_reviewed": "1", "name": name, "brightpearl": bp.pk,
        "partner": partner.pk, "environment": environment, "flows": flows})


def test_a_new_tenant_starts_at_connecting_brightpearl_with_nothing_ticked(editor):
    page = editor.get(WIZARD).content.decode()

    assert _ticks(page) == []
    assert _current(page) == "Connect Brightpearl"
    assert ('href="/connections/new/brightpearl/?auth_type=oauth2_code&amp;next=/get-started/"'
            in page)


def test_steps_are_ticked_from_the_connections_tests_and_pairs_that_exist(tested_connections):
    bp, bc = tested_connections
    assert [s.done for s in progress().steps] == [True, True, True, False, False, False]

    pair_create_from_template(name="Web shop", template_key=BC_TEMPLATE, brightpearl=bp,
                              partner=bc)
    assert all(step.done for step in progress().steps)


def test_a_failed_test_leaves_step_three_open_and_shows_why(editor, tested_connections):
    _, bc = tested_connections
    Connection.objects.filter(pk=bc.pk).update(
        health=Connection.Health.FAILING, last_error="BigCommerce refused the credentials.")

    page = editor.get(WIZARD).content.decode()

    assert _ticks(page) == ["Connect Brightpearl", "Connect BigCommerce"]
    assert _current(page) == "Test both connections"
    assert "Test failed: BigCommerce refused the credentials." in page


def test_an_oauth_connection_without_consent_is_not_ticked(tenant_a):
    Connection.objects.create(name="BP", system="brightpearl", base_url="https://bp.example",
                              account="demo", auth_type="oauth2_code",
                              credentials={"client_id": "x"})
    assert not progress().steps[0].done


def test_brightpearl_oauth_from_the_wizard_comes_back_to_it_connected(editor, new_account):
    account = new_account("brightpearl", credentials={"client_secret": "demo-client-secret"})
    created = editor.post("/connections/new/brightpearl/", {
        "name": "Brightpearl", "environment": "sandbox", "base_url": account["base_url"],
        "account": account["account"], "auth_type": "oauth2_code", "next": WIZARD})
    consent_url = editor.get(oauth_continue_url(created))["Location"]

    # The browser at Brightpearl's consent page, then back at Clarity's public callback.
    consent = httpx.get(consent_url, timeout=10)
    fields = {name: html.unescape(value) for name, value in
              re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', consent.text)}
    approved = httpx.post(consent_url, data={**fields, "decision": "approve"}, timeout=10)
    callback = urlsplit(approved.headers["location"])
    db.set_schema_to_public()
    landed = urlsplit(Client(HTTP_HOST="localhost:8000").get(
        f"{callback.path}?{callback.query}")["Location"])

    page = editor.get(f"{landed.path}?{landed.query}").content.decode()

    saved = Connection.objects.get(name="Brightpearl")
    assert (landed.hostname, landed.path) == ("alpha.localhost", WIZARD)
    assert parse_qs(landed.query) == {"connection": [str(saved.pk)], "connected": ["1"]}
    assert "Connected to Brightpearl: Brightpearl is signed in and tested." in page
    assert _ticks(page) == ["Connect Brightpearl"]
    assert "✓ Connected and tested" in page


def test_bigcommerce_app_install_from_the_wizard_comes_back_to_it_connected(
        editor, new_account, settings):
    brightpearl_connection(new_account("brightpearl"))
    # A store that has Clarity's (sandbox) app available to install.
    store = new_account("bigcommerce", credentials=dict(settings.OAUTH_APPS["bigcommerce"]))
    back = f"{WIZARD}?partner=bigcommerce"
    created = editor.post("/connections/new/bigcommerce/", {
        "name": "Store", "environment": "sandbox", "base_url": store["base_url"],
        "account": store["account"], "auth_type": "oauth2_code", "next": back})
    install_url = editor.get(oauth_continue_url(created))["Location"]

    # The browser at BigCommerce's install page: pick the store, "Install".
    install = httpx.get(install_url, timeout=10)
    fields = {name: html.unescape(value) for name, value in
              re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', install.text)}
    installed = httpx.post(install_url, data={**fields, "store_hash": store["account"],
                                              "action": "install"}, timeout=10)
    callback = urlsplit(installed.headers["location"])
    db.set_schema_to_public()
    landed = urlsplit(Client(HTTP_HOST="localhost:8000").get(
        f"{callback.path}?{callback.query}")["Location"])
    page = editor.get(f"{landed.path}?{landed.query}").content.decode()

    assert landed.path == WIZARD
    assert "Connected to BigCommerce: Store is signed in and tested." in page
    assert "Connect BigCommerce" in _ticks(page)
    assert Connection.objects.get(name="Store").token["access_token"]


def test_a_key_based_partner_connects_from_the_wizard_and_returns_tested(
        editor, new_account, sandbox_url):
    brightpearl_connection(new_account("brightpearl"))
    Connection.objects.update(health=Connection.Health.OK)
    company = new_account("dynamicsgp")
    back = f"{WIZARD}?partner=dynamics_gp"
    form = editor.get(f"/connections/new/dynamics_gp/?auth_type=basic&next={back}").content
    assert b'name="next" value="/get-started/?partner=dynamics_gp"' in form

    response = editor.post("/connections/new/dynamics_gp/", {
        "name": "GP", "environment": "sandbox", "base_url": f"{sandbox_url}/dynamicsgp",
        "account": company["account"], "auth_type": "basic",
        "cred_basic_company": company["account"],
        "cred_basic_username": company["credentials"]["username"],
        "cred_basic_password": company["credentials"]["password"], "next": back}, follow=True)

    assert response.redirect_chain[-1][0] == back
    page = response.content.decode()
    assert "GP: Connected to Microsoft Dynamics GP." in page
    assert _ticks(page) == ["Connect Brightpearl", "Connect Microsoft Dynamics GP",
                            "Test both connections"]
    assert _current(page) == "Choose a pair template"
    assert f'href="{WIZARD}templates/brightpearl-dynamics-gp/"' in page


def test_test_connection_from_the_wizard_returns_to_it_with_the_plain_words_result(
        editor, tenant_a, new_account):
    store = new_account("bigcommerce")
    bc = bigcommerce_connection(store)
    Connection.objects.filter(pk=bc.pk).update(credentials={
        "store_hash": store["account"], "access_token": "not-the-token"})
    back = f"{WIZARD}?partner=bigcommerce"

    response = editor.post(f"/connections/{bc.pk}/test/", {"next": back}, follow=True)

    assert response.redirect_chain[-1][0] == back
    assert "BigCommerce refused the credentials" in response.content.decode()


def test_a_next_address_on_another_site_is_ignored(editor, tenant_a, new_account):
    bc = bigcommerce_connection(new_account("bigcommerce"))
    response = editor.post(f"/connections/{bc.pk}/test/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/connections/{bc.pk}/"


def test_the_wizard_resumes_with_the_partner_already_connected(editor, tested_connections):
    page = editor.get(WIZARD).content.decode()
    assert 'class="partner chosen" href="?partner=bigcommerce"' in page
    assert "Brightpearl + BigCommerce" in page


def test_template_cards_describe_the_template_and_list_its_flows(editor, tested_connections):
    page = editor.get(f"{WIZARD}?partner=bigcommerce").content.decode()
    assert "Sales orders: BigCommerce → Brightpearl" in page
    assert f'href="{WIZARD}templates/{BC_TEMPLATE}/"' in page


def test_review_lists_each_flow_with_its_entity_direction_trigger_and_events(
        editor, tested_connections):
    page = editor.get(f"{WIZARD}templates/{BC_TEMPLATE}/").content.decode()

    row = re.search(r'<tr>\s*<td><input type="checkbox" name="flows" value="sales-order-bc-to-bp"'
                    r'.*?</tr>', page, re.S)[0]
    assert "checked" in row
    assert "sales order" in row
    assert "BigCommerce → Brightpearl" in row
    assert "Webhook (real time)" in row
    assert "<code>store/order/created</code>" in row
    assert _current(page) == "Review flows and environment"


def test_going_live_creates_the_pair_with_only_the_ticked_flows_on(editor, tested_connections):
    bp, bc = tested_connections
    response = _go_live(editor, bp, bc, flows=["sales-order-bc-to-bp", "product-bp-to-bc"])

    pair = IntegrationPair.objects.get(name="Web shop")
    assert response["Location"] == f"/integrations/{pair.pk}/"
    enabled = dict(pair.flows.values_list("key", "enabled"))
    assert {key for key, on in enabled.items() if on} == {"sales-order-bc-to-bp",
                                                         "product-bp-to-bc"}
    assert len(enabled) > 2
    page = editor.get(response["Location"]).content.decode()
    assert f"Web shop is live with 2 of {len(enabled)} flows; left off:" in page
    assert "Subscribed to" in page and "store/order/created" in page


def test_a_webhook_that_cannot_be_subscribed_is_named_on_the_live_pairs_page(
        editor, tested_connections):
    bp, bc = tested_connections
    Connection.objects.filter(pk=bp.pk).update(credentials={
        "private_app_ref": "nobody", "account_token": "wrong"})

    response = _go_live(editor, bp, bc, flows=["sales-order-bc-to-bp", "product-bp-to-bc"])

    page = editor.get(response["Location"]).content.decode()
    assert IntegrationPair.objects.filter(name="Web shop").exists()
    assert "Could not subscribe to product.created (" in page
    assert "retry with “Subscribe to webhooks” on this page." in page
    assert "Subscribed to 1 webhook event: store/order/created." in page


def test_going_live_with_no_flow_ticked_says_so_and_creates_nothing(editor, tested_connections):
    bp, bc = tested_connections
    response = _go_live(editor, bp, bc, flows=[])
    assert response.status_code == 200
    assert "Tick at least one flow to go live." in response.content.decode()
    assert not IntegrationPair.objects.exists()


def test_the_environment_step_shows_the_pairs_used_against_the_plan(editor, tested_connections):
    bp, bc = tested_connections
    pair_create_from_template(name="Trial", template_key=BC_TEMPLATE, brightpearl=bp,
                              partner=bc)

    page = editor.get(f"{WIZARD}templates/{BC_TEMPLATE}/").content.decode()

    assert "0 of 1 production pair used" in page
    assert "1 of 2 sandbox pairs used" in page
    assert 'href="/billing/"' not in page


def test_a_full_plan_is_shown_with_the_billing_link_and_going_live_creates_nothing(
        editor, tested_connections):
    bp, bc = tested_connections
    pair_create_from_template(name="Live shop", template_key=BC_TEMPLATE, brightpearl=bp,
                              partner=bc, environment="production")
    page = editor.get(f"{WIZARD}templates/{BC_TEMPLATE}/").content.decode()
    assert "1 of 1 production pair used: The Clarity Connect plan includes 1 production" in page
    assert 'href="/billing/"' in page

    response = _go_live(editor, bp, bc, flows=["product-bp-to-bc"], environment="production",
                        name="Second shop")

    assert response.status_code == 200
    page = response.content.decode()
    assert ("The Clarity Connect plan includes 1 production integration pair and 1 already "
            "exist; upgrade the plan or retire a pair.") in page
    assert '<a href="/billing/">Upgrade your plan on the billing page</a>' in page
    assert not IntegrationPair.objects.filter(name="Second shop").exists()


def test_an_unlimited_plan_shows_the_count_without_a_limit(editor, tested_connections, tenant_a):
    subscription = tenant_a.subscription
    subscription.plan = Plan.objects.get(production_pair_limit__isnull=True,
                                         sandbox_pair_limit__isnull=True)
    subscription.save()
    page = editor.get(f"{WIZARD}templates/{BC_TEMPLATE}/").content.decode()
    assert "0 production pairs (no limit on your plan)" in page


def test_a_viewer_sees_the_wizard_without_buttons_that_change_anything(viewer,
                                                                       tested_connections):
    page = viewer.get(WIZARD).content.decode()
    assert viewer.get(WIZARD).status_code == 200
    assert "an owner or admin of Alpha Retail connects systems and goes live" in page
    assert "Test connection" not in page
    assert "/connections/new/" not in page

    review = viewer.get(f"{WIZARD}templates/{BC_TEMPLATE}/").content.decode()
    assert "Go live</button>" not in review


def test_a_viewer_cannot_go_live(viewer, tested_connections):
    bp, bc = tested_connections
    assert _go_live(viewer, bp, bc, flows=["product-bp-to-bc"]).status_code == 403
    assert not IntegrationPair.objects.exists()


def test_an_unknown_template_is_404(editor):
    assert editor.get(f"{WIZARD}templates/nope/").status_code == 404
