from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from import_export.admin import ImportExportModelAdmin

from billing.models import Plan, Subscription, UsageCounter
from billing.services import subscription_activate


@admin.register(Plan)
class PlanAdmin(ImportExportModelAdmin):
    list_display = (
        "name", "slug", "price_per_month", "currency", "billing_period", "production_pair_limit",
        "monthly_transaction_allowance", "min_poll_interval_seconds", "log_retention_days",
        "is_public", "is_active",
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
