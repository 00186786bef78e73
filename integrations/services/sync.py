"""The sync pipeline: inbound events from the source system to the target, one step a line.

    claim → plan check → fetch source → echo check → quality checks → map
    → link (create or update? a duplicate?) → write → link + hash → follow-ups
    → transaction log → usage → what the flow learns from its records

Events come in batches (a webhook delivery's, up to ``events.EVENTS_PER_MESSAGE``): what a
flow's events share is read and written once per batch, each event is decided on its own.
Every failure is decided in one place (``_fail``): transient and rate-limited errors retry
with backoff honouring the system's wait, a missing dependency (an order whose product has not
synced yet) retries for longer, auth errors and permanent errors go to a dead letter now.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import jmespath
import redis
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db import connection as db
from django.utils import timezone

from billing import limits
from billing.services import usage_record
from integrations.connectors.base import Connector
from integrations.connectors.errors import (
    AuthError,
    ConnectorError,
    NotFound,
    NothingToSync,
    RateLimited,
    TransientError,
)
from integrations.connectors.registry import connector_class
from integrations.mapping import CompiledMapping
from integrations.models import (
    Connection,
    DeadLetter,
    Flow,
    InboundEvent,
    IntegrationPair,
    RecordLink,
    Transaction,
)
from integrations.services import circuit
from integrations.services.alerts import alerts_check_dead_letters, alerts_check_usage
from integrations.services.connections import connector_for
from integrations.services.quality import FlowQuality, HeldForReview, Note, notes_json
from integrations.services.runtime import (
    compiled_mapping,
    compiled_workflow,
    follow_up_args,
    link_table_names,
    mapping_for_step,
)
from integrations.workflow import (
    StepFailed,
    Transformed,
    TransformProblems,
    ValidationFailed,
    Workflow,
)

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(seconds=settings.EVENT_LEASE_SECONDS)
ECHO_WINDOW = dt.timedelta(seconds=120)
MAX_ATTEMPTS = 12           # transient failures: ~1 s, 2 s, 4 s … capped at 5 min (~25 min)
MAX_DEPENDENCY_ATTEMPTS = 12  # waiting for another record to sync: up to ~2 h in all
HELD = None                 # next_attempt_at of an event held until its pair resumes
# A batch stops taking up its events after this long and sends the rest back to the queue,
# well inside the actor's time limit even when every call waits for its full timeout.
BATCH_TIME_BUDGET_S = 120.0


class DependencyMissing(Exception):
    """The record points at another record that has not synced to the target yet."""


class MappingFailed(Exception):
    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{p['target_path']}: {p['message']}" if p["target_path"]
                                   else p["message"] for p in problems))
        self.problems = problems


@dataclass
class Outcome:
    status: str
    message: str = ""


def payload_hash(record: Any) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Exact decimals leave as JSON numbers: the shortest float repr of a 2- or 4-place
        # amount reads back as the same decimal on the other side.
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def _jsonable(record: Any) -> Any:
    """Plain JSON data (what connectors send and the log stores)."""
    return json.loads(json.dumps(record, default=_json_default)) if record is not None else None


def events_claim(*, event_ids: Sequence[int], now: dt.datetime | None = None
                 ) -> list[InboundEvent]:
    """Take the events for this worker in one statement, in the order they arrived; events
    that are done, held, not yet due or leased by another worker are left out."""
    if not event_ids:
        return []
    now = now or timezone.now()
    table = InboundEvent._meta.db_table
    # One UPDATE instead of SELECT … FOR UPDATE + UPDATE per event: a row another worker is
    # claiming at the same moment is re-checked after its lock is released, so it is taken
    # at most once.
    claimed = list(InboundEvent.objects.raw(
        f"UPDATE {table} SET status = %s, lease_until = %s, attempts = attempts + 1 "  # noqa: S608
        "WHERE id = ANY(%s) AND (status = %s OR (status = %s AND lease_until < %s) "
        "OR (status = %s AND next_attempt_at <= %s)) RETURNING *",
        [InboundEvent.Status.PROCESSING, now + LEASE, list(event_ids),
         InboundEvent.Status.PENDING, InboundEvent.Status.PROCESSING, now,
         InboundEvent.Status.RETRYING, now]))
    return sorted(claimed, key=lambda e: e.pk)


def _record_lock_key(flow_id: int, external_id: str) -> int:
    digest = hashlib.blake2b(f"{db.schema_name}:{flow_id}:{external_id}".encode(),
                             digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _advisory(function: str, keys: list[int]) -> list[bool]:
    if not keys:
        return []
    with db.cursor() as cursor:
        # WITH ORDINALITY keeps the answers in the order of the keys.
        cursor.execute(f"SELECT {function}(k) FROM unnest(%s::bigint[]) WITH ORDINALITY "  # noqa: S608 - one of two function names of ours
                       "AS t(k, n) ORDER BY n", [keys])
        return [bool(row[0]) for row in cursor.fetchall()]


def event_process(*, event_id: int) -> Outcome:
    """Sync one event (see ``events_process``)."""
    return events_process(event_ids=[event_id]).get(event_id) or Outcome("not-claimed")


def events_process(*, event_ids: Sequence[int]) -> dict[int, Outcome]:
    """Sync a batch of events (usually one webhook delivery's), each through the pipeline.

    A batch shares what events of one flow have in common: one claim, one lock round trip,
    the flow, its compiled mapping and connectors, one fetch of the source records where the
    system can read many at once, one read of their links, and one write of the links,
    transaction log, event states and usage at the end. Each event still succeeds or fails
    on its own."""
    events = events_claim(event_ids=event_ids)
    if not events:
        return {}
    # One event per record at a time: two events for the same order handled by two threads
    # would both find no link and both create it. Session-level advisory locks are held across
    # the HTTP calls without a long transaction, and die with the worker's connection. The
    # same record twice in one batch is fine: this session holds the lock and runs them in
    # order.
    keys = [_record_lock_key(e.flow_id, e.external_id) for e in events]
    locked = _advisory("pg_try_advisory_lock", keys)
    outcomes: dict[int, Outcome] = {}
    try:
        runnable: dict[int, list[InboundEvent]] = {}
        for event, ok in zip(events, locked, strict=True):
            if ok:
                runnable.setdefault(event.flow_id, []).append(event)
            else:
                outcomes[event.pk] = _defer(event, 1.0, "Another change to the same record is "
                                                        "being synced; this one follows it.")
        deadline = time.monotonic() + BATCH_TIME_BUDGET_S
        for flow_id, flow_events in runnable.items():
            outcomes.update(_flow_events_run(flow_id, flow_events, deadline))
    finally:
        _advisory("pg_advisory_unlock", [k for k, ok in zip(keys, locked, strict=True) if ok])
    return outcomes


@dataclass
class _Done:
    """An event that reached its end (written or skipped), waiting for the batch's write."""

    event: InboundEvent
    status: str
    started: dt.datetime
    duration_ms: int
    action: str = Transaction.Action.NONE
    target_id: str = ""
    message: str = ""
    source_record: Any = None
    target_record: Any = None
    quality: list[Note] | None = None


class _FlowBatch:
    """What one flow's events in a batch share, and what they write at the end."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.done: list[_Done] = []
        self.links: dict[str, RecordLink] = {}

    def finish(self, done: _Done, *, link: RecordLink | None = None) -> Outcome:
        self.done.append(done)
        if link is not None:
            self.links[link.source_id] = link
        status = (InboundEvent.Status.DONE if done.status == Transaction.Status.SUCCESS
                  else InboundEvent.Status.SKIPPED)
        return Outcome(status, done.message)

    def flush(self) -> None:
        """Links, log rows and event states in one transaction; then usage once."""
        if not self.done:
            return
        now = timezone.now()
        with transaction.atomic():
            if self.links:
                _rows_insert(RecordLink, ["flow_id", "source_id", "target_id", "natural_key",
                                          "payload_hash", "last_synced_at"],
                             [(self.flow.pk, link.source_id, link.target_id, link.natural_key,
                               link.payload_hash, link.last_synced_at)
                              for link in self.links.values()],
                             # One statement on the (flow, source_id) unique constraint.
                             suffix="ON CONFLICT (flow_id, source_id) DO UPDATE SET "
                                    "target_id = EXCLUDED.target_id, "
                                    "payload_hash = EXCLUDED.payload_hash, "
                                    "natural_key = EXCLUDED.natural_key, "
                                    "last_synced_at = EXCLUDED.last_synced_at")
            _rows_insert(Transaction, TRANSACTION_COLUMNS, [(
                self.flow.pk, d.event.pk, d.event.external_id, str(d.target_id or ""),
                d.status, d.action, d.event.attempts, "", d.message,
                _json_text(d.source_record), _json_text(d.target_record),
                _json_text(notes_json(d.quality or [])), d.started,
                d.duration_ms) for d in self.done],
                jsonb={"source_record", "target_record", "quality"})
            for status in (InboundEvent.Status.DONE, InboundEvent.Status.SKIPPED):
                ids = [d.event.pk for d in self.done
                       if (d.status == Transaction.Status.SUCCESS) == (
                           status == InboundEvent.Status.DONE)]
                if ids:
                    InboundEvent.objects.filter(pk__in=ids).update(
                        status=status, processed_at=now, lease_until=None, last_error="")
        synced = sum(1 for d in self.done if d.status == Transaction.Status.SUCCESS)
        if synced:
            used = usage_record(tenant=db.tenant, transactions=synced)
            alerts_check_usage(used=used, allowance=_allowance(), added=synced)
        self.done, self.links = [], {}


TRANSACTION_COLUMNS = ["flow_id", "event_id", "source_id", "target_id", "status", "action",
                       "attempt", "error_class", "message", "source_record", "target_record",
                       "quality", "started_at", "duration_ms"]


def _json_text(record: Any) -> str | None:
    return None if record is None else json.dumps(record, default=_json_default)


def _rows_insert(model: type[Any], columns: list[str], rows: list[tuple[Any, ...]], *,
                 jsonb: frozenset[str] | set[str] = frozenset(), suffix: str = "") -> None:
    """One multi-row INSERT with plain placeholders. ``bulk_create`` sends PostgreSQL arrays
    (UNNEST), and quoting JSON text inside arrays cost the worker more CPU than the rest of
    a sync; JSON columns get text already dumped once."""
    if not rows:
        return
    row = "(" + ", ".join("%s::jsonb" if c in jsonb else "%s" for c in columns) + ")"
    with db.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 - our names
            f"VALUES {', '.join([row] * len(rows))} {suffix}",
            [value for values in rows for value in values])


def _flow_events_run(flow_id: int, events: list[InboundEvent], deadline: float
                     ) -> dict[int, Outcome]:
    # With the mapping's current version: connector_entity reads its document every batch.
    flow = Flow.objects.select_related("pair__brightpearl", "pair__partner",
                                       "mapping__current_version", "steps_version"
                                       ).get(pk=flow_id)
    started = timezone.now()
    hold = _hold_reason(flow)
    if hold:
        return {e.pk: _hold(e, flow, hold, started) for e in events}
    source_connection, target_connection = flow.source_connection, flow.target_connection
    for conn in (source_connection, target_connection):
        # Both rows were read with the flow a moment ago: no second query each.
        wait = circuit.open_for(conn, reload=False)
        if wait:
            return {e.pk: _defer(e, wait, f"{conn.name} is paused after repeated failures; "
                                          f"next try in {wait:.0f} s.") for e in events}
    batch = _FlowBatch(flow)
    outcomes: dict[int, Outcome] = {}
    clock = time.monotonic()
    # Decided before fetching: a record one we wrote moments ago from the other direction.
    echoes = _echoes(flow, {e.external_id for e in events})
    todo = []
    for event in events:
        if event.external_id in echoes:
            outcomes[event.pk] = batch.finish(_Done(
                event, Transaction.Status.SKIPPED, started, _ms(clock),
                message="Echo of our own write in the other direction; skipped."))
        else:
            todo.append(event)
    context = _FlowContext(flow)
    try:
        if todo:
            context.fetch([e.external_id for e in todo])
        for n, event in enumerate(todo):
            if time.monotonic() > deadline:
                # A batch of slow calls must not run into the message's time limit: the rest
                # go back to the queue at once, without counting an attempt.
                for rest in todo[n:]:
                    outcomes[rest.pk] = _defer(rest, 0, "Released for another worker: the "
                                                        "batch it came in ran long.")
                break
            outcomes[event.pk] = _event_run(event, context, batch)
    finally:
        batch.flush()
    try:
        context.quality.finish()
    except Exception:  # learning is best effort: the batch's syncs are done and recorded
        logger.exception("Flow %s could not learn from its batch", flow.pk)
    return outcomes


def _ms(clock: float) -> int:
    return int((time.monotonic() - clock) * 1000)


class _FlowContext:
    """A flow's connectors, mapping, source records and links, read once per batch."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.source_entity = connector_entity(flow, "source")
        self.target_entity = connector_entity(flow, "target")
        self._source: Connector | None = None
        self._target: Connector | None = None
        self._mapping: CompiledMapping | None = None
        self._workflow: Workflow | None = None
        self._step_mappings: dict[tuple[str | None, int | None], tuple[CompiledMapping, str]] = {}
        self.records: dict[str, Any] = {}
        self.links: dict[str, RecordLink] = {}
        self.quality = FlowQuality(flow)

    @property
    def source(self) -> Connector:
        if self._source is None:
            self._source = connector_for(self.flow.source_connection)
        return self._source

    @property
    def target(self) -> Connector:
        if self._target is None:
            self._target = connector_for(self.flow.target_connection)
        return self._target

    @property
    def mapping(self) -> CompiledMapping:
        if self._mapping is None:
            self._mapping = compiled_mapping(self.flow)
        return self._mapping

    @property
    def workflow(self) -> Workflow:
        if self._workflow is None:
            self._workflow = compiled_workflow(self.flow)
        return self._workflow

    def step_mapping(self, name: str | None, number: int | None
                     ) -> tuple[CompiledMapping, str]:
        """A transform step's mapping and target entity, looked up once per batch."""
        if name is None and number is None:
            return self.mapping, self.target_entity
        key = (name, number)
        if key not in self._step_mappings:
            try:
                self._step_mappings[key] = mapping_for_step(self.flow, name, number)
            except LookupError as exc:  # renamed or deleted since the steps were saved
                raise MappingFailed([{"target_path": "", "source_path": "",
                                      "kind": "step.transform", "message": str(exc)}]) from None
        return self._step_mappings[key]

    def fetch(self, source_ids: list[str]) -> None:
        """Source records (or the error reading each) and existing links, for all ids."""
        unique = list(dict.fromkeys(source_ids))
        try:
            self.records = self.source.get_batch(self.source_entity, unique)
        except Exception as exc:  # each event fails with it, decided in _fail
            self.records = dict.fromkeys(unique, exc)
        self.links = {link.source_id: link for link in
                      RecordLink.objects.filter(flow=self.flow, source_id__in=unique)}


def _event_run(event: InboundEvent, context: _FlowContext, batch: _FlowBatch) -> Outcome:
    flow = context.flow
    started, clock = timezone.now(), time.monotonic()
    record = mapped = None
    notes: list[Note] = []
    try:
        fetched = context.records[event.external_id]  # every id of the batch was fetched
        if isinstance(fetched, NothingToSync):
            return batch.finish(_Done(event, Transaction.Status.SKIPPED, started, _ms(clock),
                                      message=fetched.message))
        if isinstance(fetched, Exception):
            raise fetched
        record = fetched  # a record held for review is shown as it came
        steps = _SyncSteps(context, event, notes)
        try:
            run = context.workflow.run(record, steps)
        except TransformProblems as exc:
            if _waits_for_dependency(flow, exc.problems):
                raise DependencyMissing("; ".join(p["message"] for p in exc.problems)) from None
            raise MappingFailed(exc.problems) from None
        record = run.source
        if run.skipped:
            return batch.finish(_Done(event, Transaction.Status.SKIPPED, started, _ms(clock),
                                      message=run.reason, source_record=record,
                                      quality=notes))
        mapped = _jsonable(run.record)
        target_entity = run.target_entity or context.target_entity
        link = context.links.get(event.external_id)
        digest = payload_hash(mapped)
        if link and link.payload_hash == digest:
            return batch.finish(_Done(event, Transaction.Status.SKIPPED, started, _ms(clock),
                                      message="No change since the last sync.",
                                      target_id=link.target_id, source_record=record,
                                      target_record=mapped, quality=notes))
        target = context.target
        target_id = link.target_id if link else None
        if target_id is None and event.attempts > 1:
            # An earlier attempt may have written and died before linking: find that record
            # rather than create it twice.
            target_id = target.find_existing(target_entity, mapped)
        if target_id is None and link is None and steps.dedupe:
            target_id = context.quality.existing_match(event, target, target_entity,
                                                       mapped, notes)
        written = target.upsert(target_entity, mapped, external_id=target_id)
        link = context.links[event.external_id] = RecordLink(
            flow=flow, source_id=event.external_id, target_id=str(written.id),
            payload_hash=digest, natural_key=_natural_key(flow, record),
            last_synced_at=timezone.now())
        follow_up_notes = _follow_ups(flow, run.follow_ups, record, written.id)
        circuit.record_success(flow.source_connection)
        circuit.record_success(flow.target_connection)
        if not any(n.check == "anomaly" for n in notes):
            context.quality.passed_record(record)
        return batch.finish(_Done(
            event, Transaction.Status.SUCCESS, started, _ms(clock),
            action=Transaction.Action.CREATE if written.created else Transaction.Action.UPDATE,
            target_id=written.id, message=follow_up_notes, source_record=record,
            target_record=mapped, quality=notes), link=link)
    except Exception as exc:  # every failure is decided in one place
        # What the batch wrote so far goes first: a dependency the failure names may be in it.
        batch.flush()
        return _fail(event, flow, exc, started, clock, record, mapped, notes)


class _SyncSteps:
    """What a flow's steps need from the pipeline, for one event."""

    def __init__(self, context: _FlowContext, event: InboundEvent, notes: list[Note]) -> None:
        self.context, self.event, self.notes = context, event, notes
        self.dedupe = False   # the duplicate check runs at the write, before a create

    def transform(self, *, mapping: str | None, version: int | None, record: Any
                  ) -> Transformed:
        compiled, entity = self.context.step_mapping(mapping, version)
        result = compiled.apply(record)
        return Transformed(result.record, [p.as_json() for p in result.problems], entity)

    def enrich(self, *, system: str, entity: str, external_id: str) -> Any:
        connector = self.context.source if system == "source" else self.context.target
        try:
            return connector.get(entity, external_id)
        except NotFound:
            return None

    def check(self, *, check: str, record: Any, transformed: bool) -> tuple[Any, str]:
        quality = self.context.quality
        if check == "address":
            return quality.address(self.event, record, self.notes), "checked"
        if check == "anomaly":
            return quality.anomaly(self.event, record, self.notes), "checked"
        self.dedupe = True
        return record, "decided at the write, before a create"


def connector_entity(flow: Flow, side: str, *, document: dict[str, Any] | None = None) -> str:
    """What the ``side`` ("source" or "target") connector reads or writes for this flow.

    Usually the flow's canonical entity. Salesforce flows name their sObject in the mapping
    (two customer flows write Accounts and Contacts; stock goes onto ``Product2``), and a
    mapping may name another entity its connector has (Brightpearl ``journal`` for a payment
    flow that books journals)."""
    system = flow.source_system if side == "source" else flow.target_system
    if document is None:
        document = flow.mapping.current_document or {}
    named = str((document.get(side) or {}).get("entity") or "").partition(".")[0]
    if not named or named == flow.entity:
        return flow.entity
    if system == Connection.System.SALESFORCE or named in connector_class(system).entities:
        return named
    return flow.entity


_ALLOWANCES: dict[str, tuple[float, int | None]] = {}


def _allowance() -> int | None:
    """The plan's monthly allowance, cached a minute per process (read on every sync)."""
    cached = _ALLOWANCES.get(db.schema_name)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    subscription = getattr(db.tenant, "subscription", None)
    allowance = subscription.plan.monthly_transaction_allowance if subscription else None
    _ALLOWANCES[db.schema_name] = (time.monotonic() + 60, allowance)
    return allowance


def _hold_reason(flow: Flow) -> str:
    if flow.pair.status == IntegrationPair.Status.PAUSED:
        return f"The pair {flow.pair.name!r} is paused; the event waits until it resumes."
    if not flow.enabled:
        return f"The flow {flow.name!r} is off; the event waits until it is turned on."
    decision = limits.can_sync(tenant=db.tenant)
    return "" if decision else decision.reason


def _hold(event: InboundEvent, flow: Flow, reason: str, started: dt.datetime) -> Outcome:
    event.status = InboundEvent.Status.RETRYING
    event.next_attempt_at = HELD
    event.attempts = max(0, event.attempts - 1)  # holding is not a failed attempt
    event.last_error = reason
    event.lease_until = None
    event.save(update_fields=["status", "next_attempt_at", "attempts", "last_error",
                              "lease_until"])
    return Outcome("held", reason)


def _defer(event: InboundEvent, wait_s: float, reason: str) -> Outcome:
    """Try again later without counting an attempt: the event never reached the system."""
    jitter = random.uniform(0, 2)  # noqa: S311 - spreads the release, not security
    event.status = InboundEvent.Status.RETRYING
    event.next_attempt_at = timezone.now() + dt.timedelta(seconds=wait_s + jitter)
    event.attempts = max(0, event.attempts - 1)
    event.last_error = reason
    event.lease_until = None
    event.save(update_fields=["status", "next_attempt_at", "attempts", "last_error",
                              "lease_until"])
    from integrations.services.events import events_enqueue

    events_enqueue([event.pk], delay_ms=int((wait_s + jitter) * 1000))
    return Outcome("deferred", reason)


def _echoes(flow: Flow, source_ids: set[str]) -> set[str]:
    """Of these source ids, the changes we just wrote from the other direction of a two-way
    sync."""
    reverse = Flow.objects.filter(pair=flow.pair, entity=flow.entity,
                                  source_system=flow.target_system,
                                  target_system=flow.source_system)
    return set(RecordLink.objects.filter(
        flow__in=reverse, target_id__in=source_ids,
        last_synced_at__gte=timezone.now() - ECHO_WINDOW).values_list("target_id", flat=True))


def _waits_for_dependency(flow: Flow, problems: list[dict[str, str]]) -> bool:
    """Only misses in link tables (ids another flow has not synced yet), plus the required
    fields those misses left empty: retry later instead of dead-lettering now."""
    names = link_table_names(flow)
    misses = [p for p in problems if p["kind"] == "lookup"]
    return bool(misses) and all(
        any(f"'{name}'" in p["message"] for name in names) for p in misses
    ) and all(p["kind"] in ("lookup", "required", "schema.required") for p in problems)


def _natural_key(flow: Flow, record: Any) -> str:
    if not flow.natural_key:
        return ""
    try:
        value = jmespath.search(flow.natural_key, record)
    except jmespath.exceptions.JMESPathError:
        return ""
    return "" if value is None else str(value).strip()[:200]


def _follow_ups(flow: Flow, follow_ups: list[dict[str, Any]], record: Any, target_id: str
                ) -> str:
    """Run follow-up actions; a failure is reported on the transaction, not retried, because
    the main write has happened and retrying the event would not repeat it."""
    notes = []
    for follow_up in follow_ups:
        action = follow_up["action"]
        try:
            kwargs = follow_up_args(follow_up.get("args") or {},
                                    {"source": record, "target": {"id": target_id}})
            connection = flow.pair.connection_for(follow_up["system"])
            getattr(connector_for(connection), action)(**kwargs)
        except (ConnectorError, ValueError, TypeError, AttributeError) as exc:
            notes.append(f"Follow-up {action} failed: {exc}")
            logger.warning("Follow-up %s of flow %s failed: %s", action, flow.pk, exc)
        else:
            notes.append(f"Follow-up {action} done.")
    return " ".join(notes)


def backoff_s(attempt: int, *, wait_s: float | None = None, cap_s: float = 300) -> float:
    """Exponential backoff with full jitter, never sooner than the system asked."""
    delay = min(cap_s, 2 ** max(0, attempt - 1))
    delay = random.uniform(delay / 2, delay)  # noqa: S311 - jitter, not security
    return max(delay, wait_s or 0)


# Our own services failing (the Redis of the request budgets, the database) say nothing about
# the record or either system: the event tries again later instead of becoming a dead letter.
OWN_OUTAGES = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
               OperationalError, InterfaceError)


