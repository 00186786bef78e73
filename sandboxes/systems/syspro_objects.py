"""SYSPRO business objects of the sandbox: XML in, XML out, one company's tables.

Queries: SORQRY (sales order), INVQRY (stock code, warehouse filter), ARSQRY (customer),
PORQRY (purchase order), COMFND (generic find with a Where clause: poll changes with
``TimeStamp GT <last rowversion>``) and COMBRW (browse a table from a start key).
Transactions: SORTOI (sales order import), PORTOI (purchase order import), ARSTPY (AR payment),
INVTMA (inventory adjustment) and SORTDN (dispatch a sales order: dispatch note + invoice; the
sandbox's choice of name for the shipment flow). Setup: INVSST (stock codes), ARSSCS (customers).

Business errors are XML in an HTTP 200: per item ``<ErrorMessages><ErrorNumber/>
<ErrorDescription/></ErrorMessages>`` and ``<StatusOfItems>`` counts (``ItemsProcessed`` /
``ItemsInvalid`` for transactions, ``RecordsProcessed`` / ``RecordsInvalid`` for setup).
Transport-level failures raise ``TransportError`` → a body starting ``ERROR:``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sandboxes.state import Account

XML_DECLARATION = b'<?xml version="1.0" encoding="Windows-1252"?>\n'


class TransportError(Exception):
    """Answered as ``ERROR: <message>`` with HTTP 200, as e.net does."""


class BusinessError(Exception):
    def __init__(self, number: int, description: str) -> None:
        super().__init__(description)
        self.number = number
        self.description = description


def parse_xml(text: str, what: str = "XmlIn") -> ET.Element:
    if not text or not text.strip():
        raise TransportError(f"{what} is empty")
    try:
        # Loopback test traffic only; expat >= 2.4 refuses entity-expansion bombs anyway.
        return ET.fromstring(text.strip())  # noqa: S314
    except ET.ParseError as exc:
        raise TransportError(f"{what} is not a well-formed XML document: {exc}") from None


def txt(element: ET.Element | None, path: str, default: str = "") -> str:
    if element is None:
        return default
    found = element.find(path)
    if found is None or found.text is None:
        return default
    return found.text.strip()


def number(text: str, field: str) -> float:
    try:
        return float(text) if text else 0.0
    except ValueError:
        raise BusinessError(100020, f"Field '{field}' value '{text}' is not numeric") from None


def sub(parent: ET.Element, tag: str, value: Any = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if value is not None:
        element.text = fmt(value)
    return element


def fmt(value: Any) -> str:
    # e.net answers quantities and values with three decimals.
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def render(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    return XML_DECLARATION + ET.tostring(root, encoding="unicode").encode("cp1252", "replace")


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


class Company:
    """One SYSPRO company's tables (the account), with rowversion stamps for polling."""

    def __init__(self, account: Account) -> None:
        self.account = account

    def rows(self, table: str) -> list[dict[str, Any]]:
        return list(self.account.table(table).values())

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        return self.account.table(table).get(key)

    def put(self, table: str, key: str, record: dict[str, Any]) -> dict[str, Any]:
        settings = self.account.settings
        settings["rowversion"] = int(settings.get("rowversion", 2000)) + 1
        record["TimeStamp"] = f"0x{settings['rowversion']:016X}"
        tbl = self.account.table(table)
        if key in tbl:
            tbl.replace(key, record)
        else:
            tbl.insert(record, record_id=key)
        return record

    def delete(self, table: str, key: str) -> None:
        self.account.table(table).delete(key)

    def next_number(self, series: str, start: int, width: int = 6) -> str:
        counters = self.account.settings.setdefault("numbers", {})
        value = int(counters.get(series, start))
        counters[series] = value + 1
        return f"{value:0{width}d}"

    def warehouse_row(self, stock_code: str, warehouse: str) -> dict[str, Any] | None:
        return self.get("InvWarehouse", f"{stock_code}|{warehouse}")

    def move(self, stock_code: str, warehouse: str, **deltas: float) -> dict[str, Any]:
        key = f"{stock_code}|{warehouse}"
        row = self.get("InvWarehouse", key) or {
            "StockCode": stock_code, "Warehouse": warehouse, "QtyOnHand": 0.0,
            "QtyAllocated": 0.0, "QtyOnOrder": 0.0, "UnitCost": 0.0,
        }
        for field, delta in deltas.items():
            row[field] = round(float(row[field]) + delta, 6)
        row["QtyAvailable"] = round(row["QtyOnHand"] - row["QtyAllocated"], 6)
        return self.put("InvWarehouse", key, row)


WAREHOUSES = {"FG": "Finished goods", "E": "East coast DC", "S": "Spares"}


def _check_warehouse(warehouse: str) -> None:
    if warehouse not in WAREHOUSES:
        raise BusinessError(100146, f"Warehouse '{warehouse}' not on file")


def _check_stock(company: Company, stock_code: str, warehouse: str) -> dict[str, Any]:
    item = company.get("InvMaster", stock_code)
    if item is None:
        raise BusinessError(100148, f"Stock code '{stock_code}' not on file")
    if item.get("StockOnHold") == "Y":
        raise BusinessError(100152, f"Stock code '{stock_code}' is on hold")
    _check_warehouse(warehouse)
    if company.warehouse_row(stock_code, warehouse) is None:
        raise BusinessError(
            100149, f"Stock code '{stock_code}' is not stocked in warehouse '{warehouse}'"
        )
    return item


