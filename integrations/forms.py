from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings

from integrations.catalog import SYSTEMS, SystemInfo
from integrations.connectors.infor_ionapi import ENTERED_KEYS, ionapi_compose
from integrations.connectors.registry import credential_fields
from integrations.models import Connection
from integrations.pair_templates import PairTemplate

SECRET_WORDS = ("secret", "password", "token", "ionapi")
# Sign-in with Infor: a Web application's values may be typed in instead of uploading its
# .ionapi file (ION API's app page lists them); they are put together as that file.
TYPED_IONAPI = {("infor", "oauth2_code"): ENTERED_KEYS}


class ConnectionForm(forms.Form):
    """Name, environment, address and the credentials the chosen auth type needs."""

    name = forms.CharField(max_length=120)
    environment = forms.ChoiceField(choices=Connection.Environment.choices)
    base_url = forms.URLField(max_length=300, assume_scheme="https", label="API base URL")
    account = forms.CharField(max_length=120, required=False)
    auth_type = forms.ChoiceField()

    def __init__(self, *args: Any, system: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.info: SystemInfo = SYSTEMS[system]
        self.fields_by_auth = credential_fields(system)
        self.fields["auth_type"].choices = [
            (a, self.info.auth_labels.get(a) or Connection.AuthType(a).label)
            for a in self.info.auth_types if a in self.fields_by_auth
        ]
        self.fields["account"].label = self.info.account_label
        self.initial.setdefault("name", f"{self.info.label} sandbox")
        self.initial.setdefault("environment", Connection.Environment.SANDBOX)
        self.initial.setdefault("base_url", settings.SANDBOX_URL + self.info.sandbox_path)
        self.initial.setdefault("account", self.info.sandbox_account)
        app = settings.OAUTH_APPS.get(system, {})
        for auth_type, names in self.fields_by_auth.items():
            for name in names:
                key = f"cred_{auth_type}_{name}"
                label = self.info.field_help.get(name, name.replace("_", " ").capitalize())
                if name == "ionapi":
                    self.fields[key] = forms.FileField(label=label, required=False)
                elif auth_type == "oauth2_code" and name in app:
                    continue  # Clarity's own OAuth app: nothing for the customer to enter
                else:
                    secret = any(word in name for word in SECRET_WORDS)
                    self.fields[key] = forms.CharField(
                        label=label, required=False, strip=not secret,
                        widget=forms.PasswordInput(render_value=False) if secret else None)
                self.fields[key].auth_type = auth_type  # type: ignore[attr-defined]
        for (typed_system, auth_type), labels in TYPED_IONAPI.items():
            if typed_system != system or auth_type not in self.fields_by_auth:
                continue
            for name, label in labels.items():
                key = f"cred_{auth_type}_ionapi_{name}"
                secret = name == "cs"
                self.fields[key] = forms.CharField(
                    label=f"or type in: {label}", required=False, strip=not secret,
                    widget=forms.PasswordInput(render_value=False) if secret else None)
                self.fields[key].auth_type = auth_type  # type: ignore[attr-defined]

    def credential_keys(self, auth_type: str) -> list[str]:
        return [k for k, f in self.fields.items() if getattr(f, "auth_type", None) == auth_type]

    def credentials(self) -> dict[str, Any]:
        auth_type = self.cleaned_data["auth_type"]
        creds: dict[str, Any] = {}
        if auth_type == "oauth2_code":
            creds.update(settings.OAUTH_APPS.get(self.info.system, {}))
        typed: dict[str, str] = {}
        for key in self.credential_keys(auth_type):
            value = self.cleaned_data.get(key)
            name = key.removeprefix(f"cred_{auth_type}_")
            if hasattr(value, "read"):
                value = value.read().decode("utf-8-sig", errors="replace")
            if name.startswith("ionapi_"):
                typed[name.removeprefix("ionapi_")] = value or ""
            elif value:
                creds[name] = value
        if not creds.get("ionapi") and any(typed.values()):
            creds["ionapi"] = json.dumps(ionapi_compose(typed))
        return creds


class PairReviewForm(forms.Form):
    """A pair from one template: its name, the two connections, environment and flows."""

    name = forms.CharField(max_length=200)
    brightpearl = forms.ModelChoiceField(
        queryset=Connection.objects.filter(system=Connection.System.BRIGHTPEARL),
        label="Brightpearl connection", empty_label=None)
    partner = forms.ModelChoiceField(
        queryset=Connection.objects.exclude(system=Connection.System.BRIGHTPEARL),
        empty_label=None)
    environment = forms.ChoiceField(choices=Connection.Environment.choices,
                                    widget=forms.RadioSelect)
    flows = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, required=False,
                                      label="Flows to switch on")

    def __init__(self, *args: Any, template: PairTemplate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.template = template
        partner = self.fields["partner"]
        partner.label = f"{Connection.System(template.partner).label} connection"
        # Validation still accepts any partner connection, so choosing the wrong system gets
        # the service's explanation instead of "not one of the available choices".
        partner.widget.choices = [(c.pk, str(c)) for c in
                                  Connection.objects.filter(system=template.partner)]
        self.fields["flows"].choices = [(f.key, f.name) for f in template.flows]
        self.initial.setdefault("flows", [f.key for f in template.flows
                                          if f.enabled_by_default])
        self.initial.setdefault("environment", Connection.Environment.SANDBOX)
        self.initial.setdefault("name", template.name)

    def clean_flows(self) -> list[str] | None:
        # A form that never listed the flows (the one-step POST) keeps the template's choice.
        if self.data.get("flows_reviewed") != "1":
            return None
        return self.cleaned_data["flows"]
