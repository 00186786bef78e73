"""Step documents: what a flow does with a record between its trigger and its target write.

    document = {"format_version": 1, "steps": [
        {"id": "b2b-only", "kind": "filter", "skip": {"from": "channel", "eq": "Amazon"},
         "reason": "Marketplace orders are not sent to the ERP"},
        {"id": "map", "kind": "transform"},
        {"id": "writeback", "kind": "follow_up", "action": "order_reference_set", ...},
    ]}
    workflow = compile_workflow(document)      # raises WorkflowDocumentError naming each step
    run = workflow.run(record, runtime)       # runtime: transform / enrich / check (Runtime)

Each step takes the working record and hands on a record: a filter passes it or skips it, a
route runs one branch's steps, an enrich adds what it looked up under a key, a transform turns
it into the target record, a validate fails it with the rules' messages, a check asks the
runtime (the data-quality checks). Follow-ups run after the write, so they come last. Plain
Python; the runtime supplies everything that talks to a system or the database.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from integrations.mapping.compiler import compile_value
from integrations.mapping.conditions import Test, compile_condition
from integrations.mapping.context import CompileContext
from integrations.mapping.paths import ValueFn
from integrations.mapping.problems import Fail

FORMAT_VERSION = 1
KINDS = ("filter", "route", "transform", "enrich", "validate", "check", "follow_up")
CHECKS = ("address", "anomaly", "dedupe")
SYSTEM_SIDES = ("source", "target")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_STEPS = 200


@dataclass(frozen=True)
class StepProblem:
    """One mistake in a step document: which step, where in it, and why."""

    where: str          # "steps[2].branches[0].when"
    step: str           # the step's id ("" when the step has none yet)
    message: str

    def __str__(self) -> str:
        named = f"step {self.step!r} ({self.where})" if self.step else self.where
        return f"{named}: {self.message}"


class WorkflowDocumentError(ValueError):
    def __init__(self, problems: list[StepProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class ValidationFailed(Exception):
    """A validate step's rules did not hold: a permanent error, with each rule's message."""

    def __init__(self, step: Step, messages: list[str]) -> None:
        super().__init__(f"{step.label}: " + "; ".join(messages))
        self.step = step
        self.detail = "; ".join(messages)
        self.problems = [{"target_path": "", "source_path": "", "kind": "validate",
                          "message": m, "step": step.id} for m in messages]


class StepFailed(Exception):
    """A step could not be carried out on this record (a condition on a value of the wrong
    type, an enrich that found nothing it required): permanent, naming the step."""

    def __init__(self, step: Step, message: str) -> None:
        super().__init__(f"{step.label}: {message}")
        self.step = step
        self.detail = message
        self.problems = [{"target_path": "", "source_path": "", "kind": f"step.{step.kind}",
                          "message": message, "step": step.id}]


@dataclass
class Transformed:
    """What a transform produced: the target record and the entity it is for, or problems."""

    record: Any
    problems: list[dict[str, str]] = field(default_factory=list)
    target_entity: str = ""


class Runtime(Protocol):
    """What steps need from outside: the sync pipeline's, or a test run's that never writes."""

    def transform(self, *, mapping: str | None, version: int | None, record: Any
                  ) -> Transformed: ...

    def enrich(self, *, system: str, entity: str, external_id: str) -> Any: ...

    def check(self, *, check: str, record: Any, transformed: bool) -> tuple[Any, str]:
        """The record (an address check may change it) and what the check decided."""
        ...


@dataclass
class StepTrace:
    """One step's input, output and decision, for a test run and the transaction log."""

    step: str
    kind: str
    name: str
    decision: str
    input: Any = None
    output: Any = None
    depth: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"step": self.step, "kind": self.kind, "name": self.name,
                "decision": self.decision, "input": self.input, "output": self.output,
                "depth": self.depth}


@dataclass
class Run:
    """Where a record ended: ``write`` (with the target record) or ``skip`` (with why)."""

    outcome: str
    record: Any = None
    source: Any = None
    target_entity: str = ""
    reason: str = ""
    step: str = ""
    follow_ups: list[dict[str, Any]] = field(default_factory=list)
    trace: list[StepTrace] = field(default_factory=list)

    @property
    def skipped(self) -> bool:
        return self.outcome == "skip"


