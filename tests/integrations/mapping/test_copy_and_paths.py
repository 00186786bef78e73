from integrations.mapping import compile_mapping
from tests.integrations.mapping.helpers import document, run, value


def test_direct_copy_reads_a_dotted_path():
    assert value("parties.customer.contactId", {"parties": {"customer": {"contactId": 7}}}) == 7


def test_string_shorthand_and_from_object_are_the_same_rule():
    record = {"a": {"b": "x"}}
    assert value("a.b", record) == value({"from": "a.b"}, record) == "x"


def test_one_source_field_can_feed_many_target_fields():
    result = run({"OrderID": "id", "CUOR": "id"}, {"id": 5})
    assert result.record == {"OrderID": 5, "CUOR": 5}


def test_missing_source_field_is_left_out_of_the_target():
    result = run({"a": "nope.missing", "b": "id"}, {"id": 1})
    assert result.record == {"b": 1}


def test_nulls_keep_option_writes_missing_fields_as_null():
    mapping = compile_mapping(document({"a": "nope"}, options={"nulls": "keep"}))
    assert mapping.apply({}).record == {"a": None}


def test_path_through_a_non_object_gives_null_not_an_error():
    assert value("a.b.c", {"a": "text"}) is None


def test_jmespath_expression_reaches_into_lists():
    record = {"rows": [{"sku": "A"}, {"sku": "B"}]}
    assert value("rows[*].sku", record) == ["A", "B"]


def test_jmespath_expression_reads_numeric_keys_when_quoted():
    assert value('orderRows."1001".productSku', {"orderRows": {"1001": {"productSku": "X"}}}) == "X"


def test_constant_value_is_written_as_given():
    assert value({"const": "A01"}, {}) == "A01"


def test_bare_number_is_a_constant():
    assert value(100, {}) == 100


def test_custom_source_field_is_just_a_path():
    assert value("customFields.PCF_CUSTPO", {"customFields": {"PCF_CUSTPO": "PO-1"}}) == "PO-1"


def test_custom_target_field_is_written_by_name():
    result = run({"ExternalID__c": "id"}, {"id": 42})
    assert result.record == {"ExternalID__c": 42}


def test_nested_object_restructures_an_address():
    record = {"address": {"addressLine1": "Storgatan 1", "postalCode": "111 51"}}
    spec = {"object": {"Street": "address.addressLine1", "Zip": "address.postalCode"}}
    assert value(spec, record) == {"Street": "Storgatan 1", "Zip": "111 51"}


def test_list_of_objects_builds_several_addresses():
    record = {"del": {"l1": "A"}, "bil": {"l1": "B"}}
    spec = {"list": [{"object": {"ADRT": 1, "CUA1": "del.l1"}},
                     {"object": {"ADRT": 3, "CUA1": "bil.l1"}}]}
    assert value(spec, record) == [{"ADRT": 1, "CUA1": "A"}, {"ADRT": 3, "CUA1": "B"}]


def test_default_fills_a_missing_value():
    assert value({"from": "missing", "default": "WEB"}, {}) == "WEB"


def test_default_fills_an_empty_string():
    assert value({"from": "name", "default": "n/a"}, {"name": ""}) == "n/a"


def test_required_field_missing_is_a_problem_naming_source_and_target():
    result = run({"CUNO": {"from": "customer.id", "required": True}}, {})
    assert result.record is None
    (problem,) = result.problems
    assert (problem.target_path, problem.source_path, problem.kind) == (
        "CUNO", "customer.id", "required")


def test_record_that_is_not_an_object_is_a_problem_not_a_traceback():
    result = compile_mapping(document({"a": "id"})).apply(["not", "a", "dict"])
    assert not result.ok
    assert result.problems[0].kind == "source"


def test_every_bad_field_is_reported_not_just_the_first():
    fields = {"a": {"from": "x", "required": True}, "b": {"from": "y", "required": True}}
    assert [p.target_path for p in run(fields, {}).problems] == ["a", "b"]


def test_compiled_mapping_is_reusable_across_records():
    mapping = compile_mapping(document({"id": "id"}))
    assert [mapping.apply({"id": i}).record for i in range(3)] == [{"id": 0}, {"id": 1}, {"id": 2}]
