"""Address cleansing and validation (plain Python, offline).

``cleanse_record(record, system=...)`` finds the addresses in a source record of ``system``
by that system's own field names (``LAYOUTS``), normalises each one in place and says what it
changed and what cannot be valid:

- every part: spaces trimmed and collapsed (Salesforce's multi-line street keeps its lines);
- country: names and variants ("UK", "Deutschland", "U.S.A.") become the ISO 3166 code in
  the form the field holds (alpha-2 or alpha-3), a country *name* field gets the usual English
  name, and an empty code or name field next to a known country is filled;
- postcode: upper case, and the country's written form where we know it ("sw1a1aa" →
  "SW1A 1AA", "1234ab" → "1234 AB", "D-10115" → "10115");
- region: the state or province code where the country writes codes (US, CA, AU, BR);
- city: a name typed all in capitals or all in lower case gets title case ("MCALLEN" →
  "McAllen", "ST. JOHN'S" → "St. John's"); a mixed-case name is left as typed.

Nothing is guessed: each change is a ``Change`` with its reason, and what cannot be fixed
with certainty (a postcode that cannot match the country's format, an unknown country or
state, no street or no city) is an ``Invalid`` naming the field and its value, the record left
as it came. Country and subdivision data come from pycountry (ISO 3166-1 and 3166-2); what
ISO does not say is in ``address_data``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import pycountry

from integrations.quality.address_data import (
    CITY_SMALL_WORDS,
    COUNTRY_ALIASES,
    COUNTRY_NAMES,
    POSTCODE_PREFIXES,
    POSTCODE_RULES,
    REGION_ALIASES,
    REGION_CODE_COUNTRIES,
    PostcodeRule,
)


@dataclass
class Change:
    path: str
    before: Any
    after: Any
    reason: str


@dataclass
class Invalid:
    path: str
    message: str


@dataclass
class Cleansed:
    record: Any
    changes: list[Change] = field(default_factory=list)
    invalid: list[Invalid] = field(default_factory=list)
    # Where each address found starts (the path of its first street field).
    addresses: list[str] = field(default_factory=list)


CodeForm = Literal["alpha_2", "alpha_3"]


@dataclass(frozen=True)
class Layout:
    """Where one kind of address sits in a system's records and what its parts are called.

    ``at`` is the path of the object holding the parts: ``""`` for the record itself,
    ``name[]`` for each item of a list, ``*`` for each value of an object. An object is an
    address of this layout when it has the first street field and some part is filled in.
    """

    at: str
    street: tuple[str, ...]
    city: str
    region: str | None = None
    postcode: str | None = None
    country_code: str | None = None
    code_form: CodeForm = "alpha_2"
    country_name: str | None = None
    multiline: bool = False       # the street is one field of lines (Salesforce)

    def parts(self) -> tuple[str, ...]:
        named = (self.city, self.region, self.postcode, self.country_code, self.country_name)
        return (*self.street, *(name for name in named if name))


def _bigcommerce(at: str) -> Layout:
    return Layout(at, ("street_1", "street_2"), "city", "state", "zip", "country_iso2",
                  "alpha_2", "country")


def _brightpearl(at: str) -> Layout:
    # Brightpearl's postal address: line 3 is the town, line 4 the county or state (as the
    # pair templates map them), the country an alpha-3 code.
    return Layout(at, ("addressLine1", "addressLine2"), "addressLine3", "addressLine4",
                  "postalCode", "countryIsoCode", "alpha_3")


def _salesforce(at: str, prefix: str) -> Layout:
    # Without state and country picklists there is no CountryCode field; where the org has
    # them it holds alpha-2.
    return Layout(at, (f"{prefix}Street",), f"{prefix}City", f"{prefix}State",
                  f"{prefix}PostalCode", f"{prefix}CountryCode", "alpha_2", f"{prefix}Country",
                  multiline=True)


def _syspro(addr: str, postal: str) -> Layout:
    # SYSPRO's five free lines as the pair template writes them: street, street, town,
    # region, country name.
    return Layout("Customer", (f"{addr}1", f"{addr}2"), f"{addr}3", f"{addr}4", postal,
                  country_name=f"{addr}5")


_M3_LINES = ("CUA1", "CUA2", "CUA3", "CUA4")

LAYOUTS: dict[str, tuple[Layout, ...]] = {
    "bigcommerce": (
        _bigcommerce("billing_address"), _bigcommerce("shipping_addresses[]"),
        _bigcommerce("shipping_address"),
        Layout("addresses[]", ("address1", "address2"), "city", "state_or_province",
               "postal_code", "country_code", "alpha_2", "country"),
    ),
    "brightpearl": (_brightpearl("parties.*"), _brightpearl("postalAddresses.*")),
    "salesforce": tuple(_salesforce(at, prefix) for at in ("", "Account")
                        for prefix in ("Billing", "Shipping", "Mailing", "Other")),
    "infor": (
        Layout("", _M3_LINES, "TOWN", "ECAR", "PONO", "CSCD"),            # CRS610MI customer
        Layout("", ("ADR1", "ADR2"), "TOWN", None, "PONO", "CSCD"),       # CRS620MI supplier
        Layout("Addresses[]", _M3_LINES, "TOWN", None, "PONO", "CSCD"),   # OIS100MI addresses
    ),
    "syspro": (_syspro("SoldToAddr", "SoldPostalCode"), _syspro("ShipToAddr", "ShipPostalCode")),
    "dynamics_gp": (Layout("", ("ADDRESS1", "ADDRESS2", "ADDRESS3"), "CITY", "STATE",
                           "ZIPCODE", "CCode", "alpha_2", "COUNTRY"),),
}


def cleanse_record(record: Any, *, system: str) -> Cleansed:
    """The record with its addresses normalised in place, what changed and what cannot be
    valid. ``ValueError`` for a system with no known address layout."""
    if system not in LAYOUTS:
        raise ValueError(f"No address layout for system {system!r}; known: "
                         f"{', '.join(sorted(LAYOUTS))}.")
    out = Cleansed(record)
    if not isinstance(record, dict):
        return out
    for layout in LAYOUTS[system]:
        for base, address in _objects(record, layout.at):
            if layout.street[0] not in address or not any(
                    _text(address.get(name)) for name in layout.parts()):
                continue
            out.addresses.append(_path(base, layout.street[0]))
            _Address(address, base, layout, out).cleanse()
    return out


# -- finding the addresses ----------------------------------------------------------------


def _path(base: str, name: str) -> str:
    return f"{base}.{name}" if base else name


def _objects(node: Any, at: str) -> Iterator[tuple[str, dict[str, Any]]]:
    def walk(node: Any, steps: list[str], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
        if not isinstance(node, dict):
            return
        if not steps:
            yield path, node
            return
        step, rest = steps[0], steps[1:]
        if step == "*":
            for key, value in node.items():
                yield from walk(value, rest, _path(path, str(key)))
        elif step.endswith("[]"):
            items = node.get(step[:-2])
            if isinstance(items, list):
                for index, item in enumerate(items):
                    yield from walk(item, rest, f"{_path(path, step[:-2])}[{index}]")
        elif step in node:
            yield from walk(node[step], rest, _path(path, step))

    yield from walk(node, at.split(".") if at else [], "")


def _text(value: Any) -> str:
    # A postcode can arrive as a JSON number (an ERP's numeric ZIP column): read it as text.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) else ""


# -- one address -------------------------------------------------------------------------


class _Address:
    """One address object being cleansed: its changes are collected per field, so a field
    changed for two reasons is one ``Change`` saying both."""

    def __init__(self, obj: dict[str, Any], base: str, layout: Layout, out: Cleansed) -> None:
        self.obj, self.base, self.layout, self.out = obj, base, layout, out
        self.before = {name: obj.get(name) for name in layout.parts()}
        self.reasons: dict[str, list[str]] = {}

    def path(self, name: str) -> str:
        return _path(self.base, name)

    def value(self, name: str | None) -> str:
        return _text(self.obj.get(name)) if name else ""

    def put(self, name: str, value: str, reason: str) -> None:
        if self.obj.get(name) != value:
            self.obj[name] = value
            self.reasons.setdefault(name, []).append(reason)

    def invalid(self, name: str, message: str) -> None:
        self.out.invalid.append(Invalid(self.path(name), message))

    def cleanse(self) -> None:
        layout = self.layout
        for name in layout.parts():
            value = self.obj.get(name)
            if isinstance(value, str):
                multiline = layout.multiline and name in layout.street
                self.put(name, _lines(value) if multiline else _squash(value),
                         "spaces trimmed and collapsed")
        country = self.country()
        if not any(self.value(name) for name in layout.street):
            self.invalid(layout.street[0], f"No street: {self.path(layout.street[0])} is empty.")
        self.city()
        if country is not None:
            self.region(country)
        self.postcode(country)
        for name, reasons in self.reasons.items():
            reason = "; ".join(reasons)
            self.out.changes.append(Change(self.path(name), self.before.get(name),
                                           self.obj[name], reason[:1].upper() + reason[1:] + "."))

    # -- parts --

    def country(self) -> Any:
        code_field, name_field = self.layout.country_code, self.layout.country_name
        code_raw, name_raw = self.value(code_field), self.value(name_field)
        by_code = country_find(code_raw) if code_raw else None
        by_name = country_find(name_raw) if name_raw else None
        if code_field and code_raw and by_code is None:
            self.invalid(code_field, f"Unknown country: {self.path(code_field)} is "
                                     f"'{code_raw}', not an ISO 3166 country code or name.")
        if name_field and name_raw and by_name is None:
            self.invalid(name_field, f"Unknown country: {self.path(name_field)} is "
                                     f"'{name_raw}', not a country name we know.")
        if by_code is not None and by_name is not None and by_code.alpha_2 != by_name.alpha_2:
            assert name_field and code_field
            self.invalid(name_field, f"Countries disagree: {self.path(name_field)} "
                                     f"'{name_raw}' names {_the(by_name)} but "
                                     f"{self.path(code_field)} '{code_raw}' is the code of "
                                     f"{_the(by_code)}.")
            return by_code
        if not code_raw and not name_raw:
            where = code_field or name_field
            if where:
                self.invalid(where, f"No country: {self.path(where)} is empty.")
            return None
        country = by_code or by_name
        if country is None:
            return None
        # A field whose own value is unknown is left as it is (it was flagged above).
        if code_field and not (code_raw and by_code is None):
            want = getattr(country, self.layout.code_form)
            if code_raw and code_raw != want:
                self.put(code_field, want, _code_reason(code_raw, country, self.layout.code_form))
            elif not code_raw and code_field in self.obj:
                self.put(code_field, want, f"filled with {want}, the code of the country "
                                           f"named in {self.path(str(name_field))}")
        if name_field and not (name_raw and by_name is None):
            want = country_name(country)
            if name_raw and name_raw != want:
                self.put(name_field, want, f"country '{name_raw}' written as its usual name")
            elif not name_raw and name_field in self.obj:
                self.put(name_field, want, f"filled with the name of the country coded in "
                                           f"{self.path(str(code_field))}")
        return country

    def city(self) -> None:
        name = self.layout.city
        value = self.value(name)
        if not value:
            self.invalid(name, f"No city: {self.path(name)} is empty.")
            return
        stripped = value.strip(" ,;")
        if stripped != value:
            self.put(name, stripped, "stray commas removed")
        titled = city_title(stripped)
        if titled != stripped:
            case = "capitals" if stripped.isupper() else "lower case"
            self.put(name, titled, f"city typed in {case} written in title case")

    def region(self, country: Any) -> None:
        name = self.layout.region
        value = self.value(name)
        if not name or not value or country.alpha_2 not in REGION_CODE_COUNTRIES:
            return
        stripped = value.strip(" ,;")
        code = region_code(country.alpha_2, stripped)
        label = REGION_LABELS.get(country.alpha_2, "region")
        if code is None:
            self.invalid(name, f"Unknown {label}: {self.path(name)} '{value}' is not a "
                               f"{label} of {_the(country)}.")
        elif code != value:
            self.put(name, code, f"{label} code upper-cased" if code == stripped.upper()
                     else f"{label} '{stripped}' written as its code, as addresses in "
                          f"{_the(country)} are")

    def postcode(self, country: Any) -> None:
        name = self.layout.postcode
        if not name:
            return
        value = self.value(name)
        rule = POSTCODE_RULES.get(country.alpha_2) if country is not None else None
        if not value:
            if rule is not None and rule.required:
                self.invalid(name, f"No postcode: {self.path(name)} is empty; addresses in "
                                   f"{_the(country)} have one ({rule.describe}, like "
                                   f"{rule.example}).")
            return
        if rule is None:
            if value.upper() != value:
                self.put(name, value.upper(), "postcode upper-cased")
            return
        written, prefix = postcode_format(country.alpha_2, value)
        if written is None:
            self.invalid(name, f"Not a postcode of {_the(country)}: {self.path(name)} is "
                               f"'{value}', expected {rule.describe}, like {rule.example}"
                               f"{_postcode_hint(rule, value)}.")
            return
        if prefix:
            self.put(name, written, f"old country prefix '{prefix}-' dropped and postcode "
                                    f"written in the format of {_the(country)}, like "
                                    f"{rule.example}")
        else:
            self.put(name, written, f"postcode written in the format of {_the(country)}, "
                                    f"like {rule.example}")


REGION_LABELS = {"US": "state", "CA": "province or territory", "AU": "state or territory",
                 "BR": "state"}


# -- the rules, usable on their own --------------------------------------------------------


def _key(value: str) -> str:
    """A spelling's normal form for lookups: case folded, accents, dots and apostrophes
    dropped, other punctuation a space, a leading "the" dropped."""
    decomposed = unicodedata.normalize("NFKD", value)
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ")
    text = re.sub(r"[.'’]", "", text)
    text = re.sub(r"[\W_]+", " ", text).strip()
    return text[4:] if text.startswith("the ") else text


@cache
def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            name = getattr(country, attr, None)
            if name:
                index[_key(name)] = country.alpha_2
                if "," in name:   # "Korea, Republic of" is also "Republic of Korea"
                    head, tail = name.split(",", 1)
                    index[_key(f"{tail} {head}")] = country.alpha_2
    index.update({_key(alias): code for alias, code in COUNTRY_ALIASES.items()})
    index.update({_key(name): code for code, name in COUNTRY_NAMES.items()})
    return index


def country_find(value: str) -> Any:
    """The pycountry country a code or name means, or None."""
    key = _key(value)
    if re.fullmatch(r"[a-z]{2}", key):
        found = pycountry.countries.get(alpha_2=key.upper())
        if found is not None:
            return found
    if re.fullmatch(r"[a-z]{3}", key):
        found = pycountry.countries.get(alpha_3=key.upper())
        if found is not None:
            return found
    code = _country_index().get(key)
    return pycountry.countries.get(alpha_2=code) if code else None


def country_name(country: Any) -> str:
    """The usual English name: ours where ISO's is formal, else pycountry's common name."""
    return COUNTRY_NAMES.get(country.alpha_2) or getattr(country, "common_name", None) \
        or country.name


def _the(country: Any) -> str:
    name = country_name(country)
    return f"the {name}" if country.alpha_2 in {"GB", "US", "NL", "AE", "PH"} else name


def _code_reason(raw: str, country: Any, form: CodeForm) -> str:
    want = getattr(country, form)
    kind = "alpha-2" if form == "alpha_2" else "alpha-3"
    if raw.upper() == want:
        return "country code upper-cased"
    if re.fullmatch(r"[A-Za-z]{2,3}", raw) and pycountry.countries.get(
            **{("alpha_2" if len(raw) == 2 else "alpha_3"): raw.upper()}) is not None:
        return f"country code {raw} written as the ISO {kind} code {want} this field holds"
    return f"country '{raw}' written as its ISO 3166 {kind} code {want}"


def city_title(value: str) -> str:
    """Title case for a place name typed all in capitals or all in lower case; any other
    name is returned as it is (it was typed with care, or it is not in a cased script)."""
    if not any(ch.isalpha() for ch in value) or not (value.isupper() or value.islower()):
        return value
    pieces = re.split(r"([\s\-/]+)", value.lower())
    words = 0
    for index, piece in enumerate(pieces):
        if not piece or re.fullmatch(r"[\s\-/]+", piece):
            continue
        if words and piece in CITY_SMALL_WORDS:
            words += 1
            continue
        pieces[index] = _capitalise(piece)
        words += 1
    return "".join(pieces)


def _capitalise(word: str) -> str:
    if word in ("'s", "'t", "’s", "’t"):          # 's-Hertogenbosch, 't Zandt
        return word
    if word.startswith("mc") and len(word) > 3 and word[2].isalpha():   # McAllen
        return "Mc" + word[2:].capitalize()
    parts = re.split(r"(['’])", word)
    out = []
    for index, part in enumerate(parts):
        # After an apostrophe a single letter stays small (St. John's), a name is
        # capitalised (O'Fallon, L'Aquila).
        small = index > 0 and len(part) <= 1
        out.append(part if small or part in ("'", "’") else part[:1].upper() + part[1:])
    return "".join(out)


@cache
def _region_index(country: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for sub in pycountry.subdivisions.get(country_code=country) or ():
        code = sub.code.split("-", 1)[1]
        index[_key(sub.name)] = code
        index[_key(code)] = code
        index[_key(sub.code)] = code
    index.update({_key(alias): code for alias, code in REGION_ALIASES.get(country, {}).items()})
    return index


def region_code(country: str, value: str) -> str | None:
    """The subdivision code (``CA`` for California) a state or province name or code means."""
    return _region_index(country).get(_key(value))


def postcode_format(country: str, value: str) -> tuple[str | None, str]:
    """The postcode as ``country`` writes it, or None when it cannot be one of its
    postcodes; and the old country prefix dropped ("D" of "D-10115"), if any."""
    rule = POSTCODE_RULES[country]
    upper = _squash(value).upper()
    written = _postcode_match(rule, upper)
    if written is not None:
        return written, ""
    prefixed = re.fullmatch(r"([A-Z]{1,3})\s*-\s*(.+)", upper)
    if prefixed and prefixed[1] in (country, *POSTCODE_PREFIXES.get(country, ())):
        written = _postcode_match(rule, prefixed[2])
        if written is not None:
            return written, prefixed[1]
    return None, ""


def _postcode_match(rule: PostcodeRule, upper: str) -> str | None:
    compact = re.sub(r"[\s\-–.]", "", upper)
    found = re.fullmatch(rule.pattern, compact)
    if found is None:
        return None
    groups = [group for group in found.groups() if group is not None]
    if rule.layout.count("{}") != len(groups):    # US ZIP without its +4
        return "".join(groups)
    return rule.layout.format(*groups)


def _postcode_hint(rule: PostcodeRule, value: str) -> str:
    digits = re.sub(r"[\s\-]", "", value)
    if rule.digits and digits.isdigit() and len(digits) == rule.digits - 1:
        return " (a leading zero may have been lost, as spreadsheets do; it is not added " \
               "without a check)"
    return ""


_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def _squash(value: str) -> str:
    return _SPACES.sub(" ", value).strip()


def _lines(value: str) -> str:
    lines = (_squash(line) for line in re.split(r"\r\n|\r|\n", value))
    return "\n".join(line for line in lines if line)