@dataclass
class Step:
    id: str
    kind: str
    name: str
    spec: dict[str, Any]
    test: Test | None = None               # filter: the record goes on when it holds
    value: ValueFn | None = None           # enrich: the id to look up
    rules: list[tuple[Test, str]] = field(default_factory=list)
    branches: list[tuple[str, Test, list[Step]]] = field(default_factory=list)
    otherwise: list[Step] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"Step {self.name!r} ({self.kind})"


class _Compiler:
    def __init__(self) -> None:
        self.problems: list[StepProblem] = []
        self.ids: set[str] = set()
        self.count = 0

    def error(self, where: str, step: str, message: str) -> None:
        self.problems.append(StepProblem(where, step, message))

    def condition(self, spec: Any, where: str, step: str) -> Test:
        return self._compiled(step, lambda ctx: compile_condition(spec, where, ctx,
                                                                  compile_value))

    def value(self, spec: Any, where: str, step: str) -> ValueFn:
        return self._compiled(step, lambda ctx: compile_value(spec, where, ctx)[0])

    def _compiled(self, step: str, compile_with: Callable[[CompileContext], Any]) -> Any:
        """Compile with the mapping engine; its document problems become this step's."""
        ctx = CompileContext(lookups={}, rates={})
        compiled = compile_with(ctx)
        for problem in ctx.errors:
            self.error(problem.where, step, problem.message)
        return compiled

    def steps(self, specs: Any, where: str, *, top: bool) -> list[Step]:
        if not isinstance(specs, list):
            self.error(where, "", "steps are a list")
            return []
        out = [s for i, spec in enumerate(specs)
               if (s := self.step(spec, f"{where}[{i}]", top=top)) is not None]
        seen_follow_up = False
        for i, step in enumerate(out):
            if step.kind == "follow_up":
                seen_follow_up = True
            elif seen_follow_up:
                self.error(f"{where}[{i}]", step.id, "follow-ups run after the target write, "
                           "so every follow-up comes after the other steps")
                break
        return out

    def step(self, spec: Any, where: str, *, top: bool) -> Step | None:
        self.count += 1
        if self.count > MAX_STEPS:
            if self.count == MAX_STEPS + 1:
                self.error(where, "", f"a flow has at most {MAX_STEPS} steps")
            return None
        if not isinstance(spec, dict):
            self.error(where, "", "a step is an object with an id and a kind")
            return None
        step_id = spec.get("id")
        if not isinstance(step_id, str) or not _ID.match(step_id):
            self.error(f"{where}.id", "", "each step needs an id: lower-case letters, digits, "
                       f"'-' or '_', up to 64 characters (got {step_id!r})")
            step_id = ""
        elif step_id in self.ids:
            self.error(f"{where}.id", step_id, "two steps have this id; ids are unique")
        self.ids.add(step_id)
        kind = spec.get("kind")
        if kind not in KINDS:
            self.error(f"{where}.kind", step_id, f"unknown kind {kind!r} (known: "
                       f"{', '.join(KINDS)})")
            return None
        name = spec.get("name") or kind.replace("_", " ")
        if not isinstance(name, str) or len(name) > 120:
            self.error(f"{where}.name", step_id, "a name is text of up to 120 characters")
            name = kind
        step = Step(step_id, kind, name, spec)
        allowed = {"id", "kind", "name", "note"} | _FIELDS[kind]
        extra = sorted(set(spec) - allowed)
        if extra:
            self.error(where, step_id, f"unknown setting(s) {', '.join(extra)} for a {kind} "
                       f"step (it takes {', '.join(sorted(_FIELDS[kind]))})")
        getattr(self, f"_{kind}")(step, spec, where, top)
        return step

    def _filter(self, step: Step, spec: dict[str, Any], where: str, top: bool) -> None:
        given = [k for k in ("keep", "skip") if k in spec]
        if len(given) != 1:
            self.error(where, step.id, 'a filter has one condition: "keep" (records that '
                       'match go on) or "skip" (records that match are skipped)')
            return
        test = self.condition(spec[given[0]], f"{where}.{given[0]}", step.id)
        step.test = test if given[0] == "keep" else (lambda cur, root, pos: not test(cur, root,
                                                                                      pos))
        self._text(spec, "reason", where, step.id)

    def _route(self, step: Step, spec: dict[str, Any], where: str, top: bool) -> None:
        branches = spec.get("branches")
        if not isinstance(branches, list) or not branches:
            self.error(f"{where}.branches", step.id, "a route needs a list of branches, each "
                       "with a name, a condition (when) and steps")
            return
        names: set[str] = set()
        for i, branch in enumerate(branches):
            spot = f"{where}.branches[{i}]"
            if not isinstance(branch, dict) or set(branch) - {"name", "when", "steps"}:
                self.error(spot, step.id, "a branch is {\"name\", \"when\", \"steps\"}")
                continue
            name = branch.get("name")
            if not isinstance(name, str) or not name.strip():
                self.error(f"{spot}.name", step.id, "each branch needs a name")
                name = f"branch {i + 1}"
            elif name in names:
                self.error(f"{spot}.name", step.id, f"two branches are called {name!r}")
            names.add(name)
            if "when" not in branch:
                self.error(f"{spot}.when", step.id, "each branch needs a condition (when)")
                continue
            test = self.condition(branch["when"], f"{spot}.when", step.id)
            step.branches.append((name, test, self.steps(branch.get("steps", []),
                                                         f"{spot}.steps", top=False)))
        step.otherwise = self.steps(spec.get("otherwise", []), f"{where}.otherwise", top=False)

    def _transform(self, step: Step, spec: dict[str, Any], where: str, top: bool) -> None:
        mapping = spec.get("mapping")
        if mapping is not None and (not isinstance(mapping, str) or not mapping.strip()):
            self.error(f"{where}.mapping", step.id, "the mapping is named by its name (or left "
                       "out for the flow's own mapping)")
        version = spec.get("version")
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)
                                    or version < 1):
            self.error(f"{where}.version", step.id, "a version is a number from 1 (or left "
                       "out for the mapping's current version)")

    def _enrich(self, step: Step, spec: dict[str, Any], where: str, top: bool) -> None:
        if spec.get("system") not in SYSTEM_SIDES:
            self.error(f"{where}.system", step.id, 'enrich reads from "source" or "target"')
        for key in ("entity", "as"):
            if not isinstance(spec.get(key), str) or not spec[key].strip():
                self.error(f"{where}.{key}", step.id, f"enrich needs {key!r}")
        if isinstance(spec.get("as"), str) and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$",
                                                            spec["as"]):
            self.error(f"{where}.as", step.id, "the key the record gets is a plain name "
                       "(letters, digits, _)")
        if "id_from" not in spec:
            self.error(f"{where}.id_from", step.id, "enrich needs the id to look up (id_from, "
                       "a path or value rule over the record)")
        else:
            step.value = self.value(spec["id_from"], f"{where}.id_from", step.id)
        if "required" in spec and not isinstance(spec["required"], bool):
            self.error(f"{where}.required", step.id, "required is true or false")

    def _validate(self, step: Step, spec: dict[str, Any], where: str, top: bool) -> None:
        rules = spec.get("rules")
        if not isinstance(rules, list) or not rules:
            self.error(f"{where}.rules", step.id, "validate needs a list of rules, each a "
                       "condition that must hold and the message when it does not")
            return
        for i, rule in enumerate(rules):
            spot = f"{where}.rules[{i}]"
            if not isinstance(rule, dict) or set(rule) != {"require", "message"}:
                self.error(spot, step.id, 'a rule is {"require": <condition>, "message": '
                           '"what is wrong"}')
                continue
            if not isinstance(rule["message"], str) or not rule["message"].strip():
                self.error(f"{spot}.message", step.id, "each rule needs a message")
            step.rules.append((self.condition(rule["require"], f"{spot}.require", step.id),
                               str(rule["message"])))

    def _check(self, step: Step, spec: dict[str, Any], where: str, top: bool) -> None:
        if spec.get("check") not in CHECKS:
            self.error(f"{where}.check", step.id, f"check is one of {', '.join(CHECKS)}")

    def _follow_up(self, step: Step, spec: dict[str, Any], where: str, top: bool) -> None:
        if not top:
            self.error(where, step.id, "follow-ups run once after the write: they belong in "
                       "the flow's steps, not inside a branch")
        for key in ("action", "system"):
            if not isinstance(spec.get(key), str) or not spec[key].strip():
                self.error(f"{where}.{key}", step.id, f"a follow-up needs {key!r}")
        if not isinstance(spec.get("args", {}), dict):
            self.error(f"{where}.args", step.id, "args are an object of value rules")

    def _text(self, spec: dict[str, Any], key: str, where: str, step: str) -> None:
        if key in spec and not isinstance(spec[key], str):
            self.error(f"{where}.{key}", step, f"{key} is text")


