"""Webhook ingest on the tenant's domain: verify, store durably, acknowledge, dedupe."""

from __future__ import annotations

import json
import time

import pytest
from django.db import connection as db
from django.test import Client

from integrations.models import InboundEvent

pytestmark = pytest.mark.django_db

HOST = "alpha.localhost"


def _bc_delivery(order_id: int, *, created_at: int = 1_700_000_000) -> bytes:
    return json.dumps({"store_id": "1001", "producer": "stores/abc", "scope": "store/order/created",
                       "data": {"type": "order", "id": order_id}, "hash": f"h{order_id}",
                       "created_at": created_at}).encode()


def _post(bc_pair, body: bytes, *, secret: str | None = None, path: str | None = None):
    connection = bc_pair["pair"].partner
    secret = connection.webhook_secret if secret is None else secret
    db.set_schema_to_public()
    return Client().post(path or f"/api/v1/webhooks/bigcommerce/{connection.pk}/", body,
                         content_type="application/json", HTTP_HOST=HOST,
                         HTTP_X_CLARITY_WEBHOOK_SECRET=secret)


def test_webhook_is_stored_before_it_is_acknowledged(bc_pair):
    response = _post(bc_pair, _bc_delivery(101))

    assert response.status_code == 202
    # An order event feeds two flows: the order itself and its payments.
    assert response.json() == {"accepted": 2, "duplicates": 0, "unrouted": 0}
    events = InboundEvent.objects.filter(external_id="101")
    assert {(e.flow.key, e.status) for e in events} == {
        ("sales-order-bc-to-bp", "pending"), ("payment-bc-to-bp", "pending")}


def test_a_repeated_delivery_is_acknowledged_and_stored_once(bc_pair):
    _post(bc_pair, _bc_delivery(102))
    again = _post(bc_pair, _bc_delivery(102))

    assert again.status_code == 202
    assert again.json()["duplicates"] == 2
    assert InboundEvent.objects.filter(external_id="102").count() == 2


def test_a_later_change_to_the_same_record_is_a_new_event(bc_pair):
    _post(bc_pair, _bc_delivery(103, created_at=1))
    _post(bc_pair, _bc_delivery(103, created_at=2))
    assert InboundEvent.objects.filter(external_id="103",
                                       flow__key="sales-order-bc-to-bp").count() == 2


def test_wrong_secret_is_refused_and_nothing_stored(bc_pair):
    response = _post(bc_pair, _bc_delivery(104), secret="guess")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_secret"
    assert not InboundEvent.objects.filter(external_id="104").exists()


def test_unknown_connection_is_404_with_a_json_error(bc_pair):
    response = _post(bc_pair, _bc_delivery(105), path="/api/v1/webhooks/bigcommerce/999999/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_connection"


def test_malformed_body_is_400_saying_so(bc_pair):
    response = _post(bc_pair, b"{not json")
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "malformed_body",
                                        "message": "The webhook body is not JSON."}


def test_oversized_body_is_413(bc_pair):
    response = _post(bc_pair, b"x" * 1_000_001)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_event_no_flow_takes_is_kept_as_unrouted(bc_pair):
    body = json.dumps({"store_id": "1", "producer": "stores/abc", "scope": "store/product/deleted",
                       "data": {"type": "product", "id": 5}, "hash": "x",
                       "created_at": 1}).encode()
    response = _post(bc_pair, body)
    assert response.status_code == 202
    assert InboundEvent.objects.get(external_id="5").status == "unrouted"


def test_a_delivery_skips_the_browser_middleware(bc_pair):
    connection = bc_pair["pair"].partner
    db.set_schema_to_public()
    # CSRF checks on, as a browser would get them: a delivery carries no token and needs none.
    response = Client(enforce_csrf_checks=True).post(
        f"/api/v1/webhooks/bigcommerce/{connection.pk}/", _bc_delivery(106),
        content_type="application/json", HTTP_HOST=HOST,
        HTTP_X_CLARITY_WEBHOOK_SECRET=connection.webhook_secret)

    assert response.status_code == 202
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    # XFrameOptionsMiddleware, further down the stack, marks every response it sees.
    assert "X-Frame-Options" not in response
    assert response["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware still runs


def test_stored_events_are_enqueued_by_the_buffer_after_the_commit(
        bc_pair, settings, django_capture_on_commit_callbacks):
    from integrations.services import events

    settings.EVENTS_ENQUEUE_WINDOW_MS = 20
    schema = db.schema_name
    sent: list[tuple[tuple[str, str], list[int]]] = []
    # A fresh buffer, whose sends are recorded.
    original, events._buffer = events._buffered_send, None
    events._buffered_send = lambda key, ids: sent.append((key, ids))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            _post(bc_pair, _bc_delivery(107))
            _post(bc_pair, _bc_delivery(108))
        stored = set(InboundEvent.objects.filter(external_id__in=["107", "108"])
                     .values_list("pk", flat=True))
        deadline = time.monotonic() + 5
        while sum(len(ids) for _, ids in sent) < len(stored) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        events._buffered_send, events._buffer = original, None

    # Keyed by the tenant and the lane of the delivering connection.
    assert {key for key, _ in sent} == {(schema, str(bc_pair["pair"].partner_id))}
    assert sorted(i for _, ids in sent for i in ids) == sorted(stored)
