"""Brightpearl connector: the public API (``/public-api/{account}/{service}/{resource}``).

Reads go by ID set (``GET …/product/1001-1005``, many ids per call) and, for "changed since",
through the ``*-search`` resources (goods-in notes through ``goods-in-search``). Writes hide
Brightpearl's multi-step shapes (order + rows, contact + postal addresses, product + price
lists, absolute stock → signed correction). The writes Brightpearl cannot do are refused with
``ValidationFailed`` saying so.

Auth, OAuth helpers and the per-account budget key live in ``brightpearl_auth``; searches and
ID sets in ``brightpearl_search``; webhooks in ``brightpearl_webhooks``; the entity writes in
``brightpearl_writes``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

import requests

from integrations.connectors import brightpearl_auth as auth
from integrations.connectors import brightpearl_duplicates as duplicates
from integrations.connectors import brightpearl_webhooks as hooks
from integrations.connectors.base import (
    ConnectionConfig,
    Connector,
    Page,
    Token,
    WebhookEvent,
)
from integrations.connectors.brightpearl_auth import CREDENTIAL_FIELDS
from integrations.connectors.brightpearl_search import (
    MAX_GOODS_IN_ID_SET,
    MAX_ID_SET,
    MAX_PAGE_SIZE,
    bp_datetime,
    id_sets,
    next_first_result,
    search_rows,
)
from integrations.connectors.brightpearl_writes import BrightpearlWrites
from integrations.connectors.budget import RateLimit
from integrations.connectors.errors import (
    AuthError,
    ConfigurationError,
    ConnectorError,
    NotFound,
    NothingToSync,
    RateLimited,
    TransientError,
    ValidationFailed,
)

__all__ = ["CREDENTIAL_FIELDS", "BrightpearlConnector"]

ORDER_TYPES = {"sales_order": "SO", "credit_note": "SC", "purchase_order": "PO",
               "native_sales_order": "SO"}
ORDER_TYPE_IDS = {"SO": 1, "PO": 2, "SC": 3, "PC": 4}
DEFAULT_PER_MINUTE = 200  # Brightpearl's standard limit per account and developer
# Below this many requests left in the rolling minute, every worker waits for the window.
NEARLY_SPENT = 2
THROTTLE_WORDS = ("too many requests", "throttl")
_FIELD_IN_MESSAGE = re.compile(r"^([a-z][A-Za-z0-9_.\[\]]*) (?:is|are|must|needs|cannot)\b")


class BrightpearlConnector(BrightpearlWrites, Connector):
    system = "brightpearl"
    rate_limit = RateLimit(requests=DEFAULT_PER_MINUTE, period_s=60)
    # ``native_sales_order``: a sales order taken in Brightpearl itself (phone, POS, manual),
    # read for flows that send such orders to a storefront; see ``_unwanted``.
    entities = ("sales_order", "native_sales_order", "credit_note", "purchase_order", "product",
                "customer", "supplier", "inventory", "shipment", "goods_receipt", "payment",
                "journal", "warehouse")

    # entity → (ID-set resource, search resource or None, search id column, changed column)
    RESOURCES: ClassVar[dict[str, tuple[str, str | None, str, str]]] = {
        "sales_order": ("order-service/order", "order-service/order-search", "orderId",
                        "updatedOn"),
        "native_sales_order": ("order-service/order", "order-service/order-search", "orderId",
                               "updatedOn"),
        "credit_note": ("order-service/order", "order-service/order-search", "orderId",
                        "updatedOn"),
        "purchase_order": ("order-service/order", "order-service/order-search", "orderId",
                           "updatedOn"),
        "product": ("product-service/product", "product-service/product-search", "productId",
                    "updatedOn"),
        "customer": ("contact-service/contact", "contact-service/contact-search", "contactId",
                     "updatedOn"),
        "supplier": ("contact-service/contact", "contact-service/contact-search", "contactId",
                     "updatedOn"),
        # No stock search exists: changes are walked product by product (see list_changed).
        "inventory": ("warehouse-service/product-availability", "product-service/product-search",
                      "productId", ""),
        "shipment": ("warehouse-service/order/*/goods-note/goods-out",
                     "warehouse-service/goods-note/goods-out-search", "goodsOutNoteId",
                     "updatedOn"),
        # Goods-in notes by note id for any order; the search has one row per batch received
        # (batchId = the note), and notes are never modified once received.
        "goods_receipt": ("warehouse-service/order/*/goods-note/goods-in",
                          "warehouse-service/goods-in-search", "batchId", "createdDate"),
        # Payments are never modified, only created.
        "payment": ("accounting-service/customer-payment",
                    "accounting-service/customer-payment-search", "paymentId", "createdOn"),
        "journal": ("accounting-service/journal", None, "id", ""),
        "warehouse": ("warehouse-service/warehouse", None, "id", ""),
    }

    # --- OAuth helpers (pure; the caller stores tokens) ---------------------------------------
    @staticmethod
    def authorization_url(config: ConnectionConfig, redirect_uri: str, state: str) -> str:
        return auth.authorization_url(config, redirect_uri, state)

    @staticmethod
    def exchange_code(config: ConnectionConfig, code: str, redirect_uri: str) -> Token:
        return auth.exchange_code(config, code, redirect_uri)

    @staticmethod
    def budget_key(config: ConnectionConfig) -> str:
        return auth.budget_key(config)

    @classmethod
    def rate_limit_for(cls, config: ConnectionConfig) -> RateLimit:
        """200 requests a minute unless the connection says Brightpearl raised the account's
        limit (setting ``requests_per_minute``), as BigCommerce and Salesforce plans do."""
        per_minute = int(config.settings.get("requests_per_minute") or DEFAULT_PER_MINUTE)
        return RateLimit(requests=per_minute, period_s=60)

    # --- auth ---------------------------------------------------------------------------------
    @property
    def private(self) -> bool:
        return self.config.auth_type == auth.PRIVATE_APP

    def auth_headers(self) -> dict[str, str]:
        return auth.auth_headers(self.config, self.token)

    def fetch_token(self) -> Token:
        if self.private:
            raise AuthError("Private apps use a fixed account token; nothing to refresh.",
                            system=self.system)
        return auth.refresh_token(self.config, self.token, timeout=self.timeout)

    def ensure_token(self) -> None:
        if self.private:
            return
        if not self.token or auth.needs_refresh(self.token):
            # Refresh before expiry too: a token that dies mid-call costs a failed request.
            if self.refresher is not None:
                self.token = self.refresher(self.token)
            elif self.token.get("refresh_token"):
                self.token = self.fetch_token()

    def test(self) -> None:
        self.call("GET", "warehouse-service/warehouse")

    # --- HTTP ---------------------------------------------------------------------------------
    def api_url(self, path: str) -> str:
        return f"{auth.api_root(self.config, self.token)}/{path.lstrip('/')}"

    def call(self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201, 204),
             **kwargs: Any) -> Any:
        """One public-api call; returns the unwrapped ``response`` (or None for empty)."""
        response = self.request(method, self.api_url(path), ok=ok, **kwargs)
        if not response.content.strip():
            return None
        body = self.json(response)
        if not isinstance(body, dict) or "response" not in body:
            raise TransientError("Brightpearl answered without its 'response' wrapper.",
                                 system=self.system, status=response.status_code)
        return body["response"]

    def observe(self, response: requests.Response) -> None:
        remaining = _int_header(response, "brightpearl-requests-remaining")
        period_ms = _int_header(response, "brightpearl-next-throttle-period")
        if self.budget is None or remaining is None:
            return
        if remaining <= NEARLY_SPENT and response.status_code != 503:
            # The account is nearly spent (maybe by another app sharing it): wait for the
            # oldest request to leave the rolling minute. A 503 is penalised by request().
            self.budget.penalize((period_ms or 1000) / 1000)

    def error_for(self, response: requests.Response) -> ConnectorError:
        status = response.status_code
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        errors = body.get("errors") if isinstance(body, dict) else None
        first = errors[0] if isinstance(errors, list) and errors and isinstance(
            errors[0], dict) else {}
        code = str(first.get("code") or "")
        message = str(first.get("message") or "")
        if not message and isinstance(body, dict) and isinstance(body.get("response"), str):
            message = body["response"]
        message = message or response.text[:300] or f"HTTP {status}"
        common: dict[str, Any] = {"system": self.system, "status": status, "code": code,
                                  "detail": errors or body}
        if status == 401:
            expired = "expired" in message.lower()
            return AuthError(message, **{**common, "code": "token_expired" if expired
                                         else code or "not_authenticated"})
        if status == 503:
            period_ms = _int_header(response, "brightpearl-next-throttle-period")
            remaining = _int_header(response, "brightpearl-requests-remaining")
            if remaining == 0 or any(w in message.lower() for w in THROTTLE_WORDS):
                return RateLimited(message, wait_s=max((period_ms or 1000) / 1000, 0.1),
                                   **common)
            return TransientError(message, **common)
        if status == 404 or code == "CMNC-404":
            if message.startswith("Account "):
                return ConfigurationError(f"Brightpearl account {self.config.account!r} does "
                                          "not exist (check the account code and datacentre).",
                                          **common)
            return NotFound(message, **common)
        if status in (409, 412):
            # A version race (product If-Match): reading again and retrying succeeds.
            return TransientError(message, **common)
        if status >= 500:
            return TransientError(message, **common)
        if status == 403:
            return self.classify_status(response, message=message, code=code)
        if code or status == 400:
            field_match = _FIELD_IN_MESSAGE.match(message)
            text = f"{code}: {message}" if code else message
            return ValidationFailed(text, field=field_match[1] if field_match else "", **common)
        return self.classify_status(response, message=message, code=code)

    # --- reads --------------------------------------------------------------------------------
    def _resource(self, entity: str) -> tuple[str, str | None, str, str]:
        try:
            return self.RESOURCES[entity]
        except KeyError:
            raise ConfigurationError(f"Brightpearl has no entity {entity!r} here (supported: "
                                     f"{', '.join(self.entities)}).",
                                     system=self.system) from None

    def get(self, entity: str, external_id: str) -> dict[str, Any]:
        found = self.get_many(entity, [external_id])
        if not found:
            raise NotFound(f"Brightpearl {entity} {external_id} not found.", system=self.system,
                           status=404, code="CMNC-404")
        unwanted = _unwanted(entity, found[0])
        if unwanted is not None:
            raise unwanted
        return found[0]

    # entity → the field of a record that holds the id events name
    RECORD_IDS: ClassVar[dict[str, str]] = {
        "sales_order": "id", "native_sales_order": "id", "credit_note": "id",
        "purchase_order": "id", "product": "id",
        "customer": "contactId", "supplier": "contactId", "inventory": "productId",
        "shipment": "goodsOutNoteId", "goods_receipt": "goodsNoteId", "payment": "paymentId",
    }

    def get_batch(self, entity: str, external_ids: Sequence[str]
                  ) -> dict[str, dict[str, Any] | ConnectorError]:
        """Many records in ID-set calls (one per 500 ids) rather than a call each; an id the
        answer leaves out is ``NotFound``, an error of the call is every id's."""
        field = self.RECORD_IDS.get(entity)
        if field is None or not all(str(i).isdigit() for i in external_ids):
            return super().get_batch(entity, external_ids)
        try:
            records = self.get_many(entity, external_ids)
        except ConnectorError as exc:
            return dict.fromkeys(external_ids, exc)
        by_id: dict[str, dict[str, Any] | ConnectorError] = {
            str(r.get(field)): _unwanted(entity, r) or r for r in records}
        return {i: by_id.get(str(i)) or NotFound(
            f"Brightpearl {entity} {i} not found.", system=self.system, status=404,
            code="CMNC-404") for i in external_ids}

    def get_many(self, entity: str, external_ids: Iterable[str | int]) -> list[dict[str, Any]]:
        """Records for many ids in ID-set calls of up to 500; missing ids are left out."""
        path, _search, _column, _changed = self._resource(entity)
        ids = [int(i) for i in external_ids]
        records: list[dict[str, Any]] = []
        size = MAX_GOODS_IN_ID_SET if entity == "goods_receipt" else MAX_ID_SET
        for id_set in id_sets(ids, size=size):
            try:
                found = self.call("GET", f"{path}/{id_set}")
            except NotFound:
                continue
            if isinstance(found, dict):  # goods-out notes and availability: keyed by id
                found = [{**value, "_key": key} for key, value in found.items()]
            records.extend(found or [])
        if entity in ORDER_TYPES:
            wanted = ORDER_TYPES[entity]
            records = [r for r in records if r.get("orderTypeCode") == wanted]
        elif entity == "inventory":
            records = [{"productId": int(r.pop("_key")), **r} for r in records]
        elif entity == "shipment":
            records = [{"goodsOutNoteId": int(r.pop("_key")), **r} for r in records]
            self._attach_order_rows(records)
        elif entity == "goods_receipt":
            records = [{"goodsNoteId": int(r.pop("_key")), **r} for r in records]
            self._attach_orders(records, entity="purchase_order")
        elif entity in ("customer", "supplier"):
            self._attach_addresses(records)
        elif entity == "product":
            self._attach_prices(records)
        elif entity == "payment":
            self._attach_orders(records)
        return records

    def _attach_orders(self, records: list[dict[str, Any]], *,
                       entity: str = "sales_order") -> None:
        """Each payment (or goods-in note) gets its ``order`` (one extra call for them all): a
        customer payment alone does not name the customer, nor a goods-in note the supplier,
        and the ERP templates map them from the order."""
        orders = {int(o["id"]): o for o in self.get_many(
            entity, {int(r["orderId"]) for r in records if r.get("orderId")})}
        for record in records:
            record["order"] = orders.get(int(record.get("orderId") or 0))

    def _attach_order_rows(self, notes: list[dict[str, Any]]) -> None:
        """Each goods-out note gets ``rows``: per order row it ships, ``{orderRowId, quantity,
        orderRow}`` — the quantity this note ships (summed over locations) and that row of the
        sales order (SKU, price, ``externalRef``), one extra call for them all. A note names
        only order row ids, and a storefront ships by its own line ids, which the order flow
        keeps on the row."""
        orders = {int(o["id"]): o for o in self.get_many(
            "sales_order", {int(n["orderId"]) for n in notes if n.get("orderId")})}
        for note in notes:
            order = orders.get(int(note.get("orderId") or 0)) or {}
            order_rows = order.get("orderRows") or {}
            note["rows"] = [
                {"orderRowId": int(row_id),
                 "quantity": sum(int(item.get("quantity") or 0) for item in items),
                 "orderRow": order_rows.get(str(row_id))}
                for row_id, items in (note.get("orderRows") or {}).items()]

    def _attach_addresses(self, contacts: list[dict[str, Any]]) -> None:
        """Each contact gets ``postalAddresses{DEF,BIL,DEL}`` (one extra call for them all)."""
        ids = {int(a) for c in contacts for a in (c.get("postAddressIds") or {}).values() if a}
        addresses: dict[int, dict[str, Any]] = {}
        for id_set in id_sets(ids):
            try:
                for address in self.call("GET", f"contact-service/postal-address/{id_set}"):
                    addresses[int(address["addressId"])] = address
            except NotFound:
                continue
        for contact in contacts:
            contact["postalAddresses"] = {
                kind: addresses[int(a)]
                for kind, a in (contact.get("postAddressIds") or {}).items()
                if a and int(a) in addresses
            }

    def _attach_prices(self, products: list[dict[str, Any]]) -> None:
        """Each product gets ``priceLists`` from product-price (one extra call for them all)."""
        prices: dict[int, list[dict[str, Any]]] = {}
        for id_set in id_sets(p["id"] for p in products):
            try:
                for entry in self.call("GET", f"product-service/product-price/{id_set}"):
                    prices[int(entry["productId"])] = entry.get("priceLists") or []
            except NotFound:
                continue
        for product in products:
            product["priceLists"] = prices.get(int(product["id"]), [])

    def search(self, path: str, *, filters: Mapping[str, str] | None = None,
               first_result: int = 1, page_size: int | None = None,
               sort: str | None = None) -> tuple[list[dict[str, Any]], int | None]:
        """One page of a ``*-search``: rows as dicts, and the next ``firstResult`` (or None)."""
        size = int(page_size or self.config.settings.get("page_size") or MAX_PAGE_SIZE)
        params = {**(filters or {}), "pageSize": str(min(size, MAX_PAGE_SIZE)),
                  "firstResult": str(first_result)}
        if sort:
            params["sort"] = sort
        answer = self.call("GET", path, params=params)
        try:
            return search_rows(answer), next_first_result(answer)
        except (KeyError, TypeError) as exc:
            raise TransientError("Brightpearl answered a search without metaData.",
                                 system=self.system) from exc

    def list_changed(self, entity: str, *, since: datetime | None,
                     cursor: str | None = None) -> Page:
        """Records (search columns + ``id``) changed since ``since``, oldest id first.

        The cursor is the next ``firstResult``; pass the same ``since`` with it. Sorting by id
        over an open-ended ``updatedOn`` filter never skips a record while pages are walked
        (a record changed meanwhile stays in the set; at worst one is seen twice).
        """
        path, search, column, changed = self._resource(entity)
        if entity == "warehouse":
            rows = self.call("GET", path) or []
            return Page([{**r, "id": str(r["id"])} for r in rows])
        if search is None:
            raise ConfigurationError(f"Brightpearl cannot list {entity} records by change "
                                     "date; subscribe to events or read them by id.",
                                     system=self.system)
        filters: dict[str, str] = {}
        if entity in ORDER_TYPES:
            filters["orderTypeId"] = str(ORDER_TYPE_IDS[ORDER_TYPES[entity]])
        elif entity == "customer":
            filters["isCustomer"] = "true"
        elif entity == "supplier":
            filters["isSupplier"] = "true"
        if since is not None and changed:
            filters[changed] = f"{bp_datetime(since)}/"
        first = int(cursor) if cursor else 1
        rows, next_first = self.search(search, filters=filters, first_result=first,
                                       sort=f"{column}|ASC")
        records = [{**row, "id": str(row[column])} for row in rows]
        if entity == "goods_receipt":
            # One row per batch: a note with several lines is one record (a note split over
            # two pages is at worst seen twice, which the event dedupe absorbs).
            first: dict[str, dict[str, Any]] = {}
            for record in records:
                first.setdefault(record["id"], record)
            records = list(first.values())
        if entity == "inventory":
            # Brightpearl has no "stock changed since" search: each page of products comes
            # with its availability (one ID-set call), and ``since`` cannot narrow it. Use the
            # product.modified.on-hand-modified event to follow changes as they happen.
            levels = {r["productId"]: r for r in self.get_many("inventory",
                                                                [r["id"] for r in records])}
            records = [{**levels[int(r["id"])], "id": r["id"]} for r in records
                       if int(r["id"]) in levels]
        return Page(records, str(next_first) if next_first else None)

    # --- reference data -----------------------------------------------------------------------
    def warehouses(self) -> list[dict[str, Any]]:
        return self.call("GET", "warehouse-service/warehouse") or []

    def price_lists(self) -> list[dict[str, Any]]:
        return self.call("GET", "product-service/price-list") or []

    def order_statuses(self) -> list[dict[str, Any]]:
        return self.call("GET", "order-service/order-status") or []

    def nominal_codes(self) -> list[dict[str, Any]]:
        return self.call("GET", "accounting-service/nominal-code") or []

    def find_existing(self, entity: str, record: dict[str, Any]) -> str | None:
        """Orders by the reference we write (customerRef), products by SKU."""
        if entity in ("sales_order", "credit_note", "purchase_order") and record.get("reference"):
            rows, _ = self.search("order-service/order-search",
                                  filters={"customerRef": str(record["reference"]),
                                           "orderTypeCode": str(record.get("orderTypeCode") or
                                                                ORDER_TYPES[entity])},
                                  page_size=5)
            return str(rows[0]["orderId"]) if rows else None
        sku = (record.get("identity") or {}).get("sku") if entity == "product" else None
        if sku:
            rows, _ = self.search("product-service/product-search", filters={"SKU": str(sku)},
                                  page_size=5)
            return str(rows[0]["productId"]) if rows else None
        return None

    # --- duplicate candidates (see brightpearl_duplicates) -----------------------------------
    def duplicate_candidates(self, entity: str, record: dict[str, Any]) -> list[dict[str, Any]]:
        """Contacts by email, name and phone; products by SKU, barcodes and name."""
        return duplicates.duplicate_candidates(self, entity, record)

    # --- webhooks -----------------------------------------------------------------------------
    def webhook_register(self, *, event: str, url: str, secret: str) -> str:
        """Subscribe ``url`` (with ``secret`` added to its query) to an entity or event name."""
        webhook_id = self.call("POST", "integration-service/webhook", json={
            "subscribeTo": hooks.subscription_for(event),
            "httpMethod": "POST",
            "uriTemplate": hooks.uri_with_secret(url, secret),
            "bodyTemplate": hooks.BODY_TEMPLATE,
            "contentType": "application/json",
            "idSetAccepted": True,
            # Retried on anything but a 4xx, connection failures included.
            "qualityOfService": 1,
        })
        return str(webhook_id)

    def webhook_list(self) -> list[dict[str, Any]]:
        return self.call("GET", "integration-service/webhook") or []

    def webhook_delete(self, webhook_id: str) -> None:
        self.call("DELETE", f"integration-service/webhook/{webhook_id}")

    @classmethod
    def webhook_parse(cls, *, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        return hooks.parse(headers=headers, body=body)

    def webhook_verify(self, *, headers: Mapping[str, str] | None = None,
                       query: Mapping[str, str], body: bytes = b"", secret: str) -> bool:
        """No signatures exist: the secret lives in the registered URI's query."""
        return hooks.verify(query=query, secret=secret)


def _int_header(response: requests.Response, name: str) -> int | None:
    value = response.headers.get(name)
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


def _unwanted(entity: str, record: dict[str, Any]) -> NothingToSync | None:
    """Why a record read for ``entity`` has nothing to sync, or None.

    Contact events name customers and suppliers alike: a supplier flow reads only the
    contacts Brightpearl marks as suppliers. A native sales order is one taken in Brightpearl:
    an order with an ``externalRef`` was imported from another system (a storefront,
    marketplace or CRM, our own order flows included) and is not sent back out, and an order
    whose product rows have not been added yet has nothing to write until they are."""
    if entity == "supplier" and not (record.get("relationshipToAccount") or {}).get(
            "isSupplier"):
        return NothingToSync(f"Brightpearl contact {record.get('contactId')} is not a "
                             "supplier.", system="brightpearl")
    if entity == "native_sales_order":
        if str(record.get("externalRef") or "").strip():
            return NothingToSync(f"Brightpearl order {record.get('id')} came from another "
                                 f"system (external reference {record['externalRef']!r}); "
                                 "only orders taken in Brightpearl are sent.",
                                 system="brightpearl")
        if not any(int((row or {}).get("productId") or 0) > 0
                   for row in (record.get("orderRows") or {}).values()):
            return NothingToSync(f"Brightpearl order {record.get('id')} has no product rows "
                                 "yet.", system="brightpearl")
    return None
