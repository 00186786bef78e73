from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from import_export.admin import ImportExportModelAdmin

from billing.models import Invoice, InvoiceLine, Plan, PlanChange, Subscription, UsageCounter
from billing.services import invoice_mark_paid, subscription_activate


@admin.register(Plan)
class PlanAdmin(ImportExportModelAdmin):
    list_display = (
        "name", "slug", "price_per_month", "currency", "billing_period", "production_pair_limit",
        "monthly_transaction_allowance", "min_poll_interval_seconds", "log_retention_days",
        "sync_concurrency", "connection_concurrency", "is_public", "is_active",
    )
    list_editable = ("is_public", "is_active")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name", "slug")


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("tenant", "plan", "status", "trial_ends_at", "current_period_end",
                    "cancel_at_period_end")
    list_filter = ("status", "plan")
    search_fields = ("tenant__name", "tenant__slug")
    list_select_related = ("tenant", "plan")
    actions = ["activate"]

    @admin.action(description="Activate: start a paid period now")
    def activate(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        for subscription in queryset.select_related("plan"):
            subscription_activate(subscription=subscription)
        self.message_user(request, f"Activated {queryset.count()} subscription(s).",
                          messages.SUCCESS)


@admin.register(UsageCounter)
class UsageCounterAdmin(admin.ModelAdmin):
    list_display = ("tenant", "period", "transactions", "api_calls", "updated_at")
    list_filter = ("period",)
    search_fields = ("tenant__name", "tenant__slug")
    list_select_related = ("tenant",)
    readonly_fields = ("tenant", "period", "transactions", "api_calls", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = ("position", "description", "period_start", "period_end", "amount")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Invoice | None = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """Issued by the period roll-over; staff only record payments taken outside the product."""

    list_display = ("number", "tenant", "period_start", "period_end", "plan_name", "total",
                    "currency", "status", "issued_at", "paid_at")
    list_filter = ("status", "currency")
    search_fields = ("number", "tenant__name", "tenant__slug")
    list_select_related = ("tenant",)
    date_hierarchy = "period_end"
    inlines = [InvoiceLineInline]
    readonly_fields = ("tenant", "subscription", "number", "period_start", "period_end",
                       "plan_name", "plan_price", "total", "currency", "status", "issued_at",
                       "paid_at")
    actions = ["mark_paid"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Mark paid (payment received outside the product)")
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        for invoice in queryset:
            invoice_mark_paid(invoice=invoice)
        self.message_user(request, f"Marked {queryset.count()} invoice(s) paid.",
                          messages.SUCCESS)


@admin.register(PlanChange)
class PlanChangeAdmin(admin.ModelAdmin):
    list_display = ("subscription", "from_plan", "to_plan", "changed_by", "changed_at")
    list_filter = ("to_plan",)
    search_fields = ("subscription__tenant__name", "subscription__tenant__slug", "changed_by")
    list_select_related = ("subscription__tenant", "from_plan", "to_plan")
    readonly_fields = ("subscription", "from_plan", "to_plan", "changed_by", "changed_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
