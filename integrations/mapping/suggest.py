"""Rank source fields as candidates for one target field, by name, type and sample value.

Plain Python (no Django). Three signals, each between 0 and 1:

- *name*: the two names as normalised tokens (``emailAddress``, ``email_address`` and
  ``EmailAddress`` are the same two words), with synonyms folded (``qty`` is ``quantity``,
  ``productCode`` is ``sku``, ``zip`` is ``postcode``). A generic last word (``value``,
  ``code``, ``magnitude``) is read with its parent, so ``currency.code`` is
  ``currency code``.
- *type*: whether the source value can become the target type (a number fits a text field
  through ``to_string``; an object never fits a text field).
- *sample*: what the sample value looks like (an email, a date, a number, a country code)
  against what the target expects from its name and schema rule (pattern, choices, length).

``suggest(target_path, rule, candidates)`` returns the best candidates with a short reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

WEIGHTS = {"name": 0.55, "type": 0.25, "value": 0.20}
MIN_SCORE = 0.45
NEUTRAL = 0.5
GENERIC_WEIGHT = 0.3

# Words that mean the same thing in field names -> one canonical word.
_WORDS: dict[str, str] = {}
for canonical, spellings in {
    "quantity": ("qty", "quantity", "quant", "qnty"),
    "sku": ("sku", "productcode", "itemcode", "stockcode", "itemnumber", "partnumber",
            "articlenumber"),
    "email": ("email", "emailaddress", "mail", "emails"),
    "postcode": ("postcode", "zip", "zipcode", "postalcode", "postal"),
    "phone": ("phone", "telephone", "tel", "phonenumber", "telephones", "phones"),
    "mobile": ("mobile", "cell", "mobilephone", "cellphone"),
    "reference": ("ref", "reference", "reference1"),
    "description": ("desc", "description", "descr"),
    "address": ("addr", "address", "addresses"),
    "number": ("no", "num", "nbr", "number", "nr"),
    "firstname": ("firstname", "fname", "givenname", "forename"),
    "lastname": ("lastname", "lname", "surname", "familyname"),
    "company": ("company", "companyname", "organisation", "organization", "org"),
    "city": ("city", "town"),
    "state": ("state", "province", "county"),
    "customer": ("customer", "cust", "client", "customers"),
    "created": ("created", "placed", "creation"),
    "modified": ("modified", "updated", "changed"),
    "tax": ("tax", "vat"),
    "currency": ("currency", "curr", "ccy"),
    "warehouse": ("warehouse", "whse", "wh"),
    "amount": ("amount", "amt"),
    "price": ("price", "prc"),
    "identifier": ("id", "identifier"),
    "product": ("product", "products", "item", "items", "article"),
    "line": ("line", "lines", "row", "rows"),
    "country": ("country", "countries"),
}.items():
    for spelling in spellings:
        _WORDS[spelling] = canonical

# Two words that together mean one thing (checked before the single words).
_PHRASES: dict[tuple[str, str], str] = {
    ("product", "code"): "sku", ("item", "code"): "sku", ("stock", "code"): "sku",
    ("item", "number"): "sku", ("part", "number"): "sku", ("article", "number"): "sku",
    ("email", "address"): "email", ("e", "mail"): "email",
    ("post", "code"): "postcode", ("postal", "code"): "postcode", ("zip", "code"): "postcode",
    ("phone", "number"): "phone", ("telephone", "number"): "phone",
    ("first", "name"): "firstname", ("given", "name"): "firstname",
    ("last", "name"): "lastname", ("family", "name"): "lastname", ("sur", "name"): "lastname",
    ("company", "name"): "company", ("mobile", "phone"): "mobile",
    ("cell", "phone"): "mobile",
}
_STOP = frozenset({"a", "an", "the", "of", "on", "at", "to", "or"})
# A last word that says little by itself; read with its parent ("currency.code").
_GENERIC = frozenset({"value", "magnitude", "code", "identifier", "name", "amount", "text",
                      "number", "type"})

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}\Z")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?"
                       r"(Z|[+-]\d{2}:?\d{2})?\Z")
_RFC_DATE = re.compile(r"[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}")
_COMPACT_DATE = re.compile(r"(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\Z")
_PHONE = re.compile(r"\+?[\d\s().-]{7,20}\Z")
_URL = re.compile(r"https?://\S+\Z")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)\Z")

_DATE_WORDS = frozenset({"date", "time", "created", "modified", "due", "dob", "birthday",
                         "timestamp", "datetime", "expires", "shipped", "delivered"})
_NUMBER_WORDS = frozenset({"quantity", "price", "amount", "total", "net", "tax", "cost",
                           "weight", "discount", "magnitude", "subtotal", "gross", "rate",
                           "qtyshppd", "balance", "paid", "value"})
_KIND_NAMES = {"email": "an email address", "date": "a date", "number": "a number",
               "boolean": "true/false", "phone": "a phone number", "url": "a web address",
               "country_code": "a country code", "currency_code": "a currency code"}
# Sample kinds that say what a field holds; text that is none of them says nothing.
_DISTINCT = frozenset({"email", "date", "phone", "url", "country_code", "currency_code"})


@dataclass(frozen=True)
class Candidate:
    """A source field: its path, its type if a schema knows it, and a sample value if seen."""

    path: str
    type: str | None = None
    sample: Any = None


@dataclass(frozen=True)
class Suggestion:
    path: str
    score: float
    reasons: tuple[str, ...]
    signals: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def suggest(target_path: str, rule: Mapping[str, Any] | None,
            candidates: Iterable[Candidate], *, limit: int = 3) -> list[Suggestion]:
    """The best ``limit`` candidates for ``target_path`` (``rows[].quantity.magnitude``),
    best first; a candidate whose type cannot fit, or that shares neither a name nor a
    telling sample value with the target, is left out."""
    rule = rule or {}
    target = _Field.of(target_path)
    expects = _expected_kinds(target, rule)
    ranked = []
    for candidate in candidates:
        scored = score(target, rule, candidate, expects=expects)
        if scored is not None:
            ranked.append(scored)
    ranked.sort(key=lambda s: (-s.score, len(s.path), s.path))
    return ranked[:limit]


def score(target: _Field | str, rule: Mapping[str, Any], candidate: Candidate, *,
          expects: frozenset[str] | None = None) -> Suggestion | None:
    """One candidate's score and reasons, or ``None`` when it is not worth suggesting."""
    if isinstance(target, str):
        target = _Field.of(target)
    if expects is None:
        expects = _expected_kinds(target, rule)
    source = _Field.of(candidate.path)
    source_type = candidate.type or _type_of(candidate.sample)
    name, name_note = _name_score(target, source)
    fit, type_note = type_fit(str(rule.get("type") or "any"), source_type, candidate.sample)
    if fit == 0:
        return None
    value, value_note, telling = _value_score(expects, rule, candidate.sample)
    if name < 0.3 and not telling:
        return None
    total = WEIGHTS["name"] * name + WEIGHTS["type"] * fit + WEIGHTS["value"] * value
    if total < MIN_SCORE:
        return None
    reasons = tuple(note for note in (name_note, type_note, value_note) if note)
    return Suggestion(candidate.path, round(total, 4), reasons,
                      {"name": round(name, 4), "type": fit, "value": value})


