"""Duplicate scoring (plain Python): is this customer or product already in the target?

A record becomes a ``Party`` (person or organisation) or an ``Item`` (product) with its fields
normalised, read from the field names of the system it is shaped for (``party_from_record``).
Two of them are scored 0–1 with the reasons that moved the score:

- names: case, accents and punctuation ignored, words in any order ("Smith, John" is
  "John Smith"), titles dropped ("Dr."), a typo of one or two edits, a common nickname
  ("Bob" for "Robert"), an initial ("J. Smith") or a middle name on one side only;
- email: case ignored; a "+tag" ignored at every domain and dots in the local part at Gmail
  (both deliver to the same mailbox there); a one-edit typo in the local part or the domain;
- phone: digits only, the international prefix ("+44", "0044") and the trunk 0 dropped, so
  "+44 20 7946 0958" is "020 7946 0958";
- address: the postcode (spaces and dashes ignored) with a street number from the lines;
- SKU: case, spaces, dashes, dots and underscores ignored; barcodes (EAN, UPC, GTIN) likewise.

The score adds evidence in log-odds (Fellegi–Sunter style: agreement on a field that rarely
agrees by chance weighs more, a conflicting first name weighs heavily against) and squashes it
with the logistic function, so 0.85 means roughly "6 to 1 that these are the same".

``party_pairs`` lists the pairs worth scoring in a set of records by blocking (shared email,
phone, postcode + number, or name keys): scoring N records is not N².
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

DEFAULT_THRESHOLD = 0.85

# Evidence weights (natural log-odds). The prior is the odds that two records that share a
# blocking key (or came back from the target's search) are the same, before any field.
PRIOR = -3.0
W_NAME_SAME = 4.0
W_NAME_EDIT = 1.0            # taken off W_NAME_SAME per edit
W_NAME_NICKNAME = 1.5        # taken off per nickname
W_NAME_INITIAL = 3.0         # taken off per initial
W_NAME_EXTRA = 0.7           # taken off per word only one side has (a middle name)
W_NAME_ONE_WORD_CAP = 1.5    # at most this when one side has a single name word
W_NAME_FIRST_CONFLICT = -7.0  # a name word matches but another does not: a family member
W_NAME_CONFLICT = -5.0
W_COMPANY_SAME = 1.0
W_EMAIL_SAME = 5.0
W_EMAIL_TYPO = 2.5
W_EMAIL_DIFFERENT = -1.0
W_PHONE_SAME = 3.0
W_PHONE_DIFFERENT = -1.0
W_ADDRESS_SAME = 2.5
W_POSTCODE_ONLY = 1.0
W_ADDRESS_OTHER_NUMBER = -0.5
W_POSTCODE_DIFFERENT = -1.0
W_SKU_SAME = 8.0
W_SKU_DIFFERENT = -5.0
W_BARCODE_SAME = 8.0
W_ITEM_NAME_SAME = 2.0
W_ITEM_NAME_CLOSE = 1.0
W_ITEM_NAME_DIFFERENT = -1.0

MAX_BLOCK = 100   # a blocking key shared by more records than this (a placeholder phone,
                  # a very common surname) says too little to compare them all on

# Letters NFKD does not take apart.
_FOLD = str.maketrans({"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae",
                       "ß": "ss", "đ": "d", "Đ": "d", "þ": "th", "Þ": "th", "œ": "oe",
                       "Œ": "oe", "ı": "i"})
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "madam",
                     "mme", "mlle", "herr", "frau", "jr", "sr", "ii", "iii", "phd", "md",
                     "esq"})
_LEGAL = frozenset({"ltd", "limited", "inc", "incorporated", "llc", "llp", "plc", "gmbh", "ag",
                    "ab", "sa", "sas", "sarl", "bv", "nv", "oy", "aps", "spa", "srl", "co",
                    "corp", "corporation", "company", "pty", "kg", "the"})
# Common English nicknames: a nickname and its formal names count as one name.
_NICKNAMES: dict[str, tuple[str, ...]] = {
    "bob": ("robert",), "bobby": ("robert",), "rob": ("robert",), "robbie": ("robert",),
    "bert": ("robert", "albert", "herbert"), "bill": ("william",), "billy": ("william",),
    "will": ("william",), "willie": ("william",), "liam": ("william",), "jim": ("james",),
    "jimmy": ("james",), "jamie": ("james",), "mike": ("michael",), "mick": ("michael",),
    "dave": ("david",), "davy": ("david",), "dan": ("daniel",), "danny": ("daniel",),
    "tom": ("thomas",), "tommy": ("thomas",), "joe": ("joseph",), "joey": ("joseph",),
    "chris": ("christopher", "christine", "christina"), "nick": ("nicholas",),
    "alex": ("alexander", "alexandra"), "sam": ("samuel", "samantha"), "ben": ("benjamin",),
    "tony": ("anthony",), "steve": ("steven", "stephen"), "matt": ("matthew",),
    "andy": ("andrew",), "drew": ("andrew",), "pat": ("patrick", "patricia"),
    "kate": ("katherine", "catherine", "kathryn"), "katie": ("katherine", "catherine"),
    "kathy": ("katherine", "kathryn"), "cathy": ("catherine",), "liz": ("elizabeth",),
    "beth": ("elizabeth",), "betty": ("elizabeth",), "lizzie": ("elizabeth",),
    "jen": ("jennifer",), "jenny": ("jennifer",), "sue": ("susan",), "susie": ("susan",),
    "meg": ("margaret",), "maggie": ("margaret",), "peggy": ("margaret",),
    "ed": ("edward",), "eddie": ("edward",), "ted": ("edward",), "rick": ("richard",),
    "dick": ("richard",), "rich": ("richard",), "charlie": ("charles",), "chuck": ("charles",),
    "harry": ("henry", "harold"), "hank": ("henry",), "jack": ("john",), "johnny": ("john",),
    "greg": ("gregory",), "jeff": ("jeffrey",), "ken": ("kenneth",), "larry": ("lawrence",),
    "ron": ("ronald",), "tim": ("timothy",), "fred": ("frederick",), "al": ("albert", "alan"),
    "abby": ("abigail",), "becky": ("rebecca",), "vicky": ("victoria",), "tori": ("victoria",),
    "mandy": ("amanda",), "nat": ("natalie", "nathan"), "pete": ("peter",), "phil": ("philip",),
    "ray": ("raymond",), "ricky": ("richard",), "sandy": ("sandra", "alexandra"),
    "terry": ("terence", "teresa"), "theo": ("theodore",), "val": ("valerie",),
    "wendy": ("gwendolyn",), "zach": ("zachary",), "josh": ("joshua",), "jon": ("jonathan",),
    "nate": ("nathan", "nathaniel"), "stu": ("stuart",), "gabe": ("gabriel",),
}
# ITU calling codes of zones 1 and 7 are one digit, these two; every other code is three.
_CALLING_CODES_2 = frozenset({
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
    "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
    "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98"})
# Gmail delivers a.b.c@ and abc+anything@ to abc@; most providers honour "+tag" too.
_DOTLESS_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
_SKU_NOISE = re.compile(r"[\s\-_./]+")
_NUMBER = re.compile(r"\b(\d+)[a-z]?\b")
_DIGITS = re.compile(r"\d+")


# --- normalising ----------------------------------------------------------------------------

def text_fold(text: Any) -> str:
    """Lower case, accents and punctuation gone, single spaces: "Zoë Ångström-L." → "zoe
    angstrom l"."""
    if text is None:
        return ""
    decomposed = unicodedata.normalize("NFKD", str(text).translate(_FOLD))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return _NOT_WORD.sub(" ", bare).strip()


