"""Duplicate detection in the pipeline, in a tenant schema against the sandboxes: a storefront
customer already in Brightpearl (under an email in another case) is linked, or held for
review, instead of created twice."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.connectors.base import WebhookEvent
from integrations.models import DeadLetter, Flow, InboundEvent, RecordLink, Transaction
from integrations.services.connections import connector_for
from integrations.services.events import inbound_events_record
from integrations.services.quality import dead_letter_link, dead_letters_approve
from integrations.services.sync import event_process

pytestmark = pytest.mark.django_db

FLOW = "customer-bc-to-bp"


def _dedupe(action: str) -> Flow:
    flow = Flow.objects.get(key=FLOW)
    flow.quality = {"dedupe": {"enabled": True, "action": action}}
    flow.save(update_fields=["quality"])
    return flow


def _contacts(bc_pair: dict[str, Any], control) -> list[dict[str, Any]]:
    return control.records("brightpearl", bc_pair["bp"]["account"], "contact")


def _already_in_brightpearl(bc_pair: dict[str, Any]) -> str:
    """A contact someone keyed into Brightpearl by hand, the email capitalised."""
    return connector_for(bc_pair["pair"].brightpearl).upsert("customer", {
        "firstName": "Åsa", "lastName": "Lindqvist",
        "communication": {"emails": {"PRI": {"email": "Asa.Lindqvist@Example.com"}}},
        "postalAddresses": {"DEF": {"addressLine1": "Drottninggatan 12",
                                    "addressLine3": "Stockholm", "postalCode": "111 51",
                                    "countryIsoCode": "SWE"}},
        "relationshipToAccount": {"isCustomer": True}}).id


def _storefront_customer_synced(bc_pair: dict[str, Any]) -> tuple[str, Any]:
    """The same person registers on the storefront; its webhook runs the customer flow."""
    pair = bc_pair["pair"]
    customer = connector_for(pair.partner).upsert("customer", {
        "email": "asa.lindqvist@example.com", "first_name": "Asa", "last_name": "Lindqvist",
        "phone": "+46 8 123 456"})
    inbound_events_record(connection=pair.partner, events=[
        WebhookEvent("customer", customer.id, "store/customer/created")], fingerprint="c1")
    event = InboundEvent.objects.get(flow__key=FLOW, external_id=customer.id)
    return customer.id, event_process(event_id=event.pk)


def test_customer_already_in_brightpearl_is_linked_and_updated_not_created_twice(
        bc_pair, control):
    _dedupe("link")
    existing = _already_in_brightpearl(bc_pair)
    before = len(_contacts(bc_pair, control))

    source_id, outcome = _storefront_customer_synced(bc_pair)

    assert outcome.status == "done", outcome.message
    assert len(_contacts(bc_pair, control)) == before
    assert RecordLink.objects.get(flow__key=FLOW, source_id=source_id).target_id == existing
    tx = Transaction.objects.get(flow__key=FLOW, source_id=source_id)
    assert (tx.action, tx.target_id) == ("update", existing)
    assert tx.quality[0]["check"] == "dedupe"
    assert "same email ignoring case" in tx.quality[0]["data"]["reasons"]
    updated = connector_for(bc_pair["pair"].brightpearl).get("customer", existing)
    assert updated["communication"]["telephones"]["PRI"] == "+46 8 123 456"


def test_with_dedupe_off_the_same_customer_is_created_again(bc_pair, control):
    _already_in_brightpearl(bc_pair)
    before = len(_contacts(bc_pair, control))

    _source_id, outcome = _storefront_customer_synced(bc_pair)

    assert outcome.status == "done", outcome.message
    assert len(_contacts(bc_pair, control)) == before + 1


def test_review_holds_the_customer_as_a_dead_letter_naming_the_candidate(bc_pair, control):
    _dedupe("review")
    existing = _already_in_brightpearl(bc_pair)
    before = len(_contacts(bc_pair, control))

    _source_id, _outcome = _storefront_customer_synced(bc_pair)

    letter = DeadLetter.objects.get(flow__key=FLOW)
    assert letter.error_class == "HeldForReview"
    assert letter.problems[0]["check"] == "dedupe"
    assert letter.problems[0]["data"]["target_id"] == existing
    assert letter.problems[0]["data"]["candidates"][0]["label"] == "Åsa Lindqvist"
    assert existing in letter.reason
    assert len(_contacts(bc_pair, control)) == before


def test_approving_a_held_customer_creates_it(bc_pair, control):
    _dedupe("review")
    existing = _already_in_brightpearl(bc_pair)
    source_id, _outcome = _storefront_customer_synced(bc_pair)
    before = len(_contacts(bc_pair, control))

    assert dead_letters_approve(letters=DeadLetter.objects.filter(flow__key=FLOW)) == 1
    letter = DeadLetter.objects.get(flow__key=FLOW)
    outcome = event_process(event_id=letter.event_id)

    assert outcome.status == "done", outcome.message
    assert len(_contacts(bc_pair, control)) == before + 1
    assert RecordLink.objects.get(flow__key=FLOW, source_id=source_id).target_id != existing


def test_linking_a_held_customer_updates_the_chosen_record(bc_pair, control):
    _dedupe("review")
    existing = _already_in_brightpearl(bc_pair)
    source_id, _outcome = _storefront_customer_synced(bc_pair)
    before = len(_contacts(bc_pair, control))
    letter = DeadLetter.objects.get(flow__key=FLOW)

    assert dead_letter_link(letter=letter, target_id=existing)
    outcome = event_process(event_id=letter.event_id)

    assert outcome.status == "done", outcome.message
    assert len(_contacts(bc_pair, control)) == before
    tx = Transaction.objects.filter(flow__key=FLOW, source_id=source_id).latest("pk")
    assert (tx.action, tx.target_id) == ("update", existing)
