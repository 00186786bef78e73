"""The sync pipeline: one inbound event from the source system to the target, one step a line.

    claim → plan check → fetch source → echo check → map → link (create or update?) → write →
    link + hash → follow-ups → transaction log → usage

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
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import jmespath
from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from billing import limits
from billing.services import usage_record
from integrations.connectors.errors import (
    AuthError,
    ConnectorError,
    NotFound,
    NothingToSync,
    RateLimited,
    TransientError,
)
from integrations.connectors.registry import connector_class
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
from integrations.services.runtime import compiled_mapping, follow_up_args, link_table_names

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(seconds=settings.EVENT_LEASE_SECONDS)
ECHO_WINDOW = dt.timedelta(seconds=120)
MAX_ATTEMPTS = 12           # transient failures: ~1 s, 2 s, 4 s … capped at 5 min (~25 min)
MAX_DEPENDENCY_ATTEMPTS = 12  # waiting for another record to sync: up to ~2 h in all
HELD = None                 # next_attempt_at of an event held until its pair resumes


class DependencyMissing(Exception):
    """The record points at another record that has not synced to the target yet."""


class MappingFailed(Exception):
    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{p['target_path']}: {p['message']}" for p in problems))
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


def event_claim(*, event_id: int, now: dt.datetime | None = None) -> InboundEvent | None:
    """Take the event for this worker, or None if it is done or another worker holds it."""
    now = now or timezone.now()
    with transaction.atomic():
        event = (InboundEvent.objects.select_for_update(skip_locked=True)
                 .filter(pk=event_id).first())
        if event is None or event.status in (InboundEvent.Status.DONE,
                                             InboundEvent.Status.SKIPPED,
                                             InboundEvent.Status.DEAD,
                                             InboundEvent.Status.UNROUTED):
            return None
        if event.status == InboundEvent.Status.PROCESSING and event.lease_until and (
                event.lease_until > now):
            return None
        if event.status == InboundEvent.Status.RETRYING and (
                event.next_attempt_at is HELD or event.next_attempt_at > now):
            return None
        event.status = InboundEvent.Status.PROCESSING
        event.lease_until = now + LEASE
        event.attempts += 1
        event.save(update_fields=["status", "lease_until", "attempts"])
    return event


def _record_lock_key(flow_id: int, external_id: str) -> int:
    digest = hashlib.blake2b(f"{db.schema_name}:{flow_id}:{external_id}".encode(),
                             digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def event_process(*, event_id: int) -> Outcome:
    event = event_claim(event_id=event_id)
    if event is None:
        return Outcome("not-claimed")
    # One event per record at a time: two events for the same order handled by two threads
    # would both find no link and both create it. A session-level advisory lock is held across
    # the HTTP calls without a long transaction, and dies with the worker's connection.
    key = _record_lock_key(event.flow_id, event.external_id)
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        locked = cursor.fetchone()[0]
    if not locked:
        return _defer(event, 1.0, "Another change to the same record is being synced; "
                                  "this one follows it.")
    try:
        return _event_run(event)
    finally:
        with db.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def _event_run(event: InboundEvent) -> Outcome:
    # With the mapping's current version: connector_entity reads its document every event.
    flow = Flow.objects.select_related("pair__brightpearl", "pair__partner",
                                       "mapping__current_version").get(pk=event.flow_id)
    started, clock = timezone.now(), time.monotonic()
    record = mapped = None
    try:
        hold = _hold_reason(flow)
        if hold:
            return _hold(event, flow, hold, started)
        source_connection, target_connection = flow.source_connection, flow.target_connection
        for conn in (source_connection, target_connection):
            # Both rows were read with the flow a moment ago: no second query each.
            wait = circuit.open_for(conn, reload=False)
            if wait:
                return _defer(event, wait, f"{conn.name} is paused after repeated failures; "
                                           f"next try in {wait:.0f} s.")
        if _is_echo(flow, event.external_id):
            # Decided before fetching: the record is one we wrote moments ago.
            return _finish(event, flow, started, clock, Transaction.Status.SKIPPED,
                           message="Echo of our own write in the other direction; skipped.")
        try:
            record = connector_for(source_connection).get(connector_entity(flow, "source"),
                                                          event.external_id)
        except NothingToSync as exc:
            return _finish(event, flow, started, clock, Transaction.Status.SKIPPED,
                           message=exc.message)
        result = compiled_mapping(flow).apply(record)
        if result.problems:
            problems = [{"target_path": p.target_path, "source_path": p.source_path or "",
                         "kind": p.kind, "message": p.message} for p in result.problems]
            if _waits_for_dependency(flow, problems):
                raise DependencyMissing("; ".join(p["message"] for p in problems))
            raise MappingFailed(problems)
        mapped = _jsonable(result.record)
        link = RecordLink.objects.filter(flow=flow, source_id=event.external_id).first()
        digest = payload_hash(mapped)
        if link and link.payload_hash == digest:
            return _finish(event, flow, started, clock, Transaction.Status.SKIPPED,
                           message="No change since the last sync.", target_id=link.target_id,
                           source_record=record, target_record=mapped)
        target = connector_for(target_connection)
        target_id = link.target_id if link else None
        if target_id is None and event.attempts > 1:
            # An earlier attempt may have written and died before linking: find that record
            # rather than create it twice.
            target_id = target.find_existing(connector_entity(flow, "target"), mapped)
        written = target.upsert(connector_entity(flow, "target"), mapped, external_id=target_id)
        _link_save(flow, event.external_id, written.id, digest, record)
        notes = _follow_ups(flow, record, written.id)
        circuit.record_success(source_connection)
        circuit.record_success(target_connection)
        used = usage_record(tenant=db.tenant, transactions=1)
        alerts_check_usage(used=used, allowance=_allowance())
        return _finish(event, flow, started, clock, Transaction.Status.SUCCESS,
                       action=Transaction.Action.CREATE if written.created
                       else Transaction.Action.UPDATE,
                       target_id=written.id, message=notes, source_record=record,
                       target_record=mapped)
    except Exception as exc:  # every failure is decided in one place
        return _fail(event, flow, exc, started, clock, record, mapped)


def connector_entity(flow: Flow, side: str) -> str:
    """What the ``side`` ("source" or "target") connector reads or writes for this flow.

    Usually the flow's canonical entity. Salesforce flows name their sObject in the mapping
    (two customer flows write Accounts and Contacts; stock goes onto ``Product2``), and a
    mapping may name another entity its connector has (Brightpearl ``journal`` for a payment
    flow that books journals)."""
    system = flow.source_system if side == "source" else flow.target_system
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


def _is_echo(flow: Flow, source_id: str) -> bool:
    """A change we just wrote from the other direction of a two-way sync."""
    reverse = Flow.objects.filter(pair=flow.pair, entity=flow.entity,
                                  source_system=flow.target_system,
                                  target_system=flow.source_system)
    return RecordLink.objects.filter(
        flow__in=reverse, target_id=source_id,
        last_synced_at__gte=timezone.now() - ECHO_WINDOW).exists()


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


def _link_save(flow: Flow, source_id: str, target_id: str, digest: str, record: Any) -> None:
    # One statement on the (flow, source_id) unique constraint, instead of update_or_create's
    # transaction + row lock + savepoint + insert: same outcome, one row per source record.
    RecordLink.objects.bulk_create(
        [RecordLink(flow=flow, source_id=source_id, target_id=str(target_id),
                    payload_hash=digest, natural_key=_natural_key(flow, record),
                    last_synced_at=timezone.now())],
        update_conflicts=True, unique_fields=["flow", "source_id"],
        update_fields=["target_id", "payload_hash", "natural_key", "last_synced_at"])


def _follow_ups(flow: Flow, record: Any, target_id: str) -> str:
    """Run follow-up actions; a failure is reported on the transaction, not retried, because
    the main write has happened and retrying the event would not repeat it."""
    notes = []
    for follow_up in flow.follow_ups:
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


def _finish(event: InboundEvent, flow: Flow, started: dt.datetime, clock: float, status: str,
            *, action: str = Transaction.Action.NONE, target_id: str = "", message: str = "",
            source_record: Any = None, target_record: Any = None) -> Outcome:
    with transaction.atomic():
        Transaction.objects.create(
            flow=flow, event=event, source_id=event.external_id, target_id=str(target_id or ""),
            status=status, action=action, attempt=event.attempts, message=message,
            source_record=_jsonable(source_record), target_record=_jsonable(target_record),
            started_at=started, duration_ms=int((time.monotonic() - clock) * 1000))
        event.status = (InboundEvent.Status.DONE if status == Transaction.Status.SUCCESS
                        else InboundEvent.Status.SKIPPED)
        event.processed_at = timezone.now()
        event.lease_until = None
        event.last_error = ""
        event.save(update_fields=["status", "processed_at", "lease_until", "last_error"])
    return Outcome(event.status, message)


def backoff_s(attempt: int, *, wait_s: float | None = None, cap_s: float = 300) -> float:
    """Exponential backoff with full jitter, never sooner than the system asked."""
    delay = min(cap_s, 2 ** max(0, attempt - 1))
    delay = random.uniform(delay / 2, delay)  # noqa: S311 - jitter, not security
    return max(delay, wait_s or 0)


def _fail(event: InboundEvent, flow: Flow, exc: Exception, started: dt.datetime, clock: float,
          record: Any, mapped: Any) -> Outcome:
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
    elif isinstance(exc, AuthError):
        failing = flow.target_connection if record is not None else flow.source_connection
        Connection.objects.filter(pk=failing.pk).update(health=Connection.Health.FAILING,
                                                        last_error=message)
    elif not isinstance(exc, ConnectorError | MappingFailed):
        logger.exception("Unexpected error processing event %s", event.pk)
        message = f"Internal error ({kind}): {message}"

    with transaction.atomic():
        Transaction.objects.create(
            flow=flow, event=event, source_id=event.external_id,
            status=Transaction.Status.RETRYING if retry_in is not None
            else Transaction.Status.FAILED,
            attempt=event.attempts, error_class=kind, message=message[:5000],
            source_record=_jsonable(record), target_record=_jsonable(mapped),
            started_at=started, duration_ms=int((time.monotonic() - clock) * 1000))
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
                "problems": getattr(exc, "problems", []), "source_record": _jsonable(record),
                "mapped_record": _jsonable(mapped), "attempts": event.attempts,
                "resolution": DeadLetter.Resolution.OPEN, "resolved_at": None})
    if retry_in is not None:
        from integrations.services.events import events_enqueue

        transaction.on_commit(lambda: events_enqueue([event.pk], delay_ms=int(retry_in * 1000)))
        return Outcome("retrying", message)
    alerts_check_dead_letters(flow=flow)
    return Outcome("dead", message)
