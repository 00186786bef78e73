"""Brightpearl + BigCommerce end to end: real webhooks, web server, worker and sandboxes."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.models import Connection, RecordLink
from integrations.services.connections import connector_for
from tests.e2e.conftest import bigcommerce_pair, wait_until

pytestmark = pytest.mark.e2e

BILLING = {"first_name": "Ines", "last_name": "Müller", "street_1": "Torstraße 5",
           "city": "Berlin", "state": "", "zip": "10119", "country": "Germany",
           "country_iso2": "DE", "email": "ines@example.com"}


@pytest.fixture(scope="module")
def shop(live_stack, new_account_module):
    bp = new_account_module("brightpearl", seed={"products": 6, "customers": 1})
    bc = new_account_module("bigcommerce")
    return {**bigcommerce_pair(live_stack, bp, bc, name="Shop"), "bp": bp, "bc": bc}


def _link(live_stack, shop, flow_key: str, source_id: str) -> RecordLink | None:
    # Every sandbox account numbers its records alike: look in this module's pair only.
    with live_stack.inside():
        return RecordLink.objects.filter(flow__pair=shop["pair"], flow__key=flow_key,
                                         source_id=source_id).first()


def test_storefront_order_lands_in_brightpearl_through_webhooks(live_stack, shop, control):
    bp_product = control.records("brightpearl", shop["bp"]["account"], "product")[0]
    with live_stack.inside():
        bp = connector_for(Connection.objects.get(pk=shop["bp_conn"].pk))
        bc = connector_for(Connection.objects.get(pk=shop["bc_conn"].pk))
        # A product change in Brightpearl fires its webhook: the product reaches the store.
        bp.upsert("product", {"salesChannels": [{"productName": "Renamed Lamp"}]},
                  external_id=str(bp_product["id"]))
    product_link = wait_until(lambda: _link(live_stack, shop, "product-bp-to-bc",
                                            str(bp_product["id"])), what="product synced")

    with live_stack.inside():
        customer = bc.upsert("customer", {"email": "ines@example.com", "first_name": "Ines",
                                          "last_name": "Müller"})
    wait_until(lambda: _link(live_stack, shop, "customer-bc-to-bp", customer.id),
               what="customer synced")
    with live_stack.inside():
        order = bc.upsert("sales_order", {
            "status_id": 1, "customer_id": int(customer.id), "billing_address": BILLING,
            "products": [{"product_id": int(product_link.target_id), "quantity": 3}]})

    order_link = wait_until(lambda: _link(live_stack, shop, "sales-order-bc-to-bp", order.id),
                            what="order synced")
    with live_stack.inside():
        bp_order = bp.get("sales_order", order_link.target_id)
        assert [int(float(row["quantity"]["magnitude"])) for row in
                bp_order["orderRows"].values() if row.get("productId")] == [3]
        wait_until(lambda: bc.get("sales_order", order.id)["status_id"] == 11,
                   what="storefront order moved to Awaiting Fulfillment")


# --- every other flow of the pair -------------------------------------------------------------

def _connectors(live_stack, shop) -> tuple[Any, Any]:
    with live_stack.inside():
        return (connector_for(Connection.objects.get(pk=shop["bp_conn"].pk)),
                connector_for(Connection.objects.get(pk=shop["bc_conn"].pk)))


def _synced_product(live_stack, shop, control, index: int, name: str) -> tuple[dict, RecordLink]:
    """Brightpearl product ``index`` of the seed, changed so its webhook brings it to the
    store; → (the Brightpearl product, its record link)."""
    bp_product = control.records("brightpearl", shop["bp"]["account"], "product")[index]
    bp, _ = _connectors(live_stack, shop)
    with live_stack.inside():
        bp.upsert("product", {"salesChannels": [{"productName": name}]},
                  external_id=str(bp_product["id"]))
    link = wait_until(lambda: _link(live_stack, shop, "product-bp-to-bc", str(bp_product["id"])),
                      what=f"product {bp_product['id']} synced")
    return bp_product, link


def _synced_customer(live_stack, shop, email: str) -> tuple[str, RecordLink]:
    _, bc = _connectors(live_stack, shop)
    with live_stack.inside():
        customer = bc.upsert("customer", {"email": email, "first_name": "Ines",
                                          "last_name": "Müller"})
    return customer.id, wait_until(
        lambda: _link(live_stack, shop, "customer-bc-to-bp", customer.id),
        what="customer synced")


def _paid_order(live_stack, shop, control, *, index: int, email: str,
                quantity: int = 2) -> dict[str, Any]:
    """A card-paid storefront order (BigCommerce records a purchase transaction) that has
    reached Brightpearl; → ids of both sides."""
    _, product_link = _synced_product(live_stack, shop, control, index, f"Lamp {index}")
    customer_id, customer_link = _synced_customer(live_stack, shop, email)
    _, bc = _connectors(live_stack, shop)
    with live_stack.inside():
        order = bc.upsert("sales_order", {
            "status_id": 11, "payment_method": "Credit Card", "customer_id": int(customer_id),
            "billing_address": {**BILLING, "email": email},
            "products": [{"product_id": int(product_link.target_id), "quantity": quantity}]})
    order_link = wait_until(lambda: _link(live_stack, shop, "sales-order-bc-to-bp", order.id),
                            what="order synced")
    return {"bc_order": order.id, "bp_order": order_link.target_id,
            "bp_contact": customer_link.target_id, "bc_product": product_link.target_id,
            "bp_product": product_link.source_id}


def test_storefront_customer_lands_in_brightpearl_with_name_and_email(live_stack, shop):
    bp, _ = _connectors(live_stack, shop)
    _, link = _synced_customer(live_stack, shop, "lena.customer@example.com")
    with live_stack.inside():
        contact = bp.get("customer", link.target_id)
    assert (contact["firstName"], contact["lastName"]) == ("Ines", "Müller")
    assert contact["communication"]["emails"]["PRI"]["email"] == "lena.customer@example.com"


def test_brightpearl_contact_becomes_a_storefront_customer_with_its_address(live_stack, shop):
    bp, bc = _connectors(live_stack, shop)
    with live_stack.inside():
        contact = bp.upsert("customer", {
            "firstName": "Ola", "lastName": "Nordmann",
            "communication": {"emails": {"PRI": {"email": "ola.nordmann@example.com"}}},
            "relationshipToAccount": {"isCustomer": True},
            "postalAddresses": {kind: {"addressLine1": "Karl Johans gate 1",
                                       "addressLine3": "Oslo", "postalCode": "0154",
                                       "countryIsoCode": "NOR"}
                                for kind in ("DEF", "BIL", "DEL")}})
    link = wait_until(lambda: _link(live_stack, shop, "customer-bp-to-bc", contact.id),
                      what="contact synced to the store")
    with live_stack.inside():
        customer = bc.get("customer", link.target_id)
    assert customer["email"] == "ola.nordmann@example.com"
    assert (customer["first_name"], customer["last_name"]) == ("Ola", "Nordmann")
    assert [(a["address1"], a["city"], a["country_code"]) for a in customer["addresses"]] == [
        ("Karl Johans gate 1", "Oslo", "NO")]


def test_brightpearl_product_lands_in_the_store_with_sku_name_and_prices(live_stack, shop,
                                                                        control):
    bp_product, link = _synced_product(live_stack, shop, control, 1, "Garden Hose 25 m")
    bp, bc = _connectors(live_stack, shop)
    with live_stack.inside():
        source = bp.get("product", str(bp_product["id"]))
        product = bc.get("product", link.target_id)
    retail = next(p for p in source["priceLists"] if p["priceListId"] == 2)
    assert product["name"] == "Garden Hose 25 m"
    assert product["sku"] == source["identity"]["sku"] == link.natural_key
    assert float(product["price"]) == float(retail["quantityPrice"]["1"])


def test_brightpearl_stock_correction_sets_the_storefront_inventory_level(live_stack, shop,
                                                                          control):
    bp_product, product_link = _synced_product(live_stack, shop, control, 2, "Rake")
    bp, bc = _connectors(live_stack, shop)
    with live_stack.inside():
        bp.stock_correct(1, [{"productId": bp_product["id"], "quantity": 7,
                              "reason": "Found in the back"}])
        available = bp.get("inventory", str(bp_product["id"]))["warehouses"]["1"]["inStock"]

    def level_in_store() -> int | None:
        with live_stack.inside():
            items = bc.get("inventory", product_link.target_id)["items"]
        return next((loc["total_inventory_onhand"] for item in items
                     for loc in item["locations"] if loc["location_id"] == 1), None)

    wait_until(lambda: level_in_store() == int(available),
               what=f"store stock at location 1 = {available}")
    assert _link(live_stack, shop, "inventory-bp-to-bc", str(bp_product["id"]))


def test_card_payment_of_a_storefront_order_becomes_a_brightpearl_customer_payment(
        live_stack, shop, control):
    ids = _paid_order(live_stack, shop, control, index=3, email="pay@example.com")
    bp, bc = _connectors(live_stack, shop)
    link = wait_until(lambda: _link(live_stack, shop, "payment-bc-to-bp", ids["bc_order"]),
                      what="payment synced")
    with live_stack.inside():
        payment = bp.get("payment", link.target_id)
        order = bc.get("sales_order", ids["bc_order"])
    assert str(payment["orderId"]) == ids["bp_order"]
    assert (payment["paymentMethodCode"], payment["paymentType"]) == ("CARD", "RECEIPT")
    assert payment["amountPaid"] == float(order["total_inc_tax"])


def test_storefront_refund_becomes_a_brightpearl_sales_credit(live_stack, shop, control):
    ids = _paid_order(live_stack, shop, control, index=4, email="refund@example.com")
    bp, bc = _connectors(live_stack, shop)
    with live_stack.inside():
        line = bc.get("sales_order", ids["bc_order"])["products"][0]
        items = [{"item_type": "PRODUCT", "item_id": line["id"], "quantity": 1}]
        quote = bc.refund_quote(ids["bc_order"], items)
        refund = bc.refund_create(ids["bc_order"], items=items, payments=[{
            "provider_id": quote["refund_methods"][0][0]["provider_id"],
            "amount": quote["total_refund_amount"]}])
    link = wait_until(lambda: _link(live_stack, shop, "credit-note-bc-to-bp", refund.id),
                      what="refund synced", timeout=60)
    with live_stack.inside():
        credit = bp.get("credit_note", link.target_id)
    assert credit["reference"] == f"BC-RF-{ids['bc_order']}"
    assert str(credit["parties"]["customer"]["contactId"]) == ids["bp_contact"]
    rows = [row for row in credit["orderRows"].values() if row.get("productId")]
    assert [(str(r["productId"]), float(r["quantity"]["magnitude"]),
             float(r["rowValue"]["rowNet"]["value"])) for r in rows] == [
        (ids["bp_product"], 1.0, float(line["price_ex_tax"]))]


def test_shipped_goods_out_note_ships_the_storefront_order_with_tracking(live_stack, shop,
                                                                          control):
    ids = _paid_order(live_stack, shop, control, index=5, email="ship@example.com")
    bp, bc = _connectors(live_stack, shop)
    with live_stack.inside():
        (note_id,) = bp.goods_out_note_create(ids["bp_order"])
        bp.goods_out_note_ship(note_id, tracking="JD0002210", shipping_method_id=2)
    link = wait_until(lambda: _link(live_stack, shop, "shipment-bp-to-bc", note_id),
                      what="shipment synced")
    with live_stack.inside():
        (shipment,) = bc.shipments_list(ids["bc_order"])
        order = bc.get("sales_order", ids["bc_order"])
    assert link.target_id == f"{ids['bc_order']}/{shipment['id']}"
    assert (shipment["tracking_number"], shipment["tracking_carrier"]) == ("JD0002210", "dpd")
    assert [(i["product_id"], i["quantity"]) for i in shipment["items"]] == [
        (int(ids["bc_product"]), 2)]
    assert order["status_id"] == 2  # Shipped


def test_goods_out_note_for_part_of_an_order_ships_only_that_part(live_stack, shop, control):
    ids = _paid_order(live_stack, shop, control, index=0, email="partial@example.com",
                      quantity=2)
    bp, bc = _connectors(live_stack, shop)
    with live_stack.inside():
        rows = bp.get("sales_order", ids["bp_order"])["orderRows"]
        row_id, row = next((k, r) for k, r in rows.items() if r.get("productId"))
        line = bc.get("sales_order", ids["bc_order"])["products"][0]

    def ship_one(tracking: str) -> str:
        # One unit of the line leaves the warehouse.
        with live_stack.inside():
            (note_id,) = bp.goods_out_note_create(ids["bp_order"], body={"warehouses": [{
                "warehouseId": 1, "products": [{"productId": row["productId"],
                                                "salesOrderRowId": int(row_id),
                                                "quantity": 1}]}]})
            bp.goods_out_note_ship(note_id, tracking=tracking, shipping_method_id=2)
        wait_until(lambda: _link(live_stack, shop, "shipment-bp-to-bc", note_id),
                   what=f"shipment {tracking} synced")
        return note_id

    # The order flow kept the BigCommerce order product on the Brightpearl row.
    assert row["externalRef"] == str(line["id"])
    ship_one("PART-1")
    with live_stack.inside():
        (shipment,) = bc.shipments_list(ids["bc_order"])
        status = bc.get("sales_order", ids["bc_order"])["status_id"]
    assert [(i["order_product_id"], i["quantity"]) for i in shipment["items"]] == [
        (line["id"], 1)]
    assert status == 3  # Partially Shipped
    # The rest leaves later: BigCommerce marks the order Shipped.
    ship_one("PART-2")
    with live_stack.inside():
        shipments = bc.shipments_list(ids["bc_order"])
        order = bc.get("sales_order", ids["bc_order"])
    assert [(s["tracking_number"], [i["quantity"] for i in s["items"]]) for s in shipments] == [
        ("PART-1", [1]), ("PART-2", [1])]
    assert (order["status_id"], order["products"][0]["quantity_shipped"]) == (2, 2)
