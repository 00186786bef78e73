"""Compile a mapping document once; apply it to many records.

Precision and rounding: every number the engine computes with is a :class:`~decimal.Decimal`
under the default context (28 significant digits, far beyond any money amount), so sums,
products and currency conversions are exact to that precision and carry no float drift.
Nothing is rounded implicitly: a value is rounded only where the document says so, with
``{"round": {"places": 2, "rounding": "half_up"}}`` or ``to_decimal`` with ``places``
(rounding modes: half_up, the default, half_even, half_down, up, down, ceiling, floor).
Target schemas then refuse a value with more decimal places than the field allows, so a
forgotten ``round`` shows up as a problem instead of being silently cut.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from integrations.mapping.compiler import compile_object
from integrations.mapping.context import CompileContext
from integrations.mapping.problems import (
    DocumentProblem,
    MappingDocumentError,
    MappingResult,
    Nested,
    Problem,
)
from integrations.mapping.schema import RecordCheck, check_document_fields, compile_schema
from integrations.mapping.schemas import schema_get
from integrations.mapping.values import show, to_decimal

FORMAT_VERSION = 1
TOP_LEVEL = frozenset({"format_version", "name", "description", "source", "target", "options",
                       "lookups", "fields"})
_INDEX = re.compile(r"\[\d+\]")


class CompiledMapping:
    """A mapping document compiled into closures; safe to share between threads."""

    def __init__(self, *, name: str, source: dict[str, Any], target: dict[str, Any],
                 build: Any, schema: Mapping[str, Any] | None, sources: dict[str, str]) -> None:
        self.name = name
        self.source = source
        self.target = target
        self.schema = schema
        self._build = build
        self._check: RecordCheck | None = compile_schema(schema) if schema else None
        self._sources = sources

    def apply(self, record: Any, *, validate: bool = True) -> MappingResult:
        """Map one source record. Never raises for a bad record: problems come back instead,
        and the target record is ``None`` whenever there are any."""
        if not isinstance(record, dict):
            return MappingResult(None, [Problem("(record)", None, "source",
                                                f"expected a JSON object, got {show(record)}")])
        try:
            out = self._build(record, record, None)
        except Nested as nested:
            return MappingResult(None, nested.problems)
        if validate and self._check is not None:
            problems = self._check(out)
            if problems:
                return MappingResult(None, [self._with_source(p) for p in problems])
        return MappingResult(out, [])

    __call__ = apply

    def _with_source(self, problem: Problem) -> Problem:
        source = self._sources.get(_INDEX.sub("[]", problem.target_path))
        if source is None:
            return problem
        return Problem(problem.target_path, source, problem.kind, problem.message)


def compile_mapping(document: Any, *, lookups: Mapping[str, Mapping[str, Any]] | None = None,
                    rates: Mapping[str, Mapping[str, Any]] | None = None,
                    schema: Mapping[str, Any] | str | None = "auto") -> CompiledMapping:
    """Validate and compile ``document``; raise :class:`MappingDocumentError` listing every
    problem found.

    ``lookups`` are named code tables (``{"channel_codes": {"3": "WEB"}}``), merged over the
    document's own ``lookups``; ``rates`` are exchange rates (``{"EUR": {"SEK": "11.2"}}``:
    1 EUR = 11.2 SEK; the inverse is used when only the other direction is given). Both are
    data bound at compile time: compile again when they change (it takes milliseconds).
    ``schema``: ``"auto"`` uses the registry entry for the document's ``target`` (if any),
    ``None`` skips output validation, or pass a schema dict.
    """
    ctx, build, resolved, sources = _compile(document, lookups, rates, schema)
    if ctx.errors:
        raise MappingDocumentError(ctx.errors)
    return CompiledMapping(
        name=document.get("name", ""), source=dict(document.get("source") or {}),
        target=dict(document.get("target") or {}), build=build, schema=resolved, sources=sources,
    )


def validate_document(document: Any, *, lookups: Mapping[str, Mapping[str, Any]] | None = None,
                      rates: Mapping[str, Mapping[str, Any]] | None = None,
                      schema: Mapping[str, Any] | str | None = "auto") -> list[DocumentProblem]:
    """Every problem in ``document`` (empty when it compiles)."""
    return _compile(document, lookups, rates, schema)[0].errors


def _compile(document: Any, lookups: Any, rates: Any, schema: Any) -> tuple[
        CompileContext, Any, Mapping[str, Any] | None, dict[str, str]]:
    ctx = CompileContext(lookups={}, rates={})
    if not isinstance(document, dict):
        ctx.error("(document)", "document", "a mapping document is a JSON object")
        return ctx, None, None, {}
    _check_envelope(document, ctx)
    ctx.lookups = _tables(document.get("lookups"), lookups, ctx)
    ctx.rates = _rates(rates, ctx)
    options = document.get("options") or {}
    ctx.keep_nulls = isinstance(options, dict) and options.get("nulls") == "keep"
    resolved = _schema(document, schema, ctx)
    fields = document.get("fields")
    if not isinstance(fields, dict) or not fields:
        ctx.error("fields", "document", "fields must be a non-empty object of target fields")
        return ctx, None, resolved, {}
    if resolved is not None:
        target = document.get("target") or {}
        label = f"{target.get('system', '?')}/{target.get('entity', '?')}"
        check_document_fields(fields, resolved, "fields", label, ctx)
    build = compile_object(fields, "fields", ctx)
    return ctx, build, resolved, _static_sources(fields, "", "")


def _check_envelope(document: dict[str, Any], ctx: CompileContext) -> None:
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        ctx.error("format_version", "document",
                  f"format_version must be {FORMAT_VERSION}, got {show(version)}")
    extra = sorted(set(document) - TOP_LEVEL)
    if extra:
        ctx.error("(document)", "document",
                  f"unknown top-level key(s) {extra} (allowed: {sorted(TOP_LEVEL)})")
    for key in ("source", "target"):
        part = document.get(key)
        if part is None:
            continue
        if not isinstance(part, dict) or set(part) - {"system", "entity"} or not all(
                isinstance(v, str) for v in part.values()):
            ctx.error(key, "document", f'{key} is {{"system": "...", "entity": "..."}}')
    options = document.get("options")
    if options is not None:
        if not isinstance(options, dict) or set(options) - {"nulls"}:
            ctx.error("options", "document", 'options allows only "nulls"')
        elif options.get("nulls", "omit") not in ("omit", "keep"):
            ctx.error("options.nulls", "document", 'nulls is "omit" (default) or "keep"')


def _tables(inline: Any, supplied: Any, ctx: CompileContext) -> dict[str, Mapping[str, Any]]:
    tables: dict[str, Mapping[str, Any]] = {}
    for where, given in (("lookups", inline), ("(lookups argument)", supplied)):
        if given is None:
            continue
        if not isinstance(given, Mapping):
            ctx.error(where, "lookup", "lookup tables are an object of table name -> object")
            continue
        for name, table in given.items():
            if not isinstance(table, Mapping):
                ctx.error(f"{where}.{name}", "lookup",
                          "a lookup table is an object of key -> value")
                continue
            tables[name] = table
    return tables


def _rates(given: Any, ctx: CompileContext) -> dict[str, dict[str, Decimal]]:
    rates: dict[str, dict[str, Decimal]] = {}
    if given is None:
        return rates
    if not isinstance(given, Mapping):
        ctx.error("(rates argument)", "convert_currency", "rates are {from: {to: rate}}")
        return rates
    for have, row in given.items():
        if not isinstance(row, Mapping):
            ctx.error(f"(rates argument).{have}", "convert_currency",
                      "rates are {from: {to: rate}}")
            continue
        for want, rate in row.items():
            try:
                number = to_decimal(rate)
            except Exception:  # Fail, but any junk in a rate table is the same mistake
                number = Decimal(0)
            if number <= 0:
                ctx.error(f"(rates argument).{have}.{want}", "convert_currency",
                          f"rate must be a positive number, got {show(rate)}")
                continue
            rates.setdefault(str(have).upper(), {})[str(want).upper()] = number
    return rates


def _schema(document: dict[str, Any], schema: Any, ctx: CompileContext
            ) -> Mapping[str, Any] | None:
    if schema is None or isinstance(schema, Mapping):
        return schema
    if schema != "auto":
        ctx.error("(schema argument)", "schema", 'schema is "auto", None or a schema object')
        return None
    target = document.get("target")
    if not isinstance(target, dict):
        return None
    return schema_get(str(target.get("system")), str(target.get("entity")))


def _static_sources(fields: Any, target: str, source: str) -> dict[str, str]:
    """Target path pattern (``Lines[].ITNO``) -> source path, to name the source in schema
    problems, which are found on the output after mapping."""
    found: dict[str, str] = {}
    if not isinstance(fields, dict):
        return found
    for name, spec in fields.items():
        path = f"{target}.{name}" if target else str(name)
        if isinstance(spec, str):
            found[path] = _under(source, spec)
        elif isinstance(spec, dict):
            if isinstance(spec.get("from"), str):
                found[path] = _under(source, spec["from"])
            elif isinstance(spec.get("each"), str):
                found.update(_static_sources(spec.get("fields"), f"{path}[]",
                                             _under(source, spec["each"]) + ".*"))
            elif "object" in spec:
                found.update(_static_sources(spec["object"], path, source))
    return found


def _under(prefix: str, path: str) -> str:
    if path.startswith("$root."):
        return path[len("$root."):]
    return f"{prefix}.{path}" if prefix else path
