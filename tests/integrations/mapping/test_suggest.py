"""Ranking source fields for a target field: name, type and sample value each count."""

from integrations.mapping.suggest import Candidate, suggest, tokens, type_fit, value_kinds


def paths(target: str, rule: dict, candidates: list[Candidate], **kwargs) -> list[str]:
    return [s.path for s in suggest(target, rule, candidates, **kwargs)]


def test_names_are_compared_as_words_whatever_their_spelling():
    assert tokens("emailAddress") == tokens("email_address") == tokens("EMAIL-ADDRESS")
    assert tokens("countryISOCode") == ("country", "iso", "code")


def test_synonyms_fold_to_one_word():
    assert tokens("qty") == tokens("quantity")
    assert tokens("productCode") == tokens("sku")
    assert tokens("emailAddress") == tokens("email")
    assert tokens("zip") == tokens("postcode") == tokens("postal_code")


def test_name_signal_puts_a_synonym_before_an_unrelated_field():
    candidates = [Candidate("notes", "integer"), Candidate("qty", "integer")]
    assert paths("quantity", {"type": "integer"}, candidates) == ["qty"]


def test_name_signal_orders_closer_names_first():
    candidates = [Candidate("sku_prefix", "string"), Candidate("productCode", "string")]
    assert paths("sku", {"type": "string"}, candidates) == ["productCode", "sku_prefix"]


def test_generic_last_word_is_read_with_its_parent():
    candidates = [Candidate("currency_code", "string"), Candidate("country_code", "string")]
    assert paths("currency.code", {"type": "string"}, candidates)[0] == "currency_code"


def test_type_signal_changes_the_order_between_equally_named_fields():
    candidates = [Candidate("shipping.weight", "string"), Candidate("product.weight", "decimal")]
    assert paths("weight", {"type": "decimal"}, candidates) == ["product.weight",
                                                                 "shipping.weight"]
    assert paths("weight", {"type": "string"}, candidates) == ["shipping.weight",
                                                                "product.weight"]


def test_ids_of_different_things_are_not_alike():
    candidates = [Candidate("status_id", "integer"), Candidate("contactGroupId", "integer")]
    assert paths("customer_group_id", {"type": "integer"}, candidates) == ["contactGroupId"]


def test_a_field_whose_type_can_never_fit_is_not_suggested():
    candidates = [Candidate("email", "object"), Candidate("emails", "list")]
    assert paths("email", {"type": "string"}, candidates) == []


def test_sample_signal_changes_the_order_between_equally_named_fields():
    candidates = [Candidate("billing.email", "string", "not given"),
                  Candidate("shipping.email", "string", "ann@example.com")]
    assert paths("email", {"type": "string"}, candidates) == ["shipping.email", "billing.email"]


def test_a_telling_sample_value_suggests_a_field_with_an_unrelated_name():
    candidates = [Candidate("contact_info", "string", "bob@example.com"),
                  Candidate("notes", "string", "leave at the door")]
    assert paths("email", {"type": "string"}, candidates) == ["contact_info"]


def test_a_plain_number_sample_alone_does_not_suggest_a_field():
    candidates = [Candidate("zip", "string", "12345")]
    assert paths("quantity.magnitude", {"type": "decimal"}, candidates) == []


def test_a_sample_matching_the_fields_pattern_ranks_first():
    rule = {"type": "string", "pattern": r"\d{4}-\d{2}-\d{2}"}
    candidates = [Candidate("date_label", "string", "next Tuesday"),
                  Candidate("date_created", "string", "2025-03-04")]
    assert paths("placedOnDate", rule, candidates)[0] == "date_created"


def test_a_sample_outside_the_allowed_values_ranks_last():
    rule = {"type": "string", "choices": ["residential", "commercial"]}
    candidates = [Candidate("type", "string", "shipping"),
                  Candidate("address_type", "string", "commercial")]
    assert paths("address_type", rule, candidates) == ["address_type", "type"]


def test_suggestions_say_why_in_a_few_words():
    [best] = suggest("postcode", {"type": "string"},
                     [Candidate("zip", "string", "SW1A 1AA")], limit=1)
    assert "same meaning (postcode ≈ zip)" in best.reason
    assert "same type" in best.reason


def test_reason_names_the_sample_kind():
    [best] = suggest("email", {"type": "string"}, [Candidate("mail", None, "a@b.se")])
    assert "looks like an email address" in best.reason


def test_at_most_limit_suggestions_best_first():
    candidates = [Candidate(f"email{n}", "string") for n in range(6)]
    found = suggest("email", {"type": "string"}, candidates, limit=3)
    assert len(found) == 3
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)


def test_sample_kinds_recognise_emails_dates_and_numbers():
    assert "email" in value_kinds("ann@example.com")
    assert "date" in value_kinds("2024-03-05T23:30:00+00:00")
    assert "date" in value_kinds("Tue, 04 Mar 2025 14:02:00 +0000")
    assert "number" in value_kinds("19.99")
    assert "number" in value_kinds(3)
    assert value_kinds("hello") == frozenset()


def test_numbers_fit_text_fields_but_objects_never_do():
    assert type_fit("string", "integer")[0] > 0
    assert type_fit("string", "object")[0] == 0
    assert type_fit("decimal", "integer")[0] > type_fit("decimal", "string", "abc")[0]
