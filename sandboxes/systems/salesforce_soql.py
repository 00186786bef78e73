"""A realistic subset of SOQL: parse, check against the schema, run over in-memory records.

Supported: ``SELECT`` fields, parent paths (``Account.Name``), child subqueries
(``(SELECT Id FROM OrderItems)``), ``COUNT()``; ``WHERE`` with ``= != <> < <= > >= LIKE IN NOT IN``,
``AND OR NOT`` and parentheses; date/datetime literals and ``TODAY``-style date literals;
``ORDER BY … ASC|DESC NULLS FIRST|LAST``; ``LIMIT``; ``OFFSET``. Errors carry Salesforce's
codes (``MALFORMED_QUERY``, ``INVALID_FIELD``, ``INVALID_TYPE``) and its caret-style messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sandboxes.systems.salesforce_schema import (
    Field,
    SObjectType,
    normalize_id,
    sobject_named,
)


class SoqlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),:])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)

KEYWORDS = {
    "select", "from", "where", "and", "or", "not", "in", "like", "order", "by", "asc", "desc",
    "nulls", "first", "last", "limit", "offset", "null", "true", "false", "group", "having",
    "includes", "excludes", "for", "with", "using",
}

DATE_LITERALS = {
    "today", "yesterday", "tomorrow", "last_week", "this_week", "next_week", "last_month",
    "this_month", "next_month", "last_n_days", "next_n_days", "this_year", "last_year",
}


@dataclass
class Token:
    kind: str
    text: str
    pos: int

    @property
    def lower(self) -> str:
        return self.text.lower()


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = TOKEN_RE.match(text, pos)
        if match is None:
            raise _malformed(text, pos, f"unexpected token: '{text[pos]}'")
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(Token("eof", "", len(text)))
    return tokens


def _caret(text: str, pos: int) -> str:
    return f"\n{text}\n{' ' * pos}^\nERROR at Row:1:Column:{pos + 1}\n"


def _malformed(text: str, pos: int, message: str) -> SoqlError:
    return SoqlError("MALFORMED_QUERY", _caret(text, pos) + message)


@dataclass
class FieldRef:
    """A (possibly dotted) field path resolved against the schema."""

    hops: list[Field]  # reference fields walked through, in order
    target: Field
    path: list[str]  # canonical output keys: relationship names then the field name


@dataclass
class Subquery:
    relationship: str
    query: Query


@dataclass
class Condition:
    op: str  # and | or | not | cmp
    children: list[Condition] = field(default_factory=list)
    ref: FieldRef | None = None
    operator: str = ""
    value: Any = None


@dataclass
class Query:
    sobject: SObjectType
    select: list[FieldRef | Subquery]
    count: bool = False
    where: Condition | None = None
    order: list[tuple[FieldRef, bool, bool]] = field(default_factory=list)  # ref, desc, nulls 1st
    limit: int | None = None
    offset: int = 0
    relationship: str | None = None  # set on child subqueries


@dataclass(frozen=True)
class DateRange:
    start: datetime
    end: datetime  # exclusive


class Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def at_kw(self, *words: str) -> bool:
        return self.tok.kind == "ident" and self.tok.lower in words

    def expect_kw(self, word: str) -> Token:
        if not self.at_kw(word):
            raise self.unexpected()
        return self.next()

    def expect_punct(self, text: str) -> Token:
        if self.tok.kind != "punct" or self.tok.text != text:
            raise self.unexpected()
        return self.next()

    def unexpected(self) -> SoqlError:
        token = self.tok
        shown = token.text or "<EOF>"
        return _malformed(self.text, token.pos, f"unexpected token: '{shown}'")

    def parse(self) -> Query:
        query = self.parse_query(parent=None)
        if self.tok.kind != "eof":
            raise self.unexpected()
        return query

    def parse_query(self, parent: SObjectType | None) -> Query:
        self.expect_kw("select")
        raw: list[tuple[str, Token] | tuple[str, int, int]] = []
        while True:
            if self.tok.kind == "punct" and self.tok.text == "(":
                start = self.i
                depth = 0
                while True:
                    token = self.next()
                    if token.kind == "eof":
                        raise self.unexpected()
                    if token.text == "(":
                        depth += 1
                    elif token.text == ")":
                        depth -= 1
                        if depth == 0:
                            break
                raw.append(("sub", start, self.i))
            elif self.tok.kind == "ident" and self.tok.lower not in KEYWORDS - {"first", "last"}:
                token = self.next()
                if token.lower == "count" and self.tok.text == "(":
                    self.next()
                    self.expect_punct(")")
                    raw.append(("count", token))
                else:
                    raw.append(("field", token))
            else:
                raise self.unexpected()
            if self.tok.text == ",":
                self.next()
                continue
            break
        self.expect_kw("from")
        from_token = self.next()
        if from_token.kind != "ident":
            raise _malformed(self.text, from_token.pos, f"unexpected token: '{from_token.text}'")
        sobject, relationship = self.resolve_from(from_token, parent)
        query = Query(sobject=sobject, select=[])
        for item in raw:
            if item[0] == "count":
                query.count = True
            elif item[0] == "field":
                assert isinstance(item[1], Token)
                query.select.append(self.resolve_field(sobject, item[1]))
            else:
                assert isinstance(item[1], int) and isinstance(item[2], int)
                saved = self.i
                self.i = item[1] + 1
                sub = self.parse_query(parent=sobject)
                self.expect_punct(")")
                self.i = saved
                assert sub.relationship is not None
                query.select.append(Subquery(relationship=sub.relationship, query=sub))
        if query.count and query.select:
            raise _malformed(self.text, from_token.pos,
                             "COUNT() cannot be combined with other fields")
        query.relationship = relationship
        if self.at_kw("where"):
            self.next()
            query.where = self.parse_or(sobject)
        if self.at_kw("group", "having", "for", "with", "using"):
            raise _malformed(self.text, self.tok.pos,
                             f"{self.tok.text.upper()} is not supported by this sandbox")
        if self.at_kw("order"):
            self.next()
            self.expect_kw("by")
            while True:
                token = self.next()
                if token.kind != "ident":
                    raise _malformed(self.text, token.pos, f"unexpected token: '{token.text}'")
                ref = self.resolve_field(sobject, token)
                desc = False
                nulls_first = True
                if self.at_kw("asc", "desc"):
                    desc = self.next().lower == "desc"
                    nulls_first = not desc
                if self.at_kw("nulls"):
                    self.next()
                    if not self.at_kw("first", "last"):
                        raise self.unexpected()
                    nulls_first = self.next().lower == "first"
                query.order.append((ref, desc, nulls_first))
                if self.tok.text == ",":
                    self.next()
                    continue
                break
        if self.at_kw("limit"):
            self.next()
            query.limit = self.parse_int()
        if self.at_kw("offset"):
            self.next()
            query.offset = self.parse_int()
            if query.offset > 2000:
                raise SoqlError("NUMBER_OUTSIDE_VALID_RANGE",
                                f"Maximum SOQL offset allowed is 2000: {query.offset}")
        return query

    def parse_int(self) -> int:
        token = self.next()
        if token.kind != "number" or "." in token.text or token.text.startswith("-"):
            raise _malformed(self.text, token.pos, f"unexpected token: '{token.text}'")
        return int(token.text)

    def resolve_from(
        self, token: Token, parent: SObjectType | None
    ) -> tuple[SObjectType, str | None]:
        if parent is not None:
            found = parent.child(token.text)
            if found is None:
                raise SoqlError(
                    "INVALID_TYPE",
                    _caret(self.text, token.pos)
                    + f"Didn't understand relationship '{token.text}' in FROM part of query "
                    "call. If you are attempting to use a custom relationship, be sure to "
                    "append the '__r' after the custom relationship name. Please reference "
                    "your WSDL or the describe call for the appropriate names.",
                )
            rel, (child_name, _fk) = found
            child = sobject_named(child_name)
            assert child is not None
            return child, rel
        sobject = sobject_named(token.text)
        if sobject is None:
            raise SoqlError(
                "INVALID_TYPE",
                _caret(self.text, token.pos)
                + f"sObject type '{token.text}' is not supported. If you are attempting to use "
                "a custom object, be sure to append the '__c' after the entity name. Please "
                "reference your WSDL or the describe call for the appropriate names.",
            )
        return sobject, None

    def resolve_field(self, sobject: SObjectType, token: Token) -> FieldRef:
        parts = token.text.split(".")
        if len(parts) > 1 and parts[0].lower() == sobject.name.lower():
            parts = parts[1:]  # "Account.Name" FROM Account is allowed
        current = sobject
        hops: list[Field] = []
        path: list[str] = []
        for part in parts[:-1]:
            rel = current.relationship(part)
            if rel is None:
                raise self.no_column(token, part, current)
            hops.append(rel)
            path.append(rel.relationship_name or part)
            target = sobject_named(rel.reference_to[0])
            assert target is not None
            current = target
        final = current.field_named(parts[-1])
        if final is None:
            raise self.no_column(token, parts[-1], current)
        path.append(final.name)
        return FieldRef(hops=hops, target=final, path=path)

    def no_column(self, token: Token, name: str, sobject: SObjectType) -> SoqlError:
        return SoqlError(
            "INVALID_FIELD",
            _caret(self.text, token.pos)
            + f"No such column '{name}' on entity '{sobject.name}'. If you are attempting to "
            "use a custom field, be sure to append the '__c' after the custom field name. "
            "Please reference your WSDL or the describe call for the appropriate names.",
        )

    def parse_or(self, sobject: SObjectType) -> Condition:
        left = self.parse_and(sobject)
        if not self.at_kw("or"):
            return left
        node = Condition("or", [left])
        while self.at_kw("or"):
            self.next()
            node.children.append(self.parse_and(sobject))
        return node

    def parse_and(self, sobject: SObjectType) -> Condition:
        left = self.parse_not(sobject)
        if not self.at_kw("and"):
            return left
        node = Condition("and", [left])
        while self.at_kw("and"):
            self.next()
            node.children.append(self.parse_not(sobject))
        return node

    def parse_not(self, sobject: SObjectType) -> Condition:
        if self.at_kw("not"):
            self.next()
            return Condition("not", [self.parse_not(sobject)])
        if self.tok.text == "(":
            self.next()
            inner = self.parse_or(sobject)
            self.expect_punct(")")
            return inner
        return self.parse_comparison(sobject)

    def parse_comparison(self, sobject: SObjectType) -> Condition:
        token = self.next()
        if token.kind != "ident" or token.lower in KEYWORDS:
            raise _malformed(self.text, token.pos, f"unexpected token: '{token.text or '<EOF>'}'")
        ref = self.resolve_field(sobject, token)
        if self.at_kw("not"):
            self.next()
            self.expect_kw("in")
            operator = "not in"
        elif self.at_kw("in", "like"):
            operator = self.next().lower
        elif self.tok.kind == "op":
            operator = self.next().text
            operator = "!=" if operator == "<>" else operator
        else:
            raise self.unexpected()
        if operator in ("in", "not in"):
            self.expect_punct("(")
            values = [self.parse_value(ref)]
            while self.tok.text == ",":
                self.next()
                values.append(self.parse_value(ref))
            self.expect_punct(")")
            return Condition("cmp", ref=ref, operator=operator, value=values)
        value = self.parse_value(ref)
        if operator == "like" and not isinstance(value, str):
            raise _malformed(self.text, token.pos, "LIKE requires a string value")
        return Condition("cmp", ref=ref, operator=operator, value=value)

    def parse_value(self, ref: FieldRef) -> Any:
        token = self.next()
        ftype = ref.target.type
        name = ref.target.name
        if token.kind == "string":
            if ftype in ("datetime", "date", "double", "currency", "percent", "int", "boolean"):
                kind = {"datetime": "dateTime", "date": "date", "boolean": "boolean"}.get(
                    ftype, "number"
                )
                raise _malformed(
                    self.text, token.pos,
                    f"value of filter criterion for field '{name}' must be of type {kind} and "
                    "should not be enclosed in quotes",
                )
            raw = token.text[1:-1]
            return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)),
                          raw)
        if token.kind == "ident" and token.lower == "null":
            return None
        if token.kind == "ident" and token.lower in ("true", "false"):
            if ftype != "boolean":
                raise self.type_mismatch(token, ref)
            return token.lower == "true"
        if token.kind == "number":
            if ftype not in ("double", "currency", "percent", "int"):
                raise self.type_mismatch(token, ref)
            return float(token.text)
        if token.kind == "datetime":
            if ftype != "datetime":
                raise self.type_mismatch(token, ref)
            return parse_datetime(token.text)
        if token.kind == "date":
            if ftype != "date":
                raise self.type_mismatch(token, ref)
            return token.text
        if token.kind == "ident" and token.lower in DATE_LITERALS:
            if ftype not in ("date", "datetime"):
                raise self.type_mismatch(token, ref)
            n = 0
            if token.lower.endswith("_n_days"):
                self.expect_punct(":")
                n = self.parse_int()
            return date_literal(token.lower, n)
        raise _malformed(self.text, token.pos, f"unexpected token: '{token.text or '<EOF>'}'")

    def type_mismatch(self, token: Token, ref: FieldRef) -> SoqlError:
        return SoqlError(
            "INVALID_FIELD",
            _caret(self.text, token.pos)
            + f"value of filter criterion for field '{ref.target.name}' must be of type "
            f"{ref.target.type} and should not be enclosed in quotes",
        )


def parse(text: str) -> Query:
    if not text or not text.strip():
        raise SoqlError("MALFORMED_QUERY", "SOQL statements cannot be empty or null")
    return Parser(text).parse()


def parse_datetime(text: str) -> datetime:
    """Parse SOQL / JSON datetimes (``Z``, ``+01:00``, ``+0000``, optional millis)."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    match = re.match(r"(.*[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-])(\d{2}):?(\d{2})$", value)
    if match:
        value = f"{match.group(1)}{match.group(2)}{match.group(3)}:{match.group(4)}"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def date_literal(name: str, n: int, *, now: datetime | None = None) -> DateRange:
    now = now or datetime.now(UTC)
    today = datetime(now.year, now.month, now.day, tzinfo=UTC)
    day = timedelta(days=1)
    week_start = today - timedelta(days=(today.weekday() + 1) % 7)  # weeks start on Sunday
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    prev_month = (month_start - day).replace(day=1)
    year_start = today.replace(month=1, day=1)
    ranges = {
        "today": (today, today + day),
        "yesterday": (today - day, today),
        "tomorrow": (today + day, today + 2 * day),
        "this_week": (week_start, week_start + 7 * day),
        "last_week": (week_start - 7 * day, week_start),
        "next_week": (week_start + 7 * day, week_start + 14 * day),
        "this_month": (month_start, next_month),
        "last_month": (prev_month, month_start),
        "next_month": (next_month, (next_month + timedelta(days=32)).replace(day=1)),
        "this_year": (year_start, year_start.replace(year=year_start.year + 1)),
        "last_year": (year_start.replace(year=year_start.year - 1), year_start),
        "last_n_days": (today - n * day, today + day),
        "next_n_days": (today + day, today + (n + 1) * day),
    }
    start, end = ranges[name]
    return DateRange(start, end)


