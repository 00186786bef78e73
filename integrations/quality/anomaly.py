"""Anomaly statistics (plain Python, no Django): what a flow's records usually look like, and
whether one record, or one hour's volume, is far outside that.

Three kinds of estimator, each a JSON-able ``state`` dict the caller stores (one ``FlowStat``
row per metric and segment):

- ``range_*``: the usual range of a skewed positive amount (an order total, a line quantity),
  from a bounded window of the most recent values on a log scale. Money and quantities are
  multiplicative (a ×10 is as wrong for a £5 order as for a £500 one), and on a log scale
  log-normal totals become symmetric, so quartiles describe them well. The window's median and
  the half-spread on each side (upper quartile − median above, median − lower quartile below)
  are robust: a few big orders in the window barely move them. A value is anomalous when it
  lies more than ``sensitivity`` half-spreads from the median on its side; for a normal
  distribution one half-spread is 0.674 σ, so the default 5 is 3.4 σ (about 4 in 10,000 clean
  values flagged per side). The window forgets, so a channel that grows is followed.
- ``price_*``: the last price of one SKU per price list; a change beyond ``price_change_pct``
  either way is anomalous (50% by default: above 1.5× or below 0.5× the last price).
- ``volume_*``: orders per hour of a flow, expected as the usual count for that hour of the
  day times the weekday's factor (both learnt as moving averages), with Poisson noise plus a
  learnt overdispersion. A surge is one hour far above; a drop is the last 1, 3 or 6 hours all
  below and together far below, so a quiet night's outage is seen once enough of it adds up.

``observations(system=, entity=, record=)`` reads the amounts from a source record by its real
field names (BigCommerce v2 orders, Brightpearl orders and products, Salesforce opportunities
and orders, SYSPRO / Infor M3 / Dynamics GP items).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

WINDOW = 400            # recent values kept per metric and segment (about 3 kB of JSON)
# Smallest half-spread on the log scale: a channel whose orders are all one price must still
# allow a little variation (0.1 ≈ ±10%), and quantities of all 1s a doubling (log 2).
MIN_SPREAD = {"order_total": 0.1, "order_unit_value": 0.1, "line_quantity": math.log(2)}
# Values are logged after flooring: a zero total is then far below a usual one, not undefined.
FLOOR = {"order_total": 0.01, "order_unit_value": 0.01, "line_quantity": 0.5}

METRIC_WORDS = {"order_total": "Order total", "order_unit_value": "Order value per unit",
                "line_quantity": "Largest line quantity", "price": "Price",
                "volume": "Records per hour"}
SIGMA_PER_SPREAD = 0.6745   # one half-spread (quartile − median) of a normal distribution, in σ


@dataclass(frozen=True)
class Observation:
    """One amount read from a record: what it is, the segment it is judged in, and where."""

    metric: str
    segment: str
    value: float
    path: str = ""


@dataclass
class Finding:
    """An amount outside the usual range, in words a person reads and data a program reads."""

    metric: str
    segment: str
    value: float
    message: str
    path: str = ""
    expected: dict[str, Any] = field(default_factory=dict)

    def as_data(self) -> dict[str, Any]:
        return {"metric": self.metric, "segment": self.segment, "value": self.value,
                "expected": self.expected}


# --- reading amounts from source records -------------------------------------------------

ORDER_ENTITIES = frozenset({"sales_order", "credit_note", "purchase_order"})


def observations(*, system: str, entity: str, record: Any) -> list[Observation]:
    """The amounts of one source record this module judges: order totals, value per unit and
    largest line quantity per channel; for products, one observation per SKU price list."""
    if not isinstance(record, dict):
        return []
    if entity in ORDER_ENTITIES:
        reader = ORDER_READERS.get(system)
        return _order_observations(*reader(record)) if reader else []
    if entity == "product":
        return [Observation("price", sku, price, path)
                for sku, path, price in product_prices(system=system, record=record)]
    return []


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _get(record: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(record, dict):
            return None
        record = record.get(key)
    return record


OrderParts = tuple[float | None, str, list[float], str, str]   # total, channel, qtys, paths


def _bigcommerce_order(record: dict[str, Any]) -> OrderParts:
    lines = record.get("products") if isinstance(record.get("products"), list) else []
    quantities = [q for q in (_number(line.get("quantity")) for line in lines
                              if isinstance(line, dict)) if q is not None]
    return (_number(record.get("total_inc_tax")), str(record.get("channel_id") or ""),
            quantities, "total_inc_tax", "products[].quantity")


def _brightpearl_order(record: dict[str, Any]) -> OrderParts:
    rows = record.get("orderRows")
    rows = list(rows.values()) if isinstance(rows, dict) else rows if isinstance(rows, list) else []
    # Shipping and other charge rows have no product; their "quantity" of 1 is not goods.
    quantities = [q for q in (_number(_get(row, "quantity", "magnitude")) for row in rows
                              if isinstance(row, dict) and (_number(row.get("productId")) or 0) > 0)
                  if q is not None]
    channel = _get(record, "assignment", "current", "channelId")
    if channel is None:
        channel = _get(record, "assignment", "channelId")
    return (_number(_get(record, "totalValue", "total")), str(channel or ""), quantities,
            "totalValue.total", "orderRows[].quantity.magnitude")


def _salesforce_order(record: dict[str, Any]) -> OrderParts:
    if "TotalAmount" in record:   # an Order, with its OrderItems
        items, total_path, channel = "OrderItems", "TotalAmount", record.get("Type")
    else:   # an Opportunity with its products; its lead source is the channel
        items, total_path, channel = "OpportunityLineItems", "Amount", record.get("LeadSource")
    lines = _get(record, items, "records") or []
    quantities = [q for q in (_number(line.get("Quantity")) for line in lines
                              if isinstance(line, dict)) if q is not None]
    return (_number(record.get(total_path)), str(channel or ""), quantities, total_path,
            f"{items}.records[].Quantity")


ORDER_READERS = {"bigcommerce": _bigcommerce_order, "brightpearl": _brightpearl_order,
                 "salesforce": _salesforce_order}


def _order_observations(total: float | None, channel: str, quantities: list[float],
                        total_path: str, quantity_path: str) -> list[Observation]:
    found = []
    units = sum(q for q in quantities if q > 0)
    if total is not None:
        found.append(Observation("order_total", channel, total, total_path))
        if units > 0:
            # The total per unit bought: a total ten times too big shows here even for an order
            # whose total alone is within the channel's (wide) range.
            found.append(Observation("order_unit_value", channel, total / units, total_path))
    if quantities:
        found.append(Observation("line_quantity", channel, max(quantities), quantity_path))
    return found


def product_prices(*, system: str, record: dict[str, Any]) -> list[tuple[str, str, float]]:
    """(segment "sku|list", path, price) for each price of one product record."""
    if system == "brightpearl":
        sku = _get(record, "identity", "sku")
        prices = []
        for entry in record.get("priceLists") or []:
            if not isinstance(entry, dict):
                continue
            price = _number(_get(entry, "quantityPrice", "1"))
            if price is not None:
                prices.append((f"list {entry.get('priceListId')}", "priceLists[].quantityPrice.1",
                               price))
    elif system == "syspro":
        sku = _get(record, "StockItem", "StockCode") or record.get("StockCode")
        prices = [("list", "StockItem.ListPrice", _number(_get(record, "StockItem", "ListPrice"))),
                  ("cost", "UnitCost", _number(record.get("UnitCost")))]
    elif system == "infor":
        sku = record.get("ITNO")
        prices = [("sales", "SAPR", _number(record.get("SAPR"))),
                  ("purchase", "PUPR", _number(record.get("PUPR")))]
    elif system == "dynamics_gp":
        sku = record.get("ITEMNMBR")
        prices = [("list", "LISTPRCE", _number(record.get("LISTPRCE"))),
                  ("cost", "CURRCOST", _number(record.get("CURRCOST")))]
    else:
        return []
    if not sku:
        return []
    sku = str(sku).strip()[:150]
    return [(f"{sku}|{name}", path, price) for name, path, price in prices if price is not None]


# --- the usual range of an amount ------------------------------------------------------------

def _log(metric: str, value: float) -> float:
    return math.log(max(value, FLOOR.get(metric, 0.01)))


def _quantile(ordered: list[float], q: float) -> float:
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def range_learn(state: dict[str, Any], *, metric: str, values: Iterable[float],
                window: int = WINDOW) -> dict[str, Any]:
    """The state after learning ``values`` (oldest first); the summary is kept with it, so a
    check reads five numbers rather than sorting the window."""
    logged = list(state.get("v") or [])
    added = 0
    for value in values:
        logged.append(round(_log(metric, value), 5))
        added += 1
    logged = logged[-window:]
    ordered = sorted(logged)
    quantiles = [round(_quantile(ordered, q), 5) for q in (0.05, 0.25, 0.5, 0.75, 0.95)] \
        if ordered else []
    return {"v": logged, "n": int(state.get("n") or 0) + added, "q": quantiles}


def range_bounds(state: dict[str, Any], *, metric: str, sensitivity: float
                 ) -> tuple[float, float] | None:
    """The lowest and highest values still usual, or None before anything was learnt."""
    quantiles = state.get("q")
    if not quantiles:
        return None
    _, q1, median, q3, _ = quantiles
    spread = MIN_SPREAD.get(metric, 0.1)
    low = median - sensitivity * max(median - q1, spread)
    high = median + sensitivity * max(q3 - median, spread)
    return math.exp(low), math.exp(high)


def range_check(state: dict[str, Any], observation: Observation, *, sensitivity: float,
                min_history: int, segment_words: str = "") -> Finding | None:
    """A finding when the observation is outside the usual range (and enough was learnt)."""
    if int(state.get("n") or 0) < min_history:
        return None
    bounds = range_bounds(state, metric=observation.metric, sensitivity=sensitivity)
    if bounds is None:
        return None
    low, high = bounds
    value = observation.value
    floored = max(value, FLOOR.get(observation.metric, 0.01))
    if low <= floored <= high:
        return None
    p05, _, median, _, p95 = (math.exp(q) for q in state["q"])
    word = "above" if floored > high else "below"
    usual = f"{_amount(p05)} to {_amount(p95)}"
    where = f" {segment_words}" if segment_words else ""
    seen = min(int(state.get("n") or 0), len(state.get("v") or []))
    message = (f"{METRIC_WORDS.get(observation.metric, observation.metric)} {_amount(value)} is "
               f"far {word} the usual range{where} ({usual} for most of the last {seen} "
               f"records, typically {_amount(median)}).")
    return Finding(observation.metric, observation.segment, value, message, observation.path,
                   {"median": round(median, 4), "usual_low": round(p05, 4),
                    "usual_high": round(p95, 4), "low": round(low, 4), "high": round(high, 4),
                    "history": int(state.get("n") or 0)})


def _amount(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e9:
        return f"{int(value):,}"
    return f"{value:,.2f}"


# --- the last price of a SKU -----------------------------------------------------------------

PENDING_MATCH = 0.05   # a repeat of a flagged price within 5% confirms it


def price_learn(state: dict[str, Any], *, value: float, flagged: bool = False
                ) -> dict[str, Any]:
    """The state after a price synced. A flagged price is kept aside as pending: the next
    update that repeats it confirms the change (no second alarm), one that goes back to the
    last price is not a change at all."""
    if flagged:
        return {**state, "pending": round(float(value), 6)}
    return {"last": round(float(value), 6), "n": int(state.get("n") or 0) + 1}


def price_check(state: dict[str, Any], observation: Observation, *, change_pct: float
                ) -> Finding | None:
    """A finding when the price moved more than ``change_pct`` percent from the last one."""
    last = _number(state.get("last"))
    if last is None or last <= 0:
        return None   # nothing to compare with (a first sight, or a price that was zero)
    value = observation.value
    change = (value - last) / last * 100
    if abs(change) <= change_pct:
        return None
    pending = _number(state.get("pending"))
    if pending and abs(value - pending) <= PENDING_MATCH * pending:
        return None
    sku, _, price_list = observation.segment.partition("|")
    message = (f"Price of {sku} ({price_list}) changed from {_amount(last)} to {_amount(value)} "
               f"({change:+.0f}%), more than the {change_pct:g}% this flow expects between two "
               "updates.")
    return Finding("price", observation.segment, value, message, observation.path,
                   {"last": last, "change_pct": round(change, 1), "allowed_pct": change_pct})


# --- records per hour ------------------------------------------------------------------------

VOLUME_WINDOWS = (1, 2, 3, 6, 12)   # hours summed when looking for a drop
VOLUME_READY_HOURS = 168        # a full week, so every weekday has been seen
_HOUR_RATE = 1 / 14             # hour-of-day averages: about two weeks of memory
_DAY_RATE = 1 / 72              # weekday factors: about three weeks of that weekday's hours
_DISPERSION_RATE = 1 / 100


def volume_expected(state: dict[str, Any], *, weekday: int, hour: int) -> float:
    hours = state.get("hod") or [0.0] * 24
    num, den = state.get("dow_num") or [1.0] * 7, state.get("dow_den") or [1.0] * 7
    factors = [n / d if d > 0 else 1.0 for n, d in zip(num, den, strict=True)]
    mean = sum(factors) / 7 or 1.0
    return max(hours[hour] * factors[weekday] / mean, 0.0)


def volume_learn(state: dict[str, Any], *, weekday: int, hour: int, count: int,
                 anomalous: bool = False) -> dict[str, Any]:
    """The state after one hour's count; an anomalous hour teaches only a clipped amount, so
    an outage does not become the new normal while real growth is still followed."""
    state = {**state, "hod": list(state.get("hod") or [0.0] * 24),
             "seen": list(state.get("seen") or [0] * 24),
             "dow_num": list(state.get("dow_num") or [1.0] * 7),
             "dow_den": list(state.get("dow_den") or [1.0] * 7),
             "r2": float(state.get("r2", 0.05)), "n": int(state.get("n") or 0),
             "recent": list(state.get("recent") or [])}
    expected = volume_expected(state, weekday=weekday, hour=hour)
    learnt = float(count)
    if anomalous and expected > 0:
        learnt = min(max(learnt, expected * 0.5), expected * 2)
    num, den, seen = state["dow_num"], state["dow_den"], state["seen"][hour]
    factors = [n / d if d > 0 else 1.0 for n, d in zip(num, den, strict=True)]
    day_factor = factors[weekday] / (sum(factors) / 7 or 1.0)
    # Running means at first (every early hour counts fully), moving averages after.
    rate = max(1 / (seen + 1), _HOUR_RATE)
    deseasoned = learnt / day_factor if day_factor > 0 else learnt
    state["hod"][hour] = round(state["hod"][hour] + rate * (deseasoned - state["hod"][hour]), 4)
    state["seen"][hour] = seen + 1
    day_rate = max(1 / (state["n"] // 7 + 2), _DAY_RATE)
    num[weekday] = round((1 - day_rate) * num[weekday] + day_rate * learnt, 4)
    den[weekday] = round((1 - day_rate) * den[weekday] + day_rate * state["hod"][hour], 4)
    if not anomalous and expected >= 1:
        extra = ((count - expected) ** 2 - expected) / expected ** 2
        state["r2"] = round(min(max(state["r2"] + _DISPERSION_RATE * (extra - state["r2"]),
                                    0.01), 1.0), 5)
    state["n"] += 1
    state["recent"] = (state["recent"] + [[count, round(expected, 3)]])[-max(VOLUME_WINDOWS):]
    return state


@dataclass
class VolumeFinding:
    kind: str          # "surge" or "drop"
    hours: int
    count: int
    expected: float
    message: str


def volume_check(state: dict[str, Any], *, weekday: int, hour: int, count: int,
                 sensitivity: float, min_history: int, label: str = "records",
                 ending: str = "") -> VolumeFinding | None:
    """Whether this hour's count (with the hours before it, for a drop) is far from usual.
    ``state`` is as learnt up to the hour before; ``ending`` names the hour's end in words."""
    if int(state.get("n") or 0) < max(VOLUME_READY_HOURS, min_history):
        return None
    expected = volume_expected(state, weekday=weekday, hour=hour)
    r2 = float(state.get("r2", 0.05))
    limit = sensitivity * SIGMA_PER_SPREAD
    to = f" to {ending}" if ending else ""
    z = (count - expected) / math.sqrt(expected + r2 * expected ** 2 + 0.5)
    if z > limit and count >= 1.5 * expected + 2:
        return VolumeFinding("surge", 1, count, expected, (
            f"{count:,} {label} in the hour{to}, far more than the usual {expected:,.0f} or so "
            f"for that hour ({count / max(expected, 1):.1f}×)."))
    history = [(int(c), float(e)) for c, e in state.get("recent") or []] + [(count, expected)]
    for hours in VOLUME_WINDOWS:
        if hours > len(history):
            break
        window = history[-hours:]
        if any(c >= e for c, e in window):
            break   # a drop is every hour of the window below its usual count
        got, usual = sum(c for c, _ in window), sum(e for _, e in window)
        z = (got - usual) / math.sqrt(usual + r2 * usual ** 2 + 0.5)
        if z < -limit and got <= 0.5 * usual:
            span = "hour" if hours == 1 else f"{hours} hours"
            return VolumeFinding("drop", hours, got, usual, (
                f"{got:,} {label} in the {span}{to}, far fewer than the usual {usual:,.0f} or "
                f"so ({(1 - got / usual) * 100:.0f}% down)."))
    return None
