"""Error hints (plain Python): a suggested fix per dead-letter reason class, with its action."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.mapping import compile_mapping
from integrations.quality.hints import (
    REASON_CLASSES,
    FlowFacts,
    Hint,
    LinkSource,
    date_format_detect,
    hint_for,
    value_at,
)

FACTS = FlowFacts(
    source_label="BigCommerce", target_label="Brightpearl", source_connection=7,
    target_connection=8,
    link_tables={
        "bp_contact_ids": (LinkSource("customer-bc-to-bp", "source_id", "customer",
                                      "bigcommerce", "BigCommerce"),),
        "bp_product_ids": (LinkSource("product-bp-to-bc", "natural_key", "product",
                                      "brightpearl", "Brightpearl", "identity.sku"),),
        "bc_order_ids": (LinkSource("sales-order-bc-to-bp", "target_id", "sales_order",
                                    "bigcommerce", "BigCommerce"),),
    })


def _problems(document_fields: dict[str, Any], record: dict[str, Any],
              lookups: dict[str, Any] | None = None, schema: Any = None) -> list[dict[str, str]]:
    """Problems exactly as the pipeline stores them, from the real mapping engine."""
    mapping = compile_mapping({"format_version": 1, "fields": document_fields},
                              lookups=lookups or {}, schema=schema)
    return [{"target_path": p.target_path, "source_path": p.source_path or "", "kind": p.kind,
             "message": p.message} for p in mapping.apply(record).problems]


def _kinds(hints: list[Hint]) -> list[str]:
    return [h.action.kind if h.action else "" for h in hints]


# --- mapping problems ---------------------------------------------------------------------------

def test_a_lookup_miss_suggests_adding_the_entry_for_that_table_and_key():
    problems = _problems({"channel": {"from": "channel_id", "transform": [
        {"lookup": {"table": "channels", "on_miss": "fail"}}]}}, {"channel_id": 5},
        lookups={"channels": {"1": "WEB"}})

    [hint] = hint_for("MappingFailed", "x", problems, {"channel_id": 5}, facts=FACTS)

    assert hint.action.kind == "add_lookup_entry"
    assert hint.action.params == {"table": "channels", "key": "5", "field": "channel"}
    assert "'5'" in hint.text and "channel" in hint.text and "Brightpearl" in hint.text


def test_three_lines_missing_the_same_key_give_one_hint():
    record = {"lines": [{"cat": "Garden"}, {"cat": "Garden"}, {"cat": "Tools"}]}
    problems = _problems({"rows": {"each": "lines", "fields": {"c": {"from": "cat", "transform": [
        {"lookup": {"table": "categories", "on_miss": "fail"}}]}}}}, record,
        lookups={"categories": {}})

    hints = hint_for("MappingFailed", "x", problems, record)

    assert [h.action.params["key"] for h in hints] == ["Garden", "Tools"]
    assert hints[0].action.params["field"] == "rows[].c"


def test_a_miss_in_the_inline_map_points_at_the_mapping_field():
    problems = _problems({"status": {"from": "s", "transform": [
        {"lookup": {"map": {"a": 1}, "on_miss": "fail"}}]}}, {"s": "zz"})

    [hint] = hint_for("MappingFailed", "x", problems, {"s": "zz"})

    assert hint.action.kind == "edit_mapping" and hint.action.params == {"field": "status"}
    assert "'zz'" in hint.text


def test_a_miss_in_a_link_table_suggests_syncing_the_missing_record_by_id():
    problems = _problems({"contactId": {"from": "customer_id", "transform": [
        {"lookup": {"table": "bp_contact_ids", "on_miss": "fail"}}]}}, {"customer_id": 41},
        lookups={"bp_contact_ids": {}})

    [hint] = hint_for("MappingFailed", "x", problems, {"customer_id": 41}, facts=FACTS)

    assert hint.action.kind == "sync_missing_record"
    assert hint.action.params == {"flow": "customer-bc-to-bp", "entity": "customer",
                                  "system": "bigcommerce", "table": "bp_contact_ids",
                                  "id": "41"}
    assert "BigCommerce customer 41" in hint.text


def test_a_date_in_another_format_suggests_the_format_that_reads_it():
    value = "Tue, 02 Jan 2024 10:30:00 +0000"
    problems = _problems({"placedOn": {"from": "date_created", "transform": [
        {"date": {"from": "%Y-%m-%d"}}]}}, {"date_created": value})

    [hint] = hint_for("MappingFailed", "x", problems, {"date_created": value})

    assert hint.action.kind == "change_date_format"
    assert hint.action.params["field"] == "placedOn"
    assert hint.action.params["value"] == value
    assert hint.action.params["format"] == "%a, %d %b %Y %H:%M:%S %z"
    assert "RFC 2822" in hint.text and "%Y-%m-%d" in hint.text


def test_an_iso_date_step_given_a_day_first_date_suggests_day_first_and_says_it_is_ambiguous():
    problems = _problems({"due": {"from": "d", "transform": ["date"]}}, {"d": "03/04/2024"})

    [hint] = hint_for("MappingFailed", "x", problems, {"d": "03/04/2024"})

    assert hint.action.params["format"] == "%d/%m/%Y"
    assert hint.action.params["alternative"] == "%m/%d/%Y"
    assert "03 April 2024" in hint.text and "04 March 2024" in hint.text


def test_a_date_no_common_format_reads_asks_for_the_format_in_the_editor():
    problems = _problems({"due": {"from": "d", "transform": ["date"]}}, {"d": "next Tuesday"})

    [hint] = hint_for("MappingFailed", "x", problems, {"d": "next Tuesday"})

    assert hint.action.kind == "edit_mapping" and "'next Tuesday'" in hint.text


def test_a_missing_required_value_names_the_field_and_its_source():
    problems = _problems({"email": {"from": "contact.email", "required": True}},
                         {"contact": {}})

    [hint] = hint_for("MappingFailed", "x", problems, {"contact": {}},
                      facts=FACTS)

    assert hint.action.kind == "edit_mapping" and hint.action.params == {"field": "email"}
    assert "email" in hint.text and "contact.email" in hint.text and "BigCommerce" in hint.text


def test_a_value_too_long_for_the_target_suggests_a_truncate_step():
    schema = {"fields": {"name": {"type": "string", "max_length": 5}}}
    problems = _problems({"name": "n"}, {"n": "Longer name"}, schema=schema)

    [hint] = hint_for("MappingFailed", "x", problems, {"n": "Longer name"})

    assert "truncate" in hint.text and "'Longer name'" in hint.text
    assert hint.action.params == {"field": "name"}


def test_too_many_decimal_places_suggests_a_round_step():
    schema = {"fields": {"price": {"type": "decimal", "scale": 2}}}
    problems = _problems({"price": {"from": "p", "transform": ["to_decimal"]}}, {"p": "1.234"},
                         schema=schema)

    [hint] = hint_for("MappingFailed", "x", problems, {"p": "1.234"})

    assert "round step" in hint.text and hint.action.params == {"field": "price"}


def test_a_value_that_is_not_a_number_names_it():
    problems = _problems({"qty": {"from": "q", "transform": ["to_int"]}}, {"q": "two"})

    [hint] = hint_for("MappingFailed", "x", problems, {"q": "two"})

    assert "'two'" in hint.text and hint.action.kind == "edit_mapping"


# --- the pipeline's other classes ---------------------------------------------------------------

def test_a_dependency_that_never_synced_suggests_syncing_it_by_its_sku():
    reason = ("Waiting for a related record to sync first: 'W-1' is not in lookup table "
              "'bp_product_ids'; a value is required but the source has none")

    [hint] = hint_for("DependencyMissing", reason, [], {"id": 9}, facts=FACTS)

    assert hint.action.kind == "sync_missing_record"
    assert hint.action.params["natural_key"] == "W-1"
    assert hint.action.params["natural_key_path"] == "identity.sku"
    assert "Brightpearl product with SKU W-1" in hint.text


def test_a_dependency_only_its_target_knows_has_no_one_click_sync():
    reason = "Waiting for a related record to sync first: 12 is not in lookup table 'bc_order_ids'"

    [hint] = hint_for("DependencyMissing", reason, [], {}, facts=FACTS)

    assert hint.action.kind == "replay" and "'12'" in hint.text


@pytest.mark.parametrize("error_class", ["TransientError", "RateLimited"])
def test_retries_run_out_suggest_replaying_once_the_system_is_back(error_class):
    [hint] = hint_for(error_class, "Brightpearl: timed out (HTTP 503)", [], {"id": 1},
                      facts=FACTS)

    assert hint.action.kind == "replay" and "Brightpearl" in hint.text


def test_a_refused_token_suggests_reconnecting_the_failing_connection():
    hints = hint_for("AuthError", "BigCommerce: token revoked (HTTP 401)", [], None,
                     facts=FACTS)

    assert hints[0].action.kind == "reconnect"
    assert hints[0].action.params == {"connection": 7}  # the source: nothing was read yet
    assert _kinds(hints)[1] == "replay"


def test_a_missing_permission_on_the_target_suggests_the_target_connection():
    hints = hint_for("PermissionDenied", "Brightpearl: scope missing (HTTP 403)", [],
                     {"id": 1}, facts=FACTS)

    assert hints[0].action.params == {"connection": 8} and "permission" in hints[0].text


def test_a_connection_set_up_wrongly_points_at_its_page():
    [first, _] = hint_for("ConfigurationError", "Missing credential: store_hash.", [], None,
                          facts=FACTS)

    assert first.action.kind == "reconnect" and "store_hash" in first.text


def test_a_source_record_that_is_gone_suggests_replay_or_discard():
    hints = hint_for("NotFound", "BigCommerce: no order 5 (HTTP 404)", [], None, facts=FACTS,
                     external_id="5")

    assert _kinds(hints) == ["replay", "discard"] and "record 5" in hints[0].text


def test_a_refusal_naming_a_mapped_field_points_at_that_field():
    [hint] = hint_for("ValidationFailed", "Brightpearl: warehouseId is required (HTTP 400)", [],
                      {"id": 1}, facts=FACTS, mapped_record={"warehouseId": None, "ref": "x"})

    assert hint.action.params == {"field": "warehouseId"} and "Brightpearl refused" in hint.text


def test_a_record_held_for_review_offers_approve_and_discard():
    problems = [{"target_path": "billing.zip", "source_path": "billing.zip",
                 "kind": "quality.address", "message": "'ABC' is not a UK postcode",
                 "check": "address", "data": {}}]

    hints = hint_for("HeldForReview", "Held for review: 'ABC' is not a UK postcode", problems,
                     {"billing": {"zip": "ABC"}}, facts=FACTS)

    assert _kinds(hints) == ["approve", "discard"]
    assert hints[0].action.params == {"checks": ["address"]} and "billing.zip" in hints[0].text


def test_a_duplicate_held_for_review_names_the_record_it_looks_like():
    problems = [{"target_path": "", "source_path": "", "kind": "quality.dedupe",
                 "message": "Same email as contact 204", "check": "dedupe",
                 "data": {"target_id": "204"}}]

    [approve, link, _] = hint_for("HeldForReview", "Held for review", problems, {},
                                  facts=FACTS)

    assert "Brightpearl record 204" in approve.text and approve.action.kind == "approve"
    assert link.action.kind == "link_duplicate"
    assert link.action.params["choices"] == [{"target_id": "204", "label": "", "score": None}]


def test_an_invalid_address_names_the_field_and_value():
    problems = [{"target_path": "delivery.postcode", "source_path": "shipping.zip",
                 "kind": "address", "message": "no such postcode"}]

    [hint] = hint_for("AddressInvalid", "Address invalid", problems, {"shipping": {"zip": "Q1"}},
                      facts=FACTS)

    assert "delivery.postcode" in hint.text and "'Q1'" in hint.text
    assert hint.action.kind == "replay"


def test_an_internal_error_suggests_one_replay_then_support():
    [hint] = hint_for("KeyError", "Internal error (KeyError): 'x'", [], None)

    assert hint.action.kind == "replay" and "support" in hint.text


def test_an_unknown_class_still_gets_a_hint_with_its_reason():
    [hint] = hint_for("MissingReference", "SKU of 7 unknown", [], None)

    assert "SKU of 7 unknown" in hint.text


@pytest.mark.parametrize("error_class", REASON_CLASSES)
def test_every_reason_class_gets_at_least_one_hint_in_words(error_class):
    hints = hint_for(error_class, "something went wrong", [], {"id": 1}, facts=FACTS)

    assert hints and all(len(h.text) > 30 for h in hints)


# --- date formats -------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("Tue, 02 Jan 2024 10:30:00 +0000", "%a, %d %b %Y %H:%M:%S %z"),
    ("Tue, 02 Jan 2024 10:30:00 GMT", "%a, %d %b %Y %H:%M:%S %Z"),
    ("2024-01-02T10:30:00Z", "iso"),
    ("2024-01-02", "iso"),
    ("25/12/2024", "%d/%m/%Y"),
    ("12/25/2024", "%m/%d/%Y"),
    ("25.12.2024", "%d.%m.%Y"),
    ("20241225", "iso"),  # ISO 8601 basic format, which the date step reads as iso
    ("20241225103000", "%Y%m%d%H%M%S"),
    ("12/25/2024 03:15 PM", "%m/%d/%Y %I:%M %p"),
    ("25 December 2024", "%d %B %Y"),
    (1735084800, "unix"),
    ("1735084800000", "unix_ms"),
])
def test_the_date_format_is_detected_from_the_value(value, expected):
    guess = date_format_detect(value)

    assert guess is not None and guess.format == expected


def test_a_day_month_ambiguity_is_settled_by_another_date_of_the_record():
    guess = date_format_detect("03/04/2024", record={"shipped": "03/25/2024"})

    assert guess.format == "%m/%d/%Y" and "03/25/2024" in guess.note


def test_value_at_reads_dotted_and_indexed_paths():
    record = {"a": {"b": [{"c": 1}, {"c": 2}]}, "rows": {"1002": {"sku": "W"}}}

    assert value_at(record, "a.b[1].c") == 2
    assert value_at(record, "rows.1002.sku") == "W"
    assert value_at(record, "a.missing") is None
    assert value_at(record, "a.b[?c == `1`]") is None