def _yes(text: str) -> bool:
    return text.strip().upper() in ("Y", "YES", "TRUE")


# -- queries ----------------------------------------------------------------------------------

ORDER_STATUS = {"1": "Open order", "2": "Open back order", "3": "Released back order",
                "4": "In warehouse", "8": "To invoice", "9": "Complete", "S": "Suspended",
                "\\": "Cancelled"}


def _fill(parent: ET.Element, record: dict[str, Any], fields: tuple[str, ...]) -> None:
    for field in fields:
        sub(parent, field, record.get(field, ""))


SOR_HEAD = ("SalesOrder", "OrderStatus", "Customer", "CustomerName", "CustomerPoNumber",
            "OrderDate", "ReqShipDate", "Warehouse", "Currency", "ShipAddress1", "ShipAddress2",
            "ShipAddress3", "ShipAddress4", "ShipAddress5", "ShipPostalCode", "Email",
            "ShippingInstrs", "OrderValue", "FreightValue", "TimeStamp")
SOR_LINE = ("SalesOrderLine", "CustomerPoLine", "StockCode", "StockDescription", "Warehouse",
            "OrderQty", "ShipQty", "BackOrderQty", "Price", "LineValue", "LineStatus")


def query_sorqry(company: Company, xml_in: ET.Element) -> ET.Element:
    sales_order = txt(xml_in, "Key/SalesOrder")
    order = company.get("SorMaster", sales_order.zfill(6)) if sales_order else None
    if order is None:
        raise TransportError(f"Sales order '{sales_order}' not found")
    root = ET.Element("SorDetail")
    header = sub(root, "SalesOrderHeader")
    _fill(header, order, SOR_HEAD)
    sub(header, "OrderStatusDesc", ORDER_STATUS.get(order["OrderStatus"], ""))
    lines = sub(root, "SalesOrderLine")
    for line in order["lines"]:
        _fill(sub(lines, "StockLine"), line, SOR_LINE)
    return root


def query_invqry(company: Company, xml_in: ET.Element) -> ET.Element:
    stock_code = txt(xml_in, "Key/StockCode")
    item = company.get("InvMaster", stock_code)
    if item is None:
        raise TransportError(f"Stock code '{stock_code}' not found")
    filter_type = txt(xml_in, "Option/WarehouseFilterType", "A").upper()
    filter_value = txt(xml_in, "Option/WarehouseFilterValue")
    root = ET.Element("InvQuery")
    stock = sub(root, "StockItem")
    _fill(stock, item, ("StockCode", "Description", "LongDesc", "StockUom", "ProductClass",
                        "WarehouseToUse", "ListPrice", "AlternateKey1", "TimeStamp"))
    rows = sorted((r for r in company.rows("InvWarehouse") if r["StockCode"] == stock_code),
                  key=lambda r: r["Warehouse"])
    if filter_type == "S" and filter_value:
        rows = [r for r in rows if r["Warehouse"] == filter_value]
    elif filter_type == "R" and filter_value:
        low, _, high = filter_value.partition(",")
        rows = [r for r in rows if low <= r["Warehouse"] <= (high or low)]
    totals = {"QtyOnHand": 0.0, "QtyAllocated": 0.0, "QtyOnOrder": 0.0, "QtyAvailable": 0.0}
    for row in rows:
        element = sub(root, "WarehouseItem")
        _fill(element, row, ("Warehouse", "QtyOnHand", "QtyAllocated", "QtyAvailable",
                             "QtyOnOrder", "UnitCost", "TimeStamp"))
        sub(element, "Description", WAREHOUSES.get(row["Warehouse"], ""))
        for key in totals:
            totals[key] += float(row[key])
    total = sub(root, "WarehouseTotals")
    for key, value in totals.items():
        sub(total, key, value)
    return root


CUSTOMER_FIELDS = ("Customer", "Name", "ShortName", "Telephone", "Email", "SoldToAddr1",
                   "SoldToAddr2", "SoldToAddr3", "SoldToAddr4", "SoldToAddr5", "SoldPostalCode",
                   "ShipToAddr1", "ShipToAddr2", "ShipToAddr3", "ShipToAddr4", "ShipToAddr5",
                   "ShipPostalCode", "Currency", "CreditLimit", "CustomerOnHold", "Branch",
                   "Salesperson", "TermsCode", "CustomerClass", "TimeStamp")
CUSTOMER_LENGTHS = {"Customer": 15, "Name": 50, "ShortName": 20, "Telephone": 20, "Email": 255,
                    "SoldToAddr1": 40, "SoldToAddr2": 40, "SoldToAddr3": 40, "SoldToAddr4": 40,
                    "SoldToAddr5": 40, "SoldPostalCode": 10, "ShipToAddr1": 40,
                    "ShipToAddr2": 40, "ShipToAddr3": 40, "ShipToAddr4": 40, "ShipToAddr5": 40,
                    "ShipPostalCode": 10, "Currency": 3, "CreditLimit": 15, "CustomerOnHold": 1,
                    "Branch": 10, "Salesperson": 20, "TermsCode": 2, "CustomerClass": 10}


