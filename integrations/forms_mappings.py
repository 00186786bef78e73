"""Forms of the portal's mapping editor: one field's rule, saving a version, a preview."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from integrations.mapping.editing import (
    MISSING,
    RuleView,
    TargetField,
    rule_build,
    scalar_parse,
    scalar_text,
)

MODES = [
    ("source", "Source field"),
    ("expression", "Expression"),
    ("constant", "Constant"),
    ("rule", "Advanced rule (JSON)"),
    ("unmapped", "Not mapped"),
]
LINES_MODES = [
    ("lines", "One line per item of a source list"),
    ("rule", "Advanced rule (JSON)"),
    ("unmapped", "Not mapped"),
]
ON_MISS = [
    ("", "Use the lookup default if given, else a problem"),
    ("fail", "A problem (the record waits or is dead-lettered)"),
    ("default", "Use the lookup default"),
    ("keep", "Keep the source value"),
    ("null", "Leave empty (the field's default applies)"),
]


class FieldRuleForm(forms.Form):
    """One target field's rule. ``build()`` after ``is_valid()`` gives the value spec."""

    field = forms.CharField(widget=forms.HiddenInput)
    mode = forms.ChoiceField(choices=MODES, widget=forms.RadioSelect)
    source_field = forms.ChoiceField(required=False, label="Source field")
    expression = forms.CharField(
        required=False, label="Expression",
        help_text="A JMESPath expression over the source record, e.g. "
                  "rows[?quantity > `0`].sku | [0], or $root.id inside lines.")
    constant = forms.CharField(required=False, label="Constant value",
                               help_text="The same value for every record.")
    rule = forms.CharField(
        required=False, label="Rule (JSON)", widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Any rule of the mapping document format: concat, coalesce, calc, "
                  "aggregate, when, convert_currency…")
    where = forms.CharField(
        required=False, label="Only items where (JSON condition)",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text='e.g. {"from": "productId", "exists": true}; empty for every item.')
    lookup_table = forms.ChoiceField(required=False, label="Lookup table")
    lookup_default = forms.CharField(required=False, label="Lookup default",
                                     help_text="The value for a key the table does not have.")
    lookup_on_miss = forms.ChoiceField(choices=ON_MISS, required=False,
                                       label="When the key is not in the table")
    default = forms.CharField(required=False, label="Default",
                              help_text="Used when the value is empty.")
    required = forms.BooleanField(required=False, label="A value is required",
                                  help_text="An empty value is a problem, not left out.")
    transforms = forms.CharField(
        required=False, label="Other steps (JSON list)",
        help_text='Applied in order after the lookup, e.g. ["trim", "upper", '
                  '{"truncate": 15}].')

    def __init__(self, *args: Any, target: TargetField, sources: list[tuple[str, str]],
                 tables: list[str], view: RuleView | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.target = target
        self.view = view
        self.lines = target.type == "list" and target.has_parts
        self.fields["mode"].choices = LINES_MODES if self.lines else MODES
        self.fields["source_field"].choices = [("", "— choose —"), *sources]
        self.fields["lookup_table"].choices = [("", "— none —"), *((t, t) for t in tables)]
        if self.lines:
            self.fields["expression"].label = "Items come from"
            self.fields["expression"].help_text = (
                "The source list (or object of rows) with one item per line, e.g. "
                "orderRows, or a JMESPath expression.")
        if view is not None and not self.is_bound:
            self.initial.update(_initial(view, target, {s for s, _ in sources}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        mode = data.get("mode")
        if mode == "source" and not data.get("source_field"):
            self.add_error("source_field", "Choose the source field to copy.")
        if mode in ("expression", "lines") and not (data.get("expression") or "").strip():
            self.add_error("expression", "Write the expression.")
        if mode == "constant":
            data["constant_value"] = self._constant(data.get("constant") or "")
        if mode == "rule":
            data["rule_value"] = self._json("rule", data.get("rule") or "", required=True)
        if mode == "lines":
            data["where_value"] = self._json("where", data.get("where") or "")
        steps = self._json("transforms", data.get("transforms") or "")
        if steps is not MISSING and not isinstance(steps, list):
            self.add_error("transforms", 'Give the steps as a JSON list, e.g. ["upper"].')
        data["steps"] = steps if isinstance(steps, list) else []
        return data

    def _json(self, name: str, text: str, *, required: bool = False) -> Any:
        if not text.strip():
            if required:
                self.add_error(name, "Write the rule as JSON.")
            return MISSING
        try:
            return json.loads(text)
        except ValueError as exc:
            self.add_error(name, f"This is not valid JSON: {exc.msg} (line {exc.lineno}, "
                                 f"column {exc.colno}).")
            return MISSING

    def _constant(self, text: str) -> Any:
        kind = self.target.type
        text = text.strip() if kind != "string" else text
        if kind == "string":
            return text
        if kind == "integer":
            try:
                return int(text)
            except ValueError:
                self.add_error("constant", f"{self.target.name} takes a whole number.")
                return None
        if kind == "decimal":
            try:
                number = float(text)
            except ValueError:
                self.add_error("constant", f"{self.target.name} takes a number, e.g. 12.50.")
                return None
            return int(text) if text.lstrip("+-").isdigit() else number
        if kind == "boolean":
            words = {"true": True, "yes": True, "1": True, "false": False, "no": False,
                     "0": False}
            if text.lower() not in words:
                self.add_error("constant", f"{self.target.name} takes true or false.")
                return None
            return words[text.lower()]
        return scalar_parse(text)

    def build(self, existing: Any) -> Any:
        """The value spec (``MISSING`` for "not mapped")."""
        data = self.cleaned_data
        mode = data["mode"]
        source = data.get("source_field") if mode == "source" else (
            data.get("expression") or "").strip()
        return rule_build(
            mode=mode, existing=existing, source=source or "",
            constant=data.get("constant_value"), rule=data.get("rule_value", MISSING),
            lookup_table=data.get("lookup_table") or "",
            lookup_default=_optional(data.get("lookup_default") or ""),
            lookup_on_miss=data.get("lookup_on_miss") or "",
            default=_optional(data.get("default") or ""), required=bool(data.get("required")),
            transforms=data.get("steps"), where=data.get("where_value", MISSING))


def _optional(text: str) -> Any:
    return scalar_parse(text) if text.strip() else MISSING


def _initial(view: RuleView, target: TargetField, sources: set[str]) -> dict[str, Any]:
    mode = view.mode
    if mode == "unmapped":
        mode = "lines" if target.type == "list" and target.has_parts else "source"
    if mode == "source" and view.source not in sources:
        mode = "expression"  # a path neither the schema nor the sample shows: keep it as typed
    initial: dict[str, Any] = {
        "field": target.path, "mode": mode,
        "source_field": view.source if mode == "source" else "",
        "expression": view.source if mode in ("expression", "lines") else "",
        "constant": "" if view.mode != "constant" else (
            view.constant if isinstance(view.constant, str) else json.dumps(view.constant)),
        "lookup_table": view.lookup_table,
        "lookup_default": scalar_text(view.lookup_default),
        "lookup_on_miss": view.lookup_on_miss,
        "default": scalar_text(view.default),
        "required": view.required,
        "transforms": json.dumps(view.transforms) if view.transforms else "",
        "where": "" if view.where is MISSING else json.dumps(view.where),
    }
    if view.mode == "rule":
        initial["rule"] = json.dumps(view.spec, indent=2)
    return initial


class VersionSaveForm(forms.Form):
    comment = forms.CharField(max_length=300, label="What changed",
                              help_text="Shown in the version history.")
    base = forms.IntegerField(widget=forms.HiddenInput)
    overwrite = forms.BooleanField(required=False, label="Save anyway")


class PreviewForm(forms.Form):
    SOURCES = [("fetch", "Fetch a record from the source system"), ("paste", "Paste a record")]

    source = forms.ChoiceField(choices=SOURCES, widget=forms.RadioSelect, initial="fetch")
    record_id = forms.CharField(required=False, max_length=200, label="Record id",
                                help_text="Empty for a recent record.")
    sample = forms.CharField(required=False, label="Source record (JSON)",
                             widget=forms.Textarea(attrs={"rows": 10}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("source") == "paste":
            text = (data.get("sample") or "").strip()
            if not text:
                self.add_error("sample", "Paste the source record as JSON.")
                return data
            try:
                data["record"] = json.loads(text)
            except ValueError as exc:
                self.add_error("sample", f"This is not valid JSON: {exc.msg} (line "
                                         f"{exc.lineno}, column {exc.colno}).")
                return data
            if not isinstance(data["record"], dict):
                self.add_error("sample", "Paste one record: a JSON object, {...}.")
        return data
