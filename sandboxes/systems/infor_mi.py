"""M3 MI programs of the Infor sandbox: input validation, transactions and their records.

Every transaction takes a flat ``{FIELD: "text"}`` record (as M3 receives it from the query
string or a bulk ``record``) and answers a list of records, or raises ``MIError`` which the REST
layer turns into ``errorMessage`` / ``errorCode`` / ``errorField`` inside an HTTP 200, as M3 does.

Programs (the sandbox's choice of MIs where M3 offers several):
OIS100MI sales orders (batch head/line → Confirm), MMS200MI items and warehouse balance,
MMS060MI balance identities, MMS850MI stock adjustments, CRS610MI customers, CRS620MI suppliers,
PPS200MI purchase orders, MWS410MI deliveries, OIS350MI customer invoices, GLS840MI GL vouchers.
List transactions page by start key (pass the last key seen) and ``maxrecs``; they also take
``LMTS`` (epoch milliseconds) / ``LMDT`` (yyyyMMdd) to return only records changed since then.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sandboxes.state import Account, Table

COUNTRIES = {
    "GB", "US", "DE", "FR", "AU", "CA", "SE", "NL", "IE", "ES", "IT", "DK", "NO", "FI", "BE",
    "AT", "CH", "PL", "NZ",
}
CURRENCIES = {"GBP", "USD", "EUR", "AUD", "CAD", "SEK", "NOK", "DKK", "CHF", "PLN", "NZD"}
UNITS = {"EA", "PCS", "KG", "BOX", "PR", "SET", "M", "L"}
ORDER_TYPES = {"A01": "Standard sales order", "SO1": "Web shop order", "RET": "Return order"}
PO_TYPES = {"P10": "Standard purchase order", "P20": "Direct delivery"}
ITEM_STATUSES = {"10", "20", "50", "80", "90"}


@dataclass(frozen=True)
class F:
    """One MI input field: name, max length, kind (A alpha, N numeric, D date yyyyMMdd)."""

    name: str
    length: int
    kind: str = "A"
    required: bool = False


class MIError(Exception):
    """A business error: M3 answers it inside the HTTP 200 result of the transaction."""

    def __init__(self, message: str, code: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


Handler = Callable[["M3", dict[str, Any]], list[dict[str, Any]]]


@dataclass(frozen=True)
class Transaction:
    program: str
    name: str
    inputs: tuple[F, ...]
    handler: Handler
    is_list: bool = False


TRANSACTIONS: dict[tuple[str, str], Transaction] = {}
LABELS = {
    "ITNO": "Item number", "CUNO": "Customer", "ORNO": "Order number", "WHLO": "Warehouse",
    "CUCD": "Currency", "ORTP": "Order type", "CSCD": "Country", "UNMS": "Basic U/M",
    "SUNO": "Supplier", "PUNO": "Purchase order number", "DLIX": "Delivery number",
    "IVNO": "Invoice number", "ORQT": "Ordered quantity", "ORQA": "Ordered quantity",
    "ITDS": "Name", "CUNM": "Customer name", "SUNM": "Supplier name", "AIT1": "Account",
    "KEY1": "Batch key", "ACAM": "Amount", "ACDT": "Accounting date", "QLQT": "Quantity",
    "STAT": "Status", "ORTY": "Order type", "CUTM": "Template customer",
}


def mi(program: str, name: str, *inputs: F, is_list: bool = False) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        TRANSACTIONS[(program, name)] = Transaction(program, name, inputs, handler, is_list)
        return handler

    return register


def _label(field: str) -> str:
    return LABELS.get(field, field)


def err_missing(field: str) -> MIError:
    return MIError(f"{_label(field)} must be entered", f"W{field[:2]}0102", field)


def err_not_found(field: str, value: str) -> MIError:
    return MIError(f"{_label(field)} {value} does not exist", f"W{field[:2]}0203", field)


def err_exists(field: str, value: str) -> MIError:
    return MIError(f"{_label(field)} {value} already exists", f"W{field[:2]}0201", field)


def err_invalid(field: str, value: str) -> MIError:
    return MIError(f"{_label(field)} {value} is invalid", f"W{field[:2]}0204", field)


def validate_input(tx: Transaction, raw: dict[str, Any]) -> dict[str, str]:
    """The MI framework's checks before the program runs: length, numeric, date, mandatory."""
    clean: dict[str, str] = {}
    for spec in tx.inputs:
        value = raw.get(spec.name)
        text = "" if value is None else str(value).strip()
        if len(text) > spec.length:
            raise MIError(
                f"Input field {spec.name} is too long, max length is {spec.length}",
                "XLE0001", spec.name,
            )
        if text and spec.kind == "N":
            try:
                float(text)
            except ValueError:
                raise MIError(
                    f"Input field {spec.name} must be numeric", "XNU0001", spec.name
                ) from None
        if text and spec.kind == "D" and not _valid_date(text):
            raise MIError(f"Date {text} is invalid", "WDT0101", spec.name)
        if spec.required and not text:
            raise err_missing(spec.name)
        clean[spec.name] = text
    return clean


def _valid_date(text: str) -> bool:
    if len(text) != 8 or not text.isdigit():
        return False
    try:
        datetime.strptime(text, "%Y%m%d")
    except ValueError:
        return False
    return True


def num(text: str, default: float = 0.0) -> float:
    return float(text) if text else default


