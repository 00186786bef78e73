"""Flows as steps: save, roll back, compare and test-run a flow's step document.

The document format and the engine are in ``integrations/workflow/``; this module checks what
only the tenant's data can tell (mapping names, connector entities and actions), keeps the
versions, and runs a document on a sample record without writing anywhere.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import transaction
from django.db.models import Max

from integrations.connectors.errors import ConnectorError, NotFound
from integrations.connectors.registry import connector_class
from integrations.models import (
    Connection,
    Flow,
    FlowStepsVersion,
    InboundEvent,
    Mapping,
    RecordLink,
)
from integrations.services.quality import APPLIES, FlowQuality, HeldForReview, Note
from integrations.workflow import (
    StepProblem,
    StepTrace,
    Transformed,
    TransformProblems,
    Workflow,
    WorkflowDocumentError,
    compile_workflow,
    default_document,
)
from integrations.workflow.engine import StepFailed, ValidationFailed


def flow_default_document(flow: Flow) -> dict[str, Any]:
    """The fixed pipeline as a step document: what a flow without saved steps runs."""
    return default_document(checks=[c for c, entities in APPLIES.items()
                                    if flow.entity in entities],
                            follow_ups=flow.follow_ups or [])


def flow_steps_document(flow: Flow) -> dict[str, Any]:
    """The document the flow runs now."""
    if flow.steps_version_id:
        return flow.steps_version.document
    return flow_default_document(flow)


def _walk(steps: Any) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    if not isinstance(steps, list):
        return out

    def visit(items: list[Any], where: str) -> None:
        for i, step in enumerate(items):
            if not isinstance(step, dict):
                continue
            spot = f"{where}[{i}]"
            out.append((spot, step))
            for b, branch in enumerate(step.get("branches") or []):
                if isinstance(branch, dict) and isinstance(branch.get("steps"), list):
                    visit(branch["steps"], f"{spot}.branches[{b}].steps")
            if isinstance(step.get("otherwise"), list):
                visit(step["otherwise"], f"{spot}.otherwise")

    visit(steps, "steps")
    return out


def flow_steps_problems(*, flow: Flow, document: Any) -> list[StepProblem]:
    """Every mistake in ``document`` for this flow: the engine's, then what refers to the
    tenant's mappings and the pair's systems."""
    try:
        compile_workflow(document)
    except WorkflowDocumentError as exc:
        return exc.problems
    problems: list[StepProblem] = []
    systems = {"source": flow.source_system, "target": flow.target_system}
    for where, step in _walk(document["steps"]):
        kind, step_id = step["kind"], step["id"]
        if kind == "transform" and step.get("mapping"):
            mapping = Mapping.objects.filter(name=step["mapping"]).first()
            if mapping is None:
                problems.append(StepProblem(f"{where}.mapping", step_id,
                                            f"there is no mapping called {step['mapping']!r}"))
            elif step.get("version") and not mapping.versions.filter(
                    number=step["version"]).exists():
                problems.append(StepProblem(f"{where}.version", step_id,
                                            f"{mapping.name!r} has no version {step['version']}"))
        elif kind == "enrich":
            system = systems[step["system"]]
            entities = connector_class(system).entities
            if system != Connection.System.SALESFORCE and step["entity"] not in entities:
                problems.append(StepProblem(
                    f"{where}.entity", step_id,
                    f"{Connection.System(system).label} has no {step['entity']!r} records to "
                    f"read (it has {', '.join(entities)})"))
        elif kind == "follow_up":
            if step["system"] not in systems.values():
                problems.append(StepProblem(
                    f"{where}.system", step_id,
                    f"a follow-up runs on this flow's systems ({', '.join(systems.values())})"))
            elif not callable(getattr(connector_class(step["system"]), step["action"], None)):
                problems.append(StepProblem(
                    f"{where}.action", step_id,
                    f"{Connection.System(step['system']).label} has no action "
                    f"{step['action']!r}"))
    return problems


@transaction.atomic
def flow_steps_save(*, flow: Flow, document: dict[str, Any], created_by: str = "",
                    comment: str = "") -> FlowStepsVersion:
    """Save ``document`` as the flow's next steps version and make it current; a document
    with mistakes is refused with all of them (``WorkflowDocumentError``), nothing saved."""
    problems = flow_steps_problems(flow=flow, document=document)
    if problems:
        raise WorkflowDocumentError(problems)
    locked = Flow.objects.select_for_update().get(pk=flow.pk)
    number = (locked.step_versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = FlowStepsVersion.objects.create(flow=locked, number=number, document=document,
                                              comment=comment[:300], created_by=created_by)
    Flow.objects.filter(pk=locked.pk).update(steps_version=version)
    flow.steps_version = version
    return version


def flow_steps_rollback(*, flow: Flow, number: int) -> Flow:
    """Point the flow at an earlier steps version (history is kept; nothing is rewritten)."""
    version = flow.step_versions.filter(number=number).first()
    if version is None:
        raise WorkflowDocumentError([StepProblem("version", "", f"the steps of {flow.name!r} "
                                                             f"have no version {number}")])
    flow.steps_version = version
    flow.save(update_fields=["steps_version", "updated_at"])
    return flow


@dataclass(frozen=True)
class StepChange:
    step: str
    change: Literal["added", "removed", "changed", "moved"]
    kind: str
    detail: str = ""
    before: Any = None
    after: Any = None


def _settings(step: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in step.items() if k not in ("branches", "otherwise")} | (
        {"branches": [{k: v for k, v in b.items() if k != "steps"}
                      for b in step.get("branches") or [] if isinstance(b, dict)]}
        if "branches" in step else {})


def flow_steps_diff(*, old: dict[str, Any], new: dict[str, Any]) -> list[StepChange]:
    """Step by step: which were added, removed, moved (to another place in the flow) or
    changed (which settings, before and after)."""
    before = {step["id"]: (where, step) for where, step in _walk(old.get("steps"))
              if "id" in step}
    after = {step["id"]: (where, step) for where, step in _walk(new.get("steps"))
             if "id" in step}
    changes: list[StepChange] = []
    for step_id, (where, step) in after.items():
        if step_id not in before:
            changes.append(StepChange(step_id, "added", step.get("kind", ""), where,
                                      after=step))
            continue
        old_where, old_step = before[step_id]
        if old_where != where:
            changes.append(StepChange(step_id, "moved", step.get("kind", ""),
                                      f"{old_where} → {where}"))
        old_settings, new_settings = _settings(old_step), _settings(step)
        for key in sorted(set(old_settings) | set(new_settings)):
            if old_settings.get(key) != new_settings.get(key):
                changes.append(StepChange(step_id, "changed", step.get("kind", ""), key,
                                          old_settings.get(key), new_settings.get(key)))
    for step_id, (where, step) in before.items():
        if step_id not in after:
            changes.append(StepChange(step_id, "removed", step.get("kind", ""), where,
                                      before=step))
    return changes


@dataclass
class StepsTest:
    """A test run: each step's input, output and decision, and where the record ended."""

    outcome: str                       # write / skip / failed / invalid-document
    message: str
    trace: list[StepTrace] = field(default_factory=list)
    record: Any = None                 # what would be written
    would: str = ""                    # "create" / "update <id>"
    problems: list[dict[str, Any]] = field(default_factory=list)
    follow_ups: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return json.loads(json.dumps({
            "outcome": self.outcome, "message": self.message,
            "trace": [t.as_json() for t in self.trace], "record": self.record,
            "would": self.would, "problems": self.problems, "follow_ups": self.follow_ups,
        }, default=str))


