"""Order fraud-risk signals: each rule on its own, the score they add up to, the bounded state
they learn, and reading orders by BigCommerce's and Salesforce's real field names."""

from __future__ import annotations

import datetime as dt
import json
from email.utils import format_datetime
from typing import Any

import pytest

from integrations.quality import anomaly, fraud

T0 = dt.datetime(2025, 3, 4, 12, 0, tzinfo=dt.UTC)
HOME = {"first_name": "Åsa", "last_name": "Lindqvist", "street_1": "Drottninggatan 12",
        "city": "Stockholm", "zip": "111 51", "country": "Sweden", "country_iso2": "SE",
        "email": "asa@example.com"}


def _order(order_id: int = 1, *, customer: int = 7, email: str = "asa@example.com",
           total: float = 30.0, ship: dict[str, Any] | None = None, at: dt.datetime = T0,
           **fields: Any) -> dict[str, Any]:
    billing = {**HOME, "email": email}
    return {"id": order_id, "customer_id": customer, "channel_id": 1,
            "date_created": format_datetime(at), "status_id": 11,
            "payment_status": "captured", "total_inc_tax": f"{total:.4f}",
            "billing_address": billing,
            "shipping_addresses": [{**billing, "shipping_method": "Standard", **(ship or {})}],
            "products": [{"quantity": 1}], **fields}


def _facts(record: dict[str, Any]) -> fraud.OrderFacts:
    facts = fraud.order_facts(system="bigcommerce", entity="sales_order", record=record)
    assert facts is not None
    return facts


