"""Connections to sandbox accounts (the dicts ``new_account`` returns), for tests."""

from __future__ import annotations

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
