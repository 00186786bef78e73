"""Idempotent set-up for a local run: public site, staff superuser, demo tenant."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from accounts.models import User
from tenants.selectors import tenant_domain, tenant_get_by_slug
from tenants.services import public_tenant_ensure, tenant_create

STAFF_EMAIL = "admin@clarity.localhost"
DEMO_SLUG = "demo"
DEMO_EMAIL = "owner@demo.localhost"
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - a documented local demo login


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
        if tenant_get_by_slug(slug=DEMO_SLUG) is None:
            tenant_create(name="Demo Retail Ltd", slug=DEMO_SLUG, owner_email=DEMO_EMAIL,
                          owner_password=DEMO_PASSWORD, owner_name="Demo Owner", trial_days=30)
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