_FIELDS: dict[str, set[str]] = {
    "filter": {"keep", "skip", "reason"},
    "route": {"branches", "otherwise"},
    "transform": {"mapping", "version"},
    "enrich": {"system", "entity", "id_from", "as", "required"},
    "validate": {"rules"},
    "check": {"check"},
    "follow_up": {"action", "system", "args", "description"},
}


def _check_order(steps: list[Step], transformed: bool, compiler: _Compiler, where: str
                 ) -> bool:
    """Address and anomaly checks read the source record, so they come before the transform;
    the duplicate check compares the target record, so after it. Returns whether every path
    through ``steps`` has transformed."""
    for i, step in enumerate(steps):
        spot = f"{where}[{i}]"
        if step.kind == "check":
            after = step.spec.get("check") == "dedupe"
            if after and not transformed:
                compiler.error(spot, step.id, "the duplicate check compares the mapped "
                               "record: put it after a transform")
            elif not after and transformed:
                compiler.error(spot, step.id, f"the {step.spec.get('check')} check reads the "
                               "source record: put it before the transform")
        elif step.kind == "transform":
            transformed = True
        elif step.kind == "route":
            ends = [_check_order(inner, transformed, compiler, f"{spot}.branches[{b}].steps")
                    for b, (_, _, inner) in enumerate(step.branches)]
            ends.append(_check_order(step.otherwise, transformed, compiler,
                                     f"{spot}.otherwise"))
            transformed = all(ends)
    return transformed


