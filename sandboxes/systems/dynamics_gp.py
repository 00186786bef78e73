"""Microsoft Dynamics GP behind an eConnect HTTP shim (eConnect itself is a .NET API, not HTTP).

Per company (the account, e.g. ``TWO``):

- ``POST /dynamicsgp/{company}/econnect`` with an ``<eConnect>`` XML body (one or more transaction
  documents, processed in one SQL transaction as eConnect does). Answers
  ``<eConnectResponse>``: 200 with ``<Success>true</Success>`` and the created document keys, or
  400 with ``<Success>false</Success>`` and ``<Error>`` (``ErrorNumber``, ``StoredProcedure``,
  ``Node``, ``Element``, ``ErrorDescription``) plus eConnect's full text in ``<Message>``.
- Read endpoints for polling: ``GET /dynamicsgp/{company}/api/v1/{resource}[/{id}]`` → JSON
  with GP column names; lists take ``modifiedSince`` (ISO 8601, compared with ``DEX_ROW_TS``),
  ``page`` (from 1) and ``pageSize`` (100, max 1000) and answer
  ``{"value": [...], "page", "pageSize", "totalCount", "nextLink"}``.
- Auth: HTTP Basic with the shim's service account per company; wrong or missing credentials →
  401 JSON ``{"error": {"code": "Unauthorized", "message": ...}}`` with ``WWW-Authenticate``.
  Rate limit ``requests_per_minute`` per company → 429 JSON with ``Retry-After``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from sandboxes.faults import FaultKind
from sandboxes.seeding import Dataset
from sandboxes.state import Account
from sandboxes.system import DemoAccount, SandboxSystem, SystemContext, system_context
from sandboxes.systems.dynamics_gp_schema import (
    SCHEMA_ERROR_NUMBER,
    SchemaError,
    parse_envelope,
)

DEMO_COMPANY = "TWO"
DEMO_CREDENTIALS = {"username": "econnect", "password": "demo-gp-password"}
UOM_SCHEDULES = {"EACH", "CASE", "BOX", "KG"}
SOP_DOCIDS = {1: {"STDQTE"}, 2: {"STDORD"}, 3: {"STDINV"}, 4: {"RTN", "STDRTN"}, 5: {"STDBO"}}
GL_ACCOUNTS = {
    "000-1100-00": "Cash - Operating Account", "000-1200-00": "Accounts Receivable",
    "000-1300-00": "Inventory", "000-2100-00": "Accounts Payable",
    "000-2300-00": "Sales Tax Payable", "000-4100-00": "Sales", "000-4150-00": "Sales Returns",
    "000-4200-00": "Freight Income", "000-5100-00": "Cost of Goods Sold",
    "000-6100-00": "Merchant Fees",
}


class EConnectError(Exception):
    """A stored-procedure error, as eConnect reports it."""

    def __init__(
        self, number: int, procedure: str, description: str, element: str = "",
        identifiers: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(description)
        self.number = number
        self.procedure = procedure
        self.description = description
        self.element = element
        self.identifiers = identifiers or {}

    @property
    def message(self) -> str:
        lines = [
            "Sql procedure error codes returned:",
            f"Error Number = {self.number}  Stored Procedure= {self.procedure}  "
            f"Error Description = {self.description}",
            f"Node Identifier Parameters: {self.procedure}",
        ]
        lines += [f"{k} = {v}" for k, v in self.identifiers.items()]
        return "\n".join(lines)


# -- helpers ----------------------------------------------------------------------------------

def _now_ts() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _money(value: Any) -> float:
    return float(Decimal(str(value or 0)).quantize(Decimal("0.01")))


def _put(account: Account, table: str, key: str, record: dict[str, Any]) -> dict[str, Any]:
    record["DEX_ROW_TS"] = _now_ts()
    tbl = account.table(table)
    if key in tbl:
        tbl.replace(key, record)
    else:
        record.setdefault("CREATDDT", record["DEX_ROW_TS"][:10])
        tbl.insert(record, record_id=key)
    return record


def _get(account: Account, table: str, key: str) -> dict[str, Any] | None:
    return account.table(table).get(key)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Schema values → JSON-friendly (Decimals as floats)."""
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in values.items()}


def _ensure_company(account: Account) -> None:
    if account.settings.get("initialised"):
        return
    account.settings.update(initialised=True, company_name="Clarity Demo Trading Ltd",
                            currency="Z-US$")
    for number, description in GL_ACCOUNTS.items():
        _put(account, "GL00105", number, {"ACTNUMST": number, "ACTDESCR": description,
                                          "ACTIVE": 1})
    for code, name in (("MAIN", "Main Warehouse"), ("EAST", "East Coast DC")):
        _put(account, "IV40700", code, {"LOCNCODE": code, "LOCNDSCR": name, "ADDRESS1": "",
                                        "CITY": "", "COUNTRY": ""})


def _site(account: Account, code: str, procedure: str, element: str = "LOCNCODE") -> None:
    if code and _get(account, "IV40700", code) is None:
        raise EConnectError(
            25, procedure, f"Site ID ({element}) does not exist in the Site Setup table - "
            f"IV40700", element, {element: code},
        )


def _quantity(account: Account, item: str, site: str) -> dict[str, Any]:
    key = f"{item}|{site}"
    row = _get(account, "IV00102", key)
    if row is None:
        row = _put(account, "IV00102", key, {"ITEMNMBR": item, "LOCNCODE": site,
                                             "QTYONHND": 0.0, "ATYALLOC": 0.0, "QTYONORD": 0.0})
    return row


def _move(account: Account, item: str, site: str, **deltas: float) -> None:
    row = _quantity(account, item, site)
    for field, delta in deltas.items():
        row[field] = round(float(row[field]) + delta, 5)
    _put(account, "IV00102", f"{item}|{site}", row)


def _upsert_master(
    account: Account, table: str, key_field: str, values: dict[str, Any], procedure: str,
    exists_number: int, label: str,
) -> str:
    key = values[key_field].strip()
    if not key:
        raise EConnectError(exists_number - 1, procedure, f"The {label} ({key_field}) is empty",
                            key_field)
    current = _get(account, table, key)
    if current is not None and int(values.get("UpdateIfExists", 1)) == 0:
        raise EConnectError(
            exists_number, procedure, f"The {label} ({key_field}) already exists and "
            f"UpdateIfExists = 0", key_field, {key_field: key},
        )
    record = dict(current or {})
    record.update({k: v for k, v in _plain(values).items() if k != "UpdateIfExists"})
    record[key_field] = key
    _put(account, table, key, record)
    return key


# -- document handlers ------------------------------------------------------------------------

