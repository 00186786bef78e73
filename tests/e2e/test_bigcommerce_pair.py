"""Brightpearl + BigCommerce end to end: real webhooks, web server, worker and sandboxes."""

from __future__ import annotations

import pytest

from integrations.models import Connection, RecordLink
from integrations.services.connections import connection_create, connector_for
from integrations.services.pairs import pair_create_from_template, pair_webhooks_register
from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.e2e

BILLING = {"first_name": "Ines", "last_name": "Müller", "street_1": "Torstraße 5",
           "city": "Berlin", "state": "", "zip": "10119", "country": "Germany",
           "country_iso2": "DE", "email": "ines@example.com"}


@pytest.fixture(scope="module")
def shop(live_stack, new_account_module):
    bp = new_account_module("brightpearl", seed={"products": 3, "customers": 1})
    bc = new_account_module("bigcommerce")
    with live_stack.inside():
        creds = bp["credentials"]
        bp_conn = connection_create(
            name=f"BP {bp['account']}", system="brightpearl", base_url=bp["base_url"],
            account=bp["account"], auth_type="private_app",
            credentials={"private_app_ref": creds["private_app_ref"],
                         "account_token": creds["account_token"]})
        bc_conn = connection_create(
            name=f"BC {bc['account']}", system="bigcommerce", base_url=bc["base_url"],
            account=bc["account"], auth_type="api_token",
            credentials={"store_hash": bc["account"],
                         "access_token": bc["credentials"]["access_token"]})
        pair = pair_create_from_template(name=f"Shop {bc['account']}",
                                         template_key="brightpearl-bigcommerce",
                                         brightpearl=bp_conn, partner=bc_conn)
        registration = pair_webhooks_register(pair=pair)
        assert registration.failed == {}
    return {"pair": pair, "bp": bp, "bc": bc, "bp_conn": bp_conn, "bc_conn": bc_conn}


def _link(live_stack, flow_key: str, source_id: str) -> RecordLink | None:
    with live_stack.inside():
        return RecordLink.objects.filter(flow__key=flow_key, source_id=source_id).first()


def test_storefront_order_lands_in_brightpearl_through_webhooks(live_stack, shop, control):
    bp_product = control.records("brightpearl", shop["bp"]["account"], "product")[0]
    with live_stack.inside():
        bp = connector_for(Connection.objects.get(pk=shop["bp_conn"].pk))
        bc = connector_for(Connection.objects.get(pk=shop["bc_conn"].pk))
        # A product change in Brightpearl fires its webhook: the product reaches the store.
        bp.upsert("product", {"salesChannels": [{"productName": "Renamed Lamp"}]},
                  external_id=str(bp_product["id"]))
    product_link = wait_until(lambda: _link(live_stack, "product-bp-to-bc",
                                            str(bp_product["id"])), what="product synced")

    with live_stack.inside():
        customer = bc.upsert("customer", {"email": "ines@example.com", "first_name": "Ines",
                                          "last_name": "Müller"})
    wait_until(lambda: _link(live_stack, "customer-bc-to-bp", customer.id),
               what="customer synced")
    with live_stack.inside():
        order = bc.upsert("sales_order", {
            "status_id": 1, "customer_id": int(customer.id), "billing_address": BILLING,
            "products": [{"product_id": int(product_link.target_id), "quantity": 3}]})

    order_link = wait_until(lambda: _link(live_stack, "sales-order-bc-to-bp", order.id),
                            what="order synced")
    with live_stack.inside():
        bp_order = bp.get("sales_order", order_link.target_id)
        assert [int(float(row["quantity"]["magnitude"])) for row in
                bp_order["orderRows"].values() if row.get("productId")] == [3]
        wait_until(lambda: bc.get("sales_order", order.id)["status_id"] == 11,
                   what="storefront order moved to Awaiting Fulfillment")
