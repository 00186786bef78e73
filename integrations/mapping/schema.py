"""Target-entity schemas: check a mapped record before any API call sees it.

A schema is plain data (see :mod:`integrations.mapping.schemas`)::

    {"system": "dynamics_gp", "entity": "taUpdateCreateCustomerRcd",
     "fields": {"CUSTNMBR": {"type": "string", "required": True, "max_length": 15}, ...},
     "custom_fields": r"^USERDEF[12]$"}   # optional: names allowed beyond "fields"

Field rules: ``type`` (string, integer, decimal, boolean, object, list, any), ``required``,
``max_length`` / ``min_length`` (text), ``choices``, ``pattern`` (a regex the whole text must
match), ``scale`` (most decimal places) and ``max_digits`` (decimal), ``minimum`` /
``maximum`` (numbers), ``fields`` (object), ``items`` and ``min_items`` / ``max_items`` (list).

Schemas are written by us, not users, so their regexes are trusted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from integrations.mapping.compiler import join_path
from integrations.mapping.context import CompileContext
from integrations.mapping.problems import Problem
from integrations.mapping.values import show, type_name

Check = Callable[[Any, str, list[Problem]], None]
RecordCheck = Callable[[Mapping[str, Any]], list[Problem]]

TYPES = ("string", "integer", "decimal", "boolean", "object", "list", "any")
_RULES = {
    "type", "required", "max_length", "min_length", "choices", "pattern", "scale", "max_digits",
    "minimum", "maximum", "fields", "items", "min_items", "max_items", "description",
    "custom_fields",
}


class SchemaError(ValueError):
    """A schema (our own data) is malformed: a bug, caught by the schema tests."""


def _problem(problems: list[Problem], path: str, rule: str, message: str) -> None:
    problems.append(Problem(target_path=path, source_path=None, kind=f"schema.{rule}",
                            message=message))


def compile_schema(schema: Mapping[str, Any]) -> RecordCheck:
    """Compile a schema once into ``check(record) -> problems``."""
    check = _object_check({"type": "object", "fields": schema["fields"],
                           "custom_fields": schema.get("custom_fields")}, "(schema)")

    def check_record(record: Mapping[str, Any]) -> list[Problem]:
        problems: list[Problem] = []
        check(record, "", problems)
        return problems

    return check_record


def _field_check(rule: Mapping[str, Any], where: str) -> Check:
    unknown = set(rule) - _RULES
    if unknown:
        raise SchemaError(f"{where}: unknown schema rule(s) {sorted(unknown)}")
    kind = rule.get("type", "any")
    if kind not in TYPES:
        raise SchemaError(f"{where}: unknown type {kind!r}")
    if kind == "object":
        return _object_check(rule, where)
    if kind == "list":
        return _list_check(rule, where)
    checks: list[Check] = [_TYPE_CHECKS[kind]]
    if kind == "string":
        checks.extend(_text_checks(rule))
    if kind in ("decimal", "integer"):
        checks.extend(_number_checks(rule))
    if "choices" in rule:
        choices = tuple(rule["choices"])
        allowed = ", ".join(map(str, choices))

        def in_choices(value: Any, path: str, problems: list[Problem]) -> None:
            if value not in choices:
                _problem(problems, path, "choices", f"{show(value)} is not one of: {allowed}")

        checks.append(in_choices)
    first, rest = checks[0], tuple(checks[1:])

    def check(value: Any, path: str, problems: list[Problem]) -> None:
        before = len(problems)
        first(value, path, problems)
        if len(problems) == before:  # later rules assume the type was right
            for more in rest:
                more(value, path, problems)

    return check


def _is_string(value: Any, path: str, problems: list[Problem]) -> None:
    if value.__class__ is not str:
        _problem(problems, path, "type", f"expected text, got {type_name(value)} {show(value)}")


def _is_integer(value: Any, path: str, problems: list[Problem]) -> None:
    if value.__class__ is not int:
        _problem(problems, path, "type",
                 f"expected a whole number, got {type_name(value)} {show(value)}")


def _is_decimal(value: Any, path: str, problems: list[Problem]) -> None:
    if value.__class__ not in (Decimal, int):
        _problem(problems, path, "type",
                 f"expected a decimal number, got {type_name(value)} {show(value)}")


def _is_boolean(value: Any, path: str, problems: list[Problem]) -> None:
    if value.__class__ is not bool:
        _problem(problems, path, "type",
                 f"expected true/false, got {type_name(value)} {show(value)}")


def _is_anything(value: Any, path: str, problems: list[Problem]) -> None:
    return None


_TYPE_CHECKS: dict[str, Check] = {
    "string": _is_string,
    "integer": _is_integer,
    "decimal": _is_decimal,
    "boolean": _is_boolean,
    "any": _is_anything,
}


def _text_checks(rule: Mapping[str, Any]) -> list[Check]:
    checks: list[Check] = []
    most, least, pattern = rule.get("max_length"), rule.get("min_length"), rule.get("pattern")
    if most is not None:
        def max_length(value: Any, path: str, problems: list[Problem]) -> None:
            if len(value) > most:
                _problem(problems, path, "max_length",
                         f"{show(value)} is {len(value)} characters; the most allowed is {most}")

        checks.append(max_length)
    if least is not None:
        def min_length(value: Any, path: str, problems: list[Problem]) -> None:
            if len(value) < least:
                _problem(problems, path, "min_length",
                         f"{show(value)} is {len(value)} characters; at least {least} needed")

        checks.append(min_length)
    if pattern is not None:
        compiled = re.compile(pattern)

        def matches(value: Any, path: str, problems: list[Problem]) -> None:
            if compiled.fullmatch(value) is None:
                _problem(problems, path, "pattern", f"{show(value)} does not match {pattern}")

        checks.append(matches)
    return checks


def _number_checks(rule: Mapping[str, Any]) -> list[Check]:
    checks: list[Check] = []
    scale, digits = rule.get("scale"), rule.get("max_digits")
    low, high = rule.get("minimum"), rule.get("maximum")
    if scale is not None or digits is not None:
        def precision(value: Any, path: str, problems: list[Problem]) -> None:
            if value.__class__ is not Decimal:
                return
            _, shown, exponent = value.as_tuple()
            if not isinstance(exponent, int):
                return
            places = -exponent if exponent < 0 else 0
            whole = max(len(shown) + exponent, 0)
            if scale is not None and places > scale:
                _problem(problems, path, "scale",
                         f"{value} has {places} decimal places; the most allowed is {scale} "
                         "(add a round step)")
            elif digits is not None and whole + places > digits:
                _problem(problems, path, "max_digits", f"{value} has more than {digits} digits")

        checks.append(precision)
    if low is not None or high is not None:
        def bounds(value: Any, path: str, problems: list[Problem]) -> None:
            if low is not None and value < low:
                _problem(problems, path, "minimum", f"{value} is below the minimum {low}")
            if high is not None and value > high:
                _problem(problems, path, "maximum", f"{value} is above the maximum {high}")

        checks.append(bounds)
    return checks


def _object_check(rule: Mapping[str, Any], where: str) -> Check:
    fields = rule.get("fields") or {}
    children = {name: _field_check(sub, f"{where}.{name}") for name, sub in fields.items()}
    required = tuple(name for name, sub in fields.items() if sub.get("required"))
    custom = re.compile(rule["custom_fields"]) if rule.get("custom_fields") else None

    def check(value: Any, path: str, problems: list[Problem]) -> None:
        if not isinstance(value, dict):
            _problem(problems, path or "(record)", "type",
                     f"expected an object, got {type_name(value)}")
            return
        for name in required:
            if value.get(name) is None or value.get(name) == "":
                _problem(problems, join_path(path, name), "required",
                         "required by the target system but missing")
        for name, item in value.items():
            child = children.get(name)
            if child is not None:
                if item is not None:
                    child(item, join_path(path, name), problems)
            elif custom is None or custom.fullmatch(name) is None:
                _problem(problems, join_path(path, name), "unknown_field",
                         "not a field of the target entity")

    return check


def _list_check(rule: Mapping[str, Any], where: str) -> Check:
    items = _field_check(rule.get("items", {"type": "any"}), f"{where}[]")
    least, most = rule.get("min_items"), rule.get("max_items")

    def check(value: Any, path: str, problems: list[Problem]) -> None:
        if not isinstance(value, list):
            _problem(problems, path, "type", f"expected a list, got {type_name(value)}")
            return
        if least is not None and len(value) < least:
            _problem(problems, path, "min_items",
                     f"has {len(value)} item(s); at least {least} needed")
        if most is not None and len(value) > most:
            _problem(problems, path, "max_items",
                     f"has {len(value)} item(s); at most {most} allowed")
        for index, item in enumerate(value):
            items(item, f"{path}[{index}]", problems)

    return check


def check_document_fields(fields: Any, schema_rule: Mapping[str, Any], where: str,
                          label: str, ctx: CompileContext) -> None:
    """Compile-time check of a document's target field names against the schema, so a typo
    (``CUNM`` for ``CUNO``) or an unmapped required field is caught on save, not per record."""
    if not isinstance(fields, dict):
        return
    known = schema_rule.get("fields") or {}
    custom = re.compile(schema_rule["custom_fields"]) if schema_rule.get("custom_fields") else None
    for name, spec in fields.items():
        rule = known.get(name)
        if rule is None:
            if custom is None or not isinstance(name, str) or custom.fullmatch(name) is None:
                ctx.error(f"{where}.{name}", "schema",
                          f"{name!r} is not a field of {label} (known: {', '.join(known)})")
            continue
        if isinstance(spec, dict):
            _check_nested(spec, rule, f"{where}.{name}", label, ctx)
    for name, rule in known.items():
        if rule.get("required") and name not in fields:
            ctx.error(f"{where}.{name}", "schema",
                      f"{label} requires {name!r} but it is not mapped")


def _check_nested(spec: dict[str, Any], rule: Mapping[str, Any], where: str, label: str,
                  ctx: CompileContext) -> None:
    if "object" in spec and rule.get("type") == "object":
        check_document_fields(spec["object"], rule, f"{where}.object", label, ctx)
    elif "each" in spec and rule.get("type") == "list":
        item_rule = rule.get("items") or {}
        if item_rule.get("type") == "object":
            check_document_fields(spec.get("fields"), item_rule, f"{where}.fields", label, ctx)
    elif "list" in spec and rule.get("type") == "list" and isinstance(spec["list"], list):
        item_rule = rule.get("items") or {}
        for i, item in enumerate(spec["list"]):
            if isinstance(item, dict) and item_rule.get("type") == "object":
                _check_nested(item, item_rule, f"{where}.list[{i}]", label, ctx)
