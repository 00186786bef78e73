"""Small builders shared by the mapping tests."""

from __future__ import annotations

from typing import Any

from integrations.mapping import MappingResult, compile_mapping


def document(fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"format_version": 1, "name": "test", "fields": fields, **extra}


def run(fields: dict[str, Any], record: dict[str, Any], **options: Any) -> MappingResult:
    return compile_mapping(document(fields), **options).apply(record)


def value(spec: Any, record: dict[str, Any], **options: Any) -> Any:
    """Map one field called ``out`` and return its value (asserting there were no problems)."""
    result = run({"out": spec}, record, **options)
    assert result.ok, result.problems
    assert result.record is not None
    return result.record.get("out")
