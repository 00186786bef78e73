"""Order fraud-risk signals on generated BigCommerce order streams with injected fraud: recall
per fraudulent order and false positives per legitimate order, after a warm-up.

Run: ``.venv/bin/python bench/eval_fraud.py`` (``make eval`` runs every bench/eval_*.py).
Plain Python: ``integrations/quality/fraud.py`` is driven the way the pipeline drives it: each
order (one webhook, one batch) is checked against what the flow learnt before it, with the
anomaly ranges checked too; an order with neither finding is learnt (countries, customers,
velocity, its channel's totals), a flagged one counts only towards its customer's velocity.

The streams (seeded): two stores, a British one and a Swedish one, each with customers mostly
from its own country and some from neighbours; returning customers (a few very loyal) and new
ones, a quarter of them guests; log-normal totals per channel; 5% of orders a gift to another
name in the same country and 2% to another country (a sixth of those to a country the store
hardly ships to); a quarter sent express or next day; 2% of a returning customer's orders
followed by a second within the hour, a few by a third; 3% placed while travelling (IP in
another country); 0.1% with a payment declined. Three weeks of warm-up, then four judged weeks
in which fraud starts at 0.4% of orders, one of three patterns:

- ``reshipper``: a stolen card, a new customer, billed at the victim's address, shipped abroad
  (half to a rare country) usually to another name and often express, a total three to eight
  times the usual, the IP often elsewhere;
- ``card_testing``: a new email placing 3–6 orders within 40 minutes to a drop address (another
  name, often express), small totals, some of them declined;
- ``takeover``: a known customer's account shipping abroad to another name, often express and
  from an IP elsewhere, an ordinary or high total.

Figures: ``fraud_recall`` and ``fraud_fpr`` (first seed), recall per pattern and per fraud
event (any of its orders flagged), false positives among legitimate gifts abroad, and the
headline pair on a second seed (``fraud_*_seed2``).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `make eval` runs this file as a script
    sys.path.insert(0, str(REPO_ROOT))

from bench.eval_anomaly import HOURLY, WEEKDAY, Detector, _poisson  # noqa: E402
from bench.results import results_record  # noqa: E402
from integrations.quality import fraud  # noqa: E402

MIN_HISTORY = 20
WARMUP_WEEKS, JUDGED_WEEKS = 3, 4
FRAUD_RATE = 0.01              # fraud events started per order, in the judged weeks
START = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)   # a Monday
RARE_WORLD = ["NG", "GH", "RU", "UA", "BR", "ID", "VN", "MY", "PH", "KE", "RO", "TR"]
GIFT_WORLD = ["AU", "NZ", "CA", "JP", "ZA", "IN", "AE", "SG"]
FIRST = ["Anna", "Ben", "Chloe", "David", "Emma", "Finn", "Grace", "Henry", "Isla", "Jack",
         "Karin", "Lars", "Maja", "Nils", "Olivia", "Per", "Rosa", "Sven", "Tom", "Ulla"]
LAST = ["Andersson", "Brown", "Clarke", "Dahl", "Evans", "Fischer", "Green", "Hansen",
        "Jones", "Karlsson", "Lindqvist", "Martin", "Nilsson", "Olsen", "Patel", "Smith",
        "Taylor", "Walker", "Wilson", "Young"]


@dataclass
class Customer:
    id: int              # 0: a guest
    email: str
    first: str
    last: str
    country: str
    loyalty: float       # weight when a returning customer is drawn


@dataclass
class Store:
    name: str
    orders_per_hour: float
    countries: dict[str, float]          # where its customers live
    channels: list[tuple[int, float, float]]   # id, weight, median total
    customers: list[Customer] = field(default_factory=list)
    next_customer: int = 1


def _stores() -> list[Store]:
    return [
        Store("Outdoor", 22, {"GB": 0.88, "IE": 0.04, "FR": 0.02, "DE": 0.02, "US": 0.02,
                              "NL": 0.01, "ES": 0.01}, [(1, 0.75, 45), (2, 0.25, 30)]),
        Store("Nordic", 9, {"SE": 0.7, "NO": 0.1, "DK": 0.08, "FI": 0.07, "DE": 0.03,
                            "GB": 0.02}, [(1, 1.0, 60)]),
    ]


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _new_customer(rng: random.Random, store: Store, *, guest: bool | None = None,
                  country: str | None = None, keep: bool = True) -> Customer:
    guest = rng.random() < 0.25 if guest is None else guest
    number = store.next_customer
    store.next_customer += 1
    first, last = rng.choice(FIRST), rng.choice(LAST)
    person = Customer(0 if guest else number, f"{first}.{last}.{number}@example.com".lower(),
                      first, last, country or _pick(rng, store.countries),
                      min(rng.paretovariate(1.5), 20.0))   # a few loyal, none absurd
    if keep:
        store.customers.append(person)
    return person


def _returning(rng: random.Random, store: Store) -> Customer:
    return rng.choices(store.customers, weights=[c.loyalty for c in store.customers])[0]


def _address(person: Customer, country: str | None = None, *, first: str | None = None,
             last: str | None = None, method: str = "") -> dict[str, Any]:
    out = {"first_name": first or person.first, "last_name": last or person.last,
           "street_1": "1 High Street", "city": "Town", "zip": "0000",
           "country": country or person.country, "country_iso2": country or person.country,
           "email": person.email}
    if method:
        out["shipping_method"] = method
    return out


def _method(rng: random.Random, express: float = 0.25) -> str:
    if rng.random() >= express:
        return "Standard"
    return rng.choice(["Express", "Express", "Next Day"])


def _order(order_id: int, at: dt.datetime, person: Customer, store: Store, *, total: float,
           channel: int, ship: dict[str, Any], ip: str, declined: bool = False
           ) -> dict[str, Any]:
    return {"id": order_id, "customer_id": person.id, "channel_id": channel,
            "date_created": format_datetime(at), "status_id": 6 if declined else 11,
            "payment_status": "declined" if declined else "captured",
            "total_inc_tax": f"{total:.2f}", "billing_address": _address(person),
            "shipping_addresses": [ship], "geoip_country_iso2": ip,
            "products": [{"quantity": 1}]}


def _channel(rng: random.Random, store: Store) -> tuple[int, float]:
    channel = rng.choices(store.channels, weights=[c[1] for c in store.channels])[0]
    return channel[0], channel[2]


def _legit(rng: random.Random, store: Store, order_id: int, at: dt.datetime
           ) -> tuple[list[tuple[dt.datetime, dict[str, Any], str]], Customer]:
    """One customer's order (and sometimes the one or two that follow it within the hour)."""
    returning = store.customers and rng.random() < 0.55
    person = _returning(rng, store) if returning else _new_customer(rng, store)
    channel, median = _channel(rng, store)
    roll = rng.random()
    kind = "legit"
    if roll < 0.05:   # a gift to someone else at home
        ship = _address(person, first=rng.choice(FIRST), last=rng.choice(LAST),
                        method=_method(rng, 0.35))
        kind = "legit_gift"
    elif roll < 0.07:  # a gift abroad: a neighbour country usually, now and then far away
        country = rng.choice(GIFT_WORLD) if rng.random() < 1 / 6 else _pick(
            rng, {c: w for c, w in store.countries.items() if c != person.country})
        ship = _address(person, country, first=rng.choice(FIRST), last=rng.choice(LAST),
                        method=_method(rng, 0.35))
        kind = "legit_gift_abroad"
    else:
        ship = _address(person, method=_method(rng))
    ip = rng.choice(list(store.countries)) if rng.random() < 0.03 else person.country
    total = median * math.exp(rng.gauss(0, 0.7))
    orders = [(at, _order(order_id, at, person, store, total=total, channel=channel, ship=ship,
                          ip=ip, declined=rng.random() < 0.001), kind)]
    if returning and rng.random() < 0.02:   # a forgotten item, and now and then another
        for n in range(2 if rng.random() < 0.1 else 1):
            later = at + dt.timedelta(minutes=rng.uniform(5, 25) * (n + 1))
            orders.append((later, _order(order_id + n + 1, later, person, store,
                                         total=median * math.exp(rng.gauss(-0.5, 0.6)),
                                         channel=channel, ship=ship, ip=ip), "legit_repeat"))
    return orders, person