def name_tokens(*parts: Any) -> tuple[str, ...]:
    """The words of a person's name, titles dropped; order kept (comparisons ignore it)."""
    words = [w for part in parts for w in text_fold(part).split()]
    return tuple(w for w in words if w not in _TITLES)


def company_tokens(name: Any) -> tuple[str, ...]:
    """The words of an organisation's name without its legal form ("Acme Ltd." → acme)."""
    words = [w for w in text_fold(name).split() if w not in _LEGAL]
    # "sp. z o.o." and similar forms fold to single letters: noise, not the name.
    return tuple(w for w in words if len(w) > 1) or tuple(text_fold(name).split())


def email_normalise(email: Any) -> str:
    """The mailbox an address delivers to: case ignored, "+tag" dropped, Gmail's dots
    dropped. Empty for text that is not an email address."""
    text = str(email or "").strip().casefold()
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain:
        return ""
    local = local.split("+", 1)[0] or local
    if domain in _DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def phone_normalise(phone: Any) -> str:
    """The national number as digits: "+44 (0)20 7946-0958", "0044 20 7946 0958" and
    "020 7946 0958" all give "2079460958". Empty when fewer than 6 digits remain."""
    text = str(phone or "").strip()
    digits = re.sub(r"\D", "", text.replace("(0)", ""))
    international = text.startswith("+")
    if digits.startswith("00"):
        digits, international = digits[2:], True
    if international:
        if digits[:1] in ("1", "7"):
            digits = digits[1:]
        elif digits[:2] in _CALLING_CODES_2:
            digits = digits[2:]
        else:
            digits = digits[3:]
    elif len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]  # North American "1-555-123-4567"
    if digits.startswith("0"):
        digits = digits[1:]  # trunk prefix
    return digits if len(digits) >= 6 else ""


