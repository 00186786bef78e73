"""Portal mapping editor: a flow's target fields with their rules, edited into a draft that is
previewed on a real record and saved as a new version; history, diff and rollback.

The draft (the document being edited, and the version it started from) lives in the user's
session, so edits to several fields can be previewed together before one version is saved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRefresh

from accounts.decorators import editor_required
from integrations.forms_mappings import FieldRuleForm, PreviewForm, VersionSaveForm
from integrations.mapping import DocumentProblem, schema_get
from integrations.mapping.editing import (
    MISSING,
    RuleError,
    RuleView,
    SourceField,
    TargetField,
    document_where,
    record_path_pattern,
    rule_at,
    rule_set,
    rule_view,
    source_fields,
    step_text,
    target_fields,
    target_path_of,
)
from integrations.mapping.suggest import Candidate, Suggestion, suggest
from integrations.mapping.suggest_memory import MappingMemory, document_sources
from integrations.mapping.transforms import TRANSFORM_NAMES
from integrations.models import Flow, LookupTable, Mapping, MappingVersion
from integrations.services.mappings import (
    mapping_document_problems,
    mapping_live_table_names,
    mapping_preview,
    mapping_rollback,
    mapping_sample_fetch,
    mapping_version_create,
    mapping_versions_diff,
)
from integrations.services.runtime import link_tables
from integrations.suggestion_selectors import suggestion_memory_get

# A sample bigger than this is previewed but not kept in the session for the field lists.
SAMPLE_KEEP_BYTES = 200_000


# --- session state ----------------------------------------------------------------------------
def _draft_key(mapping: Mapping) -> str:
    return f"mapping_draft:{mapping.pk}"


def _sample_key(flow: Flow) -> str:
    return f"mapping_sample:{flow.pk}"


@dataclass
class Draft:
    document: dict[str, Any]
    base: int            # the version number the draft started from
    changed: bool        # False: the current version, untouched


def _draft(request: HttpRequest, mapping: Mapping) -> Draft:
    current = mapping.current_version
    number = current.number if current else 0
    held = request.session.get(_draft_key(mapping))
    if held:
        return Draft(held["document"], held["base"], True)
    return Draft(dict(mapping.current_document or {}), number, False)


def _draft_keep(request: HttpRequest, mapping: Mapping, draft: Draft) -> None:
    request.session[_draft_key(mapping)] = {"document": draft.document, "base": draft.base}


def _draft_drop(request: HttpRequest, mapping: Mapping) -> None:
    request.session.pop(_draft_key(mapping), None)


def sample_get(request: HttpRequest, flow: Flow) -> tuple[Any, str]:
    """The last source record previewed or tested for ``flow`` (the editors' field lists)."""
    held = request.session.get(_sample_key(flow)) or {}
    return held.get("record"), held.get("origin", "")


def sample_keep(request: HttpRequest, flow: Flow, record: dict[str, Any], origin: str) -> None:
    if len(json.dumps(record, default=str)) <= SAMPLE_KEEP_BYTES:
        request.session[_sample_key(flow)] = {"record": record, "origin": origin}


# --- what the pages show ----------------------------------------------------------------------
@dataclass
class Row:
    target: TargetField
    view: RuleView
    covered_by: str | None
    problems: list[str] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    needed: bool = False   # required here: the field and every object around it must be sent

    @property
    def anchor(self) -> str:
        return field_anchor(self.target.path)

    @property
    def mapped(self) -> bool:
        return self.view.mode != "unmapped" or self.covered_by is not None

    @property
    def missing(self) -> bool:
        """Required by the target but nothing maps it."""
        return self.needed and not self.mapped

    @property
    def steps(self) -> list[str]:
        return [step_text(s) for s in self.view.transforms]

    @property
    def default_text(self) -> str:
        return "" if self.view.default is MISSING else json.dumps(self.view.default)

    @property
    def lookup_default_text(self) -> str:
        return "" if self.view.lookup_default is MISSING else json.dumps(self.view.lookup_default)

    @property
    def constant_text(self) -> str:
        return json.dumps(self.view.constant)


def _parent(path: str) -> str:
    return path.rpartition(".")[0].removesuffix("[]")


def field_anchor(path: str) -> str:
    return "f-" + "".join(c if c.isalnum() else "-" for c in path)


class Editor:
    """A flow's mapping as the editor sees it: the draft, schemas, sample and problems."""

    def __init__(self, request: HttpRequest, flow: Flow) -> None:
        self.request = request
        self.flow = flow
        self.mapping: Mapping = flow.mapping
        self.draft = _draft(request, self.mapping)
        document = self.draft.document
        target = document.get("target") or {}
        source = document.get("source") or {}
        self.target_schema = schema_get(str(target.get("system")), str(target.get("entity")))
        self.source_schema = schema_get(str(source.get("system")), str(source.get("entity")))
        self.sample, self.sample_origin = sample_get(request, flow)
        self.fields = target_fields(self.target_schema, document)
        self.by_path = {f.path: f for f in self.fields}
        self.live_tables = mapping_live_table_names(mapping=self.mapping)
        self.problems = self.document_problems(document)
        self._memory: MappingMemory | None = None

    def document_problems(self, document: dict[str, Any]) -> list[DocumentProblem]:
        return mapping_document_problems(document=document, live_tables=self.live_tables)

    def field_of(self, path: str) -> TargetField:
        found = self.by_path.get(path)
        if found is not None:
            return found
        custom = (self.target_schema or {}).get("custom_fields")
        if custom and "." not in path and "[" not in path:
            return TargetField(path, path, 0, "any", False, {}, custom=True)
        raise Http404(f"{path!r} is not a field of this mapping's target.")

    def owner_of(self, where: str) -> str | None:
        """The listed field a document problem belongs to (its nearest listed ancestor)."""
        path = target_path_of(where)
        while path:
            if path in self.by_path:
                return path
            path = path.rpartition(".")[0].removesuffix("[]") if "." in path else ""
        return None

    def owner_of_record(self, path: str) -> str | None:
        """The listed field a mapped record's problem is about (``Lines[2].ITNO``)."""
        path = record_path_pattern(path)
        while path:
            if path in self.by_path:
                return path
            path = path.rpartition(".")[0].removesuffix("[]") if "." in path else ""
        return None

    def problems_by_field(self, problems: list[DocumentProblem]
                          ) -> tuple[dict[str, list[str]], list[str]]:
        placed: dict[str, list[str]] = {}
        general: list[str] = []
        for problem in problems:
            owner = self.owner_of(problem.where)
            if owner is None:
                general.append(str(problem))
            else:
                placed.setdefault(owner, []).append(problem.message)
        return placed, general

    def rows(self, *, with_suggestions: bool) -> list[Row]:
        placed, _ = self.problems_by_field(self.problems)
        rows = []
        by_path: dict[str, Row] = {}
        for target in self.fields:
            at = rule_at(self.draft.document, target.path)
            view = rule_view(at.spec, lines_target=target.type == "list" and target.has_parts)
            row = Row(target, view, at.covered_by, placed.get(target.path, []))
            # A required part of an optional object is needed only when the object is sent
            # (the supplier's contactId of a sales order is not).
            parent = by_path.get(_parent(target.path))
            row.needed = target.required and (parent is None or parent.needed or (
                parent.mapped and parent.view.mode != "unmapped"))
            by_path[target.path] = row
            if with_suggestions and not row.mapped and not (
                    target.type == "object" and target.has_parts):
                row.suggestions = self.suggestions(target)
            rows.append(row)
        return rows

    def sources(self, target: TargetField) -> list[SourceField]:
        lines = None
        if target.lines:
            spec = rule_at(self.draft.document, target.lines).spec
            lines = spec.get("each") if isinstance(spec, dict) else None
            if lines is None:
                return []
        found = source_fields(self.source_schema, self.sample, lines=lines)
        if target.lines:
            found += [SourceField(name) for name in ("$position", "$index", "$key")]
        return found

    def suggestions(self, target: TargetField) -> list[Suggestion]:
        candidates = [Candidate(s.path, s.type, s.sample) for s in self.sources(target)
                      if not s.path.startswith("$")]
        document = self.draft.document
        if self._memory is None:  # once per page: every unmapped row asks
            self._memory = suggestion_memory_get()
        mapped = {path: reads for path, reads in document_sources(document).items()
                  if path != target.path}
        systems = (str((document.get("source") or {}).get("system") or ""),
                   str((document.get("target") or {}).get("system") or ""))
        return suggest(target.path, target.rule, candidates, mapped=mapped,
                       memory=self._memory, systems=systems)

    def source_choices(self, target: TargetField) -> list[tuple[str, str]]:
        choices = []
        for source in self.sources(target):
            label = source.path
            if source.type:
                label += f"  ({source.type})"
            if source.seen and source.sample not in (None, "") and not isinstance(
                    source.sample, dict | list):
                shown = str(source.sample)
                label += f"  = {shown[:40]}{'…' if len(shown) > 40 else ''}"
            choices.append((source.path, label))
        return choices

    def tables(self) -> list[str]:
        names = set(LookupTable.objects.values_list("name", flat=True)) | self.live_tables
        return sorted(names)

    def field_form(self, target: TargetField, data: Any = None) -> FieldRuleForm:
        at = rule_at(self.draft.document, target.path)
        view = rule_view(at.spec, lines_target=target.type == "list" and target.has_parts)
        return FieldRuleForm(data, target=target, sources=self.source_choices(target),
                             tables=self.tables(), view=view,
                             initial={"field": target.path})


def _flow(pk: int) -> Flow:
    return get_object_or_404(Flow.objects.select_related(
        "pair__brightpearl", "pair__partner", "mapping__current_version"), pk=pk)


def _page(request: HttpRequest, editor: Editor, **extra: Any) -> HttpResponse:
    mapping = editor.mapping
    _, general = editor.problems_by_field(editor.problems)
    rows = editor.rows(with_suggestions=request.user.can_edit)
    current = mapping.current_version
    context = {
        "flow": editor.flow, "mapping": mapping, "current": current, "draft": editor.draft,
        "rows": rows, "general_problems": general, "problem_count": len(editor.problems),
        "missing": [r for r in rows if r.missing],
        "target": editor.draft.document.get("target") or {},
        "source": editor.draft.document.get("source") or {},
        "has_schema": editor.target_schema is not None,
        "custom_fields": (editor.target_schema or {}).get("custom_fields"),
        "sample_origin": editor.sample_origin,
        "other_flows": [f for f in mapping.flows.select_related("pair") if f.pk != editor.flow.pk],
        "stale": editor.draft.changed and current is not None
        and current.number != editor.draft.base,
        "save_form": extra.pop("save_form", None) or VersionSaveForm(
            initial={"base": editor.draft.base}),
        "preview_form": extra.pop("preview_form", None) or PreviewForm(),
        **extra,
    }
    return render(request, "portal/mappings/editor.html", context)


# --- pages ------------------------------------------------------------------------------------
@require_safe
@login_required
def flow_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, Editor(request, _flow(pk)))