def fmt(value: Any) -> str:
    """M3 answers every value as text; decimals without trailing zeros."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return str(value)


def today() -> str:
    return datetime.now(UTC).strftime("%Y%m%d")


def now_ms() -> int:
    return int(time.time() * 1000)


class M3:
    """One tenant's company: MI programs read and write its tables through this view."""

    def __init__(self, account: Account, cono: int, divi: str) -> None:
        self.account = account
        self.cono = cono
        self.divi = divi

    def table(self, name: str) -> Table:
        return self.account.table(name)

    def key(self, *parts: str) -> str:
        return "|".join([str(self.cono), *parts])

    def get(self, table: str, *parts: str) -> dict[str, Any] | None:
        return self.table(table).get(self.key(*parts))

    def put(self, table: str, record: dict[str, Any], *parts: str) -> dict[str, Any]:
        """Insert or replace a record, stamping M3's change date/time fields."""
        record["CONO"] = self.cono
        stamp = now_ms()
        if not record.get("RGDT"):
            record["RGDT"] = today()
        record["LMDT"] = today()
        record["LMTS"] = stamp
        record["CHNO"] = int(record.get("CHNO", 0)) + 1
        key = self.key(*parts)
        tbl = self.table(table)
        if key in tbl:
            tbl.replace(key, record)
        else:
            tbl.insert(record, record_id=key)
        return record

    def touch(self, table: str, record: dict[str, Any], *parts: str) -> None:
        self.put(table, record, *parts)

    def rows(self, table: str) -> list[dict[str, Any]]:
        return [r for r in self.table(table).values() if r.get("CONO") == self.cono]

    def next_number(self, series: str, start: int) -> int:
        counters = self.account.settings.setdefault("number_series", {})
        key = f"{self.cono}:{series}"
        value = int(counters.get(key, start))
        counters[key] = value + 1
        return value


def _changed_since(rows: list[dict[str, Any]], rec: dict[str, str]) -> list[dict[str, Any]]:
    if rec.get("LMTS"):
        since = int(float(rec["LMTS"]))
        rows = [r for r in rows if int(r.get("LMTS", 0)) >= since]
    if rec.get("LMDT"):
        rows = [r for r in rows if str(r.get("LMDT", "")) >= rec["LMDT"]]
    return rows


def _from_key(rows: list[dict[str, Any]], field: str, start: str) -> list[dict[str, Any]]:
    rows = sorted(rows, key=lambda r: str(r.get(field, "")))
    if start:
        rows = [r for r in rows if str(r.get(field, "")) >= start]
    return rows


def _pick(record: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: record.get(f, "") for f in fields}


def _set_changes(target: dict[str, Any], rec: dict[str, str], fields: tuple[str, ...]) -> None:
    """MI "change" semantics: a blank input keeps the value, ``?`` clears it."""
    for field in fields:
        value = rec.get(field, "")
        if value == "?":
            target[field] = ""
        elif value:
            target[field] = value


# -- items: MMS200MI -----------------------------------------------------------------------

ITEM_FIELDS = (
    "CONO", "ITNO", "ITDS", "FUDS", "STAT", "ITTY", "ITGR", "ITCL", "UNMS", "RESP", "NEWE",
    "GRWE", "SAPR", "PUPR", "EAN", "RGDT", "LMDT", "LMTS", "CHNO",
)
ITEM_INPUTS = (
    F("ITDS", 30), F("FUDS", 60), F("STAT", 2), F("ITTY", 3), F("ITGR", 10), F("ITCL", 5),
    F("UNMS", 3), F("RESP", 10), F("NEWE", 15, "N"), F("GRWE", 15, "N"), F("SAPR", 17, "N"),
    F("PUPR", 17, "N"), F("EAN", 13),
)


def _item_check(rec: dict[str, str]) -> None:
    if rec.get("STAT") and rec["STAT"] not in ITEM_STATUSES:
        raise err_invalid("STAT", rec["STAT"])
    if rec.get("UNMS") and rec["UNMS"] not in UNITS:
        raise err_not_found("UNMS", rec["UNMS"])


def _item_out(item: dict[str, Any]) -> dict[str, Any]:
    out = _pick(item, ITEM_FIELDS)
    for field in ("NEWE", "GRWE", "SAPR", "PUPR"):
        out[field] = float(item.get(field) or 0)
    return out


