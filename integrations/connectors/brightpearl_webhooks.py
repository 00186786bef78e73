"""Brightpearl webhooks: what to subscribe to, the body we ask for, and parsing deliveries.

Brightpearl signs nothing, so the per-connection secret travels in the registered URI (query
parameter ``secret``); the receiving view compares it with ``webhook_verify``. Deliveries carry
ids, not documents — the pipeline fetches the record — and with ``idSetAccepted`` one delivery
may name an ID set (``1001-1003,1007``): it becomes one event per id.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from integrations.connectors.base import WebhookEvent
from integrations.connectors.brightpearl_search import id_set_parse
from integrations.connectors.errors import ValidationFailed

SYSTEM = "brightpearl"
SECRET_PARAM = "secret"  # noqa: S105 (a query parameter name)

# Canonical entity → the Brightpearl event (or event prefix) to subscribe to.
SUBSCRIPTIONS = {
    "sales_order": "sales-order",
    "credit_note": "sales-credit",
    "purchase_order": "purchase-order",
    "product": "product",
    "inventory": "product.modified.on-hand-modified",
    "customer": "contact",
    "supplier": "contact",
    "shipment": "goods-out-note",
    "goods_receipt": "goods-in-note",
    "payment": "sales-order.modified.payment-status",
}

# Brightpearl resource type → canonical entity. Contacts are customers and suppliers alike;
# events say "customer" and the pipeline's get() reads any contact.
RESOURCE_ENTITIES = {
    "sales-order": "sales_order",
    "sales-credit": "credit_note",
    "purchase-order": "purchase_order",
    "purchase-credit": "purchase_credit",
    "product": "product",
    "contact": "customer",
    "goods-out-note": "shipment",
    "goods-in-note": "goods_receipt",
}

# Every variable quoted, so an ID set ("1-3,7") stays valid JSON.
BODY_TEMPLATE = json.dumps({
    "accountCode": "${account-code}",
    "resourceType": "${resource-type}",
    "id": "${resource-id}",
    "lifecycleEvent": "${lifecycle-event}",
    "fullEvent": "${full-event}",
    "raisedOn": "${raise-time}",
})


def subscription_for(event: str) -> str:
    """A canonical entity name or a Brightpearl event name → what to subscribe to."""
    return SUBSCRIPTIONS.get(event, event)


def uri_with_secret(url: str, secret: str) -> str:
    if not secret:
        raise ValueError("A webhook secret is required: Brightpearl deliveries are unsigned.")
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k != SECRET_PARAM]
    query.append((SECRET_PARAM, secret))
    # "$" would start a Brightpearl template variable; urlencode escapes it with the rest.
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def verify(*, query: Mapping[str, str], secret: str) -> bool:
    """Does a delivery's query string carry this connection's secret?"""
    given = query.get(SECRET_PARAM) or ""
    return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())


def _entity(resource_type: str, full_event: str) -> str:
    if resource_type == "product" and full_event.startswith("product.modified.on-hand"):
        return "inventory"
    return RESOURCE_ENTITIES.get(resource_type, resource_type.replace("-", "_"))


def _events_of(item: Any) -> list[WebhookEvent]:
    if not isinstance(item, dict):
        raise ValidationFailed("A Brightpearl webhook body must be a JSON object.",
                               system=SYSTEM)
    resource_type = str(item.get("resourceType") or "")
    raw_id = item.get("id")
    full_event = str(item.get("fullEvent") or "")
    if not full_event and resource_type and item.get("lifecycleEvent"):
        full_event = f"{resource_type}.{item['lifecycleEvent']}"
    if not resource_type and full_event:
        resource_type = full_event.split(".", 1)[0]
    if not resource_type or raw_id in (None, ""):
        raise ValidationFailed("The Brightpearl webhook body names no resource type or id.",
                               system=SYSTEM)
    try:
        ids = id_set_parse(str(raw_id))
    except ValueError as exc:
        raise ValidationFailed(f"The Brightpearl webhook id {raw_id!r} is not an ID set.",
                               system=SYSTEM, field="id") from exc
    entity = _entity(resource_type, full_event)
    raised = item.get("raisedOn") or None
    return [WebhookEvent(entity=entity, external_id=str(i), event_type=full_event,
                         occurred_at=raised) for i in ids]


def parse(*, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
    try:
        data = json.loads(body or b"null")
    except ValueError as exc:
        raise ValidationFailed("The Brightpearl webhook body is not JSON.",
                               system=SYSTEM) from exc
    items = data if isinstance(data, list) else [data]
    events: list[WebhookEvent] = []
    for item in items:
        events.extend(_events_of(item))
    return events
