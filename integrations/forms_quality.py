"""The portal form for a flow's data-quality checks (one fieldset per check that applies)."""

from __future__ import annotations

from typing import Any

from django import forms

from integrations.models import Flow
from integrations.services.quality import APPLIES, quality_settings

LABELS = {
    "address": ("Address cleansing", "Normalise countries, postcodes, regions, spacing and case "
                "before mapping; flag addresses that cannot be valid."),
    "dedupe": ("Duplicate detection", "Before creating a record in the target, look for one "
               "that already exists (name, email, phone, address, SKU)."),
    "anomaly": ("Anomaly detection", "Flag records far outside what this flow usually sees "
                "(totals, quantities, price changes, volume) and alert."),
}


class FlowQualityForm(forms.Form):
    address_enabled = forms.BooleanField(required=False, label="On")
    address_invalid = forms.ChoiceField(
        label="An address that cannot be valid", choices=[
            ("flag", "Sync it and note the problem"), ("hold", "Hold it for review")])
    dedupe_enabled = forms.BooleanField(required=False, label="On")
    dedupe_action = forms.ChoiceField(
        label="When a likely duplicate exists", choices=[
            ("review", "Hold the record for review"),
            ("link", "Link to the existing record and update it")])
    dedupe_threshold = forms.FloatField(
        label="Match score needed (0–1)", min_value=0.5, max_value=1.0,
        help_text="Higher finds fewer, surer matches.")
    anomaly_enabled = forms.BooleanField(required=False, label="On")
    anomaly_action = forms.ChoiceField(
        label="When a record looks wrong", choices=[
            ("flag", "Sync it, note it and alert"), ("hold", "Hold it for review and alert")])
    anomaly_sensitivity = forms.FloatField(
        label="Sensitivity (deviations from usual)", min_value=2.0, max_value=20.0,
        help_text="Lower flags more records.")
    anomaly_price_change_pct = forms.IntegerField(
        label="Price change to flag (%)", min_value=1, max_value=1000)
    anomaly_min_history = forms.IntegerField(
        label="Records to learn from before flagging", min_value=5, max_value=10000)
    anomaly_volume = forms.BooleanField(required=False, label="Alert on a surge or drop in volume")

    def __init__(self, *args: Any, flow: Flow, **kwargs: Any) -> None:
        current = quality_settings(flow)
        initial = {f"{check}_{name}": value for check, values in current.items()
                   for name, value in values.items()}
        super().__init__(*args, initial=initial, **kwargs)
        self.flow = flow
        self.checks = [check for check in APPLIES if flow.entity in APPLIES[check]]
        for name in list(self.fields):
            if name.split("_", 1)[0] not in self.checks:
                del self.fields[name]

    def fieldsets(self) -> list[dict[str, Any]]:
        return [{"check": check, "title": LABELS[check][0], "help": LABELS[check][1],
                 "fields": [self[name] for name in self.fields
                            if name.startswith(f"{check}_")]} for check in self.checks]

    def settings(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for name, value in self.cleaned_data.items():
            check, setting = name.split("_", 1)
            out.setdefault(check, {})[setting] = value
        return out
