"""BigCommerce: v2 orders and shipments, v3 catalog, inventory, customers, refunds and hooks.

Auth is a store token in ``X-Auth-Token``: an API account's token (auth type ``api_token``)
or the one an app receives when a merchant installs it (``oauth``: ``authorization_url`` +
``exchange_code``). Store tokens never expire, so there is nothing to refresh: a 401 means the
token was revoked or the app uninstalled, and a person must reconnect.

Ids: orders, products and customers use BigCommerce's own ids; ``inventory`` is read per
product id; shipments and refunds only exist below an order, so their ids are
``"{order_id}/{shipment_id}"`` and ``"{order_id}/{refund_id}"`` (records listed or written
carry that form as ``external_id``); a credit note read by id is the refunded order with its
``refund``. Catalog, inventory and customer operations live in
``bigcommerce_catalog``; webhook payloads in ``bigcommerce_webhooks``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

import requests
from requests_oauthlib import OAuth2Session

from integrations.connectors import bigcommerce_catalog as catalog
from integrations.connectors import bigcommerce_webhooks as hooks
from integrations.connectors.base import (
    DEFAULT_TIMEOUT,
    ConnectionConfig,
    Connector,
    Page,
    Token,
    WebhookEvent,
    WriteResult,
)
from integrations.connectors.bigcommerce_catalog import BatchResult, iso_utc, next_page
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
from integrations.connectors.oauth2_token import token_fetch

SYSTEM = "bigcommerce"

CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    "api_token": ("store_hash", "access_token"),
    # The app's keys; the store hash and token arrive with the install callback.
    "oauth2_code": ("client_id", "client_secret"),
}

API_HOST = "api.bigcommerce.com"
LOGIN_URL = "https://login.bigcommerce.com"
STANDARD_LIMIT = 150  # requests per 30 s window on standard plans (Pro: 450, Enterprise: more)
V2_PAGE_MAX = 250

_FIELD_IN_MESSAGE = re.compile(r"field '([^']+)'")

# ``external_source`` of the orders our Brightpearl → BigCommerce flow creates (BigCommerce
# keeps it, with ``external_id`` = the Brightpearl order id). Every flow reading BigCommerce
# orders sends them to Brightpearl, so such an order, and its payment, has nothing to sync:
# it would come back as a second Brightpearl order.
BRIGHTPEARL_SOURCE = "Brightpearl"
# What BigCommerce lets an API client change on an order that exists (v2 PUT): ``external_id``
# is write-once ("cannot be written to"), and lines are not edited through this connector.
ORDER_UPDATABLE = ("status_id", "customer_id", "billing_address", "staff_notes",
                   "customer_message", "payment_method", "external_source")


def login_url(config: ConnectionConfig) -> str:
    """login.bigcommerce.com for the real API; a sandbox serves both under its base URL."""
    if config.settings.get("login_url"):
        return str(config.settings["login_url"]).rstrip("/")
    if urlsplit(config.base_url).hostname == API_HOST:
        return LOGIN_URL
    return config.base_url.rstrip("/")


def authorization_url(config: ConnectionConfig, redirect_uri: str, state: str) -> str:
    """Where to send the merchant to install the app on a store (and so grant it a token)."""
    (client_id,) = config.require("client_id")
    query = {"redirect_uri": redirect_uri, "state": state}
    if config.credentials.get("store_hash"):
        query["store_hash"] = config.credentials["store_hash"]
    return f"{login_url(config)}/app/{client_id}/install?{urlencode(query)}"


def exchange_code(
    config: ConnectionConfig,
    code: str,
    redirect_uri: str,
    *,
    context: str | None = None,
    scope: str | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> Token:
    """Trade the install callback's ``code`` (with its ``context``, ``stores/{hash}``) for the
    store's permanent token. The token dict carries ``store_hash`` taken from the context."""
    client_id, client_secret = config.require("client_id", "client_secret")
    session = OAuth2Session(client_id=client_id, redirect_uri=redirect_uri)
    params: dict[str, Any] = {"code": code}
    if context:
        params["context"] = context
    if scope:
        params["scope"] = scope
    token = token_fetch(session, f"{login_url(config)}/oauth2/token", system=SYSTEM,
                        timeout=timeout, client_secret=client_secret, **params)
    granted_context = str(token.get("context") or context or "")
    if granted_context.startswith("stores/"):
        token["store_hash"] = granted_context.removeprefix("stores/")
    return token


