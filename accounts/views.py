
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache

from accounts.decorators import editor_required
from accounts.forms import ApiKeyForm
from accounts.models import ApiKey
from accounts.selectors import api_key_list
from accounts.services import api_key_create, api_key_revoke
from billing import limits


@login_required
def home(request: HttpRequest) -> HttpResponse:
    tenant = connection.tenant
    return render(request, "portal/home.html", {
        "tenant": tenant,
        "subscription": getattr(tenant, "subscription", None),
        "standing": limits.can_operate(tenant=tenant),
        "usage": limits.usage_status(tenant=tenant),
    })


@login_required
def api_key_list_view(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/api_keys/list.html", {"api_keys": api_key_list()})


@never_cache
@editor_required
def api_key_new(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        api_key, plain_key = api_key_create(name=form.cleaned_data["name"],
                                            scope=form.cleaned_data["scope"],
                                            created_by=request.user.email)
        # Rendered, not redirected: the plain key is in this one response and nowhere else.
        return render(request, "portal/api_keys/created.html",
                      {"api_key": api_key, "plain_key": plain_key})
    return render(request, "portal/api_keys/form.html", {"form": form})


@editor_required
def api_key_revoke_view(request: HttpRequest, prefix: str) -> HttpResponse:
    api_key = get_object_or_404(ApiKey, prefix=prefix)
    if request.method == "POST" and not api_key.revoked:
        api_key_revoke(api_key=api_key, by=request.user.email)
        messages.success(request, f"API key {api_key.name} ({api_key.prefix}) was revoked.")
        return redirect("api_key_list")
    return render(request, "portal/api_keys/revoke.html", {"api_key": api_key})
