"""Order fraud-risk signals (plain Python, no Django): rules a person can check, each named in
words, whose points add up to a risk score out of 100; an order at or above ``THRESHOLD`` is
flagged. Part of the anomaly check (same switch, same action, same notes and alert).

The signals, with their points:

- the payment was declined (BigCommerce ``payment_status`` "declined", or order status 6
  *Declined*): 50;
- the storefront set the order to *Manual Verification Required* (status 12: what its payment
  gateway's or fraud provider's review sets; BigCommerce's v2 order has no fraud-provider field
  of its own): 50;
- the billing and shipping countries differ: 20, or 30 when the flow has rarely shipped to
  that country (under ``RARE_SHARE`` of its learnt orders);
- the order was placed from an IP address in another country than the billing address
  (``geoip_country_iso2``): 20;
- it is the first order this flow has seen from the customer (customer id or email) and its
  total is above the channel's 95th percentile (the anomaly estimator's own quantiles): 35;
- velocity: this and at least two more orders from the same customer id or email within an
  hour: 35; five or more: 45 (alone, still under the threshold: a customer may reorder);
- the shipping name differs from the billing name *and* the shipping method is express
  (weak: gifts are sent to other names): 15.

Alone, only a declined payment or a storefront review reaches the threshold; a gift to another
country (20–30, +15 when sent express to the recipient) does not; a new customer's big order
sent abroad (55–65) does.

State (JSON, bounded), one ``FlowStat`` row each:

- ``fraud_ship_country`` (no segment): orders per shipping country, halved when the total
  passes ``COUNTRY_HALVE_AT`` so the shares follow the flow (at most ~250 keys);
- ``fraud_customers`` per bucket ``"00"``–``"63"`` of a customer key's hash: the bucket's
  ``KNOWN_PER_BUCKET`` most recently seen customers (hashes, never emails: these rows outlive
  the transaction log's retention) and its orders of the last hour (hash, time, order id) for
  velocity. An order reads at most two buckets (its customer id's and its email's).

``order_facts(system=, entity=, record=)`` reads the fields by their real names: BigCommerce
v2 orders (with ``shipping_addresses`` inlined, as the connector reads them) and Salesforce
Orders (``BillingCountry``, ``ShippingCountry``, ``AccountId``, ``CreatedDate``; they carry no
names, shipping method or payment state, so those signals do not apply).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

from integrations.quality.anomaly import ORDER_READERS, _amount

METRIC = "fraud_risk"                 # the note's data.metric
COUNTRIES_METRIC = "fraud_ship_country"
CUSTOMERS_METRIC = "fraud_customers"
TOTALS_METRIC = "order_total"         # the anomaly estimator's row, read for its quantiles

THRESHOLD = 50
MAX_SCORE = 100
POINTS = {"payment_declined": 50, "storefront_review": 50, "ship_country": 20,
          "ship_country_rare": 30, "ip_country": 20, "first_order_high_total": 35,
          "velocity": 35, "velocity_burst": 45, "name_mismatch_express": 15}

RARE_SHARE = 0.01           # a shipping country under 1% of the flow's learnt orders is rare
COUNTRY_HALVE_AT = 5000     # learnt orders before the country counts are halved (forgetting)
VELOCITY_WINDOW_S = 3600
VELOCITY_ORDERS = 3         # this order and two more from the same customer within the window
VELOCITY_BURST = 5
BUCKETS = 64
KNOWN_PER_BUCKET = 512      # 64 × 512 ≈ 32,000 most recent customers remembered
RECENT_PER_BUCKET = 128     # one bucket's orders within the last hour

FRAUD_SYSTEMS = frozenset({"bigcommerce", "salesforce"})
DECLINED_STATUS, REVIEW_STATUS = 6, 12    # BigCommerce order statuses
EXPRESS = re.compile(r"express|next[\s-]*day|overnight|priority|same[\s-]*day|\b1[\s-]*day"
                     r"|\b24\s*h", re.IGNORECASE)


@dataclass(frozen=True)
class Address:
    """What the signals need of an address: its country (ISO alpha-2 where known) and the
    addressee's name in a normal form."""

    country: str = ""
    name: str = ""
    method: str = ""      # shipping addresses: the shipping method as the store names it


