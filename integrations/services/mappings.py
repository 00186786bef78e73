"""Writes for mappings and lookup tables: every edit is a new version; roll back by pointing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from collections.abc import Mapping as Mapping_
from dataclasses import dataclass
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from integrations.connectors.errors import ConfigurationError, ConnectorError, NotFound
from integrations.mapping import (
    DocumentProblem,
    MappingDocumentError,
    compile_mapping,
    validate_document,
)
from integrations.models import Flow, LookupEntry, LookupTable, Mapping, MappingVersion
from integrations.selectors import lookup_tables_as_dict


def mapping_document_problems(*, document: Any, live_tables: Iterable[str] = ()
                              ) -> list[DocumentProblem]:
    """Every problem in ``document`` against the tenant's lookup tables plus link tables
    that are filled at run time (their contents are unknown now; only their names matter)."""
    lookups = {**{name: {} for name in live_tables}, **lookup_tables_as_dict()}
    return validate_document(document, lookups=lookups)


def _check(document: Any, *, live_tables: Iterable[str] = ()) -> dict[str, Any]:
    problems = mapping_document_problems(document=document, live_tables=live_tables)
    if problems:
        raise ValidationError({"document": [str(p) for p in problems]})
    return document


def _sides(document: dict[str, Any]) -> dict[str, str]:
    source, target = document.get("source") or {}, document.get("target") or {}
    return {"source_system": source.get("system", ""), "source_entity": source.get("entity", ""),
            "target_system": target.get("system", ""), "target_entity": target.get("entity", "")}


@transaction.atomic
def mapping_create(*, name: str, document: dict[str, Any], created_by: str = "",
                   comment: str = "", description: str = "",
                   live_tables: Iterable[str] = ()) -> Mapping:
    if Mapping.objects.filter(name=name).exists():
        raise ValidationError({"name": [f"A mapping called {name!r} exists already."]})
    _check(document, live_tables=live_tables)
    mapping = Mapping.objects.create(name=name, description=description, **_sides(document))
    mapping_version_create(mapping=mapping, document=document, created_by=created_by,
                           comment=comment or "First version", live_tables=live_tables)
    mapping.refresh_from_db()
    return mapping


@transaction.atomic
def mapping_version_create(*, mapping: Mapping, document: dict[str, Any], created_by: str = "",
                           comment: str = "", live_tables: Iterable[str] = ()) -> MappingVersion:
    """Save ``document`` as the next version and make it current."""
    _check(document, live_tables=set(live_tables) | mapping_live_table_names(mapping=mapping))
    locked = Mapping.objects.select_for_update().get(pk=mapping.pk)
    number = (locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = MappingVersion.objects.create(mapping=locked, number=number, document=document,
                                            comment=comment, created_by=created_by)
    Mapping.objects.filter(pk=locked.pk).update(current_version=version, **_sides(document))
    mapping.current_version = version
    return version


def mapping_rollback(*, mapping: Mapping, number: int) -> Mapping:
    """Point ``mapping`` at an earlier version (history is kept; nothing is rewritten)."""
    version = mapping.versions.filter(number=number).first()
    if version is None:
        raise ValidationError({"number": [f"{mapping.name!r} has no version {number}."]})
    mapping.current_version = version
    mapping.save(update_fields=["current_version", "updated_at"])
    return mapping


@dataclass(frozen=True)
class DocumentChange:
    path: str
    change: Literal["added", "removed", "changed"]
    before: Any = None
    after: Any = None


def mapping_versions_diff(*, old: MappingVersion, new: MappingVersion) -> list[DocumentChange]:
    """Field-by-field differences between two versions' documents."""
    return _diff(old.document, new.document, "")


