"""Dynamics GP connector against the sandbox's eConnect HTTP shim, over real HTTP."""

from __future__ import annotations

import os
import time
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import pytest
import redis

from integrations.connectors.base import ConnectionConfig, paginate
from integrations.connectors.budget import RateLimit, RequestBudget
from integrations.connectors.dynamics_gp import DynamicsGpConnector
from integrations.connectors.dynamics_gp_schema import DOCUMENT_TYPES, build_document
from integrations.connectors.errors import (
    AuthError,
    ConfigurationError,
    NotFound,
    RateLimited,
    TransientError,
    ValidationFailed,
)
from tests.sandbox_harness import unique


def make(company: dict[str, Any], sandbox_url: str, **kwargs: Any) -> DynamicsGpConnector:
    config = ConnectionConfig(
        base_url=f"{sandbox_url}/dynamicsgp", account=company["account"], auth_type="basic",
        credentials={**company["credentials"], "company": company["account"]},
    )
    return DynamicsGpConnector(config, **kwargs)


@pytest.fixture
def company(new_account) -> dict[str, Any]:
    return new_account("dynamicsgp")


@pytest.fixture
def gp(company, sandbox_url) -> DynamicsGpConnector:
    return make(company, sandbox_url)


def add_customer(gp: DynamicsGpConnector) -> str:
    number = unique("C")
    gp.upsert("customer", {"CUSTNMBR": number, "CUSTNAME": "Acme & Sons", "CITY": "Leeds",
                           "CURNCYID": "Z-UK"})
    return number


def add_item(gp: DynamicsGpConnector, on_hand: int = 20) -> str:
    number = unique("ITEM")
    gp.upsert("product", {"ITEMNMBR": number, "ITEMDESC": "Blue widget", "LISTPRCE": 12.5})
    if on_hand:
        gp.inventory_adjust(item=number, site="MAIN", quantity=on_hand,
                            document_number=unique("ADJ"))
    return number


def sales(customer: str, item: str, number: str = "", **head: Any) -> dict[str, Any]:
    return {
        "taSopHdrIvcInsert": {"SOPNUMBE": number or unique("ORD"), "CUSTNMBR": customer,
                              "DOCDATE": "2025-06-01", "LOCNCODE": "MAIN", "TAXAMNT": 4.0,
                              "FREIGHT": 5.95, **head},
        "taSopLineIvcInsert_Items": [{"ITEMNMBR": item, "QUANTITY": 2, "UNITPRCE": 10.0}],
    }


# --- schema order ---------------------------------------------------------------------------

def test_document_elements_follow_schema_order_whatever_the_dict_order():
    document = build_document("customer", {"taUpdateCreateCustomerRcd": {
        "CITY": "Leeds", "CUSTNAME": "Acme", "CUSTNMBR": "C1", "UpdateIfExists": 1}})
    node = document.find("RMCustomerMasterType/taUpdateCreateCustomerRcd")
    assert [child.tag for child in node] == ["CUSTNMBR", "CUSTNAME", "CITY", "UpdateIfExists"]


def test_sales_document_puts_lines_before_the_header():
    layout = DOCUMENT_TYPES["sales"]
    document = build_document("sales", {"taSopHdrIvcInsert": {"SOPNUMBE": "1"},
                                        "taSopLineIvcInsert_Items": [{"ITEMNMBR": "A"}]})
    assert [c.tag for c in document.find(layout.name)] == ["taSopLineIvcInsert_Items",
                                                           "taSopHdrIvcInsert"]


def test_unknown_element_is_refused_before_sending():
    with pytest.raises(ValidationFailed) as caught:
        build_document("customer", {"taUpdateCreateCustomerRcd": {"CUSTNMBR": "C1",
                                                                  "NICKNAME": "x"}})
    assert caught.value.field == "taUpdateCreateCustomerRcd.NICKNAME"


def test_customer_number_longer_than_15_is_refused_naming_the_element():
    with pytest.raises(ValidationFailed) as caught:
        build_document("customer", {"taUpdateCreateCustomerRcd": {"CUSTNMBR": "C" * 16}})
    assert caught.value.field == "taUpdateCreateCustomerRcd.CUSTNMBR"


def test_values_are_escaped_by_the_xml_builder():
    document = build_document("customer", {"taUpdateCreateCustomerRcd": {
        "CUSTNMBR": "C1", "CUSTNAME": "</CUSTNAME><HOLD>1</HOLD>"}})
    node = document.find("RMCustomerMasterType/taUpdateCreateCustomerRcd")
    assert [c.tag for c in node] == ["CUSTNMBR", "CUSTNAME"]
    reparsed = ET.fromstring(ET.tostring(document))  # noqa: S314 - built by this test
    assert reparsed.find(".//CUSTNAME").text.startswith("</")