# --- evaluation --------------------------------------------------------------------------------

Getter = Callable[[str], dict[str, Any] | None]  # id -> stored record (any object)
Rows = Callable[[str], list[dict[str, Any]]]  # object name -> stored records


def _follow(record: dict[str, Any] | None, hops: list[Field], get: Getter) -> Any:
    current = record
    for hop in hops:
        if current is None:
            return None
        ref = current.get(hop.name)
        current = get(ref) if ref else None
    return current


def field_value(record: dict[str, Any], ref: FieldRef, get: Getter) -> Any:
    target = _follow(record, ref.hops, get)
    return None if target is None else target.get(ref.target.name)


def _comparable(value: Any, ftype: str) -> Any:
    if value is None:
        return None
    if ftype == "datetime":
        return parse_datetime(value) if isinstance(value, str) else value
    if ftype == "date":
        return date.fromisoformat(value) if isinstance(value, str) else value
    if ftype in ("double", "currency", "percent", "int"):
        return float(value)
    if ftype in ("id", "reference"):
        return normalize_id(value) or value
    if isinstance(value, str):
        return value.lower()
    return value


def _compare(actual: Any, operator: str, expected: Any, ftype: str) -> bool:
    if isinstance(expected, DateRange):
        if actual is None:
            return operator == "!="
        if ftype == "date":
            start, end = expected.start.date(), expected.end.date()
        else:
            start, end = expected.start, expected.end
        inside = start <= actual < end
        return {
            "=": inside,
            "!=": not inside,
            "<": actual < start,
            "<=": actual < end,
            ">": actual >= end,
            ">=": actual >= start,
        }[operator]
    if operator == "=":
        return actual == expected
    if operator == "!=":
        return actual != expected
    if actual is None or expected is None:
        return False
    try:
        return {
            "<": actual < expected,
            "<=": actual <= expected,
            ">": actual > expected,
            ">=": actual >= expected,
        }[operator]
    except TypeError:
        return False


