"""Brightpearl emulator: the ``*-search`` resources (positional results described by metaData).

Filters are query parameters named after columns: integers take an ID set (``1-5,7``), strings
match case-insensitively (``*`` is a wildcard), periods take ``from/to`` (either side may be
empty) and booleans ``true``/``false``. ``updatedOn``/``createdOn`` filter on the store's own
timestamps, which is what "modified since" polling relies on.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandboxes.state import Account, RecordId, Table
from sandboxes.systems.brightpearl_common import (
    bad_request,
    bp_time,
    id_set_parse,
    time_parse,
)

MAX_PAGE_SIZE = 500
CONTROL_PARAMS = {"pageSize", "firstResult", "sort", "columns"}
ORDER_TYPE_IDS = {"SO": 1, "PO": 2, "SC": 3, "PC": 4}
PAYMENT_STATUS_IDS = {"UNPAID": 1, "PARTIALLY_PAID": 2, "PAID": 3, "NOT_APPLICABLE": 4}

Getter = Callable[[dict[str, Any], RecordId, Table], Any]


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str  # INTEGER | STRING | PERIOD | BOOLEAN | DECIMAL
    get: Getter
    # For PERIOD columns: the instant (epoch seconds) the filter compares.
    epoch: Getter | None = None


@dataclass(frozen=True)
class Search:
    entity: str
    columns: tuple[Column, ...]
    keep: Callable[[dict[str, Any]], bool] = lambda record: True


def _created(record: dict[str, Any], rid: RecordId, table: Table) -> str:
    return bp_time(table.created[rid])


def _updated(record: dict[str, Any], rid: RecordId, table: Table) -> str:
    return bp_time(table.updated[rid])


def _created_epoch(record: dict[str, Any], rid: RecordId, table: Table) -> float:
    return table.created[rid]


def _updated_epoch(record: dict[str, Any], rid: RecordId, table: Table) -> float:
    return table.updated[rid]


def _field(*path: str) -> Getter:
    def get(record: dict[str, Any], rid: RecordId, table: Table) -> Any:
        value: Any = record
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    return get


def _placed_epoch(record: dict[str, Any], rid: RecordId, table: Table) -> float:
    return time_parse(record["placedOn"])


def _party_id(record: dict[str, Any], rid: RecordId, table: Table) -> Any:
    parties = record["parties"]
    return (parties.get("customer") or parties.get("supplier") or {}).get("contactId")


def _email(record: dict[str, Any], rid: RecordId, table: Table) -> str:
    emails = (record.get("communication") or {}).get("emails") or {}
    return (emails.get("PRI") or {}).get("email", "")


CREATED = Column("createdOn", "PERIOD", _created, _created_epoch)
UPDATED = Column("updatedOn", "PERIOD", _updated, _updated_epoch)

SEARCHES: dict[str, Search] = {
    "order-service/order-search": Search("order", (
        Column("orderId", "INTEGER", _field("id")),
        Column("orderTypeId", "INTEGER", lambda r, i, t: ORDER_TYPE_IDS[r["orderTypeCode"]]),
        Column("orderTypeCode", "STRING", _field("orderTypeCode")),
        Column("contactId", "INTEGER", _party_id),
        Column("orderStatusId", "INTEGER", _field("orderStatus", "orderStatusId")),
        Column("orderPaymentStatusId", "INTEGER",
               lambda r, i, t: PAYMENT_STATUS_IDS.get(r["orderPaymentStatus"], 4)),
        Column("customerRef", "STRING", _field("reference")),
        Column("externalRef", "STRING", _field("externalRef")),
        Column("channelId", "INTEGER", _field("assignment", "current", "channelId")),
        Column("warehouseId", "INTEGER", _field("warehouseId")),
        Column("placedOn", "PERIOD", _field("placedOn"), _placed_epoch),
        CREATED,
        Column("createdById", "INTEGER", _field("createdById")),
        UPDATED,
        Column("parentOrderId", "INTEGER", _field("parentOrderId")),
        Column("shippingStatusCode", "STRING", _field("shippingStatusCode")),
        Column("totalValue", "DECIMAL", _field("totalValue", "total")),
    )),
    "product-service/product-search": Search("product", (
        Column("productId", "INTEGER", _field("id")),
        Column("productName", "STRING", lambda r, i, t: r["salesChannels"][0]["productName"]),
        Column("SKU", "STRING", _field("identity", "sku")),
        Column("barcode", "STRING", _field("identity", "barcode")),
        Column("EAN", "STRING", _field("identity", "ean")),
        Column("UPC", "STRING", _field("identity", "upc")),
        Column("ISBN", "STRING", _field("identity", "isbn")),
        Column("MPN", "STRING", _field("identity", "mpn")),
        Column("stockTracking", "BOOLEAN", _field("stock", "stockTracked")),
        Column("brandId", "INTEGER", _field("brandId")),
        Column("productTypeId", "INTEGER", _field("productTypeId")),
        Column("productGroupId", "INTEGER", _field("productGroupId")),
        Column("primarySupplierId", "INTEGER", _field("primarySupplierId")),
        Column("productStatus", "STRING", _field("status")),
        CREATED,
        UPDATED,
    )),
    "contact-service/contact-search": Search("contact", (
        Column("contactId", "INTEGER", _field("contactId")),
        Column("primaryEmail", "STRING", _email),
        Column("firstName", "STRING", _field("firstName")),
        Column("lastName", "STRING", _field("lastName")),
        Column("companyName", "STRING", _field("organisation", "name")),
        Column("isSupplier", "BOOLEAN", _field("relationshipToAccount", "isSupplier")),
        Column("isCustomer", "BOOLEAN",
               lambda r, i, t: not r["relationshipToAccount"]["isSupplier"]
               and not r["relationshipToAccount"]["isStaff"]),
        Column("isStaff", "BOOLEAN", _field("relationshipToAccount", "isStaff")),
        Column("pri", "STRING", _field("communication", "telephones", "PRI")),
        CREATED,
        UPDATED,
    )),
    "accounting-service/customer-payment-search": Search("customer_payment", (
        Column("paymentId", "INTEGER", _field("paymentId")),
        Column("transactionRef", "STRING", _field("transactionRef")),
        Column("transactionCode", "STRING", _field("transactionCode")),
        Column("paymentMethodCode", "STRING", _field("paymentMethodCode")),
        Column("paymentType", "STRING", _field("paymentType")),
        Column("orderId", "INTEGER", _field("orderId")),
        Column("currencyCode", "STRING", _field("currencyCode")),
        Column("amountPaid", "DECIMAL", _field("amountPaid")),
        Column("paymentDate", "PERIOD", _field("paymentDate"),
               lambda r, i, t: time_parse(str(r["paymentDate"]))),
        Column("journalId", "INTEGER", _field("journalId")),
        CREATED,
    )),
    "warehouse-service/goods-note/goods-out-search": Search("goods_out_note", (
        Column("goodsOutNoteId", "INTEGER", _field("goodsOutNoteId")),
        Column("orderId", "INTEGER", _field("orderId")),
        Column("warehouseId", "INTEGER", _field("warehouseId")),
        Column("transfer", "BOOLEAN", _field("transfer")),
        Column("priority", "BOOLEAN", _field("priority")),
        Column("printed", "BOOLEAN", _field("status", "printed")),
        Column("picked", "BOOLEAN", _field("status", "picked")),
        Column("packed", "BOOLEAN", _field("status", "packed")),
        Column("shipped", "BOOLEAN", _field("status", "shipped")),
        Column("shippingReference", "STRING", _field("shipping", "reference")),
        CREATED,
        UPDATED,
    )),
    # One row per goods movement received (a batch of stock); batchId is the goods-in note.
    "warehouse-service/goods-in-search": Search("goods_in_batch", (
        Column("batchId", "INTEGER", _field("batchId")),
        Column("purchaseOrderId", "INTEGER", _field("purchaseOrderId")),
        Column("userBatchRef", "STRING", _field("userBatchRef")),
        Column("productId", "INTEGER", _field("productId")),
        Column("locationId", "INTEGER", _field("locationId")),
        Column("price", "STRING", _field("price")),
        Column("currCode", "STRING", _field("currCode")),
        Column("receivedQuantity", "INTEGER", _field("receivedQuantity")),
        Column("createdDate", "PERIOD", _created, _created_epoch),
        Column("receivedDate", "PERIOD", _field("receivedDate"),
               lambda r, i, t: time_parse(str(r["receivedDate"]))),
        Column("warehouseId", "INTEGER", _field("warehouseId")),
    )),
}


def _matcher(column: Column, raw: str) -> Callable[[Any, float | None], bool]:
    kind = column.data_type
    if kind == "INTEGER":
        wanted = set(id_set_parse(raw))
        return lambda value, epoch: value in wanted
    if kind == "BOOLEAN":
        if raw.lower() not in ("true", "false"):
            raise bad_request("CMNC-400", f"{column.name} must be true or false")
        flag = raw.lower() == "true"
        return lambda value, epoch: bool(value) == flag
    if kind == "PERIOD":
        if "/" in raw:
            start_text, end_text = raw.split("/", 1)
        else:
            start_text, end_text = raw, ""
            if len(raw.strip()) == 10:  # a bare date means that whole day
                end_text = raw.strip() + "T23:59:59.999Z"
        start = time_parse(start_text) if start_text.strip() else None
        end = time_parse(end_text) if end_text.strip() else None
        return lambda value, epoch: epoch is not None and (
            (start is None or epoch >= start) and (end is None or epoch <= end)
        )
    if kind == "DECIMAL":
        try:
            target = float(raw)
        except ValueError:
            raise bad_request("CMNC-400", f"{column.name} must be a number") from None
        return lambda value, epoch: value is not None and abs(float(value) - target) < 0.005
    pattern = raw.lower()
    if "*" in pattern:
        return lambda value, epoch: fnmatch.fnmatchcase(str(value or "").lower(), pattern)
    return lambda value, epoch: str(value or "").lower() == pattern


def search_run(path: str, account: Account, query: dict[str, str]) -> dict[str, Any]:
    spec = SEARCHES[path]
    by_name = {c.name: c for c in spec.columns}
    unknown = [k for k in query if k not in by_name and k not in CONTROL_PARAMS]
    if unknown:
        raise bad_request("CMNC-400", f"Unknown search parameter(s): {', '.join(unknown)}")
    try:
        page_size = int(query.get("pageSize", MAX_PAGE_SIZE))
        first = int(query.get("firstResult", 1))
    except ValueError:
        raise bad_request("CMNC-400", "pageSize and firstResult must be integers") from None
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise bad_request("CMNC-400", f"pageSize must be between 1 and {MAX_PAGE_SIZE}")
    if first < 1:
        raise bad_request("CMNC-400", "firstResult starts at 1")
    filters = [(by_name[k], _matcher(by_name[k], v)) for k, v in query.items() if k in by_name]
    sort_column, direction = spec.columns[0], "ASC"
    if query.get("sort"):
        name, _, way = query["sort"].replace(".", "|").partition("|")
        if name not in by_name:
            raise bad_request("CMNC-400", f"Cannot sort on '{name}'")
        sort_column, direction = by_name[name], (way or "ASC").upper()
        if direction not in ("ASC", "DESC"):
            raise bad_request("CMNC-400", "Sort direction must be ASC or DESC")
    shown = list(spec.columns)
    if query.get("columns"):
        names = [n.strip() for n in query["columns"].split(",") if n.strip()]
        missing = [n for n in names if n not in by_name]
        if missing:
            raise bad_request("CMNC-400", f"Unknown column(s): {', '.join(missing)}")
        shown = [by_name[n] for n in names]

    table = account.table(spec.entity)
    matches: list[tuple[Any, list[Any]]] = []
    for rid, record in table.items():
        if not spec.keep(record):
            continue
        ok = True
        for column, match in filters:
            epoch = column.epoch(record, rid, table) if column.epoch else None
            if not match(column.get(record, rid, table), epoch):
                ok = False
                break
        if not ok:
            continue
        key = (sort_column.epoch or sort_column.get)(record, rid, table)
        matches.append((key, [c.get(record, rid, table) for c in shown]))
    matches.sort(key=lambda item: (item[0] is None, item[0]), reverse=direction == "DESC")
    page = matches[first - 1 : first - 1 + page_size]
    return {
        "metaData": {
            "resultsAvailable": len(matches),
            "resultsReturned": len(page),
            "firstResult": first,
            "lastResult": first + len(page) - 1 if page else first - 1,
            "morePagesAvailable": first - 1 + len(page) < len(matches),
            "columns": [
                {"name": c.name, "sortable": True, "filterable": True,
                 "reportDataType": c.data_type, "required": False}
                for c in shown
            ],
            "sorting": [{"filterable": {"name": sort_column.name}, "direction": direction}],
        },
        "results": [values for _, values in page],
        "reference": {},
    }
