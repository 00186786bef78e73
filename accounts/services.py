"""Writes for users, the team (invitations, roles) and API keys."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiKey, Invitation, User, invitation_token_hash
from tenants.selectors import tenant_base_url

# A key's last use is recorded at most this often: one UPDATE a minute per busy key, not one
# per request.
API_KEY_USED_EVERY = timedelta(minutes=1)


def api_key_create(*, name: str, scope: str, created_by: str,
                   expiry_date: datetime | None = None) -> tuple[ApiKey, str]:
    """A new key and its plain text, which exists only in this return value: the database
    keeps a hash, so the caller shows it once and it cannot be shown again."""
    api_key, plain_key = ApiKey.objects.create_key(name=name, scope=ApiKey.Scope(scope),
                                                   created_by=created_by,
                                                   expiry_date=expiry_date)
    return api_key, plain_key


def api_key_revoke(*, api_key: ApiKey, by: str) -> ApiKey:
    """Revoked keys are refused from the next request on; revoking cannot be undone."""
    if api_key.revoked:
        return api_key
    api_key.revoked = True
    api_key.revoked_at = timezone.now()
    api_key.revoked_by = by
    api_key.save(update_fields=["revoked", "revoked_at", "revoked_by"])
    return api_key


def api_key_mark_used(*, api_key: ApiKey, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if api_key.last_used_at is not None and now - api_key.last_used_at < API_KEY_USED_EVERY:
        return
    # Conditional, so concurrent requests of one key in different processes write once.
    ApiKey.objects.filter(pk=api_key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - API_KEY_USED_EVERY)
    ).update(last_used_at=now)
    api_key.last_used_at = now


# --- Team: invitations, roles, deactivation ------------------------------------------------------

def _tenant_link(path: str) -> str:
    """An absolute link into the current tenant's portal, for emails."""
    return tenant_base_url(slug=connection.tenant.slug) + path


def _check_may_grant(*, by: User, role: str) -> None:
    if not by.can_edit:
        raise ValidationError("Viewers can only look; ask an owner or admin to change the team.")
    if role == User.Role.OWNER and by.role != User.Role.OWNER:
        raise ValidationError("Only an owner can make someone an owner.")


def _invitation_send(*, invitation: Invitation, token: str) -> None:
    tenant = connection.tenant
    context = {
        "tenant_name": tenant.name,
        "invited_by": invitation.invited_by.get_full_name() if invitation.invited_by else "",
        "role": invitation.get_role_display(),
        "accept_url": _tenant_link(reverse("invitation_accept", kwargs={"token": token})),
        "expires_at": invitation.expires_at,
    }
    subject = render_to_string("emails/invitation_subject.txt", context).strip()
    body = render_to_string("emails/invitation.txt", context)
    send_mail(subject, body, None, [invitation.email])


def invitation_create(*, email: str, role: str, invited_by: User) -> tuple[Invitation, str]:
    """Invite ``email`` to join with ``role`` and email them the link; returns the invitation
    and its token (the link's only copy). Raises ``ValidationError`` saying why not."""
    email = User.objects.normalize_email((email or "").strip()).lower()
    if role not in User.Role.values:
        raise ValidationError(f"There is no role called {role!r}.")
    _check_may_grant(by=invited_by, role=role)
    member = User.objects.filter(email=email).first()
    if member is not None:
        if member.is_active:
            raise ValidationError(f"{email} is already a member of the team.")
        raise ValidationError(f"{email} is a deactivated member: reactivate them instead.")
    now = timezone.now()
    with transaction.atomic():
        open_invitation = (Invitation.objects.select_for_update()
                           .filter(email=email, accepted_at__isnull=True,
                                   cancelled_at__isnull=True).first())
        if open_invitation is not None:
            if not open_invitation.has_expired:
                raise ValidationError(
                    f"{email} was already invited on {open_invitation.created_at:%d %b %Y}; "
                    "resend that invitation instead.")
            # An expired link is dead anyway: the new invitation replaces it.
            open_invitation.cancelled_at = now
            open_invitation.save(update_fields=["cancelled_at"])
        token = secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            email=email, role=role, invited_by=invited_by, token_hash=invitation_token_hash(token),
            created_at=now, expires_at=now + timedelta(days=settings.INVITATION_EXPIRY_DAYS),
        )
    _invitation_send(invitation=invitation, token=token)
    return invitation, token


def invitation_resend(*, invitation: Invitation, by: User) -> str:
    """A new link (the old one stops working) valid for the full period again."""
    _check_may_grant(by=by, role=invitation.role)
    if not invitation.is_pending:
        raise ValidationError(f"The invitation of {invitation.email} is no longer open.")
    token = secrets.token_urlsafe(32)
    invitation.token_hash = invitation_token_hash(token)
    invitation.expires_at = timezone.now() + timedelta(days=settings.INVITATION_EXPIRY_DAYS)
    invitation.save(update_fields=["token_hash", "expires_at"])
    _invitation_send(invitation=invitation, token=token)
    return token


def invitation_cancel(*, invitation: Invitation, by: User) -> Invitation:
    _check_may_grant(by=by, role=invitation.role)
    if not invitation.is_pending:
        raise ValidationError(f"The invitation of {invitation.email} is no longer open.")
    invitation.cancelled_at = timezone.now()
    invitation.save(update_fields=["cancelled_at"])
    return invitation


