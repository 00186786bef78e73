"""Credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) with key rotation via MultiFernet.

Keys come from ``CREDENTIALS_ENCRYPTION_KEYS`` (newest first). Development and test settings
without keys derive one from ``SECRET_KEY``; production settings refuse to start without keys.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = list(settings.CREDENTIALS_ENCRYPTION_KEYS)
    if not keys:
        digest = hashlib.sha256(f"clarity-credentials:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ValueError(
            "CREDENTIALS_ENCRYPTION_KEYS must be comma-separated Fernet keys "
            "(32 url-safe base64-encoded bytes each)."
        ) from exc


@receiver(setting_changed)
def _reset_keys(*, setting: str, **kwargs: Any) -> None:
    if setting in {"CREDENTIALS_ENCRYPTION_KEYS", "SECRET_KEY"}:
        _fernet.cache_clear()


def encrypt_text(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "Stored credentials cannot be decrypted with the configured keys; was a key "
            "removed from CREDENTIALS_ENCRYPTION_KEYS before rotating?"
        ) from None


def encrypt_json(value: dict[str, Any]) -> str:
    return encrypt_text(json.dumps(value, separators=(",", ":"), sort_keys=True))


def decrypt_json(token: str) -> dict[str, Any]:
    return json.loads(decrypt_text(token))


def rotate(token: str) -> str:
    """Re-encrypt with the newest key (what a key rotation does to each stored value)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError("Cannot rotate a value no configured key can decrypt.") from None


def mask(value: str, *, visible: int = 4) -> str:
    """A hint that identifies a secret without revealing it: ``••••abcd``."""
    if not value:
        return ""
    if len(value) <= visible * 2:
        return "••••"
    return "••••" + value[-visible:]
