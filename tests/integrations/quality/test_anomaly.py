"""The anomaly estimators: usual ranges, last prices, hourly volume, and reading amounts from
source records by their real field names."""

from __future__ import annotations

import math
import random

import pytest

from integrations.quality import anomaly
from integrations.quality.anomaly import Observation


def _lognormal(rng: random.Random, median: float, sigma: float, n: int) -> list[float]:
    return [round(median * math.exp(rng.gauss(0, sigma)), 2) for _ in range(n)]


def _learnt(values: list[float], metric: str = "order_total") -> dict:
    return anomaly.range_learn({}, metric=metric, values=values)


def _check(state: dict, value: float, metric: str = "order_total", *, min_history: int = 20
           ) -> anomaly.Finding | None:
    return anomaly.range_check(state, Observation(metric, "1", value, "total_inc_tax"),
                               sensitivity=5.0, min_history=min_history)


@pytest.fixture
def totals() -> dict:
    return _learnt(_lognormal(random.Random(1), 60, 0.5, 300))


def test_a_total_ten_times_the_usual_is_flagged_with_the_usual_range_in_words(totals):
    finding = _check(totals, 600 * 3)

    assert finding is not None
    assert "far above the usual range" in finding.message
    assert "1,800" in finding.message
    assert finding.expected["usual_low"] < 60 < finding.expected["usual_high"]


def test_a_total_a_twentieth_of_the_usual_is_flagged_as_below(totals):
    finding = _check(totals, 60 / 20)

    assert finding is not None and "far below" in finding.message


def test_totals_within_the_usual_spread_are_not_flagged(totals):
    assert [v for v in (20, 45, 60, 110, 180) if _check(totals, v)] == []


def test_no_flag_before_min_history_observations():
    state = _learnt([50.0] * 19)

    assert _check(state, 5000, min_history=20) is None
    assert _check(anomaly.range_learn(state, metric="order_total", values=[50.0]), 5000,
                  min_history=20) is not None


def test_a_few_huge_orders_in_the_window_do_not_widen_the_range(totals):
    polluted = anomaly.range_learn(totals, metric="order_total", values=[50_000.0] * 10)

    assert _check(polluted, 1800) is not None


def test_the_window_is_bounded_and_follows_a_channel_that_grew():
    state = _learnt([40.0 + i % 7 for i in range(1000)])
    assert len(state["v"]) == anomaly.WINDOW
    grown = anomaly.range_learn(state, metric="order_total",
                                values=[400.0 + i % 7 for i in range(anomaly.WINDOW)])

    assert _check(grown, 420) is None
    assert _check(grown, 42) is not None
    assert grown["n"] == 1000 + anomaly.WINDOW


def test_a_channel_of_identical_orders_still_allows_a_little_variation():
    state = _learnt([30.0] * 100)

    assert _check(state, 33) is None
    assert _check(state, 60) is not None


def test_quantities_of_all_ones_allow_multipacks_but_not_fifty_times():
    state = _learnt([1.0] * 100, metric="line_quantity")

    assert _check(state, 12, metric="line_quantity") is None
    assert _check(state, 50, metric="line_quantity") is not None


def test_a_zero_total_is_far_below_a_usual_one(totals):
    assert _check(totals, 0.0) is not None


def test_price_change_beyond_the_allowed_percent_is_flagged_either_way():
    state = anomaly.price_learn({}, value=20.0)

    def check(value: float) -> anomaly.Finding | None:
        return anomaly.price_check(state, Observation("price", "SKU-1|list 2", value),
                                   change_pct=50)

    assert check(29.0) is None and check(11.0) is None
    up, down = check(31.0), check(9.0)
    assert up is not None and "from 20 to 31 (+55%)" in up.message
    assert down is not None and down.expected["change_pct"] == -55.0


def test_a_first_price_of_a_sku_is_not_judged():
    assert anomaly.price_check({}, Observation("price", "NEW|list 2", 9999.0),
                               change_pct=50) is None


def test_a_flagged_price_seen_again_is_accepted_as_the_new_price():
    state = anomaly.price_learn(anomaly.price_learn({}, value=20.0), value=60.0, flagged=True)
    observation = Observation("price", "SKU-1|list 2", 60.0)

    assert anomaly.price_check(state, observation, change_pct=50) is None
    assert anomaly.price_check(state, Observation("price", "SKU-1|list 2", 200.0),
                               change_pct=50) is not None


DAY = [2, 1, 1, 1, 1, 2, 5, 10, 20, 30, 35, 40, 40, 38, 35, 30, 30, 30, 35, 40, 42, 30, 15, 5]


