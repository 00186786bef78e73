"""The step engine on plain records: every step kind, branching, and documents it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.mapping import compile_mapping
from integrations.workflow import (
    StepFailed,
    Transformed,
    TransformProblems,
    ValidationFailed,
    WorkflowDocumentError,
    compile_workflow,
    default_document,
)

MAPPINGS = {
    None: {"format_version": 1, "target": {"system": "x", "entity": "order"},
           "fields": {"ref": "id", "total": {"from": "total", "transform": ["to_decimal"]},
                      "email": "customer.email"}},
    "B2B orders": {"format_version": 1, "target": {"system": "x", "entity": "trade_order"},
                   "fields": {"ref": "id", "account": {"from": "account", "required": True}}},
}


class Runtime:
    """The mapping engine for transforms; systems and checks as small in-memory stand-ins,
    because these tests are about the steps, not the systems."""

    def __init__(self, related: dict[tuple[str, str, str], Any] | None = None) -> None:
        self.related = related or {}
        self.checked: list[tuple[str, bool]] = []

    def transform(self, *, mapping: str | None, version: int | None, record: Any
                  ) -> Transformed:
        document = MAPPINGS[mapping]
        result = compile_mapping(document, schema=None).apply(record)
        return Transformed(result.record, [
            {"target_path": p.target_path, "source_path": p.source_path or "", "kind": p.kind,
             "message": p.message} for p in result.problems], document["target"]["entity"])

    def enrich(self, *, system: str, entity: str, external_id: str) -> Any:
        return self.related.get((system, entity, external_id))

    def check(self, *, check: str, record: Any, transformed: bool) -> Any:
        self.checked.append((check, transformed))
        if check == "address":
            return {**record, "city": str(record.get("city", "")).title()}, "cleansed"
        return record, "done"


def steps(*items: dict[str, Any]) -> dict[str, Any]:
    return {"format_version": 1, "steps": list(items)}


MAP = {"id": "map", "kind": "transform"}
ORDER = {"id": "1001", "total": "25.50", "channel": "web", "customer": {"email": "a@x.com"},
         "city": "LEEDS"}


def run(document: dict[str, Any], record: dict[str, Any] = ORDER, runtime: Any = None,
        **options: Any) -> Any:
    return compile_workflow(document).run(record, runtime or Runtime(), **options)


def test_a_transform_step_writes_the_mapped_record():
    result = run(steps(MAP))
    assert result.outcome == "write"
    assert result.record == {"ref": "1001", "total": pytest.approx(25.5), "email": "a@x.com"}
    assert result.target_entity == "order"


def test_a_skip_filter_skips_a_matching_record_with_its_reason():
    result = run(steps({"id": "no-web", "kind": "filter", "name": "No web orders",
                        "skip": {"from": "channel", "eq": "web"}, "reason": "web is direct"},
                       MAP))
    assert result.skipped
    assert result.step == "no-web"
    assert result.reason == "Skipped by Step 'No web orders' (filter): web is direct."


def test_a_skip_filter_passes_a_record_that_does_not_match():
    result = run(steps({"id": "no-amazon", "kind": "filter",
                        "skip": {"from": "channel", "eq": "amazon"}}, MAP))
    assert result.outcome == "write"


def test_a_keep_filter_skips_records_that_do_not_match():
    result = run(steps({"id": "big", "kind": "filter", "keep": {"from": "total", "gt": 100}},
                       MAP))
    assert result.skipped
    assert "did not match" in result.reason


def test_a_route_runs_the_steps_of_the_first_matching_branch():
    document = steps({"id": "b2b-or-b2c", "kind": "route", "branches": [
        {"name": "B2B", "when": {"from": "account", "exists": True},
         "steps": [{"id": "map-b2b", "kind": "transform", "mapping": "B2B orders"}]},
    ], "otherwise": [MAP]})
    trade = run(document, {**ORDER, "account": "ACME"})
    assert trade.record == {"ref": "1001", "account": "ACME"}
    assert trade.target_entity == "trade_order"
    assert trade.trace[0].decision == "branch 'B2B'"


def test_a_route_with_no_matching_branch_runs_otherwise():
    document = steps({"id": "route", "kind": "route", "branches": [
        {"name": "B2B", "when": {"from": "account", "exists": True},
         "steps": [{"id": "map-b2b", "kind": "transform", "mapping": "B2B orders"}]},
    ], "otherwise": [MAP]})
    result = run(document)
    assert result.target_entity == "order"
    assert result.trace[0].decision == "no branch matched: otherwise"


def test_steps_after_a_route_run_whichever_branch_was_taken():
    document = steps(
        {"id": "route", "kind": "route", "branches": [
            {"name": "Marketplace", "when": {"from": "channel", "in": ["amazon", "ebay"]},
             "steps": [{"id": "skip-mp", "kind": "filter", "keep": {"from": "total",
                                                                     "gte": 10}}]}]},
        MAP,
        {"id": "has-email", "kind": "validate", "rules": [
            {"require": {"from": "email", "exists": True}, "message": "email is missing"}]})
    result = run(document, {**ORDER, "channel": "ebay"})
    assert [t.step for t in result.trace] == ["route", "skip-mp", "map", "has-email"]
    assert result.trace[1].depth == 1


def test_a_branch_can_end_a_record_with_a_filter():
    document = steps({"id": "route", "kind": "route", "branches": [
        {"name": "Tests", "when": {"from": "customer.email", "contains": "@x.com"},
         "steps": [{"id": "drop", "kind": "filter", "skip": {"expr": "`true`"},
                    "reason": "test orders"}]}]}, MAP)
    assert run(document).skipped


def test_a_validate_step_fails_with_every_broken_rule_message():
    document = steps(MAP, {"id": "rules", "kind": "validate", "name": "Order rules", "rules": [
        {"require": {"from": "total", "gt": 100}, "message": "total must be above 100"},
        {"require": {"from": "email", "exists": True}, "message": "email is required"},
        {"require": {"from": "ref", "in": ["1", "2"]}, "message": "ref must be 1 or 2"},
    ]})
    with pytest.raises(ValidationFailed) as failed:
        run(document)
    assert str(failed.value) == ("Step 'Order rules' (validate): total must be above 100; "
                                 "ref must be 1 or 2")
    assert [p["step"] for p in failed.value.problems] == ["rules", "rules"]


def test_a_validate_step_passes_a_record_that_holds_every_rule():
    document = steps(MAP, {"id": "rules", "kind": "validate", "rules": [
        {"require": {"from": "total", "lte": 100}, "message": "too big"}]})
    assert run(document).outcome == "write"


def test_an_enrich_step_adds_the_related_record_for_the_mapping_to_read():
    runtime = Runtime({("source", "customer", "C7"): {"email": "buyer@shop.com"}})
    document = steps({"id": "customer", "kind": "enrich", "system": "source",
                      "entity": "customer", "id_from": "customerId", "as": "customer"}, MAP)
    result = run(document, {**ORDER, "customer": None, "customerId": "C7"}, runtime)
    assert result.record["email"] == "buyer@shop.com"
    assert result.source["customer"] == {"email": "buyer@shop.com"}


def test_a_required_enrich_fails_naming_the_step_when_nothing_is_found():
    document = steps({"id": "customer", "kind": "enrich", "system": "target",
                      "entity": "customer", "id_from": "customerId", "as": "customer"}, MAP)
    with pytest.raises(StepFailed, match="customer C7 was not found in the target system"):
        run(document, {**ORDER, "customerId": "C7"})


def test_an_optional_enrich_goes_on_without_the_related_record():
    document = steps({"id": "customer", "kind": "enrich", "system": "source",
                      "entity": "customer", "id_from": "customerId", "as": "extra",
                      "required": False}, MAP)
    result = run(document)
    assert result.outcome == "write"
    assert result.source["extra"] is None


def test_check_steps_ask_the_runtime_before_and_after_the_transform():
    runtime = Runtime()
    document = steps({"id": "address", "kind": "check", "check": "address"}, MAP,
                     {"id": "dedupe", "kind": "check", "check": "dedupe"})
    result = run(document, runtime=runtime)
    assert runtime.checked == [("address", False), ("dedupe", True)]
    assert result.source["city"] == "Leeds"
    assert result.trace[0].decision == "cleansed"


def test_follow_ups_are_handed_back_to_run_after_the_write():
    follow_up = {"id": "note", "kind": "follow_up", "action": "order_note_add",
                 "system": "brightpearl", "args": {"order_id": "source.id"}}
    result = run(steps(MAP, follow_up))
    assert result.follow_ups == [follow_up]
    assert result.trace[-1].decision == "runs after the write"


def test_a_transform_that_cannot_map_the_record_raises_its_problems():
    document = steps({"id": "map-b2b", "kind": "transform", "mapping": "B2B orders"})
    with pytest.raises(TransformProblems) as failed:
        run(document)
    assert failed.value.problems[0]["target_path"] == "account"


def test_a_condition_on_a_value_of_the_wrong_type_fails_naming_the_step():
    document = steps({"id": "big", "kind": "filter", "keep": {"from": "channel", "gt": 5}}, MAP)
    with pytest.raises(StepFailed, match="Step 'filter' \\(filter\\)"):
        run(document)


def test_the_trace_keeps_each_steps_input_and_output_when_asked():
    result = run(steps({"id": "address", "kind": "check", "check": "address"}, MAP),
                 keep_io=True)
    assert result.trace[0].input["city"] == "LEEDS"
    assert result.trace[0].output["city"] == "Leeds"
    assert result.trace[1].output["ref"] == "1001"


def test_the_trace_ends_with_the_failing_step_when_a_step_fails():
    trace: list[Any] = []
    document = steps(MAP, {"id": "rules", "kind": "validate", "rules": [
        {"require": {"from": "total", "gt": 100}, "message": "too small"}]})
    with pytest.raises(ValidationFailed):
        run(document, trace=trace)
    assert [(t.step, t.decision) for t in trace] == [("map", "mapped with the flow's mapping"),
                                                     ("rules", "failed: too small")]


def test_the_default_document_is_checks_then_mapping_then_duplicates_then_follow_ups():
    document = default_document(checks=["dedupe", "address", "anomaly"], follow_ups=[
        {"action": "order_note_add", "system": "brightpearl", "args": {},
         "description": "Note the order"}])
    assert [s["id"] for s in document["steps"]] == ["address", "anomaly", "map", "dedupe",
                                                    "follow-up-1"]
    compile_workflow(document)


def problems(document: Any) -> list[str]:
    with pytest.raises(WorkflowDocumentError) as refused:
        compile_workflow(document)
    return [str(p) for p in refused.value.problems]


def test_a_document_without_steps_is_refused():
    assert problems({"format_version": 1}) == ["steps: steps are a list"]


def test_a_document_of_another_format_version_is_refused():
    assert "format_version: format_version must be 1" in problems(
        {"format_version": 2, "steps": [MAP]})


def test_an_unknown_step_kind_is_refused_naming_the_step():
    assert problems(steps({"id": "x", "kind": "sleep"}, MAP)) == [
        "step 'x' (steps[0].kind): unknown kind 'sleep' (known: filter, route, transform, "
        "enrich, validate, check, follow_up)"]


def test_every_mistake_is_reported_at_once():
    found = problems(steps({"id": "Bad Id", "kind": "transform"},
                           {"id": "f", "kind": "filter", "skip": {"from": "a", "equals": 1}},
                           {"id": "v", "kind": "validate", "rules": [{"require": {}}]}))
    assert len(found) == 3
    assert found[0].startswith("steps[0].id: each step needs an id")
    assert found[1].startswith("step 'f' (steps[1].skip): a comparison takes exactly one")
    assert found[2].startswith("step 'v' (steps[2].rules[0]): a rule is")


def test_two_steps_with_one_id_are_refused():
    assert "step 'map' (steps[1].id): two steps have this id; ids are unique" in problems(
        steps(MAP, MAP))


def test_a_filter_with_both_keep_and_skip_is_refused():
    assert any("a filter has one condition" in p for p in problems(steps(
        {"id": "f", "kind": "filter", "keep": {"from": "a", "eq": 1},
         "skip": {"from": "a", "eq": 2}}, MAP)))


def test_a_setting_the_kind_does_not_take_is_refused():
    assert any("unknown setting(s) mapping for a filter step" in p for p in problems(steps(
        {"id": "f", "kind": "filter", "keep": {"from": "a", "eq": 1}, "mapping": "x"}, MAP)))


def test_a_route_branch_without_a_condition_is_refused():
    assert any("each branch needs a condition" in p for p in problems(steps(
        {"id": "r", "kind": "route", "branches": [{"name": "A", "steps": [MAP]}]})))


def test_a_document_that_can_reach_the_write_without_a_transform_is_refused():
    found = problems(steps({"id": "r", "kind": "route", "branches": [
        {"name": "A", "when": {"from": "a", "eq": 1}, "steps": [MAP]}]}))
    assert found == ["steps: a record can reach the target write without a transform step: "
                     "add one (every branch of a route needs one if it comes first)"]


def test_a_follow_up_before_another_step_is_refused():
    assert any("every follow-up comes after the other steps" in p for p in problems(steps(
        MAP, {"id": "fu", "kind": "follow_up", "action": "a", "system": "b"},
        {"id": "v", "kind": "validate", "rules": [
            {"require": {"from": "a", "exists": True}, "message": "m"}]})))


def test_a_follow_up_inside_a_branch_is_refused():
    assert any("they belong in the flow's steps" in p for p in problems(steps(
        {"id": "r", "kind": "route", "branches": [{"name": "A", "when": {"from": "a", "eq": 1},
                                                   "steps": [MAP, {
                                                       "id": "fu", "kind": "follow_up",
                                                       "action": "a", "system": "b"}]}],
         "otherwise": [{"id": "map2", "kind": "transform"}]})))


def test_a_duplicate_check_before_the_transform_is_refused():
    assert any("put it after a transform" in p for p in problems(steps(
        {"id": "d", "kind": "check", "check": "dedupe"}, MAP)))


def test_an_address_check_after_the_transform_is_refused():
    assert any("put it before the transform" in p for p in problems(steps(
        MAP, {"id": "a", "kind": "check", "check": "address"})))


def test_an_enrich_without_an_id_to_look_up_is_refused():
    assert any("enrich needs the id to look up" in p for p in problems(steps(
        {"id": "e", "kind": "enrich", "system": "source", "entity": "customer",
         "as": "customer"}, MAP)))


def test_a_step_failing_inside_a_branch_is_traced_once_and_not_as_its_route():
    trace: list[Any] = []
    document = steps({"id": "route", "kind": "route", "branches": [
        {"name": "All", "when": {"expr": "`true`"}, "steps": [
            MAP, {"id": "rules", "kind": "validate", "rules": [
                {"require": {"from": "total", "gt": 100}, "message": "too small"}]}]}],
        "otherwise": [{"id": "map-other", "kind": "transform"}]})
    with pytest.raises(ValidationFailed):
        run(document, trace=trace)
    assert [(t.step, t.decision) for t in trace] == [
        ("route", "branch 'All'"), ("map", "mapped with the flow's mapping"),
        ("rules", "failed: too small")]
