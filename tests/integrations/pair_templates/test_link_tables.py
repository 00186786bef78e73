"""Link tables of every pair template: declared, fed by real flows, and enough for the mappings.

A link table is a lookup table the pipeline fills from ``RecordLink`` rows (flow, source_id,
target_id, natural_key) before a mapping runs. These tests check the declarations against the
mapping documents, and simulate the fill: fake record links of the feeding flows → the
``{key: value}`` tables → each dependent flow's golden source maps to its golden record.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from integrations.mapping import compile_mapping
from integrations.mapping.paths import compile_getter
from integrations.pair_templates import template_get, template_list
from integrations.pair_templates.base import FlowTemplate, PairTemplate
from tests.integrations.pair_templates.golden_files import golden_load

TEMPLATES = template_list()
FLOWS = [(template, flow) for template in TEMPLATES for flow in template.flows]


def _flow_id(case: tuple[PairTemplate, FlowTemplate]) -> str:
    return f"{case[0].key}:{case[1].key}"


def lookup_tables(node: Any) -> Iterator[str]:
    """Every table a mapping document names in a ``lookup`` step (``{"lookup": "name"}`` or
    ``{"lookup": {"table": "name", ...}}``; inline ``map`` lookups name none)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "transform" and isinstance(value, list):
                for step in value:
                    if isinstance(step, dict) and "lookup" in step:
                        arg = step["lookup"]
                        if isinstance(arg, str):
                            yield arg
                        elif isinstance(arg, dict) and isinstance(arg.get("table"), str):
                            yield arg["table"]
            yield from lookup_tables(value)
    elif isinstance(node, list):
        for item in node:
            yield from lookup_tables(item)


def used_tables(flow: FlowTemplate) -> set[str]:
    return set(lookup_tables(flow.mapping)) - set(flow.mapping.get("lookups") or {})


def link_names(template: PairTemplate) -> set[str]:
    return {table.name for table in template.link_tables}


def depends_closure(template: PairTemplate, flow: FlowTemplate) -> set[str]:
    seen: set[str] = set()
    todo = list(flow.depends_on)
    while todo:
        key = todo.pop()
        if key not in seen:
            seen.add(key)
            todo.extend(template.flow(key).depends_on)
    return seen


@dataclass(frozen=True)
class Link:
    """A ``RecordLink`` as the pipeline reads it: ids are text."""

    source_id: str
    target_id: str
    natural_key: str = ""


def fill(template: PairTemplate, links: dict[str, list[Link]]) -> dict[str, dict[str, str]]:
    """The link tables from the record links of each flow, as the pipeline is to build them.

    Ids are trimmed text (lookups match keys as text; Dynamics GP pads its char keys, and the
    GP mappings trim the value they look up). A link without the key (no natural key) is
    skipped.
    """
    tables: dict[str, dict[str, str]] = {}
    for table in template.link_tables:
        rows = tables.setdefault(table.name, {})
        for source in table.sources:
            for link in links.get(source.flow, ()):
                key = getattr(link, source.key).strip()
                if key:
                    rows[key] = getattr(link, source.value).strip()
    return tables


# --- declarations ----------------------------------------------------------------------------

@pytest.mark.parametrize("case", FLOWS, ids=_flow_id)
def test_every_table_a_mapping_names_is_a_default_table_or_a_link_table(case):
    template, flow = case
    used = used_tables(flow)

    assert used - set(flow.lookups) - link_names(template) == set()
    # The walk found every table the engine needs: exactly these compile.
    compile_mapping(flow.mapping, lookups={name: flow.lookups.get(name, {}) for name in used})


@pytest.mark.parametrize("case", FLOWS, ids=_flow_id)
def test_link_tables_are_not_shipped_as_default_tables(case):
    template, flow = case
    assert set(flow.lookups) & link_names(template) == set()


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_link_table_names_are_unique_and_every_table_is_used(template):
    names = [table.name for table in template.link_tables]
    assert len(names) == len(set(names))
    used = set().union(*(used_tables(flow) for flow in template.flows))
    assert set(names) - used == set()
    assert all(table.sources and table.description for table in template.link_tables)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_link_sources_name_flows_of_the_pair_with_a_key_and_a_value(template):
    keys = {flow.key for flow in template.flows}
    for table in template.link_tables:
        for source in table.sources:
            assert source.flow in keys, (table.name, source.flow)
            assert source.key in ("source_id", "target_id", "natural_key")
            assert source.value in ("source_id", "target_id")
            assert source.key != source.value
            if source.key == "natural_key":
                assert template.flow(source.flow).natural_key, (table.name, source.flow)


