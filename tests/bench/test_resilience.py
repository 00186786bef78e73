"""The resilience suite's counting: what arrived, twice, or not at all, and when."""

from __future__ import annotations

import pytest

from bench.resilience import (
    acknowledged_ids,
    figures_total,
    id_set_parse,
    recovery_s,
    row_count,
    table_format,
)


def test_id_set_ranges_and_single_ids_expand_in_order():
    assert id_set_parse("1001-1003,1007") == ["1001", "1002", "1003", "1007"]


def test_malformed_id_set_is_refused_with_the_text():
    with pytest.raises(ValueError, match="1003-1001"):
        id_set_parse("1003-1001")


def test_only_deliveries_answered_with_2xx_count_as_acknowledged():
    deliveries = [{"status": "delivered", "meta": {"resource_id": "1-2"}},
                  {"status": "failed", "meta": {"resource_id": "3"}},
                  {"status": "pending", "meta": {"resource_id": "4"}}]
    assert acknowledged_ids(deliveries) == {"1", "2"}


def test_second_target_record_of_one_source_order_is_a_duplicate():
    counts = row_count(sent=["1", "2"], acknowledged={"1", "2"},
                       target_source_ids=["1", "1", "2"])
    assert (counts.delivered, counts.duplicates, counts.lost) == (2, 1, 0)


def test_acknowledged_order_missing_from_the_target_is_lost():
    counts = row_count(sent=["1", "2", "3"], acknowledged={"1", "2", "3"},
                       target_source_ids=["1", "3"])
    assert (counts.lost, counts.lost_ids) == (1, ("2",))


def test_order_never_acknowledged_and_missing_is_unacked_not_lost():
    counts = row_count(sent=["1", "2"], acknowledged={"1"}, target_source_ids=["1"])
    assert (counts.lost, counts.unacked) == (0, 1)


def test_target_records_of_orders_not_sent_in_the_row_are_not_counted():
    counts = row_count(sent=["1"], acknowledged={"1"}, target_source_ids=["1", "99", "99"])
    assert (counts.delivered, counts.duplicates) == (1, 0)


def test_recovery_runs_from_the_restart_to_the_first_new_target_record():
    samples = [(9.0, 10), (10.5, 10), (11.0, 10), (12.5, 11), (13.0, 14)]
    assert recovery_s(samples, restarted_at=10.0) == pytest.approx(2.5)


def test_no_target_record_after_the_restart_means_no_recovery_time():
    assert recovery_s([(9.0, 10), (11.0, 10)], restarted_at=10.0) is None


def test_figures_sum_lost_and_duplicates_over_the_rows():
    rows = [{"lost": 1, "duplicates": 0}, {"lost": 2, "duplicates": 3}]
    assert figures_total(rows) == {"resilience_lost": 3, "resilience_duplicated": 3}


def test_table_has_a_line_per_component_under_its_header():
    row = {"component": "web", "sent": 10, "delivered": 10, "duplicates": 0, "lost": 0,
           "unacked": 0, "recovery_s": 4.25}
    lines = table_format([row]).splitlines()
    assert lines[0].split() == ["component", "sent", "delivered", "duplicates", "lost",
                                "unacked", "recovery"]
    assert lines[2].split() == ["web", "10", "10", "0", "0", "0", "4.2", "s"]