# --- names -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Field:
    leaf: tuple[str, ...]      # canonical tokens of the last name (with its parent if generic)
    context: tuple[str, ...]   # canonical tokens of every name on the path
    raw: tuple[str, ...]       # the last name's words as written, for "sounds like" checks
    label: str                 # the name(s) the leaf words came from, as written

    @staticmethod
    def of(path: str) -> _Field:
        return _field_of(path)


@lru_cache(maxsize=4096)
def _field_of(path: str) -> _Field:
    names = [n for n in re.split(r"[.\[\]]+", path) if n and not n.startswith("$")]
    if not names:
        return _Field((), (), (), path)
    per_name = [tokens(n) for n in names]
    leaf, label = list(per_name[-1]), names[-1]
    if len(per_name) > 1 and (not leaf or set(leaf) <= _GENERIC):
        leaf, label = list(per_name[-2]) + leaf, ".".join(names[-2:])
    context = tuple(t for part in per_name for t in part)
    raw = tuple(_split(names[-1]))
    return _Field(tuple(leaf), context, raw, label)


def tokens(name: str) -> tuple[str, ...]:
    """Canonical words of one field name: split on case, digits and punctuation, stop words
    dropped, two-word phrases and synonyms folded (``productCode`` -> ``("sku",)``)."""
    words = [w for w in _split(name) if w not in _STOP]
    folded: list[str] = []
    i = 0
    while i < len(words):
        pair = tuple(words[i:i + 2])
        if len(pair) == 2 and pair in _PHRASES:
            folded.append(_PHRASES[pair])  # type: ignore[index]
            i += 2
            continue
        folded.append(_WORDS.get(words[i], words[i]))
        i += 1
    joined = "".join(words)
    if len(words) > 1 and joined in _WORDS:  # "e_mail_address" spelled apart
        return (_WORDS[joined],)
    return tuple(dict.fromkeys(folded))