@dataclass(frozen=True)
class OrderFacts:
    """The fields of one order the signals read, from whichever system sent it."""

    order_id: str
    channel: str
    total: float | None
    billing: Address
    shipping: tuple[Address, ...]
    customer_keys: tuple[str, ...]     # hashes of "customer:<id>" and "email:<address>"
    placed_at: float | None            # epoch seconds, when the record says
    payment_status: str = ""
    status_id: int | None = None
    ip_country: str = ""
    paths: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Signal:
    name: str
    points: int
    words: str
    path: str = ""


@dataclass
class FraudFinding:
    """An order whose signals add up to the threshold or more, in words and as data."""

    score: int
    signals: list[Signal]
    segment: str
    message: str
    path: str = ""
    threshold: int = THRESHOLD

    def as_data(self) -> dict[str, Any]:
        return {"metric": METRIC, "segment": self.segment, "value": self.score,
                "expected": {"threshold": self.threshold, "max": MAX_SCORE},
                "signals": [{"name": s.name, "points": s.points, "message": s.words}
                            for s in self.signals]}


# --- reading orders ---------------------------------------------------------------------

def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _name_key(*parts: Any) -> str:
    text = unicodedata.normalize("NFKD", " ".join(_text(p) for p in parts))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[\W_]+", " ", text).strip()


def country_code(value: Any) -> str:
    """ISO alpha-2 for a code or a name ("GB", "United Kingdom", "UK"); an unknown name in a
    normal form, so two spellings of one unknown place still compare equal."""
    from integrations.quality.address import country_find

    text = _text(value)
    if not text:
        return ""
    found = country_find(text)
    return found.alpha_2 if found is not None else _name_key(text)


def country_words(code: str) -> str:
    from integrations.quality.address import country_find, country_name

    found = country_find(code) if code else None
    return country_name(found) if found is not None else (code or "an unknown country")


def key_hash(key: str) -> str:
    return hashlib.blake2b(key.encode(), digest_size=6).hexdigest()


def bucket(hashed: str) -> str:
    return f"{int(hashed[:4], 16) % BUCKETS:02d}"


def _keys(*, customer: Any = None, email: Any = None, account: Any = None) -> tuple[str, ...]:
    keys = []
    number = _int(customer)
    if number and number > 0:   # BigCommerce's 0 is a guest
        keys.append(f"customer:{number}")
    if _text(email) and "@" in _text(email):
        keys.append(f"email:{_text(email).casefold()}")
    if _text(account):
        keys.append(f"account:{_text(account)}")
    return tuple(key_hash(k) for k in keys)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _epoch(value: Any) -> float | None:
    text = _text(value)
    if not text:
        return None
    try:
        when = parsedate_to_datetime(text)    # BigCommerce v2: RFC 2822
    except (TypeError, ValueError, IndexError):
        try:
            when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))   # Salesforce
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


BIGCOMMERCE_PATHS = {"billing": "billing_address.country_iso2",
                     "shipping": "shipping_addresses[].country_iso2",
                     "names": "shipping_addresses[].last_name",
                     "method": "shipping_addresses[].shipping_method",
                     "payment": "payment_status", "status": "status_id",
                     "ip": "geoip_country_iso2", "total": "total_inc_tax",
                     "customer": "billing_address.email"}
SALESFORCE_PATHS = {"billing": "BillingCountry", "shipping": "ShippingCountry",
                    "total": "TotalAmount", "customer": "AccountId"}


def _bigcommerce_address(address: dict[str, Any]) -> Address:
    return Address(country_code(address.get("country_iso2") or address.get("country")),
                   _name_key(address.get("first_name"), address.get("last_name")),
                   _text(address.get("shipping_method")))


