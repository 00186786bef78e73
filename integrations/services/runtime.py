"""What a flow needs at run time: its compiled mapping with lookup and link tables.

Compiled once per process per (tenant, flow, mapping version, lookup tables' state) and
reused, because compiling costs milliseconds and a busy flow runs hundreds of times a second.
Link tables are live: they read record links per lookup, so links added after compiling count.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from django.db import connection as db
from django.db.models import Count, Max

from integrations.mapping import CompiledMapping, LiveTable, compile_mapping
from integrations.models import Flow, LookupTable, Mapping, RecordLink
from integrations.pair_templates import template_get
from integrations.selectors import lookup_tables_as_dict
from integrations.workflow import Workflow, compile_workflow

_CACHE: OrderedDict[tuple[Any, ...], CompiledMapping] = OrderedDict()
_CACHE_SIZE = 512


class LinkTable(LiveTable):
    """Ids from other flows' record links: {key: value} read per lookup."""

    def __init__(self, name: str, sources: list[tuple[int, str, str]]) -> None:
        self.name = name
        self.sources = sources  # (flow id, key column, value column)

    def get(self, key: str, default: Any = None) -> Any:
        key = str(key).strip()
        for flow_id, key_column, value_column in self.sources:
            value = (RecordLink.objects.filter(flow_id=flow_id, **{key_column: key})
                     .values_list(value_column, flat=True).first())
            if value is not None:
                return value.strip()
        return default

    def __iter__(self) -> Iterator[str]:
        for flow_id, key_column, _ in self.sources:
            yield from RecordLink.objects.filter(flow_id=flow_id).values_list(key_column,
                                                                               flat=True)

    def __len__(self) -> int:
        return sum(RecordLink.objects.filter(flow_id=f).count() for f, _, _ in self.sources)


def link_tables(flow: Flow) -> dict[str, LinkTable]:
    """The pair template's link tables, pointed at this pair's flows."""
    try:
        template = template_get(flow.pair.template_key)
    except LookupError:
        return {}
    flow_ids = dict(flow.pair.flows.values_list("key", "pk"))
    tables = {}
    for table in template.link_tables:
        sources = [(flow_ids[s.flow], s.key, s.value) for s in table.sources
                   if s.flow in flow_ids]
        tables[table.name] = LinkTable(table.name, sources)
    return tables


def link_table_names(flow: Flow) -> set[str]:
    try:
        return {t.name for t in template_get(flow.pair.template_key).link_tables}
    except LookupError:
        return set()


def compiled_mapping(flow: Flow) -> CompiledMapping:
    return _compiled(flow, flow.mapping.current_version_id, flow.mapping.current_document)


def _compiled(flow: Flow, version_id: int | None, document: Any) -> CompiledMapping:
    state = LookupTable.objects.aggregate(changed=Max("updated_at"), count=Count("pk"))
    key = (db.schema_name, flow.pk, version_id, state["changed"], state["count"])
    cached = _CACHE.get(key)
    if cached is not None:
        _CACHE.move_to_end(key)
        return cached
    lookups: dict[str, Any] = {**lookup_tables_as_dict(), **link_tables(flow)}
    compiled = compile_mapping(document, lookups=lookups)
    _CACHE[key] = compiled
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return compiled


def mapping_for_step(flow: Flow, name: str | None, number: int | None
                     ) -> tuple[CompiledMapping, str]:
    """A transform step's compiled mapping (the flow's own when ``name`` is None; the named
    one's current version, or version ``number``) and the target entity it writes."""
    from integrations.services.sync import connector_entity

    if name is None and number is None:
        return compiled_mapping(flow), connector_entity(flow, "target")
    mapping = flow.mapping if name is None else Mapping.objects.filter(name=name).first()
    if mapping is None:
        raise LookupError(f"There is no mapping called {name!r}.")
    version = (mapping.current_version if number is None
               else mapping.versions.filter(number=number).first())
    if version is None:
        raise LookupError(f"{mapping.name!r} has no version {number}.")
    return (_compiled(flow, version.pk, version.document),
            connector_entity(flow, "target", document=version.document))


_WORKFLOWS: OrderedDict[tuple[Any, ...], Workflow] = OrderedDict()


def compiled_workflow(flow: Flow) -> Workflow:
    """The flow's steps, compiled once per process per (tenant, flow, steps version)."""
    from integrations.services.steps import flow_default_document

    # The default document follows the flow's fields: its follow-ups and entity.
    key = (db.schema_name, flow.pk, flow.steps_version_id,
           None if flow.steps_version_id else repr(flow.follow_ups))
    cached = _WORKFLOWS.get(key)
    if cached is not None:
        _WORKFLOWS.move_to_end(key)
        return cached
    document = (flow.steps_version.document if flow.steps_version_id
                else flow_default_document(flow))
    compiled = _WORKFLOWS[key] = compile_workflow(document)
    if len(_WORKFLOWS) > _CACHE_SIZE:
        _WORKFLOWS.popitem(last=False)
    return compiled


def follow_up_args(spec: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """Evaluate a follow-up's argument value specs over {"source": ..., "target": {"id"}}."""
    key = ("follow-up", repr(sorted(spec.items())))
    compiled = _CACHE.get(key)
    if compiled is None:
        compiled = compile_mapping({"format_version": 1, "options": {"nulls": "keep"},
                                    "fields": spec}, schema=None)
        _CACHE[key] = compiled
    result = compiled.apply(context, validate=False)
    if result.problems:
        raise ValueError("; ".join(str(p) for p in result.problems))
    return result.record or {}
