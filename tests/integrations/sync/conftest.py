"""Pairs wired to fresh sandbox accounts, for pipeline tests in a real tenant schema."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.models import Connection, InboundEvent, IntegrationPair
from integrations.services.connections import connection_create
from integrations.services.pairs import pair_create_from_template


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


@pytest.fixture
def bc_pair(tenant_a, new_account) -> dict[str, Any]:
    """Brightpearl + BigCommerce on fresh sandbox accounts, from the pair template."""
    bp_account = new_account("brightpearl", seed={"products": 4, "customers": 2})
    bc_store = new_account("bigcommerce")
    pair = pair_create_from_template(
        name="Shop", template_key="brightpearl-bigcommerce",
        brightpearl=brightpearl_connection(bp_account),
        partner=bigcommerce_connection(bc_store))
    return {"pair": pair, "bp": bp_account, "bc": bc_store}


def events_of(pair: IntegrationPair, flow_key: str) -> list[InboundEvent]:
    return list(InboundEvent.objects.filter(flow__pair=pair, flow__key=flow_key))
