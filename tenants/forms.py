"""Forms of the public site."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from billing.models import Plan
from billing.selectors import plan_list_public
from tenants.services import SLUG_MAX, SLUG_MIN, tenant_signup_validate


class PlanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Plan) -> str:
        return f"{obj.name} — ${obj.price_per_month:,.0f}/mo, {obj.get_billing_period_display()}"


class SignupForm(forms.Form):
    """Sign-up: a company, its subdomain and its owner. Every rule is the service's
    (``tenant_signup_validate``), so the staff admin and this form refuse the same things."""

    name = forms.CharField(label="Company name", max_length=200)
    slug = forms.CharField(
        label="Your address", min_length=SLUG_MIN, max_length=SLUG_MAX,
        help_text=f"{SLUG_MIN}–{SLUG_MAX} lowercase letters, digits or hyphens, starting with a "
                  "letter. It becomes your portal's subdomain and cannot be changed later.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    owner_name = forms.CharField(label="Your name", max_length=150)
    owner_email = forms.EmailField(label="Your work email",
                                   widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    owner_password = forms.CharField(
        label="Password", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    plan = PlanChoiceField(queryset=Plan.objects.none(), to_field_name="slug",
                           empty_label=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plans = plan_list_public()
        self.fields["plan"].queryset = Plan.objects.filter(pk__in=[p.pk for p in self.plans])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # Checked even when a field failed its own validation, so every problem is shown at
        # once; a field keeps just its first complaint.
        values = {name: data.get(name, self.data.get(name, "")) for name in self.fields}
        try:
            tenant_signup_validate(name=values["name"], slug=values["slug"],
                                   owner_email=values["owner_email"],
                                   owner_password=values["owner_password"],
                                   owner_name=values["owner_name"], plan=values["plan"] or "")
        except ValidationError as exc:
            self.add_service_errors(exc)
        return data

    def add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for field_name, field_errors in exc.message_dict.items():
            if field_name not in self.fields:
                self.add_error(None, field_errors)
            elif field_name not in self.errors:
                self.add_error(field_name, field_errors)
