"""Events processed in batches (a delivery's events in one message), against the sandboxes."""

from __future__ import annotations

import pytest
from django.db import connection as db

from billing.models import UsageCounter
from integrations.connectors.base import WebhookEvent
from integrations.connectors.brightpearl import BrightpearlConnector
from integrations.models import InboundEvent, RecordLink, Transaction
from integrations.services.events import inbound_events_record
from integrations.services.sync import events_process

pytestmark = pytest.mark.django_db


def _deliver_products(pair, product_ids: list[int], fingerprint: str = "f1") -> list[int]:
    """One Brightpearl delivery naming several products (an ID set), as the sandbox sends."""
    events = [WebhookEvent("product", str(i), "product.created") for i in product_ids]
    inbound_events_record(connection=pair.brightpearl, events=events, fingerprint=fingerprint)
    return list(InboundEvent.objects.filter(
        flow__key="product-bp-to-bc", external_id__in=[str(i) for i in product_ids],
        status="pending").order_by("pk").values_list("pk", flat=True))


def _products(control, bc_pair, count: int) -> list[dict]:
    return control.records("brightpearl", bc_pair["bp"]["account"], "product")[:count]


def test_a_batch_syncs_every_record_of_the_delivery_and_logs_each(bc_pair, control):
    products = _products(control, bc_pair, 4)
    event_ids = _deliver_products(bc_pair["pair"], [p["id"] for p in products])

    outcomes = events_process(event_ids=event_ids)

    assert [outcomes[i].status for i in event_ids] == ["done"] * 4
    skus = [p["sku"] for p in control.records("bigcommerce", bc_pair["bc"]["account"],
                                              "products")]
    assert sorted(skus) == sorted(p["identity"]["sku"] for p in products)
    assert RecordLink.objects.filter(flow__key="product-bp-to-bc").count() == 4
    assert Transaction.objects.filter(event_id__in=event_ids, status="success").count() == 4
    assert set(InboundEvent.objects.filter(pk__in=event_ids).values_list("status", flat=True)
               ) == {"done"}


def test_a_batch_reads_its_brightpearl_records_in_one_id_set_call(bc_pair, control,
                                                                  monkeypatch):
    products = _products(control, bc_pair, 3)
    event_ids = _deliver_products(bc_pair["pair"], [p["id"] for p in products])
    # Every call still goes to the sandbox; the wrapper only notes its path.
    paths: list[str] = []
    call = BrightpearlConnector.call

    def noted(self, method, path, **kwargs):
        paths.append(f"{method} {path}")
        return call(self, method, path, **kwargs)

    monkeypatch.setattr(BrightpearlConnector, "call", noted)

    events_process(event_ids=event_ids)

    reads = [p for p in paths if p.startswith("GET product-service/product/")]
    assert len(reads) == 1, paths


def test_a_batch_counts_its_transactions_in_the_months_usage(bc_pair, control, tenant_a):
    event_ids = _deliver_products(bc_pair["pair"],
                                  [p["id"] for p in _products(control, bc_pair, 3)])

    events_process(event_ids=event_ids)

    assert UsageCounter.objects.get(tenant=tenant_a).transactions == 3


def test_one_refused_record_does_not_hold_back_the_rest_of_its_batch(bc_pair, control):
    products = _products(control, bc_pair, 3)
    event_ids = _deliver_products(bc_pair["pair"], [p["id"] for p in products] + [999999])

    outcomes = events_process(event_ids=event_ids)

    statuses = [outcomes[i].status for i in event_ids]
    assert statuses[:3] == ["done"] * 3
    assert statuses[3] == "retrying"  # not found: perhaps not visible yet, so tried again
    missing = InboundEvent.objects.get(pk=event_ids[3])
    assert "999999" in missing.last_error


def test_the_same_record_twice_in_one_batch_is_written_once(bc_pair, control):
    product = _products(control, bc_pair, 1)[0]
    first = _deliver_products(bc_pair["pair"], [product["id"]], fingerprint="a")
    second = [i for i in _deliver_products(bc_pair["pair"], [product["id"]], fingerprint="b")
              if i not in first]

    outcomes = events_process(event_ids=first + second)

    assert [outcomes[i].status for i in first + second] == ["done", "skipped"]
    skus = [p["sku"] for p in control.records("bigcommerce", bc_pair["bc"]["account"],
                                              "products")]
    assert skus.count(product["identity"]["sku"]) == 1


def test_events_already_claimed_by_another_worker_are_left_out_of_a_batch(bc_pair, control):
    products = _products(control, bc_pair, 2)
    event_ids = _deliver_products(bc_pair["pair"], [p["id"] for p in products])
    InboundEvent.objects.filter(pk=event_ids[0]).update(status="done")

    outcomes = events_process(event_ids=event_ids)

    assert list(outcomes) == [event_ids[1]]
    assert Transaction.objects.filter(event_id=event_ids[0]).count() == 0


def test_a_batch_releases_every_record_lock_it_took(bc_pair, control):
    event_ids = _deliver_products(bc_pair["pair"],
                                  [p["id"] for p in _products(control, bc_pair, 3)])

    events_process(event_ids=event_ids)

    with db.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                       "AND pid = pg_backend_pid()")
        assert cursor.fetchone()[0] == 0