def query_arsqry(company: Company, xml_in: ET.Element) -> ET.Element:
    code = txt(xml_in, "Key/Customer")
    customer = company.get("ArCustomer", code)
    if customer is None:
        raise TransportError(f"Customer '{code}' not found")
    root = ET.Element("ArCustomerQuery")
    _fill(sub(root, "Customer"), customer, CUSTOMER_FIELDS)
    balance = sum(float(i["InvoiceBal1"]) for i in company.rows("ArInvoice")
                  if i["Customer"] == code)
    sub(root, "CurrentBalance", round(balance, 2))
    return root


POR_HEAD = ("PurchaseOrder", "Supplier", "SupplierName", "OrderDate", "DueDate", "Warehouse",
            "Currency", "Reference", "OrderStatus", "OrderValue", "TimeStamp")
POR_LINE = ("PurchaseOrderLine", "StockCode", "StockDescription", "Warehouse", "OrderQty",
            "ReceivedQty", "Price", "LineValue", "LatestDueDate")


def query_porqry(company: Company, xml_in: ET.Element) -> ET.Element:
    number_ = txt(xml_in, "Key/PurchaseOrder")
    order = company.get("PorMasterHdr", number_.zfill(6)) if number_ else None
    if order is None:
        raise TransportError(f"Purchase order '{number_}' not found")
    root = ET.Element("PorDetail")
    _fill(sub(root, "PurchaseOrderHeader"), order, POR_HEAD)
    lines = sub(root, "PurchaseOrderLine")
    for line in order["lines"]:
        _fill(sub(lines, "StockLine"), line, POR_LINE)
    return root


TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    # table: (key column, columns)
    "ArCustomer": ("Customer", CUSTOMER_FIELDS),
    "InvMaster": ("StockCode", ("StockCode", "Description", "LongDesc", "StockUom",
                                "ProductClass", "WarehouseToUse", "Mass", "ListPrice",
                                "AlternateKey1", "StockOnHold", "TimeStamp")),
    "InvWarehouse": ("StockCode", ("StockCode", "Warehouse", "QtyOnHand", "QtyAllocated",
                                   "QtyAvailable", "QtyOnOrder", "UnitCost", "TimeStamp")),
    "SorMaster": ("SalesOrder", SOR_HEAD),
    "PorMasterHdr": ("PurchaseOrder", POR_HEAD),
    "ApSupplier": ("Supplier", ("Supplier", "SupplierName", "Currency", "Telephone", "Email",
                                "TimeStamp")),
    "ArInvoice": ("Invoice", ("Invoice", "Customer", "SalesOrder", "DispatchNote",
                              "InvoiceDate", "Currency", "CurrencyValue", "TaxValue",
                              "InvoiceBal1", "TimeStamp")),
    "MdnMaster": ("DispatchNote", ("DispatchNote", "SalesOrder", "Customer",
                                   "DispatchNoteStatus", "ShipDate", "Carrier", "WaybillNo",
                                   "Invoice", "TimeStamp")),
    "ArPayHistory": ("Reference", ("Customer", "Reference", "PaymentDate", "PaymentValue",
                                   "PaymentType", "Bank", "Journal", "TimeStamp")),
    "InvMovements": ("Journal", ("Journal", "EntryDate", "StockCode", "Warehouse",
                                 "MovementType", "TrnQty", "Reference", "Notation",
                                 "TimeStamp")),
}


def _table_rows(company: Company, table: str) -> list[dict[str, Any]]:
    if table not in TABLES:
        raise TransportError(f"Table '{table}' is not available for this query")
    key = TABLES[table][0]
    return sorted(company.rows(table), key=lambda r: (str(r.get(key, "")),
                                                       str(r.get("Warehouse", ""))))


def _as_number(value: str) -> float | None:
    text = value.strip()
    try:
        return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
    except ValueError:
        return None


def _compare(actual: Any, condition: str, wanted: str) -> bool:
    left, right = str(actual), wanted
    if condition in ("LIKE", "NOTLIKE"):
        pattern = "^" + re.escape(right).replace("%", ".*").replace("_", ".") + "$"
        matched = re.match(pattern, left, re.IGNORECASE) is not None
        return matched if condition == "LIKE" else not matched
    a, b = _as_number(left), _as_number(right)
    pair: tuple[Any, Any] = (a, b) if a is not None and b is not None else (left, right)
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "EQ": lambda x, y: x == y, "NE": lambda x, y: x != y, "GT": lambda x, y: x > y,
        "GE": lambda x, y: x >= y, "LT": lambda x, y: x < y, "LE": lambda x, y: x <= y,
    }
    if condition not in ops:
        raise TransportError(f"Condition '{condition}' is not valid")
    return ops[condition](*pair)


def _row_element(parent: ET.Element, row: dict[str, Any], columns: tuple[str, ...]) -> None:
    element = sub(parent, "Row")
    for column in columns:
        sub(element, column, row.get(column, ""))