def _bigcommerce(record: dict[str, Any]) -> OrderFacts:
    billing = record.get("billing_address") if isinstance(record.get("billing_address"),
                                                          dict) else {}
    # Not inlined (the bare v2 order has a sub-resource link here): no shipping signals.
    shipping = record.get("shipping_addresses")
    shipping = shipping if isinstance(shipping, list) else []
    total, channel, *_ = ORDER_READERS["bigcommerce"](record)
    return OrderFacts(
        order_id=str(record.get("id") or ""), channel=channel, total=total,
        billing=_bigcommerce_address(billing),
        shipping=tuple(_bigcommerce_address(a) for a in shipping if isinstance(a, dict)),
        customer_keys=_keys(customer=record.get("customer_id"), email=billing.get("email")),
        placed_at=_epoch(record.get("date_created")),
        payment_status=_text(record.get("payment_status")).casefold(),
        status_id=_int(record.get("status_id")),
        ip_country=country_code(record.get("geoip_country_iso2") or record.get("geoip_country")),
        paths=BIGCOMMERCE_PATHS)


def _salesforce(record: dict[str, Any]) -> OrderFacts | None:
    if "TotalAmount" not in record:
        return None   # an Opportunity: no addresses, no customer of its own
    total, channel, *_ = ORDER_READERS["salesforce"](record)
    shipping = country_code(record.get("ShippingCountry"))
    return OrderFacts(
        order_id=str(record.get("Id") or ""), channel=channel, total=total,
        billing=Address(country_code(record.get("BillingCountry"))),
        shipping=(Address(shipping),) if shipping else (),
        customer_keys=_keys(account=record.get("AccountId")),
        placed_at=_epoch(record.get("CreatedDate")), paths=SALESFORCE_PATHS)


def order_facts(*, system: str, entity: str, record: Any) -> OrderFacts | None:
    """The order's facts when fraud signals apply to it (storefront and CRM sales orders)."""
    if entity != "sales_order" or system not in FRAUD_SYSTEMS or not isinstance(record, dict):
        return None
    return _bigcommerce(record) if system == "bigcommerce" else _salesforce(record)


def state_keys(facts: OrderFacts) -> set[tuple[str, str]]:
    """The (metric, segment) rows the signals of this order read."""
    return {(TOTALS_METRIC, facts.channel), (COUNTRIES_METRIC, "")} | {
        (CUSTOMERS_METRIC, bucket(h)) for h in facts.customer_keys}


# --- the signals --------------------------------------------------------------------------

def _payment(facts: OrderFacts) -> list[Signal]:
    found = []
    if facts.payment_status == "declined":
        found.append(Signal("payment_declined", POINTS["payment_declined"],
                            'the payment was declined (payment status "declined")',
                            facts.paths.get("payment", "")))
    elif facts.status_id == DECLINED_STATUS:
        found.append(Signal("payment_declined", POINTS["payment_declined"],
                            "the storefront marked the order Declined (payment not accepted)",
                            facts.paths.get("status", "")))
    if facts.status_id == REVIEW_STATUS:
        found.append(Signal("storefront_review", POINTS["storefront_review"],
                            "the storefront set it to Manual Verification Required, as its "
                            "payment or fraud provider does for orders to be checked",
                            facts.paths.get("status", "")))
    return found


