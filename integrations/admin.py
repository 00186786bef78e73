import json
from typing import Any

import tablib
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, JSON, XLSX

from config.tenant_admin import ReadOnlyTenantAdmin, TenantModelAdmin, tenant_data_site
from integrations.models import (
    Connection,
    DeadLetter,
    Flow,
    FlowStepsVersion,
    InboundEvent,
    IntegrationPair,
    LookupEntry,
    LookupTable,
    Mapping,
    MappingVersion,
    Operation,
    Transaction,
)
from integrations.redaction import redact
from integrations.resources import LookupEntryResource, MappingResource, import_resource_key
from integrations.services.connections import connection_test
from integrations.services.mappings import mapping_preview
from integrations.services.operations import import_operation_start


class TenantImportExportAdmin(ImportExportMixin, TenantModelAdmin):
    """Import and export through django-import-export. Its upload step still dry-runs the file
    in the request and shows the preview (and every row error); the confirmed import is
    queued as an operation the worker runs, its progress on the operation's page."""

    formats = [CSV, JSON, XLSX]
    # The admin log lives in the public schema; see TenantModelAdmin.
    skip_admin_log = True
    import_template_name = "admin/integrations/import.html"

    def process_dataset(self, dataset: tablib.Dataset, form: Form, request: HttpRequest,
                        **kwargs: Any) -> Operation | None:
        # django-import-export's hook between reading the confirmed file and importing it:
        # here the rows are stored in an operation instead, and process_result gets that.
        resource_class = self.choose_import_resource_class(form, request)
        try:
            return import_operation_start(
                resource=import_resource_key(resource_class), dataset=dataset,
                file_name=kwargs.get("file_name") or form.cleaned_data.get(
                    "original_file_name", ""),
                by=request.user.email)
        except ValueError as exc:
            messages.error(request, f"Not imported: {exc}")
            return None

    def process_result(self, result: Operation | None, request: HttpRequest) -> HttpResponse:
        if result is None:
            return HttpResponseRedirect(reverse(
                "admin:{}_{}_changelist".format(*self.get_model_info()),
                current_app=self.admin_site.name))
        url = reverse("admin:integrations_operation_change", args=[result.pk],
                      current_app=self.admin_site.name)
        messages.success(request, format_html(
            'Import queued: {} ({} row{}). The worker imports it in batches; '
            '<a href="{}">follow its progress</a> here, or on the customer\'s Operations '
            'page in the portal.', result.label, result.total, "" if result.total == 1 else "s",
            url))
        return HttpResponseRedirect(url)


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


class VersionInline(admin.TabularInline):
    """A document's versions, newest first: history to read, never to add to or edit here."""

    extra = 0
    can_delete = False
    fields = ("number", "comment", "created_by", "created_at")
    readonly_fields = fields
    ordering = ("-number",)
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MappingVersionInline(VersionInline):
    model = MappingVersion


@admin.register(Mapping, site=tenant_data_site)
class MappingAdmin(TenantImportExportAdmin):
    resource_classes = [MappingResource]
    list_display = ("name", "source_system", "source_entity", "target_system", "target_entity",
                    "version_number", "updated_at")
    list_filter = ("source_system", "target_system")
    search_fields = ("name", "description")
    fields = ("name", "description", "current_version", "document_view")
    readonly_fields = ("name", "document_view")
    inlines = [MappingVersionInline]

    def get_urls(self) -> list[Any]:
        return [path("<int:pk>/preview/", self.admin_site.admin_view(self.preview_view),
                     name="integrations_mapping_preview"), *super().get_urls()]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # mappings come from pair templates, the portal editor or an import

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "current_version":
            pk = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = MappingVersion.objects.filter(mapping_id=pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="Version")
    def version_number(self, obj: Mapping) -> str:
        return f"v{obj.current_version.number}" if obj.current_version else "—"

    @admin.display(description="Current document")
    def document_view(self, obj: Mapping) -> str:
        return format_html('<pre style="max-height:30em;overflow:auto">{}</pre>'
                           '<p><a href="preview/">Preview on a sample record</a></p>',
                           json.dumps(obj.current_document, indent=2, ensure_ascii=False))

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        mapping = get_object_or_404(Mapping, pk=pk)
        sample_text = request.POST.get("sample", "")
        result = error = None
        if request.method == "POST":
            try:
                sample = json.loads(sample_text)
            except ValueError as exc:
                error = f"The sample is not valid JSON: {exc.msg} (line {exc.lineno})."
            else:
                result = mapping_preview(document=mapping.current_document, sample=sample)
        context = {**self.admin_site.each_context(request), "mapping": mapping,
                   "sample": sample_text, "result": result, "error": error,
                   "output": json.dumps(result.record, indent=2, ensure_ascii=False)
                   if result and result.record else "",
                   "opts": self.model._meta, "title": f"Preview {mapping.name}"}
        return render(request, "admin/integrations/mapping_preview.html", context)