@mi("MMS200MI", "AddItmBasic", F("ITNO", 15, required=True), *ITEM_INPUTS)
def item_add(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    if not rec["ITDS"]:
        raise err_missing("ITDS")
    if m3.get("MITMAS", rec["ITNO"]) is not None:
        raise err_exists("ITNO", rec["ITNO"])
    _item_check(rec)
    item = {f: rec.get(f, "") for f in ("ITNO", "ITDS", "FUDS", "ITTY", "ITGR", "ITCL", "RESP",
                                        "EAN")}
    item.update(
        STAT=rec["STAT"] or "20", UNMS=rec["UNMS"] or "EA", NEWE=num(rec["NEWE"]),
        GRWE=num(rec["GRWE"]), SAPR=num(rec["SAPR"]), PUPR=num(rec["PUPR"]),
    )
    m3.put("MITMAS", item, rec["ITNO"])
    return [{"ITNO": rec["ITNO"]}]


@mi("MMS200MI", "UpdItmBasic", F("ITNO", 15, required=True), *ITEM_INPUTS)
def item_update(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    item = m3.get("MITMAS", rec["ITNO"])
    if item is None:
        raise err_not_found("ITNO", rec["ITNO"])
    _item_check(rec)
    _set_changes(item, rec, ("ITDS", "FUDS", "STAT", "ITTY", "ITGR", "ITCL", "UNMS", "RESP",
                             "EAN"))
    for field in ("NEWE", "GRWE", "SAPR", "PUPR"):
        if rec.get(field):
            item[field] = num(rec[field])
    m3.touch("MITMAS", item, rec["ITNO"])
    return []


@mi("MMS200MI", "GetItmBasic", F("ITNO", 15, required=True))
def item_get(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    item = m3.get("MITMAS", rec["ITNO"])
    if item is None:
        raise err_not_found("ITNO", rec["ITNO"])
    return [_item_out(item)]


def _item_list(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    rows = _changed_since(_from_key(m3.rows("MITMAS"), "ITNO", rec["ITNO"]), rec)
    return [_item_out(r) for r in rows]


LIST_SINCE = (F("LMTS", 18, "N"), F("LMDT", 8, "D"))
mi("MMS200MI", "LstItmByItm", F("ITNO", 15), *LIST_SINCE, is_list=True)(_item_list)
# The brief calls the list transaction LstItmBasic; both names answer the same way.
mi("MMS200MI", "LstItmBasic", F("ITNO", 15), *LIST_SINCE, is_list=True)(_item_list)


BALANCE_FIELDS = (
    "CONO", "WHLO", "ITNO", "STQT", "ALQT", "REQT", "ORQT", "AVAL", "REOP", "WHSL", "LMDT",
    "LMTS",
)


def _balance(m3: M3, whlo: str, itno: str) -> dict[str, Any]:
    """MITBAL row for a warehouse/item, created empty the first time stock moves."""
    row = m3.get("MITBAL", whlo, itno)
    if row is None:
        row = {"WHLO": whlo, "ITNO": itno, "STQT": 0.0, "ALQT": 0.0, "REQT": 0.0,
               "ORQT": 0.0, "REOP": 0.0, "WHSL": "A-01-01"}
        m3.put("MITBAL", row, whlo, itno)
    return row


def _balance_out(row: dict[str, Any]) -> dict[str, Any]:
    out = _pick(row, BALANCE_FIELDS)
    out["AVAL"] = float(row["STQT"]) - float(row["ALQT"])
    return out


def _check_warehouse(m3: M3, whlo: str) -> None:
    if m3.get("MITWHL", whlo) is None:
        raise err_not_found("WHLO", whlo)


@mi("MMS200MI", "GetItmWhsBal", F("WHLO", 3, required=True), F("ITNO", 15, required=True))
def balance_get(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    _check_warehouse(m3, rec["WHLO"])
    if m3.get("MITMAS", rec["ITNO"]) is None:
        raise err_not_found("ITNO", rec["ITNO"])
    row = m3.get("MITBAL", rec["WHLO"], rec["ITNO"])
    if row is None:
        raise MIError(
            f"Item {rec['ITNO']} is not connected to warehouse {rec['WHLO']}", "WWH0203", "ITNO"
        )
    return [_balance_out(row)]


@mi("MMS060MI", "List", F("WHLO", 3), F("ITNO", 15), *LIST_SINCE, is_list=True)
def balance_ids_list(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    if rec["WHLO"]:
        _check_warehouse(m3, rec["WHLO"])
    rows = m3.rows("MITBAL")
    if rec["WHLO"]:
        rows = [r for r in rows if r["WHLO"] == rec["WHLO"]]
    if rec["ITNO"]:
        rows = [r for r in rows if r["ITNO"] == rec["ITNO"]]
    rows = _changed_since(sorted(rows, key=lambda r: (r["WHLO"], r["ITNO"])), rec)
    return [
        {"CONO": r["CONO"], "WHLO": r["WHLO"], "ITNO": r["ITNO"], "WHSL": r["WHSL"],
         "BANO": "", "CAMU": "", "STAS": "2", "STQT": float(r["STQT"]),
         "ALQT": float(r["ALQT"]), "LMDT": r["LMDT"], "LMTS": r["LMTS"]}
        for r in rows
    ]


@mi(
    "MMS850MI", "AddAdjust", F("PRFL", 10), F("WHLO", 3, required=True),
    F("ITNO", 15, required=True), F("WHSL", 10), F("BANO", 20), F("QLQT", 17, "N", True),
    F("RSCD", 3), F("RIDN", 10),
)
def stock_adjust(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    _check_warehouse(m3, rec["WHLO"])
    if m3.get("MITMAS", rec["ITNO"]) is None:
        raise err_not_found("ITNO", rec["ITNO"])
    row = _balance(m3, rec["WHLO"], rec["ITNO"])
    new_qty = float(row["STQT"]) + num(rec["QLQT"])
    if new_qty < 0:
        raise MIError(
            f"On-hand balance for item {rec['ITNO']} in warehouse {rec['WHLO']} would be "
            f"negative", "WQT0301", "QLQT",
        )
    row["STQT"] = new_qty
    if rec["WHSL"]:
        row["WHSL"] = rec["WHSL"]
    m3.touch("MITBAL", row, rec["WHLO"], rec["ITNO"])
    return [{"WHLO": rec["WHLO"], "ITNO": rec["ITNO"], "STQT": new_qty}]


# -- customers: CRS610MI, suppliers: CRS620MI ------------------------------------------------

CUSTOMER_FIELDS = (
    "CONO", "CUNO", "CUNM", "CUTP", "STAT", "CUA1", "CUA2", "CUA3", "CUA4", "TOWN", "ECAR",
    "PONO", "CSCD", "PHNO", "PHN2", "EMAL", "YREF", "CUCD", "LNCD", "ORTP", "RGDT", "LMDT",
    "LMTS", "CHNO",
)
CUSTOMER_INPUTS = (
    F("CUNM", 36), F("CUTP", 1, "N"), F("STAT", 2), F("CUA1", 36), F("CUA2", 36), F("CUA3", 36),
    F("CUA4", 36), F("TOWN", 20), F("ECAR", 10), F("PONO", 10), F("CSCD", 3), F("PHNO", 16),
    F("PHN2", 16), F("EMAL", 60), F("YREF", 30), F("CUCD", 3), F("LNCD", 2), F("ORTP", 3),
)


def _customer_check(rec: dict[str, str]) -> None:
    if rec.get("CSCD") and rec["CSCD"] not in COUNTRIES:
        raise err_not_found("CSCD", rec["CSCD"])
    if rec.get("CUCD") and rec["CUCD"] not in CURRENCIES:
        raise err_not_found("CUCD", rec["CUCD"])
    if rec.get("STAT") and rec["STAT"] not in ("10", "20", "90"):
        raise err_invalid("STAT", rec["STAT"])
    if rec.get("ORTP") and rec["ORTP"] not in ORDER_TYPES:
        raise err_not_found("ORTP", rec["ORTP"])


@mi("CRS610MI", "Add", F("CUTM", 10), F("CUNO", 10, required=True), *CUSTOMER_INPUTS)
def customer_add(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    if not rec["CUNM"]:
        raise err_missing("CUNM")
    if m3.get("OCUSMA", rec["CUNO"]) is not None:
        raise err_exists("CUNO", rec["CUNO"])
    template: dict[str, Any] = {}
    if rec["CUTM"]:
        found = m3.get("OCUSMA", rec["CUTM"])
        if found is None:
            raise err_not_found("CUTM", rec["CUTM"])
        template = found
    _customer_check(rec)
    customer = {f: rec.get(f) or template.get(f, "") for f in CUSTOMER_FIELDS[1:18]}
    customer.update(
        CUNO=rec["CUNO"], STAT=rec["STAT"] or "20", CUTP=rec["CUTP"] or "0",
        CUCD=rec["CUCD"] or template.get("CUCD") or m3.account.settings.get("currency", "GBP"),
        LNCD=rec["LNCD"] or template.get("LNCD") or "GB",
        ORTP=rec["ORTP"] or template.get("ORTP") or "A01",
    )
    m3.put("OCUSMA", customer, rec["CUNO"])
    return [{"CUNO": rec["CUNO"]}]


@mi("CRS610MI", "ChgBasicData", F("CUNO", 10, required=True), *CUSTOMER_INPUTS)
def customer_change(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    customer = m3.get("OCUSMA", rec["CUNO"])
    if customer is None:
        raise err_not_found("CUNO", rec["CUNO"])
    _customer_check(rec)
    _set_changes(customer, rec, tuple(f.name for f in CUSTOMER_INPUTS))
    m3.touch("OCUSMA", customer, rec["CUNO"])
    return []


@mi("CRS610MI", "GetBasicData", F("CUNO", 10, required=True))
def customer_get(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    customer = m3.get("OCUSMA", rec["CUNO"])
    if customer is None:
        raise err_not_found("CUNO", rec["CUNO"])
    return [_pick(customer, CUSTOMER_FIELDS)]


@mi("CRS610MI", "LstByNumber", F("CUNO", 10), *LIST_SINCE, is_list=True)
def customer_list(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    rows = _changed_since(_from_key(m3.rows("OCUSMA"), "CUNO", rec["CUNO"]), rec)
    return [_pick(r, CUSTOMER_FIELDS) for r in rows]


SUPPLIER_FIELDS = (
    "CONO", "SUNO", "SUNM", "SUTY", "STAT", "SUCO", "CUCD", "CSCD", "PHNO", "EMAL", "ADR1",
    "ADR2", "TOWN", "PONO", "YREF", "RGDT", "LMDT", "LMTS",
)


SUPPLIER_INPUTS = (
    F("SUNM", 36), F("SUTY", 1, "N"), F("CUCD", 3), F("CSCD", 3), F("PHNO", 16), F("EMAL", 60),
    F("ADR1", 36), F("ADR2", 36), F("TOWN", 20), F("PONO", 10), F("YREF", 30),
)


@mi("CRS620MI", "AddSupplier", F("SUNO", 10, required=True), *SUPPLIER_INPUTS)
def supplier_add(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    if not rec["SUNM"]:
        raise err_missing("SUNM")
    if m3.get("CIDMAS", rec["SUNO"]) is not None:
        raise err_exists("SUNO", rec["SUNO"])
    _customer_check({"CSCD": rec["CSCD"], "CUCD": rec["CUCD"]})
    supplier = {f: rec.get(f, "") for f in SUPPLIER_FIELDS[1:16]}
    supplier.update(STAT="20", SUTY=rec["SUTY"] or "0", CUCD=rec["CUCD"] or "GBP")
    m3.put("CIDMAS", supplier, rec["SUNO"])
    return [{"SUNO": rec["SUNO"]}]


@mi("CRS620MI", "UpdSupplier", F("SUNO", 10, required=True), F("STAT", 2), *SUPPLIER_INPUTS)
def supplier_change(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    supplier = m3.get("CIDMAS", rec["SUNO"])
    if supplier is None:
        raise err_not_found("SUNO", rec["SUNO"])
    _customer_check({"CSCD": rec["CSCD"], "CUCD": rec["CUCD"], "STAT": rec["STAT"]})
    _set_changes(supplier, rec, ("STAT", *(f.name for f in SUPPLIER_INPUTS)))
    m3.touch("CIDMAS", supplier, rec["SUNO"])
    return []


@mi("CRS620MI", "GetBasicData", F("SUNO", 10, required=True))
def supplier_get(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    supplier = m3.get("CIDMAS", rec["SUNO"])
    if supplier is None:
        raise err_not_found("SUNO", rec["SUNO"])
    return [_pick(supplier, SUPPLIER_FIELDS)]


@mi("CRS620MI", "LstSuppliers", F("SUNO", 10), *LIST_SINCE, is_list=True)
def supplier_list(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    rows = _changed_since(_from_key(m3.rows("CIDMAS"), "SUNO", rec["SUNO"]), rec)
    return [_pick(r, SUPPLIER_FIELDS) for r in rows]


# -- sales orders: OIS100MI ------------------------------------------------------------------

HEAD_FIELDS = (
    "CONO", "ORNO", "CUNO", "ORTP", "CUOR", "ORDT", "RLDT", "CUCD", "WHLO", "FACI", "MODL",
    "YREF", "OREF", "ORSL", "ORST", "NTLA", "BRLA", "RGDT", "LMDT", "LMTS",
)
LINE_FIELDS = (
    "CONO", "ORNO", "PONR", "POSX", "ITNO", "ITDS", "WHLO", "ORQT", "SAPR", "LNAM", "DLQT",
    "IVQT", "ORST", "CUPO", "LMDT", "LMTS",
)


def _customer_for_order(m3: M3, cuno: str) -> dict[str, Any]:
    customer = m3.get("OCUSMA", cuno)
    if customer is None:
        raise err_not_found("CUNO", cuno)
    if customer.get("STAT") == "90":
        raise MIError(f"Customer {cuno} is blocked", "WCU0301", "CUNO")
    return customer


@mi(
    "OIS100MI", "AddBatchHead", F("CUNO", 10, required=True), F("ORTP", 3), F("CUOR", 20),
    F("ORDT", 8, "D"), F("RLDT", 8, "D"), F("CUCD", 3), F("WHLO", 3), F("FACI", 3),
    F("MODL", 3), F("YREF", 30), F("OREF", 30),
)
def order_batch_head(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    customer = _customer_for_order(m3, rec["CUNO"])
    ortp = rec["ORTP"] or customer.get("ORTP") or "A01"
    if ortp not in ORDER_TYPES:
        raise err_not_found("ORTP", ortp)
    cucd = rec["CUCD"] or customer.get("CUCD") or "GBP"
    if cucd not in CURRENCIES:
        raise err_not_found("CUCD", cucd)
    whlo = rec["WHLO"] or m3.account.settings.get("default_warehouse", "")
    _check_warehouse(m3, whlo)
    orno = f"{m3.next_number('batch', 9000000001):010d}"
    head = {f: rec.get(f, "") for f in HEAD_FIELDS[1:]}
    head.update(ORNO=orno, ORTP=ortp, CUCD=cucd, WHLO=whlo, ORDT=rec["ORDT"] or today(),
                FACI=rec["FACI"] or "A01", lines=[])
    m3.put("OXHEAD", head, orno)
    return [{"ORNO": orno}]


@mi(
    "OIS100MI", "AddBatchLine", F("ORNO", 10, required=True), F("ITNO", 15, required=True),
    F("ORQT", 17, "N", True), F("SAPR", 17, "N"), F("WHLO", 3), F("CUPO", 6, "N"),
    F("DWDX", 8, "D"),
)
def order_batch_line(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    head = m3.get("OXHEAD", rec["ORNO"])
    if head is None or head.get("final"):
        raise err_not_found("ORNO", rec["ORNO"])
    item = m3.get("MITMAS", rec["ITNO"])
    if item is None:
        raise err_not_found("ITNO", rec["ITNO"])
    if item.get("STAT") not in ("20", "50"):
        raise MIError(
            f"Item number {rec['ITNO']} has status {item.get('STAT')} and cannot be ordered",
            "WIT0302", "ITNO",
        )
    qty = num(rec["ORQT"])
    if qty <= 0:
        raise MIError("Ordered quantity must be greater than zero", "WOR0401", "ORQT")
    whlo = rec["WHLO"] or head["WHLO"]
    _check_warehouse(m3, whlo)
    price = num(rec["SAPR"], float(item.get("SAPR") or 0))
    ponr = len(head["lines"]) + 1
    head["lines"].append({
        "PONR": ponr, "POSX": 0, "ITNO": rec["ITNO"], "ITDS": item["ITDS"], "WHLO": whlo,
        "ORQT": qty, "SAPR": price, "LNAM": round(qty * price, 2), "DLQT": 0.0, "IVQT": 0.0,
        "CUPO": rec["CUPO"] or str(ponr),
    })
    m3.touch("OXHEAD", head, rec["ORNO"])
    return [{"ORNO": rec["ORNO"], "PONR": ponr}]


@mi(
    "OIS100MI", "AddBatchAddress", F("ORNO", 10, required=True), F("ADRT", 1, "N", True),
    F("CUNM", 36), F("CUA1", 36), F("CUA2", 36), F("CUA3", 36), F("CUA4", 36), F("TOWN", 20),
    F("PONO", 10), F("CSCD", 3), F("PHNO", 16), F("YREF", 30),
)
def order_batch_address(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    """Delivery (1) or invoice (3) address of a batch order; kept with the order head."""
    head = m3.get("OXHEAD", rec["ORNO"])
    if head is None or head.get("final"):
        raise err_not_found("ORNO", rec["ORNO"])
    if rec["ADRT"] not in ("1", "3"):
        raise MIError(f"Address type {rec['ADRT']} is invalid", "WAD0102", "ADRT")
    head.setdefault("addresses", {})[rec["ADRT"]] = {k: v for k, v in rec.items() if v}
    m3.touch("OXHEAD", head, rec["ORNO"])
    return [{"ORNO": rec["ORNO"], "ADRT": rec["ADRT"]}]


@mi("OIS100MI", "Confirm", F("ORNO", 10, required=True))
def order_confirm(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    batch = m3.get("OXHEAD", rec["ORNO"])
    if batch is None or batch.get("final"):
        raise err_not_found("ORNO", rec["ORNO"])
    if not batch["lines"]:
        raise MIError(f"Order {rec['ORNO']} has no order lines", "WOR0501", "ORNO")
    orno = f"{m3.next_number('order', 1000000001):010d}"
    order_create(m3, orno, batch, batch["lines"])
    batch["final"] = orno
    m3.touch("OXHEAD", batch, rec["ORNO"])
    return [{"ORNO": orno, "STAT": "90"}]


def order_create(
    m3: M3, orno: str, head_in: dict[str, Any], lines: list[dict[str, Any]]
) -> dict[str, Any]:
    """Write OOHEAD/OOLINE for a confirmed order and allocate what the warehouse holds."""
    head = {f: head_in.get(f, "") for f in HEAD_FIELDS[1:]}
    head["ORNO"] = orno
    statuses = []
    total = 0.0
    for line in lines:
        row = dict(line, ORNO=orno)
        balance = _balance(m3, row["WHLO"], row["ITNO"])
        free = float(balance["STQT"]) - float(balance["ALQT"])
        if free >= row["ORQT"]:
            balance["ALQT"] = float(balance["ALQT"]) + row["ORQT"]
            m3.touch("MITBAL", balance, row["WHLO"], row["ITNO"])
            row["ORST"] = "33"
        else:
            row["ORST"] = "22"
        statuses.append(row["ORST"])
        total += row["LNAM"]
        m3.put("OOLINE", row, orno, f"{row['PONR']:05d}")
    head.update(ORSL=min(statuses), ORST=max(statuses), NTLA=round(total, 2),
                BRLA=round(total, 2))
    return m3.put("OOHEAD", head, orno)


def _head_out(head: dict[str, Any]) -> dict[str, Any]:
    return _pick(head, HEAD_FIELDS)


@mi("OIS100MI", "GetHead", F("ORNO", 10, required=True))
def order_get(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    head = m3.get("OOHEAD", rec["ORNO"])
    if head is None:
        raise err_not_found("ORNO", rec["ORNO"])
    return [_head_out(head)]


@mi(
    "OIS100MI", "LstHead", F("CUNO", 10), F("ORNO", 10), F("ORST", 2), *LIST_SINCE,
    is_list=True,
)
def order_list(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    rows = _from_key(m3.rows("OOHEAD"), "ORNO", rec["ORNO"])
    if rec["CUNO"]:
        rows = [r for r in rows if r["CUNO"] == rec["CUNO"]]
    if rec["ORST"]:
        rows = [r for r in rows if r["ORST"] == rec["ORST"]]
    return [_head_out(r) for r in _changed_since(rows, rec)]


@mi("OIS100MI", "LstLine", F("ORNO", 10, required=True), F("PONR", 5, "N"), is_list=True)
def order_lines(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    if m3.get("OOHEAD", rec["ORNO"]) is None:
        raise err_not_found("ORNO", rec["ORNO"])
    start = int(num(rec["PONR"]))
    rows = sorted(
        (r for r in m3.rows("OOLINE") if r["ORNO"] == rec["ORNO"] and r["PONR"] >= start),
        key=lambda r: r["PONR"],
    )
    return [_pick(r, LINE_FIELDS) for r in rows]


# -- purchase orders: PPS200MI ---------------------------------------------------------------

PO_HEAD_FIELDS = (
    "CONO", "PUNO", "SUNO", "ORTY", "FACI", "WHLO", "PUDT", "DWDT", "CUCD", "YRE1", "OURR",
    "PUSL", "PUST", "LNAM", "RGDT", "LMDT", "LMTS",
)
PO_LINE_FIELDS = (
    "CONO", "PUNO", "PNLI", "PNLS", "ITNO", "PITD", "ORQA", "RVQA", "PUPR", "LNAM", "DWDT",
    "WHLO", "PUSL", "LMDT", "LMTS",
)


@mi(
    "PPS200MI", "AddHead", F("SUNO", 10, required=True), F("ORTY", 3), F("FACI", 3),
    F("WHLO", 3, required=True), F("PUDT", 8, "D"), F("DWDT", 8, "D"), F("CUCD", 3),
    F("YRE1", 30), F("OURR", 10),
)
def po_add_head(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    supplier = m3.get("CIDMAS", rec["SUNO"])
    if supplier is None:
        raise err_not_found("SUNO", rec["SUNO"])
    orty = rec["ORTY"] or "P10"
    if orty not in PO_TYPES:
        raise err_not_found("ORTY", orty)
    _check_warehouse(m3, rec["WHLO"])
    cucd = rec["CUCD"] or supplier.get("CUCD") or "GBP"
    if cucd not in CURRENCIES:
        raise err_not_found("CUCD", cucd)
    puno = f"{m3.next_number('po', 2000000001):010d}"
    default_dwdt = (date.today() + timedelta(days=14)).strftime("%Y%m%d")
    head = {f: rec.get(f, "") for f in PO_HEAD_FIELDS[1:]}
    head.update(PUNO=puno, ORTY=orty, CUCD=cucd, FACI=rec["FACI"] or "A01",
                PUDT=rec["PUDT"] or today(), DWDT=rec["DWDT"] or default_dwdt,
                PUSL="15", PUST="15", LNAM=0.0)
    m3.put("MPHEAD", head, puno)
    return [{"PUNO": puno}]


@mi(
    "PPS200MI", "AddLine", F("PUNO", 10, required=True), F("ITNO", 15, required=True),
    F("ORQA", 17, "N", True), F("PUPR", 17, "N"), F("DWDT", 8, "D"), F("WHLO", 3),
)
def po_add_line(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    head = m3.get("MPHEAD", rec["PUNO"])
    if head is None:
        raise err_not_found("PUNO", rec["PUNO"])
    item = m3.get("MITMAS", rec["ITNO"])
    if item is None:
        raise err_not_found("ITNO", rec["ITNO"])
    qty = num(rec["ORQA"])
    if qty <= 0:
        raise MIError("Ordered quantity must be greater than zero", "WOR0401", "ORQA")
    price = num(rec["PUPR"], float(item.get("PUPR") or 0))
    pnli = 10 * (sum(1 for r in m3.rows("MPLINE") if r["PUNO"] == rec["PUNO"]) + 1)
    line = {
        "PUNO": rec["PUNO"], "PNLI": pnli, "PNLS": 0, "ITNO": rec["ITNO"],
        "PITD": item["ITDS"], "ORQA": qty, "RVQA": 0.0, "PUPR": price,
        "LNAM": round(qty * price, 2), "DWDT": rec["DWDT"] or head["DWDT"],
        "WHLO": rec["WHLO"] or head["WHLO"], "PUSL": "20",
    }
    m3.put("MPLINE", line, rec["PUNO"], f"{pnli:05d}")
    balance = _balance(m3, line["WHLO"], rec["ITNO"])
    balance["ORQT"] = float(balance["ORQT"]) + qty
    m3.touch("MITBAL", balance, line["WHLO"], rec["ITNO"])
    head.update(PUSL="20", PUST="20", LNAM=round(float(head["LNAM"]) + line["LNAM"], 2))
    m3.touch("MPHEAD", head, rec["PUNO"])
    return [{"PUNO": rec["PUNO"], "PNLI": pnli, "PNLS": 0}]


@mi("PPS200MI", "GetHead", F("PUNO", 10, required=True))
def po_get(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    head = m3.get("MPHEAD", rec["PUNO"])
    if head is None:
        raise err_not_found("PUNO", rec["PUNO"])
    return [_pick(head, PO_HEAD_FIELDS)]


@mi("PPS200MI", "LstHead", F("PUNO", 10), F("SUNO", 10), *LIST_SINCE, is_list=True)
def po_list(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    rows = _from_key(m3.rows("MPHEAD"), "PUNO", rec["PUNO"])
    if rec["SUNO"]:
        rows = [r for r in rows if r["SUNO"] == rec["SUNO"]]
    return [_pick(r, PO_HEAD_FIELDS) for r in _changed_since(rows, rec)]


@mi("PPS200MI", "LstLine", F("PUNO", 10, required=True), is_list=True)
def po_lines(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    if m3.get("MPHEAD", rec["PUNO"]) is None:
        raise err_not_found("PUNO", rec["PUNO"])
    rows = sorted((r for r in m3.rows("MPLINE") if r["PUNO"] == rec["PUNO"]),
                  key=lambda r: r["PNLI"])
    return [_pick(r, PO_LINE_FIELDS) for r in rows]


# -- deliveries: MWS410MI, invoices: OIS350MI ------------------------------------------------

DELIVERY_FIELDS = (
    "CONO", "DLIX", "RORC", "RIDN", "CUNO", "WHLO", "PGRS", "PIST", "DSDT", "DSHM", "MODL",
    "ETRN", "CONN", "GRWE", "NPAL", "LMDT", "LMTS",
)
INVOICE_FIELDS = (
    "CONO", "DIVI", "IVNO", "YEA4", "IVDT", "DUDT", "CUNO", "ORNO", "DLIX", "CUCD", "IVLA",
    "VTAM", "IVAM", "LMDT", "LMTS",
)


def order_deliver(
    m3: M3, orno: str, *, carrier: str = "DHL", tracking: str = "", shipped: str = ""
) -> dict[str, Any]:
    """Pick, deliver and invoice a confirmed order (what warehouse staff and OIS180 would do).

    The API has no transaction for this: the sandbox exposes it through its control API.
    """
    head = m3.get("OOHEAD", orno)
    if head is None:
        raise err_not_found("ORNO", orno)
    if head["ORST"] >= "66":
        raise MIError(f"Order {orno} is already delivered", "WOR0601", "ORNO")
    lines = sorted((r for r in m3.rows("OOLINE") if r["ORNO"] == orno), key=lambda r: r["PONR"])
    dlix = m3.next_number("delivery", 3000000001)
    ship_date = shipped or today()
    for line in lines:
        balance = _balance(m3, line["WHLO"], line["ITNO"])
        if line["ORST"] >= "33":
            balance["ALQT"] = max(0.0, float(balance["ALQT"]) - line["ORQT"])
        balance["STQT"] = max(0.0, float(balance["STQT"]) - line["ORQT"])
        m3.touch("MITBAL", balance, line["WHLO"], line["ITNO"])
        line.update(DLQT=line["ORQT"], IVQT=line["ORQT"], ORST="77")
        m3.touch("OOLINE", line, orno, f"{line['PONR']:05d}")
    delivery = {
        "DLIX": dlix, "RORC": 3, "RIDN": orno, "CUNO": head["CUNO"], "WHLO": head["WHLO"],
        "PGRS": "90", "PIST": "90", "DSDT": ship_date, "DSHM": 1530, "MODL": carrier[:3].upper(),
        "ETRN": tracking, "CONN": dlix, "GRWE": 0.0, "NPAL": 0,
    }
    m3.put("MHDISH", delivery, str(dlix))
    customer = m3.get("OCUSMA", head["CUNO"]) or {}
    rate = 0.2 if customer.get("CSCD", "GB") in ("GB", "FR") else 0.0
    net = float(head["NTLA"])
    ivno = m3.next_number("invoice", 400001)
    due = datetime.strptime(ship_date, "%Y%m%d") + timedelta(days=30)
    invoice = {
        "DIVI": m3.divi, "IVNO": ivno, "YEA4": int(ship_date[:4]), "IVDT": ship_date,
        "DUDT": due.strftime("%Y%m%d"), "CUNO": head["CUNO"], "ORNO": orno, "DLIX": dlix,
        "CUCD": head["CUCD"], "IVLA": net, "VTAM": round(net * rate, 2),
        "IVAM": round(net * (1 + rate), 2),
    }
    m3.put("OINVOH", invoice, str(ivno))
    head.update(ORSL="77", ORST="77")
    m3.touch("OOHEAD", head, orno)
    return {"DLIX": dlix, "IVNO": ivno}


@mi("MWS410MI", "GetHead", F("DLIX", 11, "N", True))
def delivery_get(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    delivery = m3.get("MHDISH", str(int(num(rec["DLIX"]))))
    if delivery is None:
        raise err_not_found("DLIX", rec["DLIX"])
    return [_pick(delivery, DELIVERY_FIELDS)]


@mi(
    "MWS410MI", "LstDeliveries", F("DLIX", 11, "N"), F("RIDN", 10), F("WHLO", 3), *LIST_SINCE,
    is_list=True,
)
def delivery_list(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    start = int(num(rec["DLIX"]))
    rows = sorted((r for r in m3.rows("MHDISH") if r["DLIX"] >= start), key=lambda r: r["DLIX"])
    if rec["RIDN"]:
        rows = [r for r in rows if r["RIDN"] == rec["RIDN"]]
    if rec["WHLO"]:
        rows = [r for r in rows if r["WHLO"] == rec["WHLO"]]
    return [_pick(r, DELIVERY_FIELDS) for r in _changed_since(rows, rec)]


@mi("OIS350MI", "GetHead", F("IVNO", 10, "N", True), F("YEA4", 4, "N"))
def invoice_get(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    invoice = m3.get("OINVOH", str(int(num(rec["IVNO"]))))
    if invoice is None or (rec["YEA4"] and invoice["YEA4"] != int(num(rec["YEA4"]))):
        raise err_not_found("IVNO", rec["IVNO"])
    return [_pick(invoice, INVOICE_FIELDS)]


@mi(
    "OIS350MI", "LstHead", F("IVNO", 10, "N"), F("CUNO", 10), F("ORNO", 10), *LIST_SINCE,
    is_list=True,
)
def invoice_list(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    start = int(num(rec["IVNO"]))
    rows = sorted((r for r in m3.rows("OINVOH") if r["IVNO"] >= start), key=lambda r: r["IVNO"])
    if rec["CUNO"]:
        rows = [r for r in rows if r["CUNO"] == rec["CUNO"]]
    if rec["ORNO"]:
        rows = [r for r in rows if r["ORNO"] == rec["ORNO"]]
    return [_pick(r, INVOICE_FIELDS) for r in _changed_since(rows, rec)]


# -- general ledger: GLS840MI batch upload -> voucher ----------------------------------------

GL_ACCOUNTS = {
    "1010": "Bank current account", "1100": "Accounts receivable", "1510": "Inventory",
    "2010": "Accounts payable", "2310": "VAT payable", "3010": "Sales revenue",
    "3090": "Sales returns and credits", "4010": "Cost of goods sold", "6510": "Card fees",
}


@mi(
    "GLS840MI", "AddBatchHead", F("DIVI", 3), F("ACDT", 8, "D", True), F("VSER", 3),
    F("VDSC", 40), F("CUCD", 3),
)
def gl_batch_head(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    cucd = rec["CUCD"] or m3.account.settings.get("currency", "GBP")
    if cucd not in CURRENCIES:
        raise err_not_found("CUCD", cucd)
    key1 = f"{m3.next_number('glbatch', 50001):010d}"
    batch = {"KEY1": key1, "DIVI": rec["DIVI"] or m3.divi, "ACDT": rec["ACDT"],
             "VSER": rec["VSER"] or "GL", "VDSC": rec["VDSC"], "CUCD": cucd, "STAT": "10",
             "VONO": "", "lines": []}
    m3.put("GLBATCH", batch, key1)
    return [{"KEY1": key1}]


@mi(
    "GLS840MI", "AddBatchLine", F("KEY1", 10, required=True), F("AIT1", 8, required=True),
    F("AIT2", 8), F("ACAM", 17, "N", True), F("VTXT", 40), F("CUNO", 10),
)
def gl_batch_line(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    batch = m3.get("GLBATCH", rec["KEY1"])
    if batch is None:
        raise err_not_found("KEY1", rec["KEY1"])
    if batch["STAT"] != "10":
        raise MIError(f"Batch {rec['KEY1']} is already updated", "WKE0301", "KEY1")
    if rec["AIT1"] not in GL_ACCOUNTS:
        raise err_not_found("AIT1", rec["AIT1"])
    if rec["CUNO"] and m3.get("OCUSMA", rec["CUNO"]) is None:
        raise err_not_found("CUNO", rec["CUNO"])
    line_no = len(batch["lines"]) + 1
    batch["lines"].append({"LINE": line_no, "AIT1": rec["AIT1"], "AIT2": rec["AIT2"],
                           "ACAM": num(rec["ACAM"]), "VTXT": rec["VTXT"], "CUNO": rec["CUNO"]})
    m3.touch("GLBATCH", batch, rec["KEY1"])
    return [{"KEY1": rec["KEY1"], "LINE": line_no}]


@mi("GLS840MI", "Update", F("KEY1", 10, required=True))
def gl_batch_update(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    batch = m3.get("GLBATCH", rec["KEY1"])
    if batch is None:
        raise err_not_found("KEY1", rec["KEY1"])
    if batch["STAT"] != "10":
        raise MIError(f"Batch {rec['KEY1']} is already updated", "WKE0301", "KEY1")
    if not batch["lines"]:
        raise MIError(f"Batch {rec['KEY1']} has no lines", "WKE0302", "KEY1")
    balance = round(sum(line["ACAM"] for line in batch["lines"]), 2)
    if balance != 0:
        raise MIError(
            f"Voucher is not balanced, difference {fmt(balance)}", "WAC0401", "ACAM"
        )
    vono = m3.next_number("voucher", 700001)
    batch.update(STAT="90", VONO=vono)
    m3.touch("GLBATCH", batch, rec["KEY1"])
    return [{"KEY1": rec["KEY1"], "VONO": vono, "VSER": batch["VSER"]}]


@mi("GLS840MI", "GetBatchHead", F("KEY1", 10, required=True))
def gl_batch_get(m3: M3, rec: dict[str, str]) -> list[dict[str, Any]]:
    batch = m3.get("GLBATCH", rec["KEY1"])
    if batch is None:
        raise err_not_found("KEY1", rec["KEY1"])
    debit = sum(x["ACAM"] for x in batch["lines"] if x["ACAM"] > 0)
    credit = -sum(x["ACAM"] for x in batch["lines"] if x["ACAM"] < 0)
    return [{
        "KEY1": batch["KEY1"], "DIVI": batch["DIVI"], "ACDT": batch["ACDT"],
        "VSER": batch["VSER"], "VONO": batch["VONO"], "VDSC": batch["VDSC"],
        "CUCD": batch["CUCD"], "STAT": batch["STAT"], "NBLI": len(batch["lines"]),
        "DBAM": round(debit, 2), "CRAM": round(credit, 2), "LMDT": batch["LMDT"],
        "LMTS": batch["LMTS"],
    }]


DATE_FIELDS = {"ORDT", "RLDT", "RGDT", "LMDT", "DWDT", "PUDT", "DSDT", "IVDT", "DUDT", "ACDT",
               "DWDX"}