def customer_upsert(account: Account, doc: dict[str, Any]) -> tuple[str, str, str]:
    values = doc["taUpdateCreateCustomerRcd"]
    new = _get(account, "RM00101", values["CUSTNMBR"].strip()) is None
    if new and not values.get("CUSTNAME"):
        raise EConnectError(
            2, "taUpdateCreateCustomerRcd", "The Customer Name (CUSTNAME) is empty",
            "CUSTNAME", {"CUSTNMBR": values["CUSTNMBR"]},
        )
    if values.get("CURNCYID") and values["CURNCYID"] not in {"Z-US$", "Z-UK", "Z-EURO",
                                                            "Z-AUD", "Z-C$"}:
        raise EConnectError(
            9, "taUpdateCreateCustomerRcd", "The Currency ID (CURNCYID) does not exist in the "
            "Multicurrency Setup table - MC40200", "CURNCYID", {"CUSTNMBR": values["CUSTNMBR"]},
        )
    key = _upsert_master(account, "RM00101", "CUSTNMBR", values, "taUpdateCreateCustomerRcd",
                         61, "Customer Number")
    return "taUpdateCreateCustomerRcd", "CUSTNMBR", key


def vendor_upsert(account: Account, doc: dict[str, Any]) -> tuple[str, str, str]:
    values = doc["taUpdateCreateVendorRcd"]
    if _get(account, "PM00200", values["VENDORID"].strip()) is None and not values.get(
        "VENDNAME"
    ):
        raise EConnectError(2, "taUpdateCreateVendorRcd", "The Vendor Name (VENDNAME) is empty",
                            "VENDNAME", {"VENDORID": values["VENDORID"]})
    key = _upsert_master(account, "PM00200", "VENDORID", values, "taUpdateCreateVendorRcd",
                         101, "Vendor ID")
    return "taUpdateCreateVendorRcd", "VENDORID", key


def item_upsert(account: Account, doc: dict[str, Any]) -> tuple[str, str, str]:
    values = doc["taUpdateCreateItemRcd"]
    ident = {"ITEMNMBR": values["ITEMNMBR"]}
    new = _get(account, "IV00101", values["ITEMNMBR"].strip()) is None
    if new and not values.get("ITEMDESC"):
        raise EConnectError(2, "taUpdateCreateItemRcd", "The Item Description (ITEMDESC) is "
                            "empty", "ITEMDESC", ident)
    if values.get("UOMSCHDL") and values["UOMSCHDL"] not in UOM_SCHEDULES:
        raise EConnectError(82, "taUpdateCreateItemRcd", "The U of M Schedule (UOMSCHDL) does "
                            "not exist in the Unit of Measure Schedule table - IV40201",
                            "UOMSCHDL", ident)
    if values.get("ITEMTYPE") is not None and values["ITEMTYPE"] not in range(1, 7):
        raise EConnectError(83, "taUpdateCreateItemRcd", "The Item Type (ITEMTYPE) is invalid",
                            "ITEMTYPE", ident)
    if new:
        values.setdefault("ITEMTYPE", 1)
        values.setdefault("UOMSCHDL", "EACH")
    key = _upsert_master(account, "IV00101", "ITEMNMBR", values, "taUpdateCreateItemRcd", 81,
                         "Item Number")
    return "taUpdateCreateItemRcd", "ITEMNMBR", key


def site_upsert(account: Account, doc: dict[str, Any]) -> tuple[str, str, str]:
    key = _upsert_master(account, "IV40700", "LOCNCODE", doc["taCreateInventorySite"],
                         "taCreateInventorySite", 141, "Site ID")
    return "taCreateInventorySite", "LOCNCODE", key


def sop_insert(account: Account, doc: dict[str, Any]) -> tuple[str, str, str]:
    head = _plain(doc["taSopHdrIvcInsert"])
    lines = [_plain(x) for x in doc["taSopLineIvcInsert"]]
    proc = "taSopHdrIvcInsert"
    sop_type, number = int(head["SOPTYPE"]), head["SOPNUMBE"].strip()
    ident = {"SOPNUMBE": number, "SOPTYPE": sop_type}
    if sop_type not in SOP_DOCIDS:
        raise EConnectError(21, proc, "The SOP Type (SOPTYPE) is invalid: use 1 quote, 2 order, "
                            "3 invoice, 4 return, 5 back order", "SOPTYPE", ident)
    if head["DOCID"] not in SOP_DOCIDS[sop_type]:
        raise EConnectError(24, proc, "The Document ID (DOCID) does not exist for this SOP "
                            "Type in the SOP Type Setup table - SOP40200", "DOCID", ident)
    key = f"{sop_type}|{number}"
    if _get(account, "SOP10100", key) is not None:
        raise EConnectError(22, proc, "The SOP Number (SOPNUMBE) already exists in SOP10100, "
                            "SOP30200 or SOP10000", "SOPNUMBE", ident)
    customer = _get(account, "RM00101", head["CUSTNMBR"])
    if customer is None:
        raise EConnectError(23, proc, "The Customer Number (CUSTNMBR) does not exist in the "
                            "Customer Master table - RM00101", "CUSTNMBR",
                            {**ident, "CUSTNMBR": head["CUSTNMBR"]})
    if customer.get("HOLD") == 1:
        raise EConnectError(28, proc, "The customer is on hold", "CUSTNMBR", ident)
    _site(account, head.get("LOCNCODE", ""), proc)
    order = _transfer_source(account, head, ident)
    remaining = ([float(x["QUANTITY"]) - float(x.get("QTYPRINV", 0)) for x in order["lines"]]
                 if order is not None else [])
    transferred: list[tuple[int, float]] = []
    subtotal = 0.0
    for seq, line in enumerate(lines, 1):
        lproc = "taSopLineIvcInsert"
        lident = {"SOPNUMBE": line["SOPNUMBE"], "SOPTYPE": line["SOPTYPE"],
                  "ITEMNMBR": line["ITEMNMBR"]}
        if line["SOPNUMBE"] != number or int(line["SOPTYPE"]) != sop_type:
            raise EConnectError(42, lproc, "The SOP Number / SOP Type of the line does not "
                                "match the header", "SOPNUMBE", lident)
        if line["CUSTNMBR"] != head["CUSTNMBR"]:
            raise EConnectError(44, lproc, "The Customer Number (CUSTNMBR) of the line does not "
                                "match the header", "CUSTNMBR", lident)
        if not line.get("NONINVEN") and _get(account, "IV00101", line["ITEMNMBR"]) is None:
            raise EConnectError(40, lproc, "The Item Number (ITEMNMBR) does not exist in the "
                                "Item Master table - IV00101; set NONINVEN = 1 for a "
                                "non-inventory item", "ITEMNMBR", lident)
        if line["QUANTITY"] <= 0:
            raise EConnectError(43, lproc, "The Quantity (QUANTITY) must be greater than zero",
                                "QUANTITY", lident)
        unit = float(line.get("UNITPRCE", 0))
        extended = _money(line.get("XTNDPRCE", unit * line["QUANTITY"]))
        if abs(extended - _money(unit * line["QUANTITY"])) > 0.005:
            raise EConnectError(41, lproc, "The Extended Price (XTNDPRCE) does not equal "
                                "UNITPRCE * QUANTITY", "XTNDPRCE", lident)
        _site(account, line.get("LOCNCODE", ""), lproc)
        if order is not None:
            transferred.append((_order_line(order, line, remaining, lident), line["QUANTITY"]))
        line.update(XTNDPRCE=extended, LNITMSEQ=line.get("LNITMSEQ") or seq * 16384)
        line.setdefault("LOCNCODE", head.get("LOCNCODE", ""))
        subtotal += extended
    if abs(_money(subtotal) - _money(head["SUBTOTAL"])) > 0.005:
        raise EConnectError(26, proc, "The Subtotal (SUBTOTAL) does not equal the sum of the "
                            "line Extended Prices (XTNDPRCE)", "SUBTOTAL", ident)
    expected = (head["SUBTOTAL"] - head.get("TRDISAMT", 0) + head.get("FREIGHT", 0)
                + head.get("MISCAMNT", 0) + head.get("TAXAMNT", 0))
    if abs(_money(expected) - _money(head["DOCAMNT"])) > 0.005:
        raise EConnectError(27, proc, "The Document Amount (DOCAMNT) does not equal SUBTOTAL - "
                            "TRDISAMT + FREIGHT + MISCAMNT + TAXAMNT", "DOCAMNT", ident)
    if order is not None:
        _transfer_apply(account, order, transferred)
    for line in lines:
        if line.get("NONINVEN"):
            continue
        site = line.get("LOCNCODE") or "MAIN"
        qty = float(line["QUANTITY"])
        if order is not None:
            # Invoiced from the order: its allocation is released as the stock leaves.
            _move(account, line["ITEMNMBR"], site, ATYALLOC=-qty, QTYONHND=-qty)
        elif sop_type == 2:
            _move(account, line["ITEMNMBR"], site, ATYALLOC=qty)
        elif sop_type == 3:
            _move(account, line["ITEMNMBR"], site, QTYONHND=-qty)
        elif sop_type == 4:
            _move(account, line["ITEMNMBR"], site, QTYONHND=qty)
    head.update(CUSTNAME=head.get("CUSTNAME") or customer.get("CUSTNAME", ""), lines=lines,
                VOIDSTTS=0)
    _put(account, "SOP10100", key, head)
    return "taSopHdrIvcInsert", "SOPNUMBE", number


