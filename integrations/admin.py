from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join

from config.tenant_admin import TenantModelAdmin, tenant_data_site
from integrations.models import Connection
from integrations.services.connections import connection_test


@admin.register(Connection, site=tenant_data_site)
class ConnectionAdmin(TenantModelAdmin):
    list_display = ("name", "system", "environment", "auth_type", "health", "last_checked_at",
                    "last_error")
    list_filter = ("system", "environment", "health")
    search_fields = ("name", "account", "base_url")
    # Secrets are never shown: only masked hints, and whether a token is held.
    fields = ("name", "system", "environment", "base_url", "account", "auth_type", "settings",
              "credential_hints", "token_state", "health", "last_checked_at",
              "last_success_at", "last_error")
    readonly_fields = ("system", "auth_type", "credential_hints", "token_state", "health",
                       "last_checked_at", "last_success_at", "last_error")
    actions = ["test_connections"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Connections are created by the customer (portal or API), where credentials are
        # entered and OAuth consent is given.
        return False

    @admin.display(description="Credentials")
    def credential_hints(self, obj: Connection) -> str:
        hints = obj.credential_hints()
        if not hints:
            return "—"
        return format_html_join("", "<div><code>{}</code>: {}</div>", hints.items())

    @admin.display(description="Token")
    def token_state(self, obj: Connection) -> str:
        if not obj.token:
            return "No token"
        if obj.token_expires_at:
            return f"Held, expires {obj.token_expires_at:%Y-%m-%d %H:%M} UTC"
        return "Held"

    @admin.action(description="Test connection")
    def test_connections(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in queryset:
            result = connection_test(connection=connection)
            self.message_user(request, f"{connection.name}: {result.message}",
                              messages.SUCCESS if result.ok else messages.ERROR)