def _countries(facts: OrderFacts, countries: dict[str, Any], min_history: int
               ) -> list[Signal]:
    found = []
    billing = facts.billing.country
    ip = facts.ip_country
    if ip and billing and ip != billing:
        found.append(Signal("ip_country", POINTS["ip_country"],
                            f"it was placed from an IP address in {country_words(ip)}, not the "
                            f"billing country {country_words(billing)}",
                            facts.paths.get("ip", "")))
    abroad = next((a.country for a in facts.shipping
                   if a.country and billing and a.country != billing), "")
    if not abroad:
        return found
    learnt = float(countries.get("n") or 0)
    seen = float((countries.get("c") or {}).get(abroad) or 0)
    words = (f"the billing address is in {country_words(billing)} but it ships to "
             f"{country_words(abroad)}")
    if learnt >= min_history and seen / learnt < RARE_SHARE:
        share = ("a country it has not shipped to before" if seen < 0.5 else
                 f"a country only {seen / learnt:.1%} of its orders go to")
        found.append(Signal("ship_country_rare", POINTS["ship_country_rare"],
                            f"{words}, {share}", facts.paths.get("shipping", "")))
    else:
        found.append(Signal("ship_country", POINTS["ship_country"], words,
                            facts.paths.get("shipping", "")))
    return found


def _known(facts: OrderFacts, customers: dict[str, dict[str, Any]]) -> bool:
    for hashed in facts.customer_keys:
        if hashed in set((customers.get(bucket(hashed)) or {}).get("known") or ()):
            return True
    return False


def _first_order(facts: OrderFacts, *, customers: dict[str, dict[str, Any]],
                 countries: dict[str, Any], totals: dict[str, Any], min_history: int
                 ) -> list[Signal]:
    quantiles = totals.get("q")
    if (facts.total is None or not facts.customer_keys or not quantiles
            or int(totals.get("n") or 0) < min_history
            # Customers are remembered from when this check started learning, not before.
            or int(countries.get("orders") or 0) < min_history
            or _known(facts, customers)):
        return []
    top, median = math.exp(quantiles[4]), math.exp(quantiles[2])
    if facts.total <= top:
        return []
    channel = f"channel {facts.channel}'s" if facts.channel else "the flow's"
    return [Signal("first_order_high_total", POINTS["first_order_high_total"],
                   f"it is the first order this flow has seen from the customer, for "
                   f"{_amount(round(facts.total, 2))}, above 95% of {channel} orders (usually "
                   f"about {_amount(round(median, 2))})", facts.paths.get("total", ""))]


def _velocity(facts: OrderFacts, customers: dict[str, dict[str, Any]], now: float
              ) -> list[Signal]:
    at = facts.placed_at if facts.placed_at is not None else now
    mine = set(facts.customer_keys)
    others = set()
    for name in {bucket(h) for h in mine}:
        for hashed, when, order_id in (customers.get(name) or {}).get("recent") or ():
            if (hashed in mine and order_id != facts.order_id
                    and abs(float(when) - at) <= VELOCITY_WINDOW_S):
                others.add(order_id)
    count = len(others) + 1
    if count < VELOCITY_ORDERS:
        return []
    name = "velocity_burst" if count >= VELOCITY_BURST else "velocity"
    return [Signal(name, POINTS[name], f"it is one of {count} orders from the same customer "
                   f"(customer id or email) within an hour", facts.paths.get("customer", ""))]


def _name_express(facts: OrderFacts) -> list[Signal]:
    billing = facts.billing.name
    for address in facts.shipping:
        if billing and address.name and address.name != billing \
                and EXPRESS.search(address.method):
            return [Signal("name_mismatch_express", POINTS["name_mismatch_express"],
                           f"it ships to another name than the billing name, by "
                           f'"{address.method}"', facts.paths.get("method", ""))]
    return []


def fraud_signals(facts: OrderFacts, *, states: dict[tuple[str, str], dict[str, Any]],
                  now: float, min_history: int) -> list[Signal]:
    """Every signal the order shows, given the flow's learnt ``states`` (by ``state_keys``;
    missing rows are empty); ``now`` stands in for an order without a creation time."""
    countries = states.get((COUNTRIES_METRIC, "")) or {}
    customers = {segment: state for (metric, segment), state in states.items()
                 if metric == CUSTOMERS_METRIC}
    totals = states.get((TOTALS_METRIC, facts.channel)) or {}
    return [*_payment(facts), *_countries(facts, countries, min_history),
            *_first_order(facts, customers=customers, countries=countries, totals=totals,
                          min_history=min_history),
            *_velocity(facts, customers, now), *_name_express(facts)]