def _transfer_source(account: Account, head: dict[str, Any],
                     ident: dict[str, Any]) -> dict[str, Any] | None:
    """The SOP order an invoice is transferred from (``ORIGTYPE`` 2 + ``ORIGNUMB``), or None.

    GP's Transfer moves an order to an invoice keeping its lines; eConnect has no transfer
    node, so the shim takes the invoice header naming its originating order, as GP records it
    on the invoice (ORIGTYPE/ORIGNUMB), and does the transfer's bookkeeping."""
    if int(head.get("ORIGTYPE") or 0) != 2:
        return None
    proc = "taSopHdrIvcInsert"
    if int(head["SOPTYPE"]) != 3:
        raise EConnectError(32, proc, "Only an invoice (SOPTYPE 3) can be transferred from an "
                            "order (ORIGTYPE 2)", "ORIGTYPE", ident)
    number = str(head.get("ORIGNUMB") or "").strip()
    order = _get(account, "SOP10100", f"2|{number}") if number else None
    if order is None:
        raise EConnectError(29, proc, "The original order (ORIGNUMB) does not exist in SOP10100 "
                            "as an order (SOPTYPE 2)", "ORIGNUMB", {**ident, "ORIGNUMB": number})
    if order.get("TRANSFERRED"):
        raise EConnectError(30, proc, "The original order (ORIGNUMB) has already been "
                            "transferred to an invoice", "ORIGNUMB",
                            {**ident, "ORIGNUMB": number})
    if order["CUSTNMBR"] != head["CUSTNMBR"]:
        raise EConnectError(31, proc, "The Customer Number (CUSTNMBR) does not match the "
                            "original order's customer", "CUSTNMBR", {**ident,
                                                                      "ORIGNUMB": number})
    return order


def _order_line(order: dict[str, Any], line: dict[str, Any], remaining: list[float],
                ident: dict[str, Any]) -> int:
    """The order line an invoice line transfers (same item; same LNITMSEQ when given) with
    enough quantity left; ``remaining`` is consumed so two lines cannot take the same units."""
    quantity = float(line["QUANTITY"])
    candidates = [n for n, x in enumerate(order["lines"]) if x["ITEMNMBR"] == line["ITEMNMBR"]
                  and (not line.get("LNITMSEQ") or x.get("LNITMSEQ") == line["LNITMSEQ"])]
    if not candidates:
        raise EConnectError(45, "taSopLineIvcInsert", "The Item Number (ITEMNMBR) is not on the "
                            "original order (ORIGNUMB)", "ITEMNMBR", ident)
    for index in candidates:
        if remaining[index] + 1e-9 >= quantity:
            remaining[index] -= quantity
            return index
    left = sum(remaining[n] for n in candidates)
    raise EConnectError(46, "taSopLineIvcInsert", f"The Quantity (QUANTITY) is more than the "
                        f"{left:g} left to invoice on the original order", "QUANTITY", ident)


def _transfer_apply(account: Account, order: dict[str, Any],
                    transferred: list[tuple[int, float]]) -> None:
    for index, quantity in transferred:
        line = order["lines"][index]
        line["QTYPRINV"] = round(float(line.get("QTYPRINV", 0)) + quantity, 5)
    if all(float(x.get("QTYPRINV", 0)) + 1e-9 >= float(x["QUANTITY"]) for x in order["lines"]):
        # GP moves a fully transferred order to history (SOP30200); the shim flags it.
        order["TRANSFERRED"] = 1
    _put(account, "SOP10100", f"2|{order['SOPNUMBE'].strip()}", order)


def cash_receipt_insert(account: Account, doc: dict[str, Any]) -> tuple[str, str, str]:
    values = _plain(doc["taRMCashReceiptInsert"])
    proc = "taRMCashReceiptInsert"
    ident = {"DOCNUMBR": values["DOCNUMBR"], "CUSTNMBR": values["CUSTNMBR"]}
    if _get(account, "RM00101", values["CUSTNMBR"]) is None:
        raise EConnectError(122, proc, "The Customer Number (CUSTNMBR) does not exist in the "
                            "Customer Master table - RM00101", "CUSTNMBR", ident)
    if _get(account, "RM10201", values["DOCNUMBR"]) is not None:
        raise EConnectError(121, proc, "The Document Number (DOCNUMBR) already exists in "
                            "RM10201, RM20101 or RM30101", "DOCNUMBR", ident)
    if values["ORTRXAMT"] <= 0:
        raise EConnectError(123, proc, "The Original Transaction Amount (ORTRXAMT) must be "
                            "greater than zero", "ORTRXAMT", ident)
    if values["CSHRCTYP"] not in (0, 1, 2):
        raise EConnectError(124, proc, "The Cash Receipt Type (CSHRCTYP) is invalid: 0 check, "
                            "1 cash, 2 credit card", "CSHRCTYP", ident)
    if values["CSHRCTYP"] == 2 and not values.get("CRCARDID"):
        raise EConnectError(125, proc, "The Credit Card ID (CRCARDID) is required when "
                            "CSHRCTYP = 2", "CRCARDID", ident)
    _put(account, "RM10201", values["DOCNUMBR"], values)
    return proc, "DOCNUMBR", values["DOCNUMBR"]


