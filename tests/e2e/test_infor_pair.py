"""Brightpearl + Infor M3 end to end: every flow of the template, through the live stack.

Brightpearl → M3 flows are driven by real Brightpearl webhooks; M3 → Brightpearl flows by
polling M3 (``flow_run_now``), as M3 has no webhooks.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from integrations.connectors.errors import NotFound
from integrations.models import IntegrationPair, Transaction
from integrations.services.connections import connection_create
from integrations.services.pairs import pair_create_from_template, pair_webhooks_register
from tests.e2e.erp_pairs import (
    bp_contact,
    bp_on_hand,
    bp_order,
    bp_payment,
    bp_product,
    bp_set_on_hand,
    connector,
    poll_until_linked,
    wait_link,
)
from tests.sandbox_harness import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def infor(live_stack, new_account_module) -> dict[str, Any]:
    bp_account = new_account_module("brightpearl", seed={"products": 1})
    m3_account = new_account_module("infor")
    with live_stack.inside():
        creds = bp_account["credentials"]
        bp_conn = connection_create(
            name=f"BP {bp_account['account']}", system="brightpearl",
            base_url=bp_account["base_url"], account=bp_account["account"],
            auth_type="private_app",
            credentials={"private_app_ref": creds["private_app_ref"],
                         "account_token": creds["account_token"]})
        m3_conn = connection_create(
            name=f"M3 {m3_account['account']}", system="infor",
            base_url=m3_account["credentials"]["iu"], account=m3_account["account"],
            auth_type="oauth2_password",
            credentials={"ionapi": json.dumps(m3_account["credentials"])})
        pair = pair_create_from_template(name=f"M3 {m3_account['account']}",
                                         template_key="brightpearl-infor",
                                         brightpearl=bp_conn, partner=m3_conn)
        registration = pair_webhooks_register(pair=pair)
        assert registration.failed == {}
    bp, m3 = connector(live_stack, bp_conn), connector(live_stack, m3_conn)
    return {"pair": pair, "bp": bp, "m3": m3, "m3_account": m3_account}


def _item(m3, itno: str) -> dict[str, str]:
    return m3.get("product", itno)


def test_products_and_customers_sync_both_ways(live_stack, infor):
    pair: IntegrationPair = infor["pair"]
    bp, m3 = infor["bp"], infor["m3"]

    product_id = bp_product(bp, sku="e2e-lamp-1", name="Harbour Lamp", retail="49.99",
                            cost="21.50")
    link = wait_link(live_stack, pair, "product-bp-to-infor", product_id)
    item = _item(m3, link.target_id)
    assert link.target_id == "E2E-LAMP-1"
    assert (item["ITDS"], Decimal(item["SAPR"]), Decimal(item["PUPR"])) == (
        "Harbour Lamp", Decimal("49.99"), Decimal("21.5"))

    contact_id = bp_contact(bp, first="Ines", last="Hughes", email="ines@example.com")
    link = wait_link(live_stack, pair, "customer-bp-to-infor", contact_id)
    customer = m3.get("customer", link.target_id)
    assert link.target_id == f"BP{contact_id}"
    assert (customer["CUNM"], customer["EMAL"], customer["CSCD"], customer["TOWN"]) == (
        "Ines Hughes", "ines@example.com", "GB", "Bristol")

    m3.upsert("product", {"ITNO": "M3-KETTLE", "ITDS": "Copper Kettle", "ITTY": "FIN",
                          "UNMS": "EA", "SAPR": "64.00", "PUPR": "30.00", "ITGR": "HOME"})
    link = poll_until_linked(live_stack, pair, "product-infor-to-bp", "M3-KETTLE")
    product = bp.get("product", link.target_id)
    assert product["identity"]["sku"] == "M3-KETTLE"
    assert product["salesChannels"][0]["productName"] == "Copper Kettle"
    prices = {p["priceListId"]: Decimal(str(p["quantityPrice"]["1"]))
              for p in product["priceLists"]}
    assert prices[2] == Decimal("64") and prices[1] == Decimal("30")

    m3.upsert("customer", {"CUNO": "M3C0001", "CUNM": "Summit Outdoor Ltd", "CUTP": "0",
                           "YREF": "Priya Patel", "CUA1": "1 Mill Road", "TOWN": "Leeds",
                           "PONO": "LS1 4AP", "CSCD": "GB", "EMAL": "priya@summit.example",
                           "CUCD": "GBP"})
    link = poll_until_linked(live_stack, pair, "customer-infor-to-bp", "M3C0001")
    contact = bp.get("customer", link.target_id)
    assert (contact["firstName"], contact["lastName"]) == ("Priya", "Patel")
    assert contact["communication"]["emails"]["PRI"]["email"] == "priya@summit.example"
    address = contact["postalAddresses"]["DEF"]
    assert (address["addressLine1"], address["countryIsoCode"]) == ("1 Mill Road", "GBR")


def test_stock_syncs_both_ways(live_stack, infor):
    pair, bp, m3 = infor["pair"], infor["bp"], infor["m3"]
    product_id = bp_product(bp, sku="e2e-stock-1", name="Stock Lamp", retail="10.00",
                            cost="4.00")
    wait_link(live_stack, pair, "product-bp-to-infor", product_id)
    bp_set_on_hand(bp, product_id=product_id, on_hand=17)
    link = wait_link(live_stack, pair, "inventory-bp-to-infor", product_id)
    assert link.target_id == "MAI/E2E-STOCK-1"
    assert Decimal(m3.get("inventory", "MAI/E2E-STOCK-1")["STQT"]) == 17

    # An item made in M3 reaches Brightpearl first; then its M3 stock follows.
    m3.upsert("product", {"ITNO": "M3-STOCK-2", "ITDS": "Stock Kettle", "ITTY": "FIN",
                          "UNMS": "EA", "SAPR": "12.00"})
    product_link = poll_until_linked(live_stack, pair, "product-infor-to-bp", "M3-STOCK-2")
    m3.inventory_adjust(warehouse="MAI", item="M3-STOCK-2", quantity=23)
    poll_until_linked(live_stack, pair, "inventory-infor-to-bp", "MAI/M3-STOCK-2")
    assert bp_on_hand(bp, product_link.target_id) == 23


def test_order_to_cash_lands_in_m3_and_the_delivery_comes_back(live_stack, infor):
    pair, bp, m3 = infor["pair"], infor["bp"], infor["m3"]
    product_id = bp_product(bp, sku="e2e-o2c-1", name="Order Lamp", retail="25.00",
                            cost="9.00")
    contact_id = bp_contact(bp, first="Oliver", last="Clarke", email="oliver@example.com")
    wait_link(live_stack, pair, "product-bp-to-infor", product_id)
    wait_link(live_stack, pair, "customer-bp-to-infor", contact_id)

    order_id = bp_order(bp, contact_id=contact_id, product_id=product_id)
    link = wait_link(live_stack, pair, "sales-order-bp-to-infor", order_id)
    head = m3.get("sales_order", link.target_id)
    assert (head["CUNO"], head["CUOR"], head["WHLO"], head["ORTP"]) == (
        f"BP{contact_id}", order_id, "MAI", "SO1")
    assert Decimal(head["NTLA"]) == Decimal(50)  # the product row only: freight is no line
    assert [(line["ITNO"], Decimal(line["ORQT"])) for line in head["Lines"]] == [
        ("E2E-O2C-1", Decimal(2))]

    # Payments are polled from Brightpearl (it has no payment event): a GL voucher in M3.
    payment_id = bp_payment(bp, order_id=order_id, amount="66.00", reference="CARD-1")
    link = poll_until_linked(live_stack, pair, "payment-bp-to-infor", payment_id)
    voucher = m3.get("journal", link.target_id)
    assert (Decimal(voucher["DBAM"]), Decimal(voucher["CRAM"]), voucher["CUCD"]) == (
        Decimal("66"), Decimal("66"), "GBP")

    credit_id = bp_order(bp, kind="SC", contact_id=contact_id, product_id=product_id,
                         quantity=1, net="25.00", tax="5.00", shipping=None,
                         parent_id=order_id)
    link = wait_link(live_stack, pair, "credit-note-bp-to-infor", credit_id)
    voucher = m3.get("journal", link.target_id)
    assert (Decimal(voucher["DBAM"]), Decimal(voucher["CRAM"])) == (Decimal(30), Decimal(30))

    # M3 delivers and invoices the order: the goods-out note lands in Brightpearl, shipped.
    orno = wait_link(live_stack, pair, "sales-order-bp-to-infor", order_id).target_id
    answer = httpx.post(f"{infor['m3_account']['base_url']}/_sandbox/"
                        f"{infor['m3_account']['account']}/orders/{orno}/deliver",
                        json={"carrier": "DHL", "tracking": "JD0001E2E"}, timeout=10)
    assert answer.status_code == 200, answer.text
    delivery = m3.list_changed("shipment", since=None).records
    dlix = next(d["DLIX"] for d in delivery if d["RIDN"] == orno)
    link = poll_until_linked(live_stack, pair, "shipment-infor-to-bp", dlix)
    note = bp.get("shipment", link.target_id)
    assert str(note["orderId"]) == order_id
    assert note["shipping"]["reference"] == "JD0001E2E"
    assert note["shipping"]["shippingMethodId"] == 3
    assert bp.get("sales_order", order_id)["shippingStatusCode"] == "ASS"


@pytest.fixture(scope="module")
def supplier(live_stack, infor) -> dict[str, Any]:
    """A supplier created in Brightpearl, once the supplier flow has written it to M3."""
    supplier_id = bp_contact(infor["bp"], first="Harbour", last="Supplies",
                             email="po@example.com", supplier=True)
    link = wait_link(live_stack, infor["pair"], "supplier-bp-to-infor", supplier_id)
    return {"id": supplier_id, "suno": link.target_id}


def test_a_supplier_created_in_brightpearl_lands_in_m3(infor, supplier):
    assert supplier["suno"] == f"BP{supplier['id']}"
    m3_supplier = infor["m3"].get("supplier", supplier["suno"])
    assert (m3_supplier["SUNM"], m3_supplier["YREF"], m3_supplier["TOWN"],
            m3_supplier["CSCD"]) == ("Harbour Supplies", "Harbour Supplies", "Bristol", "GB")


def test_a_purchase_order_for_that_supplier_lands_in_m3_naming_it(live_stack, infor,
                                                                   supplier):
    pair, bp, m3 = infor["pair"], infor["bp"], infor["m3"]
    product_id = bp_product(bp, sku="e2e-po-1", name="Bought Lamp", retail="30.00",
                            cost="12.00")
    wait_link(live_stack, pair, "product-bp-to-infor", product_id)
    order_id = bp_order(bp, kind="PO", contact_id=supplier["id"], product_id=product_id,
                        quantity=5, net="60.00", tax="12.00", shipping=None)
    link = wait_link(live_stack, pair, "purchase-order-bp-to-infor", order_id)
    head = m3.get("purchase_order", link.target_id)
    assert (head["SUNO"], head["WHLO"]) == (supplier["suno"], "MAI")
    assert [(line["ITNO"], Decimal(line["ORQA"]), Decimal(line["PUPR"]))
            for line in head["Lines"]] == [("E2E-PO-1", Decimal(5), Decimal(12))]


def test_a_customer_contact_is_not_made_an_m3_supplier(live_stack, infor):
    pair, bp = infor["pair"], infor["bp"]
    customer_id = bp_contact(bp, first="Only", last="Customer", email="only@example.com")
    wait_link(live_stack, pair, "customer-bp-to-infor", customer_id)

    def skipped() -> bool:
        with live_stack.inside():
            return Transaction.objects.filter(
                flow__pair=pair, flow__key="supplier-bp-to-infor", source_id=customer_id,
                status=Transaction.Status.SKIPPED).exists()

    wait_until(skipped, timeout=60)
    with pytest.raises(NotFound):
        infor["m3"].get("supplier", f"BP{customer_id}")