def compile_workflow(document: Any) -> Workflow:
    """Check and compile a step document; every mistake is raised at once, each naming its
    step (``WorkflowDocumentError``)."""
    compiler = _Compiler()
    if not isinstance(document, dict):
        raise WorkflowDocumentError([StepProblem("(document)", "", "a step document is an "
                                                 'object {"format_version": 1, "steps": [...]}')])
    if document.get("format_version") != FORMAT_VERSION:
        compiler.error("format_version", "", f"format_version must be {FORMAT_VERSION}")
    extra = sorted(set(document) - {"format_version", "steps", "comment"})
    if extra:
        compiler.error("(document)", "", f"unknown key(s) {', '.join(extra)}")
    steps = compiler.steps(document.get("steps"), "steps", top=True)
    if not compiler.problems and not _check_order(steps, False, compiler, "steps") and (
            not compiler.problems):
        compiler.error("steps", "", "a record can reach the target write without a transform "
                       "step: add one (every branch of a route needs one if it comes first)")
    if compiler.problems:
        raise WorkflowDocumentError(compiler.problems)
    return Workflow(steps)


class Workflow:
    """A compiled step document; ``run`` is safe to call from many threads."""

    def __init__(self, steps: list[Step]) -> None:
        self.steps = steps
        self.follow_ups = [s.spec for s in steps if s.kind == "follow_up"]

    def run(self, record: Any, runtime: Runtime, *, trace: list[StepTrace] | None = None,
            keep_io: bool = False) -> Run:
        """Take ``record`` through the steps. Exceptions from the runtime (a source that
        cannot be read, a mapping's problems) and ``ValidationFailed``/``StepFailed`` go up
        to the caller; ``trace`` (when given) holds every step reached by then, the failing
        one last. ``keep_io`` copies each step's input and output into the trace."""
        state = _State(source=record, current=record, runtime=runtime,
                       trace=trace if trace is not None else [], keep_io=keep_io)
        ended = self._steps(self.steps, state, 0)
        if ended is not None:
            return ended
        return Run("write", record=state.current, source=state.source,
                   target_entity=state.target_entity, follow_ups=self.follow_ups, trace=state.trace)

    def _steps(self, steps: list[Step], state: _State, depth: int) -> Run | None:
        for step in steps:
            if step.kind == "follow_up":
                state.note(step, "runs after the write", depth)
                continue
            ended = self._step(step, state, depth)
            if ended is not None:
                return ended
        return None

    def _step(self, step: Step, state: _State, depth: int) -> Run | None:
        before = state.snapshot()
        try:
            try:
                return _RUNNERS[step.kind](self, step, state, depth, before)
            except Fail as exc:
                raise StepFailed(step, exc.message) from None
        except Exception as exc:
            # Noted once, by the step that failed: a route around it sees the same error.
            if not state.failed:
                state.failed = True
                state.note(step, f"failed: {getattr(exc, 'detail', exc)}", depth, before)
            raise