def postcode_normalise(postcode: Any) -> str:
    return re.sub(r"[\s\-]+", "", str(postcode or "")).upper()


def street_numbers(*lines: Any) -> frozenset[str]:
    """The numbers in address lines ("12 Königsgate Road", "ul. Floriańska 27/4" → 27, 4)."""
    return frozenset(n for line in lines for n in _NUMBER.findall(text_fold(line)))


def sku_normalise(sku: Any) -> str:
    return _SKU_NOISE.sub("", str(sku or "")).casefold()


# --- what is compared -----------------------------------------------------------------------

@dataclass(frozen=True)
class Address:
    postcode: str
    numbers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Party:
    """A customer (person or organisation), normalised."""

    key: str = ""
    names: tuple[str, ...] = ()      # the person's name words (or the account name)
    company: tuple[str, ...] = ()
    emails: tuple[tuple[str, str], ...] = ()   # (mailbox, as written)
    phones: frozenset[str] = frozenset()
    addresses: tuple[Address, ...] = ()
    label: str = ""                  # how a reviewer recognises it

    @property
    def mailboxes(self) -> frozenset[str]:
        return frozenset(m for m, _ in self.emails)


@dataclass(frozen=True)
class Item:
    """A product, normalised."""

    key: str = ""
    skus: tuple[tuple[str, str], ...] = ()     # (normalised, as written)
    barcodes: frozenset[str] = frozenset()
    name: str = ""
    label: str = ""


def party_make(*, key: Any = "", first: Any = "", last: Any = "", name: Any = "",
               company: Any = "", emails: Iterable[Any] = (), phones: Iterable[Any] = (),
               addresses: Iterable[tuple[Any, Sequence[Any]]] = ()) -> Party:
    """A party from raw values; ``addresses`` as (postcode, [street lines])."""
    names = name_tokens(first, last) or name_tokens(name)
    company_words = company_tokens(company) if company else ()
    if not names and company_words:
        names = company_words
    seen: dict[str, str] = {}
    for email in emails:
        mailbox = email_normalise(email)
        if mailbox and mailbox not in seen:
            seen[mailbox] = str(email).strip()
    places = []
    for postcode, lines in addresses:
        code = postcode_normalise(postcode)
        if code:
            places.append(Address(code, street_numbers(*lines)))
    label = " ".join(str(p) for p in (first, last) if p) or str(name or company or "")
    return Party(key=str(key or ""), names=names, company=company_words,
                 emails=tuple(seen.items()),
                 phones=frozenset(p for p in map(phone_normalise, phones) if p),
                 addresses=tuple(dict.fromkeys(places)), label=label.strip())


