"""Reading and changing one target field's rule in a mapping document, for the editor.

Plain Python (no Django). A *target path* names a field of the target record the way people
read it: ``reference``, ``parties.customer.contactId`` (nested objects) and
``rows[].productId`` (a field of each line). In the document these live at
``fields.reference``, ``fields.parties.object.customer.object.contactId`` and
``fields.rows.fields.productId`` (``rows`` being an ``each`` rule). Every change returns a new
document; the one passed in is never modified.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from integrations.mapping.compiler import SOURCE_OPTIONS
from integrations.mapping.paths import PathError, compile_getter, is_simple

MISSING: Any = object()
_INDEX = re.compile(r"\[\d+\]")
# Keys a simple rule (one source path or constant plus modifiers) may have.
_SIMPLE_KEYS = frozenset({"from", "const", "transform", "default", "required", "comment"})
LOOKUP_OPTIONS = frozenset({"table", "default", "on_miss"})
MAX_SAMPLE_PATHS = 400


class RuleError(ValueError):
    """The rule cannot go where it was asked to; the message says what to do instead."""


@dataclass(frozen=True)
class TargetField:
    path: str                  # "rows[].productId"
    name: str                  # "productId"
    depth: int
    type: str
    required: bool
    rule: Mapping[str, Any]    # the schema's rule for the field ({} when the schema has none)
    lines: str | None = None   # the enclosing list's path ("rows") for a field of each line
    has_parts: bool = False    # an object or a list of objects whose fields are listed too
    custom: bool = False       # in the document but not in the schema (a custom field)


def _parts(path: str) -> list[tuple[str, bool]]:
    """``rows[].productId`` -> ``[("rows", True), ("productId", False)]``: each name, and
    whether what follows is inside its lines."""
    parts = []
    for name in path.split("."):
        lines = name.endswith("[]")
        parts.append((name[:-2] if lines else name, lines))
    return parts


def _join(parent: str, name: str, lines: bool) -> str:
    if not parent:
        return name
    return f"{parent}[].{name}" if lines else f"{parent}.{name}"


def target_fields(schema: Mapping[str, Any] | None, document: Mapping[str, Any] | None
                  ) -> list[TargetField]:
    """Every field of the target entity, parents before their parts, in schema order, then
    fields the document maps that the schema does not list (custom fields, or all of them
    when there is no schema)."""
    found: list[TargetField] = []
    seen: set[str] = set()
    if schema:
        _schema_walk(schema.get("fields") or {}, "", False, 0, None, found)
        seen = {f.path for f in found}
    fields = (document or {}).get("fields")
    if isinstance(fields, dict):
        extra = [f for f in _document_walk(fields, "", False, 0, None) if f.path not in seen]
        found.extend(extra)
    return found


def _schema_walk(fields: Mapping[str, Any], parent: str, lines: bool, depth: int,
                 within: str | None, out: list[TargetField]) -> None:
    for name, rule in fields.items():
        path = _join(parent, name, lines)
        kind = rule.get("type", "any")
        children = rule.get("fields") if kind == "object" else None
        items = rule.get("items") or {} if kind == "list" else {}
        item_fields = items.get("fields") if items.get("type") == "object" else None
        out.append(TargetField(path, name, depth, kind, bool(rule.get("required")), rule,
                               within, has_parts=bool(children or item_fields)))
        if children:
            _schema_walk(children, path, False, depth + 1, within, out)
        elif item_fields:
            _schema_walk(item_fields, path, True, depth + 1, path, out)


def _document_walk(fields: Mapping[str, Any], parent: str, lines: bool, depth: int,
                   within: str | None) -> Iterator[TargetField]:
    for name, spec in fields.items():
        path = _join(parent, str(name), lines)
        if isinstance(spec, dict) and isinstance(spec.get("object"), dict):
            yield TargetField(path, str(name), depth, "object", False, {}, within,
                              has_parts=True, custom=True)
            yield from _document_walk(spec["object"], path, False, depth + 1, within)
        elif isinstance(spec, dict) and "each" in spec and isinstance(spec.get("fields"), dict):
            yield TargetField(path, str(name), depth, "list", False, {}, within,
                              has_parts=True, custom=True)
            yield from _document_walk(spec["fields"], path, True, depth + 1, path)
        else:
            yield TargetField(path, str(name), depth, "any", False, {}, within, custom=True)


@dataclass(frozen=True)
class RuleAt:
    """What the document says for one target path."""

    spec: Any = MISSING
    covered_by: str | None = None  # an enclosing field whose rule maps this one as a whole

    @property
    def mapped(self) -> bool:
        return self.spec is not MISSING


def rule_at(document: Mapping[str, Any], path: str) -> RuleAt:
    container = document.get("fields")
    walked = ""
    parts = _parts(path)
    for position, (name, lines) in enumerate(parts):
        if not isinstance(container, dict) or name not in container:
            return RuleAt()
        spec = container[name]
        walked = _join(walked, name, parts[position - 1][1] if position else False)
        if position == len(parts) - 1:
            return RuleAt(spec)
        inner = _inner(spec, lines)
        if inner is None:
            return RuleAt(covered_by=walked)
        container = inner
    return RuleAt()


def _inner(spec: Any, lines: bool) -> dict[str, Any] | None:
    """The fields dict inside an object (``object``) or line (``each``) rule."""
    if not isinstance(spec, dict):
        return None
    key = "fields" if lines else "object"
    if lines and "each" not in spec:
        return None
    inner = spec.get(key)
    return inner if isinstance(inner, dict) else None


def rule_set(document: Mapping[str, Any], path: str, spec: Any) -> dict[str, Any]:
    """A copy of ``document`` with ``path`` mapped by ``spec`` (``MISSING`` removes it).

    Objects on the way are created as ``{"object": {...}}`` rules; lines cannot be, since
    which source list they come from has to be chosen first. An object that loses its last
    field is removed with it."""
    new = copy.deepcopy(dict(document))
    fields = new.setdefault("fields", {})
    if not isinstance(fields, dict):
        raise RuleError("The document's fields are not an object; fix it as a whole.")
    parts = _parts(path)
    chain: list[tuple[dict[str, Any], str]] = []
    container: dict[str, Any] = fields
    walked = ""
    for position, (name, lines) in enumerate(parts[:-1]):
        walked = _join(walked, name, parts[position - 1][1] if position else False)
        if name not in container:
            if spec is MISSING:
                return new
            if lines:
                raise RuleError(f"Choose the source list the lines of {walked} come from "
                                f"first (edit {walked}).")
            container[name] = {"object": {}}
        inner = _inner(container[name], lines)
        if inner is None:
            raise RuleError(f"{walked} is mapped as a whole by its own rule; change that rule "
                            "to map its parts one by one.")
        chain.append((container, name))
        container = inner
    last = parts[-1][0]
    if spec is MISSING:
        container.pop(last, None)
        for parent, name in reversed(chain):
            held = parent[name]
            if held.get("object") == {} and set(held) == {"object"}:
                del parent[name]
            else:
                break
    else:
        container[last] = spec
    return new


def target_path_of(where: str) -> str | None:
    """The target path a document problem is about: ``fields.rows.fields.productId.when[0]``
    -> ``rows[].productId``; ``None`` for problems outside ``fields``."""
    tokens = where.split(".")
    if not tokens or tokens[0] != "fields" or len(tokens) < 2:
        return None
    path, lines, i = "", False, 1
    while i < len(tokens):
        name = tokens[i]
        if "[" in name:  # list[0], when[0]: a part of the rule, not a field
            break
        path = _join(path, name, lines)
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if following == "object":
            lines, i = False, i + 2
        elif following == "fields":
            lines, i = True, i + 2
        else:
            break
    return path or None


def document_where(target_path: str) -> str:
    """Where a target path's rule sits in the document: ``rows[].productId`` ->
    ``fields.rows.fields.productId`` (the inverse of :func:`target_path_of`)."""
    parts = _parts(target_path)
    where = "fields"
    for position, (name, lines) in enumerate(parts):
        where += f".{name}"
        if position < len(parts) - 1:
            where += ".fields" if lines else ".object"
    return where


def record_path_pattern(target_path: str) -> str:
    """``Lines[2].ITNO`` (a problem in a mapped record) -> ``Lines[].ITNO``."""
    return _INDEX.sub("[]", target_path)


# --- reading a rule as the editor's fields ------------------------------------------------------
@dataclass
class RuleView:
    """One rule as the editor shows it. ``mode`` is ``source`` (a plain source field),
    ``expression`` (JMESPath), ``constant``, ``lines`` (a list from an ``each``), ``rule``
    (anything else, edited as JSON) or ``unmapped``."""

    mode: str
    source: str = ""
    constant: Any = None
    lookup_table: str = ""
    lookup_default: Any = MISSING
    lookup_on_miss: str = ""
    default: Any = MISSING
    required: bool = False
    transforms: list[Any] = field(default_factory=list)
    where: Any = MISSING
    summary: str = ""
    spec: Any = MISSING


def rule_view(spec: Any, *, lines_target: bool = False) -> RuleView:
    if spec is MISSING:
        return RuleView("unmapped")
    if isinstance(spec, str):
        return RuleView("source" if _plain(spec) else "expression", source=spec, spec=spec)
    if spec is None or isinstance(spec, bool | int | float):
        return RuleView("constant", constant=spec, spec=spec)
    if not isinstance(spec, dict):
        return RuleView("rule", summary="not a valid rule", spec=spec)
    if lines_target and "each" in spec and isinstance(spec["each"], str) and set(spec) <= {
            "each", "fields", "where", "comment"}:
        return RuleView("lines", source=spec["each"], where=spec.get("where", MISSING),
                        spec=spec, summary=f"one line per item of {spec['each']}")
    steps = spec.get("transform", [])
    if (set(spec) <= _SIMPLE_KEYS and ("from" in spec) != ("const" in spec)
            and isinstance(steps, list) and (isinstance(spec.get("from"), str)
                                             or "const" in spec)):
        view = RuleView("constant" if "const" in spec else
                        "source" if _plain(spec["from"]) else "expression",
                        source=spec.get("from", ""), constant=spec.get("const"),
                        default=spec.get("default", MISSING),
                        required=bool(spec.get("required")), spec=spec)
        steps = list(steps)
        first = steps[0] if steps else None
        if isinstance(first, dict) and set(first) == {"lookup"}:
            options = first["lookup"]
            if isinstance(options, str):
                options = {"table": options}
            if isinstance(options, dict) and "table" in options and set(options) <= (
                    LOOKUP_OPTIONS):
                view.lookup_table = str(options["table"])
                view.lookup_default = options.get("default", MISSING)
                view.lookup_on_miss = str(options.get("on_miss", ""))
                steps = steps[1:]
        view.transforms = steps
        return view
    return RuleView("rule", summary=rule_summary(spec), spec=spec)


def _plain(path: str) -> bool:
    return is_simple(path) or path.startswith("$")


def rule_summary(spec: Any) -> str:
    """A few plain words for a rule that is more than a field copy."""
    if not isinstance(spec, dict):
        return ""
    kinds = [k for k in spec if k in SOURCE_OPTIONS]
    if len(kinds) != 1:
        return "not a valid rule"
    kind = kinds[0]
    value = spec[kind]
    if kind == "concat":
        return f"joined: {_parts_text(value)}"
    if kind == "coalesce":
        return f"first non-empty of: {_parts_text(value)}"
    if kind == "calc":
        return f"calculation: {value} of {_parts_text(spec.get('args'))}"
    if kind == "aggregate":
        of = f" of {spec['of']}" if isinstance(spec.get("of"), str) else ""
        return f"{value}{of} over {spec.get('over')}"
    if kind == "each":
        return f"one line per item of {_parts_text([value])}"
    if kind == "when":
        branches = len(value) if isinstance(value, list) else 0
        return f"conditional ({branches} case{'s' if branches != 1 else ''}" + (
            ", else a fallback)" if "else" in spec else ")")
    if kind == "convert_currency":
        return f"currency conversion of {_parts_text([value])}"
    if kind == "object":
        return "an object built field by field"
    if kind == "list":
        return f"a list of {len(value) if isinstance(value, list) else 0} item(s)"
    if kind == "from":
        return f"from {value}"
    return kind


def _parts_text(values: Any) -> str:
    if not isinstance(values, list):
        return ""
    shown = []
    for value in values:
        if isinstance(value, str):
            shown.append(value)
        elif isinstance(value, dict) and "const" in value:
            shown.append(json.dumps(value["const"]))
        elif isinstance(value, dict) and isinstance(value.get("from"), str):
            shown.append(value["from"])
        else:
            shown.append(rule_summary(value) or json.dumps(value))
    return ", ".join(shown)


def step_text(step: Any) -> str:
    """``{"truncate": 15}`` -> ``truncate 15``; ``{"date": {"to": "date"}}`` ->
    ``date (to date)``."""
    if isinstance(step, str):
        return step
    if isinstance(step, dict) and len(step) == 1:
        [(name, options)] = step.items()
        if isinstance(options, dict):
            inner = ", ".join(f"{k} {json.dumps(v) if not isinstance(v, str) else v}"
                              for k, v in options.items())
            return f"{name} ({inner})"
        return f"{name} {options}"
    return json.dumps(step)


# --- building a rule from the editor's fields ---------------------------------------------------
def rule_build(*, mode: str, existing: Any = MISSING, source: str = "", constant: Any = None,
               rule: Any = MISSING, lookup_table: str = "", lookup_default: Any = MISSING,
               lookup_on_miss: str = "", default: Any = MISSING, required: bool = False,
               transforms: list[Any] | None = None, where: Any = MISSING) -> Any:
    """The value spec for what the editor's form says; a comment on the rule is kept."""
    if mode == "unmapped":
        return MISSING
    if mode == "rule":
        return rule
    comment = existing.get("comment") if isinstance(existing, dict) else None
    if mode == "lines":
        spec: dict[str, Any] = {"each": source}
        old = existing if isinstance(existing, dict) else {}
        spec["fields"] = old.get("fields") if isinstance(old.get("fields"), dict) else {}
        if where is not MISSING:
            spec["where"] = where
    else:
        spec = {"const": constant} if mode == "constant" else {"from": source}
        steps: list[Any] = []
        if lookup_table:
            options: dict[str, Any] = {"table": lookup_table}
            if lookup_default is not MISSING:
                options["default"] = lookup_default
            if lookup_on_miss:
                options["on_miss"] = lookup_on_miss
            steps.append({"lookup": options})
        steps.extend(transforms or [])
        if steps:
            spec["transform"] = steps
        if default is not MISSING:
            spec["default"] = default
        if required:
            spec["required"] = True
    if comment:
        spec["comment"] = comment
    return spec


