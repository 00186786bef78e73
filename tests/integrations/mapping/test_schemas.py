from decimal import Decimal

import pytest

from integrations.mapping import compile_mapping, compile_schema, schema_get, schema_list
from tests.integrations.mapping.helpers import document

GP_CUSTOMER = {"system": "dynamics_gp", "entity": "taUpdateCreateCustomerRcd"}
INFOR_ORDER = {"system": "infor", "entity": "OIS100MI.SalesOrder"}


@pytest.mark.parametrize("system_entity", schema_list())
def test_every_schema_compiles(system_entity):
    assert compile_schema(schema_get(*system_entity))({}) is not None


@pytest.mark.parametrize("system, entity", [
    ("brightpearl", "order"), ("brightpearl", "product"), ("brightpearl", "contact"),
    ("brightpearl", "payment"), ("brightpearl", "goods_out_note"), ("brightpearl", "journal"),
    ("infor", "OIS100MI.SalesOrder"), ("infor", "MMS200MI.Item"), ("infor", "CRS610MI.Customer"),
    ("infor", "PPS200MI.PurchaseOrder"),
    ("syspro", "SORTOI"), ("syspro", "ARSSCS"), ("syspro", "INVSST"), ("syspro", "ARSTPY"),
    ("syspro", "PORTOI"),
    ("salesforce", "Account"), ("salesforce", "Contact"), ("salesforce", "Product2"),
    ("salesforce", "Order"), ("salesforce", "OrderItem"),
    ("bigcommerce", "v2.order"), ("bigcommerce", "v3.product"), ("bigcommerce", "v3.customer"),
    ("bigcommerce", "v3.inventory_adjustment"), ("bigcommerce", "v2.shipment"),
    ("dynamics_gp", "SOPTransactionType"), ("dynamics_gp", "taUpdateCreateCustomerRcd"),
    ("dynamics_gp", "taUpdateCreateItemRcd"), ("dynamics_gp", "taRMCashReceiptInsert"),
    ("dynamics_gp", "GLTransactionType"), ("dynamics_gp", "POPTransactionType"),
    ("dynamics_gp", "POPReceivingsType"),
])
def test_schema_exists_for_each_entity_the_seeds_name(system, entity):
    assert schema_get(system, entity) is not None


def test_gp_customer_number_longer_than_15_is_a_problem():
    doc = document({"CUSTNMBR": "id", "CUSTNAME": "name"}, target=GP_CUSTOMER)
    result = compile_mapping(doc).apply({"id": "NORDICOUTDOOR-AB-1", "name": "Nordic"})
    (problem,) = result.problems
    assert (problem.target_path, problem.source_path, problem.kind) == (
        "CUSTNMBR", "id", "schema.max_length")
    assert "the most allowed is 15" in problem.message


def test_truncate_in_the_mapping_satisfies_the_length_rule():
    doc = document({"CUSTNMBR": {"from": "id", "transform": [{"truncate": 15}]},
                    "CUSTNAME": "name"}, target=GP_CUSTOMER)
    result = compile_mapping(doc).apply({"id": "NORDICOUTDOOR-AB-1", "name": "Nordic"})
    assert result.record == {"CUSTNMBR": "NORDICOUTDOOR-A", "CUSTNAME": "Nordic"}


def test_line_problem_names_the_line_index_and_its_source():
    doc = document({
        "CUNO": "c", "ORTP": {"const": "S01"}, "ORDT": {"const": "20240305"},
        "Lines": {"each": "rows", "fields": {"ITNO": "sku", "ORQT": {"from": "q",
                                                                  "transform": ["to_decimal"]}}},
    }, target=INFOR_ORDER)
    record = {"c": "BP1", "rows": [{"sku": "A", "q": "1"}, {"sku": "A" * 16, "q": "1"},
                                   {"sku": "C", "q": "1"}]}
    (problem,) = compile_mapping(doc).apply(record).problems
    assert problem.target_path == "Lines[1].ITNO"
    assert problem.source_path == "rows.*.sku"


def test_wrong_type_is_a_problem():
    check = compile_schema(schema_get("infor", "CRS610MI.Customer"))
    (problem,) = check({"CUNO": 207, "CUNM": "Nordic"})
    assert (problem.target_path, problem.kind) == ("CUNO", "schema.type")


def test_too_many_decimal_places_is_a_problem():
    check = compile_schema(schema_get("dynamics_gp", "taRMCashReceiptInsert"))
    record = {"CUSTNMBR": "C1", "DOCNUMBR": "P1", "DOCDATE": "2024-03-05", "BACHNUMB": "B",
              "CSHRCTYP": 2, "ORTRXAMT": Decimal("10.005")}
    (problem,) = check(record)
    assert problem.kind == "schema.scale" and "add a round step" in problem.message


def test_value_outside_allowed_choices_is_a_problem():
    check = compile_schema(schema_get("bigcommerce", "v3.product"))
    problems = check({"name": "Tent", "type": "tent", "weight": Decimal(2), "price": Decimal(1)})
    assert [p.kind for p in problems] == ["schema.choices"]


def test_pattern_checks_m3_dates():
    check = compile_schema(schema_get("infor", "OIS100MI.SalesOrder"))
    problems = check({"CUNO": "C", "ORTP": "S01", "ORDT": "2024-03-05", "Lines": [{"ITNO": "A",
                                                                                 "ORQT": 1}]})
    assert ("ORDT", "schema.pattern") in [(p.target_path, p.kind) for p in problems]


def test_missing_required_nested_field_names_the_full_path():
    check = compile_schema(schema_get("dynamics_gp", "SOPTransactionType"))
    problems = check({"taSopHdrIvcInsert": {}, "taSopLineIvcInsert_Items": [{}]})
    paths = {p.target_path for p in problems}
    assert "taSopHdrIvcInsert.CUSTNMBR" in paths
    assert "taSopLineIvcInsert_Items[0].ITEMNMBR" in paths


def test_empty_line_list_is_a_problem():
    check = compile_schema(schema_get("bigcommerce", "v2.shipment"))
    problems = check({"order_address_id": 1, "items": []})
    assert [p.kind for p in problems] == ["schema.min_items"]


def test_salesforce_custom_fields_are_allowed():
    check = compile_schema(schema_get("salesforce", "Account"))
    assert check({"Name": "Nordic", "ExternalID__c": "207"}) == []


def test_unknown_output_field_is_a_problem():
    check = compile_schema(schema_get("salesforce", "Account"))
    assert [p.kind for p in check({"Name": "N", "Nmae": "x"})] == ["schema.unknown_field"]
