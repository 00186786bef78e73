"""Dynamics GP eConnect HTTP shim, driven over real HTTP."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.sandbox_harness import SandboxControl, unique


def parse_xml(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # noqa: S314 - the answer of our own local sandbox


SEED = {"products": 5, "customers": 4, "orders": 5, "suppliers": 2, "purchase_orders": 2}


class GP:
    def __init__(self, http: httpx.Client, company: dict[str, Any]) -> None:
        self.http = http
        self.name = company["account"]
        creds = company["credentials"]
        self.auth = (creds["username"], creds["password"])

    def post(self, xml: str) -> httpx.Response:
        return self.http.post(f"/dynamicsgp/{self.name}/econnect", content=xml.encode(),
                              auth=self.auth, headers={"Content-Type": "application/xml"})

    def ok(self, xml: str) -> ET.Element:
        response = self.post(xml)
        assert response.status_code == 200, response.text
        root = parse_xml(response.content)
        assert root.findtext("Success") == "true"
        return root

    def error(self, xml: str) -> ET.Element:
        response = self.post(xml)
        assert response.status_code == 400, response.text
        root = parse_xml(response.content)
        assert root.findtext("Success") == "false"
        error = root.find("Errors/Error")
        assert error is not None
        return error

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(f"/dynamicsgp/{self.name}/api/v1/{path}", params=params,
                             auth=self.auth)


@pytest.fixture
def company(new_account: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return new_account("dynamicsgp", seed=SEED)


@pytest.fixture
def gp(http: httpx.Client, company: dict[str, Any]) -> GP:
    return GP(http, company)


def customer_xml(number: str, name: str = "Harbor & Pine Ltd", **extra: str) -> str:
    fields = "".join(f"<{k}>{v}</{k}>" for k, v in extra.items())
    return (f"<eConnect><RMCustomerMasterType><taUpdateCreateCustomerRcd>"
            f"<CUSTNMBR>{number}</CUSTNMBR><CUSTNAME>{name.replace('&', '&amp;')}</CUSTNAME>"
            f"{fields}</taUpdateCreateCustomerRcd></RMCustomerMasterType></eConnect>")


def item_xml(number: str, description: str = "Cast Iron Skillet") -> str:
    return (f"<eConnect><IVItemMasterType><taUpdateCreateItemRcd><ITEMNMBR>{number}</ITEMNMBR>"
            f"<ITEMDESC>{description}</ITEMDESC><ITEMTYPE>1</ITEMTYPE><CURRCOST>20.00</CURRCOST>"
            f"<UOMSCHDL>EACH</UOMSCHDL></taUpdateCreateItemRcd></IVItemMasterType></eConnect>")


def sop_xml(number: str, customer: str, item: str, *, sop_type: int = 2, qty: int = 2,
            price: str = "45.00", subtotal: str = "90.00", docamnt: str = "108.00",
            header_first: bool = False) -> str:
    docid = {2: "STDORD", 3: "STDINV", 4: "RTN"}[sop_type]
    lines = (f"<taSopLineIvcInsert_Items><taSopLineIvcInsert><SOPTYPE>{sop_type}</SOPTYPE>"
             f"<SOPNUMBE>{number}</SOPNUMBE><CUSTNMBR>{customer}</CUSTNMBR>"
             f"<DOCDATE>2025-06-01</DOCDATE><LOCNCODE>MAIN</LOCNCODE><ITEMNMBR>{item}</ITEMNMBR>"
             f"<UNITPRCE>{price}</UNITPRCE><XTNDPRCE>{subtotal}</XTNDPRCE>"
             f"<QUANTITY>{qty}</QUANTITY><DOCID>{docid}</DOCID></taSopLineIvcInsert>"
             f"</taSopLineIvcInsert_Items>")
    header = (f"<taSopHdrIvcInsert><SOPTYPE>{sop_type}</SOPTYPE><DOCID>{docid}</DOCID>"
              f"<SOPNUMBE>{number}</SOPNUMBE><TAXAMNT>18.00</TAXAMNT><LOCNCODE>MAIN</LOCNCODE>"
              f"<DOCDATE>2025-06-01</DOCDATE><CUSTNMBR>{customer}</CUSTNMBR>"
              f"<CSTPONBR>BP-{number}</CSTPONBR><SUBTOTAL>{subtotal}</SUBTOTAL>"
              f"<DOCAMNT>{docamnt}</DOCAMNT><BACHNUMB>BPORDERS</BACHNUMB></taSopHdrIvcInsert>")
    body = header + lines if header_first else lines + header
    return f"<eConnect><SOPTransactionType>{body}</SOPTransactionType></eConnect>"


def _customer_and_item(gp: GP) -> tuple[str, str]:
    customer, item = unique("CU"), unique("IT")
    gp.ok(customer_xml(customer))
    gp.ok(item_xml(item))
    gp.ok(_adjustment(unique("ADJ"), item, 10))
    return customer, item


def _adjustment(number: str, item: str, qty: int) -> str:
    return (f"<eConnect><IVInventoryTransactionType><taIVTransactionLineInsert_Items>"
            f"<taIVTransactionLineInsert><IVDOCNBR>{number}</IVDOCNBR><IVDOCTYP>1</IVDOCTYP>"
            f"<ITEMNMBR>{item}</ITEMNMBR><TRXQTY>{qty}</TRXQTY><TRXLOCTN>MAIN</TRXLOCTN>"
            f"</taIVTransactionLineInsert></taIVTransactionLineInsert_Items>"
            f"<taIVTransactionHeaderInsert><BACHNUMB>ADJ</BACHNUMB><IVDOCNBR>{number}</IVDOCNBR>"
            f"<IVDOCTYP>1</IVDOCTYP><DOCDATE>2025-06-01</DOCDATE></taIVTransactionHeaderInsert>"
            f"</IVInventoryTransactionType></eConnect>")


# -- auth ---------------------------------------------------------------------------------------

def test_wrong_password_is_401_with_basic_challenge(http: httpx.Client, gp: GP) -> None:
    response = http.get(f"/dynamicsgp/{gp.name}/api/v1/customers", auth=("econnect", "nope"))
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")
    assert response.json()["error"]["code"] == "Unauthorized"


def test_missing_credentials_on_econnect_is_401(http: httpx.Client, gp: GP) -> None:
    response = http.post(f"/dynamicsgp/{gp.name}/econnect", content=customer_xml("X1"))
    assert response.status_code == 401


def test_unknown_company_is_404(http: httpx.Client) -> None:
    response = http.get("/dynamicsgp/NOPE/api/v1/customers", auth=("econnect", "x"))
    assert response.status_code == 404


# -- masters ------------------------------------------------------------------------------------

def test_customer_create_get_update(gp: GP) -> None:
    number = unique("CU")
    root = gp.ok(customer_xml(number, ADDRESS1="1 High Street", CITY="Bristol"))
    assert root.findtext("Documents/Document/Id") == number
    assert gp.get(f"customers/{number}").json()["CITY"] == "Bristol"
    gp.ok(customer_xml(number, "Harbor and Pine Ltd", CITY="Bath"))
    customer = gp.get(f"customers/{number}").json()
    assert (customer["CUSTNAME"], customer["CITY"]) == ("Harbor and Pine Ltd", "Bath")


def test_customer_number_longer_than_15_is_a_schema_error(gp: GP) -> None:
    error = gp.error(customer_xml("C" * 16))
    assert error.findtext("Element") == "CUSTNMBR"
    assert "MaxLength" in (error.findtext("ErrorDescription") or "")


def test_existing_customer_with_update_if_exists_0_is_refused(gp: GP) -> None:
    number = unique("CU")
    gp.ok(customer_xml(number))
    error = gp.error(customer_xml(number, UpdateIfExists="0"))
    assert error.findtext("StoredProcedure") == "taUpdateCreateCustomerRcd"
    assert error.findtext("ErrorNumber") == "61"


def test_out_of_order_element_is_refused_naming_it(gp: GP) -> None:
    xml = ("<eConnect><RMCustomerMasterType><taUpdateCreateCustomerRcd><CUSTNMBR>X2</CUSTNMBR>"
           "<CITY>Leeds</CITY><CUSTNAME>Late Name</CUSTNAME></taUpdateCreateCustomerRcd>"
           "</RMCustomerMasterType></eConnect>")
    error = gp.error(xml)
    assert error.findtext("Element") == "CUSTNAME"
    assert error.findtext("ErrorNumber") == "9001"
    assert "has invalid child element 'CUSTNAME'" in (error.findtext("ErrorDescription") or "")


def test_unknown_element_is_refused(gp: GP) -> None:
    error = gp.error(customer_xml(unique("CU"), FAVOURITE="blue"))
    assert error.findtext("Element") == "FAVOURITE"


def test_malformed_xml_is_refused(gp: GP) -> None:
    error = gp.error("<eConnect><RMCustomerMasterType>")
    assert "Line" in (error.findtext("ErrorDescription") or "")


def test_item_create_and_read(gp: GP) -> None:
    number = unique("IT")
    gp.ok(item_xml(number))
    assert gp.get(f"items/{number}").json()["ITEMDESC"] == "Cast Iron Skillet"


def test_vendor_and_site_create(gp: GP) -> None:
    vendor, site = unique("V"), unique("S")[:10]
    gp.ok(f"<eConnect><PMVendorMasterType><taUpdateCreateVendorRcd><VENDORID>{vendor}"
          f"</VENDORID><VENDNAME>Atlas Wholesale</VENDNAME></taUpdateCreateVendorRcd>"
          f"</PMVendorMasterType></eConnect>")
    gp.ok(f"<eConnect><IVInventorySiteType><taCreateInventorySite><LOCNCODE>{site}</LOCNCODE>"
          f"<LOCNDSCR>Overflow</LOCNDSCR></taCreateInventorySite></IVInventorySiteType>"
          f"</eConnect>")
    assert gp.get(f"vendors/{vendor}").json()["VENDNAME"] == "Atlas Wholesale"
    assert gp.get(f"sites/{site}").json()["LOCNDSCR"] == "Overflow"


def test_missing_record_is_404_json(gp: GP) -> None:
    response = gp.get("customers/NOBODY")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NotFound"


# -- sales documents ----------------------------------------------------------------------------

def test_sales_order_is_created_and_allocates_stock(gp: GP) -> None:
    customer, item = _customer_and_item(gp)
    number = unique("ORD")
    gp.ok(sop_xml(number, customer, item))
    document = gp.get(f"salesDocuments/2/{number}").json()
    assert (document["CUSTNMBR"], document["DOCAMNT"], document["CSTPONBR"]) == (
        customer, 108.0, f"BP-{number}")
    assert document["lines"][0]["ITEMNMBR"] == item
    quantity = gp.get("inventory", itemNumber=item, siteId="MAIN").json()["value"][0]
    assert (quantity["QTYONHND"], quantity["ATYALLOC"]) == (10.0, 2.0)


def test_header_before_lines_violates_schema_order(gp: GP) -> None:
    customer, item = _customer_and_item(gp)
    error = gp.error(sop_xml(unique("ORD"), customer, item, header_first=True))
    assert error.findtext("Element") == "taSopHdrIvcInsert"
    assert "taSopLineIvcInsert_Items" in (error.findtext("ErrorDescription") or "")


def test_duplicate_sop_number_is_refused(gp: GP) -> None:
    customer, item = _customer_and_item(gp)
    number = unique("ORD")
    gp.ok(sop_xml(number, customer, item))
    error = gp.error(sop_xml(number, customer, item))
    assert (error.findtext("ErrorNumber"), error.findtext("Element")) == ("22", "SOPNUMBE")


def test_unknown_customer_on_order_is_refused(gp: GP) -> None:
    _, item = _customer_and_item(gp)
    error = gp.error(sop_xml(unique("ORD"), "GHOST", item))
    assert error.findtext("Element") == "CUSTNMBR"
    assert "RM00101" in (error.findtext("ErrorDescription") or "")


def test_unknown_item_on_line_is_refused(gp: GP) -> None:
    customer, _ = _customer_and_item(gp)
    error = gp.error(sop_xml(unique("ORD"), customer, "GHOST-ITEM"))
    assert (error.findtext("StoredProcedure"), error.findtext("Element")) == (
        "taSopLineIvcInsert", "ITEMNMBR")


def test_document_amount_must_add_up(gp: GP) -> None:
    customer, item = _customer_and_item(gp)
    error = gp.error(sop_xml(unique("ORD"), customer, item, docamnt="99.00"))
    assert error.findtext("Element") == "DOCAMNT"


def test_return_credit_note_puts_stock_back(gp: GP) -> None:
    customer, item = _customer_and_item(gp)
    gp.ok(sop_xml(unique("RTN"), customer, item, sop_type=4))
    quantity = gp.get("inventory", itemNumber=item, siteId="MAIN").json()["value"][0]
    assert quantity["QTYONHND"] == 12.0


def transfer_xml(order: str, invoice: str, customer: str, item: str, *, qty: int = 2) -> str:
    xml = sop_xml(invoice, customer, item, sop_type=3, qty=qty, subtotal=f"{45 * qty:.2f}",
                  docamnt=f"{45 * qty + 18:.2f}")
    return xml.replace(f"<SOPNUMBE>{invoice}</SOPNUMBE><TAXAMNT>",
                       f"<SOPNUMBE>{invoice}</SOPNUMBE><ORIGNUMB>{order}</ORIGNUMB>"
                       f"<ORIGTYPE>2</ORIGTYPE><TAXAMNT>")


def test_order_transferred_to_an_invoice_keeps_lines_and_releases_the_allocation(
        gp: GP) -> None:
    customer, item = _customer_and_item(gp)
    order, invoice = unique("ORD"), unique("INV")
    gp.ok(sop_xml(order, customer, item))
    gp.ok(transfer_xml(order, invoice, customer, item))
    document = gp.get(f"salesDocuments/3/{invoice}").json()
    assert (document["ORIGTYPE"], document["ORIGNUMB"], document["lines"][0]["ITEMNMBR"]) == (
        2, order, item)
    assert gp.get(f"salesDocuments/2/{order}").json()["TRANSFERRED"] == 1
    quantity = gp.get("inventory", itemNumber=item, siteId="MAIN").json()["value"][0]
    assert (quantity["QTYONHND"], quantity["ATYALLOC"]) == (8.0, 0.0)


def test_an_order_is_transferred_only_once(gp: GP) -> None:
    customer, item = _customer_and_item(gp)
    order = unique("ORD")
    gp.ok(sop_xml(order, customer, item))
    gp.ok(transfer_xml(order, unique("INV"), customer, item))
    error = gp.error(transfer_xml(order, unique("INV"), customer, item))
    assert (error.findtext("ErrorNumber"), error.findtext("Element")) == ("30", "ORIGNUMB")


def test_transfer_from_an_unknown_order_is_refused(gp: GP) -> None:
    customer, item = _customer_and_item(gp)
    error = gp.error(transfer_xml("GHOST-ORD", unique("INV"), customer, item))
    assert (error.findtext("ErrorNumber"), error.findtext("Element")) == ("29", "ORIGNUMB")


def test_transfer_of_more_than_the_order_holds_is_refused(gp: GP) -> None:
    customer, item = _customer_and_item(gp)
    order = unique("ORD")
    gp.ok(sop_xml(order, customer, item))
    error = gp.error(transfer_xml(order, unique("INV"), customer, item, qty=3))
    assert (error.findtext("ErrorNumber"), error.findtext("Element")) == ("46", "QUANTITY")


def test_part_transfer_leaves_the_rest_of_the_order_open(gp: GP) -> None:
    customer, item = _customer_and_item(gp)
    order = unique("ORD")
    gp.ok(sop_xml(order, customer, item))
    gp.ok(transfer_xml(order, unique("INV"), customer, item, qty=1))
    document = gp.get(f"salesDocuments/2/{order}").json()
    assert (document["lines"][0]["QTYPRINV"], document.get("TRANSFERRED")) == (1.0, None)
    gp.ok(transfer_xml(order, unique("INV"), customer, item, qty=1))
    assert gp.get(f"salesDocuments/2/{order}").json()["TRANSFERRED"] == 1


def test_failed_document_in_a_batch_rolls_back_the_others(gp: GP) -> None:
    number = unique("CU")
    xml = customer_xml(number).replace("</eConnect>", "") + (
        "<RMCashReceiptsType><taRMCashReceiptInsert><CUSTNMBR>GHOST</CUSTNMBR>"
        "<DOCNUMBR>PMT-X</DOCNUMBR><DOCDATE>2025-06-01</DOCDATE><ORTRXAMT>10</ORTRXAMT>"
        "<BACHNUMB>RCPT</BACHNUMB><CSHRCTYP>0</CSHRCTYP></taRMCashReceiptInsert>"
        "</RMCashReceiptsType></eConnect>")
    gp.error(xml)
    assert gp.get(f"customers/{number}").status_code == 404


# -- receipts, GL, purchasing, inventory --------------------------------------------------------

def test_cash_receipt_create_and_duplicate(gp: GP) -> None:
    customer, _ = _customer_and_item(gp)
    number = unique("PMT")
    xml = (f"<eConnect><RMCashReceiptsType><taRMCashReceiptInsert><CUSTNMBR>{customer}"
           f"</CUSTNMBR><DOCNUMBR>{number}</DOCNUMBR><DOCDATE>2025-06-01</DOCDATE>"
           f"<ORTRXAMT>108.00</ORTRXAMT><BACHNUMB>RCPT</BACHNUMB><CSHRCTYP>2</CSHRCTYP>"
           f"<CRCARDID>VISA</CRCARDID></taRMCashReceiptInsert></RMCashReceiptsType></eConnect>")
    gp.ok(xml)
    assert gp.get(f"cashReceipts/{number}").json()["ORTRXAMT"] == 108.0
    assert gp.error(xml).findtext("Element") == "DOCNUMBR"


def _journal(entry: int, debit: str, credit: str) -> str:
    return (f"<eConnect><GLTransactionType><taGLTransactionLineInsert_Items>"
            f"<taGLTransactionLineInsert><BACHNUMB>BPPAY</BACHNUMB><JRNENTRY>{entry}</JRNENTRY>"
            f"<DEBITAMT>{debit}</DEBITAMT><ACTNUMST>000-1100-00</ACTNUMST>"
            f"</taGLTransactionLineInsert><taGLTransactionLineInsert><BACHNUMB>BPPAY</BACHNUMB>"
            f"<JRNENTRY>{entry}</JRNENTRY><CRDTAMNT>{credit}</CRDTAMNT>"
            f"<ACTNUMST>000-1200-00</ACTNUMST></taGLTransactionLineInsert>"
            f"</taGLTransactionLineInsert_Items><taGLTransactionHeaderInsert>"
            f"<BACHNUMB>BPPAY</BACHNUMB><JRNENTRY>{entry}</JRNENTRY><REFRENCE>Payment</REFRENCE>"
            f"<TRXDATE>2025-06-01</TRXDATE><TRXTYPE>0</TRXTYPE></taGLTransactionHeaderInsert>"
            f"</GLTransactionType></eConnect>")


def test_gl_journal_debits_must_equal_credits(gp: GP) -> None:
    entry = int(unique("")[-6:]) + 100000
    error = gp.error(_journal(entry, "100.00", "90.00"))
    assert "out of balance" in (error.findtext("ErrorDescription") or "")
    gp.ok(_journal(entry, "100.00", "100.00"))
    assert gp.get(f"journalEntries/{entry}").json()["DEBITAMT"] == 100.0


def test_purchase_order_create_and_read(gp: GP) -> None:
    _, item = _customer_and_item(gp)
    vendor = gp.get("vendors").json()["value"][0]["VENDORID"]
    number = unique("PO")
    gp.ok(f"<eConnect><POPTransactionType><taPoLine_Items><taPoLine><POTYPE>1</POTYPE>"
          f"<PONUMBER>{number}</PONUMBER><VENDORID>{vendor}</VENDORID>"
          f"<LOCNCODE>MAIN</LOCNCODE><ITEMNMBR>{item}</ITEMNMBR><QUANTITY>5</QUANTITY>"
          f"<UNITCOST>20.00</UNITCOST></taPoLine></taPoLine_Items><taPoHdr><POTYPE>1</POTYPE>"
          f"<PONUMBER>{number}</PONUMBER><VENDORID>{vendor}</VENDORID>"
          f"<DOCDATE>2025-06-01</DOCDATE></taPoHdr></POPTransactionType></eConnect>")
    order = gp.get(f"purchaseOrders/{number}").json()
    assert (order["SUBTOTAL"], order["lines"][0]["QUANTITY"]) == (100.0, 5.0)


def _purchase_order(gp: GP, item: str, qty: int = 5) -> tuple[str, str]:
    vendor = gp.get("vendors").json()["value"][0]["VENDORID"]
    number = unique("PO")
    gp.ok(f"<eConnect><POPTransactionType><taPoLine_Items><taPoLine><POTYPE>1</POTYPE>"
          f"<PONUMBER>{number}</PONUMBER><VENDORID>{vendor}</VENDORID>"
          f"<LOCNCODE>MAIN</LOCNCODE><ITEMNMBR>{item}</ITEMNMBR><QUANTITY>{qty}</QUANTITY>"
          f"<UNITCOST>20.00</UNITCOST></taPoLine></taPoLine_Items><taPoHdr><POTYPE>1</POTYPE>"
          f"<PONUMBER>{number}</PONUMBER><VENDORID>{vendor}</VENDORID>"
          f"<DOCDATE>2025-06-01</DOCDATE></taPoHdr></POPTransactionType></eConnect>")
    return number, vendor


def receipt_xml(number: str, vendor: str, po: str, item: str, qty: int, *,
                pop_type: int = 1, unit_cost: str | None = None) -> str:
    cost = f"<UNITCOST>{unit_cost}</UNITCOST>" if unit_cost is not None else ""
    return (f"<eConnect><POPReceivingsType><taPopRcptLineInsert_Items><taPopRcptLineInsert>"
            f"<POPTYPE>{pop_type}</POPTYPE><POPRCTNM>{number}</POPRCTNM><PONUMBER>{po}</PONUMBER>"
            f"<ITEMNMBR>{item}</ITEMNMBR><VENDORID>{vendor}</VENDORID>{cost}"
            f"<QTYSHPPD>{qty}</QTYSHPPD><LOCNCODE>MAIN</LOCNCODE></taPopRcptLineInsert>"
            f"</taPopRcptLineInsert_Items><taPopRcptHdrInsert><POPRCTNM>{number}</POPRCTNM>"
            f"<POPTYPE>{pop_type}</POPTYPE><receiptdate>2025-06-05</receiptdate>"
            f"<BACHNUMB>RECEIVINGS</BACHNUMB><VENDORID>{vendor}</VENDORID>"
            f"</taPopRcptHdrInsert></POPReceivingsType></eConnect>")


def test_pop_receipt_raises_site_quantity_and_takes_cost_from_the_po(gp: GP) -> None:
    _, item = _customer_and_item(gp)
    po, vendor = _purchase_order(gp, item, qty=5)
    number = unique("RCT")
    gp.ok(receipt_xml(number, vendor, po, item, 3))
    receipt = gp.get(f"purchaseReceipts/{number}").json()
    [line] = receipt["lines"]
    assert (receipt["VENDORID"], receipt["SUBTOTAL"], line["UNITCOST"], line["EXTDCOST"]) == (
        vendor, 60.0, 20.0, 60.0)
    quantity = gp.get("inventory", itemNumber=item, siteId="MAIN").json()["value"][0]
    assert (quantity["QTYONHND"], quantity["QTYONORD"]) == (13.0, 2.0)


def test_pop_receipts_mark_the_po_line_and_then_the_po_received(gp: GP) -> None:
    _, item = _customer_and_item(gp)
    po, vendor = _purchase_order(gp, item, qty=5)
    gp.ok(receipt_xml(unique("RCT"), vendor, po, item, 2))
    order = gp.get(f"purchaseOrders/{po}").json()
    assert (order["lines"][0]["QTYSHPPD"], order["lines"][0]["POLNESTA"], order["POSTATUS"]) == (
        2.0, 1, 1)
    gp.ok(receipt_xml(unique("RCT"), vendor, po, item, 3))
    order = gp.get(f"purchaseOrders/{po}").json()
    assert (order["lines"][0]["POLNESTA"], order["POSTATUS"]) == (4, 4)


def test_receiving_more_than_ordered_is_refused(gp: GP) -> None:
    _, item = _customer_and_item(gp)
    po, vendor = _purchase_order(gp, item, qty=5)
    gp.ok(receipt_xml(unique("RCT"), vendor, po, item, 4))
    error = gp.error(receipt_xml(unique("RCT"), vendor, po, item, 2))
    assert (error.findtext("ErrorNumber"), error.findtext("Element")) == ("250", "QTYSHPPD")
    assert "1 still to receive" in (error.findtext("ErrorDescription") or "")


def test_receipt_against_an_unknown_po_is_refused(gp: GP) -> None:
    _, item = _customer_and_item(gp)
    vendor = gp.get("vendors").json()["value"][0]["VENDORID"]
    error = gp.error(receipt_xml(unique("RCT"), vendor, "GHOST-PO", item, 1))
    assert (error.findtext("StoredProcedure"), error.findtext("Element")) == (
        "taPopRcptLineInsert", "PONUMBER")


def test_receipt_of_an_unknown_item_is_refused(gp: GP) -> None:
    _, item = _customer_and_item(gp)
    po, vendor = _purchase_order(gp, item)
    error = gp.error(receipt_xml(unique("RCT"), vendor, po, "GHOST-ITEM", 1))
    assert (error.findtext("ErrorNumber"), error.findtext("Element")) == ("243", "ITEMNMBR")


def test_receipt_of_an_item_not_on_the_po_is_refused(gp: GP) -> None:
    _, item = _customer_and_item(gp)
    _, other = _customer_and_item(gp)
    po, vendor = _purchase_order(gp, item)
    error = gp.error(receipt_xml(unique("RCT"), vendor, po, other, 1))
    assert (error.findtext("ErrorNumber"), error.findtext("Element")) == ("249", "ITEMNMBR")


def test_duplicate_receipt_number_is_refused_and_receives_nothing_more(gp: GP) -> None:
    _, item = _customer_and_item(gp)
    po, vendor = _purchase_order(gp, item, qty=5)
    number = unique("RCT")
    gp.ok(receipt_xml(number, vendor, po, item, 1))
    error = gp.error(receipt_xml(number, vendor, po, item, 1))
    assert (error.findtext("ErrorNumber"), error.findtext("Element")) == ("233", "POPRCTNM")
    quantity = gp.get("inventory", itemNumber=item, siteId="MAIN").json()["value"][0]
    assert quantity["QTYONHND"] == 11.0


def test_shipment_invoice_receipt_needs_the_vendor_document_number(gp: GP) -> None:
    _, item = _customer_and_item(gp)
    po, vendor = _purchase_order(gp, item)
    error = gp.error(receipt_xml(unique("RCT"), vendor, po, item, 1, pop_type=3))
    assert error.findtext("Element") == "VNDDOCNM"


def test_receipt_header_before_lines_violates_schema_order(gp: GP) -> None:
    _, item = _customer_and_item(gp)
    po, vendor = _purchase_order(gp, item)
    xml = receipt_xml(unique("RCT"), vendor, po, item, 1)
    lines = xml[xml.index("<taPopRcptLineInsert_Items>"):xml.index("<taPopRcptHdrInsert>")]
    error = gp.error(xml.replace(lines, "").replace("</POPReceivingsType>",
                                                    lines + "</POPReceivingsType>"))
    assert error.findtext("Element") == "taPopRcptHdrInsert"


def test_inventory_adjustment_below_zero_is_refused(gp: GP) -> None:
    _, item = _customer_and_item(gp)
    error = gp.error(_adjustment(unique("ADJ"), item, -50))
    assert error.findtext("Element") == "TRXQTY"


def test_payables_invoice_create(gp: GP) -> None:
    vendor = gp.get("vendors").json()["value"][0]["VENDORID"]
    voucher = unique("VCH")
    gp.ok(f"<eConnect><PMTransactionType><taPMTransactionInsert><BACHNUMB>AP</BACHNUMB>"
          f"<VCHNUMWK>{voucher}</VCHNUMWK><VENDORID>{vendor}</VENDORID>"
          f"<DOCNUMBR>SUP-INV-1</DOCNUMBR><DOCTYPE>1</DOCTYPE><DOCAMNT>120.00</DOCAMNT>"
          f"<DOCDATE>2025-06-01</DOCDATE><PRCHAMNT>100.00</PRCHAMNT><TAXAMNT>20.00</TAXAMNT>"
          f"</taPMTransactionInsert></PMTransactionType></eConnect>")
    assert gp.get(f"payablesTransactions/{voucher}").json()["DOCAMNT"] == 120.0


# -- polling ------------------------------------------------------------------------------------

def test_list_pages_with_next_link(gp: GP) -> None:
    first = gp.get("customers", pageSize=3).json()
    assert (len(first["value"]), first["totalCount"]) == (3, SEED["customers"])
    assert first["nextLink"]
    second = gp.http.get(first["nextLink"], auth=gp.auth).json()
    assert second["page"] == 2 and len(second["value"]) == 1
    assert second["nextLink"] is None


def test_modified_since_returns_only_changed_records(gp: GP) -> None:
    newest = max(r["DEX_ROW_TS"] for r in gp.get("customers", pageSize=1000).json()["value"])
    # DEX_ROW_TS has millisecond precision and modifiedSince is inclusive: ask from 1 ms after
    # the newest seeded row, once the clock has moved past it.
    since = (datetime.fromisoformat(newest.replace("Z", "+00:00")) + timedelta(milliseconds=1))
    time.sleep(0.01)
    number = unique("CU")
    gp.ok(customer_xml(number))
    changed = gp.get("customers", modifiedSince=since.isoformat()).json()["value"]
    assert [c["CUSTNMBR"] for c in changed] == [number]


def test_sales_documents_filter_by_type(gp: GP) -> None:
    invoices = gp.get("salesDocuments", sopType=3, pageSize=1000).json()["value"]
    assert all(d["SOPTYPE"] == 3 for d in invoices)


# -- limits and faults --------------------------------------------------------------------------

def test_rate_limit_answers_429_with_retry_after(
    control: SandboxControl, company: dict[str, Any], gp: GP
) -> None:
    control.limits("dynamicsgp", company["account"], requests_per_minute=1)
    assert gp.get("customers").status_code == 200
    limited = gp.get("customers")
    assert limited.status_code == 429
    assert limited.headers["retry-after"]
    assert limited.json()["error"]["code"] == "TooManyRequests"


def test_fault_5xx_on_econnect_is_an_econnect_response(
    control: SandboxControl, company: dict[str, Any], gp: GP
) -> None:
    control.faults("dynamicsgp", company["account"], error_5xx_rate=1.0)
    response = gp.post(customer_xml(unique("CU")))
    assert response.status_code == 500
    assert parse_xml(response.content).findtext("Success") == "false"


def test_fault_5xx_on_reads_is_json(
    control: SandboxControl, company: dict[str, Any], gp: GP
) -> None:
    control.faults("dynamicsgp", company["account"], error_5xx_rate=1.0)
    response = gp.get("customers")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "InternalServerError"


def test_fault_rate_limit_is_429(
    control: SandboxControl, company: dict[str, Any], gp: GP
) -> None:
    control.faults("dynamicsgp", company["account"], rate_limit_rate=1.0)
    assert gp.get("customers").status_code == 429


def test_fault_malformed_body_cannot_be_parsed(
    control: SandboxControl, company: dict[str, Any], gp: GP
) -> None:
    control.faults("dynamicsgp", company["account"], malformed_rate=1.0)
    response = gp.post(customer_xml(unique("CU")))
    with pytest.raises(ET.ParseError):
        parse_xml(response.content)


def test_fault_hang_times_out_the_client(
    control: SandboxControl, company: dict[str, Any], gp: GP
) -> None:
    control.faults("dynamicsgp", company["account"], hang_rate=1.0)
    with pytest.raises(httpx.TimeoutException):
        gp.http.get(f"/dynamicsgp/{gp.name}/api/v1/customers", auth=gp.auth, timeout=0.5)


def test_fault_drop_closes_the_connection(
    control: SandboxControl, company: dict[str, Any], gp: GP
) -> None:
    control.faults("dynamicsgp", company["account"], drop_rate=1.0)
    with pytest.raises(httpx.TransportError):
        gp.get("customers")


def test_fault_latency_still_answers(
    control: SandboxControl, company: dict[str, Any], gp: GP
) -> None:
    control.faults("dynamicsgp", company["account"], latency_ms=50)
    assert gp.get("customers").status_code == 200


def test_demo_company_is_seeded(control: SandboxControl) -> None:
    counts = control.counts("dynamicsgp", "TWO")
    assert counts["RM00101"] > 0 and counts["IV00101"] > 0 and counts["SOP10100"] > 0