def item_make(*, key: Any = "", skus: Iterable[Any] = (), barcodes: Iterable[Any] = (),
              name: Any = "") -> Item:
    seen: dict[str, str] = {}
    for sku in skus:
        code = sku_normalise(sku)
        if code and code not in seen:
            seen[code] = str(sku).strip()
    return Item(key=str(key or ""), skus=tuple(seen.items()),
                barcodes=frozenset(b for b in map(sku_normalise, barcodes) if b),
                name=text_fold(name), label=str(name or next(iter(seen.values()), "")))


# --- scoring --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Score:
    value: float                     # 0–1
    reasons: list[str] = field(default_factory=list)
    evidence: float = 0.0            # the log-odds behind ``value``


def _squash(evidence: float) -> float:
    return 1.0 / (1.0 + math.exp(-evidence))


def _allowed_edits(a: str, b: str) -> int:
    longest = max(len(a), len(b))
    return 0 if longest <= 2 else 1 if longest <= 5 else 2


def _nickname(a: str, b: str) -> bool:
    formal_a = {a, *_NICKNAMES.get(a, ())}
    formal_b = {b, *_NICKNAMES.get(b, ())}
    return a != b and bool(formal_a & formal_b)


def _token_relation(a: str, b: str) -> tuple[str, int] | None:
    """How word ``a`` matches word ``b``: ("same"|"edit"|"nickname"|"initial", edits)."""
    if a == b:
        return "same", 0
    if len(a) == 1 or len(b) == 1:
        return ("initial", 0) if a[0] == b[0] else None
    if _nickname(a, b):
        return "nickname", 0
    edits = OSA.distance(a, b, score_cutoff=_allowed_edits(a, b) + 1)
    if 0 < edits <= _allowed_edits(a, b):
        return "edit", edits
    return None


_RELATION_RANK = {"same": 0, "edit": 1, "nickname": 2, "initial": 3}


def names_compare(a: Sequence[str], b: Sequence[str]) -> tuple[float, str] | None:
    """Evidence and reason from two names' words; None when either has none."""
    if not a or not b:
        return None
    if sorted(a) == sorted(b):
        reordered = list(a) != list(b)
        return W_NAME_SAME, "same name, words reordered" if reordered else "same name"
    short, long_ = (list(a), list(b)) if len(a) <= len(b) else (list(b), list(a))
    pairs = []
    for i, s in enumerate(short):
        for j, t in enumerate(long_):
            relation = _token_relation(s, t)
            if relation is not None:
                pairs.append((_RELATION_RANK[relation[0]], relation[1], i, j, relation[0]))
    pairs.sort()
    used_short: set[int] = set()
    used_long: set[int] = set()
    kinds: list[tuple[str, int]] = []
    for _rank, edits, i, j, kind in pairs:
        if i in used_short or j in used_long:
            continue
        used_short.add(i)
        used_long.add(j)
        kinds.append((kind, edits))
    if len(used_short) < len(short):
        if any(kind == "same" for kind, _ in kinds):
            return W_NAME_FIRST_CONFLICT, "a name word matches but another differs"
        return W_NAME_CONFLICT, "different names"
    edits = sum(e for kind, e in kinds if kind == "edit")
    nicknames = sum(1 for kind, _ in kinds if kind == "nickname")
    initials = sum(1 for kind, _ in kinds if kind == "initial")
    extra = len(long_) - len(short)
    if edits > 2:
        return W_NAME_CONFLICT, "names too far apart"
    evidence = (W_NAME_SAME - W_NAME_EDIT * edits - W_NAME_NICKNAME * nicknames
                - W_NAME_INITIAL * initials - W_NAME_EXTRA * extra)
    if len(short) == 1:
        evidence = min(evidence, W_NAME_ONE_WORD_CAP)
    parts = []
    if edits:
        parts.append(f"name {edits} edit{'s' if edits > 1 else ''} apart")
    if nicknames:
        parts.append("a nickname for the same first name")
    if initials:
        parts.append("a name given as an initial")
    if extra:
        parts.append(f"{extra} name word{'s' if extra > 1 else ''} on one side only")
    return evidence, "; ".join(parts) or "same name"


