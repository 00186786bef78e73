"""Our own services (the Redis of the request budgets) failing mid-sync: the event waits."""

from __future__ import annotations

import socket

import pytest

from config.redis import redis_client
from integrations.connectors.base import WebhookEvent
from integrations.models import DeadLetter, InboundEvent
from integrations.services.events import inbound_events_record
from integrations.services.sync import event_process

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings):
    """REDIS_URL names a port nothing listens on, as while our Redis restarts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    saved = settings.REDIS_URL
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    redis_client.cache_clear()
    yield
    settings.REDIS_URL = saved
    redis_client.cache_clear()


def _product_event(bc_pair, control) -> InboundEvent:
    product = control.records("brightpearl", bc_pair["bp"]["account"], "product")[0]
    inbound_events_record(connection=bc_pair["pair"].connection_for("brightpearl"),
                          events=[WebhookEvent("product", str(product["id"]), "product.created")],
                          fingerprint="f1")
    return InboundEvent.objects.get(flow__key="product-bp-to-bc", external_id=str(product["id"]))


def test_sync_while_our_redis_is_down_is_retried_instead_of_dead_lettered(
    bc_pair, control, redis_down
):
    event = _product_event(bc_pair, control)

    outcome = event_process(event_id=event.pk)

    assert outcome.status == "retrying", outcome.message
    event.refresh_from_db()
    assert event.status == InboundEvent.Status.RETRYING
    assert "Our own service was unavailable" in event.last_error
    assert not DeadLetter.objects.exists()


def test_event_retried_after_our_redis_came_back_is_delivered(bc_pair, control, settings):
    saved = settings.REDIS_URL
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        settings.REDIS_URL = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    redis_client.cache_clear()
    event = _product_event(bc_pair, control)
    event_process(event_id=event.pk)
    settings.REDIS_URL = saved
    redis_client.cache_clear()
    InboundEvent.objects.filter(pk=event.pk).update(next_attempt_at=None, status="pending")

    assert event_process(event_id=event.pk).status == "done"
    assert len(control.records("bigcommerce", bc_pair["bc"]["account"], "products")) == 1
