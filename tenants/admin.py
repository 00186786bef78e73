from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from billing.models import Plan, Subscription, UsageCounter
from tenants.models import Domain, Tenant
from tenants.services import tenant_create, tenant_set_status, tenant_signup_validate


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class SubscriptionInline(admin.StackedInline):
    model = Subscription
    extra = 0
    can_delete = False


class UsageInline(admin.TabularInline):
    model = UsageCounter
    extra = 0
    can_delete = False
    readonly_fields = ("period", "transactions", "api_calls", "updated_at")
    max_num = 0
    ordering = ("-period",)


class TenantCreateForm(forms.ModelForm):
    """Staff create tenants through the same service as sign-up, owner included."""

    owner_email = forms.EmailField()
    owner_password = forms.CharField(widget=forms.PasswordInput, strip=False)
    plan = forms.ModelChoiceField(queryset=Plan.objects.filter(is_active=True))
    trial_days = forms.IntegerField(min_value=0, initial=14)

    class Meta:
        model = Tenant
        fields = ("name", "slug")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            tenant_signup_validate(
                name=data["name"], slug=data["slug"], owner_email=data["owner_email"],
                owner_password=data["owner_password"], plan=data["plan"],
            )
        except ValidationError as exc:
            for field_name, field_errors in exc.message_dict.items():
                self.add_error(field_name if field_name in self.fields else None, field_errors)
        return data

    def validate_unique(self) -> None:
        # The slug's uniqueness is checked by tenant_signup_validate with a clearer message.
        pass


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "schema_name", "status", "plan_name", "created_at")
    list_filter = ("status", "subscription__plan")
    search_fields = ("name", "slug", "domains__domain")
    readonly_fields = ("schema_name", "created_at", "tenant_data")
    actions = ["suspend", "reactivate"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tenant]:
        return super().get_queryset(request).exclude(schema_name="public").select_related(
            "subscription__plan"
        )

    @admin.display(description="Plan", ordering="subscription__plan__name")
    def plan_name(self, tenant: Tenant) -> str:
        subscription = getattr(tenant, "subscription", None)
        return subscription.plan.name if subscription else "—"

    def get_form(self, request: HttpRequest, obj: Tenant | None = None, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = TenantCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Tenant | None = None) -> Any:
        if obj is None:
            return ("name", "slug", "owner_email", "owner_password", "plan", "trial_days")
        return ("name", "slug", "schema_name", "status", "created_at", "tenant_data")

    def get_readonly_fields(self, request: HttpRequest, obj: Tenant | None = None) -> Any:
        return ("slug", "schema_name", "created_at", "tenant_data") if obj else ()

    @admin.display(description="Tenant data")
    def tenant_data(self, tenant: Tenant) -> str:
        return format_html('<a href="/admin/tenant/{}/">Connections, mappings and lookup '
                           "tables of {}</a>", tenant.slug, tenant.name)

    def get_inlines(self, request: HttpRequest, obj: Tenant | None) -> Any:
        return [DomainInline, SubscriptionInline, UsageInline] if obj else []

    def save_model(self, request: HttpRequest, obj: Tenant, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        created = tenant_create(
            name=data["name"], slug=data["slug"], owner_email=data["owner_email"],
            owner_password=data["owner_password"], plan=data["plan"],
            trial_days=data["trial_days"],
        )
        # The admin logs and redirects using obj; point it at the row the service created.
        obj.pk = created.pk
        obj.__dict__.update(created.__dict__)

    @admin.action(description="Suspend: stop syncs and portal access")
    def suspend(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        for tenant in queryset:
            tenant_set_status(tenant=tenant, status=Tenant.Status.SUSPENDED)
        self.message_user(request, f"Suspended {queryset.count()} tenant(s).", messages.WARNING)

    @admin.action(description="Reactivate")
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        for tenant in queryset:
            tenant_set_status(tenant=tenant, status=Tenant.Status.ACTIVE)
        self.message_user(request, f"Reactivated {queryset.count()} tenant(s).", messages.SUCCESS)