def _emails_compare(a: Party, b: Party) -> tuple[float, str] | None:
    if not a.emails or not b.emails:
        return None
    shared = a.mailboxes & b.mailboxes
    if shared:
        mailbox = next(iter(shared))
        raw_a = next(r for m, r in a.emails if m == mailbox)
        raw_b = next(r for m, r in b.emails if m == mailbox)
        if raw_a == raw_b:
            return W_EMAIL_SAME, "same email"
        if raw_a.casefold() == raw_b.casefold():
            return W_EMAIL_SAME, "same email ignoring case"
        if mailbox.endswith("@gmail.com"):
            return W_EMAIL_SAME, "same Gmail mailbox (dots and +tags ignored)"
        return W_EMAIL_SAME, "same email ignoring its +tag"
    for x in a.mailboxes:
        local_x, _, domain_x = x.partition("@")
        for y in b.mailboxes:
            local_y, _, domain_y = y.partition("@")
            # A digit is no typo: "jsmith82" and "jsmith88" are how two people get one name.
            if (domain_x == domain_y and min(len(local_x), len(local_y)) >= 4
                    and _DIGITS.findall(local_x) == _DIGITS.findall(local_y)
                    and OSA.distance(local_x, local_y, score_cutoff=2) == 1):
                return W_EMAIL_TYPO, "email 1 edit apart"
            if local_x == local_y and len(local_x) >= 4 and OSA.distance(
                    domain_x, domain_y, score_cutoff=2) == 1:
                return W_EMAIL_TYPO, "email domain 1 edit apart"
    return W_EMAIL_DIFFERENT, "different email"


def _addresses_compare(a: Party, b: Party) -> tuple[float, str] | None:
    if not a.addresses or not b.addresses:
        return None
    best: tuple[float, str] = (W_POSTCODE_DIFFERENT, "different postcode")
    for x in a.addresses:
        for y in b.addresses:
            if x.postcode != y.postcode:
                continue
            if x.numbers & y.numbers:
                return W_ADDRESS_SAME, "same postcode and street number"
            if x.numbers and y.numbers:
                found = (W_ADDRESS_OTHER_NUMBER, "same postcode, different street number")
            else:
                found = (W_POSTCODE_ONLY, "same postcode")
            best = max(best, found)
    return best


def party_score(a: Party, b: Party) -> Score:
    """How likely ``a`` and ``b`` are one customer, with the reasons (strongest first)."""
    found: list[tuple[float, str]] = []
    names = names_compare(a.names, b.names)
    if names:
        found.append(names)
    if (a.company and b.company and a.names != a.company and b.names != b.company
            and sorted(a.company) == sorted(b.company)):
        found.append((W_COMPANY_SAME, "same company"))
    for compared in (_emails_compare(a, b), _addresses_compare(a, b)):
        if compared:
            found.append(compared)
    if a.phones and b.phones:
        found.append((W_PHONE_SAME, "same phone number") if a.phones & b.phones
                     else (W_PHONE_DIFFERENT, "different phone number"))
    return _score(found)


def item_score(a: Item, b: Item) -> Score:
    """How likely ``a`` and ``b`` are one product: SKUs and barcodes decide, names support."""
    found: list[tuple[float, str]] = []
    if a.skus and b.skus:
        shared = {s for s, _ in a.skus} & {s for s, _ in b.skus}
        if shared:
            code = next(iter(shared))
            same_raw = dict(a.skus)[code] == dict(b.skus)[code]
            found.append((W_SKU_SAME, "same SKU" if same_raw
                          else "same SKU ignoring case, spaces and dashes"))
        else:
            found.append((W_SKU_DIFFERENT, "different SKU"))
    if a.barcodes & b.barcodes:
        found.append((W_BARCODE_SAME, "same barcode"))
    if a.name and b.name:
        if a.name == b.name:
            found.append((W_ITEM_NAME_SAME, "same product name"))
        elif fuzz.token_sort_ratio(a.name, b.name) >= 90:
            found.append((W_ITEM_NAME_CLOSE, "product names nearly the same"))
        else:
            found.append((W_ITEM_NAME_DIFFERENT, "different product name"))
    return _score(found)


