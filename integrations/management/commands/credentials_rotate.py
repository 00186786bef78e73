"""Re-encrypt every tenant's stored credentials, tokens and webhook secrets with the newest key.

Rotation: put the new key first in CREDENTIALS_ENCRYPTION_KEYS (keep the old ones after it),
deploy, run this command, then remove the old keys.
"""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from integrations import crypto
from integrations.models import Connection
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Re-encrypt stored credentials with the newest CREDENTIALS_ENCRYPTION_KEYS key."

    def handle(self, *args: Any, **options: Any) -> None:
        table = Connection._meta.db_table
        total = 0
        tenants = Tenant.objects.exclude(schema_name="public")
        for tenant in tenants:
            with tenant_context(tenant), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SELECT id, credentials, token, webhook_secret_encrypted "  # noqa: S608
                               f"FROM {table} FOR UPDATE")
                for pk, *values in cursor.fetchall():
                    rotated = [crypto.rotate(v) if v else v for v in values]
                    cursor.execute(
                        f"UPDATE {table} SET credentials = %s, token = %s, "  # noqa: S608
                        "webhook_secret_encrypted = %s WHERE id = %s", [*rotated, pk])
                    total += 1
        self.stdout.write(self.style.SUCCESS(
            f"Re-encrypted {total} connection(s) in {tenants.count()} tenant(s)."))