def query_comfnd(company: Company, xml_in: ET.Element) -> ET.Element:
    table = txt(xml_in, "TableName")
    rows = _table_rows(company, table)
    columns = tuple(c.text.strip() for c in xml_in.findall("Columns/Column") if c.text)
    known = TABLES[table][1]
    for column in columns:
        if column not in known:
            raise TransportError(f"Column '{column}' is not valid for table '{table}'")
    expressions = xml_in.findall("Where/Expression")
    if expressions:
        kept = []
        for row in rows:
            result: bool | None = None
            joiner = "AND"
            for expression in expressions:
                column = txt(expression, "Column")
                if column not in known:
                    raise TransportError(f"Column '{column}' is not valid for table '{table}'")
                value = _compare(row.get(column, ""), txt(expression, "Condition", "EQ").upper(),
                                 txt(expression, "Value"))
                if result is None:
                    result = value
                elif joiner == "OR":
                    result = result or value
                else:
                    result = result and value
                joiner = txt(expression, "AndOr", "AND").upper()
            if result:
                kept.append(row)
        rows = kept
    order_by = txt(xml_in, "OrderBy/Column")
    if order_by:
        rows.sort(key=lambda r: (_as_number(str(r.get(order_by, ""))) is None,
                                 _as_number(str(r.get(order_by, ""))) or 0,
                                 str(r.get(order_by, ""))))
    limit = int(number(txt(xml_in, "ReturnRows", "100"), "ReturnRows")) or len(rows)
    root = ET.Element("COMFND")
    sub(root, "TableName", table)
    for row in rows[:limit]:
        _row_element(root, row, columns or known)
    sub(root, "RowsReturned", min(limit, len(rows)))
    return root


def query_combrw(company: Company, xml_in: ET.Element) -> ET.Element:
    table = txt(xml_in, "BrowseName")
    rows = _table_rows(company, table)
    key_column, columns = TABLES[table]
    start = txt(xml_in, "StartAtKey")
    condition = txt(xml_in, "StartCondition", "GE").upper() or "GE"
    if start:
        rows = [r for r in rows if _compare(r.get(key_column, ""), condition, start)]
    limit = int(number(txt(xml_in, "ReturnRows", "50"), "ReturnRows")) or 50
    root = ET.Element("BrowseObject")
    header = sub(root, "HeaderDetails")
    sub(header, "TableName", table)
    sub(header, "KeyField", key_column)
    for row in rows[:limit]:
        _row_element(root, row, columns)
    keys = sub(root, "NextPrevKey")
    sub(keys, "NextKey", rows[limit].get(key_column, "") if len(rows) > limit else "")
    return root


QUERIES: dict[str, Callable[[Company, ET.Element], ET.Element]] = {
    "SORQRY": query_sorqry, "INVQRY": query_invqry, "ARSQRY": query_arsqry,
    "PORQRY": query_porqry, "COMFND": query_comfnd, "COMBRW": query_combrw,
}


# -- transactions -----------------------------------------------------------------------------

class Batch:
    """Items of one Transaction/Post or Setup call, with SYSPRO's all-or-nothing option."""

    def __init__(self, root_tag: str, processed_tag: str, invalid_tag: str) -> None:
        self.root = ET.Element(root_tag)
        self.processed_tag = processed_tag
        self.invalid_tag = invalid_tag
        self.processed = 0
        self.invalid = 0

    def error(self, item: ET.Element, exc: BusinessError) -> None:
        messages = sub(item, "ErrorMessages")
        sub(messages, "ErrorNumber", exc.number)
        sub(messages, "ErrorDescription", exc.description)
        self.invalid += 1

    def finish(self) -> ET.Element:
        status = sub(self.root, "StatusOfItems")
        sub(status, self.processed_tag, self.processed)
        sub(status, self.invalid_tag, self.invalid)
        return self.root


def _params(parameters: ET.Element | None) -> dict[str, str]:
    if parameters is None:
        return {}
    found = parameters.find("Parameters")
    source = found if found is not None else parameters
    return {child.tag: (child.text or "").strip() for child in source}


def _run_items(
    company: Company, batch: Batch, items: list[tuple[ET.Element, Callable[[], None]]],
    params: dict[str, str],
) -> ET.Element:
    """Validate every item, then apply the valid ones (or none, if the document must be whole)."""
    import copy

    snapshot = copy.deepcopy(company.account.tables)
    settings = copy.deepcopy(company.account.settings)
    for item, apply in items:
        try:
            apply()
            batch.processed += 1
        except BusinessError as exc:
            batch.error(item, exc)
    whole = _yes(params.get("ApplyIfEntireDocumentValid", "N"))
    if _yes(params.get("ValidateOnly", "N")) or (whole and batch.invalid):
        company.account.tables = snapshot
        company.account.settings = settings
        if whole and batch.invalid:
            batch.processed = 0
    return batch.finish()


def post_sortoi(company: Company, params: dict[str, str], xml_in: ET.Element) -> ET.Element:
    batch = Batch("SalesOrders", "ItemsProcessed", "ItemsInvalid")
    items = []
    for order in xml_in.findall("Orders"):
        item = sub(batch.root, "Order")
        items.append((item, _sortoi_order(company, params, order, item)))
    if not items:
        raise TransportError("XmlIn has no <Orders> element")
    return _run_items(company, batch, items, params)


def _sortoi_order(
    company: Company, params: dict[str, str], order: ET.Element, item: ET.Element
) -> Callable[[], None]:
    def apply() -> None:
        header = order.find("OrderHeader")
        po_number = txt(header, "CustomerPoNumber")
        action = txt(header, "OrderActionType", "A").upper()
        sub(item, "CustomerPoNumber", po_number)
        sub(item, "OrderActionType", action)
        if action == "A":
            number_ = _sortoi_add(company, params, order)
        elif action == "C":
            number_ = _sortoi_change(company, order)
        else:
            raise BusinessError(100012, f"Order action type '{action}' is invalid")
        sub(item, "SalesOrder", number_)
        sub(item, "ItemsProcessed", 1)

    return apply


