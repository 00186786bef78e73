"""Shared steps of the Brightpearl + ERP end-to-end tests (Infor, SYSPRO, Dynamics GP).

Brightpearl-side changes are made through the Brightpearl API (its webhooks then reach the
live web server); ERP-side changes through the ERP's API, followed by ``flow_run_now`` (the
worker polls). Waiting reads the pair's record links; a timeout names the flow's last error.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import transaction

from integrations.models import (
    Connection,
    Flow,
    IntegrationPair,
    RecordLink,
    Transaction,
)
from integrations.services.connections import connector_for
from integrations.services.pairs import flow_run_now
from tests.e2e.conftest import LiveStack

PLACED_ON = "2026-03-02T10:00:00+00:00"
ADDRESS = {"addressLine1": "12 Harbour Road", "addressLine2": "Unit 4",
           "addressLine3": "Bristol", "addressLine4": "Avon", "postalCode": "BS1 4DJ",
           "countryIsoCode": "GBR"}


class InTenant:
    """A connector whose every call runs in the e2e tenant's schema (tokens live there)."""

    def __init__(self, live_stack: LiveStack, connection: Connection) -> None:
        self._live_stack = live_stack
        with live_stack.inside():
            self._connector = connector_for(Connection.objects.get(pk=connection.pk))

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._connector, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._live_stack.inside():
                return attribute(*args, **kwargs)

        return call


def connector(live_stack: LiveStack, connection: Connection) -> Any:
    return InTenant(live_stack, connection)


def _last_error(pair: IntegrationPair, flow_key: str) -> str:
    last = (Transaction.objects.filter(flow__pair=pair, flow__key=flow_key)
            .exclude(status=Transaction.Status.SUCCESS).order_by("-pk").first())
    return f"{last.status}: {last.message}" if last else "no transaction yet"


def wait_link(live_stack: LiveStack, pair: IntegrationPair, flow_key: str, source_id: str,
              *, timeout: float = 90) -> RecordLink:
    """The record link of ``source_id`` in the pair's flow, once the worker has written it."""
    deadline = time.monotonic() + timeout
    while True:
        with live_stack.inside():
            link = RecordLink.objects.filter(flow__pair=pair, flow__key=flow_key,
                                             source_id=str(source_id)).first()
            if link is not None:
                return link
            if time.monotonic() > deadline:
                pytest.fail(f"{flow_key}: {source_id} not synced within {timeout:g} s "
                            f"({_last_error(pair, flow_key)})")
        time.sleep(0.3)


def run_poll(live_stack: LiveStack, pair: IntegrationPair, flow_key: str) -> None:
    """Poll the flow's source now: the worker lists the changes and syncs them."""
    with live_stack.inside(), transaction.atomic():
        flow_run_now(flow=Flow.objects.get(pair=pair, key=flow_key))


def poll_until_linked(live_stack: LiveStack, pair: IntegrationPair, flow_key: str,
                      source_id: str, *, timeout: float = 90) -> RecordLink:
    """Polled flows: run the poll (again, if a change landed after the first run's mark)."""
    deadline = time.monotonic() + timeout
    while True:
        run_poll(live_stack, pair, flow_key)
        try:
            return wait_link(live_stack, pair, flow_key, source_id,
                             timeout=min(20, max(1, deadline - time.monotonic())))
        except pytest.fail.Exception:
            if time.monotonic() > deadline:
                raise


# --- Brightpearl records -----------------------------------------------------------------------

def bp_product(bp: Any, *, sku: str, name: str, retail: str, cost: str) -> str:
    return bp.upsert("product", {
        "brandId": 1, "identity": {"sku": sku, "ean": "5012345678900"},
        "salesChannels": [{"productName": name}],
        "stock": {"stockTracked": True, "weight": {"magnitude": 1.25}},
        "priceLists": [{"priceListId": 2, "quantityPrice": {"1": retail}},
                       {"priceListId": 1, "quantityPrice": {"1": cost}}],
    }).id


def bp_contact(bp: Any, *, first: str, last: str, email: str,
               supplier: bool = False) -> str:
    relationship = {"isSupplier": True} if supplier else {"isCustomer": True}
    return bp.upsert("supplier" if supplier else "customer", {
        "firstName": first, "lastName": last,
        "communication": {"emails": {"PRI": {"email": email}},
                          "telephones": {"PRI": "+44 117 496 0000"}},
        "relationshipToAccount": relationship,
        "financialDetails": {"creditLimit": 500, "creditTermDays": 30},
        "postalAddresses": {"DEF": ADDRESS, "BIL": ADDRESS, "DEL": ADDRESS},
    }).id


def bp_order(bp: Any, *, kind: str = "SO", contact_id: str, product_id: str,
             quantity: int = 2, net: str = "50.00", tax: str = "10.00",
             shipping: str | None = "5.00", parent_id: str | None = None) -> str:
    """An order with its rows in one POST, so the created event finds the rows there."""
    party = "supplier" if kind == "PO" else "customer"
    rows: list[dict[str, Any]] = [{
        "productId": int(product_id), "quantity": {"magnitude": quantity},
        "rowValue": {"taxCode": "T20", "rowNet": {"value": net}, "rowTax": {"value": tax}}}]
    if shipping is not None:
        rows.append({"productName": "Shipping: UPS Standard", "quantity": {"magnitude": 1},
                     "rowValue": {"taxCode": "T20", "rowNet": {"value": shipping},
                                  "rowTax": {"value": "1.00"}}})
    body: dict[str, Any] = {
        "orderTypeCode": kind, "reference": f"E2E-{product_id}-{kind}",
        "parties": {party: {"contactId": int(contact_id)}},
        "warehouseId": 1, "channelId": 1, "statusId": 2 if kind == "SO" else None,
        "currency": {"code": "GBP"}, "placedOn": PLACED_ON,
        "delivery": {"deliveryDate": "2026-03-09T00:00:00+00:00", "shippingMethodId": 2},
        "rows": rows,
    }
    if parent_id:
        body["parentOrderId"] = int(parent_id)
    return str(bp.call("POST", "order-service/order",
                       json={k: v for k, v in body.items() if v is not None}))


def bp_payment(bp: Any, *, order_id: str, amount: str, reference: str) -> str:
    return bp.upsert("payment", {
        "paymentMethodCode": "CARD", "paymentType": "RECEIPT", "orderId": int(order_id),
        "currencyIsoCode": "GBP", "amountPaid": amount, "transactionRef": reference,
        "paymentDate": "2026-03-03T12:00:00+00:00"}).id


def bp_ship(bp: Any, *, order_id: str, tracking: str) -> str:
    """A goods-out note for the whole order, tracking set, marked shipped."""
    note_id = bp.goods_out_note_create(order_id)[0]
    bp.goods_out_note_ship(note_id, tracking=tracking, shipping_method_id=2,
                           shipped_at="2026-03-04T15:30:00.000Z")
    return note_id


def bp_set_on_hand(bp: Any, *, product_id: str, on_hand: int) -> None:
    bp.upsert("inventory", {"warehouseId": 1, "productId": int(product_id),
                            "onHand": on_hand}, external_id=product_id)


def bp_on_hand(bp: Any, product_id: str, warehouse: int = 1) -> int:
    level = bp.get("inventory", product_id)
    return int(level["warehouses"][str(warehouse)]["onHand"])