def scalar_text(value: Any) -> str:
    """How a constant or default is shown for editing, so that ``scalar_parse`` gives it
    back unchanged: text as itself unless it would read as a number or keyword."""
    if value is MISSING:
        return ""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value
        return json.dumps(value)
    return json.dumps(value)


def scalar_parse(text: str) -> Any:
    """A JSON number, ``true``/``false``/``null`` or ``"quoted text"``; anything else is text."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if value is None or isinstance(value, str | int | float | bool) else text


# --- source fields ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SourceField:
    path: str
    type: str | None = None
    sample: Any = None
    seen: bool = False          # in the sample record


def source_fields(schema: Mapping[str, Any] | None, sample: Any, *, lines: Any = None
                  ) -> list[SourceField]:
    """Source paths a rule can read: the source schema's fields and the keys of the sample
    record. With ``lines`` (an ``each`` rule's source), the paths inside one item."""
    types: dict[str, str] = {}
    if schema:
        types = dict(_schema_paths(schema.get("fields") or {}, ""))
    samples: dict[str, Any] = {}
    if isinstance(sample, dict):
        samples = dict(_sample_paths(sample, "", 0))
    if lines is not None:
        prefix = f"{lines}[]." if isinstance(lines, str) else None
        types = {p[len(prefix):]: t for p, t in types.items()
                 if prefix and p.startswith(prefix)}
        items = line_items(lines, sample)
        samples = {}
        for item in items[:5]:
            for path, value in _sample_paths(item, "", 0):
                samples.setdefault(path, value)
                if samples[path] in (None, "") and value not in (None, ""):
                    samples[path] = value
    merged: dict[str, SourceField] = {}
    for path, kind in types.items():
        if "[]" not in path:
            merged[path] = SourceField(path, kind, samples.get(path), path in samples)
    for path, value in samples.items():
        if "[]" not in path and path not in merged:
            merged[path] = SourceField(path, None, value, True)
    return sorted(merged.values(), key=lambda f: f.path.lower())


def line_items(lines: Any, sample: Any) -> list[Any]:
    """The items an ``each`` source gives on ``sample`` (an object's values, in order)."""
    if not isinstance(sample, dict) or not isinstance(lines, str):
        return []
    try:
        found = compile_getter(lines)(sample, sample, None)
    except PathError:
        return []
    if isinstance(found, dict):
        found = list(found.values())
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def _schema_paths(fields: Mapping[str, Any], parent: str) -> Iterator[tuple[str, str]]:
    for name, rule in fields.items():
        path = f"{parent}.{name}" if parent else name
        kind = rule.get("type", "any")
        yield path, kind
        if kind == "object" and rule.get("fields"):
            yield from _schema_paths(rule["fields"], path)
        items = rule.get("items") or {}
        if kind == "list" and items.get("type") == "object" and items.get("fields"):
            yield from _schema_paths(items["fields"], f"{path}[]")


def _sample_paths(record: dict[str, Any], parent: str, depth: int
                  ) -> Iterator[tuple[str, Any]]:
    count = 0
    for key, value in record.items():
        name = str(key)
        if not is_simple(name):
            continue  # "1002" (a Brightpearl row id) or odd keys: reached through lines
        path = f"{parent}.{name}" if parent else name
        count += 1
        if count > MAX_SAMPLE_PATHS:
            return
        yield path, value
        if depth < 5 and isinstance(value, dict):
            yield from _sample_paths(value, path, depth + 1)