def _score(found: list[tuple[float, str]]) -> Score:
    evidence = PRIOR + sum(w for w, _ in found)
    found.sort(key=lambda f: -abs(f[0]))
    return Score(_squash(evidence), [reason for _, reason in found], evidence)


def record_score(a: Party | Item, b: Party | Item) -> Score:
    if isinstance(a, Item) and isinstance(b, Item):
        return item_score(a, b)
    if isinstance(a, Party) and isinstance(b, Party):
        return party_score(a, b)
    raise TypeError("A customer can only be compared with a customer, a product with a "
                    "product.")


# --- blocking -------------------------------------------------------------------------------

def blocking_keys(record: Party | Item) -> set[str]:
    """Keys two likely duplicates probably share; only records sharing one are scored."""
    if isinstance(record, Item):
        keys = {f"s:{s}" for s, _ in record.skus} | {f"b:{b}" for b in record.barcodes}
        if record.name:
            keys.add(f"i:{record.name}")
        return keys
    keys: set[str] = set()
    for mailbox in record.mailboxes:
        keys.add(f"e:{mailbox}")
        local = mailbox.partition("@")[0]
        if len(local) >= 4:
            keys.add(f"el:{local}")
    keys |= {f"p:{p}" for p in record.phones}
    for address in record.addresses:
        keys |= {f"a:{address.postcode}:{n}" for n in address.numbers}
    words = sorted(set(record.names))[:4]
    for i, x in enumerate(words):
        for y in words[i + 1:]:
            # Two words' beginnings: survives a typo late in a word and any word order.
            keys.add(f"n:{x[:2]}:{y[:2]}")
    return keys


def party_pairs(records: Sequence[Party | Item], *, max_block: int = MAX_BLOCK
                ) -> Iterator[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, that share a blocking key, each once."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        for key in blocking_keys(record):
            blocks[key].append(index)
    seen: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) < 2 or len(members) > max_block:
            continue
        for n, i in enumerate(members):
            for j in members[n + 1:]:
                if (i, j) not in seen:
                    seen.add((i, j))
                    yield i, j


# --- records as each target system shapes them ----------------------------------------------

def _at(record: Any, path: str) -> Any:
    value = record
    for key in path.split("."):
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return None
    return value


def _all(record: dict[str, Any], *paths: str) -> list[Any]:
    return [v for v in (_at(record, p) for p in paths) if v not in (None, "")]


def _dict_values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return list(value)
    return []


PRODUCT_ENTITIES = frozenset({"product", "Product2"})


def party_from_record(system: str, entity: str, record: dict[str, Any]) -> Party | Item:
    """The record (as ``system`` reads or writes ``entity``) as a comparable party or item.

    Field names per system are those of the five pair templates' customer and product
    targets (Brightpearl contacts and products, BigCommerce v3 customers and products,
    Salesforce Account/Contact/Product2, Infor CRS610MI/MMS200MI, SYSPRO ARSSCS/INVSST,
    Dynamics GP customer and item records)."""
    if not isinstance(record, dict):
        raise TypeError(f"A {system} {entity} record must be an object, got "
                        f"{type(record).__name__}.")
    if entity in PRODUCT_ENTITIES:
        return _item(system, record)
    return _party(system, entity, record)