# --- auth -----------------------------------------------------------------------------------

def test_good_credentials_pass_the_connection_test(gp):
    gp.test()


def test_bad_password_is_an_auth_error_without_refresh(company, sandbox_url):
    company["credentials"]["password"] = "wrong"
    gp = make(company, sandbox_url, refresher=lambda token: pytest.fail("no refresh for Basic"))
    with pytest.raises(AuthError, match="cannot be refreshed") as caught:
        gp.test()
    assert caught.value.status == 401


def test_unknown_company_is_a_configuration_error(company, sandbox_url):
    company["account"] = "NOSUCHCO"
    with pytest.raises(ConfigurationError):
        make(company, sandbox_url).test()


# --- master records -------------------------------------------------------------------------

def test_customer_upsert_creates_then_updates(gp):
    number = add_customer(gp)
    again = gp.upsert("customer", {"CUSTNMBR": number, "CUSTNAME": "Renamed Co"})
    assert again.created is False
    customer = gp.get("customer", number)
    assert (customer["CUSTNAME"], customer["CITY"]) == ("Renamed Co", "Leeds")


def test_econnect_business_error_is_validation_failed_with_element(gp):
    with pytest.raises(ValidationFailed) as caught:
        gp.upsert("customer", {"CUSTNMBR": unique("C"), "CUSTNAME": "X", "CURNCYID": "Z-XX"})
    assert caught.value.field == "CURNCYID"
    assert caught.value.code == "9"
    assert "Multicurrency Setup" in caught.value.message


def test_item_and_vendor_upserts_are_readable(gp):
    item = add_item(gp, on_hand=0)
    vendor = unique("V")
    gp.upsert("supplier", {"VENDORID": vendor, "VENDNAME": "Widgets Inc"})
    assert gp.get("product", item)["ITEMDESC"] == "Blue widget"
    assert gp.get("supplier", vendor)["VENDNAME"] == "Widgets Inc"


def test_missing_customer_is_not_found(gp):
    with pytest.raises(NotFound):
        gp.get("customer", "NOSUCH")


# --- polling --------------------------------------------------------------------------------

def test_list_changed_follows_next_link_pages(gp, monkeypatch):
    monkeypatch.setattr("integrations.connectors.dynamics_gp.PAGE_SIZE", 2)
    since = datetime.now(UTC)
    numbers = [add_customer(gp) for _ in range(5)]
    listed = [r["CUSTNMBR"] for r in paginate(
        lambda cursor: gp.list_changed("customer", since=since, cursor=cursor))]
    assert listed == numbers


def test_list_changed_since_skips_older_records(gp):
    old = add_customer(gp)
    time.sleep(0.002)  # the mark is sent in milliseconds: a row of the same one is included
    since = datetime.now(UTC)
    new = add_customer(gp)
    records = gp.list_changed("customer", since=since).records
    assert [r["CUSTNMBR"] for r in records] == [new]
    assert old not in {r["CUSTNMBR"] for r in records}
    assert records[0]["DEX_ROW_TS"]


# --- sales documents ------------------------------------------------------------------------

def test_sales_order_computes_totals_and_is_readable(gp):
    customer, item = add_customer(gp), add_item(gp)
    result = gp.upsert("sales_order", sales(customer, item))
    order = gp.get("sales_order", result.id)
    assert result.created
    assert (order["SOPTYPE"], order["DOCID"]) == (2, "STDORD")
    assert (order["SUBTOTAL"], order["DOCAMNT"]) == (20.0, 29.95)
    assert gp.get("inventory", f"MAIN/{item}")["ATYALLOC"] == 2


def test_sales_order_sent_twice_is_created_once(gp):
    customer, item = add_customer(gp), add_item(gp)
    number = unique("ORD")
    assert gp.upsert("sales_order", sales(customer, item, number)).created
    again = gp.upsert("sales_order", sales(customer, item, number))
    assert (again.id, again.created) == (number, False)


def test_sales_order_for_unknown_customer_names_the_element(gp):
    item = add_item(gp)
    with pytest.raises(ValidationFailed) as caught:
        gp.upsert("sales_order", sales("NOSUCH", item))
    assert caught.value.field == "CUSTNMBR"
    assert caught.value.code == "23"


def test_wrong_document_amount_is_refused_by_econnect(gp):
    customer, item = add_customer(gp), add_item(gp)
    with pytest.raises(ValidationFailed) as caught:
        gp.upsert("sales_order", sales(customer, item, DOCAMNT=1))
    assert caught.value.field == "DOCAMNT"


