"""REST API access: API keys, their scopes, and a request budget per client.

``/api/v1/`` accepts a tenant's API key (``Authorization: Bearer cc_...``, or the library's
``Api-Key cc_...``) or a signed-in portal session. Keys live in the tenant's schema, which the
tenant middleware has already selected from the host, so another tenant's key is simply not
found here.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiKey
from accounts.selectors import api_key_find
from accounts.services import api_key_mark_used

KEYWORDS = (b"bearer", b"api-key")


class ApiKeyUser(AnonymousUser):
    """``request.user`` for a request made with an API key.

    Not the key's creator: a key keeps working when the person who made it leaves or changes
    role, and what it may do is its scope, not that person's role. Built on AnonymousUser so it
    has no permissions, groups or row, and answers ``is_authenticated`` so ``IsAuthenticated``
    and ``@login_required``-style checks let it through.
    """

    is_active = True

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key
        self.email = f"api-key:{api_key.prefix}"

    def __str__(self) -> str:
        return f"API key {self.api_key.name} ({self.api_key.prefix})"

    @property
    def is_anonymous(self) -> bool:  # type: ignore[override]
        return False

    @property
    def is_authenticated(self) -> bool:  # type: ignore[override]
        return True

    @property
    def can_edit(self) -> bool:
        return self.api_key.can_write


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ApiKeyUser, ApiKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            # No key offered: the portal session (the next authenticator) may apply.
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(
                "Malformed Authorization header: give one API key after Bearer.")
        try:
            plain_key = parts[1].decode()
        except UnicodeDecodeError:
            raise AuthenticationFailed("Unknown API key.") from None
        api_key = api_key_find(plain_key=plain_key)
        # Revoked and expired are told only to a caller holding the whole key, so a prefix
        # alone (shown in the portal and logs) reveals nothing.
        if api_key is None:
            raise AuthenticationFailed("Unknown API key.")
        if api_key.revoked:
            raise AuthenticationFailed("This API key was revoked.")
        if api_key.has_expired:
            raise AuthenticationFailed("This API key has expired.")
        api_key_mark_used(api_key=api_key)
        return ApiKeyUser(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        # Being first, this makes DRF answer 401 with a challenge (not 403) when no
        # credentials came.
        return 'Bearer realm="api"'


class ApiKeyScope(BasePermission):
    """Read keys may only read. Portal sessions follow the portal's roles: viewers read."""

    message = "This API key is read-only: use a read-write key to change data."

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if isinstance(request.auth, ApiKey):
            return request.auth.can_write
        user = request.user
        if user is not None and user.is_authenticated and not getattr(user, "can_edit", True):
            self.message = "Viewers can only read: ask an owner or admin for the admin role."
            return False
        return True


class ApiClientThrottle(SimpleRateThrottle):
    """One request budget per API key (or portal user), so one client cannot starve others.

    A fixed window counted with an atomic increment in the shared cache (Redis, as every
    gunicorn process must see the same count), rather than DRF's sliding log: that keeps a
    list of up to ``rate`` timestamps per client and rewrites it on each request, racing
    between processes. The cost is that a client may send up to twice the rate across a
    window boundary.
    """

    scope = "api_client"

    def get_rate(self) -> str | None:
        # Read per request (throttles are built per request) so settings overrides apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.prefix}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        # The cache's key function adds the tenant's schema in front.
        return f"api-throttle:{ident}"

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = time.time()
        window = int(self.now // self.duration)
        key = f"{key}:{window}"
        try:
            count = cache.incr(key)
        except ValueError:
            # The window's first request; another process may have begun it just now.
            if cache.add(key, 1, timeout=self.duration + 1):
                return True
            count = cache.incr(key)
        return count <= self.num_requests

    def wait(self) -> float:
        return self.duration - (self.now % self.duration)