def _learnt(orders: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """States as the pipeline leaves them after these orders synced cleanly."""
    states: dict[tuple[str, str], dict[str, Any]] = {}
    for record in orders:
        facts = _facts(record)
        states.update(fraud.fraud_learn(states, [facts], now=T0.timestamp()))
        key = (fraud.TOTALS_METRIC, facts.channel)
        states[key] = anomaly.range_learn(states.get(key) or {}, metric="order_total",
                                          values=[facts.total])
    return states


@pytest.fixture
def history() -> dict[tuple[str, str], dict[str, Any]]:
    """Forty ordinary Swedish orders (totals 25–45) from forty customers, a day ago; two of
    them went to Norway."""
    orders = [_order(100 + n, customer=100 + n, email=f"c{n}@example.com", total=25 + n % 21,
                     at=T0 - dt.timedelta(days=1),
                     ship={"country": "Norway", "country_iso2": "NO"} if n in (3, 9) else None)
              for n in range(40)]
    return _learnt(orders)


def _signals(record: dict[str, Any], states: dict | None = None) -> dict[str, fraud.Signal]:
    found = fraud.fraud_signals(_facts(record), states=states or {}, now=T0.timestamp(),
                                min_history=20)
    return {s.name: s for s in found}


def _check(record: dict[str, Any], states: dict | None = None) -> fraud.FraudFinding | None:
    return fraud.fraud_check(_facts(record), states=states or {}, now=T0.timestamp(),
                             min_history=20)


# --- reading orders ---------------------------------------------------------------------

def test_a_bigcommerce_order_is_read_by_its_field_names():
    facts = _facts(_order(5, ship={"country": "France", "country_iso2": "FR",
                                   "shipping_method": "Next Day"}, geoip_country_iso2="DE"))

    assert (facts.order_id, facts.channel, facts.total) == ("5", "1", 30.0)
    assert facts.billing.country == "SE" and facts.billing.name == "asa lindqvist"
    assert [(a.country, a.method) for a in facts.shipping] == [("FR", "Next Day")]
    assert facts.ip_country == "DE"
    assert facts.placed_at == T0.timestamp()
    assert len(facts.customer_keys) == 2   # the customer id and the email


def test_a_guest_order_is_known_by_its_email_only():
    assert len(_facts(_order(customer=0)).customer_keys) == 1


def test_a_country_given_only_by_name_is_read_as_its_code():
    record = _order(ship={"country": "United Kingdom", "country_iso2": ""})

    assert _facts(record).shipping[0].country == "GB"


def test_a_salesforce_order_is_read_by_its_field_names():
    record = {"Id": "801000000000001", "AccountId": "001000000000009", "Type": "Web",
              "TotalAmount": 120.0, "BillingCountry": "United States",
              "ShippingCountry": "Canada", "CreatedDate": "2025-03-04T12:00:00.000+0000"}

    facts = fraud.order_facts(system="salesforce", entity="sales_order", record=record)

    assert facts is not None
    assert (facts.billing.country, facts.shipping[0].country) == ("US", "CA")
    assert facts.placed_at == T0.timestamp() and len(facts.customer_keys) == 1


def test_a_salesforce_opportunity_has_no_fraud_facts():
    record = {"Id": "006000000000001", "Amount": 120.0, "LeadSource": "Web"}

    assert fraud.order_facts(system="salesforce", entity="sales_order", record=record) is None


def test_orders_from_an_erp_or_other_entities_have_no_fraud_facts():
    assert fraud.order_facts(system="brightpearl", entity="sales_order", record={}) is None
    assert fraud.order_facts(system="bigcommerce", entity="product", record=_order()) is None


# --- each signal --------------------------------------------------------------------------

def test_shipping_to_another_country_than_billing_is_a_signal_in_words(history):
    signal = _signals(_order(ship={"country": "Norway", "country_iso2": "NO"}), history)[
        "ship_country"]

    assert signal.points == fraud.POINTS["ship_country"]
    assert "billing address is in Sweden but it ships to Norway" in signal.words


def test_shipping_to_a_country_the_flow_has_not_shipped_to_is_the_stronger_signal(history):
    signals = _signals(_order(ship={"country": "Nigeria", "country_iso2": "NG"}), history)

    assert "ship_country" not in signals
    assert signals["ship_country_rare"].points == fraud.POINTS["ship_country_rare"]
    assert "a country it has not shipped to before" in signals["ship_country_rare"].words


def test_rarity_is_not_judged_before_enough_orders_were_learnt():
    signals = _signals(_order(ship={"country": "Nigeria", "country_iso2": "NG"}),
                       _learnt([_order(n, customer=n, email=f"c{n}@example.com")
                                for n in range(5)]))

    assert set(signals) == {"ship_country"}


def test_an_order_shipped_to_its_billing_country_has_no_country_signal(history):
    assert _signals(_order(), history) == {}


def test_an_ip_address_in_another_country_than_billing_is_a_signal():
    signal = _signals(_order(geoip_country_iso2="RU"))["ip_country"]

    assert "IP address in Russia, not the billing country Sweden" in signal.words


def test_a_first_order_far_above_the_channels_usual_total_is_a_signal(history):
    signal = _signals(_order(customer=999, email="new@example.com", total=90.0),
                      history)["first_order_high_total"]

    assert "first order this flow has seen from the customer, for 90" in signal.words
    assert "above 95% of channel 1's orders" in signal.words


def test_a_known_customers_big_order_is_not_a_first_order(history):
    # c5@example.com ordered in the history (as customer 105).
    record = _order(customer=0, email="C5@Example.com ", total=90.0)

    assert "first_order_high_total" not in _signals(record, history)


def test_a_first_order_of_a_usual_total_is_not_a_signal(history):
    assert _signals(_order(customer=999, email="new@example.com", total=35.0), history) == {}


def test_first_orders_are_not_judged_before_the_flow_learnt_enough_orders():
    states = _learnt([_order(n, customer=n, email=f"c{n}@example.com") for n in range(5)])

    assert _signals(_order(customer=999, email="new@example.com", total=900.0), states) == {}


def _placed(states: dict, orders: list[dict[str, Any]]) -> dict:
    for record in orders:
        states.update(fraud.fraud_learn(states, [_facts(record)], now=T0.timestamp()))
    return states


def test_three_orders_from_one_email_within_an_hour_is_a_velocity_signal(history):
    earlier = [_order(1, customer=0, at=T0 - dt.timedelta(minutes=50)),
               _order(2, customer=0, at=T0 - dt.timedelta(minutes=20))]
    states = _placed(dict(history), earlier)

    signal = _signals(_order(3, customer=0), states)["velocity"]

    assert signal.points == fraud.POINTS["velocity"]
    assert "one of 3 orders from the same customer" in signal.words


def test_two_orders_within_an_hour_are_not_velocity(history):
    states = _placed(dict(history), [_order(1, at=T0 - dt.timedelta(minutes=20))])

    assert "velocity" not in _signals(_order(2), states)


def test_orders_more_than_an_hour_apart_are_not_velocity(history):
    states = _placed(dict(history), [_order(1, at=T0 - dt.timedelta(minutes=130)),
                                     _order(2, at=T0 - dt.timedelta(minutes=70))])

    assert "velocity" not in _signals(_order(3), states)


def test_updates_of_one_order_count_as_one_order_for_velocity(history):
    states = _placed(dict(history), [_order(1, at=T0 - dt.timedelta(minutes=m))
                                     for m in (40, 30, 20)])

    assert "velocity" not in _signals(_order(2), states)


def test_five_orders_within_an_hour_is_a_burst(history):
    states = _placed(dict(history), [_order(n, at=T0 - dt.timedelta(minutes=10 * n))
                                     for n in range(1, 5)])

    assert _signals(_order(9), states)["velocity_burst"].points == fraud.POINTS[
        "velocity_burst"]


def test_another_name_sent_express_is_a_weak_signal():
    record = _order(ship={"first_name": "Lars", "shipping_method": "DHL Express"})

    signal = _signals(record)["name_mismatch_express"]

    assert signal.points == fraud.POINTS["name_mismatch_express"] < fraud.THRESHOLD
    assert '"DHL Express"' in signal.words


def test_another_name_sent_standard_is_not_a_signal():
    assert _signals(_order(ship={"first_name": "Lars"})) == {}


def test_the_same_name_sent_express_is_not_a_signal():
    assert _signals(_order(ship={"shipping_method": "Next Day"})) == {}


def test_a_declined_payment_is_flagged_on_its_own():
    finding = _check(_order(payment_status="declined"))

    assert finding is not None and finding.score == fraud.POINTS["payment_declined"]
    assert 'the payment was declined (payment status "declined")' in finding.message
    assert finding.path == "payment_status"


def test_an_order_the_storefront_holds_for_manual_verification_is_flagged():
    finding = _check(_order(status_id=12, payment_status=""))

    assert finding is not None
    assert [s.name for s in finding.signals] == ["storefront_review"]


# --- the score ----------------------------------------------------------------------------

def test_a_gift_from_a_known_customer_to_another_country_sent_express_is_not_flagged(history):
    record = _order(105, customer=105, email="c5@example.com", total=40.0, ship={
        "first_name": "Ola", "last_name": "Nordmann", "country": "Denmark",
        "country_iso2": "DK", "shipping_method": "Express"})

    assert set(_signals(record, history)) == {"ship_country_rare", "name_mismatch_express"}
    assert _check(record, history) is None


def test_three_signals_add_up_past_the_threshold_and_each_is_named(history):
    record = _order(500, customer=0, email="fresh@example.net", total=95.0, ship={
        "first_name": "J", "last_name": "Smith", "country": "Nigeria", "country_iso2": "NG",
        "shipping_method": "Overnight"})

    finding = _check(record, history)

    assert finding is not None
    expected = (fraud.POINTS["ship_country_rare"] + fraud.POINTS["first_order_high_total"]
                + fraud.POINTS["name_mismatch_express"])
    assert finding.score == expected
    assert finding.message.startswith(f"Fraud risk {expected} of 100 (flagged from 50): ")
    for words in ("ships to Nigeria", "first order this flow has seen", '"Overnight"'):
        assert words in finding.message
    data = finding.as_data()
    assert (data["metric"], data["segment"], data["value"]) == ("fraud_risk", "1", expected)
    assert {s["name"] for s in data["signals"]} == {
        "ship_country_rare", "first_order_high_total", "name_mismatch_express"}


def test_the_score_is_capped_at_one_hundred():
    record = _order(status_id=12, payment_status="declined", geoip_country_iso2="RU")

    finding = _check(record)

    assert finding is not None and finding.score == 100


# --- learning and its bounds ------------------------------------------------------------

def test_a_flagged_order_counts_for_velocity_but_its_customer_is_not_learnt():
    facts = _facts(_order(1, customer=0, email="burst@example.com"))

    changed = fraud.fraud_learn({}, [facts], now=T0.timestamp(), known=False)

    (state,) = changed.values()
    assert state["known"] == [] and len(state["recent"]) == 1
    assert (fraud.COUNTRIES_METRIC, "") not in changed


def test_the_state_keeps_hashes_not_emails(history):
    assert "@example.com" not in json.dumps(list(history.values()))


def test_each_customer_bucket_remembers_a_bounded_number_of_recent_customers():
    state: dict[str, Any] = {}
    for n in range(fraud.KNOWN_PER_BUCKET + 50):
        state = fraud.customers_learn(state, entries=[(f"{n:012x}", T0.timestamp(), str(n))])

    assert len(state["known"]) == fraud.KNOWN_PER_BUCKET
    assert state["known"][-1] == f"{fraud.KNOWN_PER_BUCKET + 49:012x}"
    assert f"{0:012x}" not in state["known"]


def test_a_bucket_keeps_only_the_last_hours_orders():
    state = fraud.customers_learn({}, entries=[("aa", T0.timestamp() - 7200, "1")])
    state = fraud.customers_learn(state, entries=[("bb", T0.timestamp(), "2")])

    assert [e[2] for e in state["recent"]] == ["2"]


def test_country_counts_are_halved_past_their_cap_and_keep_their_shares():
    state = fraud.countries_learn({}, countries=["SE"] * 4000 + ["NO"] * 1001,
                                  orders=5001)

    assert state["n"] == pytest.approx(2500.5)
    assert state["c"]["SE"] / state["n"] == pytest.approx(4000 / 5001)
    assert state["orders"] == 5001
