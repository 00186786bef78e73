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
from dataclasses import dataclass, field, replace
from decimal import Decimal
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from integrations.mapping.suggest_memory import MappingMemory

WEIGHTS = {"name": 0.55, "type": 0.25, "value": 0.20}
MIN_SCORE = 0.45
# The rest of the mapping and known mappings, blended with the three signals above when they
# say anything (tuned on four pairs, SYSPRO held out: see bench/eval_suggest.py).
WEIGHT_MEMORY = 0.4
WEIGHT_CONTEXT = 0.1
REUSED_PENALTY = 0.05
MEMORY_ADMIT = 0.03     # a known mapping's share that lets in a field no name links
SIBLING_BASE = 0.25     # a sibling's weight before its name's likeness to the target's
LINE_SHARE = 0.5        # a line's nested field, when the siblings read another of its parts
NEUTRAL = 0.5
GENERIC_WEIGHT = 0.3

# Words that mean the same thing in field names -> one canonical word.
_WORDS: dict[str, str] = {}
for canonical, spellings in {
    "quantity": ("qty", "quantity", "quant", "qnty"),
    "sku": ("sku", "productcode", "itemcode", "stockcode", "itemnumber", "partnumber",
            "articlenumber", "stockkeepingunit"),
    "barcode": ("barcode", "ean", "upc", "gtin", "upccode", "ean13", "isbn"),
    "email": ("email", "emailaddress", "mail", "emails"),
    "postcode": ("postcode", "zip", "zipcode", "postalcode", "postal"),
    "phone": ("phone", "telephone", "tel", "phonenumber", "telephones", "phones"),
    "mobile": ("mobile", "cell", "mobilephone", "cellphone", "mob"),
    "description": ("desc", "description", "descr"),
    "address": ("addr", "address", "addresses"),
    # A record's number is its key, as an id is: GP CUSTNMBR and Brightpearl contactId.
    "identifier": ("id", "identifier", "no", "num", "nbr", "number", "nr", "numb", "nmbr",
                   "numbe"),
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
    "amount": ("amount", "amt"),
    "supplier": ("supplier", "vendor", "vend", "vnd", "suppliers"),
    "warehouse": ("warehouse", "whse", "wh", "location", "locn", "site"),
    "street": ("street", "streetaddress"),
    "price": ("price", "prc", "prce"),
    "reference": ("ref", "reference", "reference1", "refrence"),
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
    ("cell", "phone"): "mobile", ("mobile", "telephone"): "mobile",
    ("shipping", "method"): "shippingmethod", ("ship", "method"): "shippingmethod",
    # The date of an order or document is the day it was placed.
    ("order", "date"): "created", ("document", "date"): "created", ("doc", "date"): "created",
    ("transaction", "date"): "created", ("purchase", "date"): "created",
    ("full", "name"): "fullname",
    ("price", "book"): "pricelist", ("price", "list"): "pricelist",
    # The name of a customer or supplier account is its company's name.
    ("customer", "name"): "company", ("supplier", "name"): "company",
    ("account", "name"): "company",
}

