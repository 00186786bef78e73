"""SYSPRO 8 e.net Solutions REST (``/SYSPROWCFService/Rest``).

A session: ``/Logon`` answers a session id (padded with spaces, which we strip) that every
call passes as ``UserId``; sessions end after an idle time. e.net reports transport problems
(expired session, unknown business object, malformed XML, record not found in a query) as
HTTP 200 with a text body starting ``ERROR:``, so the session retry lives in ``call`` here,
above ``Connector.request`` (which only sees HTTP statuses). Business errors are XML with
``ErrorMessages`` per item and ``StatusOfItems`` counts, also in an HTTP 200.

No webhooks: ``list_changed`` polls with COMFND ``TimeStamp GT <rowversion>``. SYSPRO tables
carry no change date, so ``since`` cannot be expressed; the cursor *is* the rowversion
watermark (see ``list_changed``).
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import urlencode

import requests

from integrations.connectors import syspro_xml as sx
from integrations.connectors.base import Connector, Page, Token, WriteResult
from integrations.connectors.budget import RateLimit
from integrations.connectors.errors import (
    AuthError,
    ConfigurationError,
    ConnectorError,
    NotFound,
    TransientError,
    ValidationFailed,
)

CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    "session": ("operator", "operator_password", "company_id", "company_password"),
}
PAGE_SIZE = 100
MAX_QUERY_CHARS = 2000  # longer XmlIn goes in a POST form: IIS refuses long query strings

# entity: (table, key columns) for COMFND polling and single-row reads.
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "sales_order": ("SorMaster", ("SalesOrder",)),
    "customer": ("ArCustomer", ("Customer",)),
    "product": ("InvMaster", ("StockCode",)),
    "inventory": ("InvWarehouse", ("Warehouse", "StockCode")),
    "purchase_order": ("PorMasterHdr", ("PurchaseOrder",)),
    "supplier": ("ApSupplier", ("Supplier",)),
    "invoice": ("ArInvoice", ("Invoice",)),
    "shipment": ("MdnMaster", ("DispatchNote",)),  # dispatch notes (sandbox's table choice)
    "payment": ("ArPayHistory", ("Customer", "Reference")),
}
# entity: (query business object, key element) where SYSPRO has a dedicated query.
QUERIES = {
    "sales_order": ("SORQRY", "SalesOrder"),
    "customer": ("ARSQRY", "Customer"),
    "product": ("INVQRY", "StockCode"),
    "purchase_order": ("PORQRY", "PurchaseOrder"),
}
# Setup business objects: entity → (object, root element, key element, "exists" error no.)
SETUPS = {
    "customer": ("ARSSCS", "SetupArCustomer", "Customer", "100138"),
    "product": ("INVSST", "SetupInvStockCode", "StockCode", "100150"),
}
SESSION_PHRASES = ("session has expired", "userid is invalid", "log on again",
                   "session is invalid", "not logged on")


class SysproConnector(Connector):
    system = "syspro"
    # No published limit (on-premise); the sandbox's proxy allows 600 per company per minute.
    rate_limit = RateLimit(requests=600, period_s=60)
    entities = ("sales_order", "customer", "product", "inventory", "purchase_order",
                "supplier", "invoice", "shipment", "payment")
    page_size: ClassVar[int] = PAGE_SIZE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.refresher is None:
            self.refresher = lambda failed: self.fetch_token()

    # --- session ------------------------------------------------------------------------------
    @property
    def company(self) -> str:
        company = self.config.credentials.get("company_id") or self.config.account
        if not company:
            raise ConfigurationError("Missing credential: company_id.", system=self.system)
        return str(company)

    @property
    def session_id(self) -> str:
        return str(self.token.get("session_id", ""))

    def ensure_token(self) -> None:
        if not self.session_id and self.refresher is not None:
            self.token = self.refresher(self.token)

    def fetch_token(self) -> Token:
        """Log on: the session id (trailing spaces stripped) is the token."""
        operator, password = self.config.require("operator", "operator_password")
        params = {"Operator": operator, "OperatorPassword": password,
                  "CompanyId": self.company,
                  "CompanyPassword": self.config.credentials.get("company_password") or ""}
        response = self.request("GET", "Logon", params=params, authenticate=False,
                                headers={"Accept": "text/plain"})
        text = response.text
        if text.lstrip().startswith("ERROR"):
            raise AuthError(f"SYSPRO refused the logon: {_enet_message(text)}",
                            system=self.system, status=response.status_code)
        session = text.strip()
        if not session:
            raise TransientError("SYSPRO answered the logon without a session id.",
                                 system=self.system, status=response.status_code)
        return {"session_id": session, "obtained_at": time.time()}

    def logoff(self) -> None:
        """End the session (frees a SYSPRO licence seat); a gone session is not an error."""
        if not self.session_id:
            return
        try:
            self.request("GET", "Logoff", params={"UserId": self.session_id},
                         authenticate=False, headers={"Accept": "text/plain"})
        finally:
            self.token = {}

    # --- calls --------------------------------------------------------------------------------
    def error_for(self, response: requests.Response) -> ConnectorError:
        return self.classify_status(response, message=_enet_message(response.text),
                                    wait_s=_retry_after(response))

    def call(self, path: str, params: dict[str, str]) -> str:
        """One e.net call with the session; logs on again once if the session has expired."""
        for attempt in (1, 2):
            self.ensure_token()
            query = {"UserId": self.session_id, **params}
            if len(urlencode(query)) <= MAX_QUERY_CHARS:
                response = self.request("GET", path, params=query, headers=_ACCEPT)
            else:
                response = self.request("POST", path, data=query, headers=_ACCEPT)
            text = response.text
            if not text.lstrip().startswith("ERROR"):
                return text
            error = self._enet_error(text)
            if isinstance(error, AuthError) and attempt == 1 and self.refresher is not None:
                self.token = self.refresher(self.token)
                continue
            raise error
        raise AssertionError("unreachable")

    def _enet_error(self, text: str) -> ConnectorError:
        message = _enet_message(text)
        lowered = message.lower()
        if any(phrase in lowered for phrase in SESSION_PHRASES):
            return AuthError(f"SYSPRO session ended: {message}", system=self.system,
                             status=200)
        if lowered.endswith("not found"):
            return NotFound(message, system=self.system, status=200)
        return ValidationFailed(message, field=sx.field_named(message), system=self.system,
                                status=200)

    def _xml(self, text: str) -> ET.Element:
        try:
            return sx.parse(text)
        except ET.ParseError as exc:
            raise TransientError(f"SYSPRO answered with malformed XML: {exc}",
                                 system=self.system, status=200) from exc

    def query(self, business_object: str, xml_in: ET.Element, *, method: str = "Query"
              ) -> ET.Element:
        return self._xml(self.call(f"Query/{method}", {
            "BusinessObject": business_object, "XmlIn": sx.to_string(xml_in)}))

    def post(self, business_object: str, parameters: ET.Element, xml_in: ET.Element
             ) -> ET.Element:
        return self._checked(self.call("Transaction/Post", {
            "BusinessObject": business_object, "XmlParameters": sx.to_string(parameters),
            "XmlIn": sx.to_string(xml_in)}))

    def setup(self, action: str, business_object: str, parameters: ET.Element,
              xml_in: ET.Element) -> ET.Element:
        return self._checked(self.call(f"Setup/{action}", {
            "BusinessObject": business_object, "XmlParameters": sx.to_string(parameters),
            "XmlIn": sx.to_string(xml_in)}))

    def _checked(self, text: str) -> ET.Element:
        # HTTP 200 says nothing: the items' error messages and invalid counts decide.
        root = self._xml(text)
        errors = sx.business_errors(root)
        if errors or sx.invalid_count(root):
            number, description = errors[0] if errors else ("", "An item was refused.")
            message = "; ".join(d for _, d in errors) or description
            raise ValidationFailed(message, field=sx.field_named(description), code=number,
                                   system=self.system, status=200, detail=sx.to_dict(root))
        return root

    def test(self) -> None:
        self.find("ArCustomer", [], rows=1)

    # --- reads --------------------------------------------------------------------------------
    def find(self, table: str, where: list[tuple[str, str, str]], *, rows: int = PAGE_SIZE,
             order_by: str = "") -> list[dict[str, Any]]:
        """COMFND: rows of ``table`` matching ``(column, condition, value)`` expressions."""
        query: dict[str, Any] = {"TableName": table, "ReturnRows": rows}
        if where:
            query["Where"] = {"Expression": [
                {"Column": column, "Condition": condition, "Value": value, "AndOr": "And"}
                for column, condition, value in where]}
        if order_by:
            query["OrderBy"] = {"Column": order_by}
        root = self.query("COMFND", sx.build("Query", query))
        return list(sx.to_dict(root, sx.ROWS_ONLY).get("Row", []))

    def record_id(self, entity: str, record: dict[str, Any]) -> str:
        """The external id as ``get`` takes it (``a/b`` for two-part keys)."""
        return "/".join(str(record[key]) for key in TABLES[entity][1])

    def get(self, entity: str, external_id: str) -> dict[str, Any]:
        if entity == "inventory":
            warehouse, _, stock_code = external_id.partition("/")
            found = self.query("INVQRY", sx.build("Query", {
                "Key": {"StockCode": stock_code},
                "Option": {"WarehouseFilterType": "S", "WarehouseFilterValue": warehouse}}))
            items = sx.to_dict(found).get("WarehouseItem", [])
            if not items:
                raise NotFound(f"Stock code '{stock_code}' is not stocked in warehouse "
                               f"'{warehouse}'.", system=self.system)
            return {"StockCode": stock_code, **items[0]}
        if entity in QUERIES:
            business_object, key = QUERIES[entity]
            return sx.to_dict(self.query(business_object,
                                         sx.build("Query", {"Key": {key: external_id}})))
        table, keys = self._table(entity)
        values = external_id.split("/", len(keys) - 1)
        rows = self.find(table, [(k, "EQ", v) for k, v in zip(keys, values, strict=False)],
                         rows=1)
        if not rows:
            raise NotFound(f"{entity} {external_id} not found in {table}.", system=self.system)
        return rows[0]

    def list_changed(self, entity: str, *, since: datetime | None,
                     cursor: str | None = None) -> Page:
        """Rows changed after the rowversion ``cursor``, oldest change first.

        SYSPRO rows carry a rowversion ``TimeStamp``, not a change date, so ``since`` cannot
        be honoured: without a cursor the walk starts at the beginning. ``next_cursor`` is the
        last row's TimeStamp whenever a page has rows (an empty page ends the walk), so the
        last cursor of a poll is also the watermark to pass to the next one.
        """
        table, _ = self._table(entity)
        watermark = cursor or "0x0000000000000000"
        rows = self.find(table, [("TimeStamp", "GT", watermark)], rows=self.page_size,
                         order_by="TimeStamp")
        return Page(rows, next_cursor=rows[-1]["TimeStamp"] if rows else None)

    def _table(self, entity: str) -> tuple[str, tuple[str, ...]]:
        if entity not in TABLES:
            raise ConfigurationError(f"SYSPRO connector cannot read {entity}.",
                                     system=self.system)
        return TABLES[entity]

    # --- writes -------------------------------------------------------------------------------
    def upsert(self, entity: str, record: dict[str, Any], *,
               external_id: str | None = None) -> WriteResult:
        if entity == "sales_order":
            return self._sales_order_upsert(record, external_id)
        if entity in SETUPS:
            return self._setup_upsert(entity, record, external_id)
        if entity == "inventory":
            return self._inventory_upsert(record, external_id)
        if entity == "purchase_order":
            return self._purchase_order_upsert(record, external_id)
        if entity == "payment":
            return self.payment_create(record)
        if entity == "shipment":
            return self.shipment_create(
                sales_order=str(record.get("SalesOrder") or external_id),
                carrier=str(record.get("Carrier", "")),
                waybill=str(record.get("WaybillNo", "")),
                ship_date=record.get("ShipDate"))
        raise ConfigurationError(f"SYSPRO connector cannot write {entity}.", system=self.system)

    # sales orders: SORTOI ------------------------------------------------------------------
    def _sales_order_upsert(self, record: dict[str, Any], external_id: str | None
                            ) -> WriteResult:
        header = dict(record.get("OrderHeader") or {})
        order: dict[str, Any] = {"OrderHeader": header}
        if external_id:
            # Change the header only: SORTOI adds every StockLine it is sent, so re-sending
            # the lines would duplicate them (line changes need SYSPRO line numbers).
            header.pop("SalesOrderNumber", None)
            header.update(OrderActionType="C", SalesOrder=external_id)
        else:
            header["OrderActionType"] = "A"
            order["OrderDetails"] = record.get("OrderDetails") or {}
        parameters = sx.build("SalesOrders", {"Parameters": {
            "Process": "Import", "IgnoreWarnings": "W", "AllowDuplicateOrderNumbers": "N",
            "ApplyIfEntireDocumentValid": "Y", "ValidateOnly": "N"}})
        try:
            root = self.post("SORTOI", parameters, sx.build("SalesOrders", {"Orders": order}))
        except ValidationFailed as exc:
            existing = self._order_by_po(header) if exc.code == "100174" else None
            if existing is None:
                raise
            # A retry after a lost answer: the order is already there.
            return WriteResult(existing, created=False)
        number = root.findtext("Order/SalesOrder") or external_id or ""
        return WriteResult(number.strip(), created=not external_id)

    def _order_by_po(self, header: dict[str, Any]) -> str | None:
        rows = self.find("SorMaster", [
            ("Customer", "EQ", sx.text_of(header.get("Customer", ""))),
            ("CustomerPoNumber", "EQ", sx.text_of(header.get("CustomerPoNumber", "")))],
            rows=1)
        return str(rows[0]["SalesOrder"]) if rows else None

    # customers and stock codes: ARSSCS / INVSST --------------------------------------------
    def _setup_upsert(self, entity: str, record: dict[str, Any], external_id: str | None
                      ) -> WriteResult:
        business_object, root_tag, key, exists = SETUPS[entity]
        code = external_id or sx.text_of(record.get(key, ""))
        if not code:
            raise ValidationFailed(f"{key} is required.", field=key, system=self.system)
        item = {"Key": {key: code}, **{k: v for k, v in record.items() if k != key}}
        xml_in = sx.build(root_tag, {"Item": item})
        parameters = sx.build(root_tag, {"Parameters": {
            "IgnoreWarnings": "N", "ApplyIfEntireDocumentValid": "Y", "ValidateOnly": "N"}})
        if not external_id:
            try:
                self.setup("Add", business_object, parameters, xml_in)
                return WriteResult(code, created=True)
            except ValidationFailed as exc:
                if exc.code != exists:
                    raise
        self.setup("Update", business_object, parameters, xml_in)
        return WriteResult(code, created=False)

    # inventory: INVQRY + INVTMA ------------------------------------------------------------
    def _inventory_upsert(self, record: dict[str, Any], external_id: str | None
                          ) -> WriteResult:
        """Set ``QtyOnHand`` in a warehouse by posting the difference as an adjustment."""
        warehouse, _, stock_code = (external_id or "").partition("/")
        warehouse = sx.text_of(record.get("Warehouse") or warehouse)
        stock_code = sx.text_of(record.get("StockCode") or stock_code)
        if record.get("QtyOnHand") is None:
            raise ValidationFailed("Inventory needs QtyOnHand.", field="QtyOnHand",
                                   system=self.system)
        try:
            current = Decimal(str(self.get("inventory", f"{warehouse}/{stock_code}")
                                  .get("QtyOnHand") or 0))
        except NotFound:
            current = Decimal(0)
        delta = Decimal(str(record["QtyOnHand"])) - current
        if delta:
            self.inventory_adjust(warehouse=warehouse, stock_code=stock_code, quantity=delta,
                                  reference=sx.text_of(record.get("Reason", "")))
        return WriteResult(f"{warehouse}/{stock_code}", created=False)

    def inventory_adjust(self, *, warehouse: str, stock_code: str, quantity: Decimal | float,
                         reference: str = "", notation: str = "") -> str:
        """Signed quantity adjustment (INVTMA); answers the inventory journal number."""
        root = self.post("INVTMA", sx.build("PostInvAdjustment", {"Parameters": {
            "ApplyIfEntireDocumentValid": "Y", "ValidateOnly": "N"}}),
            sx.build("PostInvAdjustment", {"Item": {
                "Warehouse": warehouse, "StockCode": stock_code, "Quantity": quantity,
                "Reference": reference or None, "Notation": notation or None}}))
        return (root.findtext("Item/Journal") or "").strip()

    # purchase orders: PORTOI ---------------------------------------------------------------
    def _purchase_order_upsert(self, record: dict[str, Any], external_id: str | None
                               ) -> WriteResult:
        if external_id:
            # PORTOI imports new orders; changes to a placed order are made in SYSPRO.
            self.get("purchase_order", external_id)
            return WriteResult(external_id, created=False)
        header = {**(record.get("OrderHeader") or {}), "OrderActionType": "A"}
        reference = sx.text_of(header.get("Reference", ""))
        if reference:
            rows = self.find("PorMasterHdr", [
                ("Supplier", "EQ", sx.text_of(header.get("Supplier", ""))),
                ("Reference", "EQ", reference)], rows=1)
            if rows:
                return WriteResult(str(rows[0]["PurchaseOrder"]), created=False)
        root = self.post("PORTOI", sx.build("PurchaseOrders", {"Parameters": {
            "ApplyIfEntireDocumentValid": "Y", "ValidateOnly": "N"}}),
            sx.build("PurchaseOrders", {"Orders": {
                "OrderHeader": header, "OrderDetails": record.get("OrderDetails") or {}}}))
        return WriteResult((root.findtext("Order/PurchaseOrder") or "").strip(), created=True)

    # follow-ups ----------------------------------------------------------------------------
    def payment_create(self, record: dict[str, Any]) -> WriteResult:
        """Post an AR payment (ARSTPY), allocated to an invoice when one is named.

        Takes the mapping's flat shape (``PaymentReference``, ``Invoice``,
        ``InvoiceAmountPaid``) or the business object's own (``Payment`` + ``Invoice``).
        """
        if "Payment" in record:
            payment, invoices = dict(record["Payment"]), record.get("Invoice") or []
        else:
            payment = {"Customer": record.get("Customer"),
                       "PaymentType": record.get("PaymentType"),
                       "Reference": record.get("PaymentReference") or record.get("Reference"),
                       "PaymentValue": record.get("PaymentValue"),
                       "PaymentDate": record.get("PaymentDate"), "Bank": record.get("Bank")}
            # Anything else the mapping produced (Currency, Narration, ...) goes with it.
            payment.update({k: v for k, v in record.items() if k not in _PAYMENT_MAPPED})
            invoices = ([{"InvoiceNumber": record["Invoice"],
                          "PaymentValue": record.get("InvoiceAmountPaid")
                          or record.get("PaymentValue")}] if record.get("Invoice") else [])
        external_id = f"{payment.get('Customer')}/{payment.get('Reference')}"
        try:
            self.post("ARSTPY", sx.build("PostArPayment", {"Parameters": {
                "ApplyIfEntireDocumentValid": "Y", "ValidateOnly": "N"}}),
                sx.build("PostArPayment", {"Item": {"Payment": payment,
                                                     "Invoice": invoices}}))
        except ValidationFailed as exc:
            if exc.code != "100302":  # reference already posted for this customer: a retry
                raise
            return WriteResult(external_id, created=False)
        return WriteResult(external_id, created=True)

    def shipment_create(self, *, sales_order: str, carrier: str = "", waybill: str = "",
                        ship_date: Any = None) -> WriteResult:
        """Ship a sales order: dispatch note + invoice (SORTDN, the sandbox's object name)."""
        root = self.post("SORTDN", sx.build("DispatchNotes", {"Parameters": {
            "ApplyIfEntireDocumentValid": "Y", "ValidateOnly": "N"}}),
            sx.build("DispatchNotes", {"Item": {
                "SalesOrder": sales_order, "Carrier": carrier or None,
                "WaybillNo": waybill or None, "ShipDate": ship_date}}))
        note = (root.findtext("Item/DispatchNote") or "").strip()
        invoice = (root.findtext("Item/Invoice") or "").strip()
        return WriteResult(note, created=True, record={"DispatchNote": note, "Invoice": invoice})


_ACCEPT = {"Accept": "application/xml, text/plain"}
_PAYMENT_MAPPED = frozenset({"Customer", "PaymentType", "PaymentReference", "Reference",
                             "PaymentValue", "PaymentDate", "Bank", "Invoice",
                             "InvoiceAmountPaid"})


def _enet_message(text: str) -> str:
    message = text.strip()
    return message[len("ERROR:"):].strip() if message.upper().startswith("ERROR:") else message


def _retry_after(response: requests.Response) -> float | None:
    try:
        return max(float(response.headers["Retry-After"]), 0.0)
    except (KeyError, ValueError):
        return None
