"""Brightpearl + BigCommerce template: every flow's default mapping against its golden record."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.mapping import MappingResult, compile_mapping
from integrations.pair_templates import template_get
from integrations.pair_templates.base import FlowTemplate
from integrations.pair_templates.brightpearl_bigcommerce import TEMPLATE
from tests.integrations.pair_templates.golden_files import (
    flow_directions,
    flow_lookups,
    golden_load,
)

PAIR = "brightpearl-bigcommerce"
BP, BC = "brightpearl", "bigcommerce"

# Seed 003 "Data Touchpoints" with the directions of its data-flow note, use case and FAQ.
SEED_TOUCHPOINTS: dict[str, list[tuple[str, str, str]]] = {
    # "Webhook: Order Created -> Create Sales Order" (+ status update back, a follow-up)
    "BigCommerce Orders -> Brightpearl Sales Orders": [("sales_order", BC, BP)],
    # Order field "transactions"
    "BigCommerce Orders (transactions) -> Brightpearl Payments": [("payment", BC, BP)],
    # "returncreated" webhook, "Create Credit Note (RMA)"
    "BigCommerce Returns -> Brightpearl Credit Notes": [("credit_note", BC, BP)],
    # FAQ: "Implement bi-directional synchronization" of customers
    "BigCommerce Customers <-> Brightpearl Contacts": [("customer", BC, BP),
                                                       ("customer", BP, BC)],
    # "Brightpearl price list logic can be applied to BigCommerce product pricing"
    "Brightpearl Products -> BigCommerce Products": [("product", BP, BC)],
    "Brightpearl Inventory -> BigCommerce Product/Variant Inventory": [("inventory", BP, BC)],
    "Brightpearl Shipments (GON) -> BigCommerce Shipments": [("shipment", BP, BC)],
    # The triggers of the flows above, not data.
    "BigCommerce Webhooks": [],
}
# Beyond the seed: the portal's acceptance ("create an order in the Brightpearl sandbox and
# watch it appear ... in BigCommerce"): orders taken in Brightpearl reach the storefront.
BEYOND_SEED = [("sales_order", BP, BC)]

LINKS: dict[str, dict[str, dict[str, Any]]] = {
    "sales-order-bc-to-bp": {"bp_contact_ids": {"17": 231},
                             "bp_product_ids": {"TPR-7216-OLI": 1004, "AWO-3287-FJD": 1011}},
    "credit-note-bc-to-bp": {"bp_contact_ids": {"17": 231},
                             "bp_product_ids": {"TPR-7216-OLI": 1004, "AWO-3287-FJD": 1011}},
    "payment-bc-to-bp": {"bp_order_ids": {"241": 100241}},
    "inventory-bp-to-bc": {"bc_product_ids": {"1007": 117}},
    "shipment-bp-to-bc": {"bc_order_ids": {"100241": 241}},
    "sales-order-bp-to-bc": {"bc_customer_ids": {"231": 17},
                             "bc_product_ids": {"1004": 112, "1011": 119, "1007": 117}},
}


def _apply(flow: FlowTemplate, source: Any = None) -> MappingResult:
    lookups = flow_lookups(PAIR, flow, links=LINKS.get(flow.key))
    record = golden_load(PAIR, flow.key, "source") if source is None else source
    return compile_mapping(flow.mapping, lookups=lookups).apply(record)


def test_the_template_is_registered_under_its_key():
    assert template_get(PAIR) is TEMPLATE


def test_every_flow_compiles_with_schema_validation():
    for flow in TEMPLATE.flows:
        compile_mapping(flow.mapping, lookups=flow_lookups(PAIR, flow))


def test_the_flows_cover_every_seed_touchpoint_in_every_direction():
    wanted = {direction for directions in SEED_TOUCHPOINTS.values() for direction in directions}
    assert flow_directions(TEMPLATE.flows) == wanted | set(BEYOND_SEED)


def test_the_template_has_nine_flows_one_of_them_off_until_ticked():
    assert len(TEMPLATE.flows) == 9
    assert [f.key for f in TEMPLATE.flows if not f.enabled_by_default] == [
        "sales-order-bp-to-bc"]


def test_customers_go_both_ways_with_the_newest_change_winning():
    assert {f.conflict_rule for f in TEMPLATE.flows if f.entity == "customer"} == {"newest_wins"}


def test_every_flow_is_pushed_by_real_webhook_events_of_its_source():
    for flow in TEMPLATE.flows:
        assert flow.trigger == "webhook" and flow.events
        if flow.source == BC:
            assert all(event.startswith("store/") for event in flow.events)
        else:
            assert all("." in event and "/" not in event for event in flow.events)


def test_flow_keys_are_unique_and_dependencies_name_flows_of_the_template():
    keys = [flow.key for flow in TEMPLATE.flows]
    assert len(keys) == len(set(keys))
    for flow in TEMPLATE.flows:
        assert set(flow.depends_on) <= set(keys) - {flow.key}


def test_a_new_storefront_order_is_moved_to_awaiting_fulfillment_afterwards():
    (follow_up,) = TEMPLATE.flow("sales-order-bc-to-bp").follow_ups
    assert (follow_up.system, follow_up.action) == (BC, "order_status_set")
    assert follow_up.args["status_id"] == {"const": 11}


@pytest.mark.parametrize("flow", TEMPLATE.flows, ids=lambda flow: flow.key)
def test_default_mapping_turns_the_golden_source_into_the_expected_record(flow):
    result = _apply(flow)

    assert result.problems == []
    assert result.record == golden_load(PAIR, flow.key, "expected")


def test_an_order_line_whose_sku_is_not_in_brightpearl_fails_naming_the_line():
    flow = TEMPLATE.flow("sales-order-bc-to-bp")
    source = golden_load(PAIR, flow.key, "source")
    source["products"][1]["sku"] = "AWO-9999-NEW"

    result = _apply(flow, source)

    assert result.record is None
    assert [(p.target_path, p.kind) for p in result.problems] == [("rows[1].productId",
                                                                   "lookup")]


def test_an_order_without_shipping_cost_gets_no_shipping_row():
    flow = TEMPLATE.flow("sales-order-bc-to-bp")
    source = golden_load(PAIR, flow.key, "source")
    source["shipping_addresses"][0].update({"cost_ex_tax": "0.0000", "cost_tax": "0.0000"})

    result = _apply(flow, source)

    assert result.problems == []
    assert [row.get("productId") for row in result.record["rows"]] == [1004, 1011]


def test_each_order_row_keeps_its_bigcommerce_order_product():
    flow = TEMPLATE.flow("sales-order-bc-to-bp")
    source = golden_load(PAIR, flow.key, "source")

    result = _apply(flow, source)

    assert [(row.get("productId"), row.get("externalRef")) for row in result.record["rows"]] == [
        (1004, str(source["products"][0]["id"])), (1011, str(source["products"][1]["id"])),
        (None, None)]  # the shipping charge row has no order product


def test_a_goods_out_note_ships_exactly_its_rows_by_order_product():
    flow = TEMPLATE.flow("shipment-bp-to-bc")
    source = golden_load(PAIR, flow.key, "source")
    # The order's second row has 3 units; this note ships 2 of them (as two items).
    assert source["rows"][1]["orderRow"]["quantity"]["magnitude"] == "3.0000"

    result = _apply(flow, source)

    assert result.record["items"] == [{"order_product_id": 611, "quantity": 1},
                                      {"order_product_id": 612, "quantity": 2}]


def test_a_note_row_the_order_flow_did_not_tag_ships_by_its_sku():
    flow = TEMPLATE.flow("shipment-bp-to-bc")
    source = golden_load(PAIR, flow.key, "source")
    source["rows"][1]["orderRow"]["externalRef"] = ""

    result = _apply(flow, source)

    assert result.problems == []
    assert result.record["items"] == [{"order_product_id": 611, "quantity": 1},
                                      {"sku": "AWO-3287-FJD", "quantity": 2}]


def test_a_brightpearl_order_names_its_brightpearl_order_as_the_external_source():
    flow = TEMPLATE.flow("sales-order-bp-to-bc")

    result = _apply(flow)

    assert (result.record["external_source"], result.record["external_id"]) == (
        "Brightpearl", "100318")


def test_a_brightpearl_order_line_whose_product_is_not_in_bigcommerce_fails_naming_the_line():
    flow = TEMPLATE.flow("sales-order-bp-to-bc")
    source = golden_load(PAIR, flow.key, "source")
    source["orderRows"]["2"]["productId"] = 1999  # not synced to the store

    result = _apply(flow, source)

    assert result.record is None
    assert [(p.target_path, p.kind) for p in result.problems] == [
        ("products[1].product_id", "lookup")]


def test_a_brightpearl_order_whose_customer_is_not_in_bigcommerce_fails_on_the_customer():
    flow = TEMPLATE.flow("sales-order-bp-to-bc")
    source = golden_load(PAIR, flow.key, "source")
    source["parties"]["customer"]["contactId"] = 999

    result = _apply(flow, source)

    assert [(p.target_path, p.kind) for p in result.problems] == [("customer_id", "lookup")]


def test_a_brightpearl_order_without_shipping_rows_has_no_shipping_cost():
    flow = TEMPLATE.flow("sales-order-bp-to-bc")
    source = golden_load(PAIR, flow.key, "source")
    del source["orderRows"]["5"]

    result = _apply(flow, source)

    assert result.problems == []
    assert result.record.get("shipping_cost_ex_tax") in (None, 0)
    assert len(result.record["products"]) == 3


def test_brightpearl_statuses_become_the_storefront_statuses_shoppers_see():
    flow = TEMPLATE.flow("sales-order-bp-to-bc")
    source = golden_load(PAIR, flow.key, "source")
    seen = {}
    for bp_status in ("3", "5", "7", "99"):
        source["orderStatus"]["orderStatusId"] = int(bp_status)
        seen[bp_status] = _apply(flow, source).record["status_id"]
    # Awaiting payment, Cancelled, Shipped; a status the table lacks is Awaiting Fulfillment.
    assert seen == {"3": 7, "5": 5, "7": 2, "99": 11}


def test_orders_taken_in_brightpearl_ship_to_the_storefront_and_take_its_refunds():
    """The new flow's links fill the order tables both ways, so a goods-out note of such an
    order finds its BigCommerce order, and a refund of it in BigCommerce its Brightpearl one."""
    tables = {t.name: {(s.flow, s.key, s.value) for s in t.sources}
              for t in TEMPLATE.link_tables}
    assert ("sales-order-bp-to-bc", "source_id", "target_id") in tables["bc_order_ids"]
    assert ("sales-order-bp-to-bc", "target_id", "source_id") in tables["bp_order_ids"]
