"""Orders taken in Brightpearl reach BigCommerce; orders that came from BigCommerce never go
back, and the orders we write to BigCommerce never come back to Brightpearl. Real sandboxes,
the real pipeline, in a tenant schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from integrations.connectors.base import WebhookEvent
from integrations.models import Flow, InboundEvent, RecordLink, Transaction
from integrations.services.connections import connector_for
from integrations.services.events import inbound_events_record
from integrations.services.pairs import flow_set_enabled
from integrations.services.sync import ECHO_WINDOW, event_process

pytestmark = pytest.mark.django_db

BILLING = {"first_name": "Åsa", "last_name": "Lindqvist", "street_1": "Drottninggatan 12",
           "city": "Stockholm", "state": "", "zip": "111 51", "country": "Sweden",
           "country_iso2": "SE", "email": "asa@example.com"}


def _sync(pair: Any, system: str, entity: str, external_id: str, event_type: str,
          fingerprint: str = "f1") -> dict[str, Any]:
    """Deliver one webhook event and process it for every flow that takes it."""
    inbound_events_record(connection=pair.connection_for(system), events=[
        WebhookEvent(entity, external_id, event_type)], fingerprint=fingerprint)
    return {event.flow.key: event_process(event_id=event.pk) for event in
            InboundEvent.objects.filter(external_id=external_id, event_type=event_type,
                                        status="pending")}


@pytest.fixture
def shop(bc_pair: dict[str, Any], control: Any) -> dict[str, Any]:
    """The pair with the Brightpearl → BigCommerce order flow ticked, a product on the store
    and a storefront customer known to both systems."""
    pair = bc_pair["pair"]
    flow_set_enabled(flow=pair.flows.get(key="sales-order-bp-to-bc"), enabled=True)
    product = control.records("brightpearl", bc_pair["bp"]["account"], "product")[0]
    _sync(pair, "brightpearl", "product", str(product["id"]), "product.created")
    bc, bp = connector_for(pair.partner), connector_for(pair.brightpearl)
    customer = bc.upsert("customer", {"email": "asa@example.com", "first_name": "Åsa",
                                      "last_name": "Lindqvist"})
    _sync(pair, "bigcommerce", "customer", customer.id, "store/customer/created")
    contact = RecordLink.objects.get(flow__key="customer-bc-to-bp").target_id
    return {**bc_pair, "bc": bc, "bp": bp, "product": product, "customer": customer.id,
            "contact": contact,
            "bc_product": RecordLink.objects.get(flow__key="product-bp-to-bc").target_id}


def _bc_orders(shop: dict[str, Any]) -> list[dict[str, Any]]:
    return shop["bc"].v2_list("orders", limit=250)


def _storefront_order_in_brightpearl(shop: dict[str, Any]) -> tuple[str, str]:
    """A shopper's storefront order, synced into Brightpearl: (BC id, BP id)."""
    order = shop["bc"].upsert("sales_order", {
        "status_id": 11, "payment_method": "Credit Card", "customer_id": int(shop["customer"]),
        "billing_address": BILLING,
        "products": [{"product_id": int(shop["bc_product"]), "quantity": 2}]})
    outcomes = _sync(shop["pair"], "bigcommerce", "sales_order", order.id,
                     "store/order/created")
    assert outcomes["sales-order-bc-to-bp"].status == "done", outcomes
    link = RecordLink.objects.get(flow__key="sales-order-bc-to-bp", source_id=order.id)
    return order.id, link.target_id


ADDRESS = {"addressFullName": "Åsa Lindqvist", "addressLine1": "Drottninggatan 12",
           "addressLine3": "Stockholm", "postalCode": "111 51", "countryIsoCode": "SWE",
           "email": "asa@example.com"}


def _phone_order(shop: dict[str, Any], quantity: int = 1) -> str:
    """An order a salesperson enters in Brightpearl for the same customer."""
    return shop["bp"].upsert("sales_order", {
        "orderTypeCode": "SO", "reference": "PHONE-7",
        "parties": {"customer": {"contactId": int(shop["contact"])}, "billing": ADDRESS},
        "delivery": {"address": ADDRESS},
        "rows": [{"productId": shop["product"]["id"], "quantity": {"magnitude": quantity},
                  "rowValue": {"taxCode": "T20", "rowNet": {"value": 40 * quantity},
                               "rowTax": {"value": 8 * quantity}}}]}).id


def test_an_order_taken_in_brightpearl_becomes_a_bigcommerce_order_of_the_shopper(shop):
    bp_order = _phone_order(shop, quantity=3)

    outcomes = _sync(shop["pair"], "brightpearl", "sales_order", bp_order, "sales-order.created")

    assert outcomes["sales-order-bp-to-bc"].status == "done", outcomes
    link = RecordLink.objects.get(flow__key="sales-order-bp-to-bc", source_id=bp_order)
    order = shop["bc"].order_get(link.target_id)
    assert (order["customer_id"], order["external_source"], order["external_id"]) == (
        int(shop["customer"]), "Brightpearl", bp_order)
    assert [(p["product_id"], p["quantity"], p["price_ex_tax"]) for p in order["products"]] == [
        (int(shop["bc_product"]), 3, "40.0000")]
    assert order["status_id"] == 11


