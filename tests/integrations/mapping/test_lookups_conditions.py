import pytest

from integrations.mapping import MappingDocumentError, compile_mapping
from tests.integrations.mapping.helpers import document, run, value

CHANNELS = {"channel_codes": {"1": "WEB", "3": "EBAY"}}


def test_lookup_translates_a_channel_id_to_a_code():
    spec = {"from": "channelId", "transform": [{"lookup": "channel_codes"}]}
    assert value(spec, {"channelId": 3}, lookups=CHANNELS) == "EBAY"


def test_lookup_miss_uses_default():
    spec = {"from": "channelId", "transform": [{"lookup": {"table": "channel_codes",
                                                            "default": "OTHER"}}]}
    assert value(spec, {"channelId": 9}, lookups=CHANNELS) == "OTHER"


def test_lookup_miss_without_default_is_a_problem_naming_the_table():
    fields = {"UCA1": {"from": "channelId", "transform": [{"lookup": "channel_codes"}]}}
    (problem,) = run(fields, {"channelId": 9}, lookups=CHANNELS).problems
    assert (problem.target_path, problem.source_path, problem.kind) == (
        "UCA1", "channelId", "lookup")
    assert "'channel_codes'" in problem.message


def test_lookup_on_miss_keep_passes_the_source_value_through():
    spec = {"from": "s", "transform": [{"lookup": {"map": {"a": "A"}, "on_miss": "keep"}}]}
    assert value(spec, {"s": "zz"}) == "zz"


def test_payment_method_maps_to_gl_account():
    tables = {"gl_accounts": {"CARD": "1210", "PAYPAL": "1220"}}
    spec = {"from": "paymentMethodCode", "transform": [{"lookup": "gl_accounts"}]}
    assert value(spec, {"paymentMethodCode": "PAYPAL"}, lookups=tables) == "1220"


def test_status_maps_to_status_with_an_inline_table_in_the_document():
    doc = document({"Status": {"from": "orderStatus", "transform": [{"lookup": "status"}]}},
                   lookups={"status": {"partiallyShipped": "Partially Fulfilled"}})
    result = compile_mapping(doc).apply({"orderStatus": "partiallyShipped"})
    assert result.record == {"Status": "Partially Fulfilled"}


def test_supplied_lookup_table_overrides_the_documents_own():
    doc = document({"S": {"from": "s", "transform": [{"lookup": "t"}]}}, lookups={"t": {"a": "1"}})
    mapping = compile_mapping(doc, lookups={"t": {"a": "2"}})
    assert mapping.apply({"s": "a"}).record == {"S": "2"}


def test_lookup_table_not_supplied_is_a_document_error():
    with pytest.raises(MappingDocumentError) as caught:
        compile_mapping(document({"X": {"from": "s", "transform": [{"lookup": "nope"}]}}))
    (problem,) = caught.value.problems
    assert problem.where == "fields.X.transform[0].lookup"
    assert "'nope' was not supplied" in problem.message


def test_conditional_value_by_customer_group():
    spec = {"when": [{"if": {"from": "group", "eq": "TRADE"}, "then": {"const": "T1"}},
                     {"if": {"from": "group", "in": ["VIP", "STAFF"]}, "then": {"const": "V1"}}],
            "else": {"const": "R1"}}
    assert [value(spec, {"group": g}) for g in ("TRADE", "VIP", "NEW")] == ["T1", "V1", "R1"]


def test_conditional_gl_account_by_product_type_reads_another_field():
    spec = {"when": [{"if": {"from": "type", "eq": "service"}, "then": "serviceAccount"}],
            "else": "stockAccount"}
    assert value(spec, {"type": "service", "serviceAccount": "4100",
                 "stockAccount": "4000"}) == "4100"


def test_condition_equality_matches_numbers_and_text():
    spec = {"when": [{"if": {"from": "channelId", "eq": "3"}, "then": {"const": "yes"}}]}
    assert value(spec, {"channelId": 3}) == "yes"


def test_conditions_combine_with_all_any_and_not():
    cond = {"all": [{"from": "total", "gte": 100},
                    {"not": {"from": "country", "eq": "SE"}},
                    {"any": [{"from": "email", "exists": True},
                             {"from": "phone", "exists": True}]}]}
    spec = {"when": [{"if": cond, "then": {"const": "ok"}}], "else": {"const": "no"}}
    assert value(spec, {"total": "150.00", "country": "NO", "phone": "1"}) == "ok"
    assert value(spec, {"total": "150.00", "country": "SE", "phone": "1"}) == "no"


def test_condition_can_be_a_jmespath_expression():
    spec = {"when": [{"if": {"expr": "length(rows) > `2`"}, "then": {"const": "big"}}],
            "else": {"const": "small"}}
    assert value(spec, {"rows": [1, 2, 3]}) == "big"


def test_numeric_comparison_on_text_that_is_not_a_number_is_a_problem():
    spec = {"when": [{"if": {"from": "total", "gt": 5}, "then": {"const": 1}}]}
    result = run({"X": spec}, {"total": "lots"})
    assert result.problems[0].target_path == "X"


def test_conditional_without_else_and_no_match_leaves_the_field_out():
    spec = {"when": [{"if": {"from": "a", "eq": 1}, "then": {"const": "x"}}]}
    assert run({"X": spec}, {"a": 2}).record == {}
