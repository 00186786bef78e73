"""Connections against the running sandboxes: test, refresh under a lock, secrets at rest."""

from __future__ import annotations

import html
import re
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core.exceptions import ValidationError
from django.db import connection as db

from integrations.connectors.base import ConnectionConfig
from integrations.connectors.brightpearl_auth import authorization_url, exchange_code
from integrations.models import Connection
from integrations.services.connections import (
    connection_create,
    connection_test,
    connection_token_save,
    connector_for,
)
from tests.conftest import inside

REDIRECT_URI = "http://alpha.localhost:8000/connections/oauth/callback/"


def _private_app(account: dict[str, Any], **overrides: Any) -> Connection:
    creds = account["credentials"]
    fields = {
        "name": f"Brightpearl {account['account']}", "system": "brightpearl",
        "base_url": account["base_url"], "account": account["account"],
        "auth_type": "private_app",
        "credentials": {"private_app_ref": creds["private_app_ref"],
                        "account_token": creds["account_token"]},
    }
    return connection_create(**{**fields, **overrides})


def _oauth_token(account: dict[str, Any]) -> dict[str, Any]:
    creds = account["credentials"]
    config = ConnectionConfig(base_url=account["base_url"], account=account["account"],
                              auth_type="oauth2_code",
                              credentials={k: creds[k] for k in ("client_id", "client_secret",
                                                                 "dev_ref")})
    url = authorization_url(config, REDIRECT_URI, "state-1")
    page = httpx.get(url, timeout=10)
    fields = {name: html.unescape(value) for name, value in
              re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text)}
    answer = httpx.post(url, data={**fields, "decision": "approve"}, timeout=10)
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    return exchange_code(config, code, REDIRECT_URI)


@pytest.mark.django_db
def test_connection_test_says_connected_and_marks_the_connection_healthy(tenant_a, new_account):
    saved = _private_app(new_account("brightpearl"))

    result = connection_test(connection=saved)

    assert result.ok, result.message
    assert result.message == "Connected to Brightpearl."
    saved.refresh_from_db()
    assert saved.health == Connection.Health.OK
    assert saved.last_success_at is not None


@pytest.mark.django_db
def test_connection_test_says_in_plain_words_that_credentials_were_refused(
    tenant_a, new_account
):
    account = new_account("brightpearl")
    saved = _private_app(account, credentials={"private_app_ref": "clarity-private",
                                               "account_token": "wrong-token"})

    result = connection_test(connection=saved)

    assert not result.ok
    assert result.message.startswith("Brightpearl refused the credentials:")
    saved.refresh_from_db()
    assert saved.health == Connection.Health.FAILING
    assert saved.last_error == result.message


@pytest.mark.django_db
def test_connection_test_says_the_host_is_unreachable(tenant_a, new_account):
    saved = _private_app(new_account("brightpearl"), base_url="http://127.0.0.1:9/brightpearl")

    result = connection_test(connection=saved)

    assert not result.ok
    assert result.message.startswith("Could not reach Brightpearl at 127.0.0.1:9:")


@pytest.mark.django_db
def test_connection_missing_a_credential_is_refused_with_its_name(tenant_a):
    with pytest.raises(ValidationError) as excinfo:
        connection_create(name="BP", system="brightpearl", base_url="http://x.example",
                          account="acme", auth_type="private_app",
                          credentials={"private_app_ref": "app"})
    assert excinfo.value.message_dict == {"credentials": ["Missing: account_token."]}


@pytest.mark.django_db
def test_connection_with_an_auth_type_the_system_lacks_is_refused(tenant_a):
    with pytest.raises(ValidationError) as excinfo:
        connection_create(name="BP", system="brightpearl", base_url="http://x.example",
                          account="acme", auth_type="api_token", credentials={})
    assert "Brightpearl connects with oauth2_code or private_app" in (
        excinfo.value.message_dict["auth_type"][0])


@pytest.mark.django_db
def test_unknown_system_is_refused(tenant_a):
    with pytest.raises(ValidationError) as excinfo:
        connection_create(name="X", system="sap", base_url="http://x.example",
                          auth_type="basic", credentials={})
    assert "Unknown system 'sap'" in excinfo.value.message_dict["system"][0]


def _oauth_connection(account: dict[str, Any]) -> Connection:
    creds = account["credentials"]
    saved = connection_create(
        name=f"Brightpearl OAuth {account['account']}", system="brightpearl",
        base_url=account["base_url"], account=account["account"], auth_type="oauth2_code",
        credentials={k: creds[k] for k in ("client_id", "client_secret", "dev_ref")})
    return connection_token_save(connection=saved, token=_oauth_token(account))


def test_expired_token_is_refreshed_once_by_two_workers_at_once(
    committed_tenant_factory, new_account, control
):
    tenant = committed_tenant_factory()
    account = new_account("brightpearl")
    with inside(tenant):
        saved = _oauth_connection(account)
    control.expire_tokens("brightpearl", account["account"])
    results: dict[int, Any] = {}
    start = threading.Barrier(2)

    def worker(n: int) -> None:
        try:
            with inside(tenant):
                connector = connector_for(Connection.objects.get(pk=saved.pk))
                start.wait()
                connector.test()
                results[n] = connector.token["access_token"]
        except Exception as exc:  # recorded for the assertion below
            results[n] = exc
        finally:
            db.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with inside(tenant):
        stored = Connection.objects.get(pk=saved.pk).token["access_token"]
    assert results[1] == results[2] == stored
    assert stored != saved.token["access_token"]


@pytest.mark.django_db
def test_no_secret_or_token_is_stored_in_plaintext_anywhere_in_the_database(
    tenant_a, new_account
):
    account = new_account("brightpearl")
    saved = _oauth_connection(account)
    secrets = [saved.token["access_token"], saved.token["refresh_token"],
               saved.credentials["client_secret"], saved.webhook_secret]
    assert all(len(s) >= 12 for s in secrets)

    dump = _dump_every_table()

    for secret in secrets:
        assert secret not in dump


def _dump_every_table() -> str:
    """Every row of every table in every schema, as text (what pg_dump would write)."""
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema')")
        tables = cursor.fetchall()
        chunks = []
        for schema, table in tables:
            cursor.execute(f'SELECT row_to_json(t)::text FROM "{schema}"."{table}" t')  # noqa: S608
            chunks.extend(row[0] for row in cursor.fetchall())
    return "\n".join(chunks)