def _fraud(rng: random.Random, store: Store, order_id: int, at: dt.datetime
           ) -> list[tuple[dt.datetime, dict[str, Any], str]]:
    pattern = rng.choice(["reshipper", "card_testing", "takeover"])
    channel, median = _channel(rng, store)
    mule = {"first": rng.choice(FIRST), "last": rng.choice(LAST)}
    abroad = rng.choice(RARE_WORLD) if rng.random() < 0.5 else rng.choice(
        ["US", "NL", "DE", "FR"] if store.name == "Outdoor" else ["GB", "DE", "NO", "DK"])
    if pattern == "reshipper":
        victim = _new_customer(rng, store, keep=False)
        ship = _address(victim, abroad, method=_method(rng, 0.6),
                        **(mule if rng.random() < 0.7 else {}))
        ip = rng.choice(RARE_WORLD) if rng.random() < 0.6 else victim.country
        return [(at, _order(order_id, at, victim, store, channel=channel, ship=ship, ip=ip,
                            total=median * rng.uniform(3, 8)), pattern)]
    if pattern == "card_testing":
        tester = _new_customer(rng, store, guest=rng.random() < 0.6, keep=False)
        ship = _address(tester, **mule, method=_method(rng, 0.5))
        times = sorted(rng.uniform(0, 40) for _ in range(rng.randint(3, 6)))
        return [(at + dt.timedelta(minutes=m),
                 _order(order_id + n, at + dt.timedelta(minutes=m), tester, store,
                        channel=channel, ship=ship, ip=tester.country,
                        total=median * math.exp(rng.gauss(-0.7, 0.5)),
                        declined=rng.random() < 0.4), pattern) for n, m in enumerate(times)]
    owner = _returning(rng, store)
    ship = _address(owner, abroad, **mule, method=_method(rng, 0.7))
    ip = rng.choice(RARE_WORLD) if rng.random() < 0.7 else owner.country
    return [(at, _order(order_id, at, owner, store, channel=channel, ship=ship, ip=ip,
                        total=median * math.exp(rng.gauss(0.5, 0.6))), pattern)]


