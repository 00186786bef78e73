"""Webhook deliveries skip the browser half of the middleware stack.

A delivery is a machine's POST with no cookies: sessions, CSRF, authentication, messages,
static files and the staff admin's schema switch have nothing to do for it, yet they were
a large share of its cost. Placed after tenant resolution and ``SecurityMiddleware`` (so
HTTPS is still enforced), this answers webhook URLs by calling their view directly; every
other request goes on down the stack unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from integrations.views.webhooks import webhook_receive

WEBHOOK_PREFIX = "/api/v1/webhooks/"


class WebhookFastPathMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(WEBHOOK_PREFIX):
            try:
                match = resolve(request.path_info, urlconf=getattr(request, "urlconf", None))
            except Resolver404:
                match = None
            if match is not None and match.func is webhook_receive:
                return webhook_receive(request, *match.args, **match.kwargs)
        return self.get_response(request)
