"""Dead letters: replay (one, or every one matching a filter) with the current mapping, or
discard. Replay sends the original event through the pipeline again; because writes go
through record links, a replay updates what an earlier attempt created, never duplicates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from integrations.mapping import MappingDocumentError, compile_mapping
from integrations.mapping.editing import RuleError, rule_at, rule_set
from integrations.models import Connection, DeadLetter, Flow, InboundEvent, LookupEntry, LookupTable
from integrations.pair_templates import template_get
from integrations.quality.hints import (
    ADD_LOOKUP_ENTRY,
    CHANGE_DATE_FORMAT,
    SYNC_MISSING_RECORD,
    Action,
    FlowFacts,
    Hint,
    LinkSource,
    action_identity,
    hint_for,
)
from integrations.services.events import events_enqueue
from integrations.services.mappings import mapping_version_create
from integrations.services.records import flow_record_find, flow_record_sync


def _open(letters: QuerySet[DeadLetter]) -> QuerySet[DeadLetter]:
    return letters.filter(resolution=DeadLetter.Resolution.OPEN)


@transaction.atomic
def dead_letters_replay(*, letters: QuerySet[DeadLetter], by: str = "") -> int:
    """Send every open dead letter in ``letters`` back through the pipeline; return how many."""
    chosen = list(_open(letters).select_for_update(skip_locked=True)
                  .values_list("pk", "event_id"))
    if not chosen:
        return 0
    event_ids = [event_id for _, event_id in chosen]
    InboundEvent.objects.filter(pk__in=event_ids).update(
        status=InboundEvent.Status.PENDING, attempts=0, next_attempt_at=None, last_error="",
        processed_at=None, lease_until=None)
    DeadLetter.objects.filter(pk__in=[pk for pk, _ in chosen]).update(
        resolution=DeadLetter.Resolution.REPLAYED, resolved_at=timezone.now(), resolved_by=by)
    transaction.on_commit(lambda: events_enqueue(event_ids))
    return len(chosen)


def dead_letter_replay(*, letter: DeadLetter, by: str = "") -> bool:
    return dead_letters_replay(letters=DeadLetter.objects.filter(pk=letter.pk), by=by) == 1


@transaction.atomic
def dead_letters_discard(*, letters: QuerySet[DeadLetter] | Iterable[DeadLetter],
                         by: str = "") -> int:
    ids = [letter.pk for letter in letters] if not isinstance(letters, QuerySet) else None
    queryset = DeadLetter.objects.filter(pk__in=ids) if ids is not None else letters
    return _open(queryset).update(resolution=DeadLetter.Resolution.DISCARDED,
                                  resolved_at=timezone.now(), resolved_by=by)


# --- error hints and their one-click fixes --------------------------------------------------
# What a person is told to do about a dead letter (integrations/quality/hints.py), and the
# fixes the portal's buttons make: each does its change, then replays this dead letter and
# the flow's other open ones the same change puts right.

_LABELS = dict(Connection.System.choices)
# Open dead letters looked at for "the others the same fix puts right": the newest this many.
SAME_FIX_SCAN = 5000


def flow_hint_facts(*, flow: Flow) -> FlowFacts:
    """What hints need to know about ``flow``: its systems, connections and the link tables
    of its pair template (which flow fills each, keyed by which id)."""
    pair = flow.pair
    try:
        template = template_get(pair.template_key)
    except LookupError:
        template = None
    link_tables: dict[str, tuple[LinkSource, ...]] = {}
    if template is not None:
        flows = {f.key: f for f in template.flows}
        for table in template.link_tables:
            link_tables[table.name] = tuple(
                LinkSource(flow=s.flow, key=s.key, entity=flows[s.flow].entity,
                           system=flows[s.flow].source,
                           system_label=_LABELS.get(flows[s.flow].source, flows[s.flow].source),
                           natural_key=flows[s.flow].natural_key or "")
                for s in table.sources if s.flow in flows)

    def connection_id(system: str) -> int | None:
        return pair.brightpearl_id if system == Connection.System.BRIGHTPEARL else pair.partner_id

    return FlowFacts(source_label=_LABELS.get(flow.source_system, flow.source_system),
                     target_label=_LABELS.get(flow.target_system, flow.target_system),
                     source_connection=connection_id(flow.source_system),
                     target_connection=connection_id(flow.target_system),
                     link_tables=link_tables)


def dead_letter_hints(*, letter: DeadLetter, facts: FlowFacts | None = None) -> list[Hint]:
    return hint_for(letter.error_class, letter.reason, letter.problems, letter.source_record,
                    facts=facts or flow_hint_facts(flow=letter.flow),
                    mapped_record=letter.mapped_record, external_id=letter.event.external_id)


def dead_letters_same_fix(*, letter: DeadLetter, action: Action) -> list[int]:
    """The flow's open dead letters (this one included) that ``action`` puts right: those
    of the same class whose hints name the same lookup key, missing record or date field."""
    wanted = action_identity(action)
    facts = flow_hint_facts(flow=letter.flow)
    candidates = (DeadLetter.objects.filter(flow_id=letter.flow_id, error_class=letter.error_class,
                                            resolution=DeadLetter.Resolution.OPEN)
                  .order_by("-pk").values_list("pk", "reason", "problems", "source_record")
                  [:SAME_FIX_SCAN])
    found = []
    for pk, reason, problems, source_record in candidates:
        hints = hint_for(letter.error_class, reason, problems, source_record, facts=facts)
        if any(action_identity(h.action) == wanted for h in hints if h.action):
            found.append(pk)
    if letter.pk not in found and letter.resolution == DeadLetter.Resolution.OPEN:
        found.append(letter.pk)
    return found


@dataclass(frozen=True)
class FixDone:
    """What a one-click fix changed, and how many dead letters it sent back."""

    message: str
    replayed: int


def _replay_matching(letter: DeadLetter, action: Action, *, replay: str, by: str) -> int:
    if replay == "all":
        ids = dead_letters_same_fix(letter=letter, action=action)
    elif replay == "this":
        ids = [letter.pk]
    else:
        return 0
    return dead_letters_replay(letters=DeadLetter.objects.filter(pk__in=ids), by=by)


@transaction.atomic
def dead_letter_lookup_entry_add(*, letter: DeadLetter, table: str, key: str, value: str,
                                 replay: str = "all", by: str = "") -> FixDone:
    """Add ``key`` → ``value`` to the lookup table the dead letter missed, then replay it
    (``replay="this"``), it and the flow's others missing that key (``"all"``), or none."""
    found = LookupTable.objects.select_for_update().filter(name=table).first()
    if found is None:
        raise ValidationError({"table": [f"There is no lookup table {table!r}."]})
    key = key.strip()
    if not key:
        raise ValidationError({"key": ["Give the key the entry is for."]})
    existing = found.entries.filter(key=key).first()
    if existing is not None:
        raise ValidationError({"key": [
            f"{table!r} already maps {key!r} to {existing.value!r}. Replay the dead letter to "
            "use it, or change the entry in the lookup table."]})
    LookupEntry.objects.create(table=found, key=key, value=value.strip())
    # A new updated_at makes every cached compiled mapping see the entry.
    found.save(update_fields=["updated_at"])
    action = Action(ADD_LOOKUP_ENTRY, {"table": table, "key": key})
    replayed = _replay_matching(letter, action, replay=replay, by=by)
    return FixDone(f"Added {key!r} → {value.strip()!r} to {table!r}.", replayed)