class TestRuntime:
    """What steps need, without writing anywhere: mappings compiled with the tenant's lookup
    and link tables, related records read from the systems, checks that only look."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self._connectors: dict[str, Any] = {}
        self.quality = FlowQuality(flow)

    def _connector(self, side: str) -> Any:
        from integrations.services.connections import connector_for

        if side not in self._connectors:
            connection = (self.flow.source_connection if side == "source"
                          else self.flow.target_connection)
            self._connectors[side] = connector_for(connection, timeout=(5.0, 15.0))
        return self._connectors[side]

    def transform(self, *, mapping: str | None, version: int | None, record: Any
                  ) -> Transformed:
        from integrations.services.runtime import mapping_for_step

        compiled, target_entity = mapping_for_step(self.flow, mapping, version)
        if not isinstance(record, dict):
            return Transformed(None, [{"target_path": "", "source_path": "", "kind": "sample",
                                       "message": "the record is not a JSON object"}])
        result = compiled.apply(record)
        return Transformed(
            json.loads(json.dumps(result.record, default=str)) if result.record else None,
            [p.as_json() for p in result.problems], target_entity)

    def enrich(self, *, system: str, entity: str, external_id: str) -> Any:
        try:
            return self._connector(system).get(entity, external_id)
        except NotFound:
            return None

    def check(self, *, check: str, record: Any, transformed: bool) -> tuple[Any, str]:
        """The pipeline's own check (``FlowQuality``), saying what it would do."""
        if not self.quality.settings[check]["enabled"]:
            return record, "off for this flow (Data quality settings)"
        notes: list[Note] = []
        event = InboundEvent(payload={})   # a test run has no approvals to honour
        try:
            if check == "address":
                record = self.quality.address(event, record, notes)
            elif check == "anomaly":
                record = self.quality.anomaly(event, record, notes)
            else:
                from integrations.services.sync import connector_entity

                match = self.quality.existing_match(event, self._connector("target"),
                                                    connector_entity(self.flow, "target"),
                                                    record, notes)
                if match is not None:
                    return record, f"would update {match}, a likely duplicate: " + "; ".join(
                        n.message for n in notes)
        except HeldForReview as held:
            return record, f"would be held for review: {held.problems[0]['message']}"
        return record, "; ".join(n.message for n in notes) or NOTHING_FOUND[check]