def test_invoice_and_credit_note_use_their_sop_types(gp):
    customer, item = add_customer(gp), add_item(gp)
    invoice = gp.invoice_create(sales(customer, item, unique("INV")))
    credit = gp.credit_note_create(sales(customer, item, unique("RTN"), TAXAMNT=0, FREIGHT=0))
    assert gp.get("invoice", invoice.id)["SOPTYPE"] == 3
    assert gp.get("credit_note", credit.id)["DOCID"] == "RTN"
    listed = gp.list_changed("credit_note", since=None).records
    assert [r["SOPNUMBE"] for r in listed] == [credit.id]


def test_sales_order_transfer_makes_an_invoice_with_the_orders_lines(gp):
    customer, item = add_customer(gp), add_item(gp)
    order = gp.upsert("sales_order", sales(customer, item))
    result = gp.sales_order_transfer(sopnumber=order.id, doc_date="2025-06-03")
    invoice = gp.get("invoice", result.id)
    assert (result.id, result.created) == (f"INV{order.id}", True)
    assert (invoice["ORIGTYPE"], invoice["ORIGNUMB"], invoice["DOCDATE"]) == (
        2, order.id, "2025-06-03")
    assert (invoice["SUBTOTAL"], invoice["FREIGHT"], invoice["DOCAMNT"]) == (20.0, 5.95, 29.95)
    assert [(line["ITEMNMBR"], line["QUANTITY"]) for line in invoice["lines"]] == [(item, 2.0)]
    stock = gp.get("inventory", f"MAIN/{item}")
    assert (stock["QTYONHND"], stock["ATYALLOC"]) == (18, 0)
    assert gp.get("sales_order", order.id)["TRANSFERRED"] == 1


def test_sales_order_transfer_sent_twice_answers_the_same_invoice(gp):
    customer, item = add_customer(gp), add_item(gp)
    order = gp.upsert("sales_order", sales(customer, item))
    invoice_number = unique("INV")
    first = gp.sales_order_transfer(sopnumber=order.id, invoice_number=invoice_number)
    again = gp.sales_order_transfer(sopnumber=order.id, invoice_number=invoice_number)
    assert (first.created, again.id, again.created) == (True, invoice_number, False)


def test_transfer_to_a_second_invoice_number_is_refused(gp):
    customer, item = add_customer(gp), add_item(gp)
    order = gp.upsert("sales_order", sales(customer, item))
    gp.sales_order_transfer(sopnumber=order.id)
    with pytest.raises(ValidationFailed) as caught:
        gp.sales_order_transfer(sopnumber=order.id, invoice_number=unique("INV"))
    assert caught.value.code == "nothing_to_invoice"


def test_transfer_of_a_part_invoiced_order_invoices_the_rest_without_freight(gp):
    customer, item = add_customer(gp), add_item(gp)
    order = gp.upsert("sales_order", sales(customer, item))
    gp.invoice_create({
        "taSopHdrIvcInsert": {"SOPNUMBE": unique("INV"), "CUSTNMBR": customer,
                              "DOCDATE": "2025-06-02", "ORIGTYPE": 2, "ORIGNUMB": order.id,
                              "TAXAMNT": 2.0, "FREIGHT": 5.95},
        "taSopLineIvcInsert_Items": [{"ITEMNMBR": item, "QUANTITY": 1, "UNITPRCE": 10.0,
                                      "LOCNCODE": "MAIN"}]})
    rest = gp.get("invoice", gp.sales_order_transfer(sopnumber=order.id).id)
    assert [line["QUANTITY"] for line in rest["lines"]] == [1.0]
    assert (rest["SUBTOTAL"], rest["FREIGHT"], rest["DOCAMNT"]) == (10.0, 0.0, 10.0)


def test_transfer_of_an_unknown_order_is_not_found(gp):
    with pytest.raises(NotFound):
        gp.sales_order_transfer(sopnumber="NO-SUCH-ORDER")


def test_invoice_naming_an_order_that_does_not_exist_is_refused_by_econnect(gp):
    customer, item = add_customer(gp), add_item(gp)
    with pytest.raises(ValidationFailed) as caught:
        gp.invoice_create(sales(customer, item, unique("INV"), ORIGTYPE=2, ORIGNUMB="GHOST"))
    assert (caught.value.code, caught.value.field) == ("29", "ORIGNUMB")


# --- receipts, journals, purchasing, inventory ----------------------------------------------