def _date_step_index(steps: Any) -> int | None:
    if not isinstance(steps, list):
        return None
    for index, step in enumerate(steps):
        if step == "date" or (isinstance(step, dict) and set(step) == {"date"}):
            return index
    return None


def _date_reads(step_args: dict[str, Any], value: Any) -> str:
    """What is wrong when the date step with ``step_args`` reads ``value`` ("" when it reads
    it): the engine's own answer, so the check is the one records get."""
    document = {"format_version": 1, "fields": {
        "value": {"from": "value", "transform": [{"date": step_args}]}}}
    try:
        result = compile_mapping(document, schema=None).apply({"value": value}, validate=False)
    except MappingDocumentError as exc:
        return "; ".join(p.message for p in exc.problems)
    return "; ".join(p.message for p in result.problems)


@transaction.atomic
def dead_letter_date_format_change(*, letter: DeadLetter, field_path: str, date_format: str,
                                   value: Any = None, replay: str = "all", by: str = ""
                                   ) -> FixDone:
    """Save a new version of the flow's mapping whose date step at ``field_path`` reads
    ``date_format``, then replay (this one, or every open one of the flow with a date
    problem at that field)."""
    mapping = letter.flow.mapping
    document = mapping.current_document or {}
    date_format = date_format.strip()
    if not date_format:
        raise ValidationError({"format": ["Give the date format (iso, unix, unix_ms or a "
                                          "strptime format such as %d/%m/%Y)."]})
    spec = rule_at(document, field_path).spec
    index = _date_step_index(spec.get("transform")) if isinstance(spec, dict) else None
    if index is None:
        raise ValidationError({"field": [
            f"The rule of {field_path!r} has no date step of its own (it may sit inside a "
            "condition); change it in the mapping editor."]})
    step = spec["transform"][index]
    args = step["date"] if isinstance(step, dict) else {}
    args = dict(args) if isinstance(args, dict) else {"to": args}
    args["from"] = date_format
    if value is not None:
        problem = _date_reads(args, value)
        if problem:
            raise ValidationError({"format": [f"{date_format!r} does not read {value!r}: "
                                              f"{problem}."]})
    transform = list(spec["transform"])
    transform[index] = {"date": args}
    try:
        changed = rule_set(document, field_path, {**spec, "transform": transform})
    except RuleError as exc:
        raise ValidationError({"field": [str(exc)]}) from exc
    version = mapping_version_create(
        mapping=mapping, document=changed, created_by=by,
        comment=f"{field_path}: dates read as {date_format} (fix from dead letter {letter.pk})")
    action = Action(CHANGE_DATE_FORMAT, {"field": field_path})
    replayed = _replay_matching(letter, action, replay=replay, by=by)
    return FixDone(f"Saved version {version.number} of the mapping: {field_path} reads dates "
                   f"as {date_format}.", replayed)