def gl_insert(account: Account, doc: dict[str, Any]) -> tuple[str, str, str]:
    head = _plain(doc["taGLTransactionHeaderInsert"])
    lines = [_plain(x) for x in doc["taGLTransactionLineInsert"]]
    proc = "taGLTransactionHeaderInsert"
    ident = {"JRNENTRY": head["JRNENTRY"], "BACHNUMB": head["BACHNUMB"]}
    if _get(account, "GL10000", str(head["JRNENTRY"])) is not None:
        raise EConnectError(153, proc, "The Journal Entry (JRNENTRY) already exists in GL10000 "
                            "or GL20000", "JRNENTRY", ident)
    debit = credit = 0.0
    for line in lines:
        lproc = "taGLTransactionLineInsert"
        if line["JRNENTRY"] != head["JRNENTRY"]:
            raise EConnectError(155, lproc, "The Journal Entry (JRNENTRY) of the line does not "
                                "match the header", "JRNENTRY", ident)
        if not line.get("ACTNUMST") or _get(account, "GL00105", line["ACTNUMST"]) is None:
            raise EConnectError(152, lproc, "The Account Number (ACTNUMST) does not exist in "
                                "the Account Index Master table - GL00105", "ACTNUMST",
                                {**ident, "ACTNUMST": line.get("ACTNUMST", "")})
        line_debit, line_credit = line.get("DEBITAMT", 0.0), line.get("CRDTAMNT", 0.0)
        if (line_debit and line_credit) or not (line_debit or line_credit):
            raise EConnectError(154, lproc, "Each line needs either a debit (DEBITAMT) or a "
                                "credit (CRDTAMNT) amount, not both", "DEBITAMT", ident)
        debit += line_debit
        credit += line_credit
    if _money(debit) != _money(credit):
        raise EConnectError(151, proc, "The journal entry is out of balance: total debits "
                            f"({_money(debit):.2f}) do not equal total credits "
                            f"({_money(credit):.2f})", "DEBITAMT", ident)
    head.update(lines=lines, DEBITAMT=_money(debit), CRDTAMNT=_money(credit))
    _put(account, "GL10000", str(head["JRNENTRY"]), head)
    return proc, "JRNENTRY", str(head["JRNENTRY"])


def po_insert(account: Account, doc: dict[str, Any]) -> tuple[str, str, str]:
    head = _plain(doc["taPoHdr"])
    lines = [_plain(x) for x in doc["taPoLine"]]
    proc = "taPoHdr"
    ident = {"PONUMBER": head["PONUMBER"]}
    if head["POTYPE"] not in (1, 2, 3, 4, 5):
        raise EConnectError(174, proc, "The PO Type (POTYPE) is invalid", "POTYPE", ident)
    if _get(account, "POP10100", head["PONUMBER"]) is not None:
        raise EConnectError(171, proc, "The PO Number (PONUMBER) already exists in POP10100 or "
                            "POP30100", "PONUMBER", ident)
    vendor = _get(account, "PM00200", head["VENDORID"])
    if vendor is None:
        raise EConnectError(172, proc, "The Vendor ID (VENDORID) does not exist in the Vendor "
                            "Master table - PM00200", "VENDORID",
                            {**ident, "VENDORID": head["VENDORID"]})
    _site(account, head.get("LOCNCODE", ""), proc)
    subtotal = 0.0
    for number, line in enumerate(lines, 1):
        lproc = "taPoLine"
        if line["PONUMBER"] != head["PONUMBER"] or line["VENDORID"] != head["VENDORID"]:
            raise EConnectError(175, lproc, "The PO Number / Vendor ID of the line does not "
                                "match the header", "PONUMBER", ident)
        if not line.get("NONINVEN") and _get(account, "IV00101", line["ITEMNMBR"]) is None:
            raise EConnectError(173, lproc, "The Item Number (ITEMNMBR) does not exist in the "
                                "Item Master table - IV00101", "ITEMNMBR",
                                {**ident, "ITEMNMBR": line["ITEMNMBR"]})
        site = line.get("LOCNCODE") or head.get("LOCNCODE") or "MAIN"
        _site(account, site, lproc)
        extended = _money(line.get("EXTDCOST", line.get("UNITCOST", 0) * line["QUANTITY"]))
        line.update(LOCNCODE=site, EXTDCOST=extended, ORD=line.get("ORD") or number * 16384)
        subtotal += extended
    for line in lines:
        if not line.get("NONINVEN"):
            _move(account, line["ITEMNMBR"], line["LOCNCODE"], QTYONORD=line["QUANTITY"])
    head.update(VENDNAME=head.get("VENDNAME") or vendor.get("VENDNAME", ""), lines=lines,
                SUBTOTAL=_money(subtotal), POSTATUS=1)
    _put(account, "POP10100", head["PONUMBER"], head)
    return proc, "PONUMBER", head["PONUMBER"]


def _po_line_left(line: dict[str, Any]) -> float:
    return (float(line["QUANTITY"]) - float(line.get("QTYCANCE", 0))
            - float(line.get("QTYSHPPD", 0)))


