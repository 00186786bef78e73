"""Brightpearl + Microsoft Dynamics GP end to end: every flow of the template, live.

Brightpearl → GP flows are driven by real Brightpearl webhooks (eConnect documents land in
GP); GP → Brightpearl flows by polling GP's read API (``modifiedSince``) with
``flow_run_now``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from integrations.services.connections import connection_create
from integrations.services.pairs import pair_create_from_template, pair_webhooks_register
from tests.e2e.erp_pairs import (
    bp_contact,
    bp_on_hand,
    bp_order,
    bp_payment,
    bp_product,
    bp_set_on_hand,
    bp_ship,
    connector,
    poll_until_linked,
    wait_link,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def gp(live_stack, sandbox_url, new_account_module) -> dict[str, Any]:
    bp_account = new_account_module("brightpearl", seed={"products": 1})
    company = new_account_module("dynamicsgp")
    with live_stack.inside():
        creds = bp_account["credentials"]
        bp_conn = connection_create(
            name=f"BP {bp_account['account']}", system="brightpearl",
            base_url=bp_account["base_url"], account=bp_account["account"],
            auth_type="private_app",
            credentials={"private_app_ref": creds["private_app_ref"],
                         "account_token": creds["account_token"]})
        gp_conn = connection_create(
            name=f"GP {company['account']}", system="dynamics_gp",
            base_url=f"{sandbox_url}/dynamicsgp", account=company["account"],
            auth_type="basic",
            credentials={**company["credentials"], "company": company["account"]})
        pair = pair_create_from_template(name=f"GP {company['account']}",
                                         template_key="brightpearl-dynamics-gp",
                                         brightpearl=bp_conn, partner=gp_conn)
        registration = pair_webhooks_register(pair=pair)
        assert registration.failed == {}
    return {"pair": pair, "bp": connector(live_stack, bp_conn),
            "gp": connector(live_stack, gp_conn)}


def test_products_and_customers_sync_both_ways(live_stack, gp):
    pair, bp, erp = gp["pair"], gp["bp"], gp["gp"]

    product_id = bp_product(bp, sku="e2e-lamp-1", name="Harbour Lamp", retail="49.99",
                            cost="21.50")
    link = wait_link(live_stack, pair, "product-bp-to-dynamics-gp", product_id)
    assert link.target_id == "E2E-LAMP-1"
    item = erp.get("product", "E2E-LAMP-1")
    assert (item["ITEMDESC"].strip(), Decimal(str(item["CURRCOST"])),
            int(item["ITEMSHWT"])) == ("Harbour Lamp", Decimal("21.5"), 125)

    contact_id = bp_contact(bp, first="Ines", last="Hughes", email="ines@example.com")
    link = wait_link(live_stack, pair, "customer-bp-to-dynamics-gp", contact_id)
    assert link.target_id == f"BP{contact_id}"
    customer = erp.get("customer", link.target_id)
    assert (customer["CUSTNAME"].strip(), customer["CITY"].strip(),
            customer["CCode"].strip(), customer["PYMTRMID"].strip()) == (
        "Ines Hughes", "Bristol", "GB", "Net 30")

    erp.upsert("product", {"ITEMNMBR": "GP-KETTLE", "ITEMDESC": "Copper Kettle",
                           "ITEMTYPE": 1, "ITMCLSCD": "HOME", "CURRCOST": "30.00",
                           "LISTPRCE": "64.00"})
    link = poll_until_linked(live_stack, pair, "product-dynamics-gp-to-bp", "GP-KETTLE")
    product = bp.get("product", link.target_id)
    assert product["identity"]["sku"] == "GP-KETTLE"
    assert product["salesChannels"][0]["productName"] == "Copper Kettle"
    prices = {p["priceListId"]: Decimal(str(p["quantityPrice"]["1"]))
              for p in product["priceLists"]}
    assert (prices[2], prices[1]) == (Decimal("64"), Decimal("30"))

    erp.upsert("customer", {"CUSTNMBR": "GPC001", "CUSTNAME": "Summit Outdoor Ltd",
                            "CNTCPRSN": "Priya Patel", "ADDRESS1": "1 Mill Road",
                            "CITY": "Leeds", "ZIPCODE": "LS1 4AP", "CCode": "GB",
                            "COUNTRY": "United Kingdom", "INET1": "priya@summit.example"})
    link = poll_until_linked(live_stack, pair, "customer-dynamics-gp-to-bp", "GPC001")
    contact = bp.get("customer", link.target_id)
    assert (contact["firstName"], contact["lastName"]) == ("Priya", "Patel")
    assert contact["communication"]["emails"]["PRI"]["email"] == "priya@summit.example"
    address = contact["postalAddresses"]["DEF"]
    assert (address["addressLine1"], address["countryIsoCode"]) == ("1 Mill Road", "GBR")


def test_stock_syncs_both_ways(live_stack, gp):
    pair, bp, erp = gp["pair"], gp["bp"], gp["gp"]
    product_id = bp_product(bp, sku="e2e-stock-1", name="Stock Lamp", retail="10.00",
                            cost="4.00")
    wait_link(live_stack, pair, "product-bp-to-dynamics-gp", product_id)
    bp_set_on_hand(bp, product_id=product_id, on_hand=17)
    link = wait_link(live_stack, pair, "inventory-bp-to-dynamics-gp", product_id)
    assert link.target_id == "MAIN/E2E-STOCK-1"
    assert Decimal(str(erp.get("inventory", "MAIN/E2E-STOCK-1")["QTYONHND"])) == 17

    erp.upsert("product", {"ITEMNMBR": "GP-STOCK-2", "ITEMDESC": "Stock Kettle",
                           "ITEMTYPE": 1, "LISTPRCE": "12.00"})
    product_link = poll_until_linked(live_stack, pair, "product-dynamics-gp-to-bp",
                                     "GP-STOCK-2")
    erp.inventory_adjust(item="GP-STOCK-2", site="MAIN", quantity=23)
    poll_until_linked(live_stack, pair, "inventory-dynamics-gp-to-bp", "MAIN/GP-STOCK-2")
    assert bp_on_hand(bp, product_link.target_id) == 23


def test_order_invoice_receipt_and_return_land_in_gp(live_stack, gp):
    pair, bp, erp = gp["pair"], gp["bp"], gp["gp"]
    product_id = bp_product(bp, sku="e2e-o2c-1", name="Order Lamp", retail="25.00",
                            cost="9.00")
    contact_id = bp_contact(bp, first="Oliver", last="Clarke", email="oliver@example.com")
    wait_link(live_stack, pair, "product-bp-to-dynamics-gp", product_id)
    wait_link(live_stack, pair, "customer-bp-to-dynamics-gp", contact_id)
    bp_set_on_hand(bp, product_id=product_id, on_hand=10)

    order_id = bp_order(bp, contact_id=contact_id, product_id=product_id)
    link = wait_link(live_stack, pair, "sales-order-bp-to-dynamics-gp", order_id)
    assert link.target_id == order_id
    document = erp.get("sales_order", order_id)
    assert (document["CUSTNMBR"].strip(), Decimal(str(document["SUBTOTAL"])),
            Decimal(str(document["FREIGHT"])), Decimal(str(document["DOCAMNT"]))) == (
        f"BP{contact_id}", Decimal(50), Decimal(5), Decimal(66))

    payment_id = bp_payment(bp, order_id=order_id, amount="66.00", reference="CARD-1")
    link = poll_until_linked(live_stack, pair, "payment-bp-to-dynamics-gp", payment_id)
    receipt = erp.get("payment", link.target_id)
    assert (receipt["CUSTNMBR"].strip(), Decimal(str(receipt["ORTRXAMT"]))) == (
        f"BP{contact_id}", Decimal(66))

    bp_ship(bp, order_id=order_id, tracking="1Z999E2E")
    link = wait_link(live_stack, pair, "shipment-bp-to-dynamics-gp", order_id)
    invoice = erp.get("invoice", link.target_id)
    assert (link.target_id, invoice["ORIGNUMB"].strip(), Decimal(str(invoice["SUBTOTAL"]))) == (
        f"INV{order_id}", order_id, Decimal(50))

    credit_id = bp_order(bp, kind="SC", contact_id=contact_id, product_id=product_id,
                         quantity=1, net="25.00", tax="5.00", shipping=None,
                         parent_id=order_id)
    link = wait_link(live_stack, pair, "credit-note-bp-to-dynamics-gp", credit_id)
    credit = erp.get("credit_note", link.target_id)
    assert (link.target_id, credit["ORIGNUMB"].strip(), Decimal(str(credit["DOCAMNT"]))) == (
        f"RTN{credit_id}", order_id, Decimal(30))


def test_supplier_and_purchase_order_land_in_gp(live_stack, gp):
    pair, bp, erp = gp["pair"], gp["bp"], gp["gp"]
    product_id = bp_product(bp, sku="e2e-po-1", name="Bought Lamp", retail="30.00",
                            cost="12.00")
    wait_link(live_stack, pair, "product-bp-to-dynamics-gp", product_id)
    supplier_id = bp_contact(bp, first="Harbour", last="Supplies", email="po@example.com",
                             supplier=True)
    link = wait_link(live_stack, pair, "supplier-bp-to-dynamics-gp", supplier_id)
    vendor = erp.get("supplier", link.target_id)
    assert (vendor["VENDORID"].strip(), vendor["VENDNAME"].strip()) == (
        f"BP{supplier_id}", "Harbour Supplies")

    order_id = bp_order(bp, kind="PO", contact_id=supplier_id, product_id=product_id,
                        quantity=5, net="60.00", tax="12.00", shipping=None)
    link = wait_link(live_stack, pair, "purchase-order-bp-to-dynamics-gp", order_id)
    purchase = erp.get("purchase_order", link.target_id)
    assert (link.target_id, purchase["VENDORID"].strip()) == (f"BP{order_id}",
                                                               f"BP{supplier_id}")


def test_goods_in_note_lands_as_a_pop_receipt_against_the_gp_purchase_order(live_stack, gp):
    pair, bp, erp = gp["pair"], gp["bp"], gp["gp"]
    product_id = bp_product(bp, sku="e2e-gin-1", name="Received Lamp", retail="30.00",
                            cost="12.00")
    wait_link(live_stack, pair, "product-bp-to-dynamics-gp", product_id)
    supplier_id = bp_contact(bp, first="Quay", last="Imports", email="gin@example.com",
                             supplier=True)
    wait_link(live_stack, pair, "supplier-bp-to-dynamics-gp", supplier_id)
    order_id = bp_order(bp, kind="PO", contact_id=supplier_id, product_id=product_id,
                        quantity=5, net="60.00", tax="12.00", shipping=None)
    wait_link(live_stack, pair, "purchase-order-bp-to-dynamics-gp", order_id)

    note_id = bp.goods_in_note_create(order_id, received_on="2026-03-05T09:00:00.000Z")
    link = wait_link(live_stack, pair, "goods-receipt-bp-to-dynamics-gp", note_id)

    receipt = erp.get("goods_receipt", link.target_id)
    [line] = receipt["lines"]
    assert (link.target_id, receipt["VENDORID"].strip(), receipt["receiptdate"]) == (
        f"BPGIN{note_id}", f"BP{supplier_id}", "2026-03-05")
    assert (line["PONUMBER"].strip(), line["ITEMNMBR"].strip(), Decimal(str(line["QTYSHPPD"])),
            Decimal(str(line["UNITCOST"]))) == (f"BP{order_id}", "E2E-GIN-1", Decimal(5),
                                                Decimal(12))
    purchase = erp.get("purchase_order", f"BP{order_id}")
    assert (purchase["POSTATUS"], Decimal(str(purchase["lines"][0]["QTYSHPPD"]))) == (
        4, Decimal(5))
