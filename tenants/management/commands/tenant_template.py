from typing import Any

from django.core.management.base import BaseCommand

from tenants.services import tenant_template_sync


class Command(BaseCommand):
    help = ("Create or migrate the template schema new tenants are copied from; run it after "
            "migrate_schemas (make migrate and make run do).")

    def handle(self, *args: Any, **options: Any) -> None:
        template = tenant_template_sync(verbosity=options["verbosity"])
        self.stdout.write(self.style.SUCCESS(f"Template schema {template} is up to date."))
