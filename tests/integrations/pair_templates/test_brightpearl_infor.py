"""Brightpearl + Infor template: every flow's default mapping against its golden record."""

from __future__ import annotations

from decimal import Decimal

import pytest

from integrations.mapping import compile_mapping
from integrations.pair_templates import template_get
from integrations.pair_templates.brightpearl_infor import TEMPLATE
from tests.integrations.pair_templates.golden_files import (
    flow_directions,
    flow_lookups,
    golden_apply,
    golden_load,
)

PAIR = "brightpearl-infor"
BP, INFOR = "brightpearl", "infor"

# Seed 000 "Data Touchpoints", with the directions its data-flow note gives: customers,
# products and inventory both ways; sales orders, payments (to the GL), purchase orders and
# credit notes to Infor; shipments/invoices from Infor. Suppliers go to Infor as what the
# purchase-order touchpoint needs: an M3 supplier for each Brightpearl supplier.
SEED_TOUCHPOINTS = {
    "Sales Order <-> Sales Order (Brightpearl to Infor)": [("sales_order", BP, INFOR)],
    "Product <-> Product": [("product", BP, INFOR), ("product", INFOR, BP)],
    "Customer (Contact) <-> Customer": [("customer", BP, INFOR), ("customer", INFOR, BP)],
    "Inventory (Product Stock) <-> Inventory Item": [("inventory", BP, INFOR),
                                                    ("inventory", INFOR, BP)],
    "Payment <-> Payment Transaction / GL Account": [("payment", BP, INFOR)],
    "Purchase Order <-> Purchase Order": [("purchase_order", BP, INFOR),
                                          ("supplier", BP, INFOR)],
    "Shipment (Goods Out Note) <-> Invoice / Shipment": [("shipment", INFOR, BP)],
    "Credit Note <-> Invoice / GL Account": [("credit_note", BP, INFOR)],
}

# Link tables the pipeline fills from the record links of the flows named in depends_on.
LINKS = {
    "inventory-bp-to-infor": {"infor_items": {"1006": "TCO-8668-FOR"}},
    "inventory-infor-to-bp": {"bp_product_ids": {"TCO-8668-FOR": 1006}},
    "shipment-infor-to-bp": {"bp_order_ids": {"1000000214": 100214}},
}


def test_the_template_is_registered_under_its_key():
    assert template_get(PAIR) is TEMPLATE


def test_every_flow_compiles_with_schema_validation():
    for flow in TEMPLATE.flows:
        compile_mapping(flow.mapping, lookups=flow_lookups(PAIR, flow))


def test_the_flows_cover_every_seed_touchpoint_in_every_direction():
    wanted = {direction for directions in SEED_TOUCHPOINTS.values() for direction in directions}
    assert flow_directions(TEMPLATE.flows) == wanted


def test_two_way_entities_have_a_conflict_rule_on_both_flows():
    for entity in ("product", "customer", "inventory"):
        rules = {f.conflict_rule for f in TEMPLATE.flows if f.entity == entity}
        assert rules == {"newest_wins"}


def test_infor_side_flows_poll_and_brightpearl_side_flows_take_real_events():
    for flow in TEMPLATE.flows:
        if flow.source == INFOR:
            assert flow.trigger == "poll" and flow.poll_interval_s
        elif flow.trigger == "webhook":
            assert flow.events and all("." in event for event in flow.events)


def test_flow_dependencies_name_flows_of_the_template():
    keys = {flow.key for flow in TEMPLATE.flows}
    for flow in TEMPLATE.flows:
        assert set(flow.depends_on) <= keys


@pytest.mark.parametrize("flow", TEMPLATE.flows, ids=lambda flow: flow.key)
def test_default_mapping_turns_the_golden_source_into_the_expected_record(flow):
    result, expected = golden_apply(PAIR, flow, links=LINKS.get(flow.key))

    assert result.problems == []
    assert result.record == expected


def test_an_order_to_any_iso_country_maps_its_code():
    flow = TEMPLATE.flow("sales-order-bp-to-infor")
    order = golden_load(PAIR, flow.key, "source")
    order["parties"]["delivery"]["countryIsoCode"] = "ISL"

    result = compile_mapping(flow.mapping, lookups=flow_lookups(PAIR, flow)).apply(order)

    assert result.problems == []
    assert "IS" in [address.get("CSCD") for address in result.record["Addresses"]]


def test_an_order_to_a_country_missing_from_the_table_fails_naming_the_address_field():
    flow = TEMPLATE.flow("sales-order-bp-to-infor")
    order = golden_load(PAIR, flow.key, "source")
    order["parties"]["delivery"]["countryIsoCode"] = "XXK"

    problems = compile_mapping(flow.mapping, lookups=flow_lookups(PAIR, flow)).apply(order).problems

    assert [problem.target_path for problem in problems] == ["Addresses[0].CSCD"]


def test_a_refund_reverses_the_payment_voucher():
    flow = TEMPLATE.flow("payment-bp-to-infor")
    refund = {**golden_load(PAIR, flow.key, "source"), "paymentType": "PAYMENT"}

    record = compile_mapping(flow.mapping, lookups=flow_lookups(PAIR, flow)).apply(refund).record

    assert [line["ACAM"] for line in record["Lines"]] == [Decimal("-491.26"), Decimal("491.26")]


def test_a_delivery_of_an_order_not_synced_from_brightpearl_fails_naming_the_order_field():
    flow = TEMPLATE.flow("shipment-infor-to-bp")

    result, _ = golden_apply(PAIR, flow)  # no link for the M3 order

    assert [problem.target_path for problem in result.problems] == ["orderId"]


def test_a_purchase_order_names_the_supplier_the_supplier_flow_created():
    supplier_flow = TEMPLATE.flow("supplier-bp-to-infor")
    order_flow = TEMPLATE.flow("purchase-order-bp-to-infor")
    supplier, _ = golden_apply(PAIR, supplier_flow)
    order, _ = golden_apply(PAIR, order_flow)

    assert order_flow.depends_on[0] == supplier_flow.key
    assert order.record["SUNO"] == supplier.record["SUNO"]


def test_a_supplier_without_any_name_fails_naming_sunm():
    flow = TEMPLATE.flow("supplier-bp-to-infor")
    contact = golden_load(PAIR, flow.key, "source")
    contact.pop("organisation")
    contact["firstName"] = contact["lastName"] = ""

    problems = compile_mapping(flow.mapping, lookups=flow_lookups(PAIR, flow)).apply(
        contact).problems

    assert [problem.target_path for problem in problems] == ["SUNM"]
