"""Flows as steps in the pipeline: template documents, each step kind against the sandboxes,
versions and rollback, and the fixed pipeline behaving as it did."""

from __future__ import annotations

import pytest

from integrations.connectors.base import WebhookEvent
from integrations.models import DeadLetter, Flow, InboundEvent, Mapping, Transaction
from integrations.services.events import inbound_events_record
from integrations.services.mappings import mapping_create, mapping_sample_fetch
from integrations.services.quality import flow_quality_set
from integrations.services.steps import (
    flow_default_document,
    flow_steps_diff,
    flow_steps_document,
    flow_steps_rollback,
    flow_steps_save,
    flow_steps_test,
)
from integrations.services.sync import event_process
from integrations.workflow import WorkflowDocumentError

pytestmark = pytest.mark.django_db

PRODUCT_FLOW = "product-bp-to-bc"


def _product_flow(bc_pair) -> Flow:
    return bc_pair["pair"].flows.get(key=PRODUCT_FLOW)


def _sync_product(bc_pair, product: dict, fingerprint: str = "f1"):
    connection = bc_pair["pair"].brightpearl
    inbound_events_record(connection=connection, fingerprint=fingerprint, events=[
        WebhookEvent("product", str(product["id"]), "product.modified")])
    event = InboundEvent.objects.filter(external_id=str(product["id"]),
                                        flow__key=PRODUCT_FLOW).latest("pk")
    return event, event_process(event_id=event.pk)


def _with_steps(flow: Flow, *before_map: dict, after_map: tuple[dict, ...] = ()) -> dict:
    """The flow's current document with steps put before and after its transform."""
    document = flow_steps_document(flow)
    steps = document["steps"]
    at = next(i for i, s in enumerate(steps) if s["kind"] == "transform")
    return {**document, "steps": [*steps[:at], *before_map, steps[at], *after_map,
                                  *steps[at + 1:]]}


def _products(control, bc_pair) -> list[dict]:
    return control.records("brightpearl", bc_pair["bp"]["account"], "product")


def test_a_pair_from_a_template_saves_each_flows_steps_as_version_one(bc_pair):
    for flow in bc_pair["pair"].flows.select_related("steps_version"):
        assert flow.steps_version.number == 1
        assert flow.steps_version.document == flow_default_document(flow)


def test_the_template_document_carries_the_flows_follow_ups(bc_pair):
    flow = bc_pair["pair"].flows.exclude(follow_ups=[]).first()
    follow_ups = [s for s in flow.steps_version.document["steps"] if s["kind"] == "follow_up"]
    assert [(s["action"], s["system"], s["args"]) for s in follow_ups] == [
        (f["action"], f["system"], f["args"]) for f in flow.follow_ups]


def test_a_flow_without_saved_steps_syncs_like_one_running_the_default_document(
        bc_pair, control):
    flow = _product_flow(bc_pair)
    first, second = _products(control, bc_pair)[:2]
    Flow.objects.filter(pk=flow.pk).update(steps_version=None)
    _, plain = _sync_product(bc_pair, first)
    flow_steps_save(flow=flow, document=flow_default_document(flow))
    _, stepped = _sync_product(bc_pair, second)
    rows = Transaction.objects.filter(flow=flow).order_by("pk")
    assert (plain.status, stepped.status) == ("done", "done")
    assert [(t.status, t.action, sorted(t.target_record)) for t in rows] == [
        (rows[0].status, rows[0].action, sorted(rows[0].target_record))] * 2


def test_a_filter_step_skips_a_record_and_logs_the_reason(bc_pair, control):
    flow = _product_flow(bc_pair)
    product = _products(control, bc_pair)[0]
    flow_steps_save(flow=flow, document=_with_steps(flow, {
        "id": "not-this-sku", "kind": "filter", "name": "Not this SKU",
        "skip": {"from": "identity.sku", "eq": product["identity"]["sku"]},
        "reason": "kept off the storefront"}))

    event, outcome = _sync_product(bc_pair, product)

    assert outcome.status == "skipped"
    tx = Transaction.objects.get(event=event)
    assert tx.status == "skipped"
    assert tx.message == "Skipped by Step 'Not this SKU' (filter): kept off the storefront."
    assert control.records("bigcommerce", bc_pair["bc"]["account"], "products") == []