@editor_required
def flow_mapping_field(request: HttpRequest, pk: int) -> HttpResponse:
    """One field's rule: the form (GET), or the change applied to the draft (POST)."""
    flow = _flow(pk)
    editor = Editor(request, flow)
    path = (request.POST.get("field") if request.method == "POST"
            else request.GET.get("field")) or ""
    target = editor.field_of(path)
    existing = rule_at(editor.draft.document, path).spec
    if request.method == "POST":
        form = editor.field_form(target, request.POST)
        if form.is_valid():
            document = _apply(editor, form, target, existing)
            if document is not None:
                editor.draft = _draft_after(editor, document)
                _draft_keep(request, editor.mapping, editor.draft)
                url = reverse("flow_mapping", args=[pk]) + "#" + field_anchor(path)
                if request.htmx:
                    # A reload, not a redirect: the editor's own address plus an anchor is a
                    # same-page jump to the browser, which would not show the new draft.
                    return HttpResponseClientRefresh()
                messages.success(request, f"{path}: changed in your draft. Preview it, then "
                                          "save it as a new version.")
                return redirect(url)
    else:
        form = editor.field_form(target)
    placed, _ = editor.problems_by_field(editor.problems)
    context = {
        "flow": flow, "mapping": editor.mapping, "target": target, "form": form,
        "problems": placed.get(path, []), "transform_names": TRANSFORM_NAMES,
        "suggestions": editor.suggestions(target) if existing is MISSING else [],
        "sample_origin": editor.sample_origin, "anchor": field_anchor(path),
    }
    template = "portal/mappings/_field_row.html" if request.htmx else "portal/mappings/field.html"
    return render(request, template, context)


