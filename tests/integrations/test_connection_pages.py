"""The portal's connection pages, against the running sandboxes, like a browser would."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection as db
from django.test import Client

from accounts.models import User
from integrations.models import Connection
from tests.connections import oauth_continue_url
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ALPHA = "alpha.localhost:8000"


@pytest.fixture
def editor(tenant_a) -> Client:
    client = Client(HTTP_HOST=ALPHA)
    client.force_login(UserFactory(role=User.Role.ADMIN))
    return client


def _follow_to_tenant(response) -> str:
    location = urlsplit(response["Location"])
    assert location.hostname == "alpha.localhost"
    return f"{location.path}?{location.query}"


def test_viewer_cannot_open_the_new_connection_form(tenant_a):
    client = Client(HTTP_HOST=ALPHA)
    client.force_login(UserFactory(role=User.Role.VIEWER))
    assert client.get("/connections/new/bigcommerce/").status_code == 403


def test_new_connection_form_is_prefilled_for_the_systems_sandbox(editor, settings):
    page = editor.get("/connections/new/bigcommerce/").content.decode()
    assert f'value="{settings.SANDBOX_URL}/bigcommerce"' in page
    assert 'value="ccdemo01"' in page
    assert "Store-level API accounts" in page


def test_bigcommerce_api_token_connection_is_saved_tested_and_healthy(editor, new_account):
    store = new_account("bigcommerce")
    response = editor.post("/connections/new/bigcommerce/", {
        "name": "My store", "environment": "sandbox", "base_url": store["base_url"],
        "account": store["account"], "auth_type": "api_token",
        "cred_api_token_store_hash": store["account"],
        "cred_api_token_access_token": store["credentials"]["access_token"],
    }, follow=True)

    page = response.content.decode()
    assert "Connected to BigCommerce." in page
    saved = Connection.objects.get(name="My store")
    assert saved.health == Connection.Health.OK
    assert store["credentials"]["access_token"] not in page


def test_wrong_token_says_bigcommerce_refused_the_credentials(editor, new_account):
    store = new_account("bigcommerce")
    response = editor.post("/connections/new/bigcommerce/", {
        "name": "Wrong store", "environment": "sandbox", "base_url": store["base_url"],
        "account": store["account"], "auth_type": "api_token",
        "cred_api_token_store_hash": store["account"],
        "cred_api_token_access_token": "not-the-token",
    }, follow=True)
    assert "BigCommerce refused the credentials" in response.content.decode()


def test_missing_credential_is_a_form_error_naming_it(editor, new_account):
    response = editor.post("/connections/new/dynamics_gp/", {
        "name": "GP", "environment": "sandbox", "base_url": "http://127.0.0.1:8100/dynamicsgp",
        "account": "TWO", "auth_type": "basic", "cred_basic_company": "TWO",
        "cred_basic_username": "econnect",
    })
    assert response.status_code == 200
    assert "Missing: password." in response.content.decode()
    assert not Connection.objects.filter(name="GP").exists()


def test_infor_connection_from_an_uploaded_ionapi_file(editor, new_account):
    tenant = new_account("infor")
    upload = SimpleUploadedFile("clarity.ionapi", json.dumps(tenant["credentials"]).encode())
    response = editor.post("/connections/new/infor/", {
        "name": "Infor M3", "environment": "sandbox", "base_url": "https://ignored.example",
        "account": "", "auth_type": "oauth2_password", "cred_oauth2_password_ionapi": upload,
    }, follow=True)

    assert "Connected to Infor" in response.content.decode()
    saved = Connection.objects.get(name="Infor M3")
    assert saved.account == tenant["account"]
    assert saved.base_url == tenant["credentials"]["iu"]


def test_broken_ionapi_file_is_refused_saying_what_is_wrong(editor):
    upload = SimpleUploadedFile("clarity.ionapi", b'{"ti": "X"}')
    response = editor.post("/connections/new/infor/", {
        "name": "Infor M3", "environment": "sandbox", "base_url": "https://ignored.example",
        "auth_type": "oauth2_password", "cred_oauth2_password_ionapi": upload,
    })
    assert "The .ionapi file lacks:" in response.content.decode()


def _infor_web_app(tenant: dict) -> dict:
    return httpx.get(f"{tenant['base_url']}/_sandbox/{tenant['account']}/ionapi",
                     params={"app": "web"}, timeout=10).json()


def _sign_in_with_infor(editor, tenant: dict, form: dict, *, action: str = "signin"):
    """Save the form, follow Clarity to Infor's sign-in page, sign in there, and land on
    Clarity's public callback; return the callback's answer."""
    created = editor.post("/connections/new/infor/", {
        "name": "Infor M3", "environment": "sandbox", "base_url": "https://ignored.example",
        "account": "", "auth_type": "oauth2_code", **form})
    sign_in_url = editor.get(oauth_continue_url(created))["Location"]
    page = httpx.get(sign_in_url, timeout=10)
    fields = {name: html.unescape(value) for name, value in
              re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text)}
    answered = httpx.post(sign_in_url, data={
        **fields, "action": action, "username": tenant["credentials"]["user"],
        "password": tenant["credentials"]["user_password"]}, timeout=10)
    callback = urlsplit(answered.headers["location"])
    assert (callback.hostname, callback.path) == ("localhost", "/oauth/callback/")
    db.set_schema_to_public()
    return Client(HTTP_HOST="localhost:8000").get(f"{callback.path}?{callback.query}")


def test_infor_form_offers_the_service_account_and_sign_in_with_infor(editor):
    page = editor.get("/connections/new/infor/").content.decode()
    assert "Service account (Backend Service .ionapi)" in page
    assert "Sign in with Infor (Web application)" in page
    assert 'name="cred_oauth2_code_ionapi_authorization_url"' in page


def test_sign_in_with_infor_completes_through_the_sandbox_sign_in_page(editor, new_account):
    tenant = new_account("infor")
    upload = SimpleUploadedFile("web.ionapi", json.dumps(_infor_web_app(tenant)).encode())
    landed = _sign_in_with_infor(editor, tenant, {"cred_oauth2_code_ionapi": upload})

    assert parse_qs(urlsplit(landed["Location"]).query) == {"connected": ["1"]}
    page = editor.get(_follow_to_tenant(landed)).content.decode()
    assert "Connected to Infor" in page
    saved = Connection.objects.get(name="Infor M3")
    assert (saved.auth_type, saved.account, saved.health) == (
        "oauth2_code", tenant["account"], Connection.Health.OK)
    assert saved.token["refresh_token"] and saved.token_expires_at is not None


def test_sign_in_with_infor_from_values_typed_in(editor, new_account):
    tenant = new_account("infor")
    web = _infor_web_app(tenant)
    landed = _sign_in_with_infor(editor, tenant, {
        "cred_oauth2_code_ionapi_ti": web["ti"], "cred_oauth2_code_ionapi_ci": web["ci"],
        "cred_oauth2_code_ionapi_cs": web["cs"], "cred_oauth2_code_ionapi_iu": web["iu"],
        "cred_oauth2_code_ionapi_authorization_url": web["pu"] + web["oa"],
        "cred_oauth2_code_ionapi_token_url": web["pu"] + web["ot"]})

    assert parse_qs(urlsplit(landed["Location"]).query) == {"connected": ["1"]}
    assert "Connected to Infor" in editor.get(_follow_to_tenant(landed)).content.decode()
    assert Connection.objects.get(name="Infor M3").base_url == web["iu"]


def test_cancelled_infor_sign_in_shows_the_reason_on_the_connection_page(editor, new_account):
    tenant = new_account("infor")
    upload = SimpleUploadedFile("web.ionapi", json.dumps(_infor_web_app(tenant)).encode())
    landed = _sign_in_with_infor(editor, tenant, {"cred_oauth2_code_ionapi": upload},
                                 action="cancel")
    page = editor.get(_follow_to_tenant(landed)).content.decode()
    assert "Connecting failed:" in page
    assert "cancelled" in page


def test_service_account_file_is_refused_for_sign_in_with_infor(editor, new_account):
    tenant = new_account("infor")
    upload = SimpleUploadedFile("clarity.ionapi", json.dumps(tenant["credentials"]).encode())
    response = editor.post("/connections/new/infor/", {
        "name": "Infor M3", "environment": "sandbox", "base_url": "https://ignored.example",
        "auth_type": "oauth2_code", "cred_oauth2_code_ionapi": upload})
    assert response.status_code == 200
    assert "belongs to a Backend Service app" in response.content.decode()
    assert not Connection.objects.filter(name="Infor M3").exists()


def test_brightpearl_oauth_completes_through_the_sandbox_consent_page(editor, new_account):
    account = new_account("brightpearl", credentials={"client_secret": "demo-client-secret"})
    created = editor.post("/connections/new/brightpearl/", {
        "name": "Brightpearl", "environment": "sandbox", "base_url": account["base_url"],
        "account": account["account"], "auth_type": "oauth2_code",
    })
    authorize = editor.get(oauth_continue_url(created))
    consent_url = authorize["Location"]

    # The browser at Brightpearl: the consent page, then "Approve".
    page = httpx.get(consent_url, timeout=10)
    fields = {name: html.unescape(value) for name, value in
              re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text)}
    approved = httpx.post(consent_url, data={**fields, "decision": "approve"}, timeout=10)
    callback = urlsplit(approved.headers["location"])
    assert (callback.hostname, callback.path) == ("localhost", "/oauth/callback/")

    # Back at Clarity's public callback, then on to the tenant's connection page.
    db.set_schema_to_public()
    landed = Client(HTTP_HOST="localhost:8000").get(f"{callback.path}?{callback.query}")
    assert parse_qs(urlsplit(landed["Location"]).query) == {"connected": ["1"]}
    page = editor.get(_follow_to_tenant(landed)).content.decode()
    assert "Connected to Brightpearl." in page
    saved = Connection.objects.get(name="Brightpearl")
    assert saved.token["refresh_token"]
    assert saved.health == Connection.Health.OK


def test_tampered_oauth_state_is_refused(client, db):
    response = client.get("/oauth/callback/?code=abc&state=forged", HTTP_HOST="localhost")
    assert response.status_code == 400
    assert "invalid or has expired" in response.content.decode()


def test_denied_consent_shows_the_reason_on_the_connection_page(editor, new_account):
    account = new_account("brightpearl", credentials={"client_secret": "demo-client-secret"})
    created = editor.post("/connections/new/brightpearl/", {
        "name": "Brightpearl", "environment": "sandbox", "base_url": account["base_url"],
        "account": account["account"], "auth_type": "oauth2_code",
    })
    consent_url = editor.get(oauth_continue_url(created))["Location"]
    page = httpx.get(consent_url, timeout=10)
    fields = {name: html.unescape(value) for name, value in
              re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text)}
    denied = urlsplit(httpx.post(consent_url, data={**fields, "decision": "deny"},
                                 timeout=10).headers["location"])

    db.set_schema_to_public()
    landed = Client(HTTP_HOST="localhost:8000").get(f"{denied.path}?{denied.query}")
    page = editor.get(_follow_to_tenant(landed)).content.decode()
    assert "Connecting failed:" in page
