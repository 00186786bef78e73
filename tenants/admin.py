from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from billing.models import Plan, Subscription, UsageCounter
from billing.services import month_start
from tenants.models import Domain, Tenant
from tenants.services import tenant_create, tenant_set_status, tenant_signup_validate

PAIR_TABLE = "integrations_integrationpair"


def pair_counts(schemas: Iterable[str]) -> dict[str, dict[str, int]]:
    """Pairs per environment for each schema, in two queries however many schemas.

    Pairs live in each tenant's schema; one query per tenant would make the staff's tenant
    list slower with every customer. Schemas whose tables do not exist (a sign-up being
    rolled back) are left out instead of failing the page.
    """
    schemas = list(schemas)
    if not schemas:
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_schema FROM information_schema.tables "
                       "WHERE table_name = %s AND table_schema = ANY(%s)", [PAIR_TABLE, schemas])
        present = sorted(row[0] for row in cursor.fetchall())
        if not present:
            return {}
        quote = connection.ops.quote_name
        # Schema names are identifiers, not parameters: quoted, and only ones read back
        # from the catalogue above.
        union = " UNION ALL ".join(
            f"SELECT %s, environment, COUNT(*) FROM {quote(schema)}.{quote(PAIR_TABLE)} "  # noqa: S608
            "GROUP BY environment" for schema in present)
        cursor.execute(union, present)
        counts: dict[str, dict[str, int]] = {}
        for schema, environment, count in cursor.fetchall():
            counts.setdefault(schema, {})[environment] = count
    return counts


class TenantChangeList(ChangeList):
    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        counts = pair_counts(tenant.schema_name for tenant in self.result_list)
        for tenant in self.result_list:
            tenant.pair_counts = counts.get(tenant.schema_name, {})


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
    list_display = ("name", "slug", "status", "plan_name", "subscription_status",
                    "transactions_this_month", "pairs", "created_at")
    list_filter = ("status", "subscription__plan", "subscription__status")
    search_fields = ("name", "slug", "domains__domain")
    readonly_fields = ("schema_name", "created_at", "tenant_data")
    actions = ["suspend", "reactivate"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tenant]:
        usage = UsageCounter.objects.filter(tenant=OuterRef("pk"),
                                            period=month_start(timezone.now()))
        return super().get_queryset(request).exclude(schema_name="public").select_related(
            "subscription__plan"
        ).annotate(transactions_used=Subquery(usage.values("transactions")[:1]))

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return TenantChangeList

    @staticmethod
    def _subscription(tenant: Tenant) -> Subscription | None:
        try:
            return tenant.subscription
        except Subscription.DoesNotExist:
            return None

    @admin.display(description="Plan", ordering="subscription__plan__name")
    def plan_name(self, tenant: Tenant) -> str:
        subscription = self._subscription(tenant)
        return subscription.plan.name if subscription else "—"

    @admin.display(description="Subscription", ordering="subscription__status")
    def subscription_status(self, tenant: Tenant) -> str:
        subscription = self._subscription(tenant)
        if subscription is None:
            return "None"
        label = subscription.get_status_display()
        if subscription.status == Subscription.Status.TRIALING and subscription.trial_ends_at:
            return f"{label} until {subscription.trial_ends_at:%Y-%m-%d}"
        return label

    @admin.display(description="Transactions this month", ordering="transactions_used")
    def transactions_this_month(self, tenant: Tenant) -> str:
        used = getattr(tenant, "transactions_used", None) or 0
        subscription = self._subscription(tenant)
        allowance = subscription.plan.monthly_transaction_allowance if subscription else None
        if not allowance:
            return f"{used:,}"
        over = " (past the allowance)" if used >= allowance else ""
        return f"{used:,} / {allowance:,}{over}"

    @admin.display(description="Pairs (production, sandbox)")
    def pairs(self, tenant: Tenant) -> str:
        counts = getattr(tenant, "pair_counts", None)
        if counts is None:  # outside the list, e.g. a single tenant's page
            counts = pair_counts([tenant.schema_name]).get(tenant.schema_name, {})
        subscription = self._subscription(tenant)
        plan = subscription.plan if subscription else None

        def one(environment: str, limit: int | None) -> str:
            used = counts.get(environment, 0)
            return f"{used}" if limit is None else f"{used}/{limit}"

        return (f"{one('production', plan.production_pair_limit if plan else None)}, "
                f"{one('sandbox', plan.sandbox_pair_limit if plan else None)}")

    def get_form(self, request: HttpRequest, obj: Tenant | None = None, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = TenantCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Tenant | None = None) -> Any:
        if obj is None:
            return ("name", "slug", "owner_email", "owner_password", "plan", "trial_days")
        return ("name", "slug", "schema_name", "status", "created_at", "pairs", "tenant_data")

    def get_readonly_fields(self, request: HttpRequest, obj: Tenant | None = None) -> Any:
        return ("slug", "schema_name", "created_at", "pairs", "tenant_data") if obj else ()

    @admin.display(description="Tenant data")
    def tenant_data(self, tenant: Tenant) -> str:
        return format_html('<a href="/admin/tenant/{}/">Pairs, flows, transactions, dead '
                           "letters, connections, mappings and lookup tables of {}</a> "
                           "(read-only except mappings and lookup tables)", tenant.slug,
                           tenant.name)

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