def _like(actual: Any, pattern: str) -> bool:
    if actual is None:
        return False
    regex = "".join(
        ".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern.lower()
    )
    return re.fullmatch(regex, str(actual).lower(), re.DOTALL) is not None


def matches(cond: Condition, record: dict[str, Any], get: Getter) -> bool:
    if cond.op == "and":
        return all(matches(c, record, get) for c in cond.children)
    if cond.op == "or":
        return any(matches(c, record, get) for c in cond.children)
    if cond.op == "not":
        return not matches(cond.children[0], record, get)
    assert cond.ref is not None
    ftype = cond.ref.target.type
    actual = _comparable(field_value(record, cond.ref, get), ftype)
    if cond.operator == "like":
        return _like(actual, cond.value)
    if cond.operator in ("in", "not in"):
        hit = any(
            _compare(actual, "=", _comparable_literal(v, ftype), ftype) for v in cond.value
        )
        return hit if cond.operator == "in" else not hit
    return _compare(actual, cond.operator, _comparable_literal(cond.value, ftype), ftype)


def _comparable_literal(value: Any, ftype: str) -> Any:
    if isinstance(value, DateRange | datetime):
        return value
    return _comparable(value, ftype)


def _sort_key(value: Any, ftype: str) -> Any:
    return _comparable(value, ftype)


