import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils import timezone

from accounts.models import ApiKey, User


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=50, help_text="What uses it, e.g. “Warehouse dashboard”.")
    scope = forms.ChoiceField(choices=ApiKey.Scope.choices, initial=ApiKey.Scope.READ,
                              help_text="Read-only keys can only fetch data.")
    expires_on = forms.DateField(
        required=False, label="Expires on", widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional. The key stops working at the start of this day (UTC).")

    def clean_expires_on(self) -> dt.datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        if day <= timezone.now().date():
            raise forms.ValidationError("Choose a day after today, or leave it empty for a key "
                                        "that does not expire.")
        return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


class InvitationForm(forms.Form):
    email = forms.EmailField(help_text="They get an email with a link to join.")
    role = forms.ChoiceField(choices=User.Role.choices, initial=User.Role.VIEWER,
                             help_text="Owners and admins change things; viewers only look.")

    def __init__(self, *args: Any, inviter: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only owners may grant the owner role; the service refuses it too.
        self.fields["role"].choices = role_choices_for(inviter)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=User.Role.choices)


class InvitationAcceptForm(forms.Form):
    full_name = forms.CharField(max_length=150, label="Your name")
    password1 = forms.CharField(label="Password", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=password_validation.password_validators_help_text_html())
    password2 = forms.CharField(label="Password again", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ; type the same one twice.")
        return data


def role_choices_for(user: User) -> list[tuple[str, str]]:
    return [(value, label) for value, label in User.Role.choices
            if value != User.Role.OWNER or user.role == User.Role.OWNER]
