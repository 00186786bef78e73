"""The pipeline, service by service, against the sandboxes in a real tenant schema."""

from __future__ import annotations

import pytest

from integrations.connectors.base import WebhookEvent
from integrations.models import DeadLetter, InboundEvent, RecordLink, Transaction
from integrations.services.connections import connector_for
from integrations.services.dead_letters import dead_letters_replay
from integrations.services.events import inbound_events_record
from integrations.services.mappings import mapping_version_create
from integrations.services.pairs import pair_set_status
from integrations.services.sync import event_process

pytestmark = pytest.mark.django_db


def _deliver(pair, system: str, event: WebhookEvent, fingerprint: str = "f1") -> list[int]:
    connection = pair.connection_for(system)
    inbound_events_record(connection=connection, events=[event], fingerprint=fingerprint)
    return list(InboundEvent.objects.filter(external_id=event.external_id,
                                            event_type=event.event_type)
                .values_list("pk", flat=True))


def _first_bp_product(control, bp) -> dict:
    return control.records("brightpearl", bp["account"], "product")[0]


def test_brightpearl_product_lands_in_bigcommerce_with_its_sku(bc_pair, control):
    product = _first_bp_product(control, bc_pair["bp"])
    [event_id] = _deliver(bc_pair["pair"], "brightpearl",
                          WebhookEvent("product", str(product["id"]), "product.created"))

    outcome = event_process(event_id=event_id)

    assert outcome.status == "done", outcome.message
    created = control.records("bigcommerce", bc_pair["bc"]["account"], "products")
    assert product["identity"]["sku"] in [p["sku"] for p in created]
    link = RecordLink.objects.get(source_id=str(product["id"]))
    assert link.natural_key == product["identity"]["sku"]
    tx = Transaction.objects.get(event_id=event_id)
    assert (tx.status, tx.action) == ("success", "create")


BILLING = {"first_name": "Åsa", "last_name": "Lindqvist", "street_1": "Drottninggatan 12",
           "city": "Stockholm", "state": "", "zip": "111 51", "country": "Sweden",
           "country_iso2": "SE", "email": "asa@example.com"}


def _sync(pair, system: str, entity: str, external_id: str, event_type: str,
          fingerprint: str = "f1") -> list:
    connection = pair.connection_for(system)
    inbound_events_record(connection=connection, events=[
        WebhookEvent(entity, external_id, event_type)], fingerprint=fingerprint)
    outcomes = []
    for event in InboundEvent.objects.filter(external_id=external_id, event_type=event_type,
                                             status="pending"):
        outcomes.append((event.flow.key, event_process(event_id=event.pk)))
    return outcomes


def _storefront_order(bc_pair, control) -> tuple[str, dict]:
    """A shopper buys a Brightpearl product on the storefront (as a registered customer)."""
    pair = bc_pair["pair"]
    product = _first_bp_product(control, bc_pair["bp"])
    _sync(pair, "brightpearl", "product", str(product["id"]), "product.created")
    bc = connector_for(pair.partner)
    customer = bc.upsert("customer", {"email": "asa@example.com", "first_name": "Åsa",
                                      "last_name": "Lindqvist"})
    _sync(pair, "bigcommerce", "customer", customer.id, "store/customer/created")
    bc_product_id = RecordLink.objects.get(flow__key="product-bp-to-bc").target_id
    order = bc.upsert("sales_order", {
        "status_id": 1, "customer_id": int(customer.id), "billing_address": BILLING,
        "products": [{"product_id": int(bc_product_id), "quantity": 2}]})
    return order.id, product