def execute(
    query: Query,
    *,
    rows: Rows,
    get: Getter,
    version: str,
    include_deleted: bool = False,
) -> tuple[int, list[dict[str, Any]]]:
    """Run ``query``; returns (totalSize, output records in Salesforce's query shape)."""
    candidates = [
        r for r in rows(query.sobject.name) if include_deleted or not r.get("IsDeleted")
    ]
    if query.where is not None:
        candidates = [r for r in candidates if matches(query.where, r, get)]
    for ref, desc, nulls_first in reversed(query.order):
        ftype = ref.target.type
        present = [r for r in candidates if field_value(r, ref, get) is not None]
        missing = [r for r in candidates if field_value(r, ref, get) is None]
        present.sort(key=lambda r, ref=ref, ftype=ftype: _sort_key(field_value(r, ref, get),
                                                                   ftype), reverse=desc)
        candidates = missing + present if nulls_first else present + missing
    if query.offset:
        candidates = candidates[query.offset :]
    if query.limit is not None:
        candidates = candidates[: query.limit]
    if query.count:
        return len(candidates), []
    return len(candidates), [shape(query, r, get=get, rows=rows, version=version)
                             for r in candidates]


def attributes(sobject: str, record_id: str, version: str) -> dict[str, str]:
    return {"type": sobject, "url": f"/services/data/{version}/sobjects/{sobject}/{record_id}"}


