"""Long operations with visible progress: bulk replay or discard of dead letters, backfills,
imports of mappings and lookup tables.

A bulk action records an ``Operation`` first, so a person can always see what it did. Small
sets run at once, inside the request; larger ones run in the worker, a chunk per database
transaction, and each chunk moves the progress on. The operation keeps its own keyset cursor
and the newest dead letter that matched when it started, so a re-delivered message carries
on where the last one stopped and letters that die later are not swept in.

An import keeps the uploaded file's rows in the operation (the web and the worker share the
database, not a disk), checks the whole file in a dry run before it writes a row, then imports
it in batches, each batch one transaction that moves the progress on.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import tablib
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection as db
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from integrations.filters import dead_letter_filter_params
from integrations.models import DeadLetter, Flow, InboundEvent, Operation
from integrations.resources import IMPORT_RESOURCES
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
# Rows an import writes per transaction (and per step of its progress).
IMPORT_BATCH = 200
# The file lives in the operation's row until the import ends; past this, split the file.
IMPORT_MAX_ROWS = 100_000
# Row errors kept for the operation's page; the count says how many there were in all.
IMPORT_ERRORS_KEPT = 200

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
    """Work through a dead-letter operation or an import, ``CHUNKS_PER_MESSAGE`` chunks (or
    all of them); True when more remain for a next message. A failure stops the operation and
    keeps what the finished chunks did."""
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
        # the first one left: no letter (or row) is counted twice.
        operation = Operation.objects.select_for_update().get(pk=operation_id)
        if operation.is_finished:
            return False
        if operation.kind == Operation.Kind.IMPORT:
            return _import_step(operation)
        return _dead_letters_chunk(operation)


def _dead_letters_chunk(operation: Operation) -> bool:
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
    operation = Operation.objects.get(pk=operation_id)
    operation.status, operation.error, operation.finished_at = status, error, timezone.now()
    if operation.kind == Operation.Kind.IMPORT:
        operation.params = _without_rows(operation.params)
    operation.save(update_fields=["status", "error", "finished_at", "params"])


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


def import_operation_start(*, resource: str, dataset: tablib.Dataset, file_name: str = "",
                           by: str = "") -> Operation:
    """Record an import of ``dataset`` through ``IMPORT_RESOURCES[resource]`` and queue it for
    the worker. The rows are stored in the operation before this returns, so a worker that
    restarts (or a message delivered twice) finds the whole file."""
    if resource not in IMPORT_RESOURCES:
        raise ValueError(f"{resource!r} is not something that can be imported.")
    headers = [str(header) for header in dataset.headers or []]
    if not headers:
        raise ValueError("The file has no header row naming its columns.")
    if not len(dataset):
        raise ValueError("The file has no rows to import.")
    if len(dataset) > IMPORT_MAX_ROWS:
        raise ValueError(f"The file has {len(dataset)} rows; an import takes at most "
                         f"{IMPORT_MAX_ROWS}. Split it into smaller files.")
    try:
        # Dates and decimals (from XLSX) become text, as a CSV of the same sheet would hold.
        rows = json.loads(json.dumps([list(row) for row in dataset], cls=DjangoJSONEncoder))
    except TypeError as exc:
        raise ValueError(f"The file holds a value that cannot be imported: {exc}") from None
    model = IMPORT_RESOURCES[resource]._meta.model
    name = file_name or "an uploaded file"
    operation = Operation.objects.create(
        kind=Operation.Kind.IMPORT, total=len(rows), created_by=by,
        label=f"{str(model._meta.verbose_name_plural).capitalize()} from {name}"[:300],
        params={"resource": resource, "file_name": file_name, "headers": headers,
                "rows": rows, "checked": False, "after": 0,
                "totals": {"new": 0, "update": 0, "skip": 0}, "errors": [],
                "error_count": 0})
    schema = db.schema_name
    transaction.on_commit(lambda: _send(operation.pk, schema))
    return operation


def _import_step(operation: Operation) -> bool:
    """Check the whole file (first step), or import its next batch; True while rows remain."""
    params = operation.params
    resource = IMPORT_RESOURCES[params["resource"]]()
    headers, rows = params["headers"], params["rows"]
    file_name = params.get("file_name", "")
    if not params.get("checked"):
        # A dry run of the whole file before any row is written: a bad row anywhere means
        # none of the file is imported. (The admin's preview ran one too, but the tables may
        # have changed since, and a queued message can wait.)
        result = resource.import_data(tablib.Dataset(*rows, headers=headers), dry_run=True,
                                      raise_errors=False, file_name=file_name)
        problems = _row_problems(result, resource=resource, first_row=1)
        if problems:
            operation.failed = len({p["row"] for p in problems if p["row"]}) or len(rows)
            _import_end(operation, status=Operation.Status.FAILED, problems=problems,
                        error=f"{_rows_phrase(problems)} could not be imported, so nothing from "
                              f"this file was. Correct the file and import it again.")
            return False
        operation.params = {**params, "checked": True}
        operation.status = Operation.Status.RUNNING
        operation.save(update_fields=["params", "status"])
        return True
    after = int(params.get("after", 0))
    batch = rows[after:after + IMPORT_BATCH]
    if batch:
        result = resource.import_data(
            tablib.Dataset(*batch, headers=headers), dry_run=False, raise_errors=False,
            use_transactions=True, rollback_on_validation_errors=True, file_name=file_name)
        problems = _row_problems(result, resource=resource, first_row=after + 1)
        if problems:
            # Only when the data changed between the check and this batch; the batch itself
            # was rolled back, the ones before it are in.
            operation.failed = len(batch)
            _import_end(operation, status=Operation.Status.FAILED, problems=problems,
                        error=f"{_rows_phrase(problems)} could not be imported. The {after} "
                              f"rows before row {after + 1} were imported; none from row "
                              f"{after + 1} on.")
            return False
        totals = dict(params.get("totals") or {})
        for kind in ("new", "update", "skip"):
            totals[kind] = totals.get(kind, 0) + result.totals.get(kind, 0)
        operation.done += len(batch)
        params = {**params, "after": after + len(batch), "totals": totals}
        operation.params = params
    if after + len(batch) >= len(rows):
        _import_end(operation, status=Operation.Status.DONE, problems=[])
        return False
    operation.status = Operation.Status.RUNNING
    operation.save(update_fields=["done", "params", "status"])
    return True


def _import_end(operation: Operation, *, status: str, problems: list[dict[str, Any]],
                error: str = "") -> None:
    params = _without_rows(operation.params)
    params["errors"] = problems[:IMPORT_ERRORS_KEPT]
    params["error_count"] = len(problems)
    operation.params = params
    operation.status, operation.error, operation.finished_at = status, error, timezone.now()
    operation.save(update_fields=["done", "failed", "params", "status", "error", "finished_at"])


def _without_rows(params: dict[str, Any]) -> dict[str, Any]:
    # The file is not needed once the import has ended, and every list of operations loads it.
    return {key: value for key, value in params.items() if key != "rows"}


def _row_problems(result: Any, *, resource: Any, first_row: int) -> list[dict[str, Any]]:
    """Each error of an import result as ``{"row", "message"}``, rows numbered from the file's
    first row after the header, as django-import-export's preview numbers them."""
    offset = first_row - 1
    columns = {field.attribute: field.column_name for field in resource.fields.values()
               if field.attribute}
    problems: list[dict[str, Any]] = [{"row": None, "message": str(error.error)}
                                      for error in result.base_errors]
    for error_row in result.error_rows:
        problems += [{"row": error_row.number + offset, "message": str(error.error)}
                     for error in error_row.errors]
    for invalid in result.invalid_rows:
        for name, messages in invalid.error_dict.items():
            where = "" if name == NON_FIELD_ERRORS else f"{columns.get(name, name)}: "
            problems += [{"row": invalid.number + offset, "message": f"{where}{message}"}
                         for message in messages]
    return sorted(problems, key=lambda problem: problem["row"] or 0)


def _rows_phrase(problems: list[dict[str, Any]]) -> str:
    rows = sorted({problem["row"] for problem in problems if problem["row"]})
    if not rows:
        return "The file"
    shown = ", ".join(str(row) for row in rows[:10]) + (", …" if len(rows) > 10 else "")
    return f"Row {shown}" if len(rows) == 1 else f"Rows {shown}"
