"""Dashboard reads: chart buckets over the transaction log, and each flow's state in words."""

from __future__ import annotations

import datetime as dt

import pytest

from integrations.models import Connection, InboundEvent, IntegrationPair, Transaction
from integrations.selectors import (
    chart_range,
    chart_series,
    pair_status_list,
    transaction_series,
)
from tests.factories import (
    DeadLetterFactory,
    FlowFactory,
    InboundEventFactory,
    IntegrationPairFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 14, 30, tzinfo=dt.UTC)


def at(hour: int, minute: int = 0, *, day: int = 10) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=dt.UTC)


def test_24_hour_range_has_hourly_buckets_ending_with_the_current_hour():
    chart = chart_range(key="24h", now=NOW)
    assert chart.unit == "hour"
    assert len(chart.buckets) == 24
    assert chart.buckets[-1] == at(14)
    assert chart.start == at(15, day=9)
    assert chart.end == at(15)


@pytest.mark.parametrize(("key", "days"), [("7d", 7), ("30d", 30)])
def test_day_ranges_have_daily_buckets_ending_today(key, days):
    chart = chart_range(key=key, now=NOW)
    assert chart.unit == "day"
    assert len(chart.buckets) == days
    assert chart.buckets[-1] == at(0)
    assert chart.buckets[0] == at(0) - dt.timedelta(days=days - 1)


def test_unknown_range_is_refused_naming_the_valid_ones():
    with pytest.raises(ValueError, match="use one of 24h, 7d, 30d"):
        chart_range(key="1y", now=NOW)


def test_transactions_are_counted_per_hour_with_empty_hours_as_zeros(tenant_a):
    flow = FlowFactory()
    TransactionFactory(flow=flow, started_at=at(14, 5))
    TransactionFactory(flow=flow, started_at=at(14, 25))
    TransactionFactory(flow=flow, started_at=at(14, 10), status=Transaction.Status.FAILED)
    TransactionFactory(flow=flow, started_at=at(12, 59))

    series = transaction_series(flow_ids=[flow.pk], chart=chart_range(key="24h", now=NOW))[flow.pk]

    assert series.succeeded[-3:] == (1, 0, 2)
    assert series.failed[-3:] == (0, 0, 1)
    assert series.total[-3:] == (1, 0, 3)
    assert sum(series.total) == 4


def test_error_rate_counts_failed_and_retrying_among_all_attempts(tenant_a):
    flow = FlowFactory()
    for status in ("success", "skipped", "failed", "retrying"):
        TransactionFactory(flow=flow, status=status, started_at=at(14, 1))

    series = transaction_series(flow_ids=[flow.pk], chart=chart_range(key="24h", now=NOW))[flow.pk]

    assert series.error_rate[-1] == 50.0
    assert series.succeeded[-1] == 1


def test_a_bucket_without_attempts_has_no_error_rate_rather_than_zero(tenant_a):
    flow = FlowFactory()
    TransactionFactory(flow=flow, started_at=at(14, 1))

    series = transaction_series(flow_ids=[flow.pk], chart=chart_range(key="24h", now=NOW))[flow.pk]

    assert series.error_rate[-1] == 0.0
    assert series.error_rate[-2] is None


def test_range_takes_the_first_bucket_from_its_start_and_nothing_before(tenant_a):
    flow = FlowFactory()
    chart = chart_range(key="24h", now=NOW)
    TransactionFactory(flow=flow, started_at=chart.start)
    TransactionFactory(flow=flow, started_at=chart.start - dt.timedelta(microseconds=1))
    TransactionFactory(flow=flow, started_at=chart.end)

    series = transaction_series(flow_ids=[flow.pk], chart=chart)[flow.pk]

    assert series.total[0] == 1
    assert sum(series.total) == 1


def test_day_buckets_follow_utc_midnight(tenant_a):
    flow = FlowFactory()
    TransactionFactory(flow=flow, started_at=at(23, 59, day=9))
    TransactionFactory(flow=flow, started_at=at(0, 0, day=10))
    TransactionFactory(flow=flow, started_at=at(0, 0, day=3))  # before the 7 days

    series = transaction_series(flow_ids=[flow.pk], chart=chart_range(key="7d", now=NOW))[flow.pk]

    assert series.total == (0, 0, 0, 0, 0, 1, 1)