def _diff(before: Any, after: Any, path: str) -> list[DocumentChange]:
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[DocumentChange] = []
        for key in sorted(set(before) | set(after), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in after:
                changes.append(DocumentChange(where, "removed", before=before[key]))
            elif key not in before:
                changes.append(DocumentChange(where, "added", after=after[key]))
            elif not path or path.endswith(("fields", ".object")) or key in ("fields",
                                                                              "object"):
                # Down through target fields, nested objects and lines, so a change deep in
                # an order's rows names that one field rather than the whole rows rule.
                changes.extend(_diff(before[key], after[key], where))
            elif before[key] != after[key]:
                changes.append(DocumentChange(where, "changed", before[key], after[key]))
        return changes
    if before != after:
        return [DocumentChange(path or "(document)", "changed", before, after)]
    return []


@dataclass(frozen=True)
class PreviewResult:
    record: dict[str, Any] | None
    problems: list[dict[str, str]]


def mapping_preview(*, document: dict[str, Any], sample: Any,
                    live_tables: Mapping_[str, Any] | None = None) -> PreviewResult:
    """Run a document on a sample source record without writing anywhere."""
    try:
        compiled = compile_mapping(document, lookups={**(live_tables or {}),
                                                      **lookup_tables_as_dict()})
    except MappingDocumentError as exc:
        return PreviewResult(None, [{"target_path": p.where, "source_path": "",
                                     "kind": p.rule, "message": p.message}
                                    for p in exc.problems])
    if not isinstance(sample, dict):
        return PreviewResult(None, [{"target_path": "", "source_path": "", "kind": "sample",
                                     "message": "The sample must be a JSON object (a record)."}])
    result = compiled.apply(sample)
    return PreviewResult(
        json.loads(json.dumps(result.record, default=str)) if result.record else None,
        [p.as_json() for p in result.problems],
    )


def mapping_live_table_names(*, mapping: Mapping) -> set[str]:
    """Link tables the pipeline fills for the flows running ``mapping``."""
    from integrations.services.runtime import link_table_names

    names: set[str] = set()
    for flow in mapping.flows.select_related("pair"):
        names |= link_table_names(flow)
    return names


@dataclass(frozen=True)
class SampleFetch:
    """A source record read for a preview, or why none could be."""

    record: dict[str, Any] | None
    message: str
    source_id: str = ""


RECENT = dt.timedelta(days=7)


def mapping_sample_fetch(*, flow: Flow, external_id: str = "") -> SampleFetch:
    """One real record of the flow's source entity, read as the pipeline reads it: the one
    named by ``external_id``, else one changed in the last week, else any. Never raises for
    what the source system says; the message says it in plain words."""
    from integrations.services.connections import _plain_words, connector_for
    from integrations.services.polling import _record_id
    from integrations.services.sync import connector_entity

    connection = flow.source_connection
    system = connection.get_system_display()
    entity = connector_entity(flow, "source")
    external_id = external_id.strip()
    try:
        connector = connector_for(connection, timeout=(5.0, 15.0))
        if not external_id:
            listed: list[dict[str, Any]] = []
            for since in (timezone.now() - RECENT, None):
                listed = connector.list_changed(entity, since=since).records
                if listed:
                    break
            if not listed:
                return SampleFetch(None, f"{system} has no {entity} records to preview yet. "
                                         "Create one there, or paste a record below.")
            external_id = _record_id(connector, entity, listed[-1])
        record = connector.get(entity, external_id)
    except LookupError:
        return SampleFetch(None, f"There is no connector for {connection.system!r}.")
    except NotFound:
        return SampleFetch(None, f"{system} has no {entity} record {external_id!r}.")
    except ConfigurationError as exc:
        return SampleFetch(None, f"{system} cannot list {entity} records here: {exc.message} "
                                 "Enter a record id, or paste a record below.")
    except ConnectorError as exc:
        return SampleFetch(None, _plain_words(exc, connection))
    except ValueError as exc:  # a listed record without an id
        return SampleFetch(None, str(exc))
    if not isinstance(record, dict):
        return SampleFetch(None, f"{system} answered with something other than a record.")
    return SampleFetch(json.loads(json.dumps(record, default=str)),
                       f"{system} {entity} {external_id}", source_id=str(external_id))


@transaction.atomic
def lookup_table_set(*, name: str, entries: dict[str, str], description: str = ""
                     ) -> LookupTable:
    """Create or replace a lookup table's entries."""
    table, _ = LookupTable.objects.get_or_create(name=name,
                                                 defaults={"description": description})
    if description:
        table.description = description
    table.entries.all().delete()
    LookupEntry.objects.bulk_create(LookupEntry(table=table, key=str(k), value=str(v))
                                    for k, v in entries.items())
    table.save()
    return table
