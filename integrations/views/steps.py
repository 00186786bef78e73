"""Portal step editor: a flow drawn as its steps, edited by drag and drop (or keyboard), tested
on a sample record, saved as a new version; history, compare and rollback.

The page hands the browser the document and what its pickers offer (fields, mappings,
entities, actions) as JSON; ``static/portal/steps.js`` draws and edits it, and posts the
whole document back to be checked and saved, or test-run, here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import editor_required
from integrations.connectors.registry import connector_class
from integrations.forms_steps import StepsSaveForm, StepsTestForm
from integrations.mapping import schema_get
from integrations.mapping.editing import source_fields, target_fields
from integrations.models import Connection, Flow, FlowStepsVersion, Mapping
from integrations.pair_templates import template_list
from integrations.services.mappings import mapping_sample_fetch
from integrations.services.quality import APPLIES, quality_settings
from integrations.services.steps import (
    flow_steps_diff,
    flow_steps_document,
    flow_steps_rollback,
    flow_steps_save,
    flow_steps_test,
)
from integrations.views.mappings import sample_get, sample_keep
from integrations.workflow import WorkflowDocumentError
from integrations.workflow.defaults import CHECK_NAMES


def _flow(pk: int) -> Flow:
    return get_object_or_404(Flow.objects.select_related(
        "pair__brightpearl", "pair__partner", "mapping__current_version", "steps_version"),
        pk=pk)


def _label(system: str) -> str:
    return str(Connection.System(system).label)


def _paths(fields: list[Any]) -> list[dict[str, Any]]:
    # A condition reads one value: the fields of each line (``rows[].sku``) are not offered.
    out = []
    for f in fields:
        if "[]" in f.path or f.path.startswith("$"):
            continue
        sample = getattr(f, "sample", None)
        out.append({"path": f.path, "type": f.type or "",
                    "sample": "" if sample is None or isinstance(sample, dict | list)
                    else str(sample)[:40]})
    return out


def _actions(systems: set[str]) -> list[dict[str, str]]:
    """The follow-up actions the pre-built templates use on these systems, for the picker."""
    seen: dict[tuple[str, str], str] = {}
    for template in template_list():
        for flow in template.flows:
            for follow_up in flow.follow_ups:
                if follow_up.system in systems:
                    seen.setdefault((follow_up.system, follow_up.action),
                                    follow_up.description)
    return [{"system": system, "action": action, "description": description}
            for (system, action), description in sorted(seen.items())]


def _mappings(flow: Flow) -> list[dict[str, Any]]:
    """Mappings a transform step can name: those from this flow's source to its target."""
    out = []
    for mapping in Mapping.objects.select_related("current_version").prefetch_related(
            "versions").order_by("name"):
        document = mapping.current_document or {}
        source, target = document.get("source") or {}, document.get("target") or {}
        if (source.get("system"), target.get("system")) != (flow.source_system,
                                                            flow.target_system):
            continue
        out.append({"name": mapping.name, "entity": target.get("entity") or "",
                    "current": mapping.current_version.number if mapping.current_version
                    else None,
                    "versions": sorted(v.number for v in mapping.versions.all())})
    return out


def editor_config(request: HttpRequest, flow: Flow) -> dict[str, Any]:
    """Everything the editor script needs, as JSON."""
    current = flow.steps_version
    mapping_document = flow.mapping.current_document or {}
    source = mapping_document.get("source") or {}
    target = mapping_document.get("target") or {}
    sample, origin = sample_get(request, flow)
    settings = quality_settings(flow)
    systems = {"source": flow.source_system, "target": flow.target_system}
    return {
        "document": flow_steps_document(flow),
        "base": current.number if current else 0,
        "readonly": not request.user.can_edit,
        "urls": {"save": reverse("flow_steps_save", args=[flow.pk]),
                 "test": reverse("flow_steps_test", args=[flow.pk]),
                 "versions": reverse("flow_steps_versions", args=[flow.pk]),
                 "quality": reverse("flow_quality", args=[flow.pk])},
        "flow": {"name": flow.name, "entity": flow.entity,
                 "trigger": flow.get_trigger_display(),
                 "mapping": flow.mapping.name},
        "systems": {side: {"key": system, "label": _label(system),
                           "entities": list(connector_class(system).entities)}
                    for side, system in systems.items()},
        "fields": {
            "source": _paths(source_fields(schema_get(str(source.get("system")),
                                                      str(source.get("entity"))), sample)),
            "target": _paths(target_fields(schema_get(str(target.get("system")),
                                                      str(target.get("entity"))),
                                           mapping_document)),
        },
        "sample_origin": origin,
        "mappings": _mappings(flow),
        "actions": _actions(set(systems.values())),
        "checks": {check: {"name": CHECK_NAMES[check],
                           "applies": flow.entity in APPLIES[check],
                           "enabled": bool(settings[check]["enabled"])}
                   for check in CHECK_NAMES},
    }


