"""Brightpearl + Salesforce template: every flow's default mapping against its golden record."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from integrations.mapping import MappingResult, compile_mapping
from integrations.pair_templates import template_get
from integrations.pair_templates.base import FlowTemplate
from integrations.pair_templates.brightpearl_salesforce import TEMPLATE
from tests.integrations.pair_templates.golden_files import (
    flow_directions,
    flow_lookups,
    golden_load,
)

PAIR = "brightpearl-salesforce"
BP, SF = "brightpearl", "salesforce"

# Seed 002 "Data Touchpoints" (both systems' lists) with the directions the page gives, and
# the flows that carry each; an empty list says why nothing is synced.
SEED_TOUCHPOINTS: dict[str, list[tuple[str, str, str]]] = {
    # "Bi-directional Customer & Account Synchronization"
    "Brightpearl Customer (Contact) <-> Salesforce Account": [("customer", BP, SF)],
    "Brightpearl Customer (Contact) <-> Salesforce Contact": [("customer", BP, SF),
                                                              ("customer", SF, BP)],
    # Use case: orders mirrored to Salesforce Orders; FAQ: Closed Won opportunities create
    # Brightpearl sales orders.
    "Brightpearl Sales Order -> Salesforce Order": [("sales_order", BP, SF)],
    "Salesforce Opportunity -> Brightpearl Sales Order": [("sales_order", SF, BP)],
    "Brightpearl Product -> Salesforce Product2": [("product", BP, SF)],
    "Brightpearl Product price -> Salesforce PricebookEntry": [("product", BP, SF)],
    "Brightpearl Inventory -> Salesforce Product2.AvailableStock__c": [("inventory", BP, SF)],
    "Brightpearl Shipment (Goods Out Note) -> Salesforce Order shipment": [("shipment", BP, SF)],
    "Brightpearl Payment -> Salesforce Payment (Custom Object)": [("payment", BP, SF)],
    # "Create general ledger entries ... from Salesforce payment data"
    "Salesforce Payment (Custom Object) -> Brightpearl journal": [("payment", SF, BP)],
    # "Enhanced Returns Management & Credit Processing": returns as service cases
    "Brightpearl Credit Note -> Salesforce Case": [("credit_note", BP, SF)],
    # Salesforce has no purchasing objects; purchase orders only change Brightpearl's stock,
    # which the inventory flow carries.
    "Brightpearl Purchase Order": [],
    # A lead becomes an account and contact when converted; the customer flows take it then.
    "Salesforce Lead": [],
}

# What a tenant fills in before enabling the flows, and the link tables the pipeline keeps.
TENANT_TABLES: dict[str, dict[str, dict[str, Any]]] = {
    "sales-order-bp-to-sf": {
        "sf_price_books": {"2": "01s5g00001EausjAAB"},
        "sf_pricebook_entries": {"1004": "01u5g00001EausnAAB", "1006": "01u5g00001EausqAAB",
                                 "1002": "01u5g00001EausoAAB"},
    },
    "price-bp-to-sf": {"sf_price_books": {"2": "01s5g00001EausjAAB"}},
    "sales-order-sf-to-bp": {"bp_product_ids": {"HLI-6574-OLI": 1002, "TCO-8668-FOR": 1006}},
}


def _apply(flow: FlowTemplate, source: Any = None) -> MappingResult:
    lookups = flow_lookups(PAIR, flow, links=TENANT_TABLES.get(flow.key))
    record = golden_load(PAIR, flow.key, "source") if source is None else source
    return compile_mapping(flow.mapping, lookups=lookups).apply(record)


def test_the_template_is_registered_under_its_key():
    assert template_get(PAIR) is TEMPLATE


def test_every_flow_compiles_with_schema_validation():
    for flow in TEMPLATE.flows:
        compile_mapping(flow.mapping, lookups=flow_lookups(PAIR, flow))


def test_the_flows_cover_every_seed_touchpoint_in_every_direction():
    wanted = {direction for directions in SEED_TOUCHPOINTS.values() for direction in directions}
    assert flow_directions(TEMPLATE.flows) == wanted


def test_customers_go_both_ways_with_the_newest_change_winning():
    rules = {(f.source, f.conflict_rule) for f in TEMPLATE.flows if f.entity == "customer"}
    assert rules == {(BP, "newest_wins"), (SF, "newest_wins")}


def test_brightpearl_flows_take_real_events_and_payments_are_polled():
    for flow in TEMPLATE.flows:
        if flow.trigger == "poll":
            assert flow.key == "payment-bp-to-sf" and flow.poll_interval_s
        elif flow.source == BP:
            assert flow.events and all("." in e and "/" not in e for e in flow.events)
        else:  # Salesforce outbound messages: <sObject>.created / .updated
            assert flow.events and all(e.split(".")[1] in ("created", "updated")
                                       for e in flow.events)


def test_flow_keys_are_unique_and_dependencies_name_flows_of_the_template():
    keys = [flow.key for flow in TEMPLATE.flows]
    assert len(keys) == len(set(keys))
    for flow in TEMPLATE.flows:
        assert set(flow.depends_on) <= set(keys) - {flow.key}


@pytest.mark.parametrize("flow", TEMPLATE.flows, ids=lambda flow: flow.key)
def test_default_mapping_turns_the_golden_source_into_the_expected_record(flow):
    result = _apply(flow)

    assert result.problems == []
    assert result.record == golden_load(PAIR, flow.key, "expected")


def test_an_order_line_without_a_price_book_entry_fails_naming_the_line():
    flow = TEMPLATE.flow("sales-order-bp-to-sf")
    source = golden_load(PAIR, flow.key, "source")
    source["orderRows"]["3"]["productId"] = 1099

    result = _apply(flow, source)

    assert result.record is None
    assert [(p.target_path, p.kind) for p in result.problems] == [
        ("OrderItems[2].PricebookEntryId", "lookup")]


def test_an_opportunity_that_is_not_won_creates_no_brightpearl_order():
    flow = TEMPLATE.flow("sales-order-sf-to-bp")
    source = {**golden_load(PAIR, flow.key, "source"), "StageName": "Negotiation/Review"}

    result = _apply(flow, source)

    assert [p.target_path for p in result.problems] == ["orderStatus.orderStatusId"]


def test_each_opportunity_product_is_one_order_row_found_by_brightpearl_id_or_sku():
    flow = TEMPLATE.flow("sales-order-sf-to-bp")
    source = golden_load(PAIR, flow.key, "source")
    lines = source["OpportunityLineItems"]["records"]
    # The first product carries its Brightpearl id, the second only its SKU.
    assert [ln["PricebookEntry"]["Product2"]["Brightpearl_Id__c"] for ln in lines] == [
        "1006", None]

    result = _apply(flow, source)

    assert [(r["productId"], r["quantity"]["magnitude"], r["rowValue"]["rowNet"]["value"])
            for r in result.record["rows"]] == [
        (1006, Decimal(3), Decimal("449.97")), (1002, Decimal(5), Decimal("162.45"))]


def test_an_opportunity_product_not_synced_yet_is_a_link_table_miss_naming_the_row():
    flow = TEMPLATE.flow("sales-order-sf-to-bp")
    source = golden_load(PAIR, flow.key, "source")
    source["OpportunityLineItems"]["records"][1]["PricebookEntry"]["Product2"][
        "ProductCode"] = "NOT-IN-BRIGHTPEARL"

    result = _apply(flow, source)

    assert result.record is None
    # A miss in a link table: the pipeline retries (the product flow may be behind).
    (miss,) = [p for p in result.problems if p.kind == "lookup"]
    assert miss.target_path == "rows[1].productId" and "'bp_product_ids'" in miss.message


def test_journalling_salesforce_payments_is_off_until_echoes_are_filtered():
    assert TEMPLATE.flow("payment-sf-to-bp").enabled_by_default is False
