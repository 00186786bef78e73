
from smtplib import SMTPException
from typing import Any

from axes.utils import reset as axes_reset
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import editor_required
from accounts.forms import (
    ApiKeyForm,
    InvitationAcceptForm,
    InvitationForm,
    MemberRoleForm,
    role_choices_for,
)
from accounts.models import ApiKey, Invitation, User
from accounts.selectors import api_key_list, invitation_find, invitation_list_pending, member_list
from accounts.services import (
    api_key_create,
    api_key_revoke,
    invitation_accept,
    invitation_cancel,
    invitation_check_open,
    invitation_create,
    invitation_resend,
    member_deactivate,
    member_reactivate,
    member_set_role,
    welcome_token_redeem,
)
from tenants.selectors import tenant_base_url

# Sign-ins made by our own code (invitation, sign-up hand-over): the password was just set or
# was checked by the token, so no lockout check applies.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@require_safe
@login_required
def api_key_list_view(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/api_keys/list.html", {"api_keys": api_key_list()})


@never_cache
@editor_required
def api_key_new(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        api_key, plain_key = api_key_create(name=form.cleaned_data["name"],
                                            scope=form.cleaned_data["scope"],
                                            created_by=request.user.email,
                                            expiry_date=form.cleaned_data["expires_on"])
        # Rendered, not redirected: the plain key is in this one response and nowhere else.
        return render(request, "portal/api_keys/created.html",
                      {"api_key": api_key, "plain_key": plain_key})
    return render(request, "portal/api_keys/form.html", {"form": form})


@editor_required
def api_key_revoke_view(request: HttpRequest, prefix: str) -> HttpResponse:
    api_key = get_object_or_404(ApiKey, prefix=prefix)
    if request.method == "POST" and not api_key.revoked:
        api_key_revoke(api_key=api_key, by=request.user.email)
        messages.success(request, f"API key {api_key.name} ({api_key.prefix}) was revoked.")
        return redirect("api_key_list")
    return render(request, "portal/api_keys/revoke.html", {"api_key": api_key})


# --- Team ----------------------------------------------------------------------------------------

def _team_page(request: HttpRequest, *, invite_form: InvitationForm | None = None,
               status: int = 200) -> HttpResponse:
    user = request.user
    is_owner = user.role == User.Role.OWNER
    # What this user may do to each member; the services enforce the same rules.
    members = [(member, user.can_edit and member.pk != user.pk
                and (is_owner or member.role != User.Role.OWNER))
               for member in member_list()]
    return render(request, "portal/team/list.html", {
        "members": members,
        "invitations": invitation_list_pending(),
        "invite_form": invite_form or InvitationForm(inviter=user),
        "role_choices": role_choices_for(user),
        "is_owner": is_owner,
    }, status=status)


@require_safe
@login_required
def team(request: HttpRequest) -> HttpResponse:
    return _team_page(request)


def _mail_failed(request: HttpRequest, email: str, exc: Exception) -> None:
    messages.error(request, f"The invitation to {email} was saved but the email could not be "
                            f"sent ({exc}). Use Resend once mail works again.")


@require_POST
@editor_required
def team_invite(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST, inviter=request.user)
    if not form.is_valid():
        return _team_page(request, invite_form=form, status=400)
    email = form.cleaned_data["email"]
    try:
        invitation_create(email=email, role=form.cleaned_data["role"], invited_by=request.user)
    except ValidationError as exc:
        form.add_error("email", exc.messages)
        return _team_page(request, invite_form=form, status=400)
    except (SMTPException, OSError) as exc:
        _mail_failed(request, email, exc)
        return redirect("team")
    messages.success(request, f"Invitation sent to {email}.")
    return redirect("team")


def _apply(request: HttpRequest, change: Any, done: str) -> HttpResponse:
    """Run one team change; its refusal is shown as the page's message."""
    try:
        change()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("team")


@require_POST
@editor_required
def invitation_resend_view(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk)
    try:
        return _apply(request, lambda: invitation_resend(invitation=invitation, by=request.user),
                      f"Invitation sent again to {invitation.email}; the earlier link no "
                      "longer works.")
    except (SMTPException, OSError) as exc:
        _mail_failed(request, invitation.email, exc)
        return redirect("team")


@require_POST
@editor_required
def invitation_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk)
    return _apply(request, lambda: invitation_cancel(invitation=invitation, by=request.user),
                  f"Invitation of {invitation.email} cancelled; its link no longer works.")


@require_POST
@editor_required
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User, pk=pk)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose owner, admin or viewer.")
        return redirect("team")
    role = form.cleaned_data["role"]
    return _apply(request, lambda: member_set_role(member=member, role=role, by=request.user),
                  f"{member.email} is now {User.Role(role).label.lower()}.")


@require_POST
@editor_required
def member_deactivate_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User, pk=pk)
    return _apply(request, lambda: member_deactivate(member=member, by=request.user),
                  f"{member.email} was deactivated and can no longer sign in.")


@require_POST
@editor_required
def member_reactivate_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User, pk=pk)
    return _apply(request, lambda: member_reactivate(member=member, by=request.user),
                  f"{member.email} can sign in again.")


@never_cache
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_find(token=token)
    if invitation is None:
        return render(request, "portal/team/invitation_closed.html", {
            "problem": "This invitation link is not valid. It may have been replaced by a "
                       "newer invitation: use the link in the most recent email."}, status=404)
    try:
        invitation_check_open(invitation)
    except ValidationError as exc:
        return render(request, "portal/team/invitation_closed.html",
                      {"problem": " ".join(exc.messages)}, status=410)
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(invitation=invitation,
                                     full_name=form.cleaned_data["full_name"],
                                     password=form.cleaned_data["password1"])
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field, errors)
            else:
                return render(request, "portal/team/invitation_closed.html",
                              {"problem": " ".join(exc.messages)}, status=410)
        else:
            login(request, user, backend=MODEL_BACKEND)
            messages.success(request, f"Welcome to {connection.tenant.name}.")
            return redirect("home")
    return render(request, "portal/team/invitation_accept.html",
                  {"invitation": invitation, "form": form})


# --- Sign-up hand-over ---------------------------------------------------------------------------

@never_cache
def welcome(request: HttpRequest, token: str) -> HttpResponse:
    """Where sign-up on the public site sends a new owner: signs them in, once."""
    with transaction.atomic():
        try:
            user = welcome_token_redeem(token=token)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("login")
        login(request, user, backend=MODEL_BACKEND)
    messages.success(request, f"Welcome to Clarity Connect, {user.get_short_name()}. "
                              "Start by connecting Brightpearl.")
    return redirect("home")


# --- Password reset ------------------------------------------------------------------------------

class PasswordResetView(auth_views.PasswordResetView):
    template_name = "portal/password_reset/form.html"
    email_template_name = "emails/password_reset.txt"
    subject_template_name = "emails/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        # The link is built from settings, not from the Host header the request came with.
        self.extra_email_context = {
            "base_url": tenant_base_url(slug=connection.tenant.slug),
            "tenant_name": connection.tenant.name,
        }
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "portal/password_reset/confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # Proving the mailbox ends a lockout of that email: no waiting after a reset.
        axes_reset(username=self.user.email)
        return response