def test_a_validate_step_sends_a_record_that_breaks_a_rule_to_a_dead_letter(bc_pair, control):
    flow = _product_flow(bc_pair)
    flow_steps_save(flow=flow, document=_with_steps(flow, after_map=({
        "id": "price-rule", "kind": "validate", "name": "Storefront price", "rules": [
            {"require": {"from": "price", "gt": 1000000}, "message": "price must be above a "
                                                                     "million"}]},)))

    event, outcome = _sync_product(bc_pair, _products(control, bc_pair)[0])

    assert outcome.status == "dead"
    letter = DeadLetter.objects.get(event=event)
    assert letter.error_class == "ValidationFailed"
    assert letter.reason == "Step 'Storefront price' (validate): price must be above a million"
    assert letter.problems[0]["step"] == "price-rule"


def test_an_enrich_step_reads_a_related_record_from_the_source_system(bc_pair, control):
    flow = _product_flow(bc_pair)
    product = _products(control, bc_pair)[0]
    flow_steps_save(flow=flow, document=_with_steps(flow, {
        "id": "stock", "kind": "enrich", "system": "source", "entity": "inventory",
        "id_from": "id", "as": "stock"}))

    event, outcome = _sync_product(bc_pair, product)

    assert outcome.status == "done", outcome.message
    assert Transaction.objects.get(event=event).source_record["stock"] is not None


def test_a_route_sends_records_to_the_branchs_filter(bc_pair, control):
    flow = _product_flow(bc_pair)
    first, second = _products(control, bc_pair)[:2]
    flow_steps_save(flow=flow, document=_with_steps(flow, {
        "id": "by-sku", "kind": "route", "branches": [
            {"name": "Held back", "when": {"from": "identity.sku",
                                           "eq": first["identity"]["sku"]},
             "steps": [{"id": "hold-back", "kind": "filter", "skip": {"expr": "`true`"},
                        "reason": "held back"}]}]}))

    _, held = _sync_product(bc_pair, first)
    _, synced = _sync_product(bc_pair, second)

    assert (held.status, synced.status) == ("skipped", "done")


def test_rolling_back_the_steps_runs_the_earlier_version_again(bc_pair, control):
    flow = _product_flow(bc_pair)
    product = _products(control, bc_pair)[0]
    flow_steps_save(flow=flow, document=_with_steps(flow, {
        "id": "skip-all", "kind": "filter", "skip": {"expr": "`true`"}}))
    _, skipped = _sync_product(bc_pair, product)

    flow_steps_rollback(flow=flow, number=1)
    _, synced = _sync_product(bc_pair, product, fingerprint="f2")

    assert (skipped.status, synced.status) == ("skipped", "done")


def test_a_transform_whose_mapping_was_renamed_sends_the_record_to_a_dead_letter(
        bc_pair, control):
    flow = _product_flow(bc_pair)
    other = mapping_create(name="Storefront products", document=flow.mapping.current_document)
    document = _with_steps(flow)
    next(s for s in document["steps"] if s["kind"] == "transform")["mapping"] = other.name
    flow_steps_save(flow=flow, document=document)
    Mapping.objects.filter(pk=other.pk).update(name="Renamed")

    event, outcome = _sync_product(bc_pair, _products(control, bc_pair)[0])

    assert outcome.status == "dead"
    letter = DeadLetter.objects.get(event=event)
    assert (letter.error_class, letter.reason) == (
        "MappingFailed", "There is no mapping called 'Storefront products'.")


def test_saving_a_document_with_mistakes_keeps_the_current_version(bc_pair):
    flow = _product_flow(bc_pair)
    with pytest.raises(WorkflowDocumentError) as refused:
        flow_steps_save(flow=flow, document=_with_steps(flow, {
            "id": "other", "kind": "transform", "mapping": "No such mapping"}))
    assert str(refused.value.problems[0]) == (
        "step 'other' (steps[1].mapping): there is no mapping called 'No such mapping'")
    flow.refresh_from_db()
    assert flow.steps_version.number == 1