# Vendor field codes read as the words they stand for (from the vendors' own field lists):
# Infor M3's two-plus-two letter codes, Dynamics GP's eConnect names, and Brightpearl's
# numbered address lines and communication keys. Meanings only: no source field is named.
_CODES: dict[str, str] = {
    # Infor M3
    "cuno": "customer number", "cunm": "customer name", "cua1": "address line 1",
    "cua2": "address line 2", "cua3": "address line 3", "cua4": "address line 4",
    "cuor": "customer order number", "cucd": "currency code", "cscd": "country code",
    "cudt": "customer requested date", "itno": "item number", "itds": "item name",
    "fuds": "item description", "itgr": "item group", "ittp": "item type",
    "orqt": "ordered quantity", "orqa": "ordered quantity", "sapr": "sales price",
    "pupr": "purchase price", "newe": "net weight", "grwe": "gross weight",
    "dip1": "discount percent", "whlo": "warehouse", "ortp": "order type",
    "ordt": "order date", "dwdt": "requested delivery date", "rldt": "requested delivery date",
    "pudt": "purchase order date", "acdt": "accounting date", "town": "city",
    "pono": "postal code", "phno": "phone number", "phn2": "phone number 2", "emal": "email",
    "yref": "your reference", "yre1": "your reference", "suno": "supplier number",
    "sunm": "supplier name", "adr1": "address line 1", "adr2": "address line 2",
    "stat": "status", "vdsc": "voucher text", "ecar": "state", "stqt": "on hand quantity",
    "alqt": "allocated quantity", "avqt": "available quantity", "puno": "purchase order number",
    "ponr": "line number", "faci": "facility", "modl": "delivery method",
    "tedl": "delivery terms", "tepy": "payment terms", "pycd": "payment method",
    "rorn": "reference order number", "alun": "unit", "unms": "unit",
    # Microsoft Dynamics GP (eConnect)
    "custnmbr": "customer number", "custname": "customer name", "cntcprsn": "contact person",
    "itemnmbr": "item number", "itemdesc": "item description", "itmshnam": "item short name",
    "itmclscd": "item class code", "locncode": "location code", "qtyshppd": "quantity shipped",
    "qtyonhnd": "on hand quantity", "docdate": "document date", "docnumbr": "document number",
    "docid": "document type", "sopnumbe": "sales order number", "soptype": "sales order type",
    "curncyid": "currency code", "cstponbr": "customer purchase order number",
    "prmdate": "promised delivery date", "reqdate": "requested delivery date",
    "glpostdt": "posting date", "chekbkid": "checkbook", "cheknmbr": "check number",
    "crcardid": "credit card", "cshrctyp": "cash receipt type",
    "trxdscrn": "transaction description", "orignumb": "original number",
    "xtndprce": "extended price", "unitcost": "unit cost", "unitprce": "unit price",
    "taxamnt": "tax amount", "shipmthd": "shipping method", "shrtname": "short name",
    "stmtname": "statement name", "phnumbr1": "phone number", "phnumbr2": "phone number 2",
    "phone1": "phone number", "phone2": "phone number 2", "inet1": "email",
    "zipcode": "postal code", "ccode": "country code", "crlmtamt": "credit limit amount",
    "pymtrmid": "payment terms", "vendorid": "supplier number", "vendname": "supplier name",
    "vendshnm": "supplier short name", "vndchknm": "supplier check name",
    "vndcntct": "supplier contact", "vnddocnm": "supplier document number",
    "poprctnm": "receipt number", "ponumber": "purchase order number",
    "actnumst": "account number", "address1": "address line 1", "address2": "address line 2",
    "address3": "address line 3", "uofm": "unit", "docamnt": "document amount",
    "ortrxamt": "amount", "prclevel": "price level", "itemtype": "item type",
    "receiptdate": "receipt date",
    # Brightpearl: address lines 3 and 4 are the town and the county/state.
    "addressline1": "address line 1 street", "addressline2": "address line 2 street",
    "addressline3": "city",
    "addressline4": "state",
}
# The last name of a path that is a role (a Brightpearl key such as PRI or BIL): the field is
# its parent, in that role.
_ROLE_KEYS = {"pri": "primary", "def": "primary", "bil": "billing", "del": "delivery",
              "sec": "secondary"}
_ROLES = {"billing": "billing", "bill": "billing", "invoice": "billing", "billto": "billing",
          "delivery": "delivery", "shipping": "delivery", "ship": "delivery",
          "shipto": "delivery", "mailing": "primary", "default": "primary",
          "primary": "primary", "secondary": "secondary"}
