"""The staff admin for one tenant's data, served on the public domain.

Clarity staff sign in once, in the public schema, and open ``/admin/tenant/<slug>/`` to manage
that tenant's connections, mappings and lookup tables, and to look (read-only) at its pairs,
flows, transaction log, dead letters and inbound events. The middleware loads the staff
user and session from the public schema first, then runs the view with the search path set to
``<tenant schema>, public`` and resets it before the session is saved, so staff credentials
never touch a tenant schema and tenant rows are read from the right one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from types import ModuleType
from typing import Any

from django.contrib import admin
from django.db import connection, models
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django_tenants.utils import get_public_schema_name

_PREFIX = re.compile(r"^/admin/tenant/(?P<slug>[a-z][a-z0-9-]{1,29})/")


class TenantDataAdminSite(admin.AdminSite):
    site_header = "Clarity Connect staff · tenant data"
    site_title = "Tenant data"
    index_template = "admin/tenant_data_index.html"

    def has_permission(self, request: HttpRequest) -> bool:
        # Superusers only: their permission checks need no per-schema permission tables.
        user = request.user
        return bool(user.is_active and user.is_staff and user.is_superuser)

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().each_context(request)
        tenant = getattr(request, "admin_tenant", None)
        if tenant is not None:
            context["admin_tenant"] = tenant
            context["site_header"] = f"{tenant.name} · tenant data"
        return context


tenant_data_site = TenantDataAdminSite(name="tenant_admin")


class TenantModelAdmin(admin.ModelAdmin):
    """Base for models in tenant schemas, registered on ``tenant_data_site``.

    Django's LogEntry lives in the public schema and refers to public content types; tenant
    rows would point at the wrong ones, so this admin does not write LogEntry rows (the audit
    trail of tenant configuration is kept by the product itself).
    """

    # Django 6's default now: a URL typed without a scheme means https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> None:
        return None

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> None:
        return None

    def log_deletions(self, request: HttpRequest, queryset: Any) -> None:
        return None


class ReadOnlyTenantAdmin(TenantModelAdmin):
    """A window onto the tenant's running integration: staff look, the customer acts.

    Pairs, flows and their logs change through the portal and the sync engine, where every
    change has its checks (plan limits, webhook registration, replays); an admin form
    editing the rows directly would skip them.
    """

    actions = None
    # Log tables grow by millions of rows; an exact total on every page is not worth a scan.
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@lru_cache(maxsize=4096)
def tenant_admin_urlconf(slug: str) -> ModuleType:
    from config import urls_public

    # A per-tenant URLconf with the slug in the prefix, so the admin's own reverse() calls
    # build links that stay inside this tenant's section. (A module: URLconfs are cache keys.)
    urlconf = ModuleType(f"tenant_admin_urls_{slug.replace('-', '_')}")
    urlconf.urlpatterns = [path(f"admin/tenant/{slug}/", tenant_data_site.urls),  # type: ignore[attr-defined]
                           *urls_public.urlpatterns]
    return urlconf


class TenantDataAdminMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = _PREFIX.match(request.path_info)
        if match is None or connection.schema_name != get_public_schema_name():
            return self.get_response(request)
        from tenants.models import Tenant

        tenant = Tenant.objects.exclude(schema_name=get_public_schema_name()).filter(
            slug=match["slug"]).first()
        if tenant is None:
            raise Http404(f"No tenant {match['slug']!r}.")
        request.urlconf = tenant_admin_urlconf(tenant.slug)
        request.admin_tenant = tenant
        # Load the staff user (and with it the session) from the public schema now.
        request.user.is_authenticated  # noqa: B018
        public, request.tenant = request.tenant, tenant
        connection.set_tenant(tenant)
        try:
            return self.get_response(request)
        finally:
            connection.set_schema_to_public()
            request.tenant = public
