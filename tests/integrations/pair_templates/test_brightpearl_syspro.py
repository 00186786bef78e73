"""Brightpearl + SYSPRO template: every flow's default mapping against its golden record."""

from __future__ import annotations

import pytest

from integrations.mapping import compile_mapping
from integrations.pair_templates import template_get
from integrations.pair_templates.brightpearl_syspro import TEMPLATE
from tests.integrations.pair_templates.golden_files import (
    flow_directions,
    flow_lookups,
    golden_apply,
    golden_load,
)

PAIR = "brightpearl-syspro"
BP, SYSPRO = "brightpearl", "syspro"

# Seed 001 "Data Touchpoints". Customers, products and inventory are two-way ("Bi-directional
# Synchronization ... Customer, Product, and Inventory"); sales orders, payments and purchase
# orders flow into SYSPRO as the use case and financial FAQ describe; shipments are "->".
SEED_TOUCHPOINTS = {
    "Sales Order <-> Sales Order (eCommerce order into SYSPRO)": [("sales_order", BP, SYSPRO)],
    "Product Stock <-> Inventory Item (stock codes)": [("product", BP, SYSPRO),
                                                       ("product", SYSPRO, BP)],
    "Product Stock <-> Inventory Item (quantities)": [("inventory", BP, SYSPRO),
                                                      ("inventory", SYSPRO, BP)],
    "Customer (Contact) <-> Customer": [("customer", BP, SYSPRO), ("customer", SYSPRO, BP)],
    "Payment <-> General Ledger / Accounts Receivable": [("payment", BP, SYSPRO)],
    "Purchase Order <-> Purchase Order": [("purchase_order", BP, SYSPRO)],
    "Shipment (Goods Out Note) -> Shipment": [("shipment", BP, SYSPRO)],
}

# Link tables the pipeline fills from the record links of the flows named in depends_on.
LINKS = {
    "inventory-bp-to-syspro": {"syspro_stock_codes": {"1006": "TCO-8668-FOR"}},
    "inventory-syspro-to-bp": {"bp_product_ids": {"TCO-8668-FOR": 1006}},
    "shipment-bp-to-syspro": {"syspro_sales_orders": {"100214": "100187"}},
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


def test_syspro_side_flows_poll_and_brightpearl_side_flows_take_real_events():
    for flow in TEMPLATE.flows:
        if flow.source == SYSPRO:
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


def test_an_order_without_shipping_rows_sends_no_freight_line():
    flow = TEMPLATE.flow("sales-order-bp-to-syspro")
    order = golden_load(PAIR, flow.key, "source")
    order["orderRows"] = {k: row for k, row in order["orderRows"].items() if row["productId"]}

    record = compile_mapping(flow.mapping, lookups=flow_lookups(PAIR, flow)).apply(order).record

    assert "FreightLine" not in record["OrderDetails"]
    assert len(record["OrderDetails"]["StockLine"]) == 3


def test_a_purchase_order_from_an_unmapped_supplier_fails_naming_the_supplier_field():
    flow = TEMPLATE.flow("purchase-order-bp-to-syspro")
    order = golden_load(PAIR, flow.key, "source")
    order["parties"]["supplier"]["contactId"] = 999

    problems = compile_mapping(flow.mapping, lookups=flow_lookups(PAIR, flow)).apply(order).problems

    assert [problem.target_path for problem in problems] == ["OrderHeader.Supplier"]