def test_storefront_order_becomes_a_brightpearl_sales_order_and_bc_status_moves_on(
    bc_pair, control
):
    order_id, product = _storefront_order(bc_pair, control)

    outcomes = dict(_sync(bc_pair["pair"], "bigcommerce", "sales_order", order_id,
                          "store/order/created"))

    assert outcomes["sales-order-bc-to-bp"].status == "done", outcomes
    link = RecordLink.objects.get(flow__key="sales-order-bc-to-bp", source_id=order_id)
    bp_order = connector_for(bc_pair["pair"].brightpearl).get("sales_order", link.target_id)
    assert [row["productId"] for row in bp_order["orderRows"].values()
            if row.get("productId")] == [product["id"]]
    bc_order = connector_for(bc_pair["pair"].partner).get("sales_order", order_id)
    assert bc_order["status_id"] == 11


def test_duplicate_webhook_creates_one_target_order(bc_pair, control):
    order_id, _ = _storefront_order(bc_pair, control)
    before = len(control.records("brightpearl", bc_pair["bp"]["account"], "order"))

    _sync(bc_pair["pair"], "bigcommerce", "sales_order", order_id, "store/order/created")
    again = _sync(bc_pair["pair"], "bigcommerce", "sales_order", order_id,
                  "store/order/created")

    assert again == []  # the same delivery is stored once, so nothing runs again
    after = len(control.records("brightpearl", bc_pair["bp"]["account"], "order"))
    assert after == before + 1


def test_redelivered_change_of_the_same_order_updates_instead_of_duplicating(bc_pair, control):
    order_id, _ = _storefront_order(bc_pair, control)
    before = len(control.records("brightpearl", bc_pair["bp"]["account"], "order"))
    _sync(bc_pair["pair"], "bigcommerce", "sales_order", order_id, "store/order/created", "a")
    outcomes = dict(_sync(bc_pair["pair"], "bigcommerce", "sales_order", order_id,
                          "store/order/created", "b"))

    # The follow-up moved the storefront order on, so the second run updates the Brightpearl
    # order it created the first time.
    assert outcomes["sales-order-bc-to-bp"].status == "done"
    assert Transaction.objects.filter(flow__key="sales-order-bc-to-bp").latest(
        "started_at").action == "update"
    assert len(control.records("brightpearl", bc_pair["bp"]["account"], "order")) == before + 1


def test_order_whose_customer_has_not_synced_waits_instead_of_failing(bc_pair, control):
    pair = bc_pair["pair"]
    product = _first_bp_product(control, bc_pair["bp"])
    _sync(pair, "brightpearl", "product", str(product["id"]), "product.created")
    bc = connector_for(pair.partner)
    stranger = bc.upsert("customer", {"email": "new@example.com", "first_name": "N",
                                      "last_name": "Ew"})
    bc_product_id = RecordLink.objects.get(flow__key="product-bp-to-bc").target_id
    order = bc.upsert("sales_order", {
        "status_id": 1, "customer_id": int(stranger.id), "billing_address": BILLING,
        "products": [{"product_id": int(bc_product_id), "quantity": 1}]})

    outcomes = dict(_sync(pair, "bigcommerce", "sales_order", order.id, "store/order/created"))

    assert outcomes["sales-order-bc-to-bp"].status == "retrying", outcomes
    event = InboundEvent.objects.get(flow__key="sales-order-bc-to-bp", external_id=order.id)
    assert "Waiting for a related record to sync first" in event.last_error
    assert not DeadLetter.objects.exists()


def test_server_errors_are_retried_and_then_delivered(bc_pair, control):
    product = _first_bp_product(control, bc_pair["bp"])
    control.faults("bigcommerce", bc_pair["bc"]["account"], error_5xx_rate=1.0)
    [(_, first)] = _sync(bc_pair["pair"], "brightpearl", "product", str(product["id"]),
                         "product.created")
    assert first.status == "retrying"
    control.clear_faults()
    event = InboundEvent.objects.get(external_id=str(product["id"]))
    InboundEvent.objects.filter(pk=event.pk).update(next_attempt_at=None, status="pending")

    assert event_process(event_id=event.pk).status == "done"
    assert Transaction.objects.filter(event=event).count() == 2