def invitation_check_open(invitation: Invitation) -> None:
    """Raise ``ValidationError`` saying why the link can no longer be used, if it cannot."""
    if invitation.accepted_at is not None:
        raise ValidationError("This invitation has already been used. Sign in instead.",
                              code="used")
    if invitation.cancelled_at is not None:
        raise ValidationError("This invitation was cancelled. Ask the person who invited you "
                              "for a new one.", code="cancelled")
    if invitation.has_expired:
        raise ValidationError(f"This invitation expired on {invitation.expires_at:%d %b %Y}. "
                              "Ask the person who invited you to send it again.", code="expired")


def invitation_accept(*, invitation: Invitation, full_name: str, password: str) -> User:
    """Make the invitee a member with the invited role. Raises ``ValidationError`` (keyed by
    field for the password) if the link cannot be used or the password is too weak."""
    with transaction.atomic():
        # Locked, so two submissions of one link make one user.
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        invitation_check_open(invitation)
        if User.objects.filter(email=invitation.email).exists():
            raise ValidationError(f"{invitation.email} is already a member. Sign in instead.",
                                  code="member")
        candidate = User(email=invitation.email, full_name=full_name.strip())
        try:
            validate_password(password, user=candidate)
        except ValidationError as exc:
            raise ValidationError({"password1": exc.messages}) from None
        user = User.objects.create_user(email=invitation.email, password=password,
                                        full_name=full_name.strip(), role=invitation.role)
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
    return user


def _active_owners_locked() -> list[User]:
    # Locked: two owners demoting each other at once must not leave the tenant with none.
    return list(User.objects.select_for_update().filter(role=User.Role.OWNER, is_active=True))


def member_set_role(*, member: User, role: str, by: User) -> User:
    if role not in User.Role.values:
        raise ValidationError(f"There is no role called {role!r}.")
    if role == member.role:
        return member
    _check_may_grant(by=by, role=role)
    if member.role == User.Role.OWNER and by.role != User.Role.OWNER:
        raise ValidationError("Only an owner can change another owner's role.")
    with transaction.atomic():
        owners = _active_owners_locked()
        if member.role == User.Role.OWNER and member.is_active and [
                owner.pk for owner in owners] == [member.pk]:
            raise ValidationError(f"{member.email} is the only owner: make someone else an "
                                  "owner first.")
        member.role = role
        member.save(update_fields=["role"])
    return member


def member_deactivate(*, member: User, by: User) -> User:
    """Signs the member out everywhere (their sessions stop authenticating) and keeps them
    listed so they can be reactivated."""
    if not by.can_edit:
        raise ValidationError("Viewers can only look; ask an owner or admin to change the team.")
    if member.pk == by.pk:
        raise ValidationError("You cannot deactivate yourself.")
    if member.role == User.Role.OWNER and by.role != User.Role.OWNER:
        raise ValidationError("Only an owner can deactivate an owner.")
    if not member.is_active:
        return member
    with transaction.atomic():
        owners = _active_owners_locked()
        if member.role == User.Role.OWNER and [owner.pk for owner in owners] == [member.pk]:
            raise ValidationError(f"{member.email} is the only owner and cannot be "
                                  "deactivated.")
        member.is_active = False
        member.save(update_fields=["is_active"])
    return member


def member_reactivate(*, member: User, by: User) -> User:
    _check_may_grant(by=by, role=member.role)
    if member.is_active:
        return member
    member.is_active = True
    member.save(update_fields=["is_active"])
    return member


# --- Sign-up hand-over ---------------------------------------------------------------------------

WELCOME_SALT = "accounts.welcome"
# Long enough for the redirect from the public site, short enough that a leaked link is dead.
WELCOME_MAX_AGE_S = 300


def welcome_token_create(*, user: User, schema_name: str) -> str:
    """A signed link for a new owner to land on their own domain signed in.

    Sessions live in the tenant's schema, so the public site cannot sign anyone in there. The
    token carries the user's last login, which signing in changes: it works once.
    """
    return signing.dumps({"u": user.pk, "s": schema_name,
                          "l": user.last_login.isoformat() if user.last_login else ""},
                         salt=WELCOME_SALT)


def welcome_token_redeem(*, token: str) -> User:
    """The (row-locked) user the token is for; the caller signs them in inside the same
    transaction, which is what makes the token single-use. Raises ``ValidationError``."""
    try:
        data = signing.loads(token, salt=WELCOME_SALT, max_age=WELCOME_MAX_AGE_S)
    except signing.SignatureExpired:
        raise ValidationError("This sign-in link has expired; sign in with your email and "
                              "password.") from None
    except signing.BadSignature:
        raise ValidationError("This sign-in link is not valid.") from None
    if data.get("s") != connection.schema_name:
        raise ValidationError("This sign-in link is for another account.")
    user = User.objects.select_for_update().filter(pk=data.get("u"), is_active=True).first()
    if user is None:
        raise ValidationError("This sign-in link is not valid.")
    last_login = user.last_login.isoformat() if user.last_login else ""
    if data.get("l") != last_login:
        raise ValidationError("This sign-in link has already been used; sign in with your "
                              "email and password.")
    return user
