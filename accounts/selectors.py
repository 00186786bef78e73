"""Reads for users and API keys."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import ApiKey


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