def test_a_follow_up_naming_an_action_the_system_lacks_is_refused(bc_pair):
    flow = _product_flow(bc_pair)
    document = _with_steps(flow)
    document["steps"].append({"id": "bogus", "kind": "follow_up", "action": "launch_rocket",
                              "system": "brightpearl"})
    with pytest.raises(WorkflowDocumentError, match="Brightpearl has no action 'launch_rocket'"):
        flow_steps_save(flow=flow, document=document)


def test_an_enrich_of_an_entity_the_system_lacks_is_refused(bc_pair):
    flow = _product_flow(bc_pair)
    with pytest.raises(WorkflowDocumentError, match="Brightpearl has no 'planet' records"):
        flow_steps_save(flow=flow, document=_with_steps(flow, {
            "id": "e", "kind": "enrich", "system": "source", "entity": "planet",
            "id_from": "id", "as": "planet"}))


def test_the_diff_names_added_moved_and_changed_steps(bc_pair):
    flow = _product_flow(bc_pair)
    old = _with_steps(flow, {"id": "f", "kind": "filter", "skip": {"from": "a", "eq": 1}})
    new = _with_steps(flow, {"id": "f", "kind": "filter", "skip": {"from": "a", "eq": 2}},
                      {"id": "v", "kind": "validate", "rules": [
                          {"require": {"from": "a", "exists": True}, "message": "a"}]})
    changes = {(c.step, c.change, c.detail) for c in flow_steps_diff(old=old, new=new)}
    assert ("f", "changed", "skip") in changes
    assert ("v", "added", "steps[2]") in changes
    assert ("map", "moved", "steps[2] → steps[3]") in changes


def test_a_test_run_shows_each_steps_decision_without_writing(bc_pair, control):
    flow = _product_flow(bc_pair)
    product = _products(control, bc_pair)[0]
    document = _with_steps(flow, {"id": "cheap", "kind": "filter",
                                  "keep": {"from": "identity.sku", "exists": True}})
    sample = mapping_sample_fetch(flow=flow, external_id=str(product["id"])).record

    result = flow_steps_test(flow=flow, document=document, sample=sample)

    assert result.outcome == "write", result.message
    decisions = {t.step: t for t in result.trace}
    assert decisions["anomaly"].decision == "off for this flow (Data quality settings)"
    assert decisions["cheap"].decision == "passed"
    assert decisions["map"].decision == "mapped with the flow's mapping"
    assert decisions["map"].input["id"] == product["id"]
    assert result.record["sku"] == product["identity"]["sku"]
    assert result.would == "create"
    assert control.records("bigcommerce", bc_pair["bc"]["account"], "products") == []
    assert not Transaction.objects.exists()


def test_a_test_run_of_a_skipping_filter_says_why(bc_pair, control):
    flow = _product_flow(bc_pair)
    document = _with_steps(flow, {"id": "none", "kind": "filter", "skip": {"expr": "`true`"},
                                  "reason": "nothing today"})
    result = flow_steps_test(flow=flow, document=document,
                             sample=_products(control, bc_pair)[0])
    assert (result.outcome, result.message) == (
        "skip", "Skipped by Step 'filter' (filter): nothing today.")


def test_a_test_run_of_a_bad_document_lists_its_problems(bc_pair):
    result = flow_steps_test(flow=_product_flow(bc_pair), sample={},
                             document={"format_version": 1, "steps": []})
    assert result.outcome == "invalid-document"
    assert "without a transform" in result.problems[0]["message"]


def test_a_test_run_runs_the_flows_own_quality_check_when_it_is_on(bc_pair, control):
    flow = _product_flow(bc_pair)
    flow_quality_set(flow=flow, settings={"anomaly": {"enabled": True}})
    product = _products(control, bc_pair)[0]
    sample = mapping_sample_fetch(flow=flow, external_id=str(product["id"])).record

    result = flow_steps_test(flow=flow, document=flow_steps_document(flow), sample=sample)

    assert result.outcome == "write", result.message
    assert {t.step: t.decision for t in result.trace}["anomaly"] == "nothing unusual"
