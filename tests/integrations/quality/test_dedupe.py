"""The duplicate scorer: normalising, scoring with reasons, blocking (plain Python)."""

from __future__ import annotations

import pytest

from integrations.quality.dedupe import (
    DEFAULT_THRESHOLD,
    email_normalise,
    item_make,
    item_score,
    party_from_record,
    party_make,
    party_pairs,
    party_score,
    phone_normalise,
    record_score,
    sku_normalise,
)

JOHN = dict(first="John", last="Smith", emails=["john.smith@example.com"],
            phones=["+44 20 7946 0958"], addresses=[("EH1 2NG", ["12 Königsgate Road"])])


def person(**changes):
    return party_make(**{**JOHN, **changes})


def test_email_in_another_case_with_the_same_name_is_a_duplicate():
    score = party_score(person(), person(emails=["John.Smith@EXAMPLE.com"], phones=[],
                                         addresses=[]))

    assert score.value >= DEFAULT_THRESHOLD
    assert "same email ignoring case" in score.reasons


def test_name_written_surname_first_with_a_comma_is_the_same_name():
    score = party_score(person(), party_make(name="Smith, John",
                                             emails=["john.smith@example.com"]))

    assert "same name, words reordered" in score.reasons
    assert score.value >= DEFAULT_THRESHOLD


def test_one_letter_typo_in_the_surname_is_reported_and_still_matches():
    score = party_score(person(), person(last="Smtih"))

    assert "name 1 edit apart" in score.reasons
    assert score.value >= DEFAULT_THRESHOLD


def test_accents_case_and_titles_do_not_make_names_differ():
    a = party_make(first="Zoë", last="Ångström", phones=["+46 8 555 012 34"])
    b = party_make(name="Dr. ZOE ANGSTROM", phones=["08-555 012 34"])

    score = party_score(a, b)

    assert {"same phone number", "same name"} <= set(score.reasons)
    assert score.value >= DEFAULT_THRESHOLD


def test_family_member_at_the_same_address_and_phone_is_not_a_duplicate():
    score = party_score(person(), person(first="Mary", emails=["mary.smith@example.com"]))

    assert "a name word matches but another differs" in score.reasons
    assert score.value < 0.5


def test_same_common_name_with_nothing_else_shared_is_not_a_duplicate():
    other = person(emails=["jsmith77@mail.example"], phones=["+1 415 555 0100"],
                   addresses=[("94103", ["500 Howard Street"])])

    assert party_score(person(), other).value < 0.5


def test_name_alone_is_not_enough_to_call_a_duplicate():
    assert party_score(party_make(first="John", last="Smith"),
                       party_make(first="John", last="Smith")).value < DEFAULT_THRESHOLD


def test_nickname_and_initial_count_as_the_same_first_name_with_their_own_reason():
    nick = party_score(person(first="Robert"), person(first="Bob"))
    initial = party_score(person(), person(first="J."))

    assert "a nickname for the same first name" in nick.reasons
    assert "a name given as an initial" in initial.reasons
    assert nick.value >= DEFAULT_THRESHOLD and initial.value >= DEFAULT_THRESHOLD


def test_email_numbers_that_differ_are_not_a_typo():
    a = party_make(first="John", last="Smith", emails=["johnsmith82@gmx.de"])
    b = party_make(first="John", last="Smith", emails=["johnsmith88@gmx.de"])

    score = party_score(a, b)

    assert "different email" in score.reasons
    assert score.value < DEFAULT_THRESHOLD


def test_one_letter_email_typo_is_named():
    a = party_make(first="John", last="Smith", emails=["john.smith@example.com"])
    b = party_make(first="John", last="Smith", emails=["jonh.smith@example.com"])

    assert "email 1 edit apart" in party_score(a, b).reasons


@pytest.mark.parametrize(("given", "mailbox"), [
    ("John.Smith@Example.COM", "john.smith@example.com"),
    ("j.o.h.n+shop@googlemail.com", "john@gmail.com"),
    ("john+news@example.com", "john@example.com"),
    ("not an email", ""),
])
def test_email_normalises_to_the_mailbox_it_delivers_to(given, mailbox):
    assert email_normalise(given) == mailbox


@pytest.mark.parametrize("written", ["+44 20 7946 0958", "0044 20 7946 0958", "020 7946 0958",
                                     "+44 (0)20 7946-0958"])
def test_phone_written_any_way_gives_the_national_number(written):
    assert phone_normalise(written) == "2079460958"


def test_north_american_number_with_and_without_its_country_code_is_the_same():
    assert phone_normalise("1-415-555-0100") == phone_normalise("(415) 555-0100")


def test_sku_ignores_case_spaces_and_dashes():
    assert sku_normalise(" abc-123 x ") == sku_normalise("ABC123X")


def test_product_with_the_same_sku_in_another_case_is_a_duplicate():
    score = item_score(item_make(skus=["TSHIRT-RED-S"], name="T-shirt red S"),
                       item_make(skus=["tshirt red s"], name="Red T-shirt, small"))

    assert "same SKU ignoring case, spaces and dashes" in score.reasons
    assert score.value >= DEFAULT_THRESHOLD


def test_sibling_variant_with_a_one_letter_different_sku_is_not_a_duplicate():
    score = item_score(item_make(skus=["TSHIRT-RED-S"], name="T-shirt red"),
                       item_make(skus=["TSHIRT-RED-M"], name="T-shirt red"))

    assert "different SKU" in score.reasons
    assert score.value < 0.5


def test_customer_cannot_be_scored_against_a_product():
    with pytest.raises(TypeError, match="customer can only be compared with a customer"):
        record_score(party_make(first="A", last="B"), item_make(skus=["X"]))


def test_blocking_pairs_only_records_that_share_a_key():
    records = [person(), person(emails=["JOHN.SMITH@example.com"], phones=[], addresses=[]),
               party_make(first="Ada", last="Lovelace", emails=["ada@example.org"])]

    assert list(party_pairs(records)) == [(0, 1)]


def test_brightpearl_contact_and_bigcommerce_customer_fields_are_read():
    contact = party_from_record("brightpearl", "customer", {
        "contactId": 207, "firstName": "Åsa", "lastName": "Lindqvist",
        "communication": {"emails": {"PRI": {"email": "asa@example.com"}},
                          "telephones": {"PRI": "+46 8 123 456"}},
        "postalAddresses": {"DEF": {"addressLine1": "Drottninggatan 12",
                                    "postalCode": "111 51"}}})
    customer = party_from_record("bigcommerce", "customer", {
        "id": 4, "first_name": "Asa", "last_name": "Lindqvist", "email": "ASA@example.com",
        "phone": "08 123 456",
        "addresses": [{"address1": "Drottninggatan 12", "postal_code": "11151"}]})

    score = party_score(contact, customer)

    assert contact.key == "207" and customer.key == "4"
    assert {"same email ignoring case", "same phone number", "same postcode and street number",
            "same name"} <= set(score.reasons)


def test_a_system_without_known_fields_is_refused_by_name():
    with pytest.raises(ValueError, match="No customer fields known for system 'acme'"):
        party_from_record("acme", "customer", {})
