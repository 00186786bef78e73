from django import forms

from accounts.models import ApiKey


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=50, help_text="What uses it, e.g. “Warehouse dashboard”.")
    scope = forms.ChoiceField(choices=ApiKey.Scope.choices, initial=ApiKey.Scope.READ,
                              help_text="Read-only keys can only fetch data.")