@pytest.mark.parametrize("case", FLOWS, ids=_flow_id)
def test_a_flow_depends_on_a_flow_that_fills_each_link_table_it_reads(case):
    template, flow = case
    before = depends_closure(template, flow)
    for table in template.link_tables:
        if table.name in used_tables(flow):
            assert {source.flow for source in table.sources} & before, table.name


@pytest.mark.parametrize("case", [c for c in FLOWS if c[1].natural_key], ids=_flow_id)
def test_a_natural_key_is_a_path_with_a_value_in_the_golden_source(case):
    template, flow = case
    record = golden_load(template.key, flow.key, "source")
    value = compile_getter(flow.natural_key)(record, record, None)
    assert isinstance(value, str | int) and str(value).strip()


def test_product_flows_keep_the_sku_and_two_way_customer_flows_their_key():
    natural = {(t.key, f.key): f.natural_key for t, f in FLOWS if f.natural_key}
    for template, flow in FLOWS:
        if flow.entity == "product" and flow.source == "brightpearl":
            assert natural[(template.key, flow.key)] == "identity.sku"
    assert natural[("brightpearl-bigcommerce", "customer-bc-to-bp")] == "email"
    assert natural[("brightpearl-bigcommerce", "customer-bp-to-bc")] == (
        "communication.emails.PRI.email")


# --- the simulated fill ----------------------------------------------------------------------

# Record links of the feeding flows, per pair and scenario (which side created the records).
# Ids are what the connectors answer: Brightpearl numbers, M3 ITNO / ORNO, SYSPRO stock code /
# sales order, GP ITEMNMBR (padded by GP), Salesforce and BigCommerce ids, all as text.
SCENARIOS: dict[str, dict[str, dict[str, list[Link]]]] = {
    "brightpearl-bigcommerce": {
        "customer from BigCommerce": {
            "customer-bc-to-bp": [Link("17", "231", "jane.doe@example.com")],
            "product-bp-to-bc": [Link("1004", "112", "TPR-7216-OLI"),
                                 Link("1011", "119", "AWO-3287-FJD"),
                                 Link("1007", "117", "CKM-1190-STL")],
            "sales-order-bc-to-bp": [Link("241", "100241")],
        },
        "customer from Brightpearl": {
            "customer-bp-to-bc": [Link("231", "17", "jane.doe@example.com")],
            "product-bp-to-bc": [Link("1004", "112", "TPR-7216-OLI"),
                                 Link("1011", "119", "AWO-3287-FJD"),
                                 Link("1007", "117", "CKM-1190-STL")],
            "sales-order-bc-to-bp": [Link("241", "100241")],
        },
    },
    "brightpearl-infor": {
        "item from Brightpearl": {
            "product-bp-to-infor": [Link("1006", "TCO-8668-FOR", "tco-8668-for")],
            "sales-order-bp-to-infor": [Link("100214", "1000000214")],
        },
        "item from M3": {
            "product-infor-to-bp": [Link("TCO-8668-FOR", "1006", "TCO-8668-FOR")],
            "sales-order-bp-to-infor": [Link("100214", "1000000214")],
        },
    },
    "brightpearl-syspro": {
        "stock code from Brightpearl": {
            "product-bp-to-syspro": [Link("1006", "TCO-8668-FOR", "tco-8668-for")],
            "sales-order-bp-to-syspro": [Link("100214", "100187")],
        },
        "stock code from SYSPRO": {
            "product-syspro-to-bp": [Link("TCO-8668-FOR", "1006", "TCO-8668-FOR")],
            "sales-order-bp-to-syspro": [Link("100214", "100187")],
        },
    },
    "brightpearl-dynamics-gp": {
        "item from Brightpearl": {
            "product-bp-to-dynamics-gp": [Link("1006", "TCO-8668-FOR", "TCO-8668-FOR")],
            "purchase-order-bp-to-dynamics-gp": [Link("100240", "BP100240")],
        },
        "item from GP (padded keys)": {
            "product-dynamics-gp-to-bp": [Link("TCO-8668-FOR      ", "1006",
                                               "TCO-8668-FOR      ")],
            "purchase-order-bp-to-dynamics-gp": [Link("100240", "BP100240       ")],
        },
    },
    "brightpearl-salesforce": {
        "account from Brightpearl": {
            "customer-bp-to-sf-account": [Link("226", "0015g00001EauuAAAR")],
            "product-bp-to-sf": [Link("1002", "01t5g00001EauslAAB", "HLI-6574-OLI"),
                                 Link("1006", "01t5g00001EauskAAB", "TCO-8668-FOR")],
            "price-bp-to-sf": [Link("1004", "01u5g00001EausnAAB"),
                               Link("1006", "01u5g00001EausqAAB"),
                               Link("1002", "01u5g00001EausoAAB")],
        },
        "contact from Salesforce": {
            "customer-sf-to-bp": [Link("0035g00001EauuBAAR", "226", "0015g00001EauuAAAR")],
            "product-bp-to-sf": [Link("1002", "01t5g00001EauslAAB", "HLI-6574-OLI"),
                                 Link("1006", "01t5g00001EauskAAB", "TCO-8668-FOR")],
            "price-bp-to-sf": [Link("1004", "01u5g00001EausnAAB"),
                               Link("1006", "01u5g00001EausqAAB"),
                               Link("1002", "01u5g00001EausoAAB")],
        },
    },
}
# Tables a tenant fills (not links), needed by some golden records.
TENANT_TABLES = {"brightpearl-salesforce": {"sf_price_books": {"2": "01s5g00001EausjAAB"}}}


