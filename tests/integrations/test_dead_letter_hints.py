"""A dead letter's hints on its page and in the API, and their one-click fixes end to end:
against the sandboxes, in tenant alpha's schema, from the dead letter to the delivered record."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from integrations.connectors.base import WebhookEvent
from integrations.models import (
    DeadLetter,
    InboundEvent,
    LookupEntry,
    LookupTable,
    MappingVersion,
    RecordLink,
)
from integrations.services.connections import connector_for
from integrations.services.events import inbound_events_record
from integrations.services.mappings import mapping_version_create
from integrations.services.pairs import pair_create_from_template
from integrations.services.sync import MAX_DEPENDENCY_ATTEMPTS, event_process
from tests.connections import bigcommerce_connection, brightpearl_connection
from tests.factories import UserFactory
from tests.integrations.api.conftest import api_client, dead_letter_make

pytestmark = pytest.mark.django_db

BILLING = {"first_name": "Åsa", "last_name": "Lindqvist", "street_1": "Drottninggatan 12",
           "city": "Stockholm", "state": "", "zip": "111 51", "country": "Sweden",
           "country_iso2": "SE", "email": "asa@example.com"}


@pytest.fixture
def shop(tenant_a, new_account) -> dict[str, Any]:
    """Brightpearl + BigCommerce on fresh sandbox accounts, from the pair template."""
    bp_account = new_account("brightpearl", seed={"products": 4, "customers": 2})
    bc_store = new_account("bigcommerce")
    pair = pair_create_from_template(
        name="Shop", template_key="brightpearl-bigcommerce",
        brightpearl=brightpearl_connection(bp_account),
        partner=bigcommerce_connection(bc_store))
    return {"pair": pair, "bp": bp_account, "bc": bc_store}


def _deliver(pair, system: str, entity: str, external_id: str, event_type: str,
             fingerprint: str = "f1") -> list[InboundEvent]:
    inbound_events_record(connection=pair.connection_for(system), fingerprint=fingerprint,
                          events=[WebhookEvent(entity, external_id, event_type)])
    return list(InboundEvent.objects.filter(external_id=external_id, event_type=event_type,
                                            status=InboundEvent.Status.PENDING))


def _sync(pair, system: str, entity: str, external_id: str, event_type: str) -> dict[str, Any]:
    return {event.flow.key: event_process(event_id=event.pk)
            for event in _deliver(pair, system, entity, external_id, event_type)}


def _letter_of(flow_key: str, external_id: str) -> DeadLetter:
    return DeadLetter.objects.select_related("event").get(flow__key=flow_key,
                                                          event__external_id=external_id)


def _hint(response, kind: str) -> dict[str, Any]:
    assert response.status_code == 200
    return next(h for h in response.context["hints"] if h["kind"] == kind)


def _order(shop, control, *, customer_synced: bool = True) -> str:
    """A shopper buys a Brightpearl product on the storefront; the product has synced, the
    customer has if ``customer_synced``."""
    pair = shop["pair"]
    product = control.records("brightpearl", shop["bp"]["account"], "product")[0]
    _sync(pair, "brightpearl", "product", str(product["id"]), "product.created")
    bc = connector_for(pair.partner)
    customer = bc.upsert("customer", {"email": "asa@example.com", "first_name": "Åsa",
                                      "last_name": "Lindqvist"})
    if customer_synced:
        _sync(pair, "bigcommerce", "customer", customer.id, "store/customer/created")
    bc_product_id = RecordLink.objects.get(flow__key="product-bp-to-bc").target_id
    order = bc.upsert("sales_order", {
        "status_id": 1, "customer_id": int(customer.id), "billing_address": BILLING,
        "products": [{"product_id": int(bc_product_id), "quantity": 2}]})
    return order.id


# --- add a lookup entry -------------------------------------------------------------------------

def test_a_lookup_miss_is_fixed_by_adding_the_entry_and_replays_every_letter_missing_that_key(
    shop, control, editor
):
    pair = shop["pair"]
    LookupEntry.objects.filter(table__name="categories").delete()
    products = control.records("brightpearl", shop["bp"]["account"], "product")
    for product in products:
        _sync(pair, "brightpearl", "product", str(product["id"]), "product.created")
    first = _letter_of("product-bp-to-bc", str(products[0]["id"]))
    category = products[0]["salesChannels"][0]["categories"][0]["categoryCode"]
    same = {str(p["id"]) for p in products
            if p["salesChannels"][0]["categories"][0]["categoryCode"] == category}

    hint = _hint(editor.get(f"/dead-letters/{first.pk}/"), "add_lookup_entry")
    assert hint["params"]["table"] == "categories" and hint["params"]["key"] == category
    assert hint["others"] == len(same) - 1
    response = editor.post(hint["post"], {"table": "categories", "key": category,
                                          "value": "20", "replay": "all"}, follow=True)

    assert "Added" in response.content.decode()
    assert LookupEntry.objects.get(table__name="categories", key=category).value == "20"
    replayed = DeadLetter.objects.filter(resolution=DeadLetter.Resolution.REPLAYED)
    assert {letter.event.external_id for letter in replayed} == same
    assert {letter.event.external_id for letter in DeadLetter.objects.filter(
        resolution=DeadLetter.Resolution.OPEN)} == {str(p["id"]) for p in products} - same
    for letter in replayed:
        assert event_process(event_id=letter.event_id).status == "done"
    skus = {p["sku"] for p in control.records("bigcommerce", shop["bc"]["account"], "products")}
    assert {p["identity"]["sku"] for p in products if str(p["id"]) in same} <= skus


def test_an_entry_for_a_key_the_table_has_already_is_refused_with_why(shop, control, editor):
    pair = shop["pair"]
    product = control.records("brightpearl", shop["bp"]["account"], "product")[0]
    category = product["salesChannels"][0]["categories"][0]["categoryCode"]
    LookupEntry.objects.filter(table__name="categories", key=category).delete()
    _sync(pair, "brightpearl", "product", str(product["id"]), "product.created")
    letter = _letter_of("product-bp-to-bc", str(product["id"]))
    LookupEntry.objects.create(table=LookupTable.objects.get(name="categories"), key=category,
                               value="21")

    response = editor.post(f"/dead-letters/{letter.pk}/lookup-entry/", {
        "table": "categories", "key": category, "value": "20"}, follow=True)

    assert escape(f"already maps {category!r} to '21'") in response.content.decode()
    letter.refresh_from_db()
    assert letter.resolution == DeadLetter.Resolution.OPEN


# --- change a date format -----------------------------------------------------------------------

def _break_order_dates(pair) -> None:
    flow = pair.flows.get(key="sales-order-bc-to-bp")
    document = flow.mapping.current_document
    document["fields"]["placedOn"] = {"from": "date_created",
                                      "transform": [{"date": {"from": "%Y-%m-%d"}}]}
    mapping_version_create(mapping=flow.mapping, document=document, comment="dates broken")


def test_a_date_in_another_format_is_fixed_by_a_new_mapping_version_then_delivered(
    shop, control, editor
):
    pair = shop["pair"]
    order_id = _order(shop, control)
    _break_order_dates(pair)
    outcomes = _sync(pair, "bigcommerce", "sales_order", order_id, "store/order/created")
    assert outcomes["sales-order-bc-to-bp"].status == "dead"
    letter = _letter_of("sales-order-bc-to-bp", order_id)

    hint = _hint(editor.get(f"/dead-letters/{letter.pk}/"), "change_date_format")
    assert hint["params"]["field"] == "placedOn"
    assert hint["params"]["value"] == letter.source_record["date_created"]
    assert hint["params"]["format"] == "%a, %d %b %Y %H:%M:%S %z"  # RFC 2822, BigCommerce's
    editor.post(hint["post"], {"field": "placedOn", "value": hint["params"]["value"],
                               "format": hint["params"]["format"], "replay": "all"})

    mapping = pair.flows.get(key="sales-order-bc-to-bp").mapping
    mapping.refresh_from_db()
    step = mapping.current_document["fields"]["placedOn"]["transform"][0]
    assert step == {"date": {"from": "%a, %d %b %Y %H:%M:%S %z"}}
    assert mapping.current_version.created_by.endswith("@example.com")
    letter.refresh_from_db()
    assert letter.resolution == DeadLetter.Resolution.REPLAYED
    assert event_process(event_id=letter.event_id).status == "done"
    assert RecordLink.objects.filter(flow__key="sales-order-bc-to-bp", source_id=order_id).exists()


def test_a_date_format_that_does_not_read_the_value_is_refused_and_saves_nothing(
    shop, control, editor
):
    pair = shop["pair"]
    order_id = _order(shop, control)
    _break_order_dates(pair)
    _sync(pair, "bigcommerce", "sales_order", order_id, "store/order/created")
    letter = _letter_of("sales-order-bc-to-bp", order_id)
    versions = MappingVersion.objects.count()

    response = editor.post(f"/dead-letters/{letter.pk}/date-format/", {
        "field": "placedOn", "value": letter.source_record["date_created"],
        "format": "%d/%m/%Y"}, follow=True)

    assert "&#x27;%d/%m/%Y&#x27; does not read" in response.content.decode()
    assert MappingVersion.objects.count() == versions


# --- sync the missing record --------------------------------------------------------------------

def test_an_order_whose_customer_never_synced_is_fixed_by_syncing_that_customer(
    shop, control, editor
):
    pair = shop["pair"]
    order_id = _order(shop, control, customer_synced=False)
    [event] = [e for e in _deliver(pair, "bigcommerce", "sales_order", order_id,
                                   "store/order/created") if e.flow.key == "sales-order-bc-to-bp"]
    # Its dependency retries are spent: the next failure dead-letters it.
    InboundEvent.objects.filter(pk=event.pk).update(attempts=MAX_DEPENDENCY_ATTEMPTS - 1)
    assert event_process(event_id=event.pk).status == "dead"
    letter = _letter_of("sales-order-bc-to-bp", order_id)
    customer_id = str(letter.source_record["customer_id"])

    hint = _hint(editor.get(f"/dead-letters/{letter.pk}/"), "sync_missing_record")
    assert hint["params"]["flow"] == "customer-bc-to-bp" and hint["params"]["id"] == customer_id
    editor.post(hint["post"], {"flow": "customer-bc-to-bp", "id": customer_id,
                               "replay": "all"})

    manual = InboundEvent.objects.get(flow__key="customer-bc-to-bp", external_id=customer_id,
                                      origin="manual")
    assert manual.status == InboundEvent.Status.PENDING
    letter.refresh_from_db()
    assert letter.resolution == DeadLetter.Resolution.REPLAYED
    assert event_process(event_id=manual.pk).status == "done"
    assert event_process(event_id=letter.event_id).status == "done"


def test_a_product_missing_by_sku_is_found_in_the_source_and_synced_by_its_id(
    shop, control, editor
):
    pair = shop["pair"]
    product = control.records("brightpearl", shop["bp"]["account"], "product")[1]
    letter = dead_letter_make(pair.flows.get(key="sales-order-bc-to-bp"), "900",
                              error_class="DependencyMissing")
    DeadLetter.objects.filter(pk=letter.pk).update(reason=(
        "Waiting for a related record to sync first: "
        f"{product['identity']['sku']!r} is not in lookup table 'bp_product_ids'"))

    hint = _hint(editor.get(f"/dead-letters/{letter.pk}/"), "sync_missing_record")
    assert hint["params"]["natural_key"] == product["identity"]["sku"]
    editor.post(hint["post"], {"flow": "product-bp-to-bc",
                               "natural_key": hint["params"]["natural_key"]})

    manual = InboundEvent.objects.get(flow__key="product-bp-to-bc", origin="manual")
    assert manual.external_id == str(product["id"])
    assert event_process(event_id=manual.pk).status == "done"


def test_a_sku_the_source_does_not_have_is_refused_with_what_to_do(shop, editor):
    letter = dead_letter_make(shop["pair"].flows.get(key="sales-order-bc-to-bp"), "901",
                              error_class="DependencyMissing")

    response = editor.post(f"/dead-letters/{letter.pk}/sync-record/", {
        "flow": "product-bp-to-bc", "natural_key": "NO-SUCH-SKU"}, follow=True)

    assert "has no product with sku &#x27;NO-SUCH-SKU&#x27;" in response.content.decode()
    assert not InboundEvent.objects.filter(origin="manual").exists()


# --- reconnect, approve, and who may -------------------------------------------------------------

def test_an_auth_failure_links_to_the_connection_that_refused(order_flow, viewer):
    letter = dead_letter_make(order_flow, "5", error_class="AuthError")

    page = viewer.get(f"/dead-letters/{letter.pk}/").content.decode()

    # Its source record was read, so the target (Brightpearl) refused.
    assert f'href="/connections/{order_flow.pair.brightpearl_id}/"' in page
    assert "Open the connection" in page


def test_a_record_held_for_review_is_approved_from_its_page(order_flow, editor):
    letter = dead_letter_make(order_flow, "6", error_class="HeldForReview")
    DeadLetter.objects.filter(pk=letter.pk).update(problems=[{
        "target_path": "billing.zip", "source_path": "billing.zip", "kind": "quality.address",
        "message": "'ABC' is not a postcode", "check": "address", "data": {}}])

    hint = _hint(editor.get(f"/dead-letters/{letter.pk}/"), "approve")
    editor.post(hint["post"])

    letter.refresh_from_db()
    assert letter.resolution == DeadLetter.Resolution.REPLAYED
    assert InboundEvent.objects.get(pk=letter.event_id).payload["quality_approved"] == ["address"]


def _lookup_letter(order_flow) -> DeadLetter:
    letter = dead_letter_make(order_flow, "7", error_class="MappingFailed")
    DeadLetter.objects.filter(pk=letter.pk).update(problems=[{
        "target_path": "assignment.channelId", "source_path": "channel_id", "kind": "lookup",
        "message": "9 is not in lookup table 'channels'"}])
    return letter


def test_a_viewer_sees_the_hints_but_no_fix_buttons(order_flow, viewer):
    letter = _lookup_letter(order_flow)

    page = viewer.get(f"/dead-letters/{letter.pk}/").content.decode()

    assert "is not in the lookup table &#x27;channels&#x27;" in page
    assert "/lookup-entry/" not in page and "Add the entry" not in page


@pytest.mark.parametrize("action", ["lookup-entry", "date-format", "sync-record", "approve"])
def test_a_viewer_cannot_use_a_fix(order_flow, viewer, action):
    letter = _lookup_letter(order_flow)
    entries, versions = LookupEntry.objects.count(), MappingVersion.objects.count()

    refused = viewer.post(f"/dead-letters/{letter.pk}/{action}/", {
        "table": "channels", "key": "9", "value": "3", "field": "placedOn", "format": "iso",
        "flow": "customer-bc-to-bp", "id": "1"})

    assert refused.status_code == 403
    assert (LookupEntry.objects.count(), MappingVersion.objects.count()) == (entries, versions)
    assert not InboundEvent.objects.filter(origin="manual").exists()
    assert DeadLetter.objects.get(pk=letter.pk).resolution == DeadLetter.Resolution.OPEN


def test_a_fix_without_the_csrf_token_is_refused(order_flow, tenant_a):
    letter = _lookup_letter(order_flow)
    client = Client(HTTP_HOST="alpha.localhost", enforce_csrf_checks=True)
    client.force_login(UserFactory(role="admin"))

    refused = client.post(f"/dead-letters/{letter.pk}/lookup-entry/", {
        "table": "channels", "key": "9", "value": "3"})

    assert refused.status_code == 403
    assert not LookupEntry.objects.filter(table__name="channels", key="9").exists()


def test_a_resolved_dead_letter_offers_no_fix_and_refuses_one(order_flow, editor):
    letter = _lookup_letter(order_flow)
    DeadLetter.objects.filter(pk=letter.pk).update(resolution=DeadLetter.Resolution.DISCARDED)

    page = editor.get(f"/dead-letters/{letter.pk}/").content.decode()
    response = editor.post(f"/dead-letters/{letter.pk}/lookup-entry/", {
        "table": "channels", "key": "9", "value": "3"}, follow=True)

    assert "/lookup-entry/" not in page
    assert "no longer open" in response.content.decode()
    assert not LookupEntry.objects.filter(table__name="channels", key="9").exists()


def test_the_api_lists_each_dead_letters_hints_with_their_actions(order_flow):
    _lookup_letter(order_flow)

    [row] = api_client(UserFactory(role="admin")).get("/api/v1/dead-letters/").json()["results"]

    [hint] = row["hints"]
    assert hint["action"] == {"kind": "add_lookup_entry",
                              "params": {"table": "channels", "key": "9",
                                         "field": "assignment.channelId"}}
    assert "'9'" in hint["text"] and hint["field"] == "assignment.channelId"


def _duplicate_letter(flow) -> DeadLetter:
    letter = dead_letter_make(flow, "8", error_class="HeldForReview")
    DeadLetter.objects.filter(pk=letter.pk).update(problems=[{
        "target_path": "", "source_path": "", "kind": "quality.dedupe", "check": "dedupe",
        "message": "Looks like contact 207 (Ann Lee): same email ignoring case.",
        "data": {"target_id": "207", "label": "Ann Lee", "score": 0.97,
                 "candidates": [{"target_id": "311", "label": "Anne Lee", "score": 0.71}]}}])
    letter.refresh_from_db()
    return letter


def test_a_held_duplicate_is_linked_to_the_candidate_the_reviewer_picks(order_flow, editor):
    letter = _duplicate_letter(order_flow)
    page = editor.get(f"/dead-letters/{letter.pk}/").content.decode()
    assert 'value="207"' in page and 'value="311"' in page

    editor.post(f"/dead-letters/{letter.pk}/link/", {"target_id": "311"})

    letter.refresh_from_db()
    assert letter.resolution == DeadLetter.Resolution.REPLAYED
    assert RecordLink.objects.get(flow=order_flow, source_id="8").target_id == "311"


def test_linking_to_a_record_the_check_did_not_find_is_refused(order_flow, editor):
    letter = _duplicate_letter(order_flow)

    answer = editor.post(f"/dead-letters/{letter.pk}/link/", {"target_id": "999"}, follow=True)

    assert "999 is not one of the records the duplicate check found" in answer.content.decode()
    letter.refresh_from_db()
    assert letter.resolution == DeadLetter.Resolution.OPEN
    assert not RecordLink.objects.filter(flow=order_flow, source_id="8").exists()


def test_a_viewer_cannot_link_a_held_duplicate(order_flow, viewer):
    letter = _duplicate_letter(order_flow)

    assert viewer.post(f"/dead-letters/{letter.pk}/link/", {"target_id": "207"}).status_code == 403
    assert not RecordLink.objects.exists()