def test_cash_receipt_is_posted_once(gp):
    customer = add_customer(gp)
    receipt = {"CUSTNMBR": customer, "DOCNUMBR": unique("PMT"), "DOCDATE": "2025-06-02",
               "ORTRXAMT": 29.95, "CSHRCTYP": 2, "CRCARDID": "VISA"}
    assert gp.payment_create(receipt).created
    assert gp.upsert("payment", receipt).created is False
    assert gp.get("payment", receipt["DOCNUMBR"])["ORTRXAMT"] == 29.95


def journal(number: int, credit: float = 100.0) -> dict[str, Any]:
    return {
        "taGLTransactionHeaderInsert": {"JRNENTRY": number, "REFRENCE": "BP payment",
                                        "TRXDATE": "2025-06-02"},
        "taGLTransactionLineInsert_Items": [
            {"ACTNUMST": "000-1100-00", "DEBITAMT": 100.0},
            {"ACTNUMST": "000-1200-00", "CRDTAMNT": credit},
        ],
    }


def test_balanced_journal_is_posted_and_readable(gp):
    number = int(uuid.uuid4().int % 10**8) + 1
    result = gp.journal_post(journal(number))
    entry = gp.get("journal", result.id)
    assert (entry["DEBITAMT"], entry["CRDTAMNT"]) == (100.0, 100.0)


def test_unbalanced_journal_is_refused_before_sending(gp):
    with pytest.raises(ValidationFailed, match="does not balance"):
        gp.journal_post(journal(5, credit=90.0))


def test_unknown_gl_account_names_the_element(gp):
    entry = journal(int(uuid.uuid4().int % 10**8) + 1)
    entry["taGLTransactionLineInsert_Items"][0]["ACTNUMST"] = "999-9999-99"
    with pytest.raises(ValidationFailed) as caught:
        gp.journal_post(entry)
    assert caught.value.field == "ACTNUMST"


def test_purchase_order_is_created_with_lines(gp):
    item, vendor = add_item(gp, on_hand=0), unique("V")
    gp.upsert("supplier", {"VENDORID": vendor, "VENDNAME": "Widgets Inc"})
    number = unique("PO")
    result = gp.upsert("purchase_order", {
        "taPoHdr": {"PONUMBER": number, "VENDORID": vendor, "DOCDATE": "2025-06-01",
                    "LOCNCODE": "MAIN"},
        "taPoLine_Items": [{"ITEMNMBR": item, "QUANTITY": 5, "UNITCOST": 3.5}],
    })
    po = gp.get("purchase_order", result.id)
    assert (po["VENDORID"], po["SUBTOTAL"]) == (vendor, 17.5)
    assert gp.get("inventory", f"MAIN/{item}")["QTYONORD"] == 5


def purchase_order(gp: DynamicsGpConnector, quantity: int = 5) -> tuple[str, str, str]:
    item, vendor = add_item(gp, on_hand=0), unique("V")
    gp.upsert("supplier", {"VENDORID": vendor, "VENDNAME": "Widgets Inc"})
    number = gp.upsert("purchase_order", {
        "taPoHdr": {"PONUMBER": unique("PO"), "VENDORID": vendor, "DOCDATE": "2025-06-01",
                    "LOCNCODE": "MAIN"},
        "taPoLine_Items": [{"ITEMNMBR": item, "QUANTITY": quantity, "UNITCOST": 3.5}],
    }).id
    return number, vendor, item


def receipt(po: str, vendor: str, item: str, quantity: float, number: str = "") -> dict:
    return {
        "taPopRcptHdrInsert": {"POPRCTNM": number or unique("RCT"), "VENDORID": vendor,
                               "receiptdate": "2025-06-05"},
        "taPopRcptLineInsert_Items": [{"PONUMBER": po, "ITEMNMBR": item,
                                       "QTYSHPPD": quantity, "LOCNCODE": "MAIN"}],
    }


def test_goods_receipt_receives_po_lines_into_stock(gp):
    po, vendor, item = purchase_order(gp)
    result = gp.upsert("goods_receipt", receipt(po, vendor, item, 5))
    received = gp.get("goods_receipt", result.id)
    assert (received["POPTYPE"], received["BACHNUMB"], received["SUBTOTAL"]) == (
        1, "CLARITY", 17.5)
    stock = gp.get("inventory", f"MAIN/{item}")
    assert (stock["QTYONHND"], stock["QTYONORD"]) == (5, 0)
    order = gp.get("purchase_order", po)
    assert (order["POSTATUS"], order["lines"][0]["QTYSHPPD"]) == (4, 5)


