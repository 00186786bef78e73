"""The portal's dead letters: the filtered list, the detail, replay and discard, by role."""

from __future__ import annotations

import pytest

from integrations.models import DeadLetter, Flow, InboundEvent, Operation
from tests.integrations.api.conftest import dead_letter_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def product_flow(pair) -> Flow:
    return pair.flows.get(key="product-bp-to-bc")


def _listed(response) -> list[str]:
    assert response.status_code == 200
    return [letter.event.external_id for letter in response.context["page"].items]


def test_the_list_shows_open_dead_letters_unless_asked_otherwise(order_flow, viewer):
    dead_letter_make(order_flow, "1")
    resolved = dead_letter_make(order_flow, "2")
    DeadLetter.objects.filter(pk=resolved.pk).update(resolution=DeadLetter.Resolution.DISCARDED)

    assert _listed(viewer.get("/dead-letters/")) == ["1"]
    assert _listed(viewer.get("/dead-letters/?resolution=discarded")) == ["2"]
    assert _listed(viewer.get("/dead-letters/?resolution=")) == ["2", "1"]


def test_the_dashboards_flow_link_narrows_the_list_to_that_flow(order_flow, product_flow,
                                                                 viewer):
    dead_letter_make(order_flow, "1")
    dead_letter_make(product_flow, "2")

    assert _listed(viewer.get(f"/dead-letters/?flow={product_flow.pk}")) == ["2"]


def test_error_class_filter_narrows_the_list(order_flow, viewer):
    dead_letter_make(order_flow, "1", error_class="MissingReference")
    dead_letter_make(order_flow, "2", error_class="ValidationFailed")

    assert _listed(viewer.get("/dead-letters/?error_class=ValidationFailed")) == ["2"]


def test_each_row_shows_when_flow_record_error_class_and_reason(order_flow, viewer):
    dead_letter_make(order_flow, "77", error_class="MissingReference")

    page = viewer.get("/dead-letters/").content.decode()

    assert "77" in page and "MissingReference" in page and "SKU of 77 unknown" in page
    assert order_flow.name in page


def test_an_unknown_flow_or_a_malformed_date_says_what_is_wrong(order_flow, viewer):
    dead_letter_make(order_flow, "1")

    unknown = viewer.get("/dead-letters/?flow=999999")
    malformed = viewer.get("/dead-letters/?date_to=yesterday")

    assert "There is no such flow" in unknown.content.decode()
    assert "To: Enter a valid date." in malformed.content.decode()
    assert unknown.context["page"].items == [] and malformed.context["page"].items == []


def test_detail_shows_reason_problems_and_redacted_records(order_flow, viewer):
    letter = dead_letter_make(order_flow, "21")
    letter.problems = [{"target_path": "lines[0].sku", "source_path": "products[0].sku",
                        "kind": "missing", "message": "No product with SKU W-1"}]
    letter.mapped_record = {"customer": {"token": "tok-SECRET-9"}, "ref": "R21"}
    letter.save()

    page = viewer.get(f"/dead-letters/{letter.pk}/").content.decode()

    assert "SKU of 21 unknown" in page
    assert "lines[0].sku" in page and "No product with SKU W-1" in page
    assert "R21" in page and "[redacted]" in page
    assert "hunter2" not in page and "tok-SECRET-9" not in page


def test_a_viewer_sees_a_dead_letter_without_replay_or_discard_buttons(order_flow, viewer):
    letter = dead_letter_make(order_flow, "1")

    detail = viewer.get(f"/dead-letters/{letter.pk}/").content.decode()
    listing = viewer.get("/dead-letters/").content.decode()

    assert "/replay/" not in detail and "/discard/" not in detail
    assert "Replay all matching" not in listing


def test_a_viewer_cannot_replay_a_dead_letter(order_flow, viewer):
    letter = dead_letter_make(order_flow, "1")

    assert viewer.post(f"/dead-letters/{letter.pk}/replay/").status_code == 403
    assert DeadLetter.objects.get(pk=letter.pk).resolution == DeadLetter.Resolution.OPEN


def test_a_viewer_cannot_discard_a_dead_letter(order_flow, viewer):
    letter = dead_letter_make(order_flow, "1")

    assert viewer.post(f"/dead-letters/{letter.pk}/discard/").status_code == 403
    assert DeadLetter.objects.get(pk=letter.pk).resolution == DeadLetter.Resolution.OPEN


def test_a_viewer_cannot_start_a_bulk_replay(order_flow, viewer):
    dead_letter_make(order_flow, "1")

    refused = viewer.post("/dead-letters/bulk/", {"action": "replay:all", "confirmed": "yes"})

    assert refused.status_code == 403
    assert not Operation.objects.exists()


def test_replaying_a_dead_letter_requeues_its_event(order_flow, editor):
    letter = dead_letter_make(order_flow, "1")

    response = editor.post(f"/dead-letters/{letter.pk}/replay/", follow=True)

    letter.refresh_from_db()
    assert letter.resolution == DeadLetter.Resolution.REPLAYED
    assert InboundEvent.objects.get(pk=letter.event_id).status == InboundEvent.Status.PENDING
    assert "Sent back through the pipeline" in response.content.decode()


def test_replay_is_refused_on_get(order_flow, editor):
    letter = dead_letter_make(order_flow, "1")

    assert editor.get(f"/dead-letters/{letter.pk}/replay/").status_code == 405


def test_discarding_a_dead_letter_marks_it_discarded(order_flow, editor):
    letter = dead_letter_make(order_flow, "1")

    editor.post(f"/dead-letters/{letter.pk}/discard/")

    letter.refresh_from_db()
    assert letter.resolution == DeadLetter.Resolution.DISCARDED
    assert letter.resolved_by.endswith("@example.com")
    assert InboundEvent.objects.get(pk=letter.event_id).status == InboundEvent.Status.DEAD


def test_a_bulk_action_first_asks_to_confirm_naming_how_many(order_flow, product_flow, editor):
    dead_letter_make(order_flow, "1")
    dead_letter_make(order_flow, "2")
    dead_letter_make(product_flow, "3")

    response = editor.post("/dead-letters/bulk/", {"action": "replay:all",
                                                   "flow": order_flow.pk,
                                                   "resolution": "open"})

    assert response.status_code == 200
    assert "Replay 2 dead letters?" in response.content.decode()
    assert not Operation.objects.exists()
    assert DeadLetter.objects.filter(resolution=DeadLetter.Resolution.OPEN).count() == 3


def test_replaying_the_ticked_dead_letters_replays_only_those(order_flow, editor):
    ticked = dead_letter_make(order_flow, "1")
    other = dead_letter_make(order_flow, "2")

    response = editor.post("/dead-letters/bulk/", {"action": "replay:selected",
                                                   "ids": [ticked.pk], "resolution": "open",
                                                   "confirmed": "yes"})

    operation = Operation.objects.get()
    assert response["Location"] == f"/operations/{operation.pk}/"
    assert DeadLetter.objects.get(pk=ticked.pk).resolution == DeadLetter.Resolution.REPLAYED
    assert DeadLetter.objects.get(pk=other.pk).resolution == DeadLetter.Resolution.OPEN


def test_ticking_nothing_is_pointed_out(order_flow, editor):
    dead_letter_make(order_flow, "1")

    response = editor.post("/dead-letters/bulk/", {"action": "discard:selected",
                                                   "confirmed": "yes"}, follow=True)

    assert "Tick the dead letters to act on" in response.content.decode()
    assert not Operation.objects.exists()
