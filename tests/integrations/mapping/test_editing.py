"""Reading and changing one target field's rule in a mapping document (the editor's model)."""

import pytest

from integrations.mapping.editing import (
    MISSING,
    RuleError,
    document_where,
    rule_at,
    rule_build,
    rule_set,
    rule_view,
    scalar_parse,
    scalar_text,
    source_fields,
    target_fields,
    target_path_of,
)
from integrations.mapping.schemas import schema_get

DOC = {
    "format_version": 1,
    "fields": {
        "reference": {"from": "id", "transform": ["to_string"]},
        "parties": {"object": {"customer": {"object": {"contactId": "customer_id"}}}},
        "rows": {"each": "products", "fields": {"quantity": "qty"}},
        "delivery": "shipping",
    },
}


def test_target_fields_list_parents_before_their_parts_with_lines_marked():
    fields = {f.path: f for f in target_fields(schema_get("brightpearl", "order"), DOC)}
    assert fields["parties.customer.contactId"].required
    assert fields["rows"].has_parts and fields["rows"].type == "list"
    assert fields["rows[].productId"].lines == "rows"
    paths = list(fields)
    assert paths.index("parties") < paths.index("parties.customer.contactId")


def test_without_a_schema_the_documents_own_fields_are_listed():
    paths = [f.path for f in target_fields(None, DOC)]
    assert paths == ["reference", "parties", "parties.customer", "parties.customer.contactId",
                     "rows", "rows[].quantity", "delivery"]


def test_rule_at_finds_nested_and_line_rules():
    assert rule_at(DOC, "parties.customer.contactId").spec == "customer_id"
    assert rule_at(DOC, "rows[].quantity").spec == "qty"
    assert not rule_at(DOC, "rows[].productId").mapped


def test_a_field_inside_a_rule_that_maps_its_parent_whole_is_covered_by_it():
    at = rule_at(DOC, "delivery.address")
    assert not at.mapped and at.covered_by == "delivery"


def test_rule_set_creates_objects_on_the_way_and_leaves_the_original_alone():
    changed = rule_set(DOC, "currency.code", {"from": "currency_code"})
    assert changed["fields"]["currency"] == {"object": {"code": {"from": "currency_code"}}}
    assert "currency" not in DOC["fields"]


def test_rule_set_into_lines_needs_the_lines_rule_first():
    with pytest.raises(RuleError, match="Choose the source list the lines of items"):
        rule_set(DOC, "items[].sku", "sku")


def test_rule_set_into_a_field_mapped_whole_says_so():
    with pytest.raises(RuleError, match="delivery is mapped as a whole"):
        rule_set(DOC, "delivery.address", "addr")


def test_removing_the_last_field_of_an_object_removes_the_object():
    changed = rule_set(DOC, "parties.customer.contactId", MISSING)
    assert "parties" not in changed["fields"]


def test_problem_locations_name_target_fields():
    assert target_path_of("fields.rows.fields.productId.when[0].then") == "rows[].productId"
    assert target_path_of("fields.parties.object.customer.object.contactId") == (
        "parties.customer.contactId")
    assert target_path_of("fields.reference.transform[0]") == "reference"
    assert target_path_of("format_version") is None
    assert document_where("rows[].productId") == "fields.rows.fields.productId"


def test_a_rule_with_a_leading_lookup_reads_as_source_lookup_and_steps():
    view = rule_view({"from": "status_id", "transform": [
        {"lookup": {"table": "statuses", "default": 2}}, "to_int"], "required": True})
    assert (view.mode, view.source, view.lookup_table, view.lookup_default) == (
        "source", "status_id", "statuses", 2)
    assert view.transforms == ["to_int"] and view.required


def test_a_rule_rebuilt_from_its_view_is_the_same_rule():
    spec = {"from": "status_id", "transform": [
        {"lookup": {"table": "statuses", "default": 2, "on_miss": "default"}}, "to_int"],
        "default": "X", "comment": "why"}
    view = rule_view(spec)
    rebuilt = rule_build(mode=view.mode, existing=spec, source=view.source,
                         lookup_table=view.lookup_table, lookup_default=view.lookup_default,
                         lookup_on_miss=view.lookup_on_miss, default=view.default,
                         transforms=view.transforms)
    assert rebuilt == spec


def test_other_rules_are_summarised_in_words():
    view = rule_view({"concat": ["first_name", "last_name"], "sep": " "})
    assert view.mode == "rule" and view.summary == "joined: first_name, last_name"


def test_constants_and_defaults_survive_being_shown_and_read_back():
    for value in ("WEB", "2", 2, 1.5, True, None):
        assert scalar_parse(scalar_text(value)) == value


def test_source_fields_merge_schema_fields_and_sample_keys():
    sample = {"id": 7, "customer": {"email": "a@b.se"}, "orderRows": {"11": {"sku": "X"}}}
    found = {f.path: f for f in source_fields(schema_get("bigcommerce", "v3.customer"), sample)}
    assert found["email"].type == "string" and not found["email"].seen
    assert found["customer.email"].sample == "a@b.se" and found["customer.email"].seen
    assert "orderRows.11" not in found


def test_source_fields_of_lines_are_the_keys_of_their_items():
    sample = {"orderRows": {"11": {"sku": "X", "qty": 1}, "12": {"sku": "Y", "price": 2}}}
    found = [f.path for f in source_fields(None, sample, lines="orderRows")]
    assert found == ["price", "qty", "sku"]