def _volume_state(weeks: int = 3, seed: int = 3) -> dict:
    rng = random.Random(seed)
    state: dict = {}
    for day in range(weeks * 7):
        weekend = 0.7 if day % 7 >= 5 else 1.0
        for hour, usual in enumerate(DAY):
            count = max(0, round(usual * weekend * rng.uniform(0.85, 1.15)))
            state = anomaly.volume_learn(state, weekday=day % 7, hour=hour, count=count)
    return state


def _volume(state: dict, count: int, *, hour: int = 12, weekday: int = 0
            ) -> anomaly.VolumeFinding | None:
    return anomaly.volume_check(state, weekday=weekday, hour=hour, count=count,
                                sensitivity=5.0, min_history=20, label="orders",
                                ending="13:00 UTC on Mon 07 Dec")


def test_an_hour_with_three_times_the_usual_orders_is_a_surge():
    finding = _volume(_volume_state(), 120)

    assert finding is not None and finding.kind == "surge"
    assert "120 orders in the hour to 13:00 UTC" in finding.message


def test_an_hour_with_almost_no_orders_at_a_busy_time_is_a_drop():
    finding = _volume(_volume_state(), 2)

    assert finding is not None and finding.kind == "drop"


def test_usual_counts_for_the_hour_and_weekday_are_not_flagged():
    state = _volume_state()

    assert _volume(state, 40) is None
    assert _volume(state, 1, hour=3) is None           # night
    assert _volume(state, 28, weekday=6) is None       # a quieter Sunday


def test_a_quiet_night_outage_is_seen_once_enough_hours_add_up():
    state = _volume_state()
    judged = []
    for hour in (0, 1, 2, 3, 4, 5, 6, 7):
        judged.append(_volume(state, 0, hour=hour))
        state = anomaly.volume_learn(state, weekday=0, hour=hour, count=0,
                                     anomalous=judged[-1] is not None)

    assert judged[0] is None
    assert any(f is not None and f.kind == "drop" and f.hours > 1 for f in judged)


def test_volume_is_not_judged_before_a_week_of_hours():
    assert _volume(_volume_state(weeks=0), 500) is None


def test_bigcommerce_order_amounts_are_read_per_channel():
    record = {"id": 1, "channel_id": 2, "total_inc_tax": "120.00",
              "products": [{"quantity": 1}, {"quantity": 3}]}

    found = anomaly.observations(system="bigcommerce", entity="sales_order", record=record)

    assert {(o.metric, o.segment, o.value) for o in found} == {
        ("order_total", "2", 120.0), ("order_unit_value", "2", 30.0),
        ("line_quantity", "2", 3.0)}


def test_brightpearl_order_rows_without_a_product_are_not_quantities():
    record = {"totalValue": {"total": 50.0}, "assignment": {"current": {"channelId": 3}},
              "orderRows": {"1": {"productId": 7, "quantity": {"magnitude": "2.0000"}},
                            "2": {"productId": 0, "quantity": {"magnitude": "1.0000"}}}}

    found = anomaly.observations(system="brightpearl", entity="sales_order", record=record)

    assert ("line_quantity", "3", 2.0) in {(o.metric, o.segment, o.value) for o in found}
    assert ("order_unit_value", "3", 25.0) in {(o.metric, o.segment, o.value) for o in found}


def test_salesforce_opportunity_amount_is_read_with_its_lead_source_as_channel():
    record = {"Amount": 900, "LeadSource": "Web",
              "OpportunityLineItems": {"records": [{"Quantity": 3}]}}

    found = anomaly.observations(system="salesforce", entity="sales_order", record=record)

    assert ("order_total", "Web", 900.0) in {(o.metric, o.segment, o.value) for o in found}


@pytest.mark.parametrize(("system", "record", "expected"), [
    ("brightpearl", {"identity": {"sku": "A1"}, "priceLists": [
        {"priceListId": 2, "quantityPrice": {"1": "12.50"}}]}, [("A1|list 2", 12.5)]),
    ("syspro", {"StockItem": {"StockCode": "A1", "ListPrice": 9.0}}, [("A1|list", 9.0)]),
    ("infor", {"ITNO": "A1", "SAPR": "4.5"}, [("A1|sales", 4.5)]),
    ("dynamics_gp", {"ITEMNMBR": "A1 ", "LISTPRCE": 3, "CURRCOST": 1.5},
     [("A1|list", 3.0), ("A1|cost", 1.5)]),
])
def test_product_prices_are_read_per_sku_and_price_list(system, record, expected):
    found = anomaly.observations(system=system, entity="product", record=record)

    assert [(o.segment, o.value) for o in found] == expected


def test_records_of_entities_without_amounts_give_nothing():
    assert anomaly.observations(system="bigcommerce", entity="customer",
                                record={"total_inc_tax": "5"}) == []
