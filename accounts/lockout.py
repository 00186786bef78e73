"""Sign-in lockout (django-axes): who a client is, and the page a locked-out client sees.

Failed sign-ins are counted per (email, IP address) in the schema of the domain signed in to:
a tenant's in its own schema, the staff admin's in public. Settings: ``AXES_*`` and
``LOGIN_*`` in config/settings/base.py.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def client_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The email tried, normalised as stored, so ``Ann@X`` and ``ann@x`` count together."""
    source = credentials if credentials is not None else request.POST
    username = (source or {}).get(settings.AXES_USERNAME_FORM_FIELD)
    if not isinstance(username, str) or not username.strip():
        return None
    return username.strip().lower()


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or the entry our own proxies appended to
    X-Forwarded-For (the ones before it are whatever the client chose to send)."""
    proxies = settings.LOGIN_TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in
                     request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def locked_until(request: HttpRequest, username: str | None) -> datetime:
    """When the lockout of this (email, address) ends: the cool-off after its last failure."""
    cool_off = get_cool_off(request)
    last = AccessAttempt.objects.filter(
        username=username, ip_address=getattr(request, "axes_ip_address", None),
    ).aggregate(last=Max("attempt_time"))["last"]
    return (last or timezone.now()) + cool_off


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    username = client_username(request, credentials)
    until = locked_until(request, username)
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    context = {
        "locked_until": until,
        "locked_minutes": minutes,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "locked_username": username or "",
    }
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.is_public:
        # The staff admin's sign-in: a plain page, the admin's own template has no room for it.
        return render(request, "portal/locked_out.html", context, status=429)
    form = AuthenticationForm(request, initial={"username": username or ""})
    return render(request, "portal/login.html", {
        **context, "form": form, "next": request.POST.get("next", ""),
    }, status=429)
