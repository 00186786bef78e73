"""Forms of the portal's step editor: saving a document as a version, and a test run."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from integrations.forms_mappings import PreviewForm


def _document(text: str) -> Any:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise forms.ValidationError(
            f"The steps are not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from None
    if not isinstance(document, dict):
        raise forms.ValidationError("The steps must be a JSON object with a \"steps\" list.")
    return document


class StepsSaveForm(forms.Form):
    document = forms.CharField(widget=forms.HiddenInput)
    base = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    comment = forms.CharField(required=False, max_length=300, label="What changed")
    overwrite = forms.BooleanField(required=False, label="Save anyway")

    def clean_document(self) -> Any:
        return _document(self.cleaned_data["document"])


class StepsTestForm(PreviewForm):
    """The sample (fetched or pasted, as in the mapping preview) and the document to run."""

    document = forms.CharField(widget=forms.HiddenInput)

    def clean_document(self) -> Any:
        return _document(self.cleaned_data["document"])