def _sortoi_lines(
    company: Company, order: ET.Element, warehouse: str, start: int
) -> tuple[list[dict[str, Any]], float]:
    lines: list[dict[str, Any]] = []
    freight = 0.0
    details = order.find("OrderDetails")
    for element in list(details) if details is not None else []:
        if element.tag == "FreightLine":
            freight += number(txt(element, "FreightValue"), "FreightValue")
            continue
        if element.tag == "CommentLine":
            continue
        if element.tag != "StockLine":
            raise BusinessError(100015, f"Line type '{element.tag}' is invalid")
        stock_code = txt(element, "StockCode")
        line_warehouse = txt(element, "Warehouse") or warehouse
        stock = _check_stock(company, stock_code, line_warehouse)
        qty = number(txt(element, "OrderQty"), "OrderQty")
        if qty <= 0:
            raise BusinessError(100164, f"Order quantity for stock code '{stock_code}' must be "
                                        f"greater than zero")
        price_text = txt(element, "Price")
        price = number(price_text, "Price") if price_text else float(stock.get("ListPrice", 0))
        lines.append({
            "SalesOrderLine": start + len(lines), "CustomerPoLine": txt(element, "CustomerPoLine"),
            "StockCode": stock_code, "StockDescription": stock["Description"],
            "Warehouse": line_warehouse, "OrderQty": qty, "ShipQty": 0.0, "BackOrderQty": 0.0,
            "Price": price, "LineValue": round(qty * price, 2), "LineStatus": "1",
        })
    return lines, freight


def _allocate(company: Company, lines: list[dict[str, Any]]) -> str:
    status = "1"
    for line in lines:
        row = company.warehouse_row(line["StockCode"], line["Warehouse"]) or {}
        free = float(row.get("QtyOnHand", 0)) - float(row.get("QtyAllocated", 0))
        ship = max(0.0, min(free, line["OrderQty"]))
        line.update(ShipQty=ship, BackOrderQty=round(line["OrderQty"] - ship, 6),
                    LineStatus="1" if ship == line["OrderQty"] else "2")
        if ship:
            company.move(line["StockCode"], line["Warehouse"], QtyAllocated=ship)
        if line["BackOrderQty"]:
            status = "2"
    return status


def _sortoi_add(company: Company, params: dict[str, str], order: ET.Element) -> str:
    header = order.find("OrderHeader")
    if header is None:
        raise BusinessError(100010, "OrderHeader is required")
    code = txt(header, "Customer")
    customer = company.get("ArCustomer", code)
    if customer is None:
        raise BusinessError(100137, f"Customer '{code}' not on file")
    if customer.get("CustomerOnHold") == "Y":
        raise BusinessError(100139, f"Customer '{code}' is on hold")
    po_number = txt(header, "CustomerPoNumber")
    if len(po_number) > 30:
        raise BusinessError(100021, "Customer purchase order number exceeds 30 characters")
    if po_number and not _yes(params.get("AllowDuplicateOrderNumbers", "N")):
        for existing in company.rows("SorMaster"):
            if existing["Customer"] == code and existing["CustomerPoNumber"] == po_number:
                raise BusinessError(
                    100174, f"Customer purchase order number '{po_number}' already exists for "
                            f"customer '{code}' on sales order '{existing['SalesOrder']}'",
                )
    warehouse = txt(header, "Warehouse") or "FG"
    _check_warehouse(warehouse)
    order_date = txt(header, "OrderDate") or today()
    try:
        datetime.strptime(order_date, "%Y-%m-%d")
    except ValueError:
        raise BusinessError(100030, f"Order date '{order_date}' is invalid") from None
    lines, freight = _sortoi_lines(company, order, warehouse, 1)
    if not lines:
        raise BusinessError(100160, "Sales order has no stocked lines")
    status = _allocate(company, lines)
    sales_order = company.next_number("sales_order", 100001)
    record = {
        "SalesOrder": sales_order, "OrderStatus": status, "Customer": code,
        "CustomerName": txt(header, "CustomerName") or customer["Name"],
        "CustomerPoNumber": po_number, "OrderDate": order_date,
        "ReqShipDate": txt(header, "RequestedShipDate") or order_date,
        "Warehouse": warehouse, "Currency": customer.get("Currency", "GBP"),
        "Email": txt(header, "Email"), "ShippingInstrs": txt(header, "ShippingInstrs"),
        "ShipPostalCode": txt(header, "ShipPostalCode"), "FreightValue": freight,
        "OrderValue": round(sum(x["LineValue"] for x in lines) + freight, 2), "lines": lines,
    }
    for n in range(1, 6):
        record[f"ShipAddress{n}"] = txt(header, f"ShipAddress{n}")
    company.put("SorMaster", sales_order, record)
    return sales_order