# --- the editor -------------------------------------------------------------------------------
@require_safe
@login_required
def flow_steps(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _flow(pk)
    config = editor_config(request, flow)
    return render(request, "portal/steps/editor.html", {
        "flow": flow, "current": flow.steps_version, "config": config,
        "document_json": json.dumps(config["document"], indent=2, ensure_ascii=False),
        "save_form": StepsSaveForm(), "test_form": StepsTestForm()})


def _form_errors(form: Any) -> list[dict[str, str]]:
    return [{"where": name if name != "__all__" else "", "step": "", "message": message}
            for name, errors in form.errors.items() for message in errors]


@require_POST
@editor_required
def flow_steps_save_view(request: HttpRequest, pk: int) -> JsonResponse:
    """Save the posted document as the next version. Mistakes come back, every one at once
    and naming its step, with nothing saved (400); so does a version saved by someone else
    since the editor opened (409) unless the user chose to save anyway."""
    flow = _flow(pk)
    form = StepsSaveForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"message": "Nothing was saved.", "problems": _form_errors(form)},
                            status=400)
    document = form.cleaned_data["document"]
    current = flow.steps_version
    number = current.number if current else 0
    base = form.cleaned_data["base"]
    if number != base and not form.cleaned_data["overwrite"]:
        return JsonResponse({"conflict": True, "message": (
            f"Version {number} was saved (by {current.created_by or 'someone'}) after you "
            f"opened these steps at version {base}. Saving replaces its changes with yours: "
            "tick “Save anyway”, or reload the page to start from it.")}, status=409)
    if current is not None and current.document == document:
        return JsonResponse({"message": f"Nothing to save: these are the steps of version "
                                        f"{number}."}, status=400)
    try:
        version = flow_steps_save(flow=flow, document=document, created_by=request.user.email,
                                  comment=form.cleaned_data["comment"])
    except WorkflowDocumentError as exc:
        count = len(exc.problems)
        return JsonResponse({
            "message": f"The steps have {count} mistake{'s' if count != 1 else ''}; "
                       "nothing was saved.",
            "problems": [asdict(p) for p in exc.problems]}, status=400)
    messages.success(request, f"Saved as version {version.number}. “{flow.name}” runs these "
                              "steps from its next record on.")
    return JsonResponse({"version": version.number,
                         "redirect": reverse("flow_steps", args=[flow.pk])})


@require_POST
@login_required
def flow_steps_test_view(request: HttpRequest, pk: int) -> JsonResponse:
    """Run the posted document on a fetched or pasted source record, writing nothing."""
    flow = _flow(pk)
    form = StepsTestForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"outcome": "no-sample", "message": "Nothing was run.",
                             "problems": _form_errors(form)}, status=400)
    source_id = ""
    if form.cleaned_data["source"] == "fetch":
        fetched = mapping_sample_fetch(flow=flow, external_id=form.cleaned_data["record_id"])
        if fetched.record is None:
            return JsonResponse({"outcome": "no-sample", "message": fetched.message},
                                status=400)
        record, source_id = fetched.record, fetched.source_id
        origin = f"Fetched from {fetched.message}"
    else:
        record, origin = form.cleaned_data["record"], "Pasted"
    sample_keep(request, flow, record, origin)
    result = flow_steps_test(flow=flow, document=form.cleaned_data["document"], sample=record,
                             source_id=source_id)
    return JsonResponse({**result.as_json(), "origin": origin,
                         "sample": json.loads(json.dumps(record, default=str))})


# --- versions ---------------------------------------------------------------------------------
@require_safe
@login_required
def flow_steps_versions(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _flow(pk)
    return render(request, "portal/steps/versions.html", {
        "flow": flow, "versions": list(flow.step_versions.order_by("-number")),
        "current": flow.steps_version})


def _version(flow: Flow, number: Any) -> FlowStepsVersion:
    try:
        return flow.step_versions.get(number=int(number))
    except (TypeError, ValueError, FlowStepsVersion.DoesNotExist):
        raise Http404(f"The steps of {flow.name!r} have no version {number}.") from None


@dataclass(frozen=True)
class ChangeRow:
    step: str
    kind: str
    change: str
    detail: str
    before: str
    after: str


def change_rows(old: dict[str, Any], new: dict[str, Any]) -> list[ChangeRow]:
    def shown(value: Any) -> str:
        return "" if value is None else json.dumps(value, indent=2, ensure_ascii=False)

    return [ChangeRow(c.step, c.kind, c.change, c.detail, shown(c.before), shown(c.after))
            for c in flow_steps_diff(old=old, new=new)]


@require_safe
@login_required
def flow_steps_compare(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _flow(pk)
    current = flow.steps_version
    if current is None:
        raise Http404("This flow has no saved steps yet.")
    new = _version(flow, request.GET.get("new") or current.number)
    old = _version(flow, request.GET.get("old") or max(new.number - 1, 1))
    return render(request, "portal/steps/compare.html", {
        "flow": flow, "old": old, "new": new,
        "changes": change_rows(old.document, new.document),
        "numbers": list(flow.step_versions.order_by("-number").values_list("number",
                                                                         flat=True))})


@require_POST
@editor_required
def flow_steps_rollback_view(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Asks first (the page shows what changes back), then makes version ``number`` current."""
    flow = _flow(pk)
    version = _version(flow, number)
    current = flow.steps_version
    if request.POST.get("confirm") != "yes":
        return render(request, "portal/steps/rollback.html", {
            "flow": flow, "version": version, "current": current,
            "changes": change_rows(current.document, version.document) if current else []})
    flow_steps_rollback(flow=flow, number=number)
    messages.success(request, f"Version {number} of the steps is current again; “{flow.name}” "
                              "runs it from its next record on. Later versions stay in the "
                              "history.")
    return redirect("flow_steps_versions", pk=pk)