class LookupEntryInline(admin.TabularInline):
    model = LookupEntry
    extra = 3


@admin.register(LookupTable, site=tenant_data_site)
class LookupTableAdmin(TenantModelAdmin):
    list_display = ("name", "description", "entry_count", "updated_at")
    search_fields = ("name", "description", "entries__key", "entries__value")
    inlines = [LookupEntryInline]

    @admin.display(description="Entries")
    def entry_count(self, obj: LookupTable) -> int:
        return obj.entries.count()


@admin.register(LookupEntry, site=tenant_data_site)
class LookupEntryAdmin(TenantImportExportAdmin):
    resource_classes = [LookupEntryResource]
    list_display = ("table", "key", "value")
    list_filter = ("table",)
    search_fields = ("key", "value")
    list_select_related = ("table",)


def _record(value: Any) -> str:
    """A stored record as staff see it: secrets (passwords, tokens, card numbers) redacted."""
    if value in (None, "", {}, []):
        return "—"
    return format_html('<pre style="max-height:30em;overflow:auto;white-space:pre-wrap">{}</pre>',
                       json.dumps(redact(value), indent=2, ensure_ascii=False, default=str))


class FlowInline(admin.TabularInline):
    model = Flow
    extra = 0
    can_delete = False
    fields = ("name", "entity", "source_system", "target_system", "trigger", "enabled",
              "last_polled_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(IntegrationPair, site=tenant_data_site)
class IntegrationPairAdmin(ReadOnlyTenantAdmin):
    list_display = ("name", "template_key", "environment", "status", "brightpearl", "partner",
                    "created_at")
    list_filter = ("status", "environment", "template_key")
    search_fields = ("name", "template_key")
    list_select_related = ("brightpearl", "partner")
    inlines = [FlowInline]


class FlowStepsVersionInline(VersionInline):
    model = FlowStepsVersion


@admin.register(Flow, site=tenant_data_site)
class FlowAdmin(ReadOnlyTenantAdmin):
    list_display = ("name", "pair", "entity", "source_system", "target_system", "trigger",
                    "enabled", "steps_number", "last_polled_at")
    list_filter = ("enabled", "trigger", "entity", "source_system", "target_system", "pair")
    search_fields = ("name", "key", "entity", "pair__name")
    list_select_related = ("pair", "steps_version")
    exclude = ("poll_state",)
    readonly_fields = ("poll_state_view", "steps_view")
    inlines = [FlowStepsVersionInline]

    @admin.display(description="Poll state")
    def poll_state_view(self, obj: Flow) -> str:
        return _record(obj.poll_state)

    @admin.display(description="Steps")
    def steps_number(self, obj: Flow) -> str:
        return f"v{obj.steps_version.number}" if obj.steps_version_id else "default"

    @admin.display(description="Step document it runs")
    def steps_view(self, obj: Flow) -> str:
        from integrations.services.steps import flow_steps_document

        return _record(flow_steps_document(obj))


@admin.register(Transaction, site=tenant_data_site)
class TransactionAdmin(ReadOnlyTenantAdmin):
    list_display = ("started_at", "flow", "source_id", "target_id", "status", "action",
                    "attempt", "duration_ms", "error_class")
    list_filter = ("status", "action", "error_class", "flow__pair", "flow")
    search_fields = ("source_id", "target_id", "message")
    list_select_related = ("flow__pair",)
    date_hierarchy = "started_at"
    fields = ("flow", "event", "source_id", "target_id", "status", "action", "attempt",
              "error_class", "message", "started_at", "duration_ms", "source_record_view",
              "target_record_view")
    readonly_fields = ("source_record_view", "target_record_view")

    @admin.display(description="Source record (redacted)")
    def source_record_view(self, obj: Transaction) -> str:
        return _record(obj.source_record)

    @admin.display(description="Target record (redacted)")
    def target_record_view(self, obj: Transaction) -> str:
        return _record(obj.target_record)


@admin.register(DeadLetter, site=tenant_data_site)
class DeadLetterAdmin(ReadOnlyTenantAdmin):
    list_display = ("created_at", "flow", "error_class", "short_reason", "attempts",
                    "resolution", "resolved_by")
    list_filter = ("resolution", "error_class", "flow__pair", "flow")
    search_fields = ("reason", "event__external_id", "resolved_by")
    list_select_related = ("flow__pair", "event")
    date_hierarchy = "created_at"
    fields = ("flow", "event", "error_class", "reason", "problems_view", "attempts",
              "resolution", "created_at", "resolved_at", "resolved_by", "source_record_view",
              "mapped_record_view")
    readonly_fields = ("problems_view", "source_record_view", "mapped_record_view")

    @admin.display(description="Reason")
    def short_reason(self, obj: DeadLetter) -> str:
        return obj.reason if len(obj.reason) <= 120 else obj.reason[:119] + "…"

    @admin.display(description="Problems")
    def problems_view(self, obj: DeadLetter) -> str:
        return _record(obj.problems)

    @admin.display(description="Source record (redacted)")
    def source_record_view(self, obj: DeadLetter) -> str:
        return _record(obj.source_record)

    @admin.display(description="Mapped record (redacted)")
    def mapped_record_view(self, obj: DeadLetter) -> str:
        return _record(obj.mapped_record)


@admin.register(InboundEvent, site=tenant_data_site)
class InboundEventAdmin(ReadOnlyTenantAdmin):
    list_display = ("received_at", "event_type", "external_id", "origin", "flow", "status",
                    "attempts", "processed_at")
    list_filter = ("status", "origin", "flow__pair", "flow")
    search_fields = ("external_id", "event_type", "dedupe_key", "last_error")
    list_select_related = ("flow__pair",)
    date_hierarchy = "received_at"
    fields = ("flow", "connection", "origin", "event_type", "external_id", "dedupe_key",
              "status", "attempts", "next_attempt_at", "lease_until", "last_error",
              "received_at", "processed_at", "payload_view")
    readonly_fields = ("payload_view",)

    @admin.display(description="Payload (redacted)")
    def payload_view(self, obj: InboundEvent) -> str:
        return _record(obj.payload)


@admin.register(Operation, site=tenant_data_site)
class OperationAdmin(ReadOnlyTenantAdmin):
    """Bulk replays, discards, backfills and imports the tenant (or staff) started, with their
    progress. An unfinished operation's page reloads itself (change_form.html)."""

    list_display = ("created_at", "kind", "label", "status", "total", "done", "failed",
                    "created_by", "finished_at")
    list_filter = ("kind", "status")
    search_fields = ("label", "created_by", "error")
    date_hierarchy = "created_at"
    # params holds an import's whole file until it ends: shown as its outcome, never raw.
    fields = ("kind", "label", "status", "progress", "created_by", "created_at", "finished_at",
              "error", "import_outcome", "row_errors")
    readonly_fields = ("progress", "import_outcome", "row_errors")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Operation]:
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("_changelist"):
            queryset = queryset.defer("params")
        return queryset

    @admin.display(description="Progress")
    def progress(self, obj: Operation) -> str:
        return format_html('<progress max="100" value="{}">{}%</progress> {}% · '
                           '<span data-count="done">{}</span> done, '
                           '<span data-count="failed">{}</span> failed, of '
                           '<span data-count="total">{}</span>',
                           obj.percent, obj.percent, obj.percent, obj.done, obj.failed, obj.total)

    @admin.display(description="Imported")
    def import_outcome(self, obj: Operation) -> str:
        if obj.kind != Operation.Kind.IMPORT:
            return "—"
        totals = obj.params.get("totals") or {}
        return (f"{totals.get('new', 0)} new, {totals.get('update', 0)} updated, "
                f"{totals.get('skip', 0)} unchanged")

    @admin.display(description="Row errors")
    def row_errors(self, obj: Operation) -> str:
        errors = obj.params.get("errors") or []
        if not errors:
            return "—"
        items = format_html_join("", "<li>{}: {}</li>", (
            (f"Row {error['row']}" if error.get("row") else "File", error["message"])
            for error in errors))
        more = int(obj.params.get("error_count", 0)) - len(errors)
        return format_html('<ul class="import-row-errors">{}</ul>{}', items,
                           f"and {more} more" if more > 0 else "")
