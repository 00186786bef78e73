import pytest

from integrations.mapping import MappingDocumentError, compile_mapping, validate_document
from tests.integrations.mapping.helpers import document


def problems_of(doc, **options):
    with pytest.raises(MappingDocumentError) as caught:
        compile_mapping(doc, **options)
    return caught.value.problems


def test_unknown_transform_in_document_names_the_field():
    (problem,) = problems_of(document({"ORDT": {"from": "d", "transform": ["dat"]}}))
    assert problem.where == "fields.ORDT.transform[0]"
    assert problem.rule == "transform"
    assert "unknown transform 'dat'" in problem.message


def test_every_mistake_is_listed_in_one_error():
    doc = document({
        "A": {"from": "x", "transform": ["nope"]},
        "B": {"calc": "pow", "args": ["x", "y"]},
        "C": {"from": "a..b"},
    })
    assert [p.where for p in problems_of(doc)] == [
        "fields.A.transform[0]", "fields.B.calc", "fields.C.from"]


def test_error_message_lists_the_problems_readably():
    with pytest.raises(MappingDocumentError) as caught:
        compile_mapping(document({"A": {"from": "x", "transform": ["nope"]}}))
    assert "fields.A.transform[0]: unknown transform 'nope'" in str(caught.value)


def test_missing_format_version_is_a_document_error():
    doc = {"fields": {"a": "b"}}
    assert problems_of(doc)[0].where == "format_version"


def test_future_format_version_is_refused():
    assert "format_version must be 1" in problems_of(document({"a": "b"}, format_version=2))[
        0].message


def test_unknown_top_level_key_is_a_document_error():
    assert problems_of(document({"a": "b"}, feilds={}))[0].where == "(document)"


def test_empty_fields_is_a_document_error():
    assert problems_of(document({}))[0].where == "fields"


def test_document_that_is_not_an_object_is_a_document_error():
    assert problems_of("fields: a")[0].where == "(document)"


def test_two_value_sources_in_one_field_is_a_document_error():
    (problem,) = problems_of(document({"X": {"from": "a", "const": 1}}))
    assert problem.where == "fields.X" and "exactly one value source" in problem.message


def test_unknown_option_for_a_rule_is_named():
    (problem,) = problems_of(document({"X": {"concat": ["a"], "separator": " "}}))
    assert "'separator'" in problem.message


def test_invalid_jmespath_is_reported_with_the_path():
    (problem,) = problems_of(document({"X": "rows[?"}))
    assert problem.where == "fields.X" and "not a valid JMESPath" in problem.message


def test_unknown_special_name_is_reported():
    (problem,) = problems_of(document({"X": "$parent.id"}))
    assert "unknown special name" in problem.message


def test_bad_transform_options_are_reported():
    doc = document({"X": {"from": "a", "transform": [{"truncate": -1},
                                                    {"round": {"places": 2, "rounding": "up-ish"}},
                                                    {"date": {"tz": "Mars/Olympus"}}]}})
    rules = [p.rule for p in problems_of(doc)]
    assert rules == ["truncate", "rounding", "date"]


def test_lookup_with_on_miss_default_but_no_default_is_reported():
    doc = document({"X": {"from": "a", "transform": [{"lookup": {"map": {},
                   "on_miss": "default"}}]}})
    assert 'needs a "default"' in problems_of(doc)[0].message


def test_bad_condition_operator_is_reported():
    doc = document({"X": {"when": [{"if": {"from": "a", "like": "x"}, "then": 1}]}})
    (problem,) = problems_of(doc)
    assert problem.where == "fields.X.when[0].if" and problem.rule == "condition"


def test_each_without_fields_is_reported():
    assert problems_of(document({"Lines": {"each": "rows"}}))[0].rule == "each"


def test_aggregate_without_of_is_reported_for_sum():
    assert '"of"' in problems_of(document({"T": {"aggregate": "sum", "over": "rows"}}))[0].message


def test_bad_exchange_rate_is_reported():
    doc = document({"X": "a"})
    assert problems_of(doc, rates={"EUR": {"SEK": "-1"}})[0].rule == "convert_currency"


def test_validate_document_returns_problems_instead_of_raising():
    assert validate_document(document({"X": {"from": "a", "transform": ["nope"]}}))
    assert validate_document(document({"X": "a"})) == []


def test_unknown_target_field_for_a_known_schema_is_a_document_error():
    doc = document({"CUNM": "name"}, target={"system": "infor", "entity": "OIS100MI.SalesOrder"})
    wheres = {p.where: p.message for p in problems_of(doc)}
    assert "'CUNM' is not a field of infor/OIS100MI.SalesOrder" in wheres["fields.CUNM"]


def test_unmapped_required_target_field_is_a_document_error():
    doc = document({"CUSTNAME": "name"},
                   target={"system": "dynamics_gp", "entity": "taUpdateCreateCustomerRcd"})
    (problem,) = problems_of(doc)
    assert problem.where == "fields.CUSTNMBR" and "requires 'CUSTNMBR'" in problem.message


def test_schema_check_can_be_switched_off():
    doc = document({"CUNM": "name"}, target={"system": "infor", "entity": "OIS100MI.SalesOrder"})
    assert compile_mapping(doc, schema=None).apply({"name": "x"}).record == {"CUNM": "x"}
