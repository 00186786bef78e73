"""Idempotent set-up for a local run: public site, staff superuser, demo tenant."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_tenants.utils import schema_context, tenant_context

from accounts.models import User
from integrations.models import Connection
from integrations.services.connections import connection_create
from integrations.services.pairs import pair_create_from_template
from tenants.selectors import tenant_domain, tenant_get_by_slug
from tenants.services import public_tenant_ensure, tenant_create

STAFF_EMAIL = "admin@clarity.localhost"
DEMO_SLUG = "demo"
DEMO_EMAIL = "owner@demo.localhost"
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - a documented local demo login


def _demo_integration() -> None:
    """The demo tenant's sandbox connections and a Brightpearl + BigCommerce pair, once."""
    if Connection.objects.exists():
        return
    sandbox = settings.SANDBOX_URL
    with transaction.atomic():
        brightpearl = connection_create(
            name="Brightpearl sandbox", system="brightpearl", base_url=f"{sandbox}/brightpearl",
            account="demo", auth_type="private_app",
            credentials={"private_app_ref": "clarity-private",
                         "account_token": "demo-account-token"})
        store = connection_create(
            name="BigCommerce sandbox", system="bigcommerce", base_url=f"{sandbox}/bigcommerce",
            account="ccdemo01", auth_type="api_token",
            credentials={"store_hash": "ccdemo01", "access_token": "bc-demo-access-token"})
        pair_create_from_template(name="Demo web shop", template_key="brightpearl-bigcommerce",
                                  brightpearl=brightpearl, partner=store)


class Command(BaseCommand):
    help = "Create (once) the public site, a staff superuser and the demo tenant; print logins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--staff-password", default="clarity-admin-2026")
        parser.add_argument("--port", default="8000")

    def handle(self, *args: Any, **options: Any) -> None:
        public_tenant_ensure(domain=settings.BASE_DOMAIN)
        with schema_context("public"):
            if not User.objects.filter(email=STAFF_EMAIL).exists():
                User.objects.create_superuser(STAFF_EMAIL, options["staff_password"],
                                              full_name="Clarity Staff")
        demo = tenant_get_by_slug(slug=DEMO_SLUG)
        if demo is None:
            demo = tenant_create(name="Demo Retail Ltd", slug=DEMO_SLUG, owner_email=DEMO_EMAIL,
                                 owner_password=DEMO_PASSWORD, owner_name="Demo Owner",
                                 trial_days=30)
        with tenant_context(demo):
            _demo_integration()
        port = options["port"]
        base = settings.BASE_DOMAIN
        self.stdout.write(self.style.SUCCESS(
            "\nClarity Connect is ready:\n"
            f"  Public site + pricing: http://{base}:{port}/\n"
            f"  Staff admin:           http://{base}:{port}/admin/   "
            f"{STAFF_EMAIL} / {options['staff_password']}\n"
            f"  Demo tenant portal:    http://{tenant_domain(slug=DEMO_SLUG)}:{port}/   "
            f"{DEMO_EMAIL} / {DEMO_PASSWORD}\n"
            f"  Health:                http://{base}:{port}/readyz\n"
        ))