def receipt_insert(account: Account, doc: dict[str, Any]) -> tuple[str, str, str]:
    """A POP receipt (POPReceivingsType): stock in at the site, PO lines marked received."""
    head = _plain(doc["taPopRcptHdrInsert"])
    lines = [_plain(x) for x in doc["taPopRcptLineInsert"]]
    proc = "taPopRcptHdrInsert"
    number = head["POPRCTNM"].strip()
    ident = {"POPRCTNM": number, "POPTYPE": head["POPTYPE"]}
    if head["POPTYPE"] not in (1, 3):
        raise EConnectError(231, proc, "The Receipt Type (POPTYPE) is invalid: use 1 shipment "
                            "or 3 shipment/invoice", "POPTYPE", ident)
    if head["POPTYPE"] == 3 and not head.get("VNDDOCNM"):
        raise EConnectError(232, proc, "The Vendor Document Number (VNDDOCNM) is required when "
                            "POPTYPE = 3", "VNDDOCNM", ident)
    if _get(account, "POP10300", number) is not None:
        raise EConnectError(233, proc, "The Receipt Number (POPRCTNM) already exists in "
                            "POP10300 or POP30300", "POPRCTNM", ident)
    vendor = _get(account, "PM00200", head["VENDORID"])
    if vendor is None:
        raise EConnectError(234, proc, "The Vendor ID (VENDORID) does not exist in the Vendor "
                            "Master table - PM00200", "VENDORID",
                            {**ident, "VENDORID": head["VENDORID"]})
    taken: dict[tuple[str, int], float] = {}
    planned: list[tuple[dict[str, Any], dict[str, Any] | None, int]] = []
    subtotal = 0.0
    for seq, line in enumerate(lines, 1):
        lproc = "taPopRcptLineInsert"
        lident = {**ident, "ITEMNMBR": line["ITEMNMBR"]}
        if line["POPRCTNM"].strip() != number or line["POPTYPE"] != head["POPTYPE"]:
            raise EConnectError(241, lproc, "The Receipt Number / Receipt Type of the line does "
                                "not match the header", "POPRCTNM", lident)
        if line["VENDORID"] != head["VENDORID"]:
            raise EConnectError(242, lproc, "The Vendor ID (VENDORID) of the line does not "
                                "match the header", "VENDORID", lident)
        if not line.get("NONINVEN") and _get(account, "IV00101", line["ITEMNMBR"]) is None:
            raise EConnectError(243, lproc, "The Item Number (ITEMNMBR) does not exist in the "
                                "Item Master table - IV00101", "ITEMNMBR", lident)
        quantity = float(line["QTYSHPPD"])
        if quantity <= 0:
            raise EConnectError(244, lproc, "The Quantity Shipped (QTYSHPPD) must be greater "
                                "than zero", "QTYSHPPD", lident)
        if head["POPTYPE"] == 3 and not line.get("QTYINVCD"):
            raise EConnectError(245, lproc, "The Quantity Invoiced (QTYINVCD) is required when "
                                "POPTYPE = 3", "QTYINVCD", lident)
        po_line, po_index = None, -1
        po_number = str(line.get("PONUMBER") or "").strip()
        if po_number:
            po = _get(account, "POP10100", po_number)
            lident["PONUMBER"] = po_number
            if po is None:
                raise EConnectError(246, lproc, "The PO Number (PONUMBER) does not exist in the "
                                    "Purchase Order Work table - POP10100", "PONUMBER", lident)
            if po["VENDORID"] != head["VENDORID"]:
                raise EConnectError(247, lproc, "The purchase order (PONUMBER) is for another "
                                    f"vendor ({po['VENDORID']})", "PONUMBER", lident)
            if po.get("POSTATUS") in (5, 6):
                raise EConnectError(248, lproc, "The purchase order (PONUMBER) is closed or "
                                    "canceled", "PONUMBER", lident)
            candidates = [n for n, x in enumerate(po["lines"]) if x["ITEMNMBR"] == line["ITEMNMBR"]
                          and (not line.get("POLNENUM") or x.get("ORD") == line["POLNENUM"])]
            if not candidates:
                raise EConnectError(249, lproc, "The Item Number (ITEMNMBR) is not on the "
                                    "purchase order (PONUMBER)", "ITEMNMBR", lident)
            left = {n: _po_line_left(po["lines"][n]) - taken.get((po_number, n), 0.0)
                    for n in candidates}
            po_index = next((n for n in candidates if left[n] + 1e-9 >= quantity), -1)
            if po_index < 0:
                raise EConnectError(250, lproc, f"The Quantity Shipped (QTYSHPPD) {quantity:g} "
                                    f"is more than the {sum(left.values()):g} still to receive "
                                    "on the purchase order line", "QTYSHPPD", lident)
            taken[(po_number, po_index)] = taken.get((po_number, po_index), 0.0) + quantity
            po_line = po["lines"][po_index]
        site = line.get("LOCNCODE") or (po_line or {}).get("LOCNCODE") or "MAIN"
        _site(account, site, lproc)
        unit = line.get("UNITCOST")
        if unit is None or line.get("AUTOCOST") == 1:
            unit = float((po_line or {}).get("UNITCOST", 0))
        extended = _money(line.get("EXTDCOST", unit * quantity))
        if abs(extended - _money(unit * quantity)) > 0.005:
            raise EConnectError(251, lproc, "The Extended Cost (EXTDCOST) does not equal "
                                "UNITCOST * QTYSHPPD", "EXTDCOST", lident)
        line.update(LOCNCODE=site, UNITCOST=unit, EXTDCOST=extended,
                    RCPTLNNM=line.get("RCPTLNNM") or seq * 16384)
        subtotal += extended
        planned.append((line, po_line, po_index))
    if head.get("SUBTOTAL") and abs(_money(subtotal) - _money(head["SUBTOTAL"])) > 0.005:
        raise EConnectError(235, proc, "The Subtotal (SUBTOTAL) does not equal the sum of the "
                            "line Extended Costs (EXTDCOST)", "SUBTOTAL", ident)
    touched: dict[str, dict[str, Any]] = {}
    for line, po_line, _ in planned:
        quantity = float(line["QTYSHPPD"])
        if not line.get("NONINVEN"):
            _move(account, line["ITEMNMBR"], line["LOCNCODE"], QTYONHND=quantity)
        if po_line is None:
            continue
        if not line.get("NONINVEN"):
            _move(account, line["ITEMNMBR"], po_line["LOCNCODE"], QTYONORD=-quantity)
        po_line["QTYSHPPD"] = round(float(po_line.get("QTYSHPPD", 0)) + quantity, 5)
        # POLNESTA / POSTATUS: 1 new, 4 received (5 closed, 6 canceled).
        po_line["POLNESTA"] = 4 if _po_line_left(po_line) <= 1e-9 else 1
        po = _get(account, "POP10100", line["PONUMBER"].strip())
        assert po is not None
        touched[po["PONUMBER"]] = po
    for po in touched.values():
        if all(x.get("POLNESTA") == 4 for x in po["lines"]):
            po["POSTATUS"] = 4
        _put(account, "POP10100", po["PONUMBER"], po)
    head.update(VENDNAME=head.get("VENDNAME") or vendor.get("VENDNAME", ""), lines=lines,
                SUBTOTAL=_money(subtotal))
    _put(account, "POP10300", number, head)
    return proc, "POPRCTNM", number


def iv_insert(account: Account, doc: dict[str, Any]) -> tuple[str, str, str]:
    head = _plain(doc["taIVTransactionHeaderInsert"])
    lines = [_plain(x) for x in doc["taIVTransactionLineInsert"]]
    proc = "taIVTransactionHeaderInsert"
    ident = {"IVDOCNBR": head["IVDOCNBR"]}
    if head["IVDOCTYP"] not in (1, 2):
        raise EConnectError(195, proc, "The Document Type (IVDOCTYP) is invalid: 1 adjustment, "
                            "2 variance", "IVDOCTYP", ident)
    if _get(account, "IV10000", head["IVDOCNBR"]) is not None:
        raise EConnectError(191, proc, "The Document Number (IVDOCNBR) already exists in "
                            "IV10000 or IV30200", "IVDOCNBR", ident)
    for line in lines:
        lproc = "taIVTransactionLineInsert"
        lident = {**ident, "ITEMNMBR": line["ITEMNMBR"]}
        if line["IVDOCNBR"] != head["IVDOCNBR"]:
            raise EConnectError(196, lproc, "The Document Number (IVDOCNBR) of the line does "
                                "not match the header", "IVDOCNBR", lident)
        if _get(account, "IV00101", line["ITEMNMBR"]) is None:
            raise EConnectError(192, lproc, "The Item Number (ITEMNMBR) does not exist in the "
                                "Item Master table - IV00101", "ITEMNMBR", lident)
        _site(account, line["TRXLOCTN"], lproc, "TRXLOCTN")
        on_hand = float(_quantity(account, line["ITEMNMBR"], line["TRXLOCTN"])["QTYONHND"])
        if on_hand + line["TRXQTY"] < 0:
            raise EConnectError(194, lproc, "The adjustment would make the quantity on hand "
                                "negative at this site", "TRXQTY", lident)
    for line in lines:
        _move(account, line["ITEMNMBR"], line["TRXLOCTN"], QTYONHND=line["TRXQTY"])
    head["lines"] = lines
    _put(account, "IV10000", head["IVDOCNBR"], head)
    return proc, "IVDOCNBR", head["IVDOCNBR"]


