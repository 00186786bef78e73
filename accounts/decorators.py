"""Portal access by role: owners and admins change things, viewers only look."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def editor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.can_edit:
            raise PermissionDenied("Viewers can only look; ask an owner or admin to change this.")
        return view(request, *args, **kwargs)

    return login_required(wrapper)
