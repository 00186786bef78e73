"""Type conversions shared by transforms, arithmetic and conditions.

Money is :class:`decimal.Decimal` end to end so no float drift creeps in: JSON floats are read
through their shortest ``repr`` (``0.1`` becomes ``Decimal("0.1")``, not
``0.1000000000000000055...``), strings are parsed exactly, and NaN/Infinity are refused.
"""

from __future__ import annotations

from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    InvalidOperation,
)
from typing import Any

from integrations.mapping.problems import Fail

ROUNDING_MODES: dict[str, str] = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "half_down": ROUND_HALF_DOWN,
    "up": ROUND_UP,
    "down": ROUND_DOWN,
    "ceiling": ROUND_CEILING,
    "floor": ROUND_FLOOR,
}

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "on"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "off", ""})


def type_name(value: Any) -> str:
    """The JSON-ish name of a value's type, for messages users read."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list | tuple):
        return "list"
    return type(value).__name__


def show(value: Any, limit: int = 40) -> str:
    """A short quoted rendering of a value for a problem message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def to_decimal(value: Any) -> Decimal:
    cls = value.__class__
    if cls is Decimal:
        result = value
    elif cls is str:
        try:
            result = Decimal(value)  # Decimal itself ignores surrounding whitespace
        except InvalidOperation:
            raise Fail("to_decimal", f"{show(value)} is not a number") from None
    elif cls is int:
        return Decimal(value)
    elif cls is float:
        result = Decimal(repr(value))
    else:
        raise Fail("to_decimal", f"expected a number, got {type_name(value)} {show(value)}")
    if not result.is_finite():
        raise Fail("to_decimal", f"{show(value)} is not a finite number")
    return result


def to_int(value: Any) -> int:
    if value.__class__ is int:
        return value
    if isinstance(value, bool):
        raise Fail("to_int", f"expected a whole number, got boolean {show(value)}")
    number = to_decimal(value)
    if number != number.to_integral_value():
        raise Fail("to_int", f"{show(value)} is not a whole number")
    return int(number)


def to_bool(value: Any, true_words: frozenset[str], false_words: frozenset[str]) -> bool:
    if value is True or value is False:
        return value
    if isinstance(value, int | float | Decimal):
        if value in (0, 1):
            return bool(value)
        raise Fail("to_bool", f"number {show(value)} is neither 0 nor 1")
    if isinstance(value, str):
        word = value.strip().lower()
        if word in true_words:
            return True
        if word in false_words:
            return False
        raise Fail("to_bool", f"{show(value)} is not a recognised yes/no value")
    raise Fail("to_bool", f"expected a yes/no value, got {type_name(value)}")


def to_text(value: Any) -> str:
    cls = value.__class__
    if cls is str:
        return value
    if cls is int:
        return str(value)
    if cls is bool:
        return "true" if value else "false"
    if cls is Decimal:
        # "f" keeps 1E+2 as "100": target systems do not parse exponent notation.
        return format(value, "f")
    if cls is float:
        return format(Decimal(repr(value)), "f")
    raise Fail("to_string", f"cannot turn {type_name(value)} into text")


def key_text(value: Any) -> str:
    """How a source value is matched against lookup-table keys (which are JSON strings)."""
    cls = value.__class__
    if cls is str:
        return value
    if cls is float and value.is_integer():
        return str(int(value))
    if cls is Decimal and value == value.to_integral_value():
        return str(int(value))
    return to_text(value)


def literal(value: Any) -> Any:
    """A literal from a document, with JSON floats made exact decimals."""
    if isinstance(value, float):
        return Decimal(repr(value))
    return value