def test_each_flow_gets_its_own_series_and_a_quiet_flow_gets_zeros(tenant_a):
    busy, quiet = FlowFactory(), FlowFactory()
    TransactionFactory(flow=busy, started_at=at(9))

    series = transaction_series(flow_ids=[busy.pk, quiet.pk],
                                chart=chart_range(key="24h", now=NOW))

    assert sum(series[busy.pk].total) == 1
    assert series[quiet.pk].total == (0,) * 24


def test_chart_series_sums_a_pairs_flows_and_splits_by_flow_for_one_pair(tenant_a):
    pair = IntegrationPairFactory(name="Shop")
    orders, stock = FlowFactory(pair=pair, name="Orders"), FlowFactory(pair=pair, name="Stock")
    TransactionFactory(flow=orders, started_at=at(14, 1))
    TransactionFactory(flow=stock, started_at=at(14, 2), status="failed")

    per_pair = chart_series(range_key="24h", now=NOW)
    per_flow = chart_series(range_key="24h", pair=pair, now=NOW)

    assert [s["name"] for s in per_pair["series"]] == ["Shop"]
    assert per_pair["series"][0]["total"][-1] == 2
    assert per_pair["series"][0]["error_rate"][-1] == 50.0
    assert [(s["name"], s["succeeded"][-1]) for s in per_flow["series"]] == [("Orders", 1),
                                                                            ("Stock", 0)]
    assert per_flow["buckets"][-1] == "2026-03-10T14:00:00Z"
    assert per_flow["labels"][-1] == "14:00"


def test_backlog_counts_events_waiting_processing_or_retrying_per_flow(tenant_a):
    flow, other = FlowFactory(), FlowFactory()
    for status in ("pending", "processing", "retrying", "done", "dead", "skipped"):
        InboundEventFactory(flow=flow, status=status)
    InboundEventFactory(flow=other, status=InboundEvent.Status.PENDING)

    rows = {f.flow.pk: f.health for s in pair_status_list(now=NOW) for f in s.flows}

    assert rows[flow.pk].backlog == 3
    assert rows[other.pk].backlog == 1


def test_dead_letter_count_is_of_open_ones_per_flow(tenant_a):
    flow = FlowFactory()
    DeadLetterFactory(flow=flow)
    DeadLetterFactory(flow=flow)
    DeadLetterFactory(flow=flow, resolution="replayed")
    DeadLetterFactory(flow=flow, resolution="discarded")

    (status,) = pair_status_list(now=NOW)

    assert status.flows[0].health.open_dead_letters == 2
    assert status.open_dead_letters == 2
    assert status.flows[0].state == "attention"
    assert status.flows[0].reason == "2 dead letters waiting for review."


def test_flow_with_nothing_wrong_is_healthy(tenant_a):
    flow = FlowFactory()
    TransactionFactory(flow=flow, started_at=NOW - dt.timedelta(hours=1))

    (status,) = pair_status_list(now=NOW)

    assert (status.flows[0].state, status.flows[0].label) == ("healthy", "Healthy")
    assert status.attempts_24h == 1
    assert status.flows[0].health.last_success_at == NOW - dt.timedelta(hours=1)


def test_failures_in_the_last_day_need_attention(tenant_a):
    flow = FlowFactory()
    TransactionFactory(flow=flow, started_at=NOW - dt.timedelta(hours=1), status="failed")
    TransactionFactory(flow=flow, started_at=NOW - dt.timedelta(hours=2))

    (status,) = pair_status_list(now=NOW)

    assert status.flows[0].state == "attention"
    assert status.error_rate_24h == 0.5


def test_open_circuit_on_the_target_system_means_the_flow_is_down(tenant_a):
    flow = FlowFactory(target_system="brightpearl")
    Connection.objects.filter(pk=flow.pair.brightpearl_id).update(
        circuit_open_until=NOW + dt.timedelta(minutes=5))

    (status,) = pair_status_list(now=NOW)

    assert status.flows[0].state == "down"
    assert "Calls to Brightpearl are held back" in status.flows[0].reason
    assert status.circuits == {"brightpearl": "open", "bigcommerce": "closed"}
    assert status.state == "down"


def test_flows_of_a_paused_pair_are_paused(tenant_a):
    pair = IntegrationPairFactory(status=IntegrationPair.Status.PAUSED)
    FlowFactory(pair=pair)
    DeadLetterFactory(flow__pair=pair)

    (status,) = pair_status_list(now=NOW)

    assert {f.state for f in status.flows} == {"paused"}
    assert status.label == "Paused"