def dead_letter_missing_record_sync(*, letter: DeadLetter, flow_key: str, record_id: str = "",
                                    natural_key: str = "", replay: str = "all", by: str = ""
                                    ) -> FixDone:
    """Sync the record the dead letter waited for (by id, or found by its natural key in
    the other flow's source), then replay: the replayed record waits, through the pipeline's
    dependency retries, until that one has synced."""
    flow = Flow.objects.filter(pair_id=letter.flow.pair_id, key=flow_key).first()
    if flow is None:
        raise ValidationError({"flow": [f"This integration has no flow {flow_key!r}."]})
    record_id, natural_key = record_id.strip(), natural_key.strip()
    if not record_id and not natural_key:
        raise ValidationError({"id": ["Give the id of the record to sync."]})
    if not record_id:
        record_id = flow_record_find(flow=flow, natural_key=natural_key)
    with transaction.atomic():
        flow_record_sync(flow=flow, external_id=record_id, by=by)
        params = {"flow": flow_key, "id": record_id} if not natural_key else {
            "flow": flow_key, "natural_key": natural_key}
        replayed = _replay_matching(letter, Action(SYNC_MISSING_RECORD, params), replay=replay,
                                    by=by)
    return FixDone(f"Asked {flow.name!r} to sync {flow.get_source_system_display()} "
                   f"{flow.entity.replace('_', ' ')} {record_id}.", replayed)
