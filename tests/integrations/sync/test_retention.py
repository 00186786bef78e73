"""Log retention: purging by id range what is past the plan's retention (30 days on Connect)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from integrations.models import DeadLetter, InboundEvent, Transaction
from integrations.services import retention
from integrations.services.retention import boundary_id, logs_purge
from tests.factories import (
    DeadLetterFactory,
    FlowFactory,
    InboundEventFactory,
    TransactionFactory,
)

NOW = timezone.now()
OLD = NOW - dt.timedelta(days=31)
RECENT = NOW - dt.timedelta(days=29)


@pytest.fixture
def flow(tenant_a):
    return FlowFactory()


def _event(flow, *, status: str, received_at: dt.datetime) -> InboundEvent:
    event = InboundEventFactory(flow=flow, status=status)
    InboundEvent.objects.filter(pk=event.pk).update(received_at=received_at)
    return event


def test_the_boundary_is_the_last_id_older_than_the_cutoff(flow):
    rows = [TransactionFactory(flow=flow, started_at=NOW - dt.timedelta(days=d))
            for d in (40, 35, 31, 29, 2)]

    assert boundary_id(Transaction._meta.db_table, "started_at",
                       NOW - dt.timedelta(days=30)) == rows[2].pk


def test_there_is_no_boundary_when_the_oldest_row_is_recent_or_the_table_empty(flow):
    cutoff = NOW - dt.timedelta(days=30)
    assert boundary_id(Transaction._meta.db_table, "started_at", cutoff) is None

    TransactionFactory(flow=flow, started_at=RECENT)
    assert boundary_id(Transaction._meta.db_table, "started_at", cutoff) is None


def test_transactions_past_the_retention_are_purged_and_the_rest_kept(flow):
    for started in (OLD, OLD, RECENT):
        TransactionFactory(flow=flow, started_at=started)

    assert logs_purge(now=NOW).transactions == 2
    assert list(Transaction.objects.values_list("started_at", flat=True)) == [RECENT]


def test_a_recent_row_among_old_ids_is_checked_against_the_cutoff_and_kept(flow):
    TransactionFactory(flow=flow, started_at=OLD)
    early = TransactionFactory(flow=flow, started_at=RECENT)  # out of time order
    TransactionFactory(flow=flow, started_at=OLD)
    TransactionFactory(flow=flow, started_at=OLD)
    newest = TransactionFactory(flow=flow, started_at=RECENT)

    assert logs_purge(now=NOW).transactions == 3
    assert set(Transaction.objects.values_list("pk", flat=True)) == {early.pk, newest.pk}


def test_only_finished_events_past_the_retention_are_purged(flow):
    done = _event(flow, status="done", received_at=OLD)
    skipped = _event(flow, status="skipped", received_at=OLD)
    dead = _event(flow, status="dead", received_at=OLD)
    waiting = _event(flow, status="retrying", received_at=OLD)
    recent = _event(flow, status="done", received_at=RECENT)

    purged = logs_purge(now=NOW)

    assert purged.events == 2
    kept = set(InboundEvent.objects.values_list("pk", flat=True))
    assert kept == {dead.pk, waiting.pk, recent.pk}
    assert not kept & {done.pk, skipped.pk}


def test_a_kept_transaction_of_a_purged_event_loses_only_its_link(flow):
    event = _event(flow, status="done", received_at=OLD)
    transaction = TransactionFactory(flow=flow, event=event, started_at=RECENT)

    logs_purge(now=NOW)

    transaction.refresh_from_db()
    assert transaction.event_id is None


def test_a_resolved_dead_letter_goes_with_its_purged_event_and_an_open_one_stays(flow):
    replayed = DeadLetterFactory(flow=flow, resolution="replayed",
                                 event=_event(flow, status="done", received_at=OLD))
    open_letter = DeadLetterFactory(flow=flow,
                                    event=_event(flow, status="dead", received_at=OLD))

    logs_purge(now=NOW)

    assert list(DeadLetter.objects.values_list("pk", flat=True)) == [open_letter.pk]
    assert not DeadLetter.objects.filter(pk=replayed.pk).exists()


def test_a_purge_stopped_at_its_batch_limit_says_more_is_left_and_the_next_finishes(
        flow, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 2)
    for _ in range(5):
        TransactionFactory(flow=flow, started_at=OLD)

    first = logs_purge(now=NOW, max_batches=2)
    second = logs_purge(now=NOW, max_batches=2)

    assert (first.transactions, first.more) == (4, True)
    assert (second.transactions, second.more) == (1, False)
    assert not Transaction.objects.exists()


def test_the_purge_task_sends_itself_again_while_old_rows_are_left(flow, tenant_a, monkeypatch):
    from integrations import tasks

    sent = []
    monkeypatch.setattr(tasks, "logs_purge",
                        lambda: retention.Purged(transactions=1000, events=0, more=True))
    monkeypatch.setattr(tasks.logs_purge_task, "send_with_options",
                        lambda **options: sent.append(options))

    tasks.logs_purge_task.fn()

    assert sent == [{"tenant_schema": tenant_a.schema_name, "delay": 1000}]
