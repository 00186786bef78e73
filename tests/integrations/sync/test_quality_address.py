"""Address cleansing in the order flow, against the sandboxes in a real tenant schema."""

from __future__ import annotations

import pytest

from integrations.connectors.base import WebhookEvent
from integrations.models import DeadLetter, Flow, InboundEvent, RecordLink, Transaction
from integrations.services.connections import connector_for
from integrations.services.events import inbound_events_record
from integrations.services.sync import event_process

pytestmark = pytest.mark.django_db

ORDER_FLOW = "sales-order-bc-to-bp"
# As a shopper typed it: "se" is no key of the flow's country table, so without cleansing the
# order could not be mapped at all.
MESSY = {"first_name": "Åsa", "last_name": "Lindqvist", "street_1": "  Drottninggatan   12 ",
         "city": "STOCKHOLM", "state": "", "zip": "11151", "country": "Sverige",
         "country_iso2": "se", "email": "asa@example.com"}


def _sync(pair, system: str, entity: str, external_id: str, event_type: str) -> dict:
    inbound_events_record(connection=pair.connection_for(system),
                          events=[WebhookEvent(entity, external_id, event_type)],
                          fingerprint="f1")
    return {event.flow.key: event_process(event_id=event.pk)
            for event in InboundEvent.objects.filter(external_id=external_id,
                                                     event_type=event_type, status="pending")}


def _address_check(pair, **settings) -> None:
    Flow.objects.filter(pair=pair, key=ORDER_FLOW).update(
        quality={"address": {"enabled": True, **settings}})


def _storefront_order(bc_pair, control, billing: dict) -> str:
    """A registered shopper buys a Brightpearl product on the storefront."""
    pair = bc_pair["pair"]
    product = control.records("brightpearl", bc_pair["bp"]["account"], "product")[0]
    _sync(pair, "brightpearl", "product", str(product["id"]), "product.created")
    bc = connector_for(pair.partner)
    customer = bc.upsert("customer", {"email": "asa@example.com", "first_name": "Åsa",
                                      "last_name": "Lindqvist"})
    _sync(pair, "bigcommerce", "customer", customer.id, "store/customer/created")
    bc_product_id = RecordLink.objects.get(flow__key="product-bp-to-bc").target_id
    order = bc.upsert("sales_order", {
        "status_id": 1, "customer_id": int(customer.id), "billing_address": billing,
        "products": [{"product_id": int(bc_product_id), "quantity": 1}]})
    return order.id


def test_order_flow_with_address_cleansing_writes_the_cleansed_address_and_logs_the_change(
    bc_pair, control
):
    _address_check(bc_pair["pair"])
    order_id = _storefront_order(bc_pair, control, MESSY)

    outcomes = _sync(bc_pair["pair"], "bigcommerce", "sales_order", order_id,
                     "store/order/created")

    assert outcomes[ORDER_FLOW].status == "done", outcomes[ORDER_FLOW].message
    link = RecordLink.objects.get(flow__key=ORDER_FLOW, source_id=order_id)
    bp_order = connector_for(bc_pair["pair"].brightpearl).get("sales_order", link.target_id)
    delivery = bp_order["parties"]["delivery"]
    assert (delivery["addressLine1"], delivery["addressLine3"], delivery["postalCode"],
            delivery["countryIsoCode"]) == ("Drottninggatan 12", "Stockholm", "111 51", "SWE")
    tx = Transaction.objects.get(flow__key=ORDER_FLOW, source_id=order_id)
    notes = {note["path"]: note for note in tx.quality}
    assert notes["shipping_addresses[0].zip"]["before"] == "11151"
    assert notes["shipping_addresses[0].zip"]["after"] == "111 51"
    assert notes["shipping_addresses[0].country_iso2"]["after"] == "SE"
    assert {note["check"] for note in tx.quality} == {"address"}
    assert "format of Sweden" in notes["billing_address.zip"]["message"]


def test_order_flow_without_address_cleansing_leaves_the_address_as_typed(bc_pair, control):
    order_id = _storefront_order(bc_pair, control, dict(MESSY, country_iso2="SE"))

    outcomes = _sync(bc_pair["pair"], "bigcommerce", "sales_order", order_id,
                     "store/order/created")

    assert outcomes[ORDER_FLOW].status == "done", outcomes[ORDER_FLOW].message
    link = RecordLink.objects.get(flow__key=ORDER_FLOW, source_id=order_id)
    bp_order = connector_for(bc_pair["pair"].brightpearl).get("sales_order", link.target_id)
    assert bp_order["parties"]["delivery"]["postalCode"] == "11151"
    assert not Transaction.objects.get(flow__key=ORDER_FLOW, source_id=order_id).quality


def test_an_address_that_cannot_be_valid_is_held_for_review_when_the_flow_holds(bc_pair,
                                                                               control):
    _address_check(bc_pair["pair"], invalid="hold")
    before = len(control.records("brightpearl", bc_pair["bp"]["account"], "order"))
    order_id = _storefront_order(bc_pair, control, dict(MESSY, zip="1115"))

    outcomes = _sync(bc_pair["pair"], "bigcommerce", "sales_order", order_id,
                     "store/order/created")

    assert outcomes[ORDER_FLOW].status == "dead", outcomes[ORDER_FLOW]
    letter = DeadLetter.objects.get(flow__key=ORDER_FLOW, event__external_id=order_id)
    assert letter.error_class == "HeldForReview"
    assert {p["source_path"] for p in letter.problems} == {"billing_address.zip",
                                                          "shipping_addresses[0].zip"}
    assert all(p["kind"] == "quality.address" and "'1115'" in p["message"]
               for p in letter.problems)
    assert len(control.records("brightpearl", bc_pair["bp"]["account"], "order")) == before


def test_an_address_that_cannot_be_valid_syncs_with_a_note_when_the_flow_flags(bc_pair,
                                                                              control):
    _address_check(bc_pair["pair"], invalid="flag")
    order_id = _storefront_order(bc_pair, control, dict(MESSY, zip="1115"))

    outcomes = _sync(bc_pair["pair"], "bigcommerce", "sales_order", order_id,
                     "store/order/created")

    assert outcomes[ORDER_FLOW].status == "done", outcomes[ORDER_FLOW].message
    tx = Transaction.objects.get(flow__key=ORDER_FLOW, source_id=order_id)
    flagged = [note for note in tx.quality if note["path"] == "billing_address.zip"]
    assert flagged and "Not a postcode of Sweden" in flagged[0]["message"]
