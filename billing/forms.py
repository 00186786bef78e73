from __future__ import annotations

from django import forms

from billing.models import Plan


class PlanChangeForm(forms.Form):
    plan = forms.ModelChoiceField(
        queryset=Plan.objects.filter(is_public=True, is_active=True), to_field_name="slug",
        error_messages={"invalid_choice": "Choose one of the plans listed."},
    )
    # Set by the confirmation page's button; the first submit only shows what would change.
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