NOTHING_FOUND = {"address": "addresses look right", "anomaly": "nothing unusual",
                 "dedupe": "no likely duplicate in the target"}


def flow_steps_test(*, flow: Flow, document: Any, sample: Any, source_id: str = ""
                    ) -> StepsTest:
    """Run ``document`` on ``sample`` (a source record) as the pipeline would, without writing
    to the target or changing anything of ours. Every step's input, output and decision come
    back; so do the problems when the document or the record fails."""
    problems = flow_steps_problems(flow=flow, document=document)
    if problems:
        return StepsTest("invalid-document", "The steps have mistakes; nothing was run.",
                         problems=[{"where": p.where, "step": p.step, "message": p.message}
                                   for p in problems])
    if not isinstance(sample, dict):
        return StepsTest("failed", "The sample must be a JSON object (a source record).")
    workflow: Workflow = compile_workflow(document)
    trace: list[StepTrace] = []
    try:
        run = workflow.run(copy.deepcopy(sample), TestRuntime(flow), trace=trace, keep_io=True)
    except (ValidationFailed, StepFailed, TransformProblems) as exc:
        return StepsTest("failed", str(exc), trace, problems=list(exc.problems))
    except ConnectorError as exc:
        return StepsTest("failed", f"A step could not read from a system: {exc}", trace)
    if run.skipped:
        return StepsTest("skip", run.reason, trace)
    link = (RecordLink.objects.filter(flow=flow, source_id=source_id).first()
            if source_id else None)
    would = f"update {link.target_id}" if link else "create"
    entity = run.target_entity or flow.entity
    system = Connection.System(flow.target_system).label
    message = (f"Would update {entity} {link.target_id} in {system}." if link
               else f"Would create a {entity} record in {system}.")
    return StepsTest("write", message,
                     trace, record=run.record, would=would,
                     follow_ups=[f"{f['action']} on {Connection.System(f['system']).label}"
                                 for f in run.follow_ups])