def pm_insert(account: Account, doc: dict[str, Any]) -> tuple[str, str, str]:
    values = _plain(doc["taPMTransactionInsert"])
    proc = "taPMTransactionInsert"
    ident = {"VCHNUMWK": values["VCHNUMWK"], "VENDORID": values["VENDORID"]}
    if _get(account, "PM00200", values["VENDORID"]) is None:
        raise EConnectError(212, proc, "The Vendor ID (VENDORID) does not exist in the Vendor "
                            "Master table - PM00200", "VENDORID", ident)
    if values["DOCTYPE"] not in range(1, 8):
        raise EConnectError(213, proc, "The Document Type (DOCTYPE) is invalid: 1 invoice, "
                            "2 finance charge, 3 misc charge, 4 return, 5 credit memo",
                            "DOCTYPE", ident)
    if _get(account, "PM10000", values["VCHNUMWK"]) is not None:
        raise EConnectError(211, proc, "The Voucher Number (VCHNUMWK) already exists in "
                            "PM10000, PM20000 or PM30200", "VCHNUMWK", ident)
    expected = (values["PRCHAMNT"] + values.get("TAXAMNT", 0) + values.get("FRTAMNT", 0)
                + values.get("MSCCHAMT", 0))
    if _money(expected) != _money(values["DOCAMNT"]):
        raise EConnectError(214, proc, "The Document Amount (DOCAMNT) does not equal PRCHAMNT + "
                            "TAXAMNT + FRTAMNT + MSCCHAMT", "DOCAMNT", ident)
    _put(account, "PM10000", values["VCHNUMWK"], values)
    return proc, "VCHNUMWK", values["VCHNUMWK"]


HANDLERS: dict[str, Callable[[Account, dict[str, Any]], tuple[str, str, str]]] = {
    "RMCustomerMasterType": customer_upsert,
    "PMVendorMasterType": vendor_upsert,
    "IVItemMasterType": item_upsert,
    "IVInventorySiteType": site_upsert,
    "SOPTransactionType": sop_insert,
    "RMCashReceiptsType": cash_receipt_insert,
    "GLTransactionType": gl_insert,
    "POPTransactionType": po_insert,
    "IVInventoryTransactionType": iv_insert,
    "PMTransactionType": pm_insert,
    "POPReceivingsType": receipt_insert,
}


def econnect_process(account: Account, body: bytes) -> list[dict[str, str]]:
    """Validate and apply every document; all or nothing, like eConnect's SQL transaction."""
    _ensure_company(account)
    documents = parse_envelope(body)
    snapshot = copy.deepcopy(account.tables) if len(documents) > 1 else None
    done = []
    try:
        for doc_type, doc in documents:
            node, key, value = HANDLERS[doc_type](account, doc)
            done.append({"Type": doc_type, "Node": node, "Key": key, "Id": value})
    except EConnectError:
        if snapshot is not None:
            account.tables = snapshot
        raise
    return done


# -- HTTP: responses --------------------------------------------------------------------------

def _xml(root: ET.Element, status: int = 200) -> Response:
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8")
    return Response(body, status_code=status, media_type="application/xml")


def _sub(parent: ET.Element, tag: str, text: Any = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = str(text)
    return element


def econnect_error(number: int, procedure: str, node: str, element: str, description: str,
                   message: str, status: int = 400) -> Response:
    root = ET.Element("eConnectResponse")
    _sub(root, "Success", "false")
    error = _sub(_sub(root, "Errors"), "Error")
    _sub(error, "ErrorNumber", number)
    _sub(error, "StoredProcedure", procedure)
    _sub(error, "Node", node)
    _sub(error, "Element", element)
    _sub(error, "ErrorDescription", description)
    _sub(root, "Message", message)
    return _xml(root, status)


def json_error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status,
                        headers=headers)


def fault_response(ctx: SystemContext, kind: FaultKind, scope: Scope) -> Response:
    if kind is FaultKind.RATE_LIMITED:
        return json_error(429, "TooManyRequests", "Rate limit exceeded, retry later",
                          **{"Retry-After": "1"})
    if str(scope.get("path", "")).endswith("/econnect"):
        text = ("eConnect error: A network-related or instance-specific error occurred while "
                "establishing a connection to SQL Server.")
        return econnect_error(0, "", "", "", text, text, status=500)
    return json_error(500, "InternalServerError", "The GP web API shim failed unexpectedly")


def _account_from_path(path: str) -> str | None:
    parts = path.strip("/").split("/")
    return parts[0] if parts and parts[0] else None


