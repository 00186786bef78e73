"""Polling, the scheduler's due index, echo suppression, alerts and log retention."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.utils import timezone

from config.scheduler import polls_enqueue_due
from integrations.connectors.base import WebhookEvent
from integrations.models import (
    AlertEvent,
    AlertRule,
    InboundEvent,
    RecordLink,
    Transaction,
)
from integrations.services.alerts import alert_deliver
from integrations.services.connections import connection_create
from integrations.services.events import inbound_events_record
from integrations.services.pairs import pair_create_from_template
from integrations.services.polling import flow_poll
from integrations.services.retention import logs_purge
from integrations.services.sync import event_process
from tenants.models import PollSchedule
from tests.connections import brightpearl_connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def infor_pair(tenant_a, new_account):
    bp = new_account("brightpearl", seed={"products": 2})
    infor = new_account("infor", seed={"products": 3})
    partner = connection_create(
        name="Infor", system="infor", base_url=infor["credentials"]["iu"],
        account=infor["account"], auth_type="oauth2_password",
        credentials={"ionapi": json.dumps(infor["credentials"])})
    pair = pair_create_from_template(name="ERP", template_key="brightpearl-infor",
                                     brightpearl=brightpearl_connection(bp), partner=partner)
    return {"pair": pair, "infor": infor}


def test_creating_a_pair_puts_its_polled_flows_in_the_due_index(infor_pair, tenant_a):
    polled = infor_pair["pair"].flows.filter(trigger="poll").count()
    assert polled > 0
    assert PollSchedule.objects.filter(tenant=tenant_a).count() == polled


def test_scheduler_enqueues_only_due_polls_and_moves_them_on(infor_pair, tenant_a):
    now = timezone.now()
    schedules = PollSchedule.objects.filter(tenant=tenant_a)
    schedules.update(next_run_at=now + dt.timedelta(hours=1))
    due = schedules.first()
    PollSchedule.objects.filter(pk=due.pk).update(next_run_at=now - dt.timedelta(seconds=1))

    assert polls_enqueue_due(now=now) == 1
    due.refresh_from_db()
    assert due.next_run_at == now + dt.timedelta(seconds=due.interval_s)
    assert polls_enqueue_due(now=now) == 0


def test_poll_records_each_changed_record_once_and_keeps_a_high_water_mark(infor_pair):
    flow = infor_pair["pair"].flows.get(key="product-infor-to-bp")
    first = flow_poll(flow=flow)
    assert first.created >= 3
    flow.refresh_from_db()
    assert flow.poll_state["since"]

    again = flow_poll(flow=flow)
    assert again.created == 0
    assert InboundEvent.objects.filter(flow=flow).count() == first.created


def test_change_we_just_wrote_in_the_other_direction_is_skipped_as_an_echo(bc_pair, control):
    pair = bc_pair["pair"]
    to_bc = pair.flows.get(key="customer-bp-to-bc")
    RecordLink.objects.create(flow=to_bc, source_id="201", target_id="77",
                              last_synced_at=timezone.now())
    inbound_events_record(connection=pair.partner, events=[
        WebhookEvent("customer", "77", "store/customer/updated")], fingerprint="x")
    event = InboundEvent.objects.get(external_id="77", flow__key="customer-bc-to-bp")

    outcome = event_process(event_id=event.pk)

    assert outcome.status == "skipped"
    assert Transaction.objects.get(event=event).message.startswith("Echo of our own write")


def test_dead_letter_raises_an_alert_mailed_to_the_rules_recipients(bc_pair, control):
    AlertRule.objects.create(kind=AlertRule.Kind.DEAD_LETTERS, threshold=1,
                             emails=["ops@example.com"])
    pair = bc_pair["pair"]
    inbound_events_record(connection=pair.brightpearl, events=[
        WebhookEvent("product", "999999", "product.created")], fingerprint="x")
    event = InboundEvent.objects.get(external_id="999999")
    for _ in range(12):  # a product that does not exist: retried, then dead
        InboundEvent.objects.filter(pk=event.pk).update(status="pending", next_attempt_at=None)
        if event_process(event_id=event.pk).status == "dead":
            break

    alert = AlertEvent.objects.get()
    alert_deliver(alert_id=alert.pk)
    assert mail.outbox[-1].to == ["ops@example.com"]
    assert "dead letters are waiting" in mail.outbox[-1].body


def test_purge_removes_exactly_what_is_past_the_plans_retention(bc_pair):
    flow = bc_pair["pair"].flows.first()
    now = timezone.now()
    retention = 30  # days the Connect plan keeps logs
    old = now - dt.timedelta(days=retention, seconds=1)
    kept = now - dt.timedelta(days=retention - 1)
    for started in (old, kept):
        Transaction.objects.create(flow=flow, source_id="1", status="success", started_at=started)

    assert logs_purge(now=now).transactions == 1
    assert list(Transaction.objects.values_list("started_at", flat=True)) == [kept]


def test_usage_alert_fires_once_when_the_month_crosses_eighty_percent(tenant_a):
    from integrations.services.alerts import alerts_check_usage

    AlertRule.objects.create(kind=AlertRule.Kind.USAGE, threshold=80, emails=["a@b.c"])
    for used in range(1, 11):
        alerts_check_usage(used=used, allowance=10)

    assert list(AlertEvent.objects.values_list("message", flat=True)) == [
        "10 of 10 monthly transactions used (100% of the plan's fair-use allowance).",
        "8 of 10 monthly transactions used (80% of the plan's fair-use allowance).",
    ]


def test_backfill_records_every_source_change_since_the_date_and_reports_progress(bc_pair):
    from integrations.services.polling import backfill_progress, flow_backfill

    flow = bc_pair["pair"].flows.get(key="product-bp-to-bc")
    flow_backfill(flow=flow, since=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    flow_poll(flow=flow)

    flow.refresh_from_db()
    progress = backfill_progress(flow=flow)
    assert progress["done"] is True
    assert progress["recorded"] == 4  # the sandbox account was seeded with four products
    assert progress["statuses"] == {"pending": 4}
