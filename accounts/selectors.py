"""Reads for users, the team and API keys."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from accounts.models import ApiKey, Invitation, User, invitation_token_hash


def api_key_list() -> QuerySet[ApiKey]:
    return ApiKey.objects.order_by("revoked", "-created")


def api_key_find(*, plain_key: str) -> ApiKey | None:
    """The key of the current tenant's schema that ``plain_key`` is, revoked or not; None if
    no key has its prefix or the rest does not match the stored hash."""
    prefix, dot, _ = plain_key.partition(".")
    if not dot:
        return None
    api_key = ApiKey.objects.filter(prefix=prefix).first()
    if api_key is None or not api_key.is_valid(plain_key):
        return None
    return api_key


def member_list() -> QuerySet[User]:
    """The team: active members first, owners before admins before viewers."""
    role_rank = Case(*(When(role=role, then=Value(rank))
                       for rank, role in enumerate(User.Role.values)),
                     default=Value(len(User.Role.values)), output_field=IntegerField())
    return User.objects.annotate(role_rank=role_rank).order_by("-is_active", "role_rank",
                                                               "email")


def invitation_list_pending() -> QuerySet[Invitation]:
    """Invitations not yet accepted or cancelled, expired ones included (they can be resent)."""
    return (Invitation.objects.filter(accepted_at__isnull=True, cancelled_at__isnull=True)
            .select_related("invited_by").order_by("-created_at"))


def invitation_find(*, token: str) -> Invitation | None:
    return Invitation.objects.filter(token_hash=invitation_token_hash(token)).first()