@dataclass
class _State:
    source: Any
    current: Any
    runtime: Runtime
    trace: list[StepTrace]
    keep_io: bool
    transformed: bool = False
    target_entity: str = ""
    failed: bool = False

    def snapshot(self) -> Any:
        return copy.deepcopy(self.current) if self.keep_io else None

    def note(self, step: Step, decision: str, depth: int, before: Any = None) -> None:
        self.trace.append(StepTrace(step.id, step.kind, step.name, decision, before,
                                    self.snapshot(), depth))

    def replace(self, record: Any) -> None:
        """A step's new working record; before the transform it is also the source record
        the log keeps and follow-ups read."""
        self.current = record
        if not self.transformed:
            self.source = record


def _run_filter(wf: Workflow, step: Step, state: _State, depth: int, before: Any
                ) -> Run | None:
    assert step.test is not None
    if step.test(state.current, state.current, None):
        state.note(step, "passed", depth, before)
        return None
    reason = step.spec.get("reason") or "the record did not match the filter"
    state.note(step, f"skipped: {reason}", depth, before)
    return Run("skip", source=state.source, reason=f"Skipped by {step.label}: {reason}.",
               step=step.id, trace=state.trace)


def _run_route(wf: Workflow, step: Step, state: _State, depth: int, before: Any
               ) -> Run | None:
    for name, test, steps in step.branches:
        if test(state.current, state.current, None):
            state.note(step, f"branch {name!r}", depth, before)
            return wf._steps(steps, state, depth + 1)
    state.note(step, "no branch matched: otherwise" if step.otherwise
               else "no branch matched: on to the next step", depth, before)
    return wf._steps(step.otherwise, state, depth + 1)


def _run_transform(wf: Workflow, step: Step, state: _State, depth: int, before: Any
                   ) -> Run | None:
    mapping = step.spec.get("mapping")
    result = state.runtime.transform(mapping=mapping, version=step.spec.get("version"),
                                     record=state.current)
    if result.problems:
        raise TransformProblems(step, result.problems)
    state.current, state.transformed = result.record, True
    state.target_entity = result.target_entity
    state.note(step, f"mapped with {mapping!r}" if mapping else "mapped with the flow's "
               "mapping", depth, before)
    return None


class TransformProblems(Exception):
    """A transform's mapping could not map this record; the problems say why (the pipeline
    decides whether that waits for another record or is final)."""

    def __init__(self, step: Step, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{p['target_path']}: {p['message']}" for p in problems))
        self.step = step
        self.detail = "; ".join(p["message"] for p in problems)
        self.problems = problems


def _run_enrich(wf: Workflow, step: Step, state: _State, depth: int, before: Any
                ) -> Run | None:
    spec = step.spec
    if not isinstance(state.current, dict):
        raise StepFailed(step, "enrich adds to a record, and this one is not an object")
    assert step.value is not None
    found = step.value(state.current, state.current, None)
    key = spec["as"]
    if found in (None, ""):
        if spec.get("required", True):
            raise StepFailed(step, f"the record has no id to look up the {spec['entity']} by")
        state.replace({**state.current, key: None})
        state.note(step, f"no id to look up; {key} left empty", depth, before)
        return None
    related = state.runtime.enrich(system=spec["system"], entity=spec["entity"],
                                   external_id=str(found))
    if related is None and spec.get("required", True):
        raise StepFailed(step, f"{spec['entity']} {found} was not found in the "
                               f"{spec['system']} system")
    state.replace({**state.current, key: related})
    state.note(step, f"added {spec['entity']} {found} as {key!r}", depth, before)
    return None


def _run_validate(wf: Workflow, step: Step, state: _State, depth: int, before: Any
                  ) -> Run | None:
    failed = [message for test, message in step.rules
              if not test(state.current, state.current, None)]
    if failed:
        raise ValidationFailed(step, failed)
    state.note(step, f"{len(step.rules)} rule(s) held", depth, before)
    return None


def _run_check(wf: Workflow, step: Step, state: _State, depth: int, before: Any
               ) -> Run | None:
    record, decision = state.runtime.check(check=step.spec["check"], record=state.current,
                                           transformed=state.transformed)
    state.replace(record)
    state.note(step, decision, depth, before)
    return None


_RUNNERS: dict[str, Callable[[Workflow, Step, _State, int, Any], Run | None]] = {
    "filter": _run_filter, "route": _run_route, "transform": _run_transform,
    "enrich": _run_enrich, "validate": _run_validate, "check": _run_check,
}
