"""SYSPRO e.net connector against the sandbox's REST service, over real HTTP."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
import redis

from integrations.connectors.base import ConnectionConfig, paginate
from integrations.connectors.budget import RateLimit, RequestBudget
from integrations.connectors.errors import (
    AuthError,
    NotFound,
    RateLimited,
    TransientError,
    ValidationFailed,
)
from integrations.connectors.syspro import SysproConnector
from tests.sandbox_harness import unique


def make(company: dict[str, Any], sandbox_url: str, **kwargs: Any) -> SysproConnector:
    config = ConnectionConfig(
        base_url=f"{sandbox_url}/syspro/SYSPROWCFService/Rest", account=company["account"],
        auth_type="session", credentials={**company["credentials"],
                                          "company_id": company["account"]},
    )
    return SysproConnector(config, **kwargs)


@pytest.fixture
def company(new_account) -> dict[str, Any]:
    return new_account("syspro", credentials={"company_password": "co-pass"})


@pytest.fixture
def syspro(company, sandbox_url) -> SysproConnector:
    return make(company, sandbox_url)


def add_customer(syspro: SysproConnector, **fields: Any) -> str:
    code = unique("C")
    syspro.upsert("customer", {"Customer": code, "Name": "Acme & <Sons> Ltd", **fields})
    return code


def add_stock(syspro: SysproConnector, on_hand: float = 50) -> str:
    code = unique("SKU")
    syspro.upsert("product", {"StockCode": code, "Description": "Widget", "ListPrice": 9.5,
                              "WarehouseToUse": "FG"})
    if on_hand:
        syspro.inventory_adjust(warehouse="FG", stock_code=code, quantity=on_hand)
    return code


def order(customer: str, *stock: str, po: str = "") -> dict[str, Any]:
    return {
        "OrderHeader": {"CustomerPoNumber": po or unique("BP"), "Customer": customer,
                        "OrderDate": "2025-06-01", "Warehouse": "FG",
                        "ShipAddress1": "1 High St", "ShipPostalCode": "AB1 2CD"},
        "OrderDetails": {
            "StockLine": [{"CustomerPoLine": str(n), "LineActionType": "A", "StockCode": code,
                           "OrderQty": 2, "Price": 9.99} for n, code in enumerate(stock, 1)],
            "FreightLine": [{"FreightValue": 4.95}],
        },
    }


# --- session --------------------------------------------------------------------------------

def test_logon_returns_the_session_id_without_trailing_spaces(syspro):
    token = syspro.fetch_token()
    assert token["session_id"] == token["session_id"].strip() != ""


def test_wrong_operator_password_is_an_auth_error(company, sandbox_url):
    company["credentials"]["operator_password"] = "wrong"
    with pytest.raises(AuthError, match="Invalid operator password"):
        make(company, sandbox_url).test()


def test_expired_session_logs_on_again_once_then_retries(company, sandbox_url, control):
    failed: list[dict[str, Any]] = []
    syspro: SysproConnector

    def refresher(token: dict[str, Any]) -> dict[str, Any]:
        failed.append(token)
        return syspro.fetch_token()

    syspro = make(company, sandbox_url, refresher=refresher)
    syspro.test()
    first = syspro.session_id
    control.expire_tokens("syspro", company["account"])
    syspro.test()
    assert [t.get("session_id") for t in failed] == [None, first]
    assert syspro.session_id not in ("", first)


def test_logoff_ends_the_session(syspro):
    syspro.test()
    old = syspro.session_id
    syspro.logoff()
    assert syspro.token == {}
    syspro.token = {"session_id": old}
    syspro.refresher = None
    with pytest.raises(AuthError, match="session"):
        syspro.test()


# --- customers and stock codes --------------------------------------------------------------

def test_customer_upsert_adds_then_updates_with_escaped_values(syspro):
    code = add_customer(syspro)
    again = syspro.upsert("customer", {"Customer": code, "Name": "Renamed Ltd",
                                       "Email": "a@b.example"})
    assert again.created is False
    customer = syspro.get("customer", code)["Customer"]
    assert (customer["Name"], customer["Email"]) == ("Renamed Ltd", "a@b.example")


def test_customer_name_with_markup_is_stored_verbatim(syspro):
    code = add_customer(syspro)
    assert syspro.get("customer", code)["Customer"]["Name"] == "Acme & <Sons> Ltd"


def test_setup_business_error_is_validation_failed_with_field(syspro):
    with pytest.raises(ValidationFailed) as caught:
        syspro.upsert("customer", {"Customer": unique("C"), "Name": "x" * 51})
    assert caught.value.field == "Name"
    assert caught.value.code == "100021"
    assert "maximum length" in caught.value.message


def test_missing_customer_is_not_found(syspro):
    with pytest.raises(NotFound):
        syspro.get("customer", "NOSUCH")


def test_product_upsert_and_get(syspro):
    code = add_stock(syspro, on_hand=0)
    syspro.upsert("product", {"StockCode": code, "Description": "Better widget"})
    assert syspro.get("product", code)["StockItem"]["Description"] == "Better widget"


# --- polling --------------------------------------------------------------------------------

def test_list_changed_walks_rowversion_pages_to_the_end(syspro):
    codes = [add_customer(syspro) for _ in range(5)]
    syspro.page_size = 2
    listed = [r["Customer"] for r in paginate(
        lambda cursor: syspro.list_changed("customer", since=None, cursor=cursor))]
    assert listed == codes


def test_last_cursor_is_the_watermark_for_the_next_poll(syspro):
    add_customer(syspro)
    cursor = None
    while True:
        page = syspro.list_changed("customer", since=None, cursor=cursor)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    changed = add_customer(syspro)
    records = syspro.list_changed("customer", since=None, cursor=cursor).records
    assert [r["Customer"] for r in records] == [changed]


# --- sales orders ---------------------------------------------------------------------------

def test_sales_order_import_creates_the_order_with_lines(syspro):
    customer, first, second = add_customer(syspro), add_stock(syspro), add_stock(syspro)
    result = syspro.upsert("sales_order", order(customer, first, second))
    assert result.created and result.id
    fetched = syspro.get("sales_order", result.id)
    assert fetched["SalesOrderHeader"]["Customer"] == customer
    lines = fetched["SalesOrderLine"]["StockLine"]
    assert [line["StockCode"] for line in lines] == [first, second]


def test_sales_order_sent_twice_is_created_once(syspro):
    customer, stock = add_customer(syspro), add_stock(syspro)
    po = unique("BP")
    first = syspro.upsert("sales_order", order(customer, stock, po=po))
    again = syspro.upsert("sales_order", order(customer, stock, po=po))
    assert (again.id, again.created) == (first.id, False)


def test_sales_order_change_updates_the_header_without_new_lines(syspro):
    customer, stock = add_customer(syspro), add_stock(syspro)
    created = syspro.upsert("sales_order", order(customer, stock))
    changed = order(customer, stock)
    changed["OrderHeader"]["ShipAddress1"] = "2 Low Rd"
    result = syspro.upsert("sales_order", changed, external_id=created.id)
    fetched = syspro.get("sales_order", result.id)
    assert fetched["SalesOrderHeader"]["ShipAddress1"] == "2 Low Rd"
    assert len(fetched["SalesOrderLine"]["StockLine"]) == 1


def test_sales_order_for_unknown_stock_is_validation_failed_with_message(syspro):
    customer = add_customer(syspro)
    with pytest.raises(ValidationFailed) as caught:
        syspro.upsert("sales_order", order(customer, "NOSUCHSKU"))
    assert caught.value.code == "100148"
    assert "Stock code 'NOSUCHSKU' not on file" in caught.value.message


def test_sales_orders_changed_are_polled(syspro):
    customer, stock = add_customer(syspro), add_stock(syspro)
    result = syspro.upsert("sales_order", order(customer, stock))
    rows = list(paginate(lambda c: syspro.list_changed("sales_order", since=None, cursor=c)))
    assert result.id in {r["SalesOrder"] for r in rows}


# --- inventory, purchasing, payments, shipments ---------------------------------------------

def test_inventory_upsert_sets_quantity_on_hand(syspro):
    stock = add_stock(syspro, on_hand=10)
    syspro.upsert("inventory", {"StockCode": stock, "Warehouse": "FG", "QtyOnHand": 4})
    assert float(syspro.get("inventory", f"FG/{stock}")["QtyOnHand"]) == 4


def test_negative_stock_adjustment_is_validation_failed(syspro):
    stock = add_stock(syspro, on_hand=1)
    with pytest.raises(ValidationFailed, match="negative stock"):
        syspro.inventory_adjust(warehouse="FG", stock_code=stock, quantity=-5)


def test_inventory_changes_are_polled_by_warehouse(syspro):
    stock = add_stock(syspro, on_hand=3)
    rows = list(paginate(lambda c: syspro.list_changed("inventory", since=None, cursor=c)))
    assert f"FG/{stock}" in {syspro.record_id("inventory", r) for r in rows}


def test_purchase_order_import_and_query(new_account, sandbox_url):
    syspro = make(new_account("syspro", seed={"products": 2, "suppliers": 1}), sandbox_url)
    supplier = syspro.list_changed("supplier", since=None).records[0]["Supplier"]
    stock = syspro.list_changed("product", since=None).records[0]["StockCode"]
    result = syspro.upsert("purchase_order", {
        "OrderHeader": {"Supplier": supplier, "Warehouse": "FG", "OrderDate": "2025-06-01",
                        "DueDate": "2025-06-20", "Reference": "BP-PO-7"},
        "OrderDetails": {"StockLine": [{"PurchaseOrderLine": "1", "LineActionType": "A",
                                        "StockCode": stock, "OrderQty": 12, "Price": 3.2}]},
    })
    fetched = syspro.get("purchase_order", result.id)
    assert fetched["PurchaseOrderHeader"]["Supplier"] == supplier
    assert float(fetched["PurchaseOrderLine"]["StockLine"][0]["OrderQty"]) == 12


def test_shipment_creates_dispatch_note_and_invoice_then_payment_is_allocated(syspro):
    customer, stock = add_customer(syspro), add_stock(syspro)
    sales_order = syspro.upsert("sales_order", order(customer, stock)).id
    shipped = syspro.shipment_create(sales_order=sales_order, carrier="DHL", waybill="WB1")
    note = syspro.get("shipment", shipped.id)
    assert (note["SalesOrder"], note["WaybillNo"]) == (sales_order, "WB1")
    invoice = syspro.get("invoice", shipped.record["Invoice"])
    paid = syspro.payment_create({
        "Customer": customer, "PaymentReference": unique("PAY"), "PaymentDate": "2025-06-02",
        "PaymentValue": invoice["InvoiceBal1"], "Bank": "BANK1",
        "Invoice": invoice["Invoice"], "InvoiceAmountPaid": invoice["InvoiceBal1"]})
    assert paid.created
    assert float(syspro.get("invoice", invoice["Invoice"])["InvoiceBal1"]) == 0
    assert syspro.get("payment", paid.id)["Customer"] == customer


def test_payment_sent_twice_is_posted_once(syspro):
    customer = add_customer(syspro)
    payment = {"Customer": customer, "PaymentReference": unique("PAY"),
               "PaymentDate": "2025-06-02", "PaymentValue": 10, "Bank": "BANK1"}
    assert syspro.upsert("payment", payment).created
    assert syspro.upsert("payment", payment).created is False


def test_dispatching_unknown_order_is_validation_failed(syspro):
    with pytest.raises(ValidationFailed, match="not on file"):
        syspro.shipment_create(sales_order="999999")


# --- faults and limits ----------------------------------------------------------------------

def test_rate_limit_answer_is_rate_limited_with_retry_after(syspro, control, company):
    syspro.test()
    control.limits("syspro", company["account"], requests_per_minute=2)
    syspro.test()
    syspro.test()
    with pytest.raises(RateLimited) as caught:
        syspro.test()
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
    syspro = make(company, sandbox_url, timeout=(1, 1))
    syspro.test()
    control.faults("syspro", **{mode: 1.0})
    with pytest.raises(error):
        syspro.test()


def test_budget_keeps_a_burst_under_a_low_sandbox_limit(company, sandbox_url, control):
    control.limits("syspro", company["account"], requests_per_minute=5)
    client = redis.Redis.from_url(os.environ["BROKER_URL"])
    budget = RequestBudget(client, key=f"test:syspro:{uuid.uuid4().hex}",
                           limit=RateLimit(requests=5, period_s=60), safety=0.5,
                           max_wait_s=0.2)
    syspro = make(company, sandbox_url, budget=budget)
    outcomes = []
    for _ in range(8):
        try:
            syspro.test()
            outcomes.append("ok")
        except RateLimited as exc:
            outcomes.append("system" if exc.status else "budget")
    assert "system" not in outcomes
    assert "budget" in outcomes
    assert 1 <= outcomes.count("ok") <= 4