_STOP = frozenset({"a", "an", "the", "of", "on", "at", "to", "or"})
# A last word that says little by itself; read with its parent ("currency.code").
_GENERIC = frozenset({"value", "magnitude", "code", "identifier", "name", "amount", "text", "iso",
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
    rule: dict[str, Any] | None = field(default=None, compare=False)   # the rule to use

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def suggest(target_path: str, rule: Mapping[str, Any] | None,
            candidates: Iterable[Candidate] | list[Candidate], *, limit: int = 3,
            record: Iterable[str] = (), mapped: Mapping[str, Sequence[str]] | None = None,
            memory: MappingMemory | None = None, systems: tuple[str, str] = ("", "")
            ) -> list[Suggestion]:
    """The best ``limit`` candidates for ``target_path`` (``rows[].quantity.magnitude``),
    best first; a candidate whose type cannot fit, or that shares neither a name nor a
    telling sample value with the target (nor is read for it in known mappings), is left
    out.

    ``record`` names the source record (its system and entity, e.g. ``("brightpearl",
    "order")``): a target named after it (``Brightpearl_Id__c``, an order number) is the
    record's own id (``id``, ``contactId``).

    ``mapped`` is the rest of the mapping (target path -> the source paths its rule reads,
    as :func:`~integrations.mapping.suggest_memory.document_sources` gives them): fields
    beside the target that read one source object make that object likely, and a source
    field another field already reads is less likely. ``memory`` is what known mappings
    read for fields like this one, between ``systems`` (source system, target system)."""
    rule = rule or {}
    target = _Field.of(target_path)
    expects = _expected_kinds(target, rule)
    words = frozenset(w for name in record for w in tokens(str(name)))
    own = _wants_own_id(target, words)
    in_lines = "[]" in target_path
    candidates = list(candidates)
    knows = memory is not None and memory.knows(systems[1], target_path, systems[0])
    ranked = []
    for candidate in candidates:
        scored = score(target, rule, candidate, expects=expects)
        source = _Field.of(candidate.path)
        if own and _is_own_id(source, words, header=in_lines):
            scored = _as_own_id(scored, target, rule, candidate)
        if scored is None and knows:
            # A field known mappings read for this target, whatever its name says.
            remembered, _ = memory.score(systems[1], target_path, systems[0], candidate.path)
            if remembered >= MEMORY_ADMIT:
                scored = score(target, rule, candidate, expects=expects, strict=False)
        if scored is not None:
            if in_lines and source.header:
                # A line's own field before the record's field of the same name.
                scored = replace(scored, score=round(scored.score * 0.92, 4))
            ranked.append(scored)
    ranked = _with_full_names(target, rule, ranked, candidates)
    context = _Context.of(target_path, mapped) if mapped else None
    if knows or (context is not None and context.siblings):
        aligned = _aligned(context, ranked) if context is not None else {}
        ranked = [_with_context(s, target_path, context, aligned.get(s.path),
                                memory if knows else None, systems) for s in ranked]
    ranked.sort(key=lambda s: (-s.score, len(s.path), s.path))
    return ranked[:limit]


def candidate_signals(target_path: str, rule: Mapping[str, Any] | None,
                      candidates: Iterable[Candidate], *, record: Iterable[str] = (),
                      mapped: Mapping[str, Sequence[str]] | None = None) -> list[Suggestion]:
    """Every candidate whose type can fit ``target_path``, weak ones included, with the
    signals the hand weights combine (the memory aside: it is read per memory, see
    :mod:`integrations.mapping.suggest_model`) and a few more in ``signals``: ``kept``
    (the hand ranker would consider it), ``own_id``, ``header`` (a record field read from a
    line), ``full_name``, ``context`` / ``sibling_share`` (the aligned and the raw share of
    the fields beside the target reading its object) and ``reused``. The score is the three
    signals' weighted sum, as :func:`score` gives it."""
    rule = rule or {}
    target = _Field.of(target_path)
    expects = _expected_kinds(target, rule)
    words = frozenset(w for name in record for w in tokens(str(name)))
    own = _wants_own_id(target, words)
    in_lines = "[]" in target_path
    candidates = list(candidates)
    rows = []
    for candidate in candidates:
        found = _scored(target, rule, candidate, expects)
        if found is None:
            continue
        scored, kept = found
        source = _Field.of(candidate.path)
        extra = {"kept": float(kept)}
        if own and _is_own_id(source, words, header=in_lines):
            extra["own_id"] = 1.0
            scored = _as_own_id(scored, target, rule, candidate) or scored
        if in_lines and source.header:
            extra["header"] = 1.0
            scored = replace(scored, score=round(scored.score * 0.92, 4))
        rows.append(replace(scored, signals={**scored.signals, **extra}))
    held = {row.path: row for row in rows}
    for joined in _with_full_names(target, rule, rows, candidates):
        if joined is not held.get(joined.path):
            before = held[joined.path].signals if joined.path in held else {}
            held[joined.path] = replace(joined, signals={
                "type": NEUTRAL, "value": NEUTRAL, **before, **joined.signals,
                "full_name": 1.0, "kept": 1.0})
    rows = list(held.values())
    context = _Context.of(target_path, mapped) if mapped else None
    if context is None:
        return rows
    aligned = _aligned(context, rows)
    out = []
    for row in rows:
        signals, reasons = dict(row.signals), row.reasons
        if context.siblings:
            share, note = aligned.get(row.path, (NEUTRAL, ""))
            signals["context"] = round(share, 4)
            signals["sibling_share"] = round(context.alignment(row.path)[0], 4)
            reasons += (note,) if note else ()
        if context.reused(row.path):
            signals["reused"] = 1.0
            reasons += ("already read by another field",)
        out.append(replace(row, signals=signals, reasons=reasons))
    return out


# --- the rest of the mapping and known mappings -----------------------------------------------
@dataclass(frozen=True)
class _Context:
    """What the rest of the mapping says about one target field."""

    siblings: tuple[tuple[float, str], ...]   # (weight, source parent) of fields beside it
    used: frozenset[tuple[str, str]]          # source fields other fields read, by scope
    scope: str                                # the target's lines (``rows[]``) or ""

    @staticmethod
    def of(target_path: str, mapped: Mapping[str, Sequence[str]]) -> _Context:
        parent = _target_parent(target_path)
        scope = _scope(target_path)
        target = _Field.of(target_path)
        siblings = []
        used: set[tuple[str, str]] = set()
        for path, sources in mapped.items():
            if path == target_path:
                continue
            if isinstance(sources, str):
                sources = (sources,)
            other_scope = _scope(path)
            if other_scope == scope:
                # Within one scope only: a line reading the header's date or key again
                # ($root.placedOn) is how lines are made, not a sign of a wrong choice.
                used.update(_resolved(other_scope, source) for source in sources)
            if _target_parent(path) != parent or not sources:
                continue
            # A sibling named like the target (ADDRESS2 beside ADDRESS1) says more about it.
            other = _Field.of(path)
            weight = SIBLING_BASE + _dice(target.context, other.context)
            for source in sources:
                siblings.append((weight / len(sources), _source_parent(source)))
        return _Context(tuple(siblings), frozenset(used), scope)

    def alignment(self, path: str) -> tuple[float, str]:
        """The share of the fields beside the target (weighted by how alike they are) that
        read from the same source object as ``path``."""
        total = sum(weight for weight, _ in self.siblings)
        if not total:
            return 0.0, ""
        parent = _source_parent(path)
        same = sum(weight for weight, other in self.siblings if other == parent)
        if self.scope:
            # A field of each line reads the line's fields (its own parent, or nested in it).
            same += LINE_SHARE * sum(weight for weight, other in self.siblings
                                     if other != parent and not other.startswith("$root")
                                     and not parent.startswith("$root"))
        share = same / total
        where = parent or ("the line" if self.scope else "the record")
        return share, (f"fields beside it read {where}" if share >= 0.34 else "")

    def reused(self, path: str) -> bool:
        return _resolved(self.scope, path) in self.used


def _aligned(context: _Context, ranked: list[Suggestion]) -> dict[str, tuple[float, str]]:
    """The context signal of each suggestion: among fields of the same name (``city`` of the
    billing, the delivery or the customer's address; ``$root.id`` and a line's ``id``), the
    one read from where the fields beside the target read scores 1 and the others their
    share of it; a field with no namesake gets the neutral value (the context does not
    choose between different names: the name signal does)."""
    if not context.siblings:
        return {}
    groups: dict[tuple[str, ...], list[tuple[str, float, str]]] = {}
    for suggestion in ranked:
        share, note = context.alignment(suggestion.path)
        groups.setdefault(_Field.of(suggestion.path).leaf, []).append(
            (suggestion.path, share, note))
    found = {}
    for members in groups.values():
        best = max(share for _, share, _ in members)
        for path, share, note in members:
            if len(members) == 1 or best == 0:
                found[path] = (NEUTRAL, "")
            else:
                found[path] = (share / best, note if share == best else "")
    return found


def _with_context(suggestion: Suggestion, target_path: str, context: _Context | None,
                  aligned: tuple[float, str] | None, memory: MappingMemory | None,
                  systems: tuple[str, str]) -> Suggestion:
    """The suggestion's score with the mapping's context and known mappings blended in."""
    weights = {"base": 1.0}
    signals = dict(suggestion.signals)
    reasons = list(suggestion.reasons)
    parts = {"base": suggestion.score}
    if memory is not None:
        remembered, note = memory.score(systems[1], target_path, systems[0], suggestion.path)
        weights["memory"], parts["memory"] = WEIGHT_MEMORY, remembered
        signals["memory"] = round(remembered, 4)
        if note:
            reasons.append(note)
    if aligned is not None:
        share, note = aligned
        weights["context"], parts["context"] = WEIGHT_CONTEXT, share
        signals["context"] = round(share, 4)
        if note:
            reasons.append(note)
    weights["base"] = 1.0 - sum(w for k, w in weights.items() if k != "base")
    total = sum(weights[k] * parts[k] for k in parts)
    if context is not None and context.reused(suggestion.path):
        total *= 1.0 - REUSED_PENALTY
        reasons.append("already read by another field")
        signals["reused"] = 1.0
    return replace(suggestion, score=round(total, 4), reasons=tuple(reasons), signals=signals)


def _target_parent(path: str) -> str:
    return path.rpartition(".")[0]


def _scope(target_path: str) -> str:
    """The lines a target field is in (``rows[]`` for ``rows[].quantity.magnitude``)."""
    head, found, _ = target_path.rpartition("[].")
    return head + "[]" if found else ""


def _resolved(scope: str, source: str) -> tuple[str, str]:
    """A source path as the field of the record it is: ``$root.id`` read in a line is the
    header's ``id``."""
    if source.startswith("$root."):
        return "", re.sub(r"\[\d+\]", "[0]", source.removeprefix("$root."))
    return scope, re.sub(r"\[\d+\]", "[0]", source)


def _source_parent(source: str) -> str:
    return re.sub(r"\[\d+\]", "[0]", source).rpartition(".")[0]


def _with_full_names(target: _Field, rule: Mapping[str, Any], ranked: list[Suggestion],
                     candidates: list[Candidate]) -> list[Suggestion]:
    """For a full-name target (``addressFullName``, a contact's ``Name``), a first name with
    a last name beside it: the two joined (the rule comes from :func:`with_rules`)."""
    if not _wants_full_name(target):
        return ranked
    by_parent: dict[str, dict[tuple[str, ...], Candidate]] = {}
    for candidate in candidates:
        leaf = _Field.of(candidate.path).leaf
        if leaf in (_FIRST, _LAST):
            by_parent.setdefault(candidate.path.rpartition(".")[0], {})[leaf] = candidate
    held = {s.path: s for s in ranked}
    for pair in by_parent.values():
        first = pair.get(_FIRST)
        if first is None or _LAST not in pair:
            continue
        fit, _ = type_fit(str(rule.get("type") or "any"), "string")
        context = _dice(target.context, _Field.of(first.path).context)
        total = round(WEIGHTS["name"] * min(1.0, 0.85 + 0.1 * context)
                      + WEIGHTS["type"] * fit + WEIGHTS["value"] * NEUTRAL, 4)
        if first.path not in held or held[first.path].score < total:
            held[first.path] = Suggestion(first.path, total, (
                "first and last name together make a full name",), {"name": 0.85})
    return list(held.values())


def _wants_full_name(target: _Field) -> bool:
    return "fullname" in target.leaf or (target.raw == ("name",) and target.depth == 1)


# Words that make an id the record's own: its number in another system or as a document.
_OWN = frozenset({"external", "document"})
_WRAPPERS = frozenset({"hdr", "header", "head"})


def _wants_own_id(target: _Field, record: frozenset[str]) -> bool:
    """``Brightpearl_Id__c``, ``externalRef``, an order's ``SOPNUMBE``: the source record's
    own id. Not inside another object (``Account.Brightpearl_Id__c`` is the account's)."""
    if target.depth > 1 and not set(target.context[:-len(target.leaf) or None]) & _WRAPPERS:
        return False
    leaf = set(target.leaf)
    key = {"identifier"} if "identifier" in leaf else {"reference"} if {
        "external", "reference"} <= leaf else set()
    rest = leaf - key
    return bool(key) and bool(rest) and rest <= record | _OWN


def _is_own_id(source: _Field, record: frozenset[str], *, header: bool) -> bool:
    if source.depth != 1 or source.header != header:
        return False
    rest = set(source.leaf) - {"identifier"}
    return "identifier" in source.leaf and rest <= record


def _as_own_id(scored: Suggestion | None, target: _Field, rule: Mapping[str, Any],
               candidate: Candidate) -> Suggestion | None:
    fit, note = type_fit(str(rule.get("type") or "any"), candidate.type or _type_of(
        candidate.sample), candidate.sample)
    if fit == 0:
        return scored
    total = round(WEIGHTS["name"] * 0.95 + WEIGHTS["type"] * fit + WEIGHTS["value"] * NEUTRAL
                  + (0.02 if _Field.of(candidate.path).leaf == ("identifier",) else 0), 4)
    if scored is not None and scored.score >= total:
        return scored
    reasons = (f"the record's own id ({target.label} names the source record)",
               *((note,) if note else ()))
    return Suggestion(candidate.path, total, reasons, {"name": 0.95, "type": fit,
                                                       "value": NEUTRAL})


def score(target: _Field | str, rule: Mapping[str, Any], candidate: Candidate, *,
          expects: frozenset[str] | None = None, strict: bool = True) -> Suggestion | None:
    """One candidate's score and reasons, or ``None`` when it is not worth suggesting
    (with ``strict=False``, only when its type can never fit)."""
    if isinstance(target, str):
        target = _Field.of(target)
    found = _scored(target, rule, candidate,
                    _expected_kinds(target, rule) if expects is None else expects)
    if found is None or (strict and not found[1]):
        return None
    return found[0]


def _scored(target: _Field, rule: Mapping[str, Any], candidate: Candidate,
            expects: frozenset[str]) -> tuple[Suggestion, bool] | None:
    """A candidate's score and whether it is worth suggesting on its own (its name shares
    something with the target's, or its sample is telling, and its score reaches
    ``MIN_SCORE``); ``None`` when its type can never fit."""
    source = _Field.of(candidate.path)
    source_type = candidate.type or _type_of(candidate.sample)
    name, name_note = _name_score(target, source)
    fit, type_note = type_fit(str(rule.get("type") or "any"), source_type, candidate.sample)
    if fit == 0:
        return None
    value, value_note, telling = _value_score(expects, rule, candidate.sample)
    total = WEIGHTS["name"] * name + WEIGHTS["type"] * fit + WEIGHTS["value"] * value
    kept = not (name < 0.3 and not telling) and total >= MIN_SCORE
    reasons = tuple(note for note in (name_note, type_note, value_note) if note)
    return Suggestion(candidate.path, round(total, 4), reasons,
                      {"name": round(name, 4), "type": fit, "value": value,
                       "telling": float(telling)}), kept


# --- names -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Field:
    leaf: tuple[str, ...]      # canonical tokens of the last name (with its parent if generic)
    context: tuple[str, ...]   # canonical tokens of every name on the path
    raw: tuple[str, ...]       # the last name's words as written, for "sounds like" checks
    label: str                 # the name(s) the leaf words came from, as written
    roles: frozenset[str] = frozenset()   # billing / delivery / primary, anywhere on the path
    depth: int = 1             # how many names the path has (``$root.`` not counted)
    header: bool = False       # ``$root.…``: a field of the whole record, read from a line

    @staticmethod
    def of(path: str) -> _Field:
        return _field_of(path)


@lru_cache(maxsize=4096)
def _field_of(path: str) -> _Field:
    header = path.startswith("$root.")
    names = [n for n in re.split(r"[.\[\]]+", path) if n and not n.startswith("$")
             and not n.isdigit()]
    if not names:
        return _Field((), (), (), path)
    names = [n[:-3] if n.endswith("__c") else n for n in names]  # Salesforce custom suffix
    roles: set[str] = set()
    per_name = []
    for name in names:
        words = tokens(name)
        key = name.lower()
        if key in _ROLE_KEYS:
            roles.add(_ROLE_KEYS[key])
            words = ()
        found = {_ROLES[w] for w in words if w in _ROLES}
        roles |= found
        kept = tuple(w for w in words if w not in _ROLES)
        per_name.append(kept if kept else words if not found else ())
    leaf_at = len(per_name) - 1
    while leaf_at > 0 and not per_name[leaf_at]:
        leaf_at -= 1  # communication.telephones.PRI: the field is the telephone
    leaf, label = list(per_name[leaf_at]), names[leaf_at]
    if leaf_at > 0 and (not leaf or set(leaf) <= _GENERIC):
        leaf, label = list(per_name[leaf_at - 1]) + leaf, ".".join(names[leaf_at - 1:leaf_at + 1])
    context = tuple(t for part in per_name for t in part)
    raw = tuple(_split(names[-1]))
    return _Field(tuple(dict.fromkeys(leaf)), context, raw, label, frozenset(roles),
                  len(names), header)


def tokens(name: str) -> tuple[str, ...]:
    """Canonical words of one field name: split on case, digits and punctuation, stop words
    dropped, vendor codes read as words (``CUNO`` -> customer number), two-word phrases and
    synonyms folded (``productCode`` -> ``("sku",)``)."""
    code = re.sub(r"[^a-z0-9]", "", name.lower())
    words = [w for w in (_CODES[code].split() if code in _CODES else _split(name))
             if w not in _STOP]
    folded: list[str] = []
    i = 0
    while i < len(words):
        pair = tuple(words[i:i + 2])
        if len(pair) == 2 and pair in _PHRASES:
            folded.append(_PHRASES[pair])  # type: ignore[index]
            i += 2
            continue
        folded.append(_WORDS.get(words[i], _singular(words[i])))
        i += 1
    joined = "".join(words)
    if len(words) > 1 and joined in _WORDS:  # "e_mail_address" spelled apart
        return (_WORDS[joined],)
    return tuple(dict.fromkeys(folded))


def _singular(word: str) -> str:
    """``terms`` is ``term`` (not ``status`` or ``address``)."""
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _split(name: str) -> list[str]:
    return [w.lower() for part in re.split(r"[^A-Za-z0-9]+", name) for w in _CAMEL.findall(part)]


def _dice(a: Sequence[str], b: Sequence[str]) -> float:
    """Shared words over all words, a generic word (``id``, ``code``) counting for less: two
    ids of different things (``priceListId``, ``customer_id``) are not alike."""
    if not a or not b:
        return 0.0
    sa, sb = set(a), set(b)
    return 2 * _weight(sa & sb) / (_weight(sa) + _weight(sb))


def _covered(words: Sequence[str], within: Sequence[str]) -> float:
    if not words:
        return 0.0
    found = set(words) & set(within)
    return _weight(found) / _weight(set(words))


def _weight(words: set[str]) -> float:
    return sum(GENERIC_WEIGHT if w in _GENERIC else 1.0 for w in words)


def _name_score(target: _Field, source: _Field) -> tuple[float, str]:
    leaf = _dice(target.leaf, source.leaf)
    context = _dice(target.context, source.context) * 0.9
    sounds = SequenceMatcher(None, "".join(target.raw), "".join(source.raw)).ratio()
    fuzzy = sounds * 0.8 if sounds >= 0.75 else 0.0
    # The target's words anywhere on the source path: CUSTNMBR (customer number) in
    # parties.customer.contactId, whatever wrapper the target sits in.
    covered = 0.9 * (0.7 * _covered(target.leaf, source.context)
                     + 0.3 * _covered(source.leaf, target.context))
    best = max(leaf, context, fuzzy, covered)
    if best == 0:
        return 0.0, ""
    # The same words around it break ties: billing.email for a billing address's email.
    best = min(1.0, (best + 0.1 * _dice(target.context, source.context))
               * _role_factor(target, source))
    if leaf == 1.0 and target.raw == source.raw:
        return best, "same name"
    if leaf == 1.0:
        return best, f"same meaning ({target.label} ≈ {source.label})"
    if best == fuzzy:
        return best, f"similar spelling ({target.label} ~ {source.label})"
    return best, f"similar name ({target.label} ~ {source.label})"


def _role_factor(target: _Field, source: _Field) -> float:
    """Billing fields for billing fields: the same role counts for, another role against;
    a field with no role reads a primary one (``Phone`` from ``telephones.PRI``) first."""
    if target.roles and source.roles:
        return 1.1 if target.roles & source.roles else 0.8
    if target.roles:
        return 0.95
    if source.roles:
        return 1.0 if source.roles <= {"primary"} else 0.9
    return 1.0


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


# --- candidates from a sample record ----------------------------------------------------------
def sample_candidates(record: Any, *, schema: Mapping[str, Any] | None = None,
                      lines: Any = None) -> list[Candidate]:
    """The source paths a rule could read, as candidates: the editor's field list (the source
    schema's fields and the sample's keys), plus the fields of a list's first item
    (``shipping_addresses[0].city``: a storefront order's one shipping address) and, for a
    field of each line (``lines`` is the ``each`` source), the header fields as ``$root.…``."""
    from integrations.mapping.editing import line_items, source_fields

    found: dict[str, Candidate] = {}
    for source in source_fields(schema, record, lines=lines):
        if not source.path.startswith("$"):
            found[source.path] = Candidate(source.path, source.type, source.sample)
    scopes = [record] if lines is None else line_items(lines, record)[:5]
    for scope in scopes:
        if isinstance(scope, dict):
            for path, value in _flat(scope, ""):
                if "[0]" in path:
                    _keep(found, path, value)
    if lines is not None and isinstance(record, dict):
        for source in source_fields(schema, record):
            if source.path != lines and not source.path.startswith(f"{lines}."):
                _keep(found, f"$root.{source.path}", source.sample, source.type)
    return list(found.values())


def _keep(found: dict[str, Candidate], path: str, value: Any, kind: str | None = None) -> None:
    held = found.get(path)
    if held is None or (held.sample in (None, "") and value not in (None, "")):
        found[path] = Candidate(path, kind or (held.type if held else None), value)


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _flat(value: Any, parent: str, depth: int = 0) -> Iterable[tuple[str, Any]]:
    if depth > 5:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not _KEY.match(str(key)):
                continue  # a row id ("1002"): reached through the lines, not by name
            path = f"{parent}.{key}" if parent else str(key)
            yield path, item
            yield from _flat(item, path, depth + 1)
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        yield from _flat(value[0], f"{parent}[0]", depth + 1)


def rule_check(rule: Any, *, lines: Any = None) -> list[str]:
    """What the mapping engine says about ``rule`` as one field's rule (inside the lines of
    ``lines`` when given): ``[]`` when it compiles."""
    from integrations.mapping import validate_document

    spec = rule if lines is None else {"each": lines, "fields": {"value": rule}}
    document = {"format_version": 1, "name": "suggestion", "fields": {"value": spec}}
    return [str(problem) for problem in validate_document(document, schema=None)]


# --- the rule to use: a likely transform for the chosen source field --------------------------
RFC2822 = "%a, %d %b %Y %H:%M:%S %z"
_FIRST, _LAST = ("firstname",), ("lastname",)


def with_rules(target_path: str, rule: Mapping[str, Any] | None,
               suggestions: Sequence[Suggestion], candidates: Sequence[Candidate]
               ) -> list[Suggestion]:
    """Each suggestion with the rule to map it by (``Suggestion.rule``): a date format
    conversion, a number or text conversion, a lookup onto the target's allowed values, a cut
    to the target's length, or for a full-name target the first and last names joined."""
    rule = rule or {}
    by_path = {c.path: c for c in candidates}
    out = []
    for suggestion in suggestions:
        candidate = by_path.get(suggestion.path, Candidate(suggestion.path))
        made, note = rule_for(target_path, rule, candidate, candidates)
        reasons = suggestion.reasons + ((note,) if note else ())
        out.append(replace(suggestion, rule=made, reasons=reasons))
    return out


def rule_for(target_path: str, rule: Mapping[str, Any], candidate: Candidate,
             candidates: Sequence[Candidate] = ()) -> tuple[dict[str, Any], str]:
    """The rule for mapping ``candidate`` onto the target, and a few words on its transform."""
    target = _Field.of(target_path)
    joined = _full_name(target, candidate, candidates)
    if joined is not None:
        return joined, "first and last name joined"
    steps: list[Any] = []
    notes: list[str] = []
    kind = str(rule.get("type") or "any")
    source_kind = candidate.type or _type_of(candidate.sample)
    date = _date_step(target, rule, candidate.sample)
    if date is not None:
        steps.append(date)
        notes.append("date " + ", ".join(f"{k} {v}" for k, v in date["date"].items()))
    elif rule.get("choices") and candidate.sample not in (None, "") and not _allowed(
            rule["choices"], candidate.sample):
        choice = _closest(str(candidate.sample), rule["choices"])
        steps.append({"lookup": {"map": {str(candidate.sample): choice}, "on_miss": "fail"}})
        notes.append("lookup onto the allowed values (fill in the other source values)")
        if kind == "integer" and isinstance(choice, str):
            steps.append("to_int")
    elif kind == "integer" and source_kind in ("string", "decimal"):
        if source_kind == "decimal":
            steps.append({"round": 0})
        steps.append("to_int")
        notes.append("to_int")
    elif kind == "decimal" and source_kind in ("string", "integer"):
        scale = rule.get("scale")
        steps.append({"to_decimal": {"places": scale}} if isinstance(scale, int)
                     else "to_decimal")
        notes.append("to_decimal")
    elif kind == "decimal" and source_kind == "decimal" and isinstance(rule.get("scale"), int) \
            and _places(candidate.sample) > rule["scale"]:
        steps.append({"round": rule["scale"]})
        notes.append(f"round to {rule['scale']} places")
    elif kind == "string" and source_kind in ("integer", "decimal", "boolean"):
        steps.append("to_string")
        notes.append("to_string")
    most = rule.get("max_length")
    if kind == "string" and isinstance(most, int) and isinstance(candidate.sample, str) \
            and len(candidate.sample) > most and date is None:
        steps.append({"truncate": most})
        notes.append(f"truncate to {most}")
    made: dict[str, Any] = {"from": candidate.path}
    if steps:
        made["transform"] = steps
    return made, ("transform: " + "; ".join(notes)) if notes else ""


def _full_name(target: _Field, candidate: Candidate, candidates: Sequence[Candidate]
               ) -> dict[str, Any] | None:
    source = _Field.of(candidate.path)
    if not _wants_full_name(target) or source.leaf not in (_FIRST, _LAST):
        return None
    parent = candidate.path.rpartition(".")[0]
    first = last = None
    for other in candidates:
        if other.path.rpartition(".")[0] == parent:
            leaf = _Field.of(other.path).leaf
            first = other.path if leaf == _FIRST else first
            last = other.path if leaf == _LAST else last
    if first is None or last is None:
        return None
    return {"concat": [first, last], "sep": " "}


def _allowed(choices: Sequence[Any], value: Any) -> bool:
    return value in choices or str(value) in {str(c) for c in choices}


def _closest(text: str, choices: Sequence[Any]) -> Any:
    return max(choices, key=lambda c: SequenceMatcher(None, text.lower(), str(c).lower())
               .ratio())


def _places(value: Any) -> int:
    try:
        exponent = Decimal(str(value)).as_tuple().exponent
    except (ArithmeticError, ValueError):
        return 0
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _date_format(sample: Any) -> str | None:
    """How a sample date is written, as the ``date`` step's ``from``/``to`` names it."""
    if isinstance(sample, int) and not isinstance(sample, bool):
        if _COMPACT_DATE.match(str(sample)):
            return "%Y%m%d"
        return "unix" if 946684800 <= sample <= 4102444800 else None
    if not isinstance(sample, str):
        return None
    text = sample.strip()
    if _RFC_DATE.match(text):
        return RFC2822 if re.search(r":\d{2} [+-]\d{4}\Z", text) else None
    if _COMPACT_DATE.match(text):
        return "%Y%m%d"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return "date"
    if _ISO_DATE.match(text):
        return "iso"
    return None


def _date_step(target: _Field, rule: Mapping[str, Any], sample: Any) -> dict[str, Any] | None:
    source = _date_format(sample)
    if source is None or "date" not in _expected_kinds(target, rule):
        return None
    pattern = str(rule.get("pattern") or "")
    if pattern == r"\d{8}":
        wanted = "%Y%m%d"
    elif pattern == r"\d{4}-\d{2}-\d{2}":
        wanted = "date"
    else:
        wanted = "iso"
    if source == wanted or (source == "date" and wanted == "iso"):
        return None
    options: dict[str, Any] = {}
    if source not in ("iso", "date"):
        options["from"] = source
    if wanted != "iso":
        options["to"] = wanted
    return {"date": options}


# --- one target field of a mapping document ---------------------------------------------------
class UnknownTarget(ValueError):
    """The target path is not a field of the document's target; the message says which are."""


def document_suggestions(document: Mapping[str, Any], target_path: str, *, sample: Any = None,
                         record: Iterable[str] = (), limit: int = 3,
                         memory: MappingMemory | None = None) -> list[Suggestion]:
    """Ranked source fields, each with its rule, for one target field of ``document``:
    candidates from the source schema and ``sample`` (a source record), within the lines
    the document maps for a field of each line (``rows[].productId``). The document's other
    fields are the context, and ``memory`` (the shipped one when not given) what known
    mappings read."""
    from integrations.mapping.editing import rule_at, target_fields
    from integrations.mapping.schemas import schema_get
    from integrations.mapping.suggest_memory import document_sources, shipped_memory

    source = document.get("source") or {}
    target = document.get("target") or {}
    target_schema = schema_get(str(target.get("system")), str(target.get("entity")))
    fields = {f.path: f for f in target_fields(target_schema, document)}
    field_ = fields.get(target_path)
    if field_ is None:
        close = sorted(fields, key=lambda p: -SequenceMatcher(None, p.lower(),
                                                              target_path.lower()).ratio())[:3]
        raise UnknownTarget(f"{target_path!r} is not a field of {target.get('system')} "
                            f"{target.get('entity')}" + (f"; did you mean {', '.join(close)}?"
                                                          if close else "."))
    lines = None
    if field_.lines:
        spec = rule_at(document, field_.lines).spec
        lines = spec.get("each") if isinstance(spec, dict) else None
        if not isinstance(lines, str):
            raise UnknownTarget(f"{target_path!r} is a field of each line of {field_.lines}: "
                                f"map {field_.lines} to a source list first.")
    source_schema = schema_get(str(source.get("system")), str(source.get("entity")))
    candidates = sample_candidates(sample, schema=source_schema, lines=lines)
    names = (str(source.get("system") or ""), str(source.get("entity") or ""), *record)
    mapped = {path: reads for path, reads in document_sources(document).items()
              if path != target_path}
    ranked = suggest(target_path, field_.rule, candidates, limit=limit, record=names,
                     mapped=mapped, memory=memory if memory is not None else shipped_memory(),
                     systems=(str(source.get("system") or ""), str(target.get("system") or "")))
    return with_rules(target_path, field_.rule, ranked, candidates)
