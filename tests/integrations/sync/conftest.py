"""Pairs wired to fresh sandbox accounts, for pipeline tests in a real tenant schema."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.services.pairs import pair_create_from_template
from tests.connections import bigcommerce_connection, brightpearl_connection


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
