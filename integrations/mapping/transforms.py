"""Transform steps: the ``"transform": [...]`` list after a value's source.

Each step compiles once into a one-argument function. Steps pass ``None`` through untouched
(except ``default`` and ``required``), so a missing optional source field stays missing
instead of failing every conversion after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from integrations.mapping.context import CompileContext
from integrations.mapping.problems import Fail
from integrations.mapping.values import (
    FALSE_WORDS,
    ROUNDING_MODES,
    TRUE_WORDS,
    key_text,
    literal,
    show,
    to_bool,
    to_decimal,
    to_int,
    to_text,
    type_name,
)


class LiveTable(Mapping[str, Any]):
    """A lookup table the engine reads at apply time instead of copying at compile time.

    Subclasses implement ``get(key, default)`` over some store; ``__getitem__``, ``__iter__``
    and ``__len__`` may be slow (they are only used for messages and inspection).
    """

    def get(self, key: str, default: Any = None) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def __getitem__(self, key: str) -> Any:
        missing = object()
        value = self.get(key, missing)
        if value is missing:
            raise KeyError(key)
        return value


Step = Callable[[Any], Any]
_NO_STEP: Step = lambda value: value  # noqa: E731 - placeholder returned after a document error

# The argument a bare value stands for: {"truncate": 15} means {"truncate": {"length": 15}}.
_SHORTHAND = {
    "truncate": "length",
    "round": "places",
    "to_decimal": "places",
    "lookup": "table",
    "default": "value",
    "split": "sep",
    "pad_left": "length",
    "date": "to",
}


def compile_steps(spec: Any, where: str, ctx: CompileContext) -> list[Step]:
    if not isinstance(spec, list):
        ctx.error(where, "transform", "transform must be a list of steps")
        return []
    return [_compile_step(item, f"{where}[{i}]", ctx) for i, item in enumerate(spec)]


def _compile_step(item: Any, where: str, ctx: CompileContext) -> Step:
    if isinstance(item, str):
        name, args = item, {}
    elif isinstance(item, dict) and len(item) == 1:
        ((name, args),) = item.items()
    else:
        ctx.error(where, "transform", 'a step is a name ("upper") or one {"name": args} pair')
        return _NO_STEP
    compiler = _COMPILERS.get(name)
    if compiler is None:
        known = ", ".join(sorted(_COMPILERS))
        ctx.error(where, "transform", f"unknown transform {name!r} (known: {known})")
        return _NO_STEP
    if not isinstance(args, dict):
        main = _SHORTHAND.get(name)
        if main is None:
            ctx.error(where, name, f"{name} takes an object of options, got {show(args)}")
            return _NO_STEP
        args = {main: args}
    return compiler(args, f"{where}.{name}", ctx)


def _allowed(args: dict[str, Any], keys: set[str], where: str, ctx: CompileContext) -> bool:
    extra = sorted(set(args) - keys)
    if extra:
        allowed = ", ".join(sorted(keys)) or "none"
        ctx.error(where, where.rsplit(".", 1)[-1],
                  f"unknown option(s) {extra} (allowed: {allowed})")
        return False
    return True


def _places(args: dict[str, Any], where: str, ctx: CompileContext, *, required: bool) -> Any:
    places = args.get("places")
    if places is None:
        if required:
            ctx.error(where, "round", "places is required (a whole number of decimal places)")
        return None
    if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 12:
        ctx.error(where, "round", f"places must be a whole number 0-12, got {show(places)}")
        return None
    return Decimal(1).scaleb(-places)


def _rounding(args: dict[str, Any], where: str, ctx: CompileContext) -> str:
    mode = args.get("rounding", "half_up")
    if mode not in ROUNDING_MODES:
        known = ", ".join(ROUNDING_MODES)
        ctx.error(where, "rounding", f"unknown rounding {show(mode)} (known: {known})")
        return ROUNDING_MODES["half_up"]
    return ROUNDING_MODES[mode]


def _to_string(args: dict[str, Any], where: str, ctx: CompileContext) -> Step:
    _allowed(args, set(), where, ctx)
    return lambda v: None if v is None else to_text(v)


def _to_int(args: dict[str, Any], where: str, ctx: CompileContext) -> Step:
    _allowed(args, set(), where, ctx)
    return lambda v: None if v is None else to_int(v)


def _to_decimal(args: dict[str, Any], where: str, ctx: CompileContext, *, required: bool = False
                ) -> Step:
    _allowed(args, {"places", "rounding"}, where, ctx)
    quantum = _places(args, where, ctx, required=required)
    mode = _rounding(args, where, ctx)
    if quantum is None:
        return lambda v: None if v is None else to_decimal(v)

    def step(v: Any) -> Any:
        if v is None:
            return None
        try:
            return to_decimal(v).quantize(quantum, mode)
        except InvalidOperation:
            raise Fail("round", f"{show(v)} has too many digits to round") from None

    step.inline = ("quantize", quantum, mode)  # type: ignore[attr-defined]
    return step


def _round(args: dict[str, Any], where: str, ctx: CompileContext) -> Step:
    return _to_decimal(args, where, ctx, required=True)


def _to_bool(args: dict[str, Any], where: str, ctx: CompileContext) -> Step:
    _allowed(args, {"true", "false"}, where, ctx)
    words = []
    for key, fallback in (("true", TRUE_WORDS), ("false", FALSE_WORDS)):
        given = args.get(key)
        if given is None:
            words.append(fallback)
        elif isinstance(given, list) and all(isinstance(w, str) for w in given):
            words.append(frozenset(w.strip().lower() for w in given))
        else:
            ctx.error(where, "to_bool", f"{key} must be a list of words")
            words.append(fallback)
    yes, no = words
    return lambda v: None if v is None else to_bool(v, yes, no)


def _text_step(name: str, fn: Callable[[str], str]) -> Callable[..., Step]:
    def compiler(args: dict[str, Any], where: str, ctx: CompileContext) -> Step:
        _allowed(args, set(), where, ctx)

        def step(v: Any) -> Any:
            if v is None:
                return None
            if v.__class__ is not str:
                raise Fail(name, f"expected text, got {type_name(v)} {show(v)}")
            return fn(v)

        step.inline = (fn.__name__, None, None)  # type: ignore[attr-defined]
        return step

    return compiler


def _truncate(args: dict[str, Any], where: str, ctx: CompileContext) -> Step:
    _allowed(args, {"length"}, where, ctx)
    length = args.get("length")
    if not isinstance(length, int) or isinstance(length, bool) or length < 0:
        ctx.error(where, "truncate", f"length must be a whole number >= 0, got {show(length)}")
        return _NO_STEP
    def step(v: Any) -> Any:
        return None if v is None else to_text(v)[:length]

    step.inline = ("truncate", length, None)  # type: ignore[attr-defined]
    return step


def _pad_left(args: dict[str, Any], where: str, ctx: CompileContext) -> Step:
    _allowed(args, {"length", "char"}, where, ctx)
    length, char = args.get("length"), args.get("char", "0")
    if not isinstance(length, int) or isinstance(length, bool) or length < 0:
        ctx.error(where, "pad_left", f"length must be a whole number >= 0, got {show(length)}")
        return _NO_STEP
    if not isinstance(char, str) or len(char) != 1:
        ctx.error(where, "pad_left", f"char must be one character, got {show(char)}")
        return _NO_STEP
    return lambda v: None if v is None else to_text(v).rjust(length, char)


def _split(args: dict[str, Any], where: str, ctx: CompileContext) -> Step:
    _allowed(args, {"sep", "index", "max"}, where, ctx)
    sep, index, maxsplit = args.get("sep", " "), args.get("index", 0), args.get("max", -1)
    if not isinstance(sep, str) or not sep:
        ctx.error(where, "split", f"sep must be non-empty text, got {show(sep)}")
        return _NO_STEP
    if not isinstance(index, int) or isinstance(index, bool):
        ctx.error(where, "split", f"index must be a whole number, got {show(index)}")
        return _NO_STEP
    if not isinstance(maxsplit, int) or isinstance(maxsplit, bool):
        ctx.error(where, "split", f"max must be a whole number, got {show(maxsplit)}")
        return _NO_STEP

    def step(v: Any) -> Any:
        if v is None:
            return None
        parts = to_text(v).split(sep, maxsplit)
        try:
            return parts[index].strip()
        except IndexError:
            return None  # "Cher" has no last name: missing, which a default can fill.

    return step


def _replace(args: dict[str, Any], where: str, ctx: CompileContext) -> Step:
    _allowed(args, {"old", "new"}, where, ctx)
    old, new = args.get("old"), args.get("new", "")
    if not isinstance(old, str) or not old or not isinstance(new, str):
        ctx.error(where, "replace", "old must be non-empty text and new must be text")
        return _NO_STEP
    return lambda v: None if v is None else to_text(v).replace(old, new)


def _default(args: dict[str, Any], where: str, ctx: CompileContext) -> Step:
    _allowed(args, {"value"}, where, ctx)
    if "value" not in args:
        ctx.error(where, "default", "value is required")
    value = literal(args.get("value"))
    return lambda v: value if v is None or v == "" else v


def _required(args: dict[str, Any], where: str, ctx: CompileContext) -> Step:
    _allowed(args, set(), where, ctx)

    def step(v: Any) -> Any:
        if v is None or v == "":
            raise Fail("required", "a value is required but the source has none")
        return v

    return step


def _abs(args: dict[str, Any], where: str, ctx: CompileContext) -> Step:
    _allowed(args, set(), where, ctx)
    return lambda v: None if v is None else abs(to_decimal(v))


def _negate(args: dict[str, Any], where: str, ctx: CompileContext) -> Step:
    _allowed(args, set(), where, ctx)
    return lambda v: None if v is None else -to_decimal(v)


def _lookup(args: dict[str, Any], where: str, ctx: CompileContext) -> Step:
    _allowed(args, {"table", "map", "default", "on_miss"}, where, ctx)
    table: dict[str, Any] | None = None
    name = args.get("table")
    if ("table" in args) == ("map" in args):
        ctx.error(where, "lookup", 'give exactly one of "table" (a named table) or "map" (inline)')
        return _NO_STEP
    if name is not None:
        supplied = ctx.lookups.get(name) if isinstance(name, str) else None
        if supplied is None:
            known = ", ".join(sorted(ctx.lookups)) or "none"
            ctx.error(where, "lookup",
                      f"lookup table {show(name)} was not supplied (have: {known})")
            return _NO_STEP
        if isinstance(supplied, LiveTable):
            # Read per record (link tables backed by a store that grows while the compiled
            # mapping is cached); keys and values are text.
            table = supplied  # type: ignore[assignment]
        else:
            table = {str(k): literal(v) for k, v in supplied.items()}
        label = f"lookup table {name!r}"
    else:
        inline = args["map"]
        if not isinstance(inline, dict):
            ctx.error(where, "lookup", "map must be an object of source value -> target value")
            return _NO_STEP
        table = {str(k): literal(v) for k, v in inline.items()}
        label = "the inline lookup map"
    on_miss = args.get("on_miss", "default" if "default" in args else "fail")
    if on_miss not in ("default", "fail", "keep", "null"):
        ctx.error(where, "lookup",
                  f"on_miss must be default, fail, keep or null, got {show(on_miss)}")
        return _NO_STEP
    if on_miss == "default" and "default" not in args:
        ctx.error(where, "lookup", 'on_miss "default" needs a "default" value')
        return _NO_STEP
    default = literal(args.get("default"))
    get = table.get
    missing = object()

    def step(v: Any) -> Any:
        cls = v.__class__
        if cls is str:
            found = get(v, missing)
        elif cls is int:  # ids (channelId, warehouseId) are the usual keys
            found = get(str(v), missing)
        elif v is None:
            return None
        else:
            found = get(key_text(v), missing)
        if found is not missing:
            return found
        if on_miss == "default":
            return default
        if on_miss == "keep":
            return v
        if on_miss == "null":
            return None
        raise Fail("lookup", f"{show(v)} is not in {label}")

    return step


def _zone(name: Any, where: str, ctx: CompileContext) -> Any:
    if name is None:
        return None
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        ctx.error(where, "date", f"unknown time zone {show(name)} (use an IANA name)")
        return UTC


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _parser(fmt: Any, assume: Any) -> Callable[[Any], datetime]:
    def finish(moment: datetime) -> datetime:
        return moment.replace(tzinfo=assume) if moment.tzinfo is None else moment

    if fmt == "iso":
        def parse_iso(v: Any) -> datetime:
            if v.__class__ is not str:
                raise Fail("date", f"expected an ISO 8601 date, got {type_name(v)} {show(v)}")
            try:
                return finish(datetime.fromisoformat(v))
            except ValueError:
                raise Fail("date", f"{show(v)} is not an ISO 8601 date") from None

        return parse_iso
    if fmt in ("unix", "unix_ms"):
        scale = 1 if fmt == "unix" else 1000

        def parse_epoch(v: Any) -> datetime:
            try:
                return _EPOCH + timedelta(seconds=float(to_decimal(v)) / scale)
            except (OverflowError, Fail):
                raise Fail("date", f"{show(v)} is not a {fmt} timestamp") from None

        return parse_epoch

    def parse_format(v: Any) -> datetime:
        try:
            return finish(datetime.strptime(to_text(v), fmt))
        except (ValueError, Fail):
            raise Fail("date", f"{show(v)} does not match the date format {fmt!r}") from None

    return parse_format


def _formatter(fmt: Any) -> Callable[[datetime], Any]:
    if fmt == "iso":
        return lambda moment: moment.isoformat()
    if fmt == "date":
        return lambda moment: moment.date().isoformat()
    if fmt == "unix":
        return lambda moment: int(moment.timestamp())
    if fmt == "unix_ms":
        return lambda moment: int(moment.timestamp() * 1000)
    if fmt == "%Y%m%d":
        # M3's favourite; strftime costs a few hundred ns more per call.
        return lambda moment: f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"
    return lambda moment: moment.strftime(fmt)


def _date(args: dict[str, Any], where: str, ctx: CompileContext) -> Step:
    _allowed(args, {"from", "to", "tz", "assume_tz"}, where, ctx)
    source_fmt, target_fmt = args.get("from", "iso"), args.get("to", "iso")
    for key, fmt in (("from", source_fmt), ("to", target_fmt)):
        if not isinstance(fmt, str) or not fmt:
            ctx.error(where, "date", f"{key} must be iso, date, unix, unix_ms or a strftime format")
            return _NO_STEP
    if source_fmt == "date":
        source_fmt = "iso"
    assume = _zone(args.get("assume_tz", "UTC"), where, ctx)
    zone = _zone(args.get("tz"), where, ctx)
    parse, render = _parser(source_fmt, assume), _formatter(target_fmt)
    if source_fmt == "iso" and zone is not None:
        return _iso_in_zone(assume, zone, render, parse)
    if zone is None:
        return lambda v: None if v is None or v == "" else render(parse(v))
    return lambda v: None if v is None or v == "" else render(parse(v).astimezone(zone))


def _iso_in_zone(assume: Any, zone: Any, render: Callable[[datetime], Any],
                 parse: Callable[[Any], datetime]) -> Step:
    # The usual case (API timestamp -> local business date) in one call instead of four.
    from_iso = datetime.fromisoformat

    def step(v: Any) -> Any:
        if v.__class__ is str and v:
            try:
                moment = from_iso(v)
            except ValueError:
                return render(parse(v).astimezone(zone))  # parse raises the proper problem
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=assume)
            return render(moment.astimezone(zone))
        if v is None or v == "":
            return None
        return render(parse(v).astimezone(zone))

    return step


_COMPILERS: dict[str, Callable[[dict[str, Any], str, CompileContext], Step]] = {
    "to_string": _to_string,
    "to_int": _to_int,
    "to_decimal": _to_decimal,
    "round": _round,
    "to_bool": _to_bool,
    "upper": _text_step("upper", str.upper),
    "lower": _text_step("lower", str.lower),
    "trim": _text_step("trim", str.strip),
    "truncate": _truncate,
    "pad_left": _pad_left,
    "split": _split,
    "replace": _replace,
    "default": _default,
    "required": _required,
    "abs": _abs,
    "negate": _negate,
    "lookup": _lookup,
    "date": _date,
}

TRANSFORM_NAMES = tuple(sorted(_COMPILERS))
