"""BigCommerce webhooks: which scopes we subscribe to, and payloads → ``WebhookEvent``s.

BigCommerce signs nothing: the custom ``headers`` given when the hook is registered are sent
back with every delivery, so a secret header is the verification. Payloads carry ids only
(``{"scope", "data": {"type", "id", ...}, "created_at", "producer"}``); the full record is read
back with ``get``.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from integrations.connectors.base import WebhookEvent
from integrations.connectors.errors import ValidationFailed

SECRET_HEADER = "X-Clarity-Webhook-Secret"  # noqa: S105 - a header name

# Our entity names → the scope that reports their changes (webhook_register takes either).
ENTITY_SCOPES = {"sales_order": "store/order/*", "credit_note": "store/order/refund/created",
                 "product": "store/product/*", "inventory": "store/sku/*",
                 "customer": "store/customer/*", "shipment": "store/shipment/*"}

# What a connection subscribes to: every order, product, customer and shipment change.
DEFAULT_SCOPES = ("store/order/*", "store/product/*", "store/sku/*", "store/customer/*",
                  "store/shipment/*")


def webhook_verify(*, headers: Mapping[str, str], secret: str) -> bool:
    """True when the delivery echoes the secret header we registered the hook with."""
    lowered = {k.lower(): v for k, v in headers.items()}
    given = lowered.get(SECRET_HEADER.lower(), "")
    return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())


def webhook_parse(*, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
    """One delivery → the events it reports (empty for scopes we do not sync)."""
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise ValidationFailed("The webhook body is not JSON.", system="bigcommerce") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise ValidationFailed("The webhook body is not a BigCommerce event (no data).",
                               system="bigcommerce")
    scope = str(payload.get("scope") or "")
    data: dict[str, Any] = payload["data"]
    occurred = _iso(payload.get("created_at"))
    parts = scope.split("/")
    if len(parts) < 3 or parts[0] != "store" or data.get("id") is None:
        return []
    kind, action = parts[1], "/".join(parts[2:])
    record_id = str(data["id"])
    # The event type is the scope itself ("store/order/created"): flows subscribe by scope.
    if kind == "order" and action == "refund/created":
        refund_id = data.get("refund_id") or (data.get("refund") or {}).get("refund_id")
        if refund_id is None:
            return [WebhookEvent("sales_order", record_id, scope, occurred)]
        return [WebhookEvent("credit_note", f"{record_id}/{refund_id}", scope, occurred)]
    if kind == "order":
        return [WebhookEvent("sales_order", record_id, scope, occurred)]
    if kind in ("product", "sku") and action.startswith("inventory/"):
        # Stock is read per product (``get("inventory", product_id)``), variants included.
        product_id = (data.get("inventory") or {}).get("product_id", data["id"])
        return [WebhookEvent("inventory", str(product_id), scope, occurred)]
    if kind == "product":
        return [WebhookEvent("product", record_id, scope, occurred)]
    if kind == "customer":
        return [WebhookEvent("customer", record_id, scope, occurred)]
    if kind == "shipment":
        order_id = data.get("orderId") or data.get("order_id")
        external_id = f"{order_id}/{record_id}" if order_id is not None else record_id
        return [WebhookEvent("shipment", external_id, scope, occurred)]
    return []


def _iso(value: Any) -> str | None:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).isoformat()
    return str(value) if value else None
