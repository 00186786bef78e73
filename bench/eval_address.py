"""Address cleansing against its test set and against sandbox addresses made messy (``make eval``).

Figures:

- ``address_accuracy``: share of the test set (tests/integrations/quality/address_cases.py)
  normalised exactly: the record equal to its expected form and exactly the expected fields
  flagged. The rules were written with this set in view, so it says the rules do what the set
  asks (a regression figure), not how they do on addresses never seen.
- ``address_perturbed_accuracy``: the same on addresses the rules were not written from: every
  city of the sandboxes' seed data (``sandboxes.seeding.COUNTRIES``) in a BigCommerce order,
  each spoiled one way a person or an export spoils addresses (postcode without its space and
  in lower case, city in capitals or lower case, the country as a common variant with no code,
  the state by name, stray spaces); a hit is the clean address back with nothing flagged.
- ``address_clean_unchanged``: share of clean addresses (those seed addresses as they are, and
  the pair templates' golden source records) that come through with no change and no flag.
- ``address_flag_precision`` / ``address_flag_recall``: over the test set's fields, flagged
  fields that should be, and fields that should be flagged that are.
- ``address_cases``, ``address_countries``, ``address_perturbed_cases``: the sizes.
- ``address_cleanse_us``: mean microseconds to cleanse one test-set record (20 passes, after
  a first that builds the lookup indexes).

Plain Python, no Django settings: ``python bench/eval_address.py``.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.results import results_record  # noqa: E402
from integrations.quality.address import cleanse_record, region_code  # noqa: E402
from sandboxes.seeding import COUNTRIES  # noqa: E402
from tests.integrations.quality.address_cases import CASES, bc  # noqa: E402

GOLDEN = REPO_ROOT / "tests" / "integrations" / "pair_templates" / "golden"
SYSTEMS = {"bc": "bigcommerce", "bp": "brightpearl", "sf": "salesforce", "infor": "infor",
           "syspro": "syspro", "gp": "dynamics_gp"}
VARIANTS = {"GB": "UK", "US": "U.S.A.", "DE": "Deutschland", "FR": "france",
            "AU": "australia", "CA": "CANADA"}
PASSES = 20
REGION_NAMES = {"US": {"TX": "Texas", "OR": "Oregon", "CO": "Colorado", "IL": "Illinois"},
                "AU": {"NSW": "New South Wales", "VIC": "Victoria"},
                "CA": {"ON": "Ontario", "BC": "British Columbia"}}


def _seed_addresses() -> Iterator[tuple[str, dict[str, Any]]]:
    for country in COUNTRIES:
        for n, (city, region, postcode) in enumerate(country["cities"]):
            yield country["iso2"], bc(
                street_1=f"{10 + n} High Street", city=city, state=region, zip=postcode,
                country=country["name"], country_iso2=country["iso2"])


def _spoiled(iso2: str, clean: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    address = clean["billing_address"]

    def spoil(**parts: str) -> dict[str, Any]:
        return {**clean, "billing_address": {**address, **parts}}

    yield "postcode-compact-lower", spoil(zip=address["zip"].replace(" ", "").lower())
    yield "city-capitals", spoil(city=address["city"].upper())
    yield "city-lower", spoil(city=address["city"].lower())
    yield "country-variant", spoil(country=VARIANTS[iso2], country_iso2="")
    yield "stray-spaces", spoil(street_1=f"  {address['street_1'].replace(' ', '   ')} ",
                                zip=f" {address['zip']}  ")
    name = REGION_NAMES.get(iso2, {}).get(address["state"])
    if name:
        assert region_code(iso2, name) == address["state"]
        yield "state-by-name", spoil(state=name)


def _exact(result: Any, expected: dict[str, Any], invalid: tuple[str, ...]) -> bool:
    return result.record == expected and sorted(p.path for p in result.invalid) == sorted(
        invalid)


def _golden() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(GOLDEN.glob("*/*.source.json")):
        source = path.name.removesuffix(".source.json").split("-to-")[0]
        system = "dynamics_gp" if source.endswith("dynamics-gp") else SYSTEMS[
            source.split("-")[-1]]
        yield system, json.loads(path.read_text())


def main() -> dict[str, float]:
    exact = flagged_right = flagged = should_flag = 0
    for case in CASES:
        result = cleanse_record(copy.deepcopy(case.record), system=case.system)
        exact += _exact(result, case.expected, case.invalid)
        got = {p.path for p in result.invalid}
        flagged_right += len(got & set(case.invalid))
        flagged += len(got)
        should_flag += len(case.invalid)
    copies = [copy.deepcopy(case.record) for case in CASES for _ in range(PASSES)]
    started = time.perf_counter()   # indexes built above: the steady state of a pipeline
    for record, case in zip(copies, [c for c in CASES for _ in range(PASSES)], strict=True):
        cleanse_record(record, system=case.system)
    per_record_us = (time.perf_counter() - started) / len(copies) * 1e6

    perturbed = perturbed_hits = clean = clean_hits = 0
    misses: list[str] = []
    for iso2, address in _seed_addresses():
        clean += 1
        clean_hits += _exact(cleanse_record(copy.deepcopy(address), system="bigcommerce"),
                             address, ())
        for kind, messy in _spoiled(iso2, address):
            perturbed += 1
            if _exact(cleanse_record(copy.deepcopy(messy), system="bigcommerce"), address, ()):
                perturbed_hits += 1
            else:
                misses.append(f"{iso2} {address['billing_address']['city']}: {kind}")
    for system, record in _golden():
        clean += 1
        clean_hits += _exact(cleanse_record(copy.deepcopy(record), system=system), record, ())

    figures = {
        "address_accuracy": round(exact / len(CASES), 4),
        "address_perturbed_accuracy": round(perturbed_hits / perturbed, 4),
        "address_clean_unchanged": round(clean_hits / clean, 4),
        "address_flag_precision": round(flagged_right / flagged, 4) if flagged else 1.0,
        "address_flag_recall": round(flagged_right / should_flag, 4) if should_flag else 1.0,
        "address_cases": len(CASES),
        "address_perturbed_cases": perturbed,
        "address_countries": len({case.country for case in CASES if case.country}),
        "address_cleanse_us": round(per_record_us, 1),
    }
    for miss in misses:
        print("miss:", miss)
    print(json.dumps(figures, indent=2))
    results_record(figures=figures)
    return figures


if __name__ == "__main__":
    main()
