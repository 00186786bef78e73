"""Shorthand for writing schema rules; every helper returns a plain dict."""

from __future__ import annotations

from typing import Any

Rule = dict[str, Any]

ISO_DATE = r"\d{4}-\d{2}-\d{2}"
ISO_DATETIME = r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
M3_DATE = r"\d{8}"


def text(max_length: int | None = None, *, required: bool = False, **more: Any) -> Rule:
    rule: Rule = {"type": "string", **more}
    if max_length is not None:
        rule["max_length"] = max_length
    if required:
        rule["required"] = True
    return rule


def choice(*values: Any, required: bool = False) -> Rule:
    kind = "integer" if all(isinstance(v, int) for v in values) else "string"
    rule: Rule = {"type": kind, "choices": list(values)}
    if required:
        rule["required"] = True
    return rule


def money(scale: int = 2, *, required: bool = False, max_digits: int | None = None) -> Rule:
    rule: Rule = {"type": "decimal", "scale": scale}
    if max_digits is not None:
        rule["max_digits"] = max_digits
    if required:
        rule["required"] = True
    return rule


def integer(*, required: bool = False, minimum: int | None = None,
            maximum: int | None = None) -> Rule:
    rule: Rule = {"type": "integer"}
    if minimum is not None:
        rule["minimum"] = minimum
    if maximum is not None:
        rule["maximum"] = maximum
    if required:
        rule["required"] = True
    return rule


def flag(*, required: bool = False) -> Rule:
    return {"type": "boolean", "required": True} if required else {"type": "boolean"}


def obj(fields: dict[str, Rule], *, required: bool = False,
        custom_fields: str | None = None) -> Rule:
    rule: Rule = {"type": "object", "fields": fields}
    if custom_fields:
        rule["custom_fields"] = custom_fields
    if required:
        rule["required"] = True
    return rule


def rows(fields: dict[str, Rule], *, required: bool = False, min_items: int | None = None,
         max_items: int | None = None, custom_fields: str | None = None) -> Rule:
    rule: Rule = {"type": "list", "items": obj(fields, custom_fields=custom_fields)}
    if required:
        rule["required"] = True
    if min_items is not None:
        rule["min_items"] = min_items
    if max_items is not None:
        rule["max_items"] = max_items
    return rule


def entity(system: str, name: str, fields: dict[str, Rule], *, description: str,
           custom_fields: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "system": system, "entity": name, "description": description, "fields": fields,
    }
    if custom_fields:
        schema["custom_fields"] = custom_fields
    return schema
