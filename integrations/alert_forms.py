"""The alert rule form. (Its own module: integrations/forms.py is the connection and pair
forms, edited alongside; this can move in there whenever that suits.)"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from billing import limits
from integrations.models import AlertRule
from integrations.services.alerts import USAGE_THRESHOLDS
from tenants.models import Tenant

MAX_EMAILS = 20
HTTP_ONLY = "Enter a web address starting with http:// or https://."
EMAIL_SEPARATORS = re.compile(r"[\s,;]+")


class AlertRuleForm(forms.Form):
    kind = forms.ChoiceField(choices=AlertRule.Kind.choices, label="Alert when")
    threshold = forms.IntegerField(
        min_value=1, initial=1,
        help_text="Dead letters: how many are waiting. Flow failing: failures in a row. "
                  "Usage: percent of the monthly allowance (alerts go out at 80% and 100%). "
                  "Not used for circuits.")
    emails = forms.CharField(
        required=False, label="Email recipients", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One address per line, or separated by commas.")
    webhook_url = forms.URLField(
        required=False, max_length=200, assume_scheme="https", label="Webhook URL",
        error_messages={"invalid": HTTP_ONLY},
        help_text="Clarity POSTs the alert to it as JSON (tenant, kind, key, message, "
                  "created_at).")
    enabled = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, tenant: Tenant, rule: AlertRule | None = None,
                 **kwargs: Any) -> None:
        if rule is not None:
            kwargs.setdefault("initial", {
                "kind": rule.kind, "threshold": rule.threshold, "emails": "\n".join(rule.emails),
                "webhook_url": rule.webhook_url, "enabled": rule.enabled})
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def clean_emails(self) -> list[str]:
        addresses = [a for a in EMAIL_SEPARATORS.split(self.cleaned_data["emails"]) if a]
        invalid = []
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                invalid.append(address)
        if invalid:
            quoted = ", ".join(f"“{a}”" for a in invalid)
            noun = "is not a valid email address" if len(invalid) == 1 else (
                "are not valid email addresses")
            raise ValidationError(f"{quoted} {noun}.")
        unique = list(dict.fromkeys(a.lower() for a in addresses))
        if len(unique) > MAX_EMAILS:
            raise ValidationError(f"At most {MAX_EMAILS} email recipients; use a mailing list "
                                  "for more.")
        return unique

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data["webhook_url"]
        if url and urlsplit(url).scheme not in ("http", "https"):
            raise ValidationError(HTTP_ONLY)
        if url:
            decision = limits.can_use_feature(tenant=self.tenant, feature="webhook_alerts")
            if not decision:
                raise ValidationError(decision.reason)
        return url

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        emails, url = cleaned.get("emails"), cleaned.get("webhook_url")
        if emails == [] and not url and "emails" not in self.errors and (
                "webhook_url" not in self.errors):
            raise ValidationError("Add at least one recipient: an email address or a "
                                  "webhook URL.")
        threshold = cleaned.get("threshold")
        if cleaned.get("kind") == AlertRule.Kind.USAGE and threshold and (
                threshold > max(USAGE_THRESHOLDS)):
            self.add_error("threshold", f"Usage is checked at "
                                        f"{' and '.join(f'{p}%' for p in USAGE_THRESHOLDS)} of "
                                        "the allowance; a higher threshold would never alert.")
        return cleaned
