"""A flow's data-quality settings: defaults, validation, the portal page, and the review
actions on records a check held (approve, link)."""

from __future__ import annotations

import pytest

from integrations.models import DeadLetter, InboundEvent, RecordLink
from integrations.services.quality import (
    APPROVED_KEY,
    FlowQuality,
    HeldForReview,
    Note,
    QualitySettingsError,
    dead_letter_link,
    dead_letters_approve,
    flow_quality_set,
    quality_settings,
)
from tests.factories import DeadLetterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer_flow(pair):
    return pair.flows.get(key="customer-bc-to-bp")


def _held(flow, check: str = "dedupe") -> DeadLetter:
    exc = HeldForReview(check, "Held for review: looks like contact 207.",
                        [Note(check, "Looks like contact 207.", data={"target_id": "207"})])
    return DeadLetterFactory(flow=flow, error_class="HeldForReview", reason=str(exc),
                             problems=exc.problems)


def test_every_check_is_off_until_a_flow_turns_it_on(order_flow):
    assert not any(values["enabled"] for values in quality_settings(order_flow).values())
    assert not FlowQuality(order_flow).active


def test_stored_settings_are_merged_over_the_defaults(order_flow):
    flow_quality_set(flow=order_flow, settings={"anomaly": {"enabled": True,
                                                            "action": "hold"}})
    settings = quality_settings(order_flow)
    assert settings["anomaly"]["action"] == "hold"
    assert settings["anomaly"]["sensitivity"] == 5.0


def test_a_check_that_does_not_apply_to_the_entity_is_refused(order_flow):
    with pytest.raises(QualitySettingsError, match="dedupe does not apply to sales order"):
        flow_quality_set(flow=order_flow, settings={"dedupe": {"enabled": True}})


def test_an_unknown_choice_is_refused_naming_the_setting_and_the_choices(customer_flow):
    with pytest.raises(QualitySettingsError, match=r"dedupe.action: 'merge' is not one of "
                                                   r"link, review"):
        flow_quality_set(flow=customer_flow, settings={"dedupe": {"action": "merge"}})


def test_an_unknown_check_is_refused(customer_flow):
    with pytest.raises(QualitySettingsError, match="Unknown check"):
        flow_quality_set(flow=customer_flow, settings={"spelling": {"enabled": True}})


def test_a_threshold_above_one_is_refused(customer_flow):
    with pytest.raises(QualitySettingsError, match="between 0 and 1"):
        flow_quality_set(flow=customer_flow, settings={"dedupe": {"threshold": 85}})


def test_approving_a_held_record_replays_it_with_that_check_approved(customer_flow):
    letter = _held(customer_flow)
    assert dead_letters_approve(letters=DeadLetter.objects.all(), by="ann@alpha") == 1
    letter.refresh_from_db()
    event = InboundEvent.objects.get(pk=letter.event_id)
    assert letter.resolution == DeadLetter.Resolution.REPLAYED
    assert event.status == InboundEvent.Status.PENDING
    assert event.payload[APPROVED_KEY] == ["dedupe"]


def test_approving_leaves_dead_letters_that_were_not_held_by_a_check(customer_flow):
    other = DeadLetterFactory(flow=customer_flow)
    assert dead_letters_approve(letters=DeadLetter.objects.all()) == 0
    other.refresh_from_db()
    assert other.resolution == DeadLetter.Resolution.OPEN


def test_linking_a_held_duplicate_records_the_link_and_replays_it(customer_flow):
    letter = _held(customer_flow)
    assert dead_letter_link(letter=letter, target_id="207", by="ann@alpha")
    link = RecordLink.objects.get(flow=customer_flow, source_id=letter.event.external_id)
    assert link.target_id == "207"
    letter.refresh_from_db()
    assert letter.resolution == DeadLetter.Resolution.REPLAYED


def test_the_quality_page_shows_only_the_checks_that_apply(editor, order_flow):
    page = editor.get(f"/flows/{order_flow.pk}/quality/")
    assert page.status_code == 200
    assert b'data-check="address"' in page.content
    assert b'data-check="anomaly"' in page.content
    assert b'data-check="dedupe"' not in page.content


def test_an_editor_turns_duplicate_detection_on_from_the_page(editor, customer_flow):
    answer = editor.post(f"/flows/{customer_flow.pk}/quality/", {
        "address_enabled": "on", "address_invalid": "hold",
        "dedupe_enabled": "on", "dedupe_action": "link", "dedupe_threshold": "0.9"})
    assert answer.status_code == 302
    customer_flow.refresh_from_db()
    assert customer_flow.quality["dedupe"] == {"enabled": True, "action": "link",
                                               "threshold": 0.9}
    assert customer_flow.quality["address"] == {"enabled": True, "invalid": "hold"}


def test_a_bad_value_on_the_page_is_shown_and_nothing_is_saved(editor, customer_flow):
    answer = editor.post(f"/flows/{customer_flow.pk}/quality/", {
        "dedupe_enabled": "on", "dedupe_action": "review", "dedupe_threshold": "7",
        "address_invalid": "flag"})
    assert answer.status_code == 400
    assert b"less than or equal to 1" in answer.content
    customer_flow.refresh_from_db()
    assert customer_flow.quality == {}


def test_a_viewer_sees_the_settings_but_cannot_save_them(viewer, customer_flow):
    assert b"disabled" in viewer.get(f"/flows/{customer_flow.pk}/quality/").content
    answer = viewer.post(f"/flows/{customer_flow.pk}/quality/", {
        "dedupe_enabled": "on", "dedupe_action": "link", "dedupe_threshold": "0.9",
        "address_invalid": "flag"})
    assert answer.status_code == 403
    customer_flow.refresh_from_db()
    assert customer_flow.quality == {}


def test_a_transaction_shows_what_the_quality_checks_changed(editor, order_flow):
    from tests.factories import TransactionFactory

    row = TransactionFactory(flow=order_flow, quality=[{
        "check": "address", "message": "Postcode in the UK format.",
        "path": "billing_address.zip", "before": "sw1a1aa", "after": "SW1A 1AA"}])
    page = editor.get(f"/transactions/{row.pk}/").content.decode()
    assert "Postcode in the UK format." in page
    assert "<code>sw1a1aa</code>" in page and "<code>SW1A 1AA</code>" in page
