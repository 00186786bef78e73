"""Tenant resolution by host name, with the lookup kept briefly per process.

django-tenants reads the domain and its tenant for every request: a ``SET search_path`` to the
public schema and a join, two of the handful of database round trips a webhook delivery makes.
Kept for ``TENANT_CACHE_TTL_S`` seconds (and dropped in this process whenever a tenant or
domain is saved or deleted here), a busy host costs neither. What can be stale for that long in
another process is harmless: a suspended tenant's deliveries are still stored and its messages
are skipped by the worker, which reads the tenant itself (``config.dramatiq``).
"""

from __future__ import annotations

import copy
import time
from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_tenants.middleware.main import TenantMainMiddleware

from tenants.models import Domain, Tenant

TENANT_CACHE_TTL_S = 2.0
_CACHE_MAX = 10_000

_tenants: dict[str, tuple[Tenant, float]] = {}


class CachedTenantMiddleware(TenantMainMiddleware):
    def get_tenant(self, domain_model: Any, hostname: str) -> Tenant:
        kept = _tenants.get(hostname)
        now = time.monotonic()
        if kept is not None and now - kept[1] < TENANT_CACHE_TTL_S:
            # A copy per request: the middleware and views set attributes on request.tenant.
            return copy.copy(kept[0])
        tenant = super().get_tenant(domain_model, hostname)
        if len(_tenants) >= _CACHE_MAX:
            _tenants.clear()
        _tenants[hostname] = (tenant, now)
        return copy.copy(tenant)


@receiver([post_save, post_delete], sender=Tenant, dispatch_uid="tenant-cache-tenant")
@receiver([post_save, post_delete], sender=Domain, dispatch_uid="tenant-cache-domain")
def tenant_cache_clear(**kwargs: object) -> None:
    _tenants.clear()
