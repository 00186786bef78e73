"""Fixtures shared by the integrations tests: a Brightpearl + BigCommerce pair in alpha."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection as db

from integrations.models import Flow
from integrations.services.connections import connection_create
from integrations.services.pairs import pair_create_from_template

# Nothing listens here: these tests read and write our own rows; a connection test fails fast.
NOWHERE = "http://127.0.0.1:9"


@pytest.fixture
def pair(tenant_a) -> Any:
    bp = connection_create(
        name="BP", system="brightpearl", base_url=f"{NOWHERE}/brightpearl", account="alpha",
        auth_type="private_app",
        credentials={"private_app_ref": "clarity-private", "account_token": "tok-SECRET-1"})
    bc = connection_create(
        name="BC", system="bigcommerce", base_url=f"{NOWHERE}/bigcommerce", account="store1",
        auth_type="api_token", credentials={"store_hash": "store1", "access_token": "tok-SECRET-2"})
    made = pair_create_from_template(name="Shop", template_key="brightpearl-bigcommerce",
                                     brightpearl=bp, partner=bc)
    db.set_tenant(tenant_a)
    return made


@pytest.fixture
def order_flow(pair) -> Flow:
    return pair.flows.get(key="sales-order-bc-to-bp")
