"""Long operations: bulk replay and discard as recorded operations worked in chunks by the
worker's actor, their progress partial, and a backfill's progress on the same page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from accounts.models import User
from integrations.models import DeadLetter, Flow, InboundEvent, Operation
from integrations.services import operations
from integrations.services.operations import (
    dead_letters_operation_start,
    flow_backfill_start,
    operation_refresh,
)
from integrations.tasks import operation_run_task
from tests.factories import UserFactory
from tests.integrations.api.conftest import ALPHA, dead_letter_make, event_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(tenant_a) -> Client:
    client = Client(HTTP_HOST=ALPHA)
    client.force_login(UserFactory(role=User.Role.ADMIN, email="ops@alpha.example.com"))
    return client


@pytest.fixture
def product_flow(pair) -> Flow:
    return pair.flows.get(key="product-bp-to-bc")


@pytest.fixture
def background(monkeypatch) -> None:
    """Any set is large enough for the worker, and chunks are small enough to count."""
    monkeypatch.setattr(operations, "INLINE_LIMIT", 0)
    monkeypatch.setattr(operations, "CHUNK", 2)


def _open() -> int:
    return DeadLetter.objects.filter(resolution=DeadLetter.Resolution.OPEN).count()


def test_a_small_bulk_replay_runs_at_once_and_records_a_finished_operation(order_flow, editor):
    letters = [dead_letter_make(order_flow, str(n)) for n in range(3)]

    response = editor.post("/dead-letters/bulk/", {"action": "replay:all", "resolution": "open",
                                                   "confirmed": "yes"})

    operation = Operation.objects.get()
    assert response["Location"] == f"/operations/{operation.pk}/"
    assert (operation.kind, operation.status) == ("replay", "done")
    assert (operation.total, operation.done, operation.failed) == (3, 3, 0)
    assert operation.created_by == "ops@alpha.example.com"
    assert set(InboundEvent.objects.filter(pk__in=[x.event_id for x in letters])
               .values_list("status", flat=True)) == {InboundEvent.Status.PENDING}


def test_a_bulk_replay_over_a_filter_is_queued_and_the_actor_replays_every_matching_letter(
        order_flow, product_flow, background, django_capture_on_commit_callbacks):
    for n in range(5):
        dead_letter_make(order_flow, str(n))
    untouched = dead_letter_make(product_flow, "other")

    with django_capture_on_commit_callbacks() as sent:
        operation = dead_letters_operation_start(
            kind="replay", filters={"flow": str(order_flow.pk)}, label="flow", by="me")
    assert (operation.status, operation.total, operation.done) == ("queued", 5, 0)
    assert len(sent) == 1  # the actor's message goes out once the operation is committed

    operation_run_task.fn(operation.pk)

    operation.refresh_from_db()
    assert (operation.status, operation.total, operation.done, operation.failed) == (
        "done", 5, 5, 0)
    assert operation.finished_at is not None
    assert DeadLetter.objects.filter(flow=order_flow, resolution="replayed").count() == 5
    assert DeadLetter.objects.get(pk=untouched.pk).resolution == DeadLetter.Resolution.OPEN
    assert InboundEvent.objects.filter(flow=order_flow, status="pending").count() == 5


def test_the_actor_does_a_few_chunks_per_message_and_sends_the_rest_on(
        order_flow, background, monkeypatch):
    for n in range(5):
        dead_letter_make(order_flow, str(n))
    operation = dead_letters_operation_start(kind="discard", filters={}, by="me")
    monkeypatch.setattr(operations, "CHUNKS_PER_MESSAGE", 1)
    resent: list[int] = []
    monkeypatch.setattr(operation_run_task, "send", lambda pk: resent.append(pk))

    operation_run_task.fn(operation.pk)

    operation.refresh_from_db()
    assert (operation.status, operation.done) == ("running", 2)
    assert resent == [operation.pk]
    while resent:
        operation_run_task.fn(resent.pop())
    operation.refresh_from_db()
    assert (operation.status, operation.done, operation.failed) == ("done", 5, 0)


def test_a_bulk_discard_marks_every_matching_letter_discarded(order_flow, background):
    dead_letter_make(order_flow, "1", error_class="MissingReference")
    dead_letter_make(order_flow, "2", error_class="MissingReference")
    kept = dead_letter_make(order_flow, "3", error_class="ValidationFailed")
    operation = dead_letters_operation_start(
        kind="discard", filters={"error_class": "MissingReference"}, by="me")

    operation_run_task.fn(operation.pk)

    operation.refresh_from_db()
    assert (operation.status, operation.done) == ("done", 2)
    assert DeadLetter.objects.filter(resolution="discarded").count() == 2
    assert DeadLetter.objects.get(pk=kept.pk).resolution == DeadLetter.Resolution.OPEN


def test_letters_that_die_after_the_operation_started_are_left_for_a_person(order_flow,
                                                                            background):
    dead_letter_make(order_flow, "1")
    operation = dead_letters_operation_start(kind="replay", filters={}, by="me")
    later = dead_letter_make(order_flow, "2")

    operation_run_task.fn(operation.pk)

    operation.refresh_from_db()
    assert (operation.total, operation.done) == (1, 1)
    assert DeadLetter.objects.get(pk=later.pk).resolution == DeadLetter.Resolution.OPEN


def test_letters_resolved_by_someone_else_meanwhile_count_as_not_done(order_flow, background):
    first = dead_letter_make(order_flow, "1")
    dead_letter_make(order_flow, "2")
    operation = dead_letters_operation_start(kind="replay", filters={}, by="me")
    DeadLetter.objects.filter(pk=first.pk).update(resolution=DeadLetter.Resolution.DISCARDED)

    operation_run_task.fn(operation.pk)

    operation.refresh_from_db()
    assert (operation.status, operation.total, operation.done, operation.failed) == (
        "done", 2, 1, 1)


def test_a_failing_chunk_stops_the_operation_and_says_why(order_flow, background, monkeypatch):
    dead_letter_make(order_flow, "1")
    operation = dead_letters_operation_start(kind="replay", filters={}, by="me")

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setitem(operations._ACTIONS, Operation.Kind.REPLAY, broken)
    operation_run_task.fn(operation.pk)

    operation.refresh_from_db()
    assert operation.status == "failed"
    assert operation.error == "RuntimeError: database went away"
    assert _open() == 1


def test_the_progress_partial_reports_the_numbers_and_polls_while_running(order_flow, editor):
    operation = Operation.objects.create(kind="replay", status="running", total=40, done=10,
                                         failed=2, label="all")

    partial = editor.get(f"/operations/{operation.pk}/progress/").content.decode()

    assert 'data-count="done">10<' in partial
    assert 'data-count="failed" class="bad">2<' in partial
    assert 'data-count="total">40<' in partial
    assert 'value="30"' in partial
    assert 'hx-trigger="every 1s"' in partial
    assert f'hx-get="/operations/{operation.pk}/progress/"' in partial


def test_the_progress_partial_stops_polling_and_gives_the_outcome_when_done(order_flow, editor,
                                                                          background):
    dead_letter_make(order_flow, "1")
    operation = dead_letters_operation_start(kind="replay", filters={}, by="me")
    operation_run_task.fn(operation.pk)

    partial = editor.get(f"/operations/{operation.pk}/progress/").content.decode()

    assert "hx-trigger" not in partial
    assert "1 dead letter sent back through the pipeline." in partial
    assert "resolution=replayed" in partial


def test_the_operation_page_and_list_show_it(order_flow, editor):
    operation = Operation.objects.create(kind="discard", status="queued", total=7,
                                         label="Open dead letters: error class X")

    detail = editor.get(f"/operations/{operation.pk}/").content.decode()
    listing = editor.get("/operations/").content.decode()

    assert "Discard dead letters" in detail and "error class X" in detail
    assert 'id="operation-progress"' in detail
    assert f"/operations/{operation.pk}/" in listing


def test_a_backfill_shows_its_progress_on_the_operation_page(order_flow, editor,
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        operation = flow_backfill_start(flow=order_flow,
                                        since=dt.datetime(2026, 11, 1, tzinfo=dt.UTC), by="me")
    for n, status in enumerate(("done", "done", "dead", "pending")):
        event = event_make(order_flow, f"b{n}", status=status)
        InboundEvent.objects.filter(pk=event.pk).update(origin="poll")
    state = Flow.objects.get(pk=order_flow.pk).poll_state
    state["backfill"]["recorded"] = 4
    Flow.objects.filter(pk=order_flow.pk).update(poll_state=state)

    partial = editor.get(f"/operations/{operation.pk}/progress/").content.decode()

    operation.refresh_from_db()
    assert (operation.kind, operation.status) == ("backfill", "running")
    assert (operation.total, operation.done, operation.failed) == (4, 2, 1)
    assert 'hx-trigger="every 1s"' in partial


def test_a_backfill_is_done_once_everything_found_is_handled(order_flow,
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        operation = flow_backfill_start(flow=order_flow,
                                        since=dt.datetime(2026, 11, 1, tzinfo=dt.UTC), by="me")
    event = event_make(order_flow, "b1", status="done")
    InboundEvent.objects.filter(pk=event.pk).update(origin="poll")
    state = Flow.objects.get(pk=order_flow.pk).poll_state
    state["backfill"].update(recorded=1, done=True)
    Flow.objects.filter(pk=order_flow.pk).update(poll_state=state)

    operation_refresh(operation=operation)

    operation.refresh_from_db()
    assert (operation.status, operation.total, operation.done) == ("done", 1, 1)
