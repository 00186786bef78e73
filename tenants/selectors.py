from __future__ import annotations

from django.conf import settings

from tenants.models import Tenant


def tenant_domain(*, slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def tenant_base_url(*, slug: str) -> str:
    """Scheme, host and port of a tenant's portal, for links that leave the current request
    (emails, the hand-over after sign-up): from settings, never from a Host header."""
    return settings.TENANT_URL_TEMPLATE.format(slug=slug, base=settings.BASE_DOMAIN).rstrip("/")


def tenant_get_by_slug(*, slug: str) -> Tenant | None:
    return Tenant.objects.filter(slug=slug).first()


def tenant_list_active() -> list[Tenant]:
    return list(Tenant.objects.exclude(schema_name="public").filter(status=Tenant.Status.ACTIVE))
