"""Source paths: a fast path for plain dotted names, JMESPath for everything else.

Every compiled value function takes ``(cur, root, pos)``: ``cur`` is the object in scope (the
record, or one line inside ``each``), ``root`` the whole source record and ``pos`` the
``(index, key)`` of the current line (``None`` outside ``each``).

Special names: ``$root`` / ``$root.a.b`` read from the whole record inside ``each``; ``$key`` is
the current line's key (the row id for Brightpearl's ``orderRows`` object), ``$index`` its
0-based and ``$position`` its 1-based position.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

ValueFn = Callable[[Any, Any, Any], Any]

_SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_MISSING_ERRORS = (KeyError, TypeError, IndexError)


class PathError(ValueError):
    """The path is not valid JMESPath; the message says where."""


def _position_fn(name: str) -> ValueFn | None:
    if name == "$key":
        return lambda cur, root, pos: None if pos is None else pos[1]
    if name == "$index":
        return lambda cur, root, pos: None if pos is None else pos[0]
    if name == "$position":
        return lambda cur, root, pos: None if pos is None else pos[0] + 1
    return None


def _dotted(keys: list[str]) -> ValueFn:
    """Plain ``a.b.c`` lookups: the same answer as JMESPath (missing or non-object -> None)
    at a fraction of the cost. ``try`` is free in 3.11 until something is missing."""
    if len(keys) == 1:
        (a,) = keys

        def get1(cur: Any, root: Any, pos: Any) -> Any:
            try:
                return cur[a]
            except _MISSING_ERRORS:
                return None

        return get1
    if len(keys) == 2:
        a, b = keys

        def get2(cur: Any, root: Any, pos: Any) -> Any:
            try:
                return cur[a][b]
            except _MISSING_ERRORS:
                return None

        return get2
    if len(keys) == 3:
        a, b, c = keys

        def get3(cur: Any, root: Any, pos: Any) -> Any:
            try:
                return cur[a][b][c]
            except _MISSING_ERRORS:
                return None

        return get3

    def get_n(cur: Any, root: Any, pos: Any) -> Any:
        try:
            for key in keys:
                cur = cur[key]
        except _MISSING_ERRORS:
            return None
        return cur

    return get_n


def is_simple(path: str) -> bool:
    """True for plain dotted names, which skip JMESPath entirely."""
    return _SIMPLE.match(path) is not None


def compile_getter(path: str) -> ValueFn:
    """Compile a source path once. Raises :class:`PathError` for invalid JMESPath."""
    special = _position_fn(path)
    if special is not None:
        return special
    if path == "$root":
        return lambda cur, root, pos: root
    if path.startswith("$root."):
        inner = compile_getter(path[len("$root.") :])
        if path[len("$root.") :].startswith("$"):
            raise PathError(f"{path!r}: $root must be followed by a field path")
        return lambda cur, root, pos: inner(root, root, pos)
    if path.startswith("$"):
        raise PathError(f"unknown special name {path!r} (known: $root, $key, $index, $position)")
    if _SIMPLE.match(path):
        return _dotted(path.split("."))
    try:
        search = jmespath.compile(path).search
    except JMESPathError as exc:
        message = f"{path!r} is not a valid JMESPath expression: {_first_line(exc)}"
        raise PathError(message) from None
    return lambda cur, root, pos: search(cur)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]