class BigCommerceConnector(Connector):
    system: ClassVar[str] = SYSTEM
    rate_limit: ClassVar[RateLimit | None] = RateLimit(requests=STANDARD_LIMIT, period_s=30)
    entities: ClassVar[tuple[str, ...]] = (
        "sales_order", "product", "customer", "inventory", "shipment", "credit_note",
        "payment",
    )

    def __init__(self, config: ConnectionConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        # Last X-Rate-Limit-* reading: (requests left, quota, ms until the window resets).
        self.rate_state: tuple[int, int, int] | None = None

    @classmethod
    def rate_limit_for(cls, config: ConnectionConfig) -> RateLimit:
        """The store's plan limit: 150 per 30 s unless the connection says otherwise (Pro)."""
        per_window = int(config.settings.get("rate_limit_per_30s") or STANDARD_LIMIT)
        return RateLimit(requests=per_window, period_s=30)

    # --- auth ---------------------------------------------------------------------------------
    @property
    def store_hash(self) -> str:
        value = self.token.get("store_hash") or self.config.credentials.get("store_hash")
        if not value:
            raise ConfigurationError("Missing credential: store_hash.", system=SYSTEM)
        return str(value)

    def auth_headers(self) -> dict[str, str]:
        token = self.token.get("access_token") or self.config.credentials.get("access_token")
        if not token:
            raise ConfigurationError("No store access token: enter one or install the app.",
                                     system=SYSTEM)
        return {"X-Auth-Token": str(token)}

    def ensure_token(self) -> None:
        """Store tokens never expire: nothing to fetch ahead of a call."""

    def fetch_token(self) -> Token:
        raise AuthError("BigCommerce refused the store token (revoked, or the app was "
                        "uninstalled); reconnect the store.", system=SYSTEM, status=401)

    def test(self) -> None:
        self.request("GET", self.v2("store"))

    # --- HTTP details -------------------------------------------------------------------------
    def v2(self, path: str) -> str:
        return f"stores/{self.store_hash}/v2/{path.lstrip('/')}"

    def v3(self, path: str) -> str:
        return f"stores/{self.store_hash}/v3/{path.lstrip('/')}"

    def observe(self, response: requests.Response) -> None:
        headers = response.headers
        left = _int(headers.get("X-Rate-Limit-Requests-Left"))
        reset_ms = _int(headers.get("X-Rate-Limit-Time-Reset-Ms"))
        if left is None or reset_ms is None:
            return
        quota = _int(headers.get("X-Rate-Limit-Requests-Quota")) or 0
        self.rate_state = (left, quota, reset_ms)
        # Another app on the same store (the quota is shared) may have spent the window:
        # hold every worker until it resets rather than collecting 429s.
        if left <= 0 and self.budget is not None:
            self.budget.penalize(reset_ms / 1000)

    def error_for(self, response: requests.Response) -> ConnectorError:
        status = response.status_code
        message, field = _error_text(response)
        common = {"system": SYSTEM, "status": status}
        if status == 429:
            reset_ms = _int(response.headers.get("X-Rate-Limit-Time-Reset-Ms"))
            wait = reset_ms / 1000 if reset_ms else 30.0
            return RateLimited(message or "Request quota of the store is spent.",
                               wait_s=max(wait, 0.1), **common)
        if status == 503:
            return TransientError(f"The store is unavailable (maintenance): {message}", **common)
        if status in (400, 409, 413, 422):
            # 409 is a duplicate name or SKU, 413 a batch over the limit: data problems.
            return ValidationFailed(message or "The request was refused.", field=field,
                                    detail=_body(response), **common)
        return self.classify_status(response, message=message, field=field)

    def v2_list(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """One v2 page; v2 answers an empty collection with 204 and no body."""
        response = self.request("GET", self.v2(path), params=params)
        if response.status_code == 204 or not response.content:
            return []
        rows = self.json(response)
        if not isinstance(rows, list):
            raise TransientError("Expected a list from BigCommerce.", system=SYSTEM)
        return rows

    def v2_all(self, path: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            chunk = self.v2_list(path, page=page, limit=V2_PAGE_MAX)
            rows.extend(chunk)
            if len(chunk) < V2_PAGE_MAX:
                return rows
            page += 1

    def v3_data(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.json(self.request(method, self.v3(path), **kwargs)).get("data")

    @property
    def page_size(self) -> int:
        return int(self.config.settings.get("page_size") or 50)

    # --- entities -----------------------------------------------------------------------------
    def get(self, entity: str, external_id: str) -> dict[str, Any]:
        if entity == "sales_order":
            order = self.order_get(external_id)
            if from_brightpearl(order):
                raise NothingToSync(f"Order {external_id} was created from Brightpearl order "
                                    f"{order.get('external_id')}; it is not sent back.",
                                    system=SYSTEM)
            return order
        if entity == "payment":
            return self.payment_get(external_id)
        if entity == "shipment":
            order_id, shipment_id = _pair(external_id, "shipment")
            record = self.json(self.request("GET", self.v2(
                f"orders/{order_id}/shipments/{shipment_id}")))
            return {**record, "external_id": external_id}
        if entity == "credit_note":
            order_id, refund_id = _pair(external_id, "refund")
            for refund in self.refunds_list(order_id):
                if str(refund["id"]) == refund_id:
                    # A credit note is the refunded order: its lines carry what was refunded
                    # (``quantity_refunded``) with SKU and prices; the refund itself rides
                    # along.
                    return {**self.order_get(order_id), "refund": refund,
                            "external_id": external_id}
            raise NotFound(f"Refund {refund_id} of order {order_id} not found.", system=SYSTEM)
        if entity in catalog.ENTITIES:
            return catalog.get(self, entity, external_id)
        raise _unsupported(entity)

    def list_changed(self, entity: str, *, since: datetime | None,
                     cursor: str | None = None) -> Page:
        if entity == "sales_order":
            return self.orders_changed(since=since, cursor=cursor)
        if entity == "credit_note":
            return self.refunds_changed(since=since, cursor=cursor)
        if entity in catalog.ENTITIES:
            return catalog.list_changed(self, entity, since=since, cursor=cursor)
        raise _unsupported(entity)

    def upsert(self, entity: str, record: dict[str, Any], *,
               external_id: str | None = None) -> WriteResult:
        if entity == "sales_order":
            if external_id:
                return self.order_update(external_id, record)
            body = self.json(self.request("POST", self.v2("orders"), json=record))
            return WriteResult(str(body["id"]), created=True, record=body)
        if entity == "shipment":
            return self._shipment_upsert(record, external_id)
        if entity == "credit_note":
            if external_id:
                raise ValidationFailed("A refund cannot be changed once made.", system=SYSTEM)
            if "order_id" not in record:
                raise ValidationFailed("A refund needs order_id.", field="order_id",
                                       system=SYSTEM)
            return self.refund_create(record["order_id"], items=record.get("items") or [],
                                      payments=record.get("payments") or [],
                                      reason=str(record.get("reason") or ""))
        if entity in catalog.ENTITIES:
            return catalog.upsert(self, entity, record, external_id=external_id)
        raise _unsupported(entity)

    # --- duplicate candidates (see bigcommerce_duplicates) ----------------------------------
    def duplicate_candidates(self, entity: str, record: dict[str, Any]) -> list[dict[str, Any]]:
        """Customers by email, name and phone; products by SKU, barcodes and name."""
        from integrations.connectors.bigcommerce_duplicates import duplicate_candidates

        return duplicate_candidates(self, entity, record)

    # --- orders -------------------------------------------------------------------------------
    def order_get(self, order_id: str | int) -> dict[str, Any]:
        """The order as one document: its products and shipping addresses inlined (v2 only
        links them)."""
        order = self.json(self.request("GET", self.v2(f"orders/{order_id}")))
        order["products"] = self.v2_all(f"orders/{order_id}/products")
        order["shipping_addresses"] = self.v2_all(f"orders/{order_id}/shipping_addresses")
        return order

    def order_update(self, order_id: str | int, record: dict[str, Any]) -> WriteResult:
        """Change an existing order's header (status, customer, billing address, notes).

        ``external_id`` was set when the order was created and BigCommerce refuses it in a
        PUT; lines are compared, not rewritten: an order whose lines differ from ``products``
        is refused with ``ValidationFailed`` (edit it in BigCommerce) rather than updated to
        something else than the record says."""
        if record.get("products"):
            current = self.v2_all(f"orders/{order_id}/products")
            if _line_keys(current) != _line_keys(record["products"]):
                raise ValidationFailed(
                    f"BigCommerce order {order_id} has other lines ({_show_lines(current)}) "
                    f"than the record ({_show_lines(record['products'])}); the lines of an "
                    "existing order are not changed by a sync: edit them in BigCommerce.",
                    field="products", system=SYSTEM)
        body = {k: v for k, v in record.items() if k in ORDER_UPDATABLE}
        if not body:
            return WriteResult(str(order_id), created=False)
        updated = self.json(self.request("PUT", self.v2(f"orders/{order_id}"), json=body))
        return WriteResult(str(updated["id"]), created=False, record=updated)

    def find_existing(self, entity: str, record: dict[str, Any]) -> str | None:
        """An order an interrupted create already made: the newest order of the same
        customer whose ``external_source`` and ``external_id`` are the record's (the
        Brightpearl order it was made from)."""
        if entity != "sales_order" or not record.get("external_id"):
            return None
        params: dict[str, Any] = {"sort": "id:desc", "limit": 50}
        if record.get("customer_id"):
            params["customer_id"] = record["customer_id"]
        for order in self.v2_list("orders", **params):
            if (str(order.get("external_id") or "") == str(record["external_id"])
                    and order.get("external_source") == record.get("external_source")):
                return str(order["id"])
        return None

    def orders_changed(self, *, since: datetime | None, cursor: str | None) -> Page:
        # Keyset paging on id (min_id = last id + 1): an order modified while we page moves
        # nowhere, unlike page numbers over a date sort.
        params: dict[str, Any] = {"sort": "id:asc", "limit": min(self.page_size, V2_PAGE_MAX)}
        if since is not None:
            params["min_date_modified"] = iso_utc(since)
        if cursor:
            params["min_id"] = cursor
        rows = self.v2_list("orders", **params)
        more = len(rows) == params["limit"]
        return Page(rows, str(int(rows[-1]["id"]) + 1) if more and rows else None)

    def order_statuses(self) -> list[dict[str, Any]]:
        return self.v2_list("order_statuses")

    def order_status_set(self, order_id: str | int, status_id: int) -> dict[str, Any]:
        """Follow-up: move the order to a status (e.g. 11 Awaiting Fulfillment once the ERP
        has taken it, 2 Shipped); BigCommerce emails the customer per its settings."""
        return self.json(self.request("PUT", self.v2(f"orders/{order_id}"),
                                      json={"status_id": int(status_id)}))

    # --- shipments ----------------------------------------------------------------------------
    def shipment_create(
        self,
        order_id: str | int,
        *,
        tracking_number: str = "",
        shipping_provider: str = "",
        tracking_carrier: str = "",
        items: list[dict[str, Any]] | None = None,
        order_address_id: int | None = None,
        comments: str = "",
        shipping_method: str | None = None,
    ) -> WriteResult:
        """Follow-up: record a shipment with tracking; BigCommerce sets the order to Shipped
        or Partially Shipped. Without ``items`` every unshipped quantity ships; an item may
        name its line by ``sku`` instead of ``order_product_id`` (the first line of that SKU
        with enough left to ship); without ``order_address_id`` the order's first shipping
        address is used."""
        by_sku = items is not None and any(not item.get("order_product_id") for item in items)
        if order_address_id is None or items is None or by_sku:
            lines = self.v2_all(f"orders/{order_id}/products")
            if order_address_id is None:
                addresses = self.v2_all(f"orders/{order_id}/shipping_addresses")
                if not addresses:
                    raise ValidationFailed(f"Order {order_id} has no shipping address.",
                                           field="order_address_id", system=SYSTEM)
                order_address_id = int(addresses[0]["id"])
            if items is None:
                items = [{"order_product_id": line["id"],
                          "quantity": int(line["quantity"]) - int(line.get("quantity_shipped")
                                                                 or 0)}
                         for line in lines
                         if line.get("order_address_id") in (None, order_address_id)]
                items = [item for item in items if item["quantity"] > 0]
                if not items:
                    raise ValidationFailed(f"Order {order_id} has nothing left to ship.",
                                           field="items", system=SYSTEM)
            elif by_sku:
                items = _items_by_sku(order_id, items, lines)
        items = [{k: v for k, v in item.items() if k != "sku"} for item in items]
        body: dict[str, Any] = {"order_address_id": order_address_id, "items": items,
                                "tracking_number": tracking_number}
        if shipping_provider:
            body["shipping_provider"] = shipping_provider
        if tracking_carrier:
            body["tracking_carrier"] = tracking_carrier
        if comments:
            body["comments"] = comments
        if shipping_method:
            body["shipping_method"] = shipping_method
        record = self.json(self.request("POST", self.v2(f"orders/{order_id}/shipments"),
                                        json=body))
        external_id = f"{order_id}/{record['id']}"
        return WriteResult(external_id, created=True, record={**record,
                                                             "external_id": external_id})

    def _shipment_upsert(self, record: dict[str, Any], external_id: str | None) -> WriteResult:
        if external_id:
            order_id, shipment_id = _pair(external_id, "shipment")
            body = {k: v for k, v in record.items() if k not in ("order_id", "external_id")}
            updated = self.json(self.request(
                "PUT", self.v2(f"orders/{order_id}/shipments/{shipment_id}"), json=body))
            return WriteResult(external_id, created=False,
                               record={**updated, "external_id": external_id})
        if "order_id" not in record:
            raise ValidationFailed("A shipment needs order_id.", field="order_id", system=SYSTEM)
        return self.shipment_create(
            record["order_id"], tracking_number=str(record.get("tracking_number") or ""),
            shipping_provider=str(record.get("shipping_provider") or ""),
            tracking_carrier=str(record.get("tracking_carrier") or ""),
            items=record.get("items"), order_address_id=record.get("order_address_id"),
            comments=str(record.get("comments") or ""),
            shipping_method=record.get("shipping_method"))

    def shipments_list(self, order_id: str | int) -> list[dict[str, Any]]:
        return self.v2_all(f"orders/{order_id}/shipments")

    # --- refunds and transactions -------------------------------------------------------------
    def refund_quote(self, order_id: str | int, items: list[dict[str, Any]]) -> dict[str, Any]:
        """What refunding ``items`` would cost and which payment providers can pay it back."""
        return self.v3_data("POST", f"orders/{order_id}/payment_actions/refund_quotes",
                            json={"items": items})

    def refund_create(self, order_id: str | int, *, items: list[dict[str, Any]],
                      payments: list[dict[str, Any]], reason: str = "") -> WriteResult:
        """Refund ``items`` (``item_type`` PRODUCT/SHIPPING/…) paid back through ``payments``
        (``provider_id``, ``amount``, ``offline``) whose total must equal the quote."""
        body: dict[str, Any] = {"items": items, "payments": payments}
        if reason:
            body["reason"] = reason
        refund = self.v3_data("POST", f"orders/{order_id}/payment_actions/refunds", json=body)
        external_id = f"{order_id}/{refund['id']}"
        return WriteResult(external_id, created=True, record={**refund,
                                                             "external_id": external_id})

    def refunds_list(self, order_id: str | int) -> list[dict[str, Any]]:
        return self.v3_all(f"orders/{order_id}/payment_actions/refunds")

    def refunds_changed(self, *, since: datetime | None, cursor: str | None) -> Page:
        # The store-wide refund list has no date filter we can rely on: refunds are few, so
        # filter on ``created`` here.
        page = int(cursor or 1)
        body = self.json(self.request("GET", self.v3("orders/payment_actions/refunds"),
                                      params={"page": page, "limit": self.page_size}))
        rows = [{**r, "external_id": f"{r['order_id']}/{r['id']}"} for r in body["data"]]
        if since is not None:
            rows = [r for r in rows if _after(r.get("created"), since)]
        return Page(rows, next_page(body))

    # --- catalog follow-ups --------------------------------------------------------------------
    def inventory_adjust(self, items: list[dict[str, Any]], *, relative: bool = False,
                         reason: str = "") -> str:
        return catalog.inventory_adjust(self, items, relative=relative, reason=reason)

    def products_update_batch(self, records: list[dict[str, Any]]) -> BatchResult:
        return catalog.products_update_batch(self, records)

    def payment_get(self, order_id: str | int) -> dict[str, Any]:
        """The order's settled payment: its latest successful purchase or capture.

        Order events carry the order id; the payment is read from its transactions. An order
        created from Brightpearl was paid there: nothing to sync."""
        settled = [t for t in self.transactions_list(order_id)
                   if t.get("event") in ("purchase", "capture") and t.get("status") == "ok"]
        if not settled:
            raise NothingToSync(f"Order {order_id} has no settled payment yet.", system=SYSTEM)
        order = self.json(self.request("GET", self.v2(f"orders/{order_id}")))
        if from_brightpearl(order):
            raise NothingToSync(f"Order {order_id} was created from Brightpearl order "
                                f"{order.get('external_id')}, where its payment is.",
                                system=SYSTEM)
        return max(settled, key=lambda t: (str(t.get("date_created") or ""), t.get("id") or 0))

    def transactions_list(self, order_id: str | int) -> list[dict[str, Any]]:
        """The order's payment transactions (purchase, capture, refund, …)."""
        return self.v3_all(f"orders/{order_id}/transactions")

    def v3_all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self.json(self.request("GET", self.v3(path),
                                          params={**params, "page": page, "limit": 250}))
            rows.extend(body.get("data") or [])
            following = next_page(body)
            if following is None:
                return rows
            page = int(following)

    # --- webhooks -----------------------------------------------------------------------------
    def webhook_register(self, *, event: str, url: str, secret: str) -> str:
        """Subscribe ``url`` to ``event`` (a scope such as ``store/order/*``). BigCommerce
        sends the secret header back on each delivery: that is how ``webhook_verify`` knows
        a delivery is genuine. Returns the hook id. ``event`` may also be one of our entity
        names (``ENTITY_SCOPES``)."""
        hook = self.v3_data("POST", "hooks", json={
            "scope": hooks.ENTITY_SCOPES.get(event, event), "destination": url, "is_active": True,
            "headers": {hooks.SECRET_HEADER: secret},
        })
        return str(hook["id"])

    def webhooks_register_all(self, *, url: str, secret: str,
                              scopes: tuple[str, ...] = hooks.DEFAULT_SCOPES) -> list[str]:
        return [self.webhook_register(event=scope, url=url, secret=secret) for scope in scopes]

    def webhook_list(self) -> list[dict[str, Any]]:
        return self.v3_all("hooks")

    def webhook_delete(self, hook_id: str | int) -> None:
        self.request("DELETE", self.v3(f"hooks/{hook_id}"))

    def webhook_activate(self, hook_id: str | int) -> dict[str, Any]:
        """BigCommerce deactivates a hook after ~48 h of failed deliveries; turn it back on."""
        return self.v3_data("PUT", f"hooks/{hook_id}", json={"is_active": True})

    @classmethod
    def webhook_parse(cls, *, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        return hooks.webhook_parse(headers=headers, body=body)

    def webhook_verify(self, *, headers: Mapping[str, str],
                       query: Mapping[str, str] | None = None, body: bytes = b"",
                       secret: str) -> bool:
        """BigCommerce echoes the custom header we registered the hook with."""
        return hooks.webhook_verify(headers=headers, secret=secret)


# --- helpers -------------------------------------------------------------------------------------

def from_brightpearl(order: Mapping[str, Any]) -> bool:
    """Was this BigCommerce order created from a Brightpearl order (by our flow)?"""
    return str(order.get("external_source") or "").strip().lower() == BRIGHTPEARL_SOURCE.lower()


def _line_keys(lines: list[dict[str, Any]]) -> list[tuple[int, int]]:
    return sorted((int(line.get("product_id") or 0), int(line.get("quantity") or 0))
                  for line in lines)


def _show_lines(lines: list[dict[str, Any]]) -> str:
    return ", ".join(f"{q} × product {p}" for p, q in _line_keys(lines)) or "none"


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _after(value: Any, since: datetime) -> bool:
    if not value:
        return True
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return True
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment >= since


def _items_by_sku(order_id: str | int, items: list[dict[str, Any]],
                  lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items naming their line by ``sku`` get its ``order_product_id``: the first line of
    that SKU with enough left to ship (after the items before it)."""
    left = {line["id"]: int(line["quantity"]) - int(line.get("quantity_shipped") or 0)
            for line in lines}
    resolved = []
    for index, item in enumerate(items):
        item = dict(item)
        if not item.get("order_product_id"):
            sku = str(item.get("sku") or "").strip().lower()
            line = next((ln for ln in lines if sku and str(ln.get("sku") or "").strip().lower()
                         == sku and left[ln["id"]] >= int(item.get("quantity") or 0)), None)
            if line is None:
                raise ValidationFailed(f"Order {order_id} has no line of SKU "
                                       f"{item.get('sku')!r} with {item.get('quantity')} left "
                                       "to ship.", field=f"items[{index}].sku", system=SYSTEM)
            item["order_product_id"] = line["id"]
        if item["order_product_id"] in left:
            left[item["order_product_id"]] -= int(item.get("quantity") or 0)
        resolved.append(item)
    return resolved


def _pair(external_id: str, what: str) -> tuple[str, str]:
    order_id, _, child_id = str(external_id).partition("/")
    if not order_id or not child_id:
        raise ValidationFailed(f"A {what} id has the form '{{order_id}}/{{{what}_id}}', not "
                               f"{external_id!r}.", system=SYSTEM)
    return order_id, child_id


def _unsupported(entity: str) -> ConfigurationError:
    return ConfigurationError(f"BigCommerce has no '{entity}' entity here.", system=SYSTEM)


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


def _error_text(response: requests.Response) -> tuple[str, str]:
    """(message, field) from v2 ``[{"status", "message"}]`` or v3 problem+json
    ``{"title", "errors": {field: message}}``."""
    body = _body(response)
    if isinstance(body, list):
        messages = [str(item.get("message") or "") for item in body if isinstance(item, dict)]
        message = "; ".join(m for m in messages if m)
        found = _FIELD_IN_MESSAGE.search(message)
        return message, found.group(1) if found else ""
    if isinstance(body, dict):
        title = str(body.get("title") or body.get("message") or "")
        errors = body.get("errors")
        if isinstance(errors, dict) and errors:
            detail = "; ".join(f"{k}: {v}" for k, v in errors.items())
            return f"{title} ({detail})" if title else detail, str(next(iter(errors)))
        return title, ""
    return str(body)[:300], ""