def _apply(editor: Editor, form: FieldRuleForm, target: TargetField, existing: Any
           ) -> dict[str, Any] | None:
    """The draft with the form's rule in place, or ``None`` with the reasons on the form.

    Only problems at this field block the change: while fields are mapped one by one the
    document has others (required fields not mapped yet), which the page lists anyway."""
    spec = form.build(existing)
    try:
        document = rule_set(editor.draft.document, target.path, spec)
    except RuleError as exc:
        form.add_error(None, str(exc))
        return None
    blocking = []
    for problem in editor.document_problems(document):
        if target.path not in (target_path_of(problem.where), editor.owner_of(problem.where)):
            continue
        new_lines = (form.cleaned_data["mode"] == "lines" and problem.rule == "each"
                     and problem.where == document_where(target.path))
        if not new_lines:  # lines without fields yet: their fields are mapped next
            blocking.append(problem.message)
    if blocking:
        for message in blocking:
            form.add_error(None, message)
        return None
    return document


def _draft_after(editor: Editor, document: dict[str, Any]) -> Draft:
    return Draft(document, editor.draft.base, True)


@require_POST
@editor_required
def flow_mapping_save(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _flow(pk)
    editor = Editor(request, flow)
    mapping = editor.mapping
    form = VersionSaveForm(request.POST)
    if not editor.draft.changed:
        messages.error(request, "Nothing to save: the draft is the current version.")
        return redirect("flow_mapping", pk=pk)
    if form.is_valid():
        current = mapping.current_version
        base = form.cleaned_data["base"]
        if current and current.number != base and not form.cleaned_data["overwrite"]:
            form.add_error("overwrite", f"Version {current.number} was saved (by "
                           f"{current.created_by or 'someone'}) after your draft began from "
                           f"version {base}. Saving replaces its changes with your draft: "
                           "tick “Save anyway”, or discard your draft.")
        else:
            try:
                version = mapping_version_create(
                    mapping=mapping, document=editor.draft.document,
                    created_by=request.user.email, comment=form.cleaned_data["comment"])
            except ValidationError as exc:
                for message in exc.message_dict.get("document", exc.messages):
                    form.add_error(None, message)
            else:
                _draft_drop(request, mapping)
                messages.success(request, f"Saved as version {version.number}. Flows using "
                                          "this mapping run it from now on.")
                return redirect("flow_mapping", pk=pk)
    return _page(request, editor, save_form=form)


@require_POST
@editor_required
def flow_mapping_discard(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _flow(pk)
    _draft_drop(request, flow.mapping)
    messages.success(request, "Draft discarded: the editor shows the current version again.")
    return redirect("flow_mapping", pk=pk)


@require_POST
@login_required
def flow_mapping_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft run on a record fetched from the source system or pasted; nothing is
    written anywhere (the record is kept in the session for the field lists)."""
    flow = _flow(pk)
    editor = Editor(request, flow)
    form = PreviewForm(request.POST)
    context: dict[str, Any] = {}
    if form.is_valid():
        record = origin = None
        if form.cleaned_data["source"] == "fetch":
            fetched = mapping_sample_fetch(flow=flow, external_id=form.cleaned_data["record_id"])
            if fetched.record is None:
                context["fetch_error"] = fetched.message
            record, origin = fetched.record, f"Fetched from {fetched.message}"
        else:
            record, origin = form.cleaned_data["record"], "Pasted"
        if record is not None:
            sample_keep(request, flow, record, origin)
            result = mapping_preview(document=editor.draft.document, sample=record,
                                     live_tables=link_tables(flow))
            context.update(_preview_context(editor, record, origin, result))
    if request.htmx:
        return render(request, "portal/mappings/_preview.html",
                      {"flow": flow, "preview_form": form, "p": context})
    editor.sample, editor.sample_origin = sample_get(request, flow)
    return _page(request, editor, preview=context, preview_form=form)


def _preview_context(editor: Editor, record: Any, origin: str, result: Any) -> dict[str, Any]:
    problems = []
    for problem in result.problems:
        path = problem["target_path"]
        owner = (editor.owner_of(path) if path.startswith("fields.")
                 else editor.owner_of_record(path))
        problems.append({**problem, "anchor": field_anchor(owner) if owner else ""})
    return {
        "origin": origin, "problems": problems,
        "output": json.dumps(result.record, indent=2, ensure_ascii=False)
        if result.record is not None else "",
        "sample_json": json.dumps(record, indent=2, ensure_ascii=False, default=str),
        "draft_changed": editor.draft.changed, "base": editor.draft.base,
    }


@require_safe
@login_required
def flow_mapping_versions(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _flow(pk)
    versions = list(flow.mapping.versions.order_by("-number"))
    return render(request, "portal/mappings/versions.html", {
        "flow": flow, "mapping": flow.mapping, "versions": versions,
        "current": flow.mapping.current_version})


def _version(mapping: Mapping, number: Any) -> MappingVersion:
    try:
        return mapping.versions.get(number=int(number))
    except (TypeError, ValueError, MappingVersion.DoesNotExist):
        raise Http404(f"{mapping.name!r} has no version {number}.") from None


@dataclass(frozen=True)
class ChangeRow:
    field: str       # the target field ("rows[].productId") or a document part ("name")
    part: str        # what about it changed ("transform"), empty for the whole rule
    change: str
    before: str
    after: str


def change_rows(old: MappingVersion, new: MappingVersion) -> list[ChangeRow]:
    rows = []
    for change in mapping_versions_diff(old=old, new=new):
        target = target_path_of(change.path)
        if target is None:
            name, part = change.path, ""
        else:
            name = target
            part = change.path[len(document_where(target)):].lstrip(".")
        rows.append(ChangeRow(
            name, part, change.change,
            "" if change.change == "added" else json.dumps(change.before, indent=2),
            "" if change.change == "removed" else json.dumps(change.after, indent=2)))
    return rows


@require_safe
@login_required
def flow_mapping_diff(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _flow(pk)
    mapping = flow.mapping
    current = mapping.current_version
    if current is None:
        raise Http404("This mapping has no versions.")
    new = _version(mapping, request.GET.get("new") or current.number)
    default_old = max(new.number - 1, 1)
    old = _version(mapping, request.GET.get("old") or default_old)
    return render(request, "portal/mappings/diff.html", {
        "flow": flow, "mapping": mapping, "old": old, "new": new,
        "changes": change_rows(old, new),
        "numbers": list(mapping.versions.order_by("-number").values_list("number", flat=True)),
    })


@require_POST
@editor_required
def flow_mapping_rollback(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Asks first (the page shows what changes back), then points the mapping at ``number``."""
    flow = _flow(pk)
    mapping = flow.mapping
    target = _version(mapping, number)
    current = mapping.current_version
    if request.POST.get("confirm") != "yes":
        return render(request, "portal/mappings/rollback.html", {
            "flow": flow, "mapping": mapping, "version": target, "current": current,
            "changes": change_rows(current, target) if current else []})
    mapping_rollback(mapping=mapping, number=number)
    messages.success(request, f"Version {number} is current again; flows run it from now on. "
                              "Later versions stay in the history.")
    return redirect("flow_mapping_versions", pk=pk)