def _sortoi_change(company: Company, order: ET.Element) -> str:
    header = order.find("OrderHeader")
    sales_order = txt(header, "SalesOrder").zfill(6)
    record = company.get("SorMaster", sales_order)
    if record is None:
        raise BusinessError(100171, f"Sales order '{sales_order}' not on file")
    if record["OrderStatus"] in ("9", "\\"):
        raise BusinessError(100172, f"Sales order '{sales_order}' is complete and cannot be "
                                    f"changed")
    for field in ("CustomerPoNumber", "Email", "ShippingInstrs", "ShipPostalCode",
                  "ShipAddress1", "ShipAddress2", "ShipAddress3", "ShipAddress4",
                  "ShipAddress5", "RequestedShipDate"):
        value = txt(header, field)
        if value:
            record["ReqShipDate" if field == "RequestedShipDate" else field] = value
    new_lines, freight = _sortoi_lines(company, order, record["Warehouse"],
                                       len(record["lines"]) + 1)
    if new_lines:
        if _allocate(company, new_lines) == "2":
            record["OrderStatus"] = "2"
        record["lines"].extend(new_lines)
    record["FreightValue"] = float(record.get("FreightValue", 0)) + freight
    record["OrderValue"] = round(sum(x["LineValue"] for x in record["lines"])
                                 + record["FreightValue"], 2)
    company.put("SorMaster", sales_order, record)
    return sales_order


def post_portoi(company: Company, params: dict[str, str], xml_in: ET.Element) -> ET.Element:
    batch = Batch("PurchaseOrders", "ItemsProcessed", "ItemsInvalid")
    items = []
    for order in xml_in.findall("Orders"):
        item = sub(batch.root, "Order")

        def apply(order: ET.Element = order, item: ET.Element = item) -> None:
            header = order.find("OrderHeader")
            supplier_code = txt(header, "Supplier")
            supplier = company.get("ApSupplier", supplier_code)
            if supplier is None:
                raise BusinessError(100201, f"Supplier '{supplier_code}' not on file")
            if txt(header, "OrderActionType", "A").upper() != "A":
                raise BusinessError(100012, "Only order action type 'A' is supported")
            number_ = txt(header, "PurchaseOrder")
            if number_ and company.get("PorMasterHdr", number_.zfill(6)) is not None:
                raise BusinessError(100205, f"Purchase order '{number_}' already exists")
            warehouse = txt(header, "Warehouse") or "FG"
            _check_warehouse(warehouse)
            lines = []
            details = order.find("OrderDetails")
            for element in details.findall("StockLine") if details is not None else []:
                stock_code = txt(element, "StockCode")
                line_warehouse = txt(element, "Warehouse") or warehouse
                stock = _check_stock(company, stock_code, line_warehouse)
                qty = number(txt(element, "OrderQty"), "OrderQty")
                if qty <= 0:
                    raise BusinessError(100164, "Order quantity must be greater than zero")
                price = number(txt(element, "Price"), "Price")
                lines.append({
                    "PurchaseOrderLine": len(lines) + 1, "StockCode": stock_code,
                    "StockDescription": stock["Description"], "Warehouse": line_warehouse,
                    "OrderQty": qty, "ReceivedQty": 0.0, "Price": price,
                    "LineValue": round(qty * price, 2),
                    "LatestDueDate": txt(element, "LatestDueDate") or txt(header, "DueDate"),
                })
            if not lines:
                raise BusinessError(100160, "Purchase order has no stocked lines")
            number_ = number_.zfill(6) if number_ else company.next_number("po", 200001)
            for line in lines:
                company.move(line["StockCode"], line["Warehouse"], QtyOnOrder=line["OrderQty"])
            company.put("PorMasterHdr", number_, {
                "PurchaseOrder": number_, "Supplier": supplier_code,
                "SupplierName": supplier["SupplierName"],
                "OrderDate": txt(header, "OrderDate") or today(),
                "DueDate": txt(header, "DueDate"), "Warehouse": warehouse,
                "Currency": supplier.get("Currency", "GBP"), "Reference": txt(header, "Reference"),
                "OrderStatus": "1", "OrderValue": round(sum(x["LineValue"] for x in lines), 2),
                "lines": lines,
            })
            sub(item, "PurchaseOrder", number_)
            sub(item, "ItemsProcessed", 1)

        items.append((item, apply))
    if not items:
        raise TransportError("XmlIn has no <Orders> element")
    return _run_items(company, batch, items, params)


def post_arstpy(company: Company, params: dict[str, str], xml_in: ET.Element) -> ET.Element:
    batch = Batch("PostArPayment", "ItemsProcessed", "ItemsInvalid")
    items = []
    for element in xml_in.findall("Item"):
        item = sub(batch.root, "Item")

        def apply(element: ET.Element = element, item: ET.Element = item) -> None:
            payment = element.find("Payment")
            code = txt(payment, "Customer")
            reference = txt(payment, "Reference")
            sub(item, "Customer", code)
            sub(item, "Reference", reference)
            if company.get("ArCustomer", code) is None:
                raise BusinessError(100137, f"Customer '{code}' not on file")
            if not reference:
                raise BusinessError(100301, "Payment reference is required")
            if company.get("ArPayHistory", f"{code}|{reference}") is not None:
                raise BusinessError(100302, f"Payment reference '{reference}' already exists for "
                                            f"customer '{code}'")
            value = number(txt(payment, "PaymentValue"), "PaymentValue")
            if value <= 0:
                raise BusinessError(100303, "Payment value must be greater than zero")
            allocations = []
            for invoice in element.findall("Invoice"):
                invoice_no = txt(invoice, "InvoiceNumber")
                found = company.get("ArInvoice", invoice_no)
                if found is None or found["Customer"] != code:
                    raise BusinessError(100310, f"Invoice '{invoice_no}' not on file for "
                                                f"customer '{code}'")
                amount = number(txt(invoice, "PaymentValue"), "PaymentValue")
                if amount > float(found["InvoiceBal1"]) + 0.005:
                    raise BusinessError(100311, f"Payment exceeds the balance of invoice "
                                                f"'{invoice_no}'")
                allocations.append((found, amount))
            for found, amount in allocations:
                found["InvoiceBal1"] = round(float(found["InvoiceBal1"]) - amount, 2)
                company.put("ArInvoice", found["Invoice"], found)
            journal = company.next_number("ar_journal", 1, width=1)
            company.put("ArPayHistory", f"{code}|{reference}", {
                "Customer": code, "Reference": reference,
                "PaymentDate": txt(payment, "PaymentDate") or today(), "PaymentValue": value,
                "PaymentType": txt(payment, "PaymentType", "C"),
                "Bank": txt(payment, "Bank", "BANK1"), "Journal": journal,
            })
            sub(item, "Journal", journal)
            sub(item, "ItemsProcessed", 1)

        items.append((item, apply))
    if not items:
        raise TransportError("XmlIn has no <Item> element")
    return _run_items(company, batch, items, params)