def test_permanent_refusal_goes_to_a_dead_letter_with_the_systems_reason(bc_pair, control):
    product = _first_bp_product(control, bc_pair["bp"])
    flow = bc_pair["pair"].flows.get(key="product-bp-to-bc")
    document = dict(flow.mapping.current_document)
    # The schema allows any type text; BigCommerce itself refuses an unknown product type.
    document["fields"] = {**document["fields"], "type": {"const": "spaceship"}}
    mapping_version_create(mapping=flow.mapping, document=document)

    [(_, outcome)] = _sync(bc_pair["pair"], "brightpearl", "product", str(product["id"]),
                           "product.created")

    assert outcome.status == "dead"
    letter = DeadLetter.objects.get()
    assert letter.error_class in ("ValidationFailed", "MappingFailed")
    assert letter.source_record["id"] == product["id"]


def test_replay_after_fixing_the_mapping_delivers(bc_pair, control):
    product = _first_bp_product(control, bc_pair["bp"])
    flow = bc_pair["pair"].flows.get(key="product-bp-to-bc")
    good = flow.mapping.current_document
    broken = {**good, "fields": {**good["fields"],
                                 "name": {"from": "no.such.path", "required": True}}}
    mapping_version_create(mapping=flow.mapping, document=broken)
    _sync(bc_pair["pair"], "brightpearl", "product", str(product["id"]), "product.created")
    letter = DeadLetter.objects.get()
    assert letter.error_class == "MappingFailed"
    assert letter.problems[0]["target_path"] == "name"

    mapping_version_create(mapping=flow.mapping, document=good, comment="fixed")
    assert dead_letters_replay(letters=DeadLetter.objects.all()) == 1
    event = InboundEvent.objects.get(pk=letter.event_id)

    assert event_process(event_id=event.pk).status == "done"
    letter.refresh_from_db()
    assert letter.resolution == "replayed"
    skus = [p["sku"] for p in control.records("bigcommerce", bc_pair["bc"]["account"],
                                              "products")]
    assert skus.count(product["identity"]["sku"]) == 1


def test_paused_pair_holds_events_and_resuming_releases_them(bc_pair, control):
    pair = bc_pair["pair"]
    pair_set_status(pair=pair, status="paused")
    product = _first_bp_product(control, bc_pair["bp"])
    [(_, outcome)] = _sync(pair, "brightpearl", "product", str(product["id"]),
                           "product.created")
    assert outcome.status == "held"

    pair_set_status(pair=pair, status="active")

    event = InboundEvent.objects.get(external_id=str(product["id"]))
    assert event.status == "pending"
    assert event_process(event_id=event.pk).status == "done"


def test_plan_that_stopped_syncing_holds_events_with_the_reason(bc_pair, control, tenant_a):
    subscription = tenant_a.subscription
    subscription.status = "canceled"
    subscription.save()
    product = _first_bp_product(control, bc_pair["bp"])

    [(_, outcome)] = _sync(bc_pair["pair"], "brightpearl", "product", str(product["id"]),
                           "product.created")

    assert outcome.status == "held"
    assert "canceled" in outcome.message


def test_second_change_to_a_record_being_synced_waits_for_the_first(bc_pair, control):
    import threading

    from django.db import connection as conn

    from integrations.services.sync import _record_lock_key

    product = _first_bp_product(control, bc_pair["bp"])
    [event_id] = _deliver(bc_pair["pair"], "brightpearl",
                          WebhookEvent("product", str(product["id"]), "product.created"))
    event = InboundEvent.objects.get(pk=event_id)
    key = _record_lock_key(event.flow_id, event.external_id)
    held, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        # Another worker's session holds the record while it syncs an earlier change.
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
            held.set()
            release.wait(10)
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        conn.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    held.wait(10)
    try:
        outcome = event_process(event_id=event_id)
    finally:
        release.set()
        thread.join()

    assert outcome.status == "deferred"
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("retrying", 0)
