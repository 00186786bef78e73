"""Turns the value specs of a mapping document into closures.

Nothing a user typed is ever executed: paths become dictionary reads or compiled JMESPath
expressions, operators and transform names are looked up in fixed tables, and every other
string or number in the document is only ever data held by a closure.

A compiled value is ``fn(cur, root, pos) -> value`` (see :mod:`.paths`). Bad values raise
:class:`~.problems.Fail` (one problem) or :class:`~.problems.Nested` (problems from inside an
object or list); the object builder that owns the field turns them into :class:`Problem` s with
full target and source paths. Both exceptions are free until raised, so the happy path pays
only for the work it does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from integrations.mapping.codegen import Plan, fast_builder
from integrations.mapping.conditions import compile_condition
from integrations.mapping.context import CompileContext
from integrations.mapping.paths import PathError, ValueFn, compile_getter, is_simple
from integrations.mapping.problems import Fail, Nested, Problem
from integrations.mapping.transforms import compile_steps
from integrations.mapping.values import key_text, literal, show, to_decimal, to_text, type_name

Builder = Callable[[Any, Any, Any], dict[str, Any]]

# Which keys may sit next to each source kind.
SOURCE_OPTIONS: dict[str, frozenset[str]] = {
    "from": frozenset(),
    "const": frozenset(),
    "concat": frozenset({"sep", "skip_empty"}),
    "coalesce": frozenset(),
    "calc": frozenset({"args"}),
    "aggregate": frozenset({"over", "of", "where", "sep"}),
    "each": frozenset({"fields", "where"}),
    "object": frozenset(),
    "list": frozenset(),
    "when": frozenset({"else"}),
    "convert_currency": frozenset({"from_currency", "to_currency"}),
}
MODIFIERS = frozenset({"transform", "default", "required", "comment"})

CALC_ARITY: dict[str, tuple[int, int | None]] = {
    "add": (2, None),
    "sub": (2, None),
    "mul": (2, None),
    "div": (2, 2),
    "pct": (2, 2),
    "min": (1, None),
    "max": (1, None),
    "neg": (1, 1),
    "abs": (1, 1),
}
AGGREGATES = ("sum", "count", "min", "max", "avg", "first", "last", "join", "list")

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_NONE: ValueFn = lambda cur, root, pos: None  # noqa: E731 - placeholder after a document error


def join_path(parent: str, child: str) -> str:
    if not child:
        return parent
    if not parent:
        return child
    return parent + child if child[0] == "[" else f"{parent}.{child}"


def compile_value(spec: Any, where: str, ctx: CompileContext) -> tuple[ValueFn, str | None]:
    """Compile one value spec; returns the function and a description of its source paths."""
    fn, source, steps, _ = _compile_parts(spec, where, ctx)
    return _chain(fn, steps), source


def compile_field(name: str, spec: Any, where: str, ctx: CompileContext
                  ) -> tuple[ValueFn, str | None, Plan]:
    """Like :func:`compile_value`, plus a :class:`Plan` for the generated fast builder."""
    fn, source, steps, kind = _compile_parts(spec, where, ctx)
    chained = _chain(fn, steps)
    path = spec if isinstance(spec, str) else spec.get("from") if kind == "from" else None
    if isinstance(path, str):
        scope, inner = ("cur", path)
        if path.startswith("$root."):
            scope, inner = "root", path[len("$root."):]
        if is_simple(inner):
            plan = Plan("path", name, keys=tuple(inner.split(".")), scope=scope,
                        steps=tuple(steps), require=_require)
            return chained, source, plan
        if path in ("$index", "$position") and not steps:
            return chained, source, Plan("position", name, value=int(path == "$position"))
    if kind == "const" and not steps:
        return chained, source, Plan("const", name, value=fn(None, None, None))
    return chained, source, Plan("call", name, fn=fn, steps=tuple(steps), require=_require)


def _compile_parts(spec: Any, where: str, ctx: CompileContext
                   ) -> tuple[ValueFn, str | None, list[Callable[[Any], Any]], str]:
    if isinstance(spec, str):
        fn, source = _from(spec, where, ctx)
        return fn, source, [], "from"
    if spec is None or isinstance(spec, bool | int | float):
        value = literal(spec)
        return (lambda cur, root, pos: value), None, [], "const"
    if not isinstance(spec, dict):
        ctx.error(where, "value",
                  f"expected a path, a constant or an object, got {type_name(spec)}")
        return _NONE, None, [], "error"
    kinds = [k for k in spec if k in SOURCE_OPTIONS]
    if len(kinds) != 1:
        known = ", ".join(SOURCE_OPTIONS)
        found = f"{kinds}" if kinds else "none"
        ctx.error(where, "value", f"give exactly one value source ({known}); found {found}")
        return _NONE, None, [], "error"
    kind = kinds[0]
    extra = sorted(set(spec) - {kind} - SOURCE_OPTIONS[kind] - MODIFIERS)
    if extra:
        allowed = sorted(SOURCE_OPTIONS[kind] | MODIFIERS)
        ctx.error(where, kind,
                  f"unknown key(s) {extra} for {kind!r} (allowed: {allowed})")
    fn, source = _SOURCES[kind](spec, where, ctx)
    steps = []
    if "transform" in spec:
        steps = compile_steps(spec["transform"], f"{where}.transform", ctx)
    if "default" in spec:
        default = literal(spec["default"])
        steps.append(lambda v: default if v is None or v == "" else v)
    if spec.get("required"):
        steps.append(_require)
    return fn, source, steps, kind


def _require(value: Any) -> Any:
    if value is None or value == "":
        raise Fail("required", "a value is required but the source has none")
    return value


def _chain(fn: ValueFn, steps: list[Callable[[Any], Any]]) -> ValueFn:
    # Unrolled for the common short chains: each saved loop is ~50 ns per field per record.
    if not steps:
        return fn
    if len(steps) == 1:
        (s0,) = steps
        return lambda cur, root, pos: s0(fn(cur, root, pos))
    if len(steps) == 2:
        s0, s1 = steps
        return lambda cur, root, pos: s1(s0(fn(cur, root, pos)))
    if len(steps) == 3:
        s0, s1, s2 = steps
        return lambda cur, root, pos: s2(s1(s0(fn(cur, root, pos))))
    chain = tuple(steps)

    def run(cur: Any, root: Any, pos: Any) -> Any:
        value = fn(cur, root, pos)
        for step in chain:
            value = step(value)
        return value

    return run


def _from(path: Any, where: str, ctx: CompileContext) -> tuple[ValueFn, str | None]:
    if not isinstance(path, str) or not path:
        ctx.error(where, "from", f"a source path must be non-empty text, got {show(path)}")
        return _NONE, None
    try:
        return compile_getter(path), path
    except PathError as exc:
        ctx.error(where, "from", str(exc))
        return _NONE, path


def _from_spec(spec: dict[str, Any], where: str, ctx: CompileContext) -> tuple[ValueFn, str | None]:
    return _from(spec["from"], f"{where}.from", ctx)


def _const(spec: dict[str, Any], where: str, ctx: CompileContext) -> tuple[ValueFn, str | None]:
    value = literal(spec["const"])
    return (lambda cur, root, pos: value), None


def _values(specs: Any, where: str, ctx: CompileContext, rule: str, least: int
            ) -> tuple[tuple[ValueFn, ...], str | None]:
    if not isinstance(specs, list) or len(specs) < least:
        ctx.error(where, rule, f"{rule} takes a list of at least {least} value(s)")
        return (), None
    compiled = [compile_value(s, f"{where}[{i}]", ctx) for i, s in enumerate(specs)]
    sources = [src for _, src in compiled if src]
    return tuple(fn for fn, _ in compiled), (", ".join(sources) or None)


def _concat(spec: dict[str, Any], where: str, ctx: CompileContext) -> tuple[ValueFn, str | None]:
    parts, source = _values(spec["concat"], f"{where}.concat", ctx, "concat", 1)
    sep = spec.get("sep", "")
    skip_empty = spec.get("skip_empty", True)
    if not isinstance(sep, str):
        ctx.error(f"{where}.sep", "concat", f"sep must be text, got {show(sep)}")
        sep = ""
    if not isinstance(skip_empty, bool):
        ctx.error(f"{where}.skip_empty", "concat", "skip_empty must be true or false")

    def concat(cur: Any, root: Any, pos: Any) -> Any:
        texts = []
        for part in parts:
            value = part(cur, root, pos)
            if value is None or value == "":
                if skip_empty:
                    continue
                value = ""
            cls = value.__class__
            texts.append(value if cls is str else str(value) if cls is int else to_text(value))
        return sep.join(texts) if texts else None

    return concat, source


def _coalesce(spec: dict[str, Any], where: str, ctx: CompileContext) -> tuple[ValueFn, str | None]:
    parts, source = _values(spec["coalesce"], f"{where}.coalesce", ctx, "coalesce", 1)

    def coalesce(cur: Any, root: Any, pos: Any) -> Any:
        for part in parts:
            value = part(cur, root, pos)
            if value is not None and value != "":
                return value
        return None

    return coalesce, source


def _calc(spec: dict[str, Any], where: str, ctx: CompileContext) -> tuple[ValueFn, str | None]:
    op = spec["calc"]
    if op not in CALC_ARITY:
        ctx.error(f"{where}.calc", "calc",
                  f"unknown operator {show(op)} (known: {list(CALC_ARITY)})")
        return _NONE, None
    least, most = CALC_ARITY[op]
    args, source = _values(spec.get("args"), f"{where}.args", ctx, f"calc {op}", least)
    if most is not None and len(args) > most:
        ctx.error(f"{where}.args", "calc", f"{op} takes at most {most} value(s), got {len(args)}")
    if not args:
        return _NONE, source
    return _arithmetic(op, args), source


def _arithmetic(op: str, args: tuple[ValueFn, ...]) -> ValueFn:
    first = args[0]

    def numbers(cur: Any, root: Any, pos: Any) -> list[Decimal] | None:
        found = []
        for arg in args:
            value = arg(cur, root, pos)
            if value is None:
                return None  # null in, null out: give operands a default to treat them as 0
            found.append(value if value.__class__ is Decimal else _number(value))
        return found

    if op == "add" and len(args) == 2:
        second = args[1]

        def add2(cur: Any, root: Any, pos: Any) -> Any:
            a, b = first(cur, root, pos), second(cur, root, pos)
            if a is None or b is None:
                return None
            return _number(a) + _number(b)

        return add2
    if op == "mul" and len(args) == 2:
        second = args[1]

        def mul2(cur: Any, root: Any, pos: Any) -> Any:
            a, b = first(cur, root, pos), second(cur, root, pos)
            if a is None or b is None:
                return None
            return _number(a) * _number(b)

        return mul2

    def calc(cur: Any, root: Any, pos: Any) -> Any:
        values = numbers(cur, root, pos)
        if values is None:
            return None
        if op == "add":
            return sum(values, _ZERO)
        if op == "mul":
            product = values[0]
            for v in values[1:]:
                product *= v
            return product
        if op == "sub":
            result = values[0]
            for v in values[1:]:
                result -= v
            return result
        if op in ("div", "pct"):
            a, b = values
            if op == "pct":
                return a * b / _HUNDRED
            try:
                return a / b
            except (DivisionByZero, InvalidOperation):
                raise Fail("calc", f"cannot divide {a} by zero") from None
        if op == "min":
            return min(values)
        if op == "max":
            return max(values)
        if op == "neg":
            return -values[0]
        return abs(values[0])

    return calc


def _number(value: Any) -> Decimal:
    cls = value.__class__
    if cls is Decimal:
        return value
    if cls is str:  # money arrives as text from most APIs: skip the generic path
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise Fail("calc", f"{show(value)} is not a number") from None
        if number.is_finite():
            return number
    try:
        return to_decimal(value)
    except Fail as fail:
        raise Fail("calc", fail.message) from None


def _collection(over: ValueFn, where_test: Any) -> Callable[[Any, Any, Any], Iterable[tuple]]:
    """Items of a list or of an object's values (Brightpearl keys order rows by row id), as
    ``(position, key, item)``; objects keep their JSON key order."""

    def items(cur: Any, root: Any, pos: Any) -> Iterable[tuple]:
        found = over(cur, root, pos)
        if found is None:
            return ()
        if found.__class__ is dict:
            pairs: Iterable[tuple[Any, Any]] = found.items()
        elif found.__class__ is list:
            pairs = enumerate(found)
        else:
            raise Fail("collection", f"expected a list or an object, got {type_name(found)}")
        out = []
        for key, item in pairs:
            spot = (len(out), key)
            if where_test is None or where_test(item, root, spot):
                out.append((spot, item))
        return out

    return items


def _over(spec: dict[str, Any], key: str, where: str, ctx: CompileContext
          ) -> tuple[ValueFn, str | None, Any]:
    over, source = compile_value(spec.get(key), f"{where}.{key}", ctx)
    test = None
    if "where" in spec:
        test = compile_condition(spec["where"], f"{where}.where", ctx, compile_value)
    return over, source, test


def _aggregate(spec: dict[str, Any], where: str, ctx: CompileContext
               ) -> tuple[ValueFn, str | None]:
    op = spec["aggregate"]
    if op not in AGGREGATES:
        ctx.error(f"{where}.aggregate", "aggregate", f"unknown aggregate {show(op)} (known: "
                  f"{', '.join(AGGREGATES)})")
        return _NONE, None
    if "over" not in spec:
        ctx.error(where, "aggregate", '"over" (the list or object to aggregate) is required')
        return _NONE, None
    over, source, test = _over(spec, "over", where, ctx)
    if "of" in spec:
        of, _ = compile_value(spec["of"], f"{where}.of", ctx)
    elif op in ("count", "first", "last", "list"):
        of = lambda cur, root, pos: cur  # noqa: E731 - the item itself
    else:
        ctx.error(where, "aggregate", f'{op} needs "of" (the value to take from each item)')
        return _NONE, source
    sep = spec.get("sep", ",")
    if not isinstance(sep, str):
        ctx.error(f"{where}.sep", "aggregate", "sep must be text")
    items = _collection(over, test)
    if op == "sum" and test is None:
        plain = spec.get("of")
        if isinstance(plain, str) and is_simple(plain):
            return _plain_sum(over, of), source
        return _fast_sum(over, of), source
    if op == "count" and test is None and "of" not in spec:
        def count(cur: Any, root: Any, pos: Any) -> Any:
            found = over(cur, root, pos)
            if found is None:
                return 0
            if found.__class__ in (dict, list):
                return len(found)
            raise Fail("aggregate", f"expected a list or an object, got {type_name(found)}")

        return count, source

    def aggregate(cur: Any, root: Any, pos: Any) -> Any:
        values = [v for spot, item in items(cur, root, pos)
                  if (v := of(item, root, spot)) is not None]
        if op == "count":
            return len(values)
        if op == "list":
            return values
        if op == "join":
            return sep.join(to_text(v) for v in values)
        if not values:
            return _ZERO if op == "sum" else None
        if op == "first":
            return values[0]
        if op == "last":
            return values[-1]
        numbers = [_number(v) for v in values]
        if op == "sum":
            return sum(numbers, _ZERO)
        if op == "min":
            return min(numbers)
        if op == "max":
            return max(numbers)
        return sum(numbers, _ZERO) / len(numbers)

    return aggregate, source


def _fast_sum(over: ValueFn, of: ValueFn) -> ValueFn:
    # Totals over order rows run on every order; skip the generic path's list building.
    def total(cur: Any, root: Any, pos: Any) -> Any:
        found = over(cur, root, pos)
        if found is None:
            return _ZERO
        if found.__class__ is dict:
            pairs: Iterable[tuple[Any, Any]] = found.items()
        elif found.__class__ is list:
            pairs = enumerate(found)
        else:
            raise Fail("aggregate", f"expected a list or an object, got {type_name(found)}")
        result = _ZERO
        for index, (key, item) in enumerate(pairs):
            value = of(item, root, (index, key))
            if value is not None:
                result += _number(value)
        return result

    return total


def _plain_sum(over: ValueFn, read: ValueFn) -> ValueFn:
    """Sum of a plain path over every item: the order-total case, kept tight because it runs
    on every order. Anything unusual (a bad number, a missing field, NaN) falls back to the
    general sum, which reports it properly."""
    general = _fast_sum(over, read)

    def total(cur: Any, root: Any, pos: Any) -> Any:
        found = over(cur, root, pos)
        if found.__class__ is dict:
            items: Iterable[Any] = found.values()
        elif found.__class__ is list:
            items = found
        else:
            return general(cur, root, pos)
        result = _ZERO
        try:
            for item in items:
                value = read(item, root, None)
                if value is not None:
                    result += Decimal(value) if value.__class__ is str else _number(value)
        except (InvalidOperation, Fail, TypeError):
            return general(cur, root, pos)
        return result if result.is_finite() else general(cur, root, pos)

    return total


def _each(spec: dict[str, Any], where: str, ctx: CompileContext) -> tuple[ValueFn, str | None]:
    fields = spec.get("fields")
    if not isinstance(fields, dict) or not fields:
        ctx.error(where, "each",
                  '"fields" (the sub-mapping for one item) must be a non-empty object')
        return _NONE, None
    over, source = compile_value(spec["each"], f"{where}.each", ctx)
    test = None
    if "where" in spec:
        test = compile_condition(spec["where"], f"{where}.where", ctx, compile_value)
    build = compile_object(fields, f"{where}.fields", ctx)
    items = _collection(over, test)
    base = source or "?"

    def each(cur: Any, root: Any, pos: Any) -> Any:
        found = over(cur, root, pos)
        if test is None and found.__class__ is dict:
            try:  # the common case: every line maps cleanly
                return [build(item, root, (index, key))
                        for index, (key, item) in enumerate(found.items())]
            except Nested:
                pass  # go round again below to give each problem its line number
        out = []
        problems = None
        for spot, item in items(cur, root, pos):
            try:
                out.append(build(item, root, spot))
            except Nested as nested:
                problems = problems or []
                key = spot[1]
                item_path = f"{base}.{key}" if isinstance(key, str) else f"{base}[{key}]"
                for p in nested.problems:
                    problems.append(Problem(
                        target_path=join_path(f"[{spot[0]}]", p.target_path),
                        source_path=_item_source(item_path, p.source_path),
                        kind=p.kind,
                        message=p.message,
                    ))
        if problems:
            raise Nested(problems)
        return out

    return each, source


def _item_source(item_path: str, inner: str | None) -> str | None:
    if inner is None:
        return item_path
    if inner.startswith("$root."):
        return inner[len("$root."):]
    if inner.startswith("$"):
        return item_path
    return f"{item_path}.{inner}"


def _object(spec: dict[str, Any], where: str, ctx: CompileContext) -> tuple[ValueFn, str | None]:
    fields = spec["object"]
    if not isinstance(fields, dict) or not fields:
        ctx.error(f"{where}.object", "object", "object takes a non-empty object of target fields")
        return _NONE, None
    return compile_object(fields, f"{where}.object", ctx), None


def _list(spec: dict[str, Any], where: str, ctx: CompileContext) -> tuple[ValueFn, str | None]:
    parts, _ = _values(spec["list"], f"{where}.list", ctx, "list", 1)

    def build(cur: Any, root: Any, pos: Any) -> Any:
        out, problems = [], None
        for index, part in enumerate(parts):
            try:
                value = part(cur, root, pos)
            except Fail as fail:
                problems = problems or []
                problems.append(Problem(f"[{index}]", fail.source_path, fail.kind, fail.message))
                continue
            except Nested as nested:
                problems = problems or []
                problems.extend(
                    Problem(join_path(f"[{index}]", p.target_path), p.source_path, p.kind,
                            p.message)
                    for p in nested.problems
                )
                continue
            if value is not None:
                out.append(value)
        if problems:
            raise Nested(problems)
        return out

    return build, None


def _when(spec: dict[str, Any], where: str, ctx: CompileContext) -> tuple[ValueFn, str | None]:
    branches = spec["when"]
    if not isinstance(branches, list) or not branches:
        ctx.error(f"{where}.when", "when", 'when takes a list of {"if": ..., "then": ...}')
        return _NONE, None
    compiled = []
    for i, branch in enumerate(branches):
        spot = f"{where}.when[{i}]"
        if not isinstance(branch, dict) or set(branch) != {"if", "then"}:
            ctx.error(spot, "when", 'each branch is exactly {"if": condition, "then": value}')
            continue
        test = compile_condition(branch["if"], f"{spot}.if", ctx, compile_value)
        value, _ = compile_value(branch["then"], f"{spot}.then", ctx)
        compiled.append((test, value))
    otherwise = compile_value(spec["else"], f"{where}.else", ctx)[0] if "else" in spec else _NONE
    pairs = tuple(compiled)

    def choose(cur: Any, root: Any, pos: Any) -> Any:
        for test, value in pairs:
            if test(cur, root, pos):
                return value(cur, root, pos)
        return otherwise(cur, root, pos)

    return choose, None


def _convert_currency(spec: dict[str, Any], where: str, ctx: CompileContext
                      ) -> tuple[ValueFn, str | None]:
    amount, source = compile_value(spec["convert_currency"], f"{where}.convert_currency", ctx)
    if "from_currency" not in spec or "to_currency" not in spec:
        ctx.error(where, "convert_currency", "from_currency and to_currency are both required")
        return _NONE, source
    source_code, _ = compile_value(spec["from_currency"], f"{where}.from_currency", ctx)
    target_code, _ = compile_value(spec["to_currency"], f"{where}.to_currency", ctx)
    rates = ctx.rates

    def convert(cur: Any, root: Any, pos: Any) -> Any:
        value = amount(cur, root, pos)
        if value is None:
            return None
        number = _number(value)
        have, want = source_code(cur, root, pos), target_code(cur, root, pos)
        if have is None or want is None:
            raise Fail("convert_currency", "the currency code is missing")
        have, want = key_text(have).upper(), key_text(want).upper()
        if have == want:
            return number
        rate = rates.get(have, {}).get(want)
        if rate is not None:
            return number * rate
        inverse = rates.get(want, {}).get(have)
        if inverse:
            return number / inverse
        raise Fail("convert_currency", f"no exchange rate from {have} to {want}")

    return convert, source


_SOURCES: dict[str, Callable[[dict[str, Any], str, CompileContext], tuple[ValueFn, str | None]]]
_SOURCES = {
    "from": _from_spec,
    "const": _const,
    "concat": _concat,
    "coalesce": _coalesce,
    "calc": _calc,
    "aggregate": _aggregate,
    "each": _each,
    "object": _object,
    "list": _list,
    "when": _when,
    "convert_currency": _convert_currency,
}


def compile_object(fields: dict[str, Any], where: str, ctx: CompileContext) -> Builder:
    """Compile ``{target field: value spec}`` into a builder of one target object."""
    entries = []
    plans: list[Plan] = []
    for name, spec in fields.items():
        if not isinstance(name, str) or not name:
            ctx.error(where, "field",
                      f"target field names must be non-empty text, got {show(name)}")
            continue
        fn, source, plan = compile_field(name, spec, f"{where}.{name}", ctx)
        entries.append((name, fn, source))
        plans.append(plan)
    table = tuple(entries)
    keep_nulls = ctx.keep_nulls

    def build(cur: Any, root: Any, pos: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        problems = None
        for name, fn, source in table:
            try:
                value = fn(cur, root, pos)
            except Fail as fail:
                problems = problems or []
                problems.append(Problem(name, fail.source_path or source, fail.kind, fail.message))
                continue
            except Nested as nested:
                problems = problems or []
                problems.extend(
                    Problem(join_path(name, p.target_path), p.source_path, p.kind, p.message)
                    for p in nested.problems
                )
                continue
            except Exception as exc:  # a bad record must never surface as a traceback
                problems = problems or []
                problems.append(Problem(name, source, "error", f"{type(exc).__name__}: {exc}"))
                continue
            if value is not None or keep_nulls:
                out[name] = value
        if problems:
            raise Nested(problems)
        return out

    return fast_builder(plans, build, keep_nulls)