def test_an_order_from_bigcommerce_is_not_sent_back_as_a_second_bigcommerce_order(shop):
    bc_order, bp_order = _storefront_order_in_brightpearl(shop)
    before = len(_bc_orders(shop))

    # Brightpearl announces the order our flow just wrote (created, then each row added).
    first = _sync(shop["pair"], "brightpearl", "sales_order", bp_order, "sales-order.created")
    # Later changes come after the echo window: the order's external reference still tells.
    RecordLink.objects.filter(flow__key="sales-order-bc-to-bp").update(
        last_synced_at=timezone.now() - ECHO_WINDOW - dt.timedelta(minutes=5))
    later = _sync(shop["pair"], "brightpearl", "sales_order", bp_order,
                  "sales-order.modified.order-status")

    assert first["sales-order-bp-to-bc"].status == "skipped", first
    assert later["sales-order-bp-to-bc"].status == "skipped", later
    assert f"external reference 'BC-{bc_order}'" in later["sales-order-bp-to-bc"].message
    assert len(_bc_orders(shop)) == before
    assert not RecordLink.objects.filter(flow__key="sales-order-bp-to-bc").exists()


def test_the_bigcommerce_order_we_wrote_does_not_come_back_to_brightpearl(shop, control):
    bp_order = _phone_order(shop)
    _sync(shop["pair"], "brightpearl", "sales_order", bp_order, "sales-order.created")
    bc_order = RecordLink.objects.get(flow__key="sales-order-bp-to-bc").target_id
    # Outside the echo window, so only the order itself can tell where it came from.
    RecordLink.objects.filter(flow__key="sales-order-bp-to-bc").update(
        last_synced_at=timezone.now() - ECHO_WINDOW - dt.timedelta(minutes=5))
    orders_before = len(control.records("brightpearl", shop["bp"].config.account, "order"))

    outcomes = _sync(shop["pair"], "bigcommerce", "sales_order", bc_order,
                     "store/order/created")

    assert outcomes["sales-order-bc-to-bp"].status == "skipped", outcomes
    # Its payment was taken in Brightpearl: no second payment either.
    assert outcomes["payment-bc-to-bp"].status == "skipped", outcomes
    assert len(control.records("brightpearl", shop["bp"].config.account, "order")) == (
        orders_before)
    assert not RecordLink.objects.filter(flow__key__in=["sales-order-bc-to-bp",
                                                        "payment-bc-to-bp"]).exists()


def test_an_order_whose_rows_are_not_added_yet_waits_for_them(shop):
    bp = shop["bp"]
    bp_order = str(bp.call("POST", "order-service/order", json={
        "orderTypeCode": "SO", "parties": {"customer": {"contactId": int(shop["contact"])},
                                           "billing": ADDRESS},
        "delivery": {"address": ADDRESS}}))

    created = _sync(shop["pair"], "brightpearl", "sales_order", bp_order,
                    "sales-order.created")
    bp.call("POST", f"order-service/order/{bp_order}/row", json={
        "productId": shop["product"]["id"], "quantity": {"magnitude": 1}})
    modified = _sync(shop["pair"], "brightpearl", "sales_order", bp_order,
                     "sales-order.modified")

    assert created["sales-order-bp-to-bc"].status == "skipped"
    assert "no product rows yet" in created["sales-order-bp-to-bc"].message
    assert modified["sales-order-bp-to-bc"].status == "done", modified


def test_a_status_change_in_brightpearl_moves_the_bigcommerce_order(shop):
    bp_order = _phone_order(shop)
    _sync(shop["pair"], "brightpearl", "sales_order", bp_order, "sales-order.created")
    shop["bp"].order_status_set(bp_order, 5)  # cancelled on the phone

    outcomes = _sync(shop["pair"], "brightpearl", "sales_order", bp_order,
                     "sales-order.modified.order-status")

    assert outcomes["sales-order-bp-to-bc"].status == "done", outcomes
    link = RecordLink.objects.get(flow__key="sales-order-bp-to-bc", source_id=bp_order)
    assert shop["bc"].order_get(link.target_id)["status_id"] == 5
    assert Transaction.objects.filter(flow__key="sales-order-bp-to-bc").latest(
        "started_at").action == "update"
    assert len([o for o in _bc_orders(shop) if o["external_id"] == bp_order]) == 1


def test_the_flow_is_off_until_the_customer_ticks_it(bc_pair):
    flow = bc_pair["pair"].flows.get(key="sales-order-bp-to-bc")
    assert not flow.enabled
    assert Flow.objects.filter(pair=bc_pair["pair"], enabled=True).count() == 8
