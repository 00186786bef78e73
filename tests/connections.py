"""Connections to sandbox accounts (the dicts ``new_account`` returns), for tests."""

from __future__ import annotations

import html
import re
from typing import Any

from integrations.models import Connection
from integrations.services.connections import connection_create


def brightpearl_connection(account: dict[str, Any], name: str = "Brightpearl") -> Connection:
    creds = account["credentials"]
    return connection_create(
        name=name, system="brightpearl", base_url=account["base_url"],
        account=account["account"], auth_type="private_app",
        credentials={"private_app_ref": creds["private_app_ref"],
                     "account_token": creds["account_token"]})


def bigcommerce_connection(store: dict[str, Any], name: str = "BigCommerce") -> Connection:
    return connection_create(
        name=name, system="bigcommerce", base_url=store["base_url"], account=store["account"],
        auth_type="api_token",
        credentials={"store_hash": store["account"],
                     "access_token": store["credentials"]["access_token"]})


def oauth_continue_url(response: Any) -> str:
    """The consent link of the page a saved OAuth connection answers with (the page follows it
    by script; a redirect from the form would be blocked by CSP form-action)."""
    assert response.status_code == 200, response.content.decode()[:2000]
    found = re.search(r'<a class="button" href="([^"]+)" data-auto-continue>',
                      response.content.decode())
    assert found, "no continue link on the page"
    return html.unescape(found.group(1))
