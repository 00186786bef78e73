"""Writes for users and API keys."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from accounts.models import ApiKey

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
