"""Brightpearl + SYSPRO end to end: every flow of the template, through the live stack.

Brightpearl → SYSPRO flows are driven by real Brightpearl webhooks; SYSPRO → Brightpearl
flows by polling SYSPRO (COMFND on the rowversion) with ``flow_run_now``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from integrations.services.connections import connection_create
from integrations.services.mappings import lookup_table_set
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
def syspro(live_stack, sandbox_url, new_account_module) -> dict[str, Any]:
    bp_account = new_account_module("brightpearl", seed={"products": 1})
    company = new_account_module("syspro", credentials={"company_password": "co-pass"},
                                 seed={"suppliers": 1})
    with live_stack.inside():
        creds = bp_account["credentials"]
        bp_conn = connection_create(
            name=f"BP {bp_account['account']}", system="brightpearl",
            base_url=bp_account["base_url"], account=bp_account["account"],
            auth_type="private_app",
            credentials={"private_app_ref": creds["private_app_ref"],
                         "account_token": creds["account_token"]})
        syspro_conn = connection_create(
            name=f"SYSPRO {company['account']}", system="syspro",
            base_url=f"{sandbox_url}/syspro/SYSPROWCFService/Rest", account=company["account"],
            auth_type="session",
            credentials={**company["credentials"], "company_id": company["account"]})
        pair = pair_create_from_template(name=f"SYSPRO {company['account']}",
                                         template_key="brightpearl-syspro",
                                         brightpearl=bp_conn, partner=syspro_conn)
        registration = pair_webhooks_register(pair=pair)
        assert registration.failed == {}
    return {"pair": pair, "bp": connector(live_stack, bp_conn),
            "syspro": connector(live_stack, syspro_conn)}


def test_products_and_customers_sync_both_ways(live_stack, syspro):
    pair, bp, erp = syspro["pair"], syspro["bp"], syspro["syspro"]

    product_id = bp_product(bp, sku="e2e-lamp-1", name="Harbour Lamp", retail="49.99",
                            cost="21.50")
    link = wait_link(live_stack, pair, "product-bp-to-syspro", product_id)
    assert link.target_id == "E2E-LAMP-1"
    item = erp.get("product", "E2E-LAMP-1")["StockItem"]
    assert (item["Description"], Decimal(str(item["ListPrice"]))) == (
        "Harbour Lamp", Decimal("49.99"))

    contact_id = bp_contact(bp, first="Ines", last="Hughes", email="ines@example.com")
    link = wait_link(live_stack, pair, "customer-bp-to-syspro", contact_id)
    assert link.target_id == f"BP{contact_id}"
    customer = erp.get("customer", link.target_id)["Customer"]
    assert (customer["Name"], customer["Email"], customer["SoldToAddr1"],
            customer["SoldToAddr5"]) == ("Ines Hughes", "ines@example.com", "12 Harbour Road",
                                         "United Kingdom")

    erp.upsert("product", {"StockCode": "SYS-KETTLE", "Description": "Copper Kettle",
                           "StockUom": "EA", "ProductClass": "HOME", "WarehouseToUse": "FG",
                           "ListPrice": "64.00", "Mass": "1.5"})
    link = poll_until_linked(live_stack, pair, "product-syspro-to-bp", "SYS-KETTLE")
    product = bp.get("product", link.target_id)
    assert product["identity"]["sku"] == "SYS-KETTLE"
    assert product["salesChannels"][0]["productName"] == "Copper Kettle"
    prices = {p["priceListId"]: Decimal(str(p["quantityPrice"]["1"]))
              for p in product["priceLists"]}
    assert prices[2] == Decimal("64")

    erp.upsert("customer", {"Customer": "SYSC001", "Name": "Priya Patel",
                            "Email": "priya@summit.example", "Telephone": "0113 496 0000",
                            "SoldToAddr1": "1 Mill Road", "SoldToAddr3": "Leeds",
                            "SoldToAddr5": "United Kingdom", "SoldPostalCode": "LS1 4AP",
                            "ShipToAddr1": "1 Mill Road", "ShipToAddr5": "United Kingdom",
                            "Currency": "GBP"})
    link = poll_until_linked(live_stack, pair, "customer-syspro-to-bp", "SYSC001")
    contact = bp.get("customer", link.target_id)
    assert (contact["firstName"], contact["lastName"]) == ("Priya", "Patel")
    assert contact["communication"]["emails"]["PRI"]["email"] == "priya@summit.example"
    address = contact["postalAddresses"]["DEF"]
    assert (address["addressLine1"], address["countryIsoCode"]) == ("1 Mill Road", "GBR")


def test_stock_syncs_both_ways(live_stack, syspro):
    pair, bp, erp = syspro["pair"], syspro["bp"], syspro["syspro"]
    product_id = bp_product(bp, sku="e2e-stock-1", name="Stock Lamp", retail="10.00",
                            cost="4.00")
    wait_link(live_stack, pair, "product-bp-to-syspro", product_id)
    bp_set_on_hand(bp, product_id=product_id, on_hand=17)
    link = wait_link(live_stack, pair, "inventory-bp-to-syspro", product_id)
    assert link.target_id == "FG/E2E-STOCK-1"
    assert Decimal(str(erp.get("inventory", "FG/E2E-STOCK-1")["QtyOnHand"])) == 17

    erp.upsert("product", {"StockCode": "SYS-STOCK-2", "Description": "Stock Kettle",
                           "StockUom": "EA", "WarehouseToUse": "FG", "ListPrice": "12.00"})
    product_link = poll_until_linked(live_stack, pair, "product-syspro-to-bp", "SYS-STOCK-2")
    erp.inventory_adjust(warehouse="FG", stock_code="SYS-STOCK-2", quantity=23)
    poll_until_linked(live_stack, pair, "inventory-syspro-to-bp", "FG/SYS-STOCK-2")
    assert bp_on_hand(bp, product_link.target_id) == 23


def test_order_payment_and_dispatch_land_in_syspro(live_stack, syspro):
    pair, bp, erp = syspro["pair"], syspro["bp"], syspro["syspro"]
    product_id = bp_product(bp, sku="e2e-o2c-1", name="Order Lamp", retail="25.00",
                            cost="9.00")
    contact_id = bp_contact(bp, first="Oliver", last="Clarke", email="oliver@example.com")
    wait_link(live_stack, pair, "product-bp-to-syspro", product_id)
    wait_link(live_stack, pair, "customer-bp-to-syspro", contact_id)
    bp_set_on_hand(bp, product_id=product_id, on_hand=10)

    order_id = bp_order(bp, contact_id=contact_id, product_id=product_id)
    link = wait_link(live_stack, pair, "sales-order-bp-to-syspro", order_id)
    order = erp.get("sales_order", link.target_id)
    header = order.get("SalesOrderHeader") or order.get("OrderHeader") or order
    assert (header["Customer"], header["CustomerPoNumber"]) == (f"BP{contact_id}", order_id)

    payment_id = bp_payment(bp, order_id=order_id, amount="66.00", reference="CARD-1")
    link = poll_until_linked(live_stack, pair, "payment-bp-to-syspro", payment_id)
    assert link.target_id == f"BP{contact_id}/CARD-1"
    paid = erp.find("ArPayHistory", [("Customer", "EQ", f"BP{contact_id}")])
    assert [(p["Reference"], Decimal(str(p["PaymentValue"]))) for p in paid] == [
        ("CARD-1", Decimal(66))]

    note_id = bp_ship(bp, order_id=order_id, tracking="1Z999E2E")
    link = wait_link(live_stack, pair, "shipment-bp-to-syspro", note_id)
    dispatch = erp.get("shipment", link.target_id)
    assert (dispatch["SalesOrder"].lstrip("0"),
            dispatch.get("WaybillNo")) == (order_link_number(live_stack, pair, order_id),
                                           "1Z999E2E")


def order_link_number(live_stack, pair, order_id: str) -> str:
    return wait_link(live_stack, pair, "sales-order-bp-to-syspro", order_id).target_id.lstrip("0")


def test_purchase_order_lands_in_syspro_for_the_mapped_supplier(live_stack, syspro):
    pair, bp, erp = syspro["pair"], syspro["bp"], syspro["syspro"]
    product_id = bp_product(bp, sku="e2e-po-1", name="Bought Lamp", retail="30.00",
                            cost="12.00")
    wait_link(live_stack, pair, "product-bp-to-syspro", product_id)
    supplier_code = erp.find("ApSupplier", [], rows=1)[0]["Supplier"]
    supplier_id = bp_contact(bp, first="Harbour", last="Supplies", email="po@example.com",
                             supplier=True)
    with live_stack.inside():
        lookup_table_set(name="syspro_suppliers", entries={supplier_id: supplier_code})
    order_id = bp_order(bp, kind="PO", contact_id=supplier_id, product_id=product_id,
                        quantity=5, net="60.00", tax="12.00", shipping=None)
    link = wait_link(live_stack, pair, "purchase-order-bp-to-syspro", order_id)
    header = erp.find("PorMasterHdr", [("PurchaseOrder", "EQ", link.target_id)])[0]
    assert (header["Supplier"], header["Reference"]) == (supplier_code,
                                                         f"E2E-{product_id}-PO/{order_id}")