def _split(name: str) -> list[str]:
    return [w.lower() for part in re.split(r"[^A-Za-z0-9]+", name) for w in _CAMEL.findall(part)]


def _dice(a: Sequence[str], b: Sequence[str]) -> float:
    """Shared words over all words, a generic word (``id``, ``code``) counting for less: two
    ids of different things (``priceListId``, ``customer_id``) are not alike."""
    if not a or not b:
        return 0.0
    sa, sb = set(a), set(b)
    return 2 * _weight(sa & sb) / (_weight(sa) + _weight(sb))


def _weight(words: set[str]) -> float:
    return sum(GENERIC_WEIGHT if w in _GENERIC else 1.0 for w in words)


def _name_score(target: _Field, source: _Field) -> tuple[float, str]:
    leaf = _dice(target.leaf, source.leaf)
    context = _dice(target.context, source.context) * 0.9
    sounds = SequenceMatcher(None, "".join(target.raw), "".join(source.raw)).ratio()
    fuzzy = sounds * 0.8 if sounds >= 0.75 else 0.0
    best = max(leaf, context, fuzzy)
    if best == 0:
        return 0.0, ""
    # The same words around it break ties: billing.email for a billing address's email.
    best = min(1.0, best + 0.1 * _dice(target.context, source.context))
    if leaf == 1.0 and target.raw == source.raw:
        return best, "same name"
    if leaf == 1.0:
        return best, f"same meaning ({target.label} ≈ {source.label})"
    if best == fuzzy:
        return best, f"similar spelling ({target.label} ~ {source.label})"
    return best, f"similar name ({target.label} ~ {source.label})"


# --- types -----------------------------------------------------------------------------------
def _type_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float | Decimal):
        return "decimal"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "list"
    return None


_TYPE_WORDS = {"string": "text", "integer": "whole number", "decimal": "number",
               "boolean": "true/false", "object": "object", "list": "list", "any": "any"}


def type_fit(target: str, source: str | None, sample: Any = None) -> tuple[float, str]:
    """How well a ``source`` value fits a ``target`` field type: 1 same, 0 never (an object
    for a text field), in between when a transform step converts it."""
    if target in ("any", "") or source is None:
        return NEUTRAL, ""
    words = f"{_TYPE_WORDS.get(source, source)} → {_TYPE_WORDS.get(target, target)}"
    if source == target:
        return 1.0, "same type"
    if source == "any":
        return NEUTRAL, ""
    containers = {"object", "list"}
    if target in containers or source in containers:
        return 0.0, ""
    if target == "decimal" and source == "integer":
        return 0.9, words
    if target == "string":
        return 0.7, f"{words} (to_string)"
    if target in ("integer", "decimal"):
        if source == "decimal":  # integer target
            return 0.5, f"{words} (to_int after a round step)"
        if source == "string":
            numeric = isinstance(sample, str) and _NUMBER.match(sample.strip()) is not None
            return (0.7, f"{words} (numeric text)") if numeric else (0.3, words)
        return 0.3, words
    if target == "boolean":
        return 0.4, f"{words} (to_bool)"
    return 0.3, words


