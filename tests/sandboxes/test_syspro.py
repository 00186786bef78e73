"""SYSPRO e.net REST, driven over real HTTP."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.sandbox_harness import SandboxControl, unique

REST = "/syspro/SYSPROWCFService/Rest"


def parse_xml(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # noqa: S314 - the answer of our own local sandbox


SEED = {"products": 5, "customers": 4, "orders": 6, "suppliers": 2, "purchase_orders": 2}


def _logon(http: httpx.Client, company: dict[str, Any], **overrides: str) -> httpx.Response:
    creds = company["credentials"]
    params = {"Operator": creds["operator"], "OperatorPassword": creds["operator_password"],
              "CompanyId": company["account"], "CompanyPassword": creds["company_password"],
              **overrides}
    return http.get(f"{REST}/Logon", params=params)


class Syspro:
    def __init__(self, http: httpx.Client, company: dict[str, Any]) -> None:
        self.http = http
        self.user_id = _logon(http, company).text

    def raw(self, path: str, **params: str) -> httpx.Response:
        return self.http.get(f"{REST}/{path}", params={"UserId": self.user_id, **params})

    def xml(self, path: str, **params: str) -> ET.Element:
        response = self.raw(path, **params)
        assert response.status_code == 200
        assert not response.text.startswith("ERROR"), response.text
        return parse_xml(response.content)

    def query(self, business_object: str, xml_in: str, method: str = "Query") -> ET.Element:
        return self.xml(f"Query/{method}", BusinessObject=business_object, XmlIn=xml_in)

    def post(self, business_object: str, xml_in: str, parameters: str = "") -> ET.Element:
        return self.xml("Transaction/Post", BusinessObject=business_object,
                        XmlParameters=parameters, XmlIn=xml_in)

    def setup(self, action: str, business_object: str, xml_in: str) -> ET.Element:
        return self.xml(f"Setup/{action}", BusinessObject=business_object, XmlParameters="",
                        XmlIn=xml_in)


@pytest.fixture
def company(new_account: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return new_account("syspro", seed=SEED)


@pytest.fixture
def sp(http: httpx.Client, company: dict[str, Any]) -> Syspro:
    return Syspro(http, company)


def customer_xml(code: str, name: str = "Harbor and Pine Ltd", **fields: str) -> str:
    extra = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
    return (f"<SetupArCustomer><Item><Key><Customer>{code}</Customer></Key><Name>{name}</Name>"
            f"{extra}</Item></SetupArCustomer>")


def stock_xml(code: str, description: str = "Cast Iron Skillet", **fields: str) -> str:
    extra = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
    return (f"<SetupInvStockCode><Item><Key><StockCode>{code}</StockCode></Key>"
            f"<Description>{description}</Description>{extra}</Item></SetupInvStockCode>")


def order_xml(po_number: str, customer: str, stock_code: str, qty: str = "2") -> str:
    return (f"<SalesOrders><Orders><OrderHeader><CustomerPoNumber>{po_number}</CustomerPoNumber>"
            f"<OrderActionType>A</OrderActionType><Customer>{customer}</Customer>"
            f"<OrderDate>2025-06-01</OrderDate><Warehouse>FG</Warehouse>"
            f"<ShipAddress1>1 High Street</ShipAddress1><ShipPostalCode>BS1 4DJ</ShipPostalCode>"
            f"<Email>buyer@example.com</Email></OrderHeader><OrderDetails><StockLine>"
            f"<CustomerPoLine>1</CustomerPoLine><LineActionType>A</LineActionType>"
            f"<StockCode>{stock_code}</StockCode><Warehouse>FG</Warehouse>"
            f"<OrderQty>{qty}</OrderQty><Price>45.00</Price></StockLine></OrderDetails>"
            f"</Orders></SalesOrders>")


SORTOI_PARAMS = ("<SalesOrders><Parameters><Process>IMPORT</Process><TypeOfOrder>ORD"
                 "</TypeOfOrder><IgnoreWarnings>W</IgnoreWarnings><AllowDuplicateOrderNumbers>"
                 "{dup}</AllowDuplicateOrderNumbers></Parameters></SalesOrders>")


def _customer_and_stock(sp: Syspro) -> tuple[str, str]:
    customer, stock = unique("C"), unique("SK")
    sp.setup("Add", "ARSSCS", customer_xml(customer))
    sp.setup("Add", "INVSST", stock_xml(stock, ListPrice="45.00"))
    sp.post("INVTMA", f"<PostInvAdjustment><Item><Warehouse>FG</Warehouse><StockCode>{stock}"
                      f"</StockCode><Quantity>10</Quantity><Reference>OPEN</Reference></Item>"
                      f"</PostInvAdjustment>")
    return customer, stock


# -- logon and sessions -------------------------------------------------------------------------

def test_logon_returns_padded_session_id(http: httpx.Client, company: dict[str, Any]) -> None:
    response = _logon(http, company)
    assert response.status_code == 200
    assert response.text.endswith("  ")
    assert len(response.text.strip()) == 32


def test_wrong_operator_password_is_error_text(
    http: httpx.Client, company: dict[str, Any]
) -> None:
    response = _logon(http, company, OperatorPassword="wrong")
    assert response.status_code == 200
    assert response.text.startswith("ERROR:")


def test_unknown_company_is_error_text(http: httpx.Client, company: dict[str, Any]) -> None:
    assert _logon(http, company, CompanyId="NOPE").text.startswith("ERROR:")


def test_logoff_ends_the_session(sp: Syspro) -> None:
    assert sp.raw("Logoff").text == "0"
    response = sp.raw("Query/Query", BusinessObject="ARSQRY", XmlIn="<Query/>")
    assert response.text.startswith("ERROR:") and "log on again" in response.text


def test_expired_session_gets_error_body(
    control: SandboxControl, company: dict[str, Any], sp: Syspro
) -> None:
    control.expire_tokens("syspro", company["account"])
    response = sp.raw("Query/Browse", BusinessObject="COMBRW",
                      XmlIn="<Browse><BrowseName>ArCustomer</BrowseName></Browse>")
    assert response.status_code == 200
    assert response.text.startswith("ERROR:")


def test_idle_session_times_out(
    control: SandboxControl, http: httpx.Client, company: dict[str, Any]
) -> None:
    control.limits("syspro", company["account"], session_idle_s=0)
    session = Syspro(http, company)
    response = session.raw("Query/Browse", BusinessObject="COMBRW",
                           XmlIn="<Browse><BrowseName>ArCustomer</BrowseName></Browse>")
    assert response.text.startswith("ERROR:")


def test_unknown_business_object_is_error_text(sp: Syspro) -> None:
    response = sp.raw("Query/Query", BusinessObject="XYZQRY", XmlIn="<Query/>")
    assert response.text.startswith("ERROR:")


def test_malformed_xml_in_is_error_text(sp: Syspro) -> None:
    response = sp.raw("Transaction/Post", BusinessObject="SORTOI", XmlIn="<SalesOrders>")
    assert response.text.startswith("ERROR:") and "well-formed" in response.text


# -- customers and stock codes ------------------------------------------------------------------

def test_customer_add_query_update(sp: Syspro) -> None:
    code = unique("C")
    result = sp.setup("Add", "ARSSCS", customer_xml(code, Email="buyer@example.com"))
    assert result.findtext("StatusOfItems/RecordsProcessed") == "1"
    queried = sp.query("ARSQRY", f"<Query><Key><Customer>{code}</Customer></Key></Query>")
    assert queried.findtext("Customer/Email") == "buyer@example.com"
    sp.setup("Update", "ARSSCS", customer_xml(code, Telephone="+44 117 496 0000"))
    queried = sp.query("ARSQRY", f"<Query><Key><Customer>{code}</Customer></Key></Query>")
    assert queried.findtext("Customer/Telephone") == "+44 117 496 0000"


def test_adding_existing_customer_is_a_business_error(sp: Syspro) -> None:
    code = unique("C")
    sp.setup("Add", "ARSSCS", customer_xml(code))
    result = sp.setup("Add", "ARSSCS", customer_xml(code))
    assert result.findtext("StatusOfItems/RecordsInvalid") == "1"
    assert result.findtext("Item/ErrorMessages/ErrorNumber")
    assert "already exists" in (result.findtext("Item/ErrorMessages/ErrorDescription") or "")


def test_customer_name_too_long_is_refused(sp: Syspro) -> None:
    result = sp.setup("Add", "ARSSCS", customer_xml(unique("C"), "N" * 51))
    assert "maximum length" in (result.findtext("Item/ErrorMessages/ErrorDescription") or "")


def test_stock_code_add_update_query_delete(sp: Syspro) -> None:
    code = unique("SK")
    sp.setup("Add", "INVSST", stock_xml(code, ListPrice="12.50"))
    sp.setup("Update", "INVSST", stock_xml(code, "Enamel Skillet"))
    item = sp.query("INVQRY", f"<Query><Key><StockCode>{code}</StockCode></Key></Query>")
    assert item.findtext("StockItem/Description") == "Enamel Skillet"
    result = sp.setup("Delete", "INVSST", stock_xml(code))
    assert result.findtext("StatusOfItems/RecordsProcessed") == "1"
    response = sp.raw("Query/Query", BusinessObject="INVQRY",
                      XmlIn=f"<Query><Key><StockCode>{code}</StockCode></Key></Query>")
    assert response.text.startswith("ERROR:")


def test_stock_query_filters_by_warehouse(sp: Syspro) -> None:
    _, stock = _customer_and_stock(sp)
    result = sp.query("INVQRY", f"<Query><Key><StockCode>{stock}</StockCode></Key><Option>"
                                f"<WarehouseFilterType>S</WarehouseFilterType>"
                                f"<WarehouseFilterValue>FG</WarehouseFilterValue></Option>"
                                f"</Query>")
    warehouses = result.findall("WarehouseItem")
    assert [w.findtext("Warehouse") for w in warehouses] == ["FG"]
    assert warehouses[0].findtext("QtyOnHand") == "10.000"


def test_inventory_adjustment_below_zero_is_refused(sp: Syspro) -> None:
    _, stock = _customer_and_stock(sp)
    result = sp.post("INVTMA", f"<PostInvAdjustment><Item><Warehouse>FG</Warehouse><StockCode>"
                               f"{stock}</StockCode><Quantity>-11</Quantity></Item>"
                               f"</PostInvAdjustment>")
    assert result.findtext("StatusOfItems/ItemsInvalid") == "1"


# -- sales orders -------------------------------------------------------------------------------

def test_sales_order_import_then_query(sp: Syspro) -> None:
    customer, stock = _customer_and_stock(sp)
    po = unique("BP")
    result = sp.post("SORTOI", order_xml(po, customer, stock), SORTOI_PARAMS.format(dup="N"))
    assert result.findtext("StatusOfItems/ItemsProcessed") == "1"
    sales_order = result.findtext("Order/SalesOrder")
    assert sales_order
    detail = sp.query("SORQRY", f"<Query><Key><SalesOrder>{sales_order}</SalesOrder></Key>"
                                f"</Query>")
    assert detail.findtext("SalesOrderHeader/CustomerPoNumber") == po
    assert detail.findtext("SalesOrderHeader/OrderStatus") == "1"
    assert detail.findtext("SalesOrderLine/StockLine/StockCode") == stock
    stock_row = sp.query("INVQRY", f"<Query><Key><StockCode>{stock}</StockCode></Key></Query>")
    assert stock_row.findtext("WarehouseItem/QtyAllocated") == "2.000"


def test_duplicate_customer_po_number_is_refused_unless_allowed(sp: Syspro) -> None:
    customer, stock = _customer_and_stock(sp)
    po = unique("BP")
    sp.post("SORTOI", order_xml(po, customer, stock), SORTOI_PARAMS.format(dup="N"))
    refused = sp.post("SORTOI", order_xml(po, customer, stock), SORTOI_PARAMS.format(dup="N"))
    assert refused.findtext("StatusOfItems/ItemsInvalid") == "1"
    assert "already exists" in (refused.findtext("Order/ErrorMessages/ErrorDescription") or "")
    allowed = sp.post("SORTOI", order_xml(po, customer, stock), SORTOI_PARAMS.format(dup="Y"))
    assert allowed.findtext("StatusOfItems/ItemsProcessed") == "1"


def test_order_for_unknown_stock_code_is_a_business_error(sp: Syspro) -> None:
    customer, _ = _customer_and_stock(sp)
    result = sp.post("SORTOI", order_xml(unique("BP"), customer, "GHOST"))
    assert result.findtext("Order/ErrorMessages/ErrorDescription") == (
        "Stock code 'GHOST' not on file")


def test_order_change_adds_a_line(sp: Syspro) -> None:
    customer, stock = _customer_and_stock(sp)
    created = sp.post("SORTOI", order_xml(unique("BP"), customer, stock))
    sales_order = created.findtext("Order/SalesOrder")
    change = (f"<SalesOrders><Orders><OrderHeader><OrderActionType>C</OrderActionType>"
              f"<SalesOrder>{sales_order}</SalesOrder></OrderHeader><OrderDetails><StockLine>"
              f"<LineActionType>A</LineActionType><StockCode>{stock}</StockCode>"
              f"<OrderQty>1</OrderQty></StockLine></OrderDetails></Orders></SalesOrders>")
    assert sp.post("SORTOI", change).findtext("StatusOfItems/ItemsProcessed") == "1"
    detail = sp.query("SORQRY", f"<Query><Key><SalesOrder>{sales_order}</SalesOrder></Key>"
                                f"</Query>")
    assert len(detail.findall("SalesOrderLine/StockLine")) == 2


def test_validate_only_writes_nothing(sp: Syspro, control: SandboxControl,
                                      company: dict[str, Any]) -> None:
    customer, stock = _customer_and_stock(sp)
    before = control.counts("syspro", company["account"])["SorMaster"]
    params = "<SalesOrders><Parameters><ValidateOnly>Y</ValidateOnly></Parameters></SalesOrders>"
    sp.post("SORTOI", order_xml(unique("BP"), customer, stock), params)
    assert control.counts("syspro", company["account"])["SorMaster"] == before


def test_dispatch_creates_dispatch_note_and_invoice(sp: Syspro) -> None:
    customer, stock = _customer_and_stock(sp)
    sales_order = sp.post("SORTOI", order_xml(unique("BP"), customer, stock)).findtext(
        "Order/SalesOrder")
    result = sp.post("SORTDN", f"<DispatchNotes><Item><SalesOrder>{sales_order}</SalesOrder>"
                               f"<Carrier>DHL</Carrier><WaybillNo>DHL123</WaybillNo></Item>"
                               f"</DispatchNotes>")
    invoice = result.findtext("Item/Invoice")
    found = sp.query("COMFND", f"<Query><TableName>MdnMaster</TableName><Where><Expression>"
                               f"<Column>SalesOrder</Column><Condition>EQ</Condition>"
                               f"<Value>{sales_order}</Value></Expression></Where></Query>")
    assert found.findtext("Row/WaybillNo") == "DHL123"
    assert found.findtext("Row/Invoice") == invoice
    detail = sp.query("SORQRY", f"<Query><Key><SalesOrder>{sales_order}</SalesOrder></Key>"
                                f"</Query>")
    assert detail.findtext("SalesOrderHeader/OrderStatus") == "9"


def test_ar_payment_reduces_the_invoice_balance(sp: Syspro) -> None:
    customer, stock = _customer_and_stock(sp)
    sales_order = sp.post("SORTOI", order_xml(unique("BP"), customer, stock)).findtext(
        "Order/SalesOrder")
    invoice = sp.post("SORTDN", f"<DispatchNotes><Item><SalesOrder>{sales_order}</SalesOrder>"
                                f"</Item></DispatchNotes>").findtext("Item/Invoice")
    reference = unique("PAY")
    payment = (f"<PostArPayment><Item><Payment><Customer>{customer}</Customer>"
               f"<PaymentType>C</PaymentType><Reference>{reference}</Reference>"
               f"<PaymentValue>50.00</PaymentValue></Payment><Invoice><InvoiceNumber>{invoice}"
               f"</InvoiceNumber><PaymentValue>50.00</PaymentValue></Invoice></Item>"
               f"</PostArPayment>")
    assert sp.post("ARSTPY", payment).findtext("StatusOfItems/ItemsProcessed") == "1"
    row = sp.query("COMFND", f"<Query><TableName>ArInvoice</TableName><Where><Expression>"
                             f"<Column>Invoice</Column><Condition>EQ</Condition><Value>{invoice}"
                             f"</Value></Expression></Where></Query>")
    assert row.findtext("Row/InvoiceBal1") == "58.000"
    duplicate = sp.post("ARSTPY", payment)
    assert duplicate.findtext("StatusOfItems/ItemsInvalid") == "1"


def test_purchase_order_import_then_query(sp: Syspro) -> None:
    _, stock = _customer_and_stock(sp)
    supplier = sp.query("COMBRW", "<Browse><BrowseName>ApSupplier</BrowseName></Browse>",
                        "Browse").findtext("Row/Supplier")
    result = sp.post("PORTOI", f"<PurchaseOrders><Orders><OrderHeader><OrderActionType>A"
                               f"</OrderActionType><Supplier>{supplier}</Supplier>"
                               f"<Warehouse>FG</Warehouse><Reference>PO-9001</Reference>"
                               f"</OrderHeader><OrderDetails><StockLine><StockCode>{stock}"
                               f"</StockCode><OrderQty>5</OrderQty><Price>20</Price></StockLine>"
                               f"</OrderDetails></Orders></PurchaseOrders>")
    number = result.findtext("Order/PurchaseOrder")
    detail = sp.query("PORQRY", f"<Query><Key><PurchaseOrder>{number}</PurchaseOrder></Key>"
                                f"</Query>")
    assert detail.findtext("PurchaseOrderHeader/Reference") == "PO-9001"
    assert detail.findtext("PurchaseOrderHeader/OrderValue") == "100.000"


# -- polling ------------------------------------------------------------------------------------

def test_browse_pages_with_next_key(sp: Syspro) -> None:
    first = sp.query("COMBRW", "<Browse><BrowseName>ArCustomer</BrowseName><ReturnRows>3"
                               "</ReturnRows></Browse>", "Browse")
    assert len(first.findall("Row")) == 3
    next_key = first.findtext("NextPrevKey/NextKey")
    assert next_key
    rest = sp.query("COMBRW", f"<Browse><BrowseName>ArCustomer</BrowseName><StartAtKey>{next_key}"
                              f"</StartAtKey><ReturnRows>3</ReturnRows></Browse>", "Browse")
    assert rest.findtext("Row/Customer") == next_key
    assert rest.findtext("NextPrevKey/NextKey") == ""


def test_find_by_timestamp_returns_changes_since_last_poll(sp: Syspro) -> None:
    rows = sp.query("COMFND", "<Query><TableName>ArCustomer</TableName><ReturnRows>0"
                              "</ReturnRows></Query>").findall("Row")
    high = max(int(r.findtext("TimeStamp") or "0", 16) for r in rows)
    code = unique("C")
    sp.setup("Add", "ARSSCS", customer_xml(code))
    changed = sp.query("COMFND", f"<Query><TableName>ArCustomer</TableName><Where><Expression>"
                                 f"<Column>TimeStamp</Column><Condition>GT</Condition>"
                                 f"<Value>0x{high:016X}</Value></Expression></Where></Query>")
    assert [r.findtext("Customer") for r in changed.findall("Row")] == [code]


# -- limits and faults --------------------------------------------------------------------------

def test_rate_limit_answers_429_error_text(
    control: SandboxControl, company: dict[str, Any], sp: Syspro
) -> None:
    control.limits("syspro", company["account"], requests_per_minute=1)
    browse = "<Browse><BrowseName>ArCustomer</BrowseName></Browse>"
    assert sp.raw("Query/Browse", BusinessObject="COMBRW", XmlIn=browse).status_code == 200
    limited = sp.raw("Query/Browse", BusinessObject="COMBRW", XmlIn=browse)
    assert limited.status_code == 429
    assert limited.text.startswith("ERROR:")
    assert limited.headers["retry-after"]


def test_fault_5xx_is_error_text(control: SandboxControl, sp: Syspro) -> None:
    control.faults("syspro", error_5xx_rate=1.0)
    response = sp.raw("Logoff")
    assert response.status_code == 500
    assert response.text.startswith("ERROR:")


def test_fault_rate_limit_is_429(control: SandboxControl, sp: Syspro) -> None:
    control.faults("syspro", rate_limit_rate=1.0)
    assert sp.raw("Logoff").status_code == 429


def test_fault_malformed_body_is_truncated_xml(control: SandboxControl, sp: Syspro) -> None:
    control.faults("syspro", malformed_rate=1.0)
    response = sp.raw("Query/Browse", BusinessObject="COMBRW",
                      XmlIn="<Browse><BrowseName>ArCustomer</BrowseName></Browse>")
    with pytest.raises(ET.ParseError):
        parse_xml(response.content)


def test_fault_hang_times_out_the_client(control: SandboxControl, sp: Syspro) -> None:
    control.faults("syspro", hang_rate=1.0)
    with pytest.raises(httpx.TimeoutException):
        sp.http.get(f"{REST}/Logoff", params={"UserId": sp.user_id}, timeout=0.5)


def test_fault_drop_closes_the_connection(control: SandboxControl, sp: Syspro) -> None:
    control.faults("syspro", drop_rate=1.0)
    with pytest.raises(httpx.TransportError):
        sp.raw("Logoff")


def test_fault_latency_still_answers(control: SandboxControl, sp: Syspro) -> None:
    control.faults("syspro", latency_ms=50)
    assert sp.raw("Logoff").text == "0"


def test_demo_company_is_seeded(control: SandboxControl) -> None:
    counts = control.counts("syspro", "EDU1")
    assert counts["ArCustomer"] > 0 and counts["InvMaster"] > 0 and counts["SorMaster"] > 0
