"""Error hints: for a dead letter's reason, what to do about it in plain words, and the
one-click action that does it where one exists.

Plain Python (no Django): the caller passes the dead letter's fields and, as plain data,
what the hints need to know about its flow (:class:`FlowFacts`: which lookup tables are
filled from other flows' record links, which connections the flow uses). The portal and the
API render the same hints; the portal turns each action into a button.

Reason classes covered (``DeadLetter.error_class`` is the exception's class name):

- ``MappingFailed``: one hint per distinct problem (lookup misses, required values, date
  parsing, conversions, the target schema's rules).
- ``DependencyMissing``: a record another flow has not synced, waited for through every retry.
- ``TransientError``, ``RateLimited``, ``NotFound``: retries ran out.
- ``AuthError``, ``PermissionDenied``, ``ConfigurationError``: the connection needs a person.
- ``ValidationFailed``, ``ConnectorError``: the target system refused the record.
- ``HeldForReview`` (quality checks: address, duplicates, anomalies) and ``AddressInvalid``.
- ``MappingDocumentError`` and any other class: an error on our side or an unknown one.

Action kinds: ``add_lookup_entry``, ``sync_missing_record``, ``change_date_format``,
``edit_mapping``, ``reconnect``, ``replay``, ``approve`` and ``discard``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from integrations.mapping.values import key_text

# --- what a hint is -------------------------------------------------------------------------

ADD_LOOKUP_ENTRY = "add_lookup_entry"
SYNC_MISSING_RECORD = "sync_missing_record"
CHANGE_DATE_FORMAT = "change_date_format"
EDIT_MAPPING = "edit_mapping"
RECONNECT = "reconnect"
REPLAY = "replay"
APPROVE = "approve"
LINK_DUPLICATE = "link_duplicate"
DISCARD = "discard"


@dataclass(frozen=True)
class Action:
    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "params": dict(self.params)}


@dataclass(frozen=True)
class Hint:
    """One suggested fix: ``text`` names the field and value; ``action`` does it, if any."""

    text: str
    action: Action | None = None
    field: str = ""        # the target path it is about ("" for the record as a whole)

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "field": self.field,
                "action": self.action.as_json() if self.action else None}


@dataclass(frozen=True)
class LinkSource:
    """One flow whose record links fill a link table (see the pair templates)."""

    flow: str              # the flow's key in the pair
    key: str               # which id is the table's key: source_id, target_id or natural_key
    entity: str = ""       # the flow's entity: product, customer, sales_order...
    system: str = ""       # the flow's source system (code)
    system_label: str = ""
    natural_key: str = ""  # the source path of the natural key (identity.sku)


@dataclass(frozen=True)
class FlowFacts:
    """What hints need to know about the dead letter's flow, as plain data."""

    source_label: str = "the source system"
    target_label: str = "the target system"
    source_connection: int | None = None
    target_connection: int | None = None
    link_tables: Mapping[str, Sequence[LinkSource]] = field(default_factory=dict)


# --- reading values out of messages -------------------------------------------------------------

_LOOKUP_MISS = re.compile(r"(?P<value>.+?) is not in (?:lookup table '(?P<table>[^']+)'|"
                          r"(?P<inline>the inline lookup map))")
_DATE_FORMAT = re.compile(r"^(?P<value>.+) does not match the date format (?P<fmt>'.*'|\".*\")$")
_DATE_ISO = re.compile(r"^(?:expected an ISO 8601 date, got \w+ (?P<typed>.+)|"
                       r"(?P<value>.+) is not an ISO 8601 date)$")
_DATE_EPOCH = re.compile(r"^(?P<value>.+) is not a (?P<fmt>unix|unix_ms) timestamp$")
_DECIMAL = re.compile(r"^Decimal\('(?P<digits>[^']*)'\)$")
_PATH_TOKEN = re.compile(r"[^.\[\]]+|\[\d+\]")