# --- sample values ---------------------------------------------------------------------------
def value_kinds(value: Any) -> frozenset[str]:
    """What a sample value looks like: email, date, number, boolean, phone, url,
    country_code, currency_code (several may apply: ``"SEK"`` is also text)."""
    if isinstance(value, bool):
        return frozenset({"boolean"})
    if isinstance(value, int | float | Decimal):
        kinds = {"number"}
        if isinstance(value, int) and _COMPACT_DATE.match(str(value)):
            kinds.add("date")
        if isinstance(value, int) and 946684800 <= value <= 4102444800:  # unix seconds 2000-2100
            kinds.add("date")
        return frozenset(kinds)
    if not isinstance(value, str):
        return frozenset()
    text = value.strip()
    if not text:
        return frozenset()
    kinds: set[str] = set()
    if _EMAIL.match(text):
        kinds.add("email")
    elif _URL.match(text):
        kinds.add("url")
    elif _ISO_DATE.match(text) or _RFC_DATE.match(text) or _COMPACT_DATE.match(text):
        kinds.add("date")
    elif _NUMBER.match(text):
        kinds.add("number")
    elif _PHONE.match(text) and sum(c.isdigit() for c in text) >= 7:
        kinds.add("phone")
    if text.lower() in ("true", "false", "yes", "no"):
        kinds.add("boolean")
    if text.isalpha() and text.isupper() and len(text) in (2, 3):
        kinds.add("currency_code" if len(text) == 3 else "country_code")
        if len(text) == 3:
            kinds.add("country_code")  # ISO-3 country or ISO-4217 currency: both look alike
    return frozenset(kinds)


def _expected_kinds(target: _Field, rule: Mapping[str, Any]) -> frozenset[str]:
    words = set(target.leaf) | set(target.raw)
    kinds: set[str] = set()
    if "email" in words:
        kinds.add("email")
    if words & _DATE_WORDS or target.raw[-1:] in (("on",), ("at",)) or str(
            rule.get("pattern") or "").startswith(r"\d{4}"):
        kinds.add("date")
    if "phone" in words or "mobile" in words or "fax" in words:
        kinds.add("phone")
    if "url" in words or "website" in words or "web" in words:
        kinds.add("url")
    if "country" in words and (words & {"iso", "code", "2", "3", "iso2", "iso3"}
                               or rule.get("max_length") in (2, 3)):
        kinds.add("country_code")
    if "currency" in words:
        kinds.add("currency_code")
    if not kinds and (words & _NUMBER_WORDS or rule.get("type") in ("integer", "decimal")):
        kinds.add("number")
    if rule.get("type") == "boolean":
        kinds.add("boolean")
    return frozenset(kinds)


def _value_score(expects: frozenset[str], rule: Mapping[str, Any], sample: Any
                 ) -> tuple[float, str, bool]:
    """The sample signal, its reason, and whether it is telling enough to suggest a field
    whose name shares nothing with the target (an email-looking value for ``email``, not any
    number for a quantity)."""
    if sample is None or sample == "" or isinstance(sample, dict | list):
        return NEUTRAL, "", False
    shown = _short(sample)
    choices = rule.get("choices")
    if choices:
        if sample in choices or str(sample) in {str(c) for c in choices}:
            return 1.0, f"sample {shown} is an allowed value", True
        return 0.1, f"sample {shown} is not an allowed value", False
    pattern = rule.get("pattern")
    if pattern and isinstance(sample, str):
        try:
            matches = re.fullmatch(pattern, sample.strip()) is not None
        except re.error:
            matches = False
        if matches:
            return 1.0, f"sample {shown} matches the field's format", True
    kinds = value_kinds(sample)
    most = rule.get("max_length")
    long_text = isinstance(sample, str) and isinstance(most, int) and len(sample) > most
    if expects & kinds:
        kind = sorted(expects & kinds)[0]
        return ((0.8 if long_text else 1.0), f"sample {shown} looks like {_KIND_NAMES[kind]}",
                kind in _DISTINCT)
    if expects:
        return 0.0, f"sample {shown} is not {_KIND_NAMES[sorted(expects)[0]]}", False
    if kinds & _DISTINCT:
        kind = sorted(kinds & _DISTINCT)[0]
        return 0.3, f"sample {shown} looks like {_KIND_NAMES[kind]}", False
    if long_text:
        return 0.3, f"sample {shown} is longer than {most} characters", False
    return NEUTRAL, "", False


def _short(value: Any) -> str:
    text = str(value)
    if isinstance(value, str):
        text = repr(text if len(text) <= 24 else text[:21] + "...")
    return text
