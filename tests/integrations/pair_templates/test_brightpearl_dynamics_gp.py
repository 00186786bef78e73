"""Brightpearl + Dynamics GP template: every flow's default mapping against its golden record."""

from __future__ import annotations

from decimal import Decimal

import pytest

from integrations.mapping import compile_mapping
from integrations.pair_templates import template_get
from integrations.pair_templates.brightpearl_dynamics_gp import TEMPLATE
from tests.integrations.pair_templates.golden_files import flow_lookups, golden_apply, golden_load

PAIR = "brightpearl-dynamics-gp"
BP, GP = "brightpearl", "dynamics_gp"

# Seed 004 "Data Touchpoints" → the flows that carry them (flow key, source, target).
# Orders, shipments (COGS/invoice), payments, purchase orders, goods-in notes (POP receipts),
# suppliers and credit notes go into GP; customers, products and inventory are bi-directional
# ("Bi-directional syncs for entities like Inventory or Customer"; customer and product
# master data both ways).
# Warehouse ↔ Site and GL accounts are lookup tables of the flows, not flows of their own.
SEED_TOUCHPOINTS = {
    "Sales Order → Sales Order": [("sales-order-bp-to-dynamics-gp", BP, GP)],
    "Shipment (Goods Out Note) → Invoice (Sales)": [("shipment-bp-to-dynamics-gp", BP, GP)],
    "Credit Note → Sales return": [("credit-note-bp-to-dynamics-gp", BP, GP)],
    "Product / Price List ↔ Item": [("product-bp-to-dynamics-gp", BP, GP),
                                    ("product-dynamics-gp-to-bp", GP, BP)],
    "Customer (Contact) ↔ Customer": [("customer-bp-to-dynamics-gp", BP, GP),
                                      ("customer-dynamics-gp-to-bp", GP, BP)],
    "Inventory (Product Stock) ↔ Item quantities": [("inventory-bp-to-dynamics-gp", BP, GP),
                                                    ("inventory-dynamics-gp-to-bp", GP, BP)],
    "Payment → Payment (cash receipt, GL)": [("payment-bp-to-dynamics-gp", BP, GP)],
    "Purchase Order → Purchase Order": [("purchase-order-bp-to-dynamics-gp", BP, GP)],
    "Goods In Note → Purchase receipt (Invoice (Purchase) stock side)": [
        ("goods-receipt-bp-to-dynamics-gp", BP, GP)],
    "Supplier → Vendor": [("supplier-bp-to-dynamics-gp", BP, GP)],
}
LOOKUP_TOUCHPOINTS = {"Warehouse ↔ Warehouse/Site": "gp_site_codes",
                      "General Ledger Account": "sales_accounts"}

# Link tables the pipeline fills from the record links of the flows named in depends_on.
LINKS = {
    "inventory-bp-to-dynamics-gp": {"gp_item_numbers": {"1006": "TCO-8668-FOR"}},
    "inventory-dynamics-gp-to-bp": {"bp_product_ids": {"TCO-8668-FOR": 1006}},
    "goods-receipt-bp-to-dynamics-gp": {"gp_item_numbers": {"1006": "TCO-8668-FOR"},
                                        "gp_po_numbers": {"100240": "BP100240"}},
}


def test_the_template_is_registered_under_its_key():
    assert template_get(PAIR) is TEMPLATE


def test_every_flow_compiles_with_schema_validation():
    for flow in TEMPLATE.flows:
        compile_mapping(flow.mapping, lookups=flow_lookups(PAIR, flow))


def test_the_flows_cover_every_seed_touchpoint_in_every_direction():
    wanted = {flow for flows in SEED_TOUCHPOINTS.values() for flow in flows}
    assert {(flow.key, flow.source, flow.target) for flow in TEMPLATE.flows} == wanted


def test_reference_data_touchpoints_are_lookup_tables_of_the_order_flow():
    tables = TEMPLATE.flow("sales-order-bp-to-dynamics-gp").lookups
    assert all(table in tables for table in LOOKUP_TOUCHPOINTS.values())


def test_two_way_entities_have_a_conflict_rule_on_both_flows():
    for entity in ("product", "customer", "inventory"):
        rules = {f.conflict_rule for f in TEMPLATE.flows if f.entity == entity}
        assert rules == {"newest_wins"}


def test_gp_side_flows_poll_and_brightpearl_side_flows_take_real_events():
    for flow in TEMPLATE.flows:
        if flow.source == GP:
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


@pytest.mark.parametrize("key", ["sales-order-bp-to-dynamics-gp", "shipment-bp-to-dynamics-gp",
                                 "credit-note-bp-to-dynamics-gp"])
def test_sop_totals_add_up_the_way_econnect_checks_them(key):
    result, _ = golden_apply(PAIR, TEMPLATE.flow(key))
    head, lines = result.record["taSopHdrIvcInsert"], result.record["taSopLineIvcInsert_Items"]

    assert head["SUBTOTAL"] == sum(line["XTNDPRCE"] for line in lines)
    assert head["DOCAMNT"] == head["SUBTOTAL"] + head["FREIGHT"] + head["TAXAMNT"]
    for line in lines:
        assert abs(line["UNITPRCE"] * line["QUANTITY"] - line["XTNDPRCE"]) <= Decimal("0.005")


def test_an_awaiting_payment_order_is_a_gp_order():
    flow = TEMPLATE.flow("sales-order-bp-to-dynamics-gp")
    order = golden_load(PAIR, flow.key, "source")
    order["orderStatus"] = {"orderStatusId": 3, "name": "Awaiting payment"}

    head = compile_mapping(flow.mapping, lookups=flow_lookups(PAIR, flow)).apply(order).record[
        "taSopHdrIvcInsert"]

    assert (head["SOPTYPE"], head["DOCID"]) == (2, "STDORD")


def test_a_refund_is_refused_as_a_cash_receipt_naming_the_amount():
    flow = TEMPLATE.flow("payment-bp-to-dynamics-gp")
    refund = {**golden_load(PAIR, flow.key, "source"), "paymentType": "PAYMENT"}

    mapping = compile_mapping(flow.mapping, lookups=flow_lookups(PAIR, flow))
    problems = mapping.apply(refund).problems

    assert [problem.target_path for problem in problems] == ["ORTRXAMT"]


def test_a_goods_in_note_is_one_pop_receipt_line_per_movement_against_the_linked_po():
    flow = TEMPLATE.flow("goods-receipt-bp-to-dynamics-gp")
    result, _ = golden_apply(PAIR, flow, links=LINKS[flow.key])
    lines = result.record["taPopRcptLineInsert_Items"]

    assert [(line["PONUMBER"], line["QTYSHPPD"]) for line in lines] == [("BP100240", 25),
                                                                        ("BP100240", 5)]
    assert {line["POPRCTNM"] for line in lines} == {
        result.record["taPopRcptHdrInsert"]["POPRCTNM"]}


def test_a_goods_in_note_for_a_po_gp_never_got_waits_for_the_link():
    flow = TEMPLATE.flow("goods-receipt-bp-to-dynamics-gp")
    links = {**LINKS[flow.key], "gp_po_numbers": {}}
    result, _ = golden_apply(PAIR, flow, links=links)

    assert result.record is None
    # A miss in a link table: the pipeline retries the note later instead of dead-lettering.
    assert {(p.kind, p.source_path) for p in result.problems} == {("lookup", "orderId")}
    assert all("'gp_po_numbers'" in p.message for p in result.problems)