def fraud_check(facts: OrderFacts, *, states: dict[tuple[str, str], dict[str, Any]],
                now: float, min_history: int, threshold: int = THRESHOLD
                ) -> FraudFinding | None:
    """The finding when the order's signals add up to ``threshold`` or more."""
    signals = sorted(fraud_signals(facts, states=states, now=now, min_history=min_history),
                     key=lambda s: -s.points)
    score = min(sum(s.points for s in signals), MAX_SCORE)
    if score < threshold:
        return None
    message = (f"Fraud risk {score} of {MAX_SCORE} (flagged from {threshold}): "
               + "; ".join(f"{s.words} (+{s.points})" for s in signals) + ".")
    return FraudFinding(score, signals, facts.channel, message, signals[0].path, threshold)


# --- learning -----------------------------------------------------------------------------

def countries_learn(state: dict[str, Any], *, countries: Iterable[str], orders: int = 0
                    ) -> dict[str, Any]:
    """Orders per shipping country (``n`` in all), and ``orders`` learnt whether or not they
    named a country: a customer's first order is judged once enough orders were learnt."""
    counts = dict(state.get("c") or {})
    learnt = float(state.get("n") or 0)
    for code in countries:
        counts[code] = counts.get(code, 0) + 1
        learnt += 1
    if learnt > COUNTRY_HALVE_AT:
        counts = {code: round(n / 2, 2) for code, n in counts.items() if n / 2 >= 0.5}
        learnt /= 2
    return {"c": counts, "n": round(learnt, 2),
            "orders": int(state.get("orders") or 0) + orders}


def customers_learn(state: dict[str, Any], *, entries: Iterable[tuple[str, float, str]],
                    known: bool = True) -> dict[str, Any]:
    """The bucket after these orders (customer hash, time, order id): their customers become
    the most recently seen (when ``known``) and the orders join the last hour's."""
    remembered = list(state.get("known") or [])
    recent = [list(e) for e in state.get("recent") or []]
    seen = {(h, o) for h, _, o in recent}
    for hashed, when, order_id in entries:
        if known:
            if hashed in remembered:
                remembered.remove(hashed)
            remembered.append(hashed)
        if (hashed, order_id) not in seen:   # an order's updates are one order
            recent.append([hashed, round(float(when), 1), order_id])
            seen.add((hashed, order_id))
    newest = max((float(w) for _, w, _ in recent), default=0.0)
    recent = sorted((e for e in recent if float(e[1]) >= newest - VELOCITY_WINDOW_S),
                    key=lambda e: float(e[1]))[-RECENT_PER_BUCKET:]
    return {"known": remembered[-KNOWN_PER_BUCKET:], "recent": recent}


def fraud_learn(states: dict[tuple[str, str], dict[str, Any]], orders: Iterable[OrderFacts],
                *, now: float, known: bool = True) -> dict[tuple[str, str], dict[str, Any]]:
    """The changed rows after ``orders``: clean orders (``known``) teach shipping countries,
    customers and velocity; flagged ones only velocity (they were placed, whatever they are)."""
    ships: list[str] = []
    count = 0
    entries: dict[str, list[tuple[str, float, str]]] = {}
    for facts in orders:
        count += 1
        at = facts.placed_at if facts.placed_at is not None else now
        for hashed in facts.customer_keys:
            entries.setdefault(bucket(hashed), []).append((hashed, at, facts.order_id))
        if known:
            ships.extend(a.country for a in facts.shipping[:1] if a.country)
    changed = {}
    if known and count:
        key = (COUNTRIES_METRIC, "")
        changed[key] = countries_learn(states.get(key) or {}, countries=ships, orders=count)
    for segment, rows in entries.items():
        key = (CUSTOMERS_METRIC, segment)
        changed[key] = customers_learn(states.get(key) or {}, entries=rows, known=known)
    return changed
