"""A straight-line fast path for object builders, generated from a fixed template.

Why: a loop over ``(name, fn)`` pairs costs a tuple unpack, an iteration and two extra calls
per field, roughly doubling the time of a mapping over hand-written code. Unrolling it into
one function per target object removes that overhead.

Why it is safe: the generated source is built only from this module's template lines, integer
counters and identifiers it invents (``k3``, ``s1``, ``f4``...). Every value that came from a
document (field names, path keys, constants) and every compiled step is handed to the code as a
closure variable, never written into it. Before compiling, the source is checked to contain
only letters, digits, spaces and ``_[](){}=:,.+`` (no quote, backslash or ``#``), so no
string literal, escape or comment (let alone user text) can be in it, and every identifier
must be one of ours.

The fast path assumes a complete record: a missing key, a bad value or any exception makes it
start again on the slow path (the plain loop in :func:`compiler.compile_object`), which
collects every problem and treats missing fields as null. Builders have no side effects, so
running again is harmless.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Builder = Callable[[Any, Any, Any], dict[str, Any]]

_SAFE_SOURCE = re.compile(r"[A-Za-z0-9_\s\[\]\(\)\{\}=:,.+]*")
_KEYWORDS = frozenset({"def", "return", "try", "except", "if", "else", "is", "not", "or",
                       "raise", "None", "out", "cur", "root", "pos", "value", "build", "factory",
                       "Exception", "__class__", "upper", "lower", "strip", "quantize",
                       "is_finite"})
_OURS = re.compile(r"[kscfntd]\d+|slow")


@dataclass(frozen=True)
class Plan:
    """How one field is computed: ``path`` (dict reads then steps), ``const``, ``position``
    (``$index`` / ``$position`` inside ``each``) or ``call`` (any other compiled value)."""

    kind: str
    name: str
    keys: tuple[str, ...] = ()
    scope: str = "cur"
    steps: tuple[Callable[[Any], Any], ...] = ()
    value: Any = None
    fn: Callable[[Any, Any, Any], Any] | None = None
    require: Callable[[Any], Any] | None = None


@dataclass
class _Source:
    lines: list[str] = field(default_factory=list)
    names: dict[str, Any] = field(default_factory=dict)
    counter: int = 0

    def bind(self, prefix: str, value: Any) -> str:
        name = f"{prefix}{self.counter}"
        self.counter += 1
        self.names[name] = value
        return name


def fast_builder(plans: list[Plan], slow: Builder, keep_nulls: bool) -> Builder:
    src = _Source()
    body = ["        out = {}"]
    for plan in plans:
        key = src.bind("n", plan.name)
        if plan.kind == "const":
            if plan.value is None and not keep_nulls:
                continue
            body.append(f"        out[{key}] = {src.bind('c', plan.value)}")
            continue
        if plan.kind in ("path", "call"):
            if plan.kind == "path":
                reads = "".join(f"[{src.bind('k', k)}]" for k in plan.keys)
                body.append(f"        value = {'root' if plan.scope == 'root' else 'cur'}{reads}")
            else:
                body.append(f"        value = {src.bind('f', plan.fn)}(cur, root, pos)")
            steps = list(plan.steps)
            # "required" only acts on an empty value: test inline, call it only to fail.
            required = steps and steps[-1] is plan.require
            for step in steps[:-1] if required else steps:
                body.extend(_step_lines(step, src))
            if required:
                empty = src.bind("c", "")
                body.append(f"        if value is None or value == {empty}:")
                body.append(f"            value = {src.bind('s', steps[-1])}(value)")
        else:  # position
            body.append(f"        value = pos[0] + {src.bind('c', plan.value)}")
        if keep_nulls:
            body.append(f"        out[{key}] = value")
        else:
            body.append("        if value is not None:")
            body.append(f"            out[{key}] = value")
    src.names["slow"] = slow
    params = ", ".join(src.names)
    lines = [
        f"def factory({params}):",
        "    def build(cur, root, pos):",
        "        try:",
        *("    " + line for line in body),
        "        except Exception:",
        "            return slow(cur, root, pos)",
        "        return out",
        "    return build",
    ]
    source = "\n".join(lines)
    _prove_safe(source, src.names)
    namespace: dict[str, Any] = {}
    # The source is our template only (proved above); all document data arrives as arguments.
    exec(compile(source, "<mapping builder>", "exec"), {"__builtins__": {"Exception": Exception}},  # noqa: S102
         namespace)
    return namespace["factory"](**src.names)


def _step_lines(step: Callable[[Any], Any], src: _Source) -> list[str]:
    """One step as code. Hot text and decimal steps are written out for text input (their
    ``inline`` attribute says how); anything else, or any other input, calls the step."""
    call = f"value = {src.bind('s', step)}(value)"
    inline = getattr(step, "inline", None)
    if inline is None:
        return [f"        {call}"]
    kind, arg, mode = inline
    text = src.bind("t", str)
    if kind in ("upper", "lower", "strip"):
        fast = [f"value = value.{kind}()"]
    elif kind == "truncate":
        fast = [f"value = value[:{src.bind('c', arg)}]"]
    else:  # quantize; NaN/Infinity leave the fast path and get their problem from the step
        decimal = src.bind("d", Decimal)
        fast = [f"value = {decimal}(value).quantize({src.bind('c', arg)}, {src.bind('c', mode)})",
                "if not value.is_finite():",
                "    raise Exception"]
    return [f"        if value.__class__ is {text}:",
            *(f"            {line}" for line in fast),
            "        else:",
            f"            {call}"]


def _prove_safe(source: str, names: dict[str, Any]) -> None:
    if _SAFE_SOURCE.fullmatch(source) is None:
        raise AssertionError("generated builder contains characters outside the template")
    for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", source):
        if word not in _KEYWORDS and not (_OURS.fullmatch(word) and word in names):
            raise AssertionError(f"generated builder uses an unexpected name {word!r}")
