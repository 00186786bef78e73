"""Long operations with visible progress: bulk replay or discard of dead letters, backfills.

A bulk action records an ``Operation`` first, so a person can always see what it did. Small
sets run at once, inside the request; larger ones run in the worker, a chunk per database
transaction, and each chunk moves the progress on. The operation keeps its own keyset cursor
and the newest dead letter that matched when it started, so a re-delivered message carries
on where the last one stopped and letters that die later are not swept in.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.db import connection as db
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from integrations.filters import dead_letter_filter_params
from integrations.models import DeadLetter, Flow, InboundEvent, Operation
from integrations.selectors import dead_letters_matching
from integrations.services.dead_letters import dead_letters_discard, dead_letters_replay
from integrations.services.polling import backfill_progress, flow_backfill

logger = logging.getLogger(__name__)

CHUNK = 500
# Up to this many letters the person waits for the result; beyond, the worker takes over.
INLINE_LIMIT = 200
# A message does this many chunks, then sends the rest on: no message nears the time limit
# and other tenants' work interleaves with a very large replay.
CHUNKS_PER_MESSAGE = 20

_ACTIONS: dict[str, Callable[..., int]] = {
    Operation.Kind.REPLAY: dead_letters_replay,
    Operation.Kind.DISCARD: dead_letters_discard,
}
_WAITING = (InboundEvent.Status.PENDING, InboundEvent.Status.PROCESSING,
            InboundEvent.Status.RETRYING)


def dead_letters_operation_start(*, kind: str, filters: Mapping[str, Any],
                                 ids: list[int] | None = None, label: str = "",
                                 by: str = "") -> Operation:
    """Replay or discard every open dead letter matching ``filters`` (limited to ``ids`` when
    the person ticked some), recording the work as an operation."""
    if kind not in _ACTIONS:
        raise ValueError(f"{kind!r} is not a dead-letter operation.")
    kept = dead_letter_filter_params(filters)
    letters = dead_letters_matching(filters=kept, ids=ids)
    upto = letters.aggregate(newest=Max("pk"))["newest"] or 0
    total = letters.filter(pk__lte=upto).count()
    operation = Operation.objects.create(
        kind=kind, label=label[:300], total=total, created_by=by,
        params={"filters": kept, "ids": ids, "upto": upto, "after": 0})
    if total <= INLINE_LIMIT:
        operation_run(operation_id=operation.pk, all_chunks=True)
        operation.refresh_from_db()
    else:
        schema = db.schema_name
        transaction.on_commit(lambda: _send(operation.pk, schema))
    return operation


def _send(operation_id: int, schema: str) -> None:
    from integrations.tasks import operation_run_task

    operation_run_task.send_with_options(args=(operation_id,), tenant_schema=schema)


def operation_run(*, operation_id: int, all_chunks: bool = False) -> bool:
    """Work through a dead-letter operation, ``CHUNKS_PER_MESSAGE`` chunks (or all of them);
    True when more remain for a next message. A failure stops the operation and keeps what
    the finished chunks did."""
    chunks = 0
    while all_chunks or chunks < CHUNKS_PER_MESSAGE:
        try:
            more = _chunk_run(operation_id=operation_id)
        except Exception as exc:
            logger.exception("Operation %s failed", operation_id)
            _finish(operation_id, status=Operation.Status.FAILED,
                    error=f"{type(exc).__name__}: {exc}"[:2000])
            return False
        if not more:
            return False
        chunks += 1
    return True


def _chunk_run(*, operation_id: int) -> bool:
    with transaction.atomic():
        # The row lock makes a duplicate delivery of the message wait, then see the cursor
        # the first one left: no letter is counted twice.
        operation = Operation.objects.select_for_update().get(pk=operation_id)
        if operation.is_finished:
            return False
        params = operation.params
        after, upto = int(params.get("after", 0)), int(params.get("upto", 0))
        chunk = list(dead_letters_matching(filters=params.get("filters") or {},
                                           ids=params.get("ids"))
                     .filter(pk__gt=after, pk__lte=upto).order_by("pk")
                     .values_list("pk", flat=True)[:CHUNK])
        if not chunk:
            # Letters that matched at the start but were resolved meanwhile (by a person, or
            # a concurrent replay) were not handled here: they count as not done.
            operation.failed = max(operation.failed, operation.total - operation.done)
            operation.status = Operation.Status.DONE
            operation.finished_at = timezone.now()
            operation.save(update_fields=["failed", "status", "finished_at"])
            return False
        handled = _ACTIONS[operation.kind](letters=DeadLetter.objects.filter(pk__in=chunk),
                                           by=operation.created_by)
        operation.done += handled
        # Open a moment ago but taken by another replay now (skipped, not waited for).
        operation.failed += len(chunk) - handled
        operation.params = {**params, "after": chunk[-1]}
        operation.status = Operation.Status.RUNNING
        operation.save(update_fields=["done", "failed", "params", "status"])
        return True


def _finish(operation_id: int, *, status: str, error: str = "") -> None:
    Operation.objects.filter(pk=operation_id).update(status=status, error=error,
                                                     finished_at=timezone.now())


def flow_backfill_start(*, flow: Flow, since: dt.datetime, by: str = "") -> Operation:
    """Start a flow's backfill (``polling.flow_backfill``) and record it as an operation whose
    progress is read from the flow, where the poller keeps it."""
    flow_backfill(flow=flow, since=since)
    started_at = flow.poll_state["backfill"]["started_at"]
    return Operation.objects.create(
        kind=Operation.Kind.BACKFILL, status=Operation.Status.RUNNING, created_by=by,
        label=f"{flow}: every change since {since:%Y-%m-%d}"[:300],
        params={"flow": flow.pk, "since": since.isoformat(), "started_at": started_at})


def operation_refresh(*, operation: Operation) -> Operation:
    """Bring a running backfill's numbers up to date from its flow: found so far (total),
    delivered or already in sync (done), dead letters (failed). The poller knows nothing of
    operations, so the copy is made when someone looks."""
    if operation.kind != Operation.Kind.BACKFILL or operation.is_finished:
        return operation
    flow = Flow.objects.filter(pk=operation.params.get("flow")).first()
    progress = backfill_progress(flow=flow) if flow is not None else None
    if progress is None or progress.get("started_at") != operation.params.get("started_at"):
        # The flow was deleted, or a newer backfill replaced this one: keep the last numbers.
        operation.status = Operation.Status.DONE
        operation.error = "Superseded by a newer backfill of this flow, or the flow is gone."
        operation.finished_at = timezone.now()
        operation.save(update_fields=["status", "error", "finished_at"])
        return operation
    statuses = progress["statuses"]
    operation.total = max(int(progress.get("recorded", 0)), sum(statuses.values()))
    operation.done = (statuses.get(InboundEvent.Status.DONE, 0)
                      + statuses.get(InboundEvent.Status.SKIPPED, 0)
                      + statuses.get(InboundEvent.Status.UNROUTED, 0))
    operation.failed = statuses.get(InboundEvent.Status.DEAD, 0)
    fields = ["total", "done", "failed"]
    if progress.get("done") and not any(statuses.get(s, 0) for s in _WAITING):
        operation.status = Operation.Status.DONE
        operation.finished_at = timezone.now()
        fields += ["status", "finished_at"]
    operation.save(update_fields=fields)
    return operation