def _item(system: str, r: dict[str, Any]) -> Item:
    if system == "brightpearl":
        return item_make(key=_at(r, "id") or _at(r, "productId"), skus=_all(r, "identity.sku"),
                         barcodes=_all(r, "identity.barcode", "identity.ean", "identity.upc",
                                       "identity.isbn"),
                         name=_at(r, "salesChannels.0.productName") or _at(r, "productName"))
    if system == "bigcommerce":
        return item_make(key=r.get("id"), skus=_all(r, "sku"),
                         barcodes=_all(r, "upc", "gtin"), name=r.get("name"))
    if system == "salesforce":
        return item_make(key=r.get("Id"), skus=_all(r, "StockKeepingUnit", "ProductCode"),
                         name=r.get("Name"))
    if system == "infor":
        return item_make(key=r.get("ITNO"), skus=_all(r, "ITNO"), barcodes=_all(r, "EAN"),
                         name=r.get("ITDS"))
    if system == "syspro":
        return item_make(key=r.get("StockCode"), skus=_all(r, "StockCode"),
                         barcodes=_all(r, "AlternateKey1"), name=r.get("Description"))
    if system == "dynamics_gp":
        return item_make(key=r.get("ITEMNMBR"), skus=_all(r, "ITEMNMBR"),
                         name=r.get("ITEMDESC"))
    raise ValueError(f"No product fields known for system {system!r}.")


def _party(system: str, entity: str, r: dict[str, Any]) -> Party:
    if system == "brightpearl":
        communication = r.get("communication") or {}
        addresses = [(a.get("postalCode"), [a.get(f"addressLine{n}") for n in (1, 2)])
                     for a in _dict_values(r.get("postalAddresses")) if isinstance(a, dict)]
        return party_make(
            key=r.get("contactId") or r.get("id"), first=r.get("firstName"),
            last=r.get("lastName"), company=_at(r, "organisation.name"),
            emails=[e.get("email") if isinstance(e, dict) else e
                    for e in _dict_values(communication.get("emails"))],
            phones=_dict_values(communication.get("telephones")), addresses=addresses)
    if system == "bigcommerce":
        addresses = [(a.get("postal_code"), [a.get("address1"), a.get("address2")])
                     for a in r.get("addresses") or [] if isinstance(a, dict)]
        phones = [r.get("phone"), *(a.get("phone") for a in r.get("addresses") or []
                                    if isinstance(a, dict))]
        return party_make(key=r.get("id"), first=r.get("first_name"), last=r.get("last_name"),
                          company=r.get("company"), emails=_all(r, "email"),
                          phones=[p for p in phones if p], addresses=addresses)
    if system == "salesforce":
        if entity == "Account":
            return party_make(
                key=r.get("Id"), name=r.get("Name"), phones=_all(r, "Phone"),
                addresses=[(r.get(f"{kind}PostalCode"), [r.get(f"{kind}Street")])
                           for kind in ("Billing", "Shipping")])
        return party_make(
            key=r.get("Id"), first=r.get("FirstName"), last=r.get("LastName"),
            company=_at(r, "Account.Name"), emails=_all(r, "Email"),
            phones=_all(r, "Phone", "MobilePhone"),
            addresses=[(r.get("MailingPostalCode"), [r.get("MailingStreet")])])
    if system == "infor":
        return party_make(key=r.get("CUNO"), name=r.get("CUNM"), emails=_all(r, "EMAL"),
                          phones=_all(r, "PHNO", "PHN2"),
                          addresses=[(r.get("PONO"), _all(r, "CUA1", "CUA2", "CUA3"))])
    if system == "syspro":
        return party_make(
            key=r.get("Customer"), name=r.get("Name"), emails=_all(r, "Email"),
            phones=_all(r, "Telephone"),
            addresses=[(r.get("SoldPostalCode"), _all(r, "SoldToAddr1", "SoldToAddr2")),
                       (r.get("ShipPostalCode"), _all(r, "ShipToAddr1", "ShipToAddr2"))])
    if system == "dynamics_gp":
        return party_make(key=r.get("CUSTNMBR"), name=r.get("CUSTNAME"),
                          emails=_all(r, "INET1"), phones=_all(r, "PHNUMBR1", "PHONE1"),
                          addresses=[(r.get("ZIPCODE"), _all(r, "ADDRESS1", "ADDRESS2"))])
    raise ValueError(f"No customer fields known for system {system!r}.")