def shape(
    query: Query, record: dict[str, Any], *, get: Getter, rows: Rows, version: str
) -> dict[str, Any]:
    out: dict[str, Any] = {"attributes": attributes(query.sobject.name, record["Id"], version)}
    for item in query.select:
        if isinstance(item, Subquery):
            found = query.sobject.child(item.relationship)
            assert found is not None
            rel, (_child, fk) = found
            sub = item.query
            fk_field = sub.sobject.fields[fk]
            link = Condition("cmp", ref=FieldRef([], fk_field, [fk]), operator="=",
                             value=record["Id"])
            sub_where = link if sub.where is None else Condition("and", [link, sub.where])
            child_query = Query(sub.sobject, sub.select, sub.count, sub_where, sub.order,
                                sub.limit, sub.offset, sub.relationship)
            total, records = execute(child_query, rows=rows, get=get, version=version)
            out[rel] = (
                {"totalSize": total, "done": True, "records": records} if records else None
            )
            continue
        _place(out, item, record, get, version)
    return out


def _place(
    out: dict[str, Any], ref: FieldRef, record: dict[str, Any], get: Getter, version: str
) -> None:
    container = out
    current: dict[str, Any] | None = record
    for hop, key in zip(ref.hops, ref.path[:-1], strict=True):
        parent = get(current.get(hop.name)) if current and current.get(hop.name) else None
        if parent is None:
            if key not in container:
                container[key] = None
            return
        nested = container.get(key)
        if nested is None:
            target = hop.reference_to[0]
            nested = container[key] = {"attributes": attributes(target, parent["Id"], version)}
        container = nested
        current = parent
    assert current is not None
    container[ref.path[-1]] = current.get(ref.target.name)