def _authorize(request: Request) -> tuple[SystemContext, Account] | Response:
    ctx = system_context(request)
    company = request.path_params["company"]
    account = ctx.account(company)
    challenge = {"WWW-Authenticate": f'Basic realm="Dynamics GP eConnect ({company})"'}
    header = request.headers.get("authorization", "")
    user = password = ""
    if header.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user = password = ""
    if account is None:
        return json_error(404, "CompanyNotFound", f"Company '{company}' does not exist")
    creds = account.credentials
    if not header:
        return json_error(401, "Unauthorized", "Authentication required (HTTP Basic)",
                          **challenge)
    if user != creds.get("username") or password != creds.get("password"):
        return json_error(401, "Unauthorized",
                          f"Invalid user name or password for company '{company}'", **challenge)
    limit = int(ctx.limit("requests_per_minute", company))
    budget = ctx.rolling_window("api", 60.0).hit(company, limit)
    if not budget.allowed:
        retry = max(1, -(-budget.reset_ms // 1000))
        return json_error(429, "TooManyRequests",
                          f"Rate limit of {limit} requests per minute exceeded",
                          **{"Retry-After": str(retry)})
    _ensure_company(account)
    return ctx, account


async def econnect(request: Request) -> Response:
    checked = _authorize(request)
    if isinstance(checked, Response):
        return checked
    _, account = checked
    body = await request.body()
    try:
        done = econnect_process(account, body)
    except SchemaError as exc:
        message = f"Error validating XML document against the eConnect schema: {exc.message}"
        return econnect_error(SCHEMA_ERROR_NUMBER, "", exc.node, exc.element, exc.message,
                              message)
    except EConnectError as exc:
        return econnect_error(exc.number, exc.procedure, exc.procedure, exc.element,
                              exc.description, exc.message)
    root = ET.Element("eConnectResponse")
    _sub(root, "Success", "true")
    documents = _sub(root, "Documents")
    for entry in done:
        document = _sub(documents, "Document")
        for key, value in entry.items():
            _sub(document, key, value)
    return _xml(root)


# -- HTTP: read endpoints ---------------------------------------------------------------------

RESOURCES: dict[str, tuple[str, str]] = {
    # resource: (table, what a missing id is called)
    "customers": ("RM00101", "Customer"),
    "vendors": ("PM00200", "Vendor"),
    "items": ("IV00101", "Item"),
    "inventory": ("IV00102", "Item quantity"),
    "sites": ("IV40700", "Site"),
    "accounts": ("GL00105", "Account"),
    "salesDocuments": ("SOP10100", "Sales document"),
    "cashReceipts": ("RM10201", "Cash receipt"),
    "journalEntries": ("GL10000", "Journal entry"),
    "purchaseOrders": ("POP10100", "Purchase order"),
    "purchaseReceipts": ("POP10300", "Purchase receipt"),
    "inventoryTransactions": ("IV10000", "Inventory transaction"),
    "payablesTransactions": ("PM10000", "Payables transaction"),
}
FILTERS = {
    "sopType": "SOPTYPE", "customerNumber": "CUSTNMBR", "itemNumber": "ITEMNMBR",
    "siteId": "LOCNCODE", "vendorId": "VENDORID",
}


def _parse_since(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def resource_list(request: Request) -> Response:
    checked = _authorize(request)
    if isinstance(checked, Response):
        return checked
    _, account = checked
    resource = request.path_params["resource"]
    if resource not in RESOURCES:
        return json_error(404, "NotFound", f"Unknown resource '{resource}'")
    table = account.table(RESOURCES[resource][0])
    params = request.query_params
    try:
        page = int(params.get("page", 1))
        size = int(params.get("pageSize", 100))
        since = _parse_since(params["modifiedSince"]) if params.get("modifiedSince") else None
    except ValueError as exc:
        return json_error(400, "BadRequest", f"Invalid query parameter: {exc}")
    if page < 1 or not 1 <= size <= 1000:
        return json_error(400, "BadRequest", "page must be >= 1 and pageSize 1..1000")
    rows = list(table.values())
    if since is not None:
        rows = [r for r in rows if _parse_since(r["DEX_ROW_TS"]) >= since]
    for param, field in FILTERS.items():
        if params.get(param):
            rows = [r for r in rows if str(r.get(field, "")) == params[param]]
    rows.sort(key=lambda r: (r["DEX_ROW_TS"], str(r.get("SOPNUMBE") or "")))
    total = len(rows)
    chunk = rows[(page - 1) * size : page * size]
    next_link = None
    if page * size < total:
        query = dict(params)
        query.update(page=str(page + 1), pageSize=str(size))
        next_link = str(request.url.replace_query_params(**query))
    return JSONResponse({"value": chunk, "page": page, "pageSize": size, "totalCount": total,
                         "nextLink": next_link})


async def resource_get(request: Request) -> Response:
    checked = _authorize(request)
    if isinstance(checked, Response):
        return checked
    _, account = checked
    resource = request.path_params["resource"]
    if resource not in RESOURCES:
        return json_error(404, "NotFound", f"Unknown resource '{resource}'")
    table_name, label = RESOURCES[resource]
    key = request.path_params["id"]
    record = account.table(table_name).get(key)
    if record is None:
        return json_error(404, "NotFound", f"{label} '{key.replace('|', '/')}' was not found "
                          f"in company {account.name}")
    return JSONResponse(record)


async def sales_document_get(request: Request) -> Response:
    request.path_params["resource"] = "salesDocuments"
    request.path_params["id"] = (
        f"{request.path_params['sop_type']}|{request.path_params['sop_number']}"
    )
    return await resource_get(request)


# -- accounts and seeding ---------------------------------------------------------------------

def create_account(ctx: SystemContext, company: str, given: dict[str, Any]) -> dict[str, Any]:
    return {"username": given.get("username", "econnect"),
            "password": given.get("password", secrets.token_urlsafe(18))}


CURRENCY_IDS = {"USD": "Z-US$", "GBP": "Z-UK", "EUR": "Z-EURO", "AUD": "Z-AUD", "CAD": "Z-C$"}


def _doc(tag: str, *children: ET.Element) -> ET.Element:
    element = ET.Element(tag)
    element.extend(children)
    return element


def _node(tag: str, values: list[tuple[str, Any]]) -> ET.Element:
    element = ET.Element(tag)
    for name, value in values:
        if value is not None and value != "":
            _sub(element, name, f"{value:.2f}" if isinstance(value, float) else value)
    return element


def _apply(account: Account, document: ET.Element) -> None:
    envelope = _doc("eConnect", document)
    econnect_process(account, ET.tostring(envelope))


def seed_account(ctx: SystemContext, account: Account, data: Dataset) -> None:
    """Write the dataset through the same eConnect path a connector uses."""
    _ensure_company(account)
    for warehouse in data.warehouses:
        _apply(account, _doc("IVInventorySiteType", _node("taCreateInventorySite", [
            ("LOCNCODE", warehouse["code"]), ("LOCNDSCR", warehouse["name"]),
            ("CITY", warehouse["city"]), ("COUNTRY", warehouse["country"]),
        ])))
    items: dict[int, str] = {}
    for product in data.products:
        items[product["key"]] = product["sku"]
        _apply(account, _doc("IVItemMasterType", _node("taUpdateCreateItemRcd", [
            ("ITEMNMBR", product["sku"]), ("ITEMDESC", product["name"][:100]),
            ("ITMSHNAM", product["short_name"][:15]), ("ITEMTYPE", 1),
            ("STNDCOST", product["cost"]), ("CURRCOST", product["cost"]),
            ("ITMCLSCD", product["category"][:10].upper()), ("UOMSCHDL", "EACH"),
            ("LISTPRCE", product["price"]), ("UPCCODE", product["barcode"]),
        ])))
        lines = [
            _node("taIVTransactionLineInsert", [
                ("IVDOCNBR", f"IVADJ{product['key']:05d}"), ("IVDOCTYP", 1),
                ("ITEMNMBR", product["sku"]), ("TRXQTY", qty), ("UNITCOST", product["cost"]),
                ("TRXLOCTN", site),
            ])
            for site, qty in product["stock"].items() if qty
        ]
        if lines:
            _apply(account, _doc(
                "IVInventoryTransactionType",
                _doc("taIVTransactionLineInsert_Items", *lines),
                _node("taIVTransactionHeaderInsert", [
                    ("BACHNUMB", "OPENING"), ("IVDOCNBR", f"IVADJ{product['key']:05d}"),
                    ("IVDOCTYP", 1), ("DOCDATE", product["created_at"][:10]),
                ]),
            ))
    customers: dict[int, str] = {}
    for person in data.customers:
        number = f"C{person['last_name'][:4].upper()}{person['key']:04d}"
        number = number.encode("ascii", "ignore").decode()
        customers[person["key"]] = number
        address = person["address"]
        name = person["company"] or f"{person['first_name']} {person['last_name']}"
        _apply(account, _doc("RMCustomerMasterType", _node("taUpdateCreateCustomerRcd", [
            ("CUSTNMBR", number), ("CUSTNAME", name), ("SHRTNAME", name[:15]),
            ("ADRSCODE", "PRIMARY"), ("CNTCPRSN", f"{person['first_name']} {person['last_name']}"),
            ("ADDRESS1", address["line1"]), ("ADDRESS2", address["line2"]),
            ("CITY", address["city"]), ("STATE", address["region"][:29]),
            ("ZIPCODE", address["postal_code"]), ("COUNTRY", address["country"]),
            ("CCode", address["country_iso2"]), ("PHNUMBR1", person["phone"][:21]),
            ("CURNCYID", CURRENCY_IDS.get(person["currency"], "Z-US$")),
            ("INET1", person["email"]),
        ])))
    vendors: dict[int, str] = {}
    for supplier in data.suppliers:
        vendor = f"V{supplier['company'][:6].upper().replace(' ', '')}{supplier['key']:03d}"
        vendors[supplier["key"]] = vendor
        _apply(account, _doc("PMVendorMasterType", _node("taUpdateCreateVendorRcd", [
            ("VENDORID", vendor), ("VENDNAME", supplier["company"]),
            ("ADDRESS1", supplier["address"]["line1"]), ("CITY", supplier["address"]["city"]),
            ("ZIPCODE", supplier["address"]["postal_code"]),
            ("COUNTRY", supplier["address"]["country"]), ("PHNUMBR1", supplier["phone"][:21]),
            ("CURNCYID", "Z-UK"), ("INET1", supplier["email"]),
        ])))
    numbers: dict[int, str] = {}
    for order in data.orders:
        if order["status"] == "cancelled":
            continue
        sop_type = 3 if order["shipped"] else 2
        number = f"{'INV' if sop_type == 3 else 'ORD'}{order['key']:06d}"
        numbers[order["key"]] = number
        customer = customers[order["customer_key"]]
        date = order["placed_at"][:10]
        lines = [
            _node("taSopLineIvcInsert", [
                ("SOPTYPE", sop_type), ("SOPNUMBE", number), ("CUSTNMBR", customer),
                ("DOCDATE", date), ("LOCNCODE", order["warehouse"]),
                ("ITEMNMBR", items[line["product_key"]]), ("UNITPRCE", line["unit_price"]),
                ("XTNDPRCE", line["net"]), ("QUANTITY", line["quantity"]),
                ("ITEMDESC", line["name"][:100]), ("TAXAMNT", line["tax"]),
                ("DOCID", "STDINV" if sop_type == 3 else "STDORD"),
            ])
            for line in order["lines"]
        ]
        subtotal = _money(sum(line["net"] for line in order["lines"]))
        shipping = order["shipping"]
        address = order["shipping_address"]
        _apply(account, _doc(
            "SOPTransactionType",
            _doc("taSopLineIvcInsert_Items", *lines),
            _node("taSopHdrIvcInsert", [
                ("SOPTYPE", sop_type), ("DOCID", "STDINV" if sop_type == 3 else "STDORD"),
                ("SOPNUMBE", number), ("SHIPMTHD", order["shipping_method"][:15].upper()),
                ("TAXAMNT", order["tax"]),
                ("LOCNCODE", order["warehouse"]), ("DOCDATE", date), ("FREIGHT", shipping),
                ("CUSTNMBR", customer), ("CSTPONBR", order["reference"]),
                ("ADDRESS1", address["line1"]), ("CITY", address["city"]),
                ("ZIPCODE", address["postal_code"]), ("COUNTRY", address["country"]),
                ("SUBTOTAL", subtotal), ("DOCAMNT", _money(subtotal + shipping + order["tax"])),
                ("BACHNUMB", "WEBORDERS"),
                ("CURNCYID", CURRENCY_IDS.get(order["currency"], "Z-US$")),
            ]),
        ))
    for payment in data.payments:
        order = data.orders[payment["order_key"] - 1]
        _apply(account, _doc("RMCashReceiptsType", _node("taRMCashReceiptInsert", [
            ("CUSTNMBR", customers[order["customer_key"]]),
            ("DOCNUMBR", f"PMT{payment['key']:06d}"), ("DOCDATE", payment["paid_at"][:10]),
            ("ORTRXAMT", payment["amount"]), ("BACHNUMB", "RECEIPTS"),
            ("CSHRCTYP", 2 if payment["method"] == "CARD" else 0),
            ("CHEKBKID", "FIRST BANK"), ("CHEKNMBR", payment["reference"][:20]),
            ("CRCARDID", "VISA" if payment["method"] == "CARD" else None),
            ("TRXDSCRN", f"Order {order['reference']}"[:30]),
        ])))
    for po in data.purchase_orders:
        vendor = vendors[po["supplier_key"]]
        number = f"PO{po['key']:06d}"
        lines = [
            _node("taPoLine", [
                ("POTYPE", 1), ("PONUMBER", number), ("DOCDATE", po["ordered_at"][:10]),
                ("VENDORID", vendor), ("LOCNCODE", po["warehouse"]),
                ("ITEMNMBR", items[line["product_key"]]), ("QUANTITY", line["quantity"]),
                ("UNITCOST", line["unit_cost"]), ("EXTDCOST", line["net"]),
            ])
            for line in po["lines"]
        ]
        _apply(account, _doc(
            "POPTransactionType",
            _doc("taPoLine_Items", *lines),
            _node("taPoHdr", [
                ("POTYPE", 1), ("PONUMBER", number), ("VENDORID", vendor),
                ("DOCDATE", po["ordered_at"][:10]), ("LOCNCODE", po["warehouse"]),
                ("SUBTOTAL", po["net"]), ("PRMDATE", po["expected_at"][:10]),
                ("CURNCYID", "Z-UK"),
            ]),
        ))


API = "/{company}/api/v1"

SYSTEM = SandboxSystem(
    name="dynamicsgp",
    title="Microsoft Dynamics GP (eConnect HTTP shim)",
    routes=[
        Route("/{company}/econnect", econnect, methods=["POST"]),
        Route(API + "/salesDocuments/{sop_type:int}/{sop_number}", sales_document_get,
              methods=["GET"]),
        Route(API + "/{resource}", resource_list, methods=["GET"]),
        Route(API + "/{resource}/{id}", resource_get, methods=["GET"]),
    ],
    demo_account=DemoAccount(DEMO_COMPANY, DEMO_CREDENTIALS),
    seed_account=seed_account,
    create_account=create_account,
    fault_response=fault_response,
    account_from_path=_account_from_path,
    default_limits={"requests_per_minute": 600},
    base_path="/{company}/econnect (POST eConnect XML); /{company}/api/v1/{resource}[/{id}]",
)