def post_invtma(company: Company, params: dict[str, str], xml_in: ET.Element) -> ET.Element:
    batch = Batch("PostInvAdjustment", "ItemsProcessed", "ItemsInvalid")
    items = []
    for element in xml_in.findall("Item"):
        item = sub(batch.root, "Item")

        def apply(element: ET.Element = element, item: ET.Element = item) -> None:
            stock_code = txt(element, "StockCode")
            warehouse = txt(element, "Warehouse") or "FG"
            sub(item, "StockCode", stock_code)
            sub(item, "Warehouse", warehouse)
            _check_stock(company, stock_code, warehouse)
            qty = number(txt(element, "Quantity"), "Quantity")
            row = company.warehouse_row(stock_code, warehouse) or {}
            if float(row.get("QtyOnHand", 0)) + qty < 0:
                raise BusinessError(100402, f"Adjustment would cause negative stock for stock "
                                            f"code '{stock_code}' in warehouse '{warehouse}'")
            company.move(stock_code, warehouse, QtyOnHand=qty)
            journal = company.next_number("inv_journal", 1, width=1)
            company.put("InvMovements", journal, {
                "Journal": journal, "EntryDate": today(), "StockCode": stock_code,
                "Warehouse": warehouse, "MovementType": "A", "TrnQty": qty,
                "Reference": txt(element, "Reference"), "Notation": txt(element, "Notation"),
            })
            sub(item, "Journal", journal)
            sub(item, "ItemsProcessed", 1)

        items.append((item, apply))
    if not items:
        raise TransportError("XmlIn has no <Item> element")
    return _run_items(company, batch, items, params)


def dispatch_order(
    company: Company, sales_order: str, *, carrier: str = "", waybill: str = "",
    ship_date: str = "",
) -> tuple[str, str]:
    """Ship a sales order in full: dispatch note, invoice, stock out, order complete."""
    order = company.get("SorMaster", sales_order.zfill(6))
    if order is None:
        raise BusinessError(100171, f"Sales order '{sales_order}' not on file")
    if order["OrderStatus"] in ("9", "\\"):
        raise BusinessError(100172, f"Sales order '{order['SalesOrder']}' is already complete")
    for line in order["lines"]:
        allocated = float(line["ShipQty"])
        company.move(line["StockCode"], line["Warehouse"], QtyAllocated=-allocated,
                     QtyOnHand=-float(line["OrderQty"]))
        line.update(ShipQty=line["OrderQty"], BackOrderQty=0.0, LineStatus="9")
    note = company.next_number("dispatch", 500001)
    invoice = company.next_number("invoice", 700001)
    date = ship_date or today()
    customer = company.get("ArCustomer", order["Customer"]) or {}
    rate = 0.2 if customer.get("Currency", "GBP") in ("GBP", "EUR") else 0.0
    value = float(order["OrderValue"])
    tax = round(value * rate, 2)
    company.put("MdnMaster", note, {
        "DispatchNote": note, "SalesOrder": order["SalesOrder"], "Customer": order["Customer"],
        "DispatchNoteStatus": "9", "ShipDate": date, "Carrier": carrier, "WaybillNo": waybill,
        "Invoice": invoice,
    })
    company.put("ArInvoice", invoice, {
        "Invoice": invoice, "Customer": order["Customer"], "SalesOrder": order["SalesOrder"],
        "DispatchNote": note, "InvoiceDate": date, "Currency": order.get("Currency", "GBP"),
        "CurrencyValue": round(value + tax, 2), "TaxValue": tax,
        "InvoiceBal1": round(value + tax, 2),
    })
    order["OrderStatus"] = "9"
    company.put("SorMaster", order["SalesOrder"], order)
    return note, invoice


def post_sortdn(company: Company, params: dict[str, str], xml_in: ET.Element) -> ET.Element:
    batch = Batch("DispatchNotes", "ItemsProcessed", "ItemsInvalid")
    items = []
    for element in xml_in.findall("Item"):
        item = sub(batch.root, "Item")

        def apply(element: ET.Element = element, item: ET.Element = item) -> None:
            sales_order = txt(element, "SalesOrder")
            sub(item, "SalesOrder", sales_order)
            note, invoice = dispatch_order(
                company, sales_order, carrier=txt(element, "Carrier"),
                waybill=txt(element, "WaybillNo"), ship_date=txt(element, "ShipDate"),
            )
            sub(item, "DispatchNote", note)
            sub(item, "Invoice", invoice)
            sub(item, "ItemsProcessed", 1)

        items.append((item, apply))
    if not items:
        raise TransportError("XmlIn has no <Item> element")
    return _run_items(company, batch, items, params)