def test_goods_receipt_sent_twice_is_received_once(gp):
    po, vendor, item = purchase_order(gp)
    number = unique("RCT")
    assert gp.upsert("goods_receipt", receipt(po, vendor, item, 2, number)).created
    again = gp.upsert("goods_receipt", receipt(po, vendor, item, 2, number))
    assert (again.id, again.created) == (number, False)
    assert gp.get("inventory", f"MAIN/{item}")["QTYONHND"] == 2


def test_receiving_more_than_ordered_is_validation_failed_naming_the_element(gp):
    po, vendor, item = purchase_order(gp, quantity=2)
    with pytest.raises(ValidationFailed) as caught:
        gp.upsert("goods_receipt", receipt(po, vendor, item, 3))
    assert (caught.value.code, caught.value.field) == ("250", "QTYSHPPD")


def test_goods_receipt_for_an_unknown_po_is_validation_failed(gp):
    _, vendor, item = purchase_order(gp)
    with pytest.raises(ValidationFailed) as caught:
        gp.upsert("goods_receipt", receipt("NO-SUCH-PO", vendor, item, 1))
    assert (caught.value.code, caught.value.field) == ("246", "PONUMBER")


def test_goods_receipt_without_a_number_is_refused_before_sending(gp):
    with pytest.raises(ValidationFailed) as caught:
        gp.goods_receipt_create({"taPopRcptHdrInsert": {"VENDORID": "V"}})
    assert caught.value.field == "POPRCTNM"


def test_goods_receipts_are_listed_by_change(gp):
    po, vendor, item = purchase_order(gp)
    since = datetime.now(UTC)
    result = gp.upsert("goods_receipt", receipt(po, vendor, item, 1))
    rows = gp.list_changed("goods_receipt", since=since).records
    assert [gp.record_id("goods_receipt", r) for r in rows] == [result.id]


def test_inventory_upsert_sets_quantity_on_hand(gp):
    item = add_item(gp, on_hand=10)
    gp.upsert("inventory", {"ITEMNMBR": item, "LOCNCODE": "MAIN", "QTYONHND": 7})
    assert gp.get("inventory", f"MAIN/{item}")["QTYONHND"] == 7
    rows = gp.list_changed("inventory", since=None).records
    assert f"MAIN/{item}" in {gp.record_id("inventory", r) for r in rows}


def test_adjustment_below_zero_is_validation_failed(gp):
    item = add_item(gp, on_hand=1)
    with pytest.raises(ValidationFailed) as caught:
        gp.inventory_adjust(item=item, site="MAIN", quantity=-3, document_number=unique("A"))
    assert caught.value.field == "TRXQTY"


# --- faults and limits ----------------------------------------------------------------------

def test_rate_limit_answer_is_rate_limited_with_retry_after(gp, control, company):
    control.limits("dynamicsgp", company["account"], requests_per_minute=2)
    gp.test()
    gp.test()
    with pytest.raises(RateLimited) as caught:
        gp.test()
    assert caught.value.status == 429
    assert caught.value.wait_s >= 1


@pytest.mark.parametrize(("mode", "error"), [
    ("error_5xx_rate", TransientError),
    ("rate_limit_rate", RateLimited),
    ("drop_rate", TransientError),
    ("malformed_rate", TransientError),
    ("hang_rate", TransientError),
])
def test_every_fault_mode_maps_to_its_error_class(company, sandbox_url, control, mode, error):
    gp = make(company, sandbox_url, timeout=(1, 1))
    control.faults("dynamicsgp", company["account"], **{mode: 1.0})
    with pytest.raises(error):
        gp.list_changed("customer", since=None)


def test_econnect_server_failure_is_transient(gp, control, company):
    control.faults("dynamicsgp", company["account"], error_5xx_rate=1.0)
    with pytest.raises(TransientError):
        gp.upsert("customer", {"CUSTNMBR": unique("C"), "CUSTNAME": "X"})


def test_budget_keeps_a_burst_under_a_low_sandbox_limit(company, sandbox_url, control):
    control.limits("dynamicsgp", company["account"], requests_per_minute=5)
    client = redis.Redis.from_url(os.environ["BROKER_URL"])
    budget = RequestBudget(client, key=f"test:gp:{uuid.uuid4().hex}",
                           limit=RateLimit(requests=5, period_s=60), max_wait_s=0.2)
    gp = make(company, sandbox_url, budget=budget)
    outcomes = []
    for _ in range(8):
        try:
            gp.test()
            outcomes.append("ok")
        except RateLimited as exc:
            outcomes.append("system" if exc.status else "budget")
    assert "system" not in outcomes
    assert "budget" in outcomes
    assert 1 <= outcomes.count("ok") <= 5
