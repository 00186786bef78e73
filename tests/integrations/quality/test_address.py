"""Address cleansing on source records of the six systems (plain Python, no database)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from integrations.pair_templates._brightpearl_erp import COUNTRY_NAMES
from integrations.quality.address import (
    LAYOUTS,
    city_title,
    cleanse_record,
    country_find,
    country_name,
)
from tests.integrations.quality.address_cases import CASES, Case, bc, bp, gp, sf

GOLDEN = Path(__file__).resolve().parents[1] / "pair_templates" / "golden"
SYSTEMS = {"bc": "bigcommerce", "bp": "brightpearl", "sf": "salesforce", "infor": "infor",
           "syspro": "syspro", "gp": "dynamics_gp"}


def _cleansed(case: Case):
    return cleanse_record(copy.deepcopy(case.record), system=case.system)


def test_the_test_set_has_at_least_60_addresses_across_at_least_12_countries():
    assert len(CASES) >= 60
    assert len({case.country for case in CASES if case.country}) >= 12
    assert {case.system for case in CASES} == set(LAYOUTS)
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_messy_address_is_normalised_to_its_expected_form(case: Case):
    result = _cleansed(case)

    assert result.record == case.expected
    assert sorted(problem.path for problem in result.invalid) == sorted(case.invalid)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_change_names_its_field_its_old_and_new_value_and_why(case: Case):
    result = _cleansed(case)

    for change in result.changes:
        assert change.before != change.after
        assert change.reason.endswith(".") and len(change.reason) > 10
        assert _at(result.record, change.path) == change.after
        assert _at(case.record, change.path) == change.before
    changed_paths = [change.path for change in result.changes]
    assert len(changed_paths) == len(set(changed_paths))   # one change per field


@pytest.mark.parametrize("case", [c for c in CASES if c.invalid], ids=lambda c: c.name)
def test_a_flagged_field_keeps_its_value_and_its_message_names_field_and_value(case: Case):
    result = _cleansed(case)

    for problem in result.invalid:
        assert problem.path in problem.message
        value = _at(case.record, problem.path)
        if value:
            assert f"'{value}'" in problem.message
        assert _at(result.record, problem.path) == _at(case.expected, problem.path)


def _golden_sources() -> list[tuple[str, str, Path]]:
    found = []
    for path in sorted(GOLDEN.glob("*/*.source.json")):
        flow = path.name.removesuffix(".source.json")
        source = flow.split("-to-")[0].removeprefix("sales-order-").split("-")[-1]
        system = "dynamics_gp" if flow.split("-to-")[0].endswith("dynamics-gp") else \
            SYSTEMS[source]
        found.append((f"{path.parent.name}/{flow}", system, path))
    return found


@pytest.mark.parametrize("name,system,path", _golden_sources(), ids=lambda v: str(v))
def test_a_clean_source_record_of_the_pair_templates_comes_through_unchanged(name, system,
                                                                             path):
    record = json.loads(path.read_text())

    result = cleanse_record(copy.deepcopy(record), system=system)

    assert result.changes == [] and result.invalid == []
    assert result.record == record


def test_addresses_are_found_in_source_records_of_all_six_systems():
    found = {system: set() for system in LAYOUTS}
    for _name, system, path in _golden_sources():
        found[system] |= set(cleanse_record(json.loads(path.read_text()), system=system)
                             .addresses)

    assert {"billing_address.street_1", "shipping_addresses[0].street_1",
            "addresses[0].address1"} <= found["bigcommerce"]
    assert {"parties.delivery.addressLine1", "postalAddresses.DEL.addressLine1"} <= \
        found["brightpearl"]
    assert {"MailingStreet", "Account.BillingStreet"} <= found["salesforce"]
    assert found["infor"] == {"CUA1"}
    assert found["syspro"] == {"Customer.SoldToAddr1", "Customer.ShipToAddr1"}
    assert found["dynamics_gp"] == {"ADDRESS1"}


def test_every_address_of_a_record_is_cleansed():
    record = bc(street_1="1 Beacon St", city="BOSTON", state="MA", zip="02108",
                country="United States", country_iso2="US")
    record["shipping_addresses"] = [dict(record["billing_address"], city="cambridge",
                                         zip="02139")]

    result = cleanse_record(record, system="bigcommerce")

    assert result.record["billing_address"]["city"] == "Boston"
    assert result.record["shipping_addresses"][0]["city"] == "Cambridge"
    assert {c.path for c in result.changes} == {"billing_address.city",
                                                "shipping_addresses[0].city"}


def test_a_party_with_no_address_filled_in_is_not_flagged():
    record = {"id": 1, "parties": {"customer": {"contactId": 214},
                                   "delivery": bp()["parties"]["delivery"]}}  # all empty

    result = cleanse_record(record, system="brightpearl")

    assert result.invalid == [] and result.addresses == []


def test_a_field_already_in_a_code_form_other_than_its_own_is_written_in_its_own():
    result = cleanse_record(bp(addressLine1="Damrak 1", addressLine3="Amsterdam",
                               postalCode="1012 LG", countryIsoCode="nl"), system="brightpearl")

    assert result.record["parties"]["delivery"]["countryIsoCode"] == "NLD"
    assert "alpha-3" in result.changes[0].reason


def test_a_valid_address_in_a_country_without_a_postcode_rule_only_gets_whitespace_and_case():
    result = cleanse_record(gp(ADDRESS1="Sheikh Zayed Rd", CITY="Dubai", ZIPCODE=" ab 1 ",
                               COUNTRY="United Arab Emirates", CCode="AE"),
                            system="dynamics_gp")

    assert result.invalid == []
    assert result.record["ZIPCODE"] == "AB 1"


def test_the_usual_names_are_the_ones_the_pair_templates_country_tables_are_keyed_by():
    for iso3, name in COUNTRY_NAMES.items():
        assert country_name(country_find(iso3)) == name


@pytest.mark.parametrize("typed,meant", [
    ("UK", "GB"), ("Great Britain", "GB"), ("England", "GB"), ("United Kingdom", "GB"),
    ("Deutschland", "DE"), ("U.S.A.", "US"), ("united states of america", "US"),
    ("Holland", "NL"), ("The Netherlands", "NL"), ("Éire", "IE"), ("DEU", "DE"),
    ("fr", "FR"), ("Korea, Republic of", "KR"), ("Côte d'Ivoire", "CI"),
])
def test_country_variants_mean_their_iso_country(typed, meant):
    assert country_find(typed).alpha_2 == meant


def test_a_word_that_is_no_country_is_not_taken_for_one():
    assert country_find("Narnia") is None
    assert country_find("ZZ") is None


@pytest.mark.parametrize("typed,written", [
    ("MCALLEN", "McAllen"), ("ST. JOHN'S", "St. John's"), ("o'fallon", "O'Fallon"),
    ("NEWCASTLE UPON TYNE", "Newcastle upon Tyne"), ("BETWS-Y-COED", "Betws-y-Coed"),
    ("'S-HERTOGENBOSCH", "'s-Hertogenbosch"), ("KING'S LYNN", "King's Lynn"),
    ("McAllen", "McAllen"), ("deLand", "deLand"), ("大阪市", "大阪市"),
])
def test_a_city_typed_in_one_case_gets_title_case_and_a_mixed_case_one_is_kept(typed, written):
    assert city_title(typed) == written


def test_salesforce_street_keeps_its_lines_for_the_mapping_to_split():
    result = cleanse_record(sf(MailingStreet=" 1 High St \n\n Unit  2 ", MailingCity="Leeds",
                               MailingPostalCode="LS1 4AP", MailingCountry="United Kingdom"),
                            system="salesforce")

    assert result.record["MailingStreet"] == "1 High St\nUnit 2"


def test_a_postcode_that_arrives_as_a_number_is_read_as_text():
    result = cleanse_record(gp(ADDRESS1="1 Main St", CITY="Denver", STATE="CO", ZIPCODE=80202,
                               COUNTRY="United States", CCode="US"), system="dynamics_gp")

    assert result.invalid == []
    assert result.record["ZIPCODE"] == "80202"


def test_a_record_that_is_not_an_object_is_returned_as_it_came():
    assert cleanse_record(["not", "a", "record"], system="infor").record == ["not", "a",
                                                                             "record"]


def test_a_system_without_an_address_layout_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match=r"No address layout for system 'netsuite'.*brightpearl"):
        cleanse_record({}, system="netsuite")


def _at(record, path: str):
    """The value at a dotted/bracket path of the kind the changes name."""
    node = record
    for part in path.split("."):
        name, _, index = part.partition("[")
        node = node[name] if name else node
        if index:
            node = node[int(index.rstrip("]"))]
    return node
