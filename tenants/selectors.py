from __future__ import annotations

from django.conf import settings

from tenants.models import Tenant


def tenant_domain(*, slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def tenant_get_by_slug(*, slug: str) -> Tenant | None:
    return Tenant.objects.filter(slug=slug).first()


def tenant_list_active() -> list[Tenant]:
    return list(Tenant.objects.exclude(schema_name="public").filter(status=Tenant.Status.ACTIVE))
