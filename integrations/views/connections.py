"""Portal pages for connections: list, add, test, and connect with OAuth."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection as db
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe
from django_tenants.utils import schema_context

from accounts.decorators import editor_required
from integrations.catalog import SYSTEMS
from integrations.connectors.errors import ConnectorError
from integrations.connectors.infor_ionapi import parse_ionapi
from integrations.connectors.registry import (
    OAUTH_FLOWS,
    oauth_authorization_url,
    oauth_exchange_code,
)
from integrations.forms import ConnectionForm
from integrations.models import Connection
from integrations.services.connections import (
    connection_config,
    connection_create,
    connection_test,
    connection_token_save,
)
from tenants.models import Tenant

OAUTH_STATE_SALT = "clarity.oauth.state"
OAUTH_STATE_MAX_AGE_S = 600


def safe_next(value: str | None) -> str:
    """A path on this site to return to (the onboarding wizard), or "" for anything else.

    Only paths are accepted, never a host: the value travels through the OAuth state and is
    appended to the tenant's own origin, so it must not be able to name another site.
    """
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return ""
    return value if url_has_allowed_host_and_scheme(value, allowed_hosts=None) else ""


def _with_query(path: str, query: dict[str, str]) -> str:
    return f"{path}{'&' if '?' in path else '?'}{urlencode(query)}"


@require_safe
@login_required
def connection_list(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/connections/list.html", {
        "connections": Connection.objects.all(),
        "systems": SYSTEMS.values(),
    })


@require_safe
@login_required
def connection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    return render(request, "portal/connections/detail.html", {
        "connection": connection,
        "info": SYSTEMS.get(connection.system),
        "oauth": connection.auth_type == Connection.AuthType.OAUTH2_CODE
        and connection.system in OAUTH_FLOWS,
    })


@editor_required
def connection_new(request: HttpRequest, system: str) -> HttpResponse:
    if system not in SYSTEMS:
        raise Http404(f"Unknown system {system!r}.")
    next_url = safe_next(request.POST.get("next") or request.GET.get("next"))
    initial = {}
    if request.GET.get("auth_type") in SYSTEMS[system].auth_types:
        initial["auth_type"] = request.GET["auth_type"]
    form = ConnectionForm(request.POST or None, request.FILES or None, system=system,
                          initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        credentials = form.credentials()
        base_url, account = data["base_url"], data["account"]
        try:
            if "ionapi" in credentials:
                ionapi = parse_ionapi(credentials["ionapi"], auth_type=data["auth_type"])
                base_url, account = ionapi["iu"], account or ionapi["ti"]
            connection = connection_create(
                name=data["name"], system=system, base_url=base_url, account=account,
                auth_type=data["auth_type"], credentials=credentials,
                environment=data["environment"],
            )
        except ConnectorError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if connection.auth_type == Connection.AuthType.OAUTH2_CODE:
                authorize = reverse("connection_authorize", args=[connection.pk])
                # A page, not a redirect: the browser would check the consent page's address
                # against this form's CSP form-action ('self') and block it. Leaving from a
                # link is a plain navigation; static/portal/continue.js follows it at once.
                return render(request, "portal/connections/continue.html", {
                    "connection": connection,
                    "authorize_url": _with_query(authorize, {"next": next_url}) if next_url
                    else authorize})
            result = connection_test(connection=connection)
            messages.add_message(request, messages.SUCCESS if result.ok else messages.ERROR,
                                 f"{connection.name}: {result.message}" if next_url
                                 else result.message)
            return redirect(next_url or reverse("connection_detail", args=[connection.pk]))
    return render(request, "portal/connections/form.html",
                  {"form": form, "info": form.info, "next": next_url})


@require_POST
@login_required
def connection_test_view(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    result = connection_test(connection=connection)
    next_url = safe_next(request.POST.get("next"))
    messages.add_message(request, messages.SUCCESS if result.ok else messages.ERROR,
                         f"{connection.name}: {result.message}" if next_url else result.message)
    return redirect(next_url or reverse("connection_detail", args=[pk]))


def _public_origin(request: HttpRequest) -> str:
    port = request.get_port()
    default = {"http": "80", "https": "443"}[request.scheme]
    suffix = "" if port == default else f":{port}"
    return f"{request.scheme}://{settings.BASE_DOMAIN}{suffix}"


@editor_required
def connection_authorize(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the browser to the system's consent page; the answer comes back to the callback."""
    connection = get_object_or_404(Connection, pk=pk)
    state = signing.dumps({"tenant": db.tenant.slug, "connection": connection.pk,
                           "origin": f"{request.scheme}://{request.get_host()}",
                           "next": safe_next(request.GET.get("next"))},
                          salt=OAUTH_STATE_SALT)
    redirect_uri = _public_origin(request) + settings.OAUTH_CALLBACK_PATH
    url = oauth_authorization_url(connection.system, connection_config(connection),
                                  redirect_uri=redirect_uri, state=state)
    return HttpResponseRedirect(url)


def oauth_callback(request: HttpRequest) -> HttpResponse:
    """Public-domain callback for every tenant: the signed state says whose connection it is.

    One redirect URI per vendor app, whatever the tenant. The state is signed and expires, so
    a forged or replayed callback cannot attach a token to another tenant's connection.
    """
    try:
        state = signing.loads(request.GET.get("state", ""), salt=OAUTH_STATE_SALT,
                              max_age=OAUTH_STATE_MAX_AGE_S)
    except signing.BadSignature:
        return render(request, "public/oauth_error.html", {
            "message": "This sign-in link is invalid or has expired. Start again from the "
                       "connection page."}, status=400)
    tenant = get_object_or_404(Tenant, slug=state["tenant"])
    origin = state["origin"]
    if urlsplit(origin).hostname != f"{tenant.slug}.{settings.BASE_DOMAIN}":
        return render(request, "public/oauth_error.html",
                      {"message": "The sign-in link names another site."}, status=400)
    next_url = safe_next(state.get("next"))
    # Back to where the person started (the wizard names itself), else the connection page.
    back = origin + (_with_query(next_url, {"connection": str(state["connection"])})
                     if next_url else f"/connections/{state['connection']}/")
    if request.GET.get("error"):
        reason = request.GET.get("error_description") or request.GET["error"]
        return HttpResponseRedirect(_with_query(back, {"oauth_error": reason}))
    with schema_context(tenant.schema_name):
        connection = get_object_or_404(Connection, pk=state["connection"])
        redirect_uri = _public_origin(request) + settings.OAUTH_CALLBACK_PATH
        try:
            token = oauth_exchange_code(connection.system, connection_config(connection),
                                        code=request.GET.get("code", ""),
                                        redirect_uri=redirect_uri, callback_query=request.GET)
        except ConnectorError as exc:
            return HttpResponseRedirect(_with_query(back, {"oauth_error": exc.message}))
        connection_token_save(connection=connection, token=token)
        if token.get("store_hash") and not connection.account:
            connection.account = token["store_hash"]
            connection.save(update_fields=["account", "updated_at"])
        result = connection_test(connection=connection)
    query = {"connected": "1"} if result.ok else {"oauth_error": result.message}
    return HttpResponseRedirect(_with_query(back, query))
