"""Golden records of the pair templates: ``golden/<pair>/<flow-key>.source.json`` (a record
in the source system's real shape) and ``.expected.json`` (the exact target record).

Numbers are read as ``Decimal`` so money compares exactly, as the mapping engine produces it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from integrations.mapping import MappingResult, compile_mapping
from integrations.pair_templates import template_get
from integrations.pair_templates.base import FlowTemplate

GOLDEN = Path(__file__).parent / "golden"


def golden_load(pair: str, flow_key: str, kind: str) -> Any:
    path = GOLDEN / pair / f"{flow_key}.{kind}.json"
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


def flow_lookups(pair: str, flow: FlowTemplate, *,
                 links: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """The tables a flow's mapping is compiled with: its own lookups, the pair's link tables
    (empty unless ``links`` fills them, as the pipeline would from record links)."""
    empty_links = {table.name: {} for table in template_get(pair).link_tables}
    # Stored lookup tables hold text (they are edited as CSV), so the golden tests see the
    # template's defaults as the pipeline will: keys and values as strings.
    stored = {name: {str(k): str(v) for k, v in table.items()}
              for name, table in flow.lookups.items()}
    return {**empty_links, **stored, **(links or {})}


def golden_apply(pair: str, flow: FlowTemplate, *,
                 links: dict[str, dict[str, Any]] | None = None) -> tuple[MappingResult, Any]:
    """Map the flow's golden source with its default mapping; answer (result, expected).

    ``links`` fills link tables (ids of other flows' records) as the pipeline would.
    """
    mapping = compile_mapping(flow.mapping, lookups=flow_lookups(pair, flow, links=links))
    return mapping.apply(golden_load(pair, flow.key, "source")), golden_load(
        pair, flow.key, "expected")


def flow_directions(flows: tuple[FlowTemplate, ...]) -> set[tuple[str, str, str]]:
    return {(flow.entity, flow.source, flow.target) for flow in flows}