class FraudDetector:
    """What the pipeline keeps per order flow: the anomaly ranges and the fraud states."""

    def __init__(self) -> None:
        self.ranges = Detector("bigcommerce", "sales_order")
        self.states: dict[tuple[str, str], dict[str, Any]] = {}

    def check(self, record: dict[str, Any], now: float) -> bool:
        """Whether the order gets a fraud_risk note; it is learnt as the pipeline would."""
        facts = fraud.order_facts(system="bigcommerce", entity="sales_order", record=record)
        assert facts is not None
        states = {**self.states, **{k: v for k, v in self.ranges.states.items()
                                    if k[0] == fraud.TOTALS_METRIC}}
        risk = fraud.fraud_check(facts, states=states, now=now, min_history=MIN_HISTORY)
        anomalous = bool(self.ranges.findings(record))
        if risk is None and not anomalous:
            self.states.update(fraud.fraud_learn(self.states, [facts], now=now))
            self.ranges.learn([record])
        else:
            self.states.update(fraud.fraud_learn(self.states, [facts], now=now, known=False))
        return risk is not None


@dataclass
class Tally:
    found: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    orders: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    events: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    signals: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def run(seed: int) -> Tally:
    rng = random.Random(seed)  # noqa: S311 - reproducible streams, not secrets
    tally = Tally()
    order_id = 1000
    hours = (WARMUP_WEEKS + JUDGED_WEEKS) * 168
    mean_hourly = sum(HOURLY) / 24
    for store in _stores():
        detector = FraudDetector()
        pending: list[tuple[dt.datetime, dict[str, Any], str, int]] = []
        event_id = 0
        for hour in range(hours):
            start = START + dt.timedelta(hours=hour)
            judged = hour >= WARMUP_WEEKS * 168
            rate = store.orders_per_hour * HOURLY[hour % 24] / mean_hourly * WEEKDAY[
                (hour // 24) % 7]
            for _ in range(_poisson(rng, rate)):
                at = start + dt.timedelta(minutes=rng.uniform(0, 60))
                event_id += 1
                if judged and rng.random() < FRAUD_RATE:
                    made = _fraud(rng, store, order_id, at)
                else:
                    made, _ = _legit(rng, store, order_id, at)
                order_id += len(made)
                pending += [(when, record, kind, event_id) for when, record, kind in made]
            pending.sort(key=lambda p: p[0])
            end = start + dt.timedelta(hours=1)
            due = [p for p in pending if p[0] < end]
            pending = [p for p in pending if p[0] >= end]
            flagged_events: dict[int, bool] = {}
            for when, record, kind, event in due:
                flagged = detector.check(record, when.timestamp())
                if not judged:
                    continue
                tally.orders[kind] += 1
                tally.found[kind] += flagged
                if kind in ("reshipper", "card_testing", "takeover"):
                    flagged_events[event] = flagged_events.get(event, False) or flagged
                    # Which rules fired on fraud orders (flagged or not), for the notes.
                    facts = fraud.order_facts(system="bigcommerce", entity="sales_order",
                                              record=record)
                    for signal in fraud.fraud_signals(facts, states={
                            **detector.states, **detector.ranges.states},
                            now=when.timestamp(), min_history=MIN_HISTORY):
                        tally.signals[signal.name] += 1
            for event, hit in flagged_events.items():
                kind = next(k for _, _, k, e in due if e == event)
                tally.events[kind].append(hit)
    return tally


FRAUD_KINDS = ("reshipper", "card_testing", "takeover")


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def summary(tally: Tally) -> dict[str, float]:
    legit = [k for k in tally.orders if k not in FRAUD_KINDS]
    figures = {
        "fraud_recall": _rate(sum(tally.found[k] for k in FRAUD_KINDS),
                              sum(tally.orders[k] for k in FRAUD_KINDS)),
        "fraud_fpr": _rate(sum(tally.found[k] for k in legit),
                           sum(tally.orders[k] for k in legit)),
    }
    for kind in FRAUD_KINDS:
        figures[f"fraud_recall_{kind}"] = _rate(tally.found[kind], tally.orders[kind])
        figures[f"fraud_recall_{kind}_events"] = _rate(sum(tally.events[kind]),
                                                       len(tally.events[kind]))
    for kind in sorted(legit):
        figures[f"fraud_fpr_{kind}"] = _rate(tally.found[kind], tally.orders[kind])
    return figures


def main() -> None:
    first = run(seed=7)
    figures = summary(first)
    second = summary(run(seed=8))
    figures["fraud_recall_seed2"] = second["fraud_recall"]
    figures["fraud_fpr_seed2"] = second["fraud_fpr"]
    for name, value in figures.items():
        print(f"{name:40s} {value}")
    print(f"judged orders {dict(first.orders)}")
    print(f"signals on fraud orders {dict(first.signals)}")
    results_record(figures=figures)


if __name__ == "__main__":
    main()