def _literal(shown: str) -> Any:
    """The value a message shows with ``repr`` (``'abc'``, ``42``); None when it was cut
    short (``'a long...``) or is not a literal."""
    shown = shown.strip()
    decimal = _DECIMAL.match(shown)
    if decimal:
        return decimal["digits"]
    try:
        return ast.literal_eval(shown)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def value_at(record: Any, path: str) -> Any:
    """The value at a plain source path (``a.b``, ``products[0].sku``, ``rows.1002.sku``) of
    a record; None when the path is an expression or leads nowhere."""
    if not path or any(c in path for c in "|*?`()@&$ ,"):
        return None
    current = record
    for token in _PATH_TOKEN.findall(path):
        if token.startswith("["):
            index = int(token[1:-1])
            if not isinstance(current, list) or index >= len(current):
                return None
            current = current[index]
        elif isinstance(current, dict) and token in current:
            current = current[token]
        elif isinstance(current, list) and token.isdigit() and int(token) < len(current):
            current = current[int(token)]
        else:
            return None
    return current


def _seen(shown: str, problem: Mapping[str, Any], source_record: Any) -> Any:
    value = _literal(shown)
    if value is None:
        value = value_at(source_record, str(problem.get("source_path") or ""))
    return value


def _quote(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def rule_path(target_path: str) -> str:
    """The mapping field a problem's target path is about: ``rows[2].productId`` ->
    ``rows[].productId`` (the editor's path)."""
    return re.sub(r"\[\d+\]", "[]", target_path or "")


# --- date formats -------------------------------------------------------------------------------

@dataclass(frozen=True)
class DateGuess:
    """A format that reads a value: an engine keyword (iso, unix, unix_ms) or strptime."""

    format: str
    label: str
    reads_as: str                    # the moment it reads, ISO 8601
    alternative: str = ""            # another format that reads it differently
    note: str = ""                   # the ambiguity, in words


# (format, label) in the order tried: unambiguous first. Day/month orders are checked as a
# pair below, because "03/04/2024" reads both ways.
_FORMATS: tuple[tuple[str, str], ...] = (
    ("%a, %d %b %Y %H:%M:%S %z", "RFC 2822"),
    ("%a, %d %b %Y %H:%M:%S %Z", "RFC 2822 (named zone)"),
    ("%a, %d %b %Y %H:%M %z", "RFC 2822 without seconds"),
    ("%d %b %Y %H:%M:%S %z", "RFC 2822 without the weekday"),
    ("%a %b %d %H:%M:%S %Y", "C asctime"),
    ("%Y-%m-%d %H:%M:%S %z", "year-month-day time and offset"),
    ("%Y/%m/%d %H:%M:%S", "year/month/day time"),
    ("%Y/%m/%d", "year/month/day"),
    ("%Y%m%d", "yyyymmdd"),
    ("%Y%m%d%H%M%S", "yyyymmddhhmmss"),
    ("%d %B %Y", "day month-name year"),
    ("%d %b %Y", "day month-name year"),
    ("%B %d, %Y", "month-name day, year"),
    ("%b %d, %Y", "month-name day, year"),
    ("%d-%b-%Y", "day-month-name-year"),
    ("%d-%b-%y", "day-month-name-2-digit-year"),
)
_DAY_MONTH_SEPARATORS = ("/", ".", "-")
_TIMES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")


def _try(value: str, fmt: str) -> datetime | None:
    try:
        return datetime.strptime(value, fmt)
    except ValueError:
        return None


def _day_month(value: str, evidence: Iterable[str]) -> DateGuess | None:
    for sep in _DAY_MONTH_SEPARATORS:
        for year in ("%Y", "%y"):
            for time in _TIMES:
                dmy, mdy = f"%d{sep}%m{sep}{year}{time}", f"%m{sep}%d{sep}{year}{time}"
                as_dmy, as_mdy = _try(value, dmy), _try(value, mdy)
                if as_dmy is None and as_mdy is None:
                    continue
                if as_dmy is not None and as_mdy is None:
                    return DateGuess(dmy, "day/month/year", as_dmy.isoformat())
                if as_mdy is not None and as_dmy is None:
                    return DateGuess(mdy, "month/day/year", as_mdy.isoformat())
                assert as_dmy is not None and as_mdy is not None
                if as_dmy == as_mdy:  # 05/05/2024
                    return DateGuess(dmy, "day/month/year", as_dmy.isoformat(),
                                     note="Day and month are the same here, so either order "
                                          "reads it; check that your other dates are "
                                          "day first.")
                # Other dates of the same record in the same shape may settle it.
                for other in evidence:
                    if _try(other, dmy) is not None and _try(other, mdy) is None:
                        return DateGuess(dmy, "day/month/year", as_dmy.isoformat(),
                                         note=f"Other dates of the record ({other!r}) are "
                                              "day first.")
                    if _try(other, mdy) is not None and _try(other, dmy) is None:
                        return DateGuess(mdy, "month/day/year", as_mdy.isoformat(),
                                         note=f"Other dates of the record ({other!r}) are "
                                              "month first.")
                return DateGuess(
                    dmy, "day/month/year", as_dmy.isoformat(), alternative=mdy,
                    note=f"{value!r} reads as {as_dmy:%d %B %Y} day first ({dmy}) or as "
                         f"{as_mdy:%d %B %Y} month first ({mdy}); day first is suggested. "
                         "Check a record whose day is above 12 before you choose.")
    return None


def _strings(record: Any, depth: int = 0) -> Iterator[str]:
    if depth > 6:
        return
    if isinstance(record, str):
        yield record
    elif isinstance(record, dict):
        for value in record.values():
            yield from _strings(value, depth + 1)
    elif isinstance(record, list):
        for value in record:
            yield from _strings(value, depth + 1)


def date_format_detect(value: Any, *, record: Any = None) -> DateGuess | None:
    """A format the date step can use to read ``value``, or None when no common one does.

    ``record`` (the source record) is searched for other dates of the same shape when the
    value alone cannot tell day/month from month/day."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and
                                          re.fullmatch(r"\d{10}(\.\d+)?|\d{13}", value.strip())):
        number = float(value)
        unix_ms = number > 1e11
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
            seconds=number / 1000 if unix_ms else number)
        if unix_ms:
            return DateGuess("unix_ms", "Unix time in milliseconds", moment.isoformat())
        return DateGuess("unix", "Unix time in seconds", moment.isoformat())
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text != value:
        return None  # the date step reads the text as it is; a trim step is the fix
    try:
        return DateGuess("iso", "ISO 8601", datetime.fromisoformat(text).isoformat())
    except ValueError:
        pass
    for fmt, label in _FORMATS:
        moment = _try(text, fmt)
        if moment is not None:
            return DateGuess(fmt, label, moment.isoformat())
    evidence = [s for s in _strings(record) if s != text and len(s) == len(text)]
    return _day_month(text, evidence)


# --- the hints ----------------------------------------------------------------------------------

def hint_for(error_class: str, reason: str, problems: Sequence[Any] | None, source_record: Any,
             *, facts: FlowFacts | None = None, mapped_record: Any = None,
             external_id: str = "") -> list[Hint]:
    """What to do about a dead letter, best first; never empty."""
    facts = facts or FlowFacts()
    listed = [p if isinstance(p, dict) else {"message": str(p)} for p in problems or []]
    context = _Context(facts, source_record, mapped_record, external_id)
    maker = _BY_CLASS.get(error_class)
    if maker is None:
        hints = _internal(reason, context) if reason.startswith("Internal error") else \
            _unknown(error_class, reason, context)
    else:
        hints = maker(reason, listed, context)
    return _unique(hints) or _unknown(error_class, reason, context)


@dataclass
class _Context:
    facts: FlowFacts
    source_record: Any
    mapped_record: Any
    external_id: str

    @property
    def source(self) -> str:
        return self.facts.source_label

    @property
    def target(self) -> str:
        return self.facts.target_label


def _unique(hints: list[Hint]) -> list[Hint]:
    """One hint per suggestion: an order with three lines of one unknown SKU gets one."""
    seen: set[str] = set()
    out = []
    for hint in hints:
        key = repr(action_identity(hint.action)) if hint.action and hint.action.kind in (
            ADD_LOOKUP_ENTRY, SYNC_MISSING_RECORD, CHANGE_DATE_FORMAT) else repr(hint.as_json())
        if key not in seen:
            seen.add(key)
            out.append(hint)
    return out


def action_identity(action: Action | None) -> tuple[Any, ...] | None:
    """What makes two actions the same fix: one lookup entry, one missing record, one date
    step. Dead letters whose hints share it are put right by the same click."""
    if action is None:
        return None
    params = action.params
    if action.kind == ADD_LOOKUP_ENTRY:
        return (action.kind, params.get("table"), params.get("key"))
    if action.kind == SYNC_MISSING_RECORD:
        return (action.kind, params.get("flow"), params.get("id"), params.get("natural_key"))
    if action.kind == CHANGE_DATE_FORMAT:
        return (action.kind, params.get("field"))
    return (action.kind, repr(sorted(params.items())))


def _edit(field_path: str) -> Action:
    return Action(EDIT_MAPPING, {"field": field_path})


def _replay() -> Action:
    return Action(REPLAY, {})


# MappingFailed ---------------------------------------------------------------------------------

def _mapping_failed(reason: str, problems: list[dict[str, Any]], ctx: _Context) -> list[Hint]:
    hints: list[Hint] = []
    for problem in problems:
        hints.extend(_problem_hints(problem, ctx))
    if not problems:
        hints.append(Hint(f"The mapping could not build the record: {reason}. Correct the "
                          "mapping, then replay.", _edit("")))
    return hints


def _named(problem: Mapping[str, Any]) -> tuple[str, str]:
    target = str(problem.get("target_path") or "")
    return target, rule_path(target)


def _from(problem: Mapping[str, Any]) -> str:
    source = problem.get("source_path")
    return f" (from the source's {source})" if source else ""


def _problem_hints(problem: dict[str, Any], ctx: _Context) -> list[Hint]:
    kind = str(problem.get("kind") or "")
    message = str(problem.get("message") or "")
    target, path = _named(problem)
    where = target or "The record"
    if kind == "lookup":
        return _lookup_hints(problem, ctx)
    if kind == "date":
        return [_date_hint(problem, ctx)]
    if kind == "required":
        return [Hint(f"{where} needs a value, but the record has none{_from(problem)}. Fill "
                     f"it in {ctx.source} and replay, or give {path} a default in the mapping.",
                     _edit(path), target)]
    if kind.startswith("schema."):
        return [_schema_hint(kind[len("schema."):], problem, ctx)]
    if kind.startswith("quality."):
        return _held_hints(problem, ctx)
    if kind in ("to_decimal", "to_int", "to_bool", "to_string", "round", "calc"):
        return [Hint(f"{where}: {message}{_from(problem)}. Correct the value in {ctx.source} "
                     f"and replay, or change how the mapping converts {path}.",
                     _edit(path), target)]
    if kind == "convert_currency":
        return [Hint(f"{where}: {message}. Add the exchange rate, or map {path} without the "
                     "currency conversion, then replay.", _edit(path), target)]
    if kind in ("collection", "aggregate"):
        return [Hint(f"{where}: {message}{_from(problem)}. The mapping reads a list from a "
                     f"field that is not one in this record; point {path} at the right "
                     "source field.", _edit(path), target)]
    if kind == "condition":
        return [Hint(f"{where}: a condition in the mapping could not be checked ({message}). "
                     f"Correct the condition of {path}.", _edit(path), target)]
    if kind == "source":
        return [Hint(f"{ctx.source} sent something that is not a record ({message}). Replay "
                     "to fetch it again; if it is the same, discard it.", _replay())]
    if kind == "error":
        return [Hint(f"{where}: the mapping rule failed on this record ({message}). Change "
                     f"the rule of {path} so it handles this value.", _edit(path), target)]
    # Text steps (upper, lower, trim...) name themselves as the kind.
    return [Hint(f"{where}: {message}{_from(problem)} [{kind}]. Correct the value in "
                 f"{ctx.source} or the rule of {path} in the mapping, then replay.",
                 _edit(path), target)]


def _lookup_hints(problem: dict[str, Any], ctx: _Context) -> list[Hint]:
    target, path = _named(problem)
    message = str(problem.get("message") or "")
    miss = _LOOKUP_MISS.search(message)
    if miss is None:
        return [Hint(f"{target or 'The record'}: {message}. Check the lookup of {path}.",
                     _edit(path), target)]
    value = _seen(miss["value"], problem, ctx.source_record)
    if miss["inline"]:
        shown = _quote(value) if value is not None else miss["value"]
        return [Hint(f"{target}: {shown}{_from(problem)} is not in the mapping's own list of "
                     f"values for {path}. Add it to that list in the mapping, then replay.",
                     _edit(path), target)]
    table = miss["table"]
    if table in ctx.facts.link_tables:
        return [_missing_record_hint(table, value, ctx, field_path=target)]
    if value is None:
        return [Hint(f"{target}: {message}. Add the missing entry to the lookup table "
                     f"'{table}', then replay.", _edit(path), target)]
    key = key_text(value)
    return [Hint(f"{target}: {_quote(key)}{_from(problem)} is not in the lookup table "
                 f"'{table}'. Add an entry for {_quote(key)} saying what it becomes in "
                 f"{ctx.target}, then replay.",
                 Action(ADD_LOOKUP_ENTRY, {"table": table, "key": key, "field": path}), target)]


def _missing_record_hint(table: str, value: Any, ctx: _Context, *, field_path: str = "") -> Hint:
    key = "" if value is None else key_text(value)
    sources = ctx.facts.link_tables.get(table) or ()
    by_id = next((s for s in sources if s.key == "source_id"), None)
    by_natural = next((s for s in sources if s.key == "natural_key"), None)
    chosen = by_id or by_natural
    what = f" ({field_path})" if field_path else ""
    if chosen is None or not key:
        return Hint(f"The record points at {_quote(key) if key else 'a record'}{what}, which "
                    f"no flow of this integration has synced (link table '{table}'). Sync "
                    "that record first, then replay.", _replay(), field_path)
    entity = chosen.entity.replace("_", " ") or "record"
    system = chosen.system_label or chosen.system or "the other system"
    params: dict[str, Any] = {"flow": chosen.flow, "entity": chosen.entity,
                              "system": chosen.system, "table": table}
    if chosen.key == "source_id":
        params["id"] = key
        named = f"{system} {entity} {key}"
    else:
        params["natural_key"] = key
        params["natural_key_path"] = chosen.natural_key
        label = chosen.natural_key.rsplit(".", 1)[-1] or "key"
        label = label.upper() if label.lower() in ("sku", "ean", "upc", "gtin") else label
        named = f"The {system} {entity} with {label} {key}"
    return Hint(f"{named}{what} has not synced yet, and this record waited for it through "
                f"every retry. Sync that {entity} now; this record is replayed and follows "
                "it. If it does not exist there, create it (or correct the record) first.",
                Action(SYNC_MISSING_RECORD, params), field_path)


def _date_hint(problem: dict[str, Any], ctx: _Context) -> Hint:
    target, path = _named(problem)
    message = str(problem.get("message") or "")
    shown, current = "", ""
    for pattern in (_DATE_FORMAT, _DATE_ISO, _DATE_EPOCH):
        found = pattern.match(message)
        if found:
            groups = found.groupdict()
            shown = groups.get("value") or groups.get("typed") or ""
            current = (_literal(groups["fmt"]) if pattern is _DATE_FORMAT
                       else groups.get("fmt") or "iso")
            break
    value = _seen(shown, problem, ctx.source_record) if shown else value_at(
        ctx.source_record, str(problem.get("source_path") or ""))
    guess = date_format_detect(value, record=ctx.source_record)
    if guess is None or guess.format == current:
        seen = f" {_quote(value)}" if value is not None else ""
        return Hint(f"{target}: the date{seen}{_from(problem)} is in no format we recognise. "
                    f"Set the date step of {path} to the format {ctx.source} uses, or correct "
                    "the value there, then replay.", _edit(path), target)
    was = f" (the mapping expects {current})" if current else ""
    note = f" {guess.note}" if guess.note else ""
    params: dict[str, Any] = {"field": path, "value": value, "format": guess.format,
                              "label": guess.label, "reads_as": guess.reads_as}
    if guess.alternative:
        params["alternative"] = guess.alternative
    return Hint(f"{target}: {_quote(value)}{_from(problem)} is not in the date format the "
                f"mapping reads{was}; it is {guess.label} ({guess.format}), which reads it as "
                f"{guess.reads_as}. Change the date step of {path} to {guess.format}, then "
                f"replay.{note}", Action(CHANGE_DATE_FORMAT, params), target)


_SCHEMA_ADVICE = {
    "required": "{target} requires it, and the mapping left it empty{source}. Map {path} to a "
                "source field or give it a default, then replay.",
    "max_length": "{message}. Add a truncate step to {path}, or shorten it in {source_system}, "
                  "then replay.",
    "min_length": "{message}. Pad or correct it in {source_system}, or change the rule of "
                  "{path}, then replay.",
    "pattern": "{message}: {target} accepts only that shape. Correct it in {source_system}, or "
               "add a step to {path} that reshapes it, then replay.",
    "choices": "{message}. Map the value through a lookup table in {path}, or correct it in "
               "{source_system}, then replay.",
    "type": "{message}. Add a conversion step (to a number, text or yes/no) to {path}, then "
            "replay.",
    "scale": "{message}. Add a round step to {path}, then replay.",
    "max_digits": "{message}. Check the value in {source_system}; round or scale it in "
                  "{path}, then replay.",
    "minimum": "{message}. Correct it in {source_system}, or change the rule of {path}, then "
               "replay.",
    "maximum": "{message}. Correct it in {source_system}, or change the rule of {path}, then "
               "replay.",
    "unknown_field": "{target} has no such field. Remove {path} from the mapping (or map it "
                     "to the field {target} has), then replay.",
    "min_items": "{message}. Check the record's lines in {source_system}, or the filter of "
                 "{path}, then replay.",
    "max_items": "{message}: {target} takes fewer. Split the record in {source_system}, or "
                 "filter the lines in {path}, then replay.",
}


def _schema_hint(rule: str, problem: dict[str, Any], ctx: _Context) -> Hint:
    target, path = _named(problem)
    message = str(problem.get("message") or "")
    advice = _SCHEMA_ADVICE.get(rule, "{message}. Change the rule of {path}, then replay.")
    text = advice.format(message=message, path=path, target=ctx.target,
                         source_system=ctx.source, source=_from(problem))
    return Hint(f"{target or 'The record'}: {text}", _edit(path), target)


# DependencyMissing -----------------------------------------------------------------------------

def _dependency_missing(reason: str, problems: list[dict[str, Any]], ctx: _Context
                        ) -> list[Hint]:
    hints = []
    listed = problems or [{"message": part.strip(), "kind": "lookup"}
                          for part in reason.partition(": ")[2].split("; ") if part.strip()]
    for problem in listed:
        miss = _LOOKUP_MISS.search(str(problem.get("message") or ""))
        if miss is None or not miss["table"]:
            continue
        value = _seen(miss["value"], problem, ctx.source_record)
        hints.append(_missing_record_hint(miss["table"], value, ctx,
                                          field_path=str(problem.get("target_path") or "")))
    if not hints:
        hints.append(Hint("This record points at another record that has not synced yet, "
                          f"and waited for it through every retry ({reason}). Sync that "
                          "record first, then replay.", _replay()))
    return hints


# The connection, the system ---------------------------------------------------------------------

def _failing_side(ctx: _Context) -> tuple[str, int | None]:
    """The pipeline blames the target once the source record was read."""
    if ctx.source_record is not None:
        return ctx.target, ctx.facts.target_connection
    return ctx.source, ctx.facts.source_connection


def _reconnect(reason: str, problems: list[dict[str, Any]], ctx: _Context) -> list[Hint]:
    system, connection = _failing_side(ctx)
    params = {"connection": connection} if connection is not None else {}
    return [Hint(f"{system} refused our credentials ({reason}). Open the connection, sign in "
                 "again or enter new credentials, test it, then replay.",
                 Action(RECONNECT, params)),
            Hint("Once the connection tests green, replay this record.", _replay())]


def _permission(reason: str, problems: list[dict[str, Any]], ctx: _Context) -> list[Hint]:
    system, connection = _failing_side(ctx)
    params = {"connection": connection} if connection is not None else {}
    return [Hint(f"The {system} account is signed in but may not do this ({reason}). Give the "
                 "account that permission in {system} (or reconnect with an account that "
                 "has it), then replay.".replace("{system}", system),
                 Action(RECONNECT, params)),
            Hint("Once the account has the permission, replay this record.", _replay())]


def _configuration(reason: str, problems: list[dict[str, Any]], ctx: _Context) -> list[Hint]:
    system, connection = _failing_side(ctx)
    params = {"connection": connection} if connection is not None else {}
    return [Hint(f"The {system} connection is set up wrongly ({reason}). Correct it on the "
                 "connection page, test it, then replay.", Action(RECONNECT, params)),
            Hint("Once the connection tests green, replay this record.", _replay())]


def _transient(reason: str, problems: list[dict[str, Any]], ctx: _Context) -> list[Hint]:
    system, _ = _failing_side(ctx)
    return [Hint(f"{system} kept failing or timing out through every retry ({reason}). If "
                 f"{system} is working again (check its status page), replay.", _replay())]


def _rate_limited(reason: str, problems: list[dict[str, Any]], ctx: _Context) -> list[Hint]:
    system, _ = _failing_side(ctx)
    return [Hint(f"{system} kept asking us to slow down through every retry ({reason}). "
                 "Replay once the backlog has cleared; if it keeps happening, ask "
                 f"{system} for a higher API limit.", _replay())]


def _not_found(reason: str, problems: list[dict[str, Any]], ctx: _Context) -> list[Hint]:
    record = f" {ctx.external_id}" if ctx.external_id else ""
    if ctx.source_record is None:
        return [Hint(f"{ctx.source} has no record{record} ({reason}): it was deleted, or the "
                     "event came before it was saved. If it exists now, replay; if it was "
                     "deleted, discard this.", _replay()),
                Hint("If the record was deleted on purpose, nothing needs syncing.",
                     Action(DISCARD, {}))]
    return [Hint(f"{ctx.target} no longer has the record this one updates, or one it points "
                 f"at ({reason}). If it was deleted there, recreate it (or discard this); "
                 "if another record must sync first, sync it, then replay.", _replay())]


def _refused(reason: str, problems: list[dict[str, Any]], ctx: _Context) -> list[Hint]:
    named = _field_named(reason, ctx.mapped_record)
    if problems:
        hints = []
        for problem in problems:
            hints.extend(_problem_hints(problem, ctx))
        return hints
    if named:
        return [Hint(f"{ctx.target} refused {named} ({reason}). Correct it in {ctx.source}, or "
                     f"change the rule of {named} in the mapping, then replay.",
                     _edit(named), named)]
    return [Hint(f"{ctx.target} refused the record ({reason}). Correct the data in "
                 f"{ctx.source} or the mapping, then replay.", _edit(""))]


def _field_named(reason: str, mapped_record: Any) -> str:
    """The mapped record's field a refusal names (``warehouseId is required``)."""
    if not isinstance(mapped_record, dict):
        return ""
    for name in mapped_record:
        if isinstance(name, str) and re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", reason):
            return name
    return ""


# Quality checks -------------------------------------------------------------------------------

_CHECK_WORDS = {"address": "address check", "dedupe": "duplicate check",
                "anomaly": "unusual-values check"}


def _held(reason: str, problems: list[dict[str, Any]], ctx: _Context) -> list[Hint]:
    hints = []
    for problem in problems or [{"kind": "quality.", "message": reason}]:
        hints.extend(_held_hints(problem, ctx))
    hints.append(Hint("If it is wrong and should not sync, discard it.", Action(DISCARD, {})))
    return hints


def _held_hints(problem: Mapping[str, Any], ctx: _Context) -> list[Hint]:
    check = str(problem.get("check") or str(problem.get("kind", "")).partition(".")[2])
    message = str(problem.get("message") or "")
    path = str(problem.get("target_path") or problem.get("source_path") or "")
    words = _CHECK_WORDS.get(check, "quality check")
    approve = Action(APPROVE, {"checks": [check] if check else []})
    at = f" at {path}" if path else ""
    if check == "address":
        return [Hint(f"The {words} held this record: the address{at} looks invalid "
                     f"({message}). If the address is right, approve it (it syncs without "
                     f"the address check); if not, correct it in {ctx.source} and replay.",
                     approve, path)]
    if check == "dedupe":
        data = problem.get("data") or {}
        match = data.get("target_id") if isinstance(data, dict) else None
        other = f" {ctx.target} record {match}" if match else f" a record in {ctx.target}"
        hints = [Hint(f"The {words} held this record: it looks like{other} ({message}). If "
                      "it is a different one, approve it to create it; if it is the same, "
                      "link it to that record or discard this.", approve, path)]
        choices = link_choices(data if isinstance(data, dict) else {})
        if choices:
            hints.append(Hint(f"Link it to the existing {ctx.target} record: this sync and "
                              "later ones update that record instead of creating another.",
                              Action(LINK_DUPLICATE, {"choices": choices}), path))
        return hints
    if check == "anomaly":
        return [Hint(f"The {words} held this record: {message}{at}. If the value is right "
                     f"(a real price change, a big order), approve it; if not, correct it in "
                     f"{ctx.source} and replay, or discard this.", approve, path)]
    return [Hint(f"A {words} held this record: {message}. Review it, then approve it or "
                 "discard it.", approve, path)]


def link_choices(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The best match first, then the other candidates the check kept for the reviewer."""
    choices, seen = [], set()
    best = {"target_id": data.get("target_id"), "label": data.get("label", ""),
            "score": data.get("score")}
    for candidate in [best, *(data.get("candidates") or [])]:
        if not isinstance(candidate, Mapping):
            continue
        target_id = str(candidate.get("target_id") or "")
        if target_id and target_id not in seen:
            seen.add(target_id)
            choices.append({"target_id": target_id, "label": str(candidate.get("label") or ""),
                            "score": candidate.get("score")})
    return choices


def _address_invalid(reason: str, problems: list[dict[str, Any]], ctx: _Context
                     ) -> list[Hint]:
    hints = []
    for problem in problems or [{"message": reason}]:
        path = str(problem.get("target_path") or problem.get("source_path") or "")
        at = f" {path}" if path else ""
        value = value_at(ctx.source_record, str(problem.get("source_path") or ""))
        seen = f" {_quote(value)}" if value is not None else ""
        why = problem.get("message") or reason
        hints.append(Hint(f"The address{at}{seen} is not valid ({why}). Correct it in "
                          f"{ctx.source} (the customer's address), then replay.",
                          _replay(), path))
    return hints


# Ours, or unknown -------------------------------------------------------------------------------

def _document_error(reason: str, problems: list[dict[str, Any]], ctx: _Context) -> list[Hint]:
    return [Hint(f"The flow's mapping cannot be used ({reason}); a lookup table it names may "
                 "have been deleted. Open the mapping, fix what it lists, save, then replay.",
                 _edit(""))]


def _internal(reason: str, ctx: _Context) -> list[Hint]:
    return [Hint(f"An unexpected error on our side stopped this record ({reason}). Replay "
                 "it; if it fails the same way again, contact support with this dead "
                 "letter's number.", _replay())]


def _unknown(error_class: str, reason: str, ctx: _Context) -> list[Hint]:
    return [Hint(f"{error_class}: {reason}. Correct the record in {ctx.source} or the "
                 "flow's mapping as the reason says, then replay.", _replay())]


_BY_CLASS = {
    "MappingFailed": _mapping_failed,
    "DependencyMissing": _dependency_missing,
    "TransientError": _transient,
    "RateLimited": _rate_limited,
    "NotFound": _not_found,
    "AuthError": _reconnect,
    "PermissionDenied": _permission,
    "ConfigurationError": _configuration,
    "ValidationFailed": _refused,
    "ConnectorError": _refused,
    "HeldForReview": _held,
    "AddressInvalid": _address_invalid,
    "MappingDocumentError": _document_error,
}
REASON_CLASSES = tuple(_BY_CLASS)
