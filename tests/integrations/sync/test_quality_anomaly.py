"""Anomaly detection in the pipeline, against the sandboxes in a real tenant schema: a flow
learns its storefront orders, then an order with fifty times the usual total is flagged (or
held for review until a person approves it), and the hourly volume check alerts on a drop."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from integrations.connectors.base import WebhookEvent
from integrations.models import (
    AlertEvent,
    AlertRule,
    DeadLetter,
    Flow,
    FlowStat,
    InboundEvent,
    RecordLink,
    Transaction,
)
from integrations.services.alerts import alert_rule_create
from integrations.services.connections import connector_for
from integrations.services.events import inbound_events_record
from integrations.services.quality import dead_letters_approve
from integrations.services.quality_anomaly import anomaly_volume_check
from integrations.services.sync import event_process

pytestmark = pytest.mark.django_db

ORDER_FLOW = "sales-order-bc-to-bp"
LEARNT = 6
BILLING = {"first_name": "Åsa", "last_name": "Lindqvist", "street_1": "Drottninggatan 12",
           "city": "Stockholm", "state": "", "zip": "111 51", "country": "Sweden",
           "country_iso2": "SE", "email": "asa@example.com"}


def _sync(pair, system: str, entity: str, external_id: str, event_type: str
          ) -> dict[str, tuple[InboundEvent, Any]]:
    """Deliver one webhook and run the events it makes: flow key -> (event, outcome)."""
    inbound_events_record(connection=pair.connection_for(system),
                          events=[WebhookEvent(entity, external_id, event_type)],
                          fingerprint=f"{entity}-{external_id}")
    return {event.flow.key: (event, event_process(event_id=event.pk))
            for event in InboundEvent.objects.filter(external_id=external_id,
                                                     event_type=event_type, status="pending")}


@pytest.fixture
def shop(bc_pair, control) -> dict[str, Any]:
    """The pair with a product and a customer synced, and anomaly detection on for orders."""
    pair = bc_pair["pair"]
    product = control.records("brightpearl", bc_pair["bp"]["account"], "product")[0]
    _sync(pair, "brightpearl", "product", str(product["id"]), "product.created")
    bc = connector_for(pair.partner)
    customer = bc.upsert("customer", {"email": "asa@example.com", "first_name": "Åsa",
                                      "last_name": "Lindqvist"})
    _sync(pair, "bigcommerce", "customer", customer.id, "store/customer/created")
    flow = pair.flows.get(key=ORDER_FLOW)
    flow.quality = {"anomaly": {"enabled": True, "min_history": LEARNT}}
    flow.save(update_fields=["quality"])
    return {"pair": pair, "bc": bc, "flow": flow, "customer": int(customer.id),
            "bp_account": bc_pair["bp"]["account"],
            "product": int(RecordLink.objects.get(flow__key="product-bp-to-bc").target_id)}


def _order(shop: dict[str, Any], price: float) -> tuple[InboundEvent, Any]:
    order = shop["bc"].upsert("sales_order", {
        "status_id": 1, "customer_id": shop["customer"], "billing_address": BILLING,
        "products": [{"product_id": shop["product"], "quantity": 1,
                      "price_ex_tax": price, "price_inc_tax": round(price * 1.2, 2)}]})
    return _sync(shop["pair"], "bigcommerce", "sales_order", order.id,
                 "store/order/created")[ORDER_FLOW]


@pytest.fixture
def learnt(shop) -> dict[str, Any]:
    """The order flow after syncing enough ordinary orders (totals around 30) to judge."""
    for n in range(LEARNT):
        _, outcome = _order(shop, 24.0 + n * 2)
        assert outcome.status == "done", outcome.message
    return shop


def _set_action(flow, action: str) -> None:
    flow.quality = {"anomaly": {**flow.quality["anomaly"], "action": action}}
    flow.save(update_fields=["quality"])


def test_ordinary_orders_teach_the_flow_its_usual_total(learnt):
    stat = FlowStat.objects.get(flow=learnt["flow"], metric="order_total", segment="1")

    assert stat.state["n"] == LEARNT


def test_an_ordinary_order_after_learning_syncs_without_a_note(learnt):
    event, outcome = _order(learnt, 31.0)

    assert outcome.status == "done"
    assert Transaction.objects.get(event=event).quality is None


def test_an_order_fifty_times_the_usual_total_syncs_with_an_anomaly_note(learnt):
    event, outcome = _order(learnt, 30.0 * 50)

    assert outcome.status == "done", outcome.message
    notes = Transaction.objects.get(event=event).quality
    totals = [n for n in notes if n["check"] == "anomaly" and n["data"]["metric"] == "order_total"]
    assert totals and "far above the usual range for channel 1" in totals[0]["message"]
    assert totals[0]["data"]["value"] == pytest.approx(1800.0)


def test_a_flagged_order_raises_the_anomaly_alert(learnt):
    rule = alert_rule_create(kind=AlertRule.Kind.ANOMALY, threshold=1, emails=[],
                             webhook_url="")

    _order(learnt, 30.0 * 50)

    alert = AlertEvent.objects.get(rule=rule)
    assert alert.key == f"anomaly:records:{learnt['flow'].pk}"
    assert "far above the usual range" in alert.message


def test_a_flagged_order_is_not_learnt_as_usual(learnt):
    _order(learnt, 30.0 * 50)

    stat = FlowStat.objects.get(flow=learnt["flow"], metric="order_total", segment="1")
    assert stat.state["n"] == LEARNT


def test_with_action_hold_the_order_waits_as_a_dead_letter_held_for_review(learnt, control):
    _set_action(learnt["flow"], "hold")
    before = len(control.records("brightpearl", learnt["bp_account"], "order"))

    event, outcome = _order(learnt, 30.0 * 50)

    assert outcome.status == "dead"
    letter = DeadLetter.objects.get(event=event)
    assert letter.error_class == "HeldForReview"
    assert {p["check"] for p in letter.problems} == {"anomaly"}
    assert len(control.records("brightpearl", learnt["bp_account"], "order")) == before


def test_a_held_order_raises_the_anomaly_alert_too(learnt):
    rule = alert_rule_create(kind=AlertRule.Kind.ANOMALY, threshold=1, emails=[],
                             webhook_url="")
    _set_action(learnt["flow"], "hold")

    _order(learnt, 30.0 * 50)

    assert "far above the usual range" in AlertEvent.objects.get(rule=rule).message


def test_a_person_approving_a_held_order_lets_it_through(learnt):
    _set_action(learnt["flow"], "hold")
    event, _ = _order(learnt, 30.0 * 50)

    assert dead_letters_approve(letters=DeadLetter.objects.filter(event=event)) == 1
    outcome = event_process(event_id=event.pk)

    assert outcome.status == "done", outcome.message
    assert RecordLink.objects.filter(flow=learnt["flow"], source_id=event.external_id).exists()


def _transactions(flow, start: dt.datetime, per_hour: list[int]) -> None:
    rows = []
    for offset, count in enumerate(per_hour):
        at = start + dt.timedelta(hours=offset, minutes=5)
        rows += [Transaction(flow=flow, source_id=f"{offset}-{n}", status="success",
                             started_at=at) for n in range(count)]
    Transaction.objects.bulk_create(rows)


def test_the_hourly_check_learns_the_log_then_alerts_on_an_hour_without_orders(shop):
    flow = shop["flow"]
    rule = alert_rule_create(kind=AlertRule.Kind.ANOMALY, threshold=1, emails=[],
                             webhook_url="")
    now = timezone.now().astimezone(dt.UTC).replace(minute=20, second=0, microsecond=0)
    hour = now.replace(minute=0)
    start = hour - dt.timedelta(days=10)
    Flow.objects.filter(pk=flow.pk).update(created_at=start)
    _transactions(flow, start, [30] * (10 * 24 - 1))

    assert anomaly_volume_check(now=now - dt.timedelta(hours=1)) == []   # learns, judges none
    raised = anomaly_volume_check(now=now)    # the hour just ended had no orders

    assert [a.rule_id for a in raised] == [rule.pk]
    assert "0 orders in the hour" in raised[0].message
    assert anomaly_volume_check(now=now) == []   # that hour was judged once


def test_a_new_customers_big_order_sent_express_to_another_name_abroad_is_flagged_as_fraud_risk(
        learnt):
    bc = learnt["bc"]
    stranger = bc.upsert("customer", {"email": "j.smith@example.net", "first_name": "Jon",
                                      "last_name": "Smith"})
    _sync(learnt["pair"], "bigcommerce", "customer", stranger.id, "store/customer/created")
    billing = {**BILLING, "first_name": "Jon", "last_name": "Smith",
               "email": "j.smith@example.net"}
    # Above every learnt total (29–41) yet inside the usual range: only the fraud rules see it.
    order = bc.upsert("sales_order", {
        "status_id": 11, "customer_id": int(stranger.id), "billing_address": billing,
        "shipping_addresses": [{**billing, "first_name": "Adam", "last_name": "Nowak",
                                "street_1": "ul. Marszałkowska 10", "city": "Warszawa",
                                "zip": "00-590", "country": "Poland", "country_iso2": "PL",
                                "shipping_method": "Next Day"}],
        "products": [{"product_id": learnt["product"], "quantity": 1,
                      "price_ex_tax": 42.0, "price_inc_tax": 50.4}]})

    event, outcome = _sync(learnt["pair"], "bigcommerce", "sales_order", order.id,
                           "store/order/created")[ORDER_FLOW]

    assert outcome.status == "done", outcome.message
    notes = Transaction.objects.get(event=event).quality
    assert [n["data"]["metric"] for n in notes if n["check"] == "anomaly"] == ["fraud_risk"]
    risk = next(n for n in notes if n["data"]["metric"] == "fraud_risk")
    assert {s["name"] for s in risk["data"]["signals"]} == {
        "ship_country_rare", "first_order_high_total", "name_mismatch_express"}
    assert "ships to Poland" in risk["message"] and '"Next Day"' in risk["message"]
