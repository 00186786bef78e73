"""Duplicate detection on generated customers with known duplicates (``make eval``).

A seeded generator makes people (first and last names drawn with a long tail, so common names
such as "James Smith" recur as different people), households (family members sharing a
surname, an address, often the landline and sometimes one email: different people), and for a
share of the people one to three further records of the same person, each changed in one to
three ways: a typo in a name, case, name words reordered ("Smith, James"), a nickname or an
initial, accents dropped, a title added, the email's case or Gmail dots or a +tag, a new email,
the phone written another way (+44 / 0044 / 0 / brackets), the street abbreviated, a field
left out (at least one of email, phone and address stays: a bare name is not enough for anyone
to tell). Every record is written in the field names of one of the targets (Brightpearl
contact, BigCommerce customer, Salesforce Contact, Infor CRS610MI) and read back through
``party_from_record``, as the pipeline does.

Pairs sharing a blocking key are scored (``party_pairs``); a pair at or above the threshold is
called a duplicate. Precision and recall are over pairs of records (a pair of the same cluster
missed by blocking counts as missed).

Figures: ``dedupe_precision``, ``dedupe_recall`` (eval seed, default threshold),
``dedupe_precision_seed2`` / ``dedupe_recall_seed2`` (a seed never looked at while choosing
weights), ``dedupe_pairs_scored_fraction`` (scored pairs over all N(N-1)/2), ``dedupe_records``.

    python bench/eval_dedupe.py [--people 2500] [--seed 20261203] [--threshold 0.85] [--misses]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `make eval` runs this file as a script
    sys.path.insert(0, str(REPO_ROOT))

from bench.results import results_record  # noqa: E402
from integrations.quality.dedupe import (  # noqa: E402
    DEFAULT_THRESHOLD,
    party_from_record,
    party_pairs,
    party_score,
)

EVAL_SEED = 20261203
SECOND_SEED = 7

FIRST = ["James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda",
         "William", "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
         "Thomas", "Sarah", "Charles", "Karen", "Christopher", "Nancy", "Daniel", "Margaret",
         "Matthew", "Lisa", "Anthony", "Betty", "Steven", "Sandra", "Andrew", "Ashley",
         "Joshua", "Kimberly", "Kenneth", "Emily", "Kevin", "Donna", "Brian", "Michelle",
         "George", "Carol", "Edward", "Amanda", "Ronald", "Melissa", "Timothy", "Deborah",
         "Jason", "Stephanie", "Jeffrey", "Rebecca", "Ryan", "Laura", "Jacob", "Helen",
         "Gary", "Sharon", "Nicholas", "Cynthia", "Eric", "Kathleen", "Stephen", "Amy",
         "Jonathan", "Shirley", "Larry", "Angela", "Justin", "Anna", "Scott", "Ruth",
         "Frank", "Brenda", "Benjamin", "Pamela", "Gregory", "Nicole", "Samuel", "Katherine",
         "Raymond", "Virginia", "Patrick", "Catherine", "Alexander", "Christine", "Jack",
         "Samantha", "Zoë", "Åsa", "Björn", "Łucja", "Søren", "Inés", "José", "François",
         "Chloé", "Jürgen", "Mónica", "Noël", "Astrid", "Lars", "Ingrid", "Mateusz", "Oskar",
         "Freya", "Aoife", "Siobhán", "Eoin", "Niamh", "Priya", "Arjun", "Wei", "Mei", "Yuki",
         "Kenji", "Fatima", "Omar", "Leila", "Tariq", "Olga", "Dmitri", "Elena", "Marco",
         "Giulia", "Luca", "Sofia", "Hannah", "Lukas", "Emma", "Noah", "Mia", "Leon", "Lea"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Garcia",
        "Rodriguez", "Wilson", "Martinez", "Anderson", "Taylor", "Thomas", "Hernandez",
        "Moore", "Martin", "Jackson", "Thompson", "White", "Lopez", "Lee", "Gonzalez",
        "Harris", "Clark", "Lewis", "Robinson", "Walker", "Perez", "Hall", "Young", "Allen",
        "Sanchez", "Wright", "King", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill",
        "Ramirez", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner",
        "Torres", "Parker", "Collins", "Edwards", "Stewart", "Flores", "Morris", "Nguyen",
        "Murphy", "Rivera", "Cook", "Rogers", "Morgan", "Peterson", "Cooper", "Reed",
        "Bailey", "Bell", "Gomez", "Kelly", "Howard", "Ward", "Cox", "Diaz", "Richardson",
        "Wood", "Watson", "Brooks", "Bennett", "Gray", "James", "Reyes", "Cruz", "Hughes",
        "Price", "Myers", "Long", "Foster", "Sanders", "Ross", "Morales", "Powell",
        "Sullivan", "Russell", "Ortiz", "Jenkins", "Gutierrez", "Perry", "Butler", "Barnes",
        "Fisher", "Ångström", "Lindqvist", "Wąsowska", "Müller", "Schröder", "Jørgensen",
        "Nørgaard", "Ó Briain", "O'Connor", "McDonald", "MacLeod", "van der Berg", "de Vries",
        "García-López", "Núñez", "Kowalski", "Nowak", "Novák", "Dvořák", "Svensson",
        "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsen", "Hansen", "Patel", "Shah",
        "Singh", "Kumar", "Wang", "Li", "Zhang", "Chen", "Tanaka", "Suzuki", "Sato",
        "Haddad", "Khan", "Ivanova", "Petrov", "Rossi", "Russo", "Ferrari", "Bianchi",
        "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann"]
STREETS = ["High Street", "Station Road", "Church Lane", "Main Street", "Park Avenue",
           "Victoria Road", "Green Lane", "Manor Road", "Church Street", "Mill Lane",
           "Kings Road", "Queens Road", "New Road", "School Lane", "The Crescent",
           "Drottninggatan", "Storgatan", "Hauptstraße", "Bahnhofstraße", "Rue de la Paix",
           "Floriańska", "Oak Drive", "Elm Close", "Maple Way", "Cedar Court"]
ABBREVIATIONS = {"Street": "St.", "Road": "Rd", "Lane": "Ln", "Avenue": "Ave", "Drive": "Dr",
                 "Close": "Cl", "Court": "Ct", "straße": "str."}
FREE_MAIL = ["gmail.com", "outlook.com", "yahoo.co.uk", "hotmail.com", "icloud.com",
             "proton.me", "gmx.de", "web.de"]
COUNTRIES = {"GB": "44", "US": "1", "SE": "46", "DE": "49", "PL": "48", "IE": "353"}
NICK_OF = {"Robert": "Bob", "William": "Bill", "James": "Jim", "Michael": "Mike",
           "David": "Dave", "Daniel": "Dan", "Thomas": "Tom", "Joseph": "Joe",
           "Christopher": "Chris", "Nicholas": "Nick", "Alexander": "Alex", "Samuel": "Sam",
           "Benjamin": "Ben", "Anthony": "Tony", "Steven": "Steve", "Matthew": "Matt",
           "Andrew": "Andy", "Patrick": "Pat", "Katherine": "Kate", "Catherine": "Cathy",
           "Elizabeth": "Liz", "Jennifer": "Jenny", "Susan": "Sue", "Margaret": "Maggie",
           "Edward": "Ed", "Richard": "Rick", "Jonathan": "Jon", "Kenneth": "Ken",
           "Timothy": "Tim", "Gregory": "Greg", "Jeffrey": "Jeff", "Ronald": "Ron",
           "Rebecca": "Becky", "Samantha": "Sam", "Larry": "Larry"}
SYSTEMS = ["brightpearl", "bigcommerce", "salesforce", "infor"]


@dataclass(frozen=True)
class Person:
    cluster: int
    first: str
    last: str
    email: str
    phone: str          # digits of the national number, no trunk 0
    country: str
    number: str
    street: str
    postcode: str
    city: str
    company: str = ""
    title: str = ""
    reorder: bool = False   # name written "Last, First" where one field holds it
    phone_style: int = 0


def _zipf(rng: random.Random, items: list[str], skew: float = 1.1) -> str:
    weights = [1 / (rank + 1) ** skew for rank in range(len(items))]
    return rng.choices(items, weights=weights)[0]


def _ascii(text: str) -> str:
    import unicodedata

    table = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss"})
    decomposed = unicodedata.normalize("NFKD", text.translate(table))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _local(rng: random.Random, first: str, last: str) -> str:
    f, la = _ascii(first).lower().replace(" ", ""), _ascii(last).lower().replace(" ", "")
    la = la.replace("'", "")
    style = rng.randrange(5)
    if style == 0:
        return f"{f}.{la}"
    if style == 1:
        return f"{f}{la}{rng.randrange(1, 99)}"
    if style == 2:
        return f"{f[0]}{la}"
    if style == 3:
        return f"{f}_{la[:3]}{rng.randrange(10, 999)}"
    return f"{la}.{f}"


def _postcode(rng: random.Random, country: str) -> str:
    if country == "GB":
        letters = "ABCDEFGHJKLMNPRSTUWYZ"
        return (f"{rng.choice(letters)}{rng.choice(letters)}{rng.randrange(1, 30)} "
                f"{rng.randrange(1, 10)}{rng.choice(letters)}{rng.choice(letters)}")
    if country == "SE":
        return f"{rng.randrange(100, 999)} {rng.randrange(10, 99)}"
    if country == "PL":
        return f"{rng.randrange(10, 99)}-{rng.randrange(100, 999)}"
    if country == "IE":
        return f"D{rng.randrange(1, 24):02d} {rng.randrange(1000, 9999)}"
    return f"{rng.randrange(10000, 99999)}"


def _unique(email: str, taken: set[str]) -> str:
    """An address not yet given to anyone: one mailbox is one person's (or one household's)."""
    local, _, domain = email.partition("@")
    n = 2
    while email.lower() in taken:
        email, n = f"{local}{n}@{domain}", n + 1
    taken.add(email.lower())
    return email


def _person(rng: random.Random, cluster: int, taken: set[str]) -> Person:
    first, last = _zipf(rng, FIRST), _zipf(rng, LAST)
    country = rng.choice(list(COUNTRIES))
    domain = rng.choice(FREE_MAIL) if rng.random() < 0.75 else \
        f"{_ascii(rng.choice(LAST)).lower().replace(' ', '')}-{rng.randrange(100)}.com"
    company = f"{rng.choice(LAST)} {rng.choice(['Ltd', 'GmbH', 'AB', 'Inc', 'Trading'])}" \
        if rng.random() < 0.2 else ""
    return Person(cluster=cluster, first=first, last=last,
                  email=_unique(f"{_local(rng, first, last)}@{domain}", taken),
                  phone=f"{rng.randrange(1, 9)}{rng.randrange(10**8, 10**9)}",
                  country=country, number=str(rng.randrange(1, 250)),
                  street=rng.choice(STREETS), postcode=_postcode(rng, country),
                  city=rng.choice(["London", "Leeds", "Stockholm", "Berlin", "Kraków", "Dublin",
                                   "Boston", "Malmö"]),
                  company=company)


def _household(rng: random.Random, head: Person, cluster: int, taken: set[str]) -> Person:
    """Another person at the same address: same surname, a different first name."""
    first = _zipf(rng, [f for f in FIRST if f != head.first])
    email = head.email if rng.random() < 0.1 else \
        _unique(f"{_local(rng, first, head.last)}@{rng.choice(FREE_MAIL)}", taken)
    phone = head.phone if rng.random() < 0.5 else \
        f"{rng.randrange(1, 9)}{rng.randrange(10**8, 10**9)}"
    return replace(head, cluster=cluster, first=first, email=email, phone=phone, company="")


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 3:
        return word
    i = rng.randrange(1, len(word))  # first letters are the ones people get right
    kind = rng.randrange(4)
    letters = "abcdefghijklmnopqrstuvwxyz"
    if kind == 0:
        return word[:i] + word[i + 1:]
    if kind == 1:
        return word[:i] + rng.choice(letters) + word[i:]
    if kind == 2:
        return word[:i] + rng.choice(letters) + word[i + 1:]
    if i < len(word) - 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + word[i] + word[i:]


# Applied in this order, so a typo lands in the name as the other changes left it.
CHANGES = ["nickname", "initial", "typo_first", "typo_last", "case", "reorder", "accents",
           "title", "email_case", "email_gmail", "email_new", "phone_style", "street_abbrev",
           "drop_email", "drop_phone", "drop_address"]


def _variant(rng: random.Random, p: Person, taken: set[str]
             ) -> tuple[Person, dict[str, bool]]:
    """The same person written another time, with one to three changes."""
    dropped = {"email": False, "phone": False, "address": False}
    chosen = sorted(rng.sample(CHANGES, rng.choice([1, 1, 2, 2, 3])), key=CHANGES.index)
    for change in chosen:
        if change == "typo_first" and not p.first.endswith("."):
            p = replace(p, first=_typo(rng, p.first))
        elif change == "typo_last":
            p = replace(p, last=_typo(rng, p.last))
        elif change == "case":
            how = rng.choice([str.upper, str.lower, str.title])
            p = replace(p, first=how(p.first), last=how(p.last))
        elif change == "reorder":
            p = replace(p, reorder=True)
        elif change == "nickname" and p.first in NICK_OF:
            p = replace(p, first=NICK_OF[p.first])
        elif change == "initial":
            p = replace(p, first=p.first[0] + ".")
        elif change == "accents":
            p = replace(p, first=_ascii(p.first), last=_ascii(p.last))
        elif change == "title":
            p = replace(p, title=rng.choice(["Mr", "Mrs", "Ms", "Dr.", "Prof."]))
        elif change == "email_case":
            local, _, domain = p.email.partition("@")
            p = replace(p, email=f"{local.title()}@{domain.upper()}")
        elif change == "email_gmail" and p.email.endswith("@gmail.com"):
            local = p.email.partition("@")[0]
            p = replace(p, email=f"{local.replace('.', '')}+shop@gmail.com")
        elif change == "email_new":
            p = replace(p, email=_unique(f"{_local(rng, p.first, p.last)}@"
                                         f"{rng.choice(FREE_MAIL)}", taken))
        elif change == "phone_style":
            p = replace(p, phone_style=rng.randrange(1, 4))
        elif change == "street_abbrev":
            street = p.street
            for word, short in ABBREVIATIONS.items():
                street = street.replace(word, short)
            p = replace(p, street=street)
        elif change.startswith("drop_"):
            dropped[change.removeprefix("drop_")] = True
    if all(dropped.values()):
        dropped[rng.choice(list(dropped))] = False
    return p, dropped


def _phone_text(p: Person) -> str:
    code, n = COUNTRIES[p.country], p.phone
    return [f"+{code} {n[:2]} {n[2:5]} {n[5:]}", f"0{n[:2]} {n[2:5]} {n[5:]}",
            f"00{code}{n}", f"+{code} (0){n[:2]}-{n[2:5]}-{n[5:]}"][p.phone_style]


def _render(p: Person, system: str, dropped: dict[str, bool], key: int) -> dict[str, Any]:
    """``p`` in the field names ``system`` reads and writes customers with."""
    first = f"{p.title} {p.first}".strip()
    full = f"{p.last}, {first}" if p.reorder else f"{first} {p.last}"
    email = "" if dropped["email"] else p.email
    phone = "" if dropped["phone"] else _phone_text(p)
    line1 = "" if dropped["address"] else f"{p.number} {p.street}"
    postcode = "" if dropped["address"] else p.postcode
    # Where a system keeps first and last apart, "reordered" is the two typed into the
    # wrong boxes.
    given, family = (p.last, first) if p.reorder else (first, p.last)
    if system == "brightpearl":
        return {"contactId": key, "firstName": given, "lastName": family,
                "organisation": {"name": p.company},
                "communication": {"emails": {"PRI": {"email": email}} if email else {},
                                  "telephones": {"PRI": phone} if phone else {}},
                "postalAddresses": {"DEF": {"addressLine1": line1, "addressLine3": p.city,
                                            "postalCode": postcode}} if line1 else {}}
    if system == "bigcommerce":
        return {"id": key, "first_name": given, "last_name": family, "email": email,
                "phone": phone, "company": p.company,
                "addresses": [{"address1": line1, "city": p.city, "postal_code": postcode,
                               "country_code": p.country}] if line1 else []}
    if system == "salesforce":
        return {"Id": f"003{key:012d}", "FirstName": given, "LastName": family,
                "Email": email, "Phone": phone, "MailingStreet": line1,
                "MailingPostalCode": postcode, "MailingCity": p.city}
    return {"CUNO": f"C{key}", "CUNM": full, "EMAL": email, "PHNO": phone, "CUA1": line1,
            "TOWN": p.city, "PONO": postcode}


def dataset(seed: int, people: int) -> tuple[list[int], list[Any], list[dict[str, Any]]]:
    """(cluster of each record, parties, records) for ``people`` generated people."""
    rng = random.Random(seed)  # noqa: S311 - test data, seeded to be repeatable
    persons: list[Person] = []
    cluster = 0
    taken: set[str] = set()
    while len(persons) < people:
        head = _person(rng, cluster, taken)
        persons.append(head)
        cluster += 1
        if rng.random() < 0.15:
            for _ in range(rng.choice([1, 1, 2, 3])):
                persons.append(_household(rng, head, cluster, taken))
                cluster += 1
    records: list[tuple[int, dict[str, Any], str]] = []
    none_dropped = {"email": False, "phone": False, "address": False}
    for person in persons:
        copies = [(person, none_dropped)]
        if rng.random() < 0.3:
            copies += [_variant(rng, person, taken) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
        for variant, dropped in copies:
            system = rng.choice(SYSTEMS)
            records.append((person.cluster, _render(variant, system, dropped, len(records) + 1),
                            system))
    rng.shuffle(records)
    entity = {"salesforce": "Contact"}
    parties = [party_from_record(system, entity.get(system, "customer"), record)
               for _, record, system in records]
    return [c for c, _, _ in records], parties, [r for _, r, _ in records]


def evaluate(seed: int, people: int, thresholds: list[float], *, misses: bool = False
             ) -> dict[float, dict[str, float]]:
    clusters, parties, records = dataset(seed, people)
    sizes: dict[int, int] = {}
    for c in clusters:
        sizes[c] = sizes.get(c, 0) + 1
    true_pairs = sum(n * (n - 1) // 2 for n in sizes.values())
    scored = []
    for i, j in party_pairs(parties):
        scored.append((party_score(parties[i], parties[j]), clusters[i] == clusters[j], i, j))
    n = len(parties)
    out: dict[float, dict[str, float]] = {}
    for threshold in thresholds:
        tp = sum(1 for s, same, _, _ in scored if same and s.value >= threshold)
        fp = sum(1 for s, same, _, _ in scored if not same and s.value >= threshold)
        out[threshold] = {"precision": tp / (tp + fp) if tp + fp else 1.0,
                          "recall": tp / true_pairs if true_pairs else 1.0,
                          "records": n, "true_pairs": true_pairs, "scored": len(scored),
                          "fraction": len(scored) / (n * (n - 1) / 2)}
    if misses:
        threshold = thresholds[0]
        wrong = [(s, same, i, j) for s, same, i, j in scored
                 if (s.value >= threshold) != same][:40]
        for s, same, i, j in wrong:
            print(f"{'MISSED' if same else 'FALSE '} {s.value:.3f} {s.reasons}\n"
                  f"   {records[i]}\n   {records[j]}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=EVAL_SEED)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--misses", action="store_true", help="print wrong calls")
    args = parser.parse_args()
    started = time.monotonic()
    curve = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98]
    thresholds = [args.threshold, *[t for t in curve if t != args.threshold]]
    first = evaluate(args.seed, args.people, thresholds, misses=args.misses)
    second = evaluate(SECOND_SEED if args.seed != SECOND_SEED else SECOND_SEED + 1,
                      args.people, thresholds)
    for name, result in (("eval seed", first), ("second seed", second)):
        at = result[args.threshold]
        print(f"{name}: {int(at['records'])} records, {int(at['true_pairs'])} duplicate "
              f"pairs, {int(at['scored'])} pairs scored ({at['fraction']:.2%} of all pairs)")
        for threshold in sorted(result):
            r = result[threshold]
            print(f"  threshold {threshold:.2f}: precision {r['precision']:.4f}  "
                  f"recall {r['recall']:.4f}")
    at, at2 = first[args.threshold], second[args.threshold]
    figures = {"dedupe_precision": round(at["precision"], 4),
               "dedupe_recall": round(at["recall"], 4),
               "dedupe_precision_seed2": round(at2["precision"], 4),
               "dedupe_recall_seed2": round(at2["recall"], 4),
               "dedupe_pairs_scored_fraction": round(at["fraction"], 6),
               "dedupe_records": int(at["records"])}
    results_record(figures=figures)
    print(f"{figures} in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