def _without_salesforce_bp_ids(record: dict[str, Any]) -> dict[str, Any]:
    """A won opportunity whose account and products carry no Brightpearl id: only the link
    tables can name the Brightpearl contact and products."""
    record["Account"]["Brightpearl_Id__c"] = None
    for line in record["OpportunityLineItems"]["records"]:
        line["PricebookEntry"]["Product2"]["Brightpearl_Id__c"] = None
    return record


SOURCE_VARIANTS = {("brightpearl-salesforce", "sales-order-sf-to-bp"): _without_salesforce_bp_ids}

FILL_CASES = [
    pytest.param(pair, scenario, flow.key, id=f"{pair}:{scenario}:{flow.key}")
    for pair, scenarios in SCENARIOS.items()
    for scenario in scenarios
    for flow in template_get(pair).flows
    if used_tables(flow) & link_names(template_get(pair))
]


def test_every_flow_that_reads_a_link_table_is_simulated():
    simulated = {(pair, key) for pair, _, key in (case.values for case in FILL_CASES)}
    reads = {(t.key, f.key) for t, f in FLOWS if used_tables(f) & link_names(t)}
    assert reads == simulated
    assert set(SCENARIOS) == {template.key for template in TEMPLATES}


@pytest.mark.parametrize(("pair", "scenario", "flow_key"), FILL_CASES)
def test_tables_filled_from_record_links_map_the_golden_record(pair, scenario, flow_key):
    template = template_get(pair)
    flow = template.flow(flow_key)
    tables = fill(template, SCENARIOS[pair][scenario])
    lookups = {**flow.lookups, **TENANT_TABLES.get(pair, {}),
               **{name: rows for name, rows in tables.items() if name in used_tables(flow)}}
    mapping = compile_mapping(flow.mapping, lookups=lookups)
    expected = golden_load(pair, flow.key, "expected")

    sources = [golden_load(pair, flow.key, "source")]
    if (pair, flow.key) in SOURCE_VARIANTS:
        sources.append(SOURCE_VARIANTS[pair, flow.key](golden_load(pair, flow.key, "source")))
    for source in sources:
        result = mapping.apply(source)
        assert result.problems == []
        assert result.record == expected


def test_two_way_tables_hold_the_same_entry_whichever_flow_linked_the_records():
    for pair, scenarios in SCENARIOS.items():
        template = template_get(pair)
        filled = [fill(template, links) for links in scenarios.values()]
        for table in template.link_tables:
            if len({source.flow for source in table.sources}) > 1:
                entries = [rows[table.name] for rows in filled if rows[table.name]]
                assert len(entries) == len(scenarios), (pair, table.name)
                assert all(entry == entries[0] for entry in entries), (pair, table.name)


def test_a_missing_link_fails_the_record_instead_of_writing_a_wrong_reference():
    for template, flow in FLOWS:
        if not used_tables(flow) & link_names(template) or flow.key in {
                "sales-order-sf-to-bp"}:  # coalesces with the ids Salesforce itself holds
            continue
        lookups = {**flow.lookups, **TENANT_TABLES.get(template.key, {}),
                   **{name: {} for name in link_names(template)}}
        result = compile_mapping(flow.mapping, lookups=lookups).apply(
            golden_load(template.key, flow.key, "source"))
        assert result.record is None, flow.key
        assert {problem.kind for problem in result.problems} <= {"lookup", "required"}, flow.key


def test_a_lookup_table_name_means_the_same_table_in_every_template():
    # Lookup tables are tenant-wide by name: a tenant with two pairs gets the table of the
    # first pair created, so two templates may share a name only with identical defaults.
    seen: dict[str, tuple[str, dict[str, str]]] = {}
    for template in template_list():
        for flow in template.flows:
            for name, table in flow.lookups.items():
                content = {str(k): str(v) for k, v in table.items()}
                first = seen.setdefault(name, (f"{template.key}/{flow.key}", content))
                assert first[1] == content, (
                    f"lookup table {name!r} differs between {first[0]} and "
                    f"{template.key}/{flow.key}: give one of them its own name")
