"""Demo tenants for scale runs (``manage.py tenants_demo``): created the way sign-up creates a
tenant, then given sandbox connections and two pairs from templates, so they have what a real
tenant has (flows, mappings, lookup tables, poll schedules) without any network call."""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from django.db import transaction
from django_tenants.utils import tenant_context

from integrations.models import Connection, IntegrationPair
from integrations.services.connections import connection_create
from integrations.services.pairs import pair_create_from_template
from tenants.models import Tenant
from tenants.selectors import tenant_get_by_slug
from tenants.services import tenant_create

DEMO_TENANT_PASSWORD = "demo-tenant-pass-2026"  # noqa: S105 - documented demo login
SHOP_PAIR, ERP_PAIR = "Demo web shop", "Demo ERP"

Outcome = Literal["created", "completed", "skipped"]


def demo_tenant_ensure(*, slug: str, plan: str = "connect") -> Outcome:
    """The demo tenant ``slug`` with both pairs: created, completed (a pair was missing after an
    interrupted run) or skipped (already complete)."""
    tenant = tenant_get_by_slug(slug=slug)
    outcome: Outcome = "completed"
    if tenant is None:
        tenant = tenant_create(name=f"Demo {slug}", slug=slug,
                               owner_email=f"owner@{slug}.example.com",
                               owner_password=DEMO_TENANT_PASSWORD, owner_name="Demo Owner",
                               plan=plan)
        outcome = "created"
    with tenant_context(tenant):
        if _pairs_complete():
            return "skipped" if outcome == "completed" else outcome
        _demo_pairs_create(tenant=tenant)
    return outcome


def _pairs_complete() -> bool:
    return IntegrationPair.objects.filter(name__in=[SHOP_PAIR, ERP_PAIR]).count() == 2


@transaction.atomic
def _demo_pairs_create(*, tenant: Tenant) -> None:
    sandbox = settings.SANDBOX_URL

    def connection(name: str, **fields: object) -> Connection:
        return Connection.objects.filter(name=name).first() or connection_create(
            name=name, **fields)  # type: ignore[arg-type]

    brightpearl = connection(
        "Brightpearl sandbox", system="brightpearl", base_url=f"{sandbox}/brightpearl",
        account=tenant.slug, auth_type="private_app",
        credentials={"private_app_ref": "clarity-private", "account_token": "demo-account-token"})
    if not IntegrationPair.objects.filter(name=SHOP_PAIR).exists():
        store = connection(
            "BigCommerce sandbox", system="bigcommerce", base_url=f"{sandbox}/bigcommerce",
            account="ccdemo01", auth_type="api_token",
            credentials={"store_hash": "ccdemo01", "access_token": "bc-demo-access-token"})
        pair_create_from_template(name=SHOP_PAIR, template_key="brightpearl-bigcommerce",
                                  brightpearl=brightpearl, partner=store)
    if not IntegrationPair.objects.filter(name=ERP_PAIR).exists():
        erp = connection(
            "Dynamics GP sandbox", system="dynamics_gp", base_url=f"{sandbox}/dynamics_gp",
            account="TWO", auth_type="basic",
            credentials={"company": "TWO", "username": "econnect",
                         "password": "demo-gp-password"})
        pair_create_from_template(name=ERP_PAIR, template_key="brightpearl-dynamics-gp",
                                  brightpearl=brightpearl, partner=erp)
