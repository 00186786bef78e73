"""Conditions for ``when`` branches and ``where`` filters.

A condition is one comparison (``{"from": "customer.group", "eq": "TRADE"}``), a combination
(``all`` / ``any`` / ``not``) or a JMESPath expression judged by JMESPath truthiness
(``{"expr": "length(orderRows.*) > `3`"}``). Comparisons are data, never code.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from integrations.mapping.context import CompileContext
from integrations.mapping.paths import ValueFn
from integrations.mapping.problems import Fail
from integrations.mapping.values import key_text, literal, show, to_decimal

Test = Callable[[Any, Any, Any], bool]
CompileValue = Callable[[Any, str, CompileContext], tuple[ValueFn, str | None]]

_ORDERED = {"gt", "gte", "lt", "lte"}
_OPS = {"eq", "ne", "in", "not_in", "exists", "empty", "starts_with", "contains"} | _ORDERED
_NEVER: Test = lambda cur, root, pos: False  # noqa: E731 - placeholder after a document error


def compile_condition(spec: Any, where: str, ctx: CompileContext, value: CompileValue) -> Test:
    if not isinstance(spec, dict) or not spec:
        ctx.error(where, "condition",
                  "a condition is an object such as {\"from\": ..., \"eq\": ...}")
        return _NEVER
    if "all" in spec or "any" in spec:
        return _combine(spec, where, ctx, value)
    if "not" in spec:
        if len(spec) != 1:
            ctx.error(where, "condition", '"not" takes one condition and nothing else')
        inner = compile_condition(spec["not"], f"{where}.not", ctx, value)
        return lambda cur, root, pos: not inner(cur, root, pos)
    if "expr" in spec:
        return _expression(spec, where, ctx)
    return _comparison(spec, where, ctx, value)


def _combine(spec: dict[str, Any], where: str, ctx: CompileContext, value: CompileValue) -> Test:
    (name,) = [k for k in ("all", "any") if k in spec][:1]
    items = spec[name]
    if len(spec) != 1 or not isinstance(items, list) or not items:
        ctx.error(where, "condition", f'"{name}" takes a non-empty list of conditions')
        return _NEVER
    tests = tuple(
        compile_condition(item, f"{where}.{name}[{i}]", ctx, value) for i, item in enumerate(items)
    )
    if name == "all":
        return lambda cur, root, pos: all(t(cur, root, pos) for t in tests)
    return lambda cur, root, pos: any(t(cur, root, pos) for t in tests)


def _expression(spec: dict[str, Any], where: str, ctx: CompileContext) -> Test:
    text = spec["expr"]
    if len(spec) != 1 or not isinstance(text, str):
        ctx.error(where, "condition", '"expr" takes one JMESPath expression and nothing else')
        return _NEVER
    try:
        search = jmespath.compile(text).search
    except JMESPathError as exc:
        first = str(exc).strip().splitlines()[0]
        ctx.error(where, "condition", f"{text!r} is not a valid JMESPath expression: {first}")
        return _NEVER

    def test(cur: Any, root: Any, pos: Any) -> bool:
        try:
            found = search(cur)
        except JMESPathError as exc:  # e.g. a function given the wrong type at run time
            raise Fail("condition", f"{text!r} failed: {exc}") from None
        return found not in (None, False, "", [], {})

    return test


def _comparison(spec: dict[str, Any], where: str, ctx: CompileContext, value: CompileValue
                ) -> Test:
    if "from" not in spec:
        ctx.error(where, "condition", 'a comparison needs "from" (the value to test)')
        return _NEVER
    ops = [k for k in spec if k != "from"]
    if len(ops) != 1 or ops[0] not in _OPS:
        known = ", ".join(sorted(_OPS))
        ctx.error(where, "condition",
                  f"a comparison takes exactly one operator ({known}), got {ops}")
        return _NEVER
    op = ops[0]
    subject, _ = value(spec["from"], f"{where}.from", ctx)
    operand = literal(spec[op])
    if op in ("exists", "empty"):
        if not isinstance(operand, bool):
            ctx.error(where, "condition", f"{op} takes true or false, got {show(operand)}")
            return _NEVER
        return _presence(subject, op, operand)
    if op in ("in", "not_in"):
        if not isinstance(operand, list):
            ctx.error(where, "condition", f"{op} takes a list of values, got {show(operand)}")
            return _NEVER
        texts = frozenset(key_text(literal(v)) for v in operand if v is not None)
        hit = op == "in"
        return lambda cur, root, pos: _text_or_none(subject(cur, root, pos)) in texts if hit else (
            _text_or_none(subject(cur, root, pos)) not in texts
        )
    if op in _ORDERED:
        try:
            bound = to_decimal(operand)
        except Fail:
            ctx.error(where, "condition", f"{op} compares numbers, got {show(operand)}")
            return _NEVER
        return _ordered(subject, op, bound)
    if op in ("starts_with", "contains"):
        if not isinstance(operand, str):
            ctx.error(where, "condition", f"{op} takes text, got {show(operand)}")
            return _NEVER
        if op == "starts_with":
            return lambda cur, root, pos: str(subject(cur, root, pos) or "").startswith(operand)
        return lambda cur, root, pos: operand in str(subject(cur, root, pos) or "")
    # eq / ne match across JSON types the way users expect: channel 3 equals "3".
    wanted = None if operand is None else key_text(operand)
    kind = operand.__class__

    def equal(cur: Any, root: Any, pos: Any) -> bool:
        found = subject(cur, root, pos)
        if found.__class__ is kind:  # same JSON type: plain equality, the common case
            return found == operand
        return _text_or_none(found) == wanted

    if op == "eq":
        return equal
    return lambda cur, root, pos: not equal(cur, root, pos)


def _text_or_none(found: Any) -> str | None:
    if found is None:
        return None
    if isinstance(found, dict | list):
        return repr(found)
    return key_text(found)


def _presence(subject: ValueFn, op: str, expected: bool) -> Test:
    if op == "exists":
        return lambda cur, root, pos: (subject(cur, root, pos) is not None) is expected
    return lambda cur, root, pos: (subject(cur, root, pos) in (None, "", [], {})) is expected


def _ordered(subject: ValueFn, op: str, bound: Decimal) -> Test:
    def test(cur: Any, root: Any, pos: Any) -> bool:
        found = subject(cur, root, pos)
        if found is None:
            return False
        number = to_decimal(found)
        if op == "gt":
            return number > bound
        if op == "gte":
            return number >= bound
        if op == "lt":
            return number < bound
        return number <= bound

    return test