TRANSACTIONS: dict[str, Callable[[Company, dict[str, str], ET.Element], ET.Element]] = {
    "SORTOI": post_sortoi, "PORTOI": post_portoi, "ARSTPY": post_arstpy,
    "INVTMA": post_invtma, "SORTDN": post_sortdn,
}


# -- setup ------------------------------------------------------------------------------------

STOCK_FIELDS = ("Description", "LongDesc", "StockUom", "ProductClass", "WarehouseToUse", "Mass",
                "ListPrice", "AlternateKey1", "StockOnHold")
STOCK_LENGTHS = {"StockCode": 30, "Description": 50, "LongDesc": 100, "StockUom": 10,
                 "ProductClass": 20, "WarehouseToUse": 10, "AlternateKey1": 30,
                 "StockOnHold": 1}


def _lengths(element: ET.Element, lengths: dict[str, int]) -> None:
    for field, limit in lengths.items():
        value = txt(element, field) or txt(element, f"Key/{field}")
        if len(value) > limit:
            raise BusinessError(100021, f"Field '{field}' exceeds the maximum length of {limit}")


def setup_stock(company: Company, action: str, element: ET.Element) -> str:
    code = txt(element, "Key/StockCode")
    if not code:
        raise BusinessError(100147, "Stock code is required")
    _lengths(element, STOCK_LENGTHS)
    current = company.get("InvMaster", code)
    if action == "Add" and current is not None:
        raise BusinessError(100150, f"Stock code '{code}' already exists")
    if action in ("Update", "Delete") and current is None:
        raise BusinessError(100148, f"Stock code '{code}' not on file")
    if action == "Delete":
        stocked = [r for r in company.rows("InvWarehouse")
                   if r["StockCode"] == code and float(r["QtyOnHand"]) != 0]
        if stocked:
            raise BusinessError(100151, f"Stock code '{code}' has quantity on hand and cannot "
                                        f"be deleted")
        company.delete("InvMaster", code)
        for row in [r for r in company.rows("InvWarehouse") if r["StockCode"] == code]:
            company.delete("InvWarehouse", f"{code}|{row['Warehouse']}")
        return code
    if action == "Add" and not txt(element, "Description"):
        raise BusinessError(100153, "Stock code description is required")
    record = dict(current or {"StockCode": code, "StockUom": "EA", "WarehouseToUse": "FG",
                              "ListPrice": 0.0, "Mass": 0.0, "StockOnHold": "N"})
    for field in STOCK_FIELDS:
        value = txt(element, field)
        if value:
            record[field] = number(value, field) if field in ("Mass", "ListPrice") else value
    _check_warehouse(record["WarehouseToUse"])
    company.put("InvMaster", code, record)
    if company.warehouse_row(code, record["WarehouseToUse"]) is None:
        company.move(code, record["WarehouseToUse"])
    return code


def setup_customer(company: Company, action: str, element: ET.Element) -> str:
    code = txt(element, "Key/Customer")
    if not code:
        raise BusinessError(100136, "Customer code is required")
    _lengths(element, CUSTOMER_LENGTHS)
    current = company.get("ArCustomer", code)
    if action == "Add" and current is not None:
        raise BusinessError(100138, f"Customer '{code}' already exists")
    if action in ("Update", "Delete") and current is None:
        raise BusinessError(100137, f"Customer '{code}' not on file")
    if action == "Delete":
        if any(o["Customer"] == code for o in company.rows("SorMaster")):
            raise BusinessError(100140, f"Customer '{code}' has sales orders and cannot be "
                                        f"deleted")
        company.delete("ArCustomer", code)
        return code
    if action == "Add" and not txt(element, "Name"):
        raise BusinessError(100141, "Customer name is required")
    record = dict(current or {"Customer": code, "Currency": "GBP", "CreditLimit": 0.0,
                              "CustomerOnHold": "N", "Branch": "01", "TermsCode": "30"})
    for field in CUSTOMER_FIELDS[1:-1]:
        value = txt(element, field)
        if value:
            record[field] = number(value, field) if field == "CreditLimit" else value
    company.put("ArCustomer", code, record)
    return code


SETUPS: dict[str, tuple[str, str, Callable[[Company, str, ET.Element], str]]] = {
    # business object: (root element, key element, handler)
    "INVSST": ("SetupInvStockCode", "StockCode", setup_stock),
    "ARSSCS": ("SetupArCustomer", "Customer", setup_customer),
}


def setup_run(
    company: Company, business_object: str, action: str, params: dict[str, str],
    xml_in: ET.Element,
) -> ET.Element:
    root_tag, key_tag, handler = SETUPS[business_object]
    if xml_in.tag != root_tag:
        raise TransportError(f"XmlIn root element must be <{root_tag}> for {business_object}")
    batch = Batch(root_tag, "RecordsProcessed", "RecordsInvalid")
    items = []
    for element in xml_in.findall("Item"):
        item = sub(batch.root, "Item")
        sub(sub(item, "Key"), key_tag, txt(element, f"Key/{key_tag}"))

        def apply(element: ET.Element = element) -> None:
            handler(company, action, element)

        items.append((item, apply))
    if not items:
        raise TransportError("XmlIn has no <Item> element")
    return _run_items(company, batch, items, params)