def _fail(event: InboundEvent, flow: Flow, exc: Exception, started: dt.datetime, clock: float,
          record: Any, mapped: Any, notes: list[Note] | None = None) -> Outcome:
    kind = type(exc).__name__
    message = str(exc) or kind
    retry_in: float | None = None
    if isinstance(exc, DependencyMissing):
        if event.attempts < MAX_DEPENDENCY_ATTEMPTS:
            retry_in = backoff_s(event.attempts, cap_s=1800)
        message = f"Waiting for a related record to sync first: {message}"
    elif isinstance(exc, RateLimited | TransientError | NotFound):
        if isinstance(exc, TransientError) and not isinstance(exc, RateLimited):
            failing = flow.target_connection if record is not None else flow.source_connection
            circuit.record_failure(failing, message)
        if event.attempts < MAX_ATTEMPTS:
            retry_in = backoff_s(event.attempts, wait_s=getattr(exc, "wait_s", None))
    elif isinstance(exc, OWN_OUTAGES):
        if event.attempts < MAX_ATTEMPTS:
            retry_in = backoff_s(event.attempts)
        message = f"Our own service was unavailable ({kind}): {message}"
    elif isinstance(exc, AuthError):
        failing = flow.target_connection if record is not None else flow.source_connection
        Connection.objects.filter(pk=failing.pk).update(health=Connection.Health.FAILING,
                                                        last_error=message)
    elif not isinstance(exc, ConnectorError | MappingFailed | HeldForReview | ValidationFailed
                        | StepFailed):
        logger.exception("Unexpected error processing event %s", event.pk)
        message = f"Internal error ({kind}): {message}"

    with transaction.atomic():
        Transaction.objects.create(
            flow=flow, event=event, source_id=event.external_id,
            status=Transaction.Status.RETRYING if retry_in is not None
            else Transaction.Status.FAILED,
            attempt=event.attempts, error_class=kind, message=message[:5000],
            source_record=_jsonable(record), target_record=_jsonable(mapped),
            quality=_jsonable(notes_json(notes or [])), started_at=started,
            duration_ms=int((time.monotonic() - clock) * 1000))
        event.last_error = message[:5000]
        event.lease_until = None
        if retry_in is not None:
            event.status = InboundEvent.Status.RETRYING
            event.next_attempt_at = timezone.now() + dt.timedelta(seconds=retry_in)
            event.save(update_fields=["status", "next_attempt_at", "last_error", "lease_until"])
        else:
            event.status = InboundEvent.Status.DEAD
            event.processed_at = timezone.now()
            event.save(update_fields=["status", "processed_at", "last_error", "lease_until"])
            DeadLetter.objects.update_or_create(event=event, defaults={
                "flow": flow, "error_class": kind, "reason": message[:5000],
                "problems": _jsonable(getattr(exc, "problems", [])),
                "source_record": _jsonable(record),
                "mapped_record": _jsonable(mapped), "attempts": event.attempts,
                "resolution": DeadLetter.Resolution.OPEN, "resolved_at": None})
    if retry_in is not None:
        from integrations.services.events import events_enqueue

        # Robust: with the broker down the retry is still stored, and the sweeper sends it.
        transaction.on_commit(lambda: events_enqueue([event.pk], delay_ms=int(retry_in * 1000)),
                              robust=True)
        return Outcome("retrying", message)
    alerts_check_dead_letters(flow=flow)
    return Outcome("dead", message)
