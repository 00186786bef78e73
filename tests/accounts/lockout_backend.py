"""The lockout backend of the test settings: django-axes', letting the test client's login()
through.

``Client.login()`` calls ``authenticate()`` without a request; axes refuses that, as a
sign-in it cannot attribute to a client. It is not one (no HTTP request is made), so here it
goes on to the password check. Every sign-in the tests make over HTTP is still counted and
locked out exactly as in production.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class TestClientLoginAxesBackend(AxesStandaloneBackend):
    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
