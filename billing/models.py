"""Plans, subscriptions and monthly usage. All in the public schema."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models


class Plan(models.Model):
    """A price list entry. Plans are data: staff edit them in the admin."""

    DEFAULT_SLUG = "connect"

    class BillingPeriod(models.TextChoices):
        MONTHLY = "monthly", "Billed monthly"
        ANNUAL = "annual", "Billed annually"

    class Feature(models.TextChoices):
        AI_ASSIST = "ai_assist", "AI-assisted mapping and data quality"
        WORKFLOW_DESIGNER = "workflow_designer", "Visual workflow designer"
        RECONCILIATION = "reconciliation", "Daily reconciliation reports"
        API_ACCESS = "api_access", "REST API keys"
        OUTGOING_WEBHOOK_ALERTS = "webhook_alerts", "Alerts to a webhook URL"
        SSO = "sso", "Single sign-on"
        PRIORITY_SUPPORT = "priority_support", "Priority support"

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True)
    price_per_month = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))],
        help_text="Price per month, before any annual commitment.",
    )
    currency = models.CharField(max_length=3, default="USD")
    billing_period = models.CharField(
        max_length=16, choices=BillingPeriod.choices, default=BillingPeriod.ANNUAL
    )
    production_pair_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Production integration pairs allowed; empty = unlimited."
    )
    sandbox_pair_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Sandbox integration pairs allowed; empty = unlimited."
    )
    monthly_transaction_allowance = models.PositiveBigIntegerField(
        null=True, blank=True,
        help_text="Fair-use transactions per month; empty = unlimited. Never a hard stop.",
    )
    min_poll_interval_seconds = models.PositiveIntegerField(
        default=300, validators=[MinValueValidator(1)],
        help_text="Fastest schedule a polled flow may use.",
    )
    log_retention_days = models.PositiveIntegerField(default=30, validators=[MinValueValidator(1)])
    sync_concurrency = models.PositiveSmallIntegerField(
        default=4, validators=[MinValueValidator(1)],
        help_text="Messages of a tenant's events (up to 20 events each) in the queue or being "
        "synced at once; the rest wait in the tenant's own backlog, so one tenant's flood never "
        "delays another's events.")
    connection_concurrency = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1)],
        help_text="Of those, the most that the events of one connection may hold, so one "
        "connection's flood (a catalogue import) leaves room for the tenant's other syncs.")
    features = models.JSONField(default=dict, blank=True, help_text="Feature flag → true/false.")
    is_public = models.BooleanField(default=True, help_text="Listed on the pricing page.")
    is_active = models.BooleanField(default=True, help_text="New subscriptions may choose it.")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "price_per_month"]

    def __str__(self) -> str:
        return self.name

    def has_feature(self, feature: str) -> bool:
        return bool(self.features.get(feature, False))

    @property
    def annual_price(self) -> Decimal:
        return self.price_per_month * 12


class Subscription(models.Model):
    class Status(models.TextChoices):
        TRIALING = "trialing", "Trial"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        CANCELED = "canceled", "Canceled"

    tenant = models.OneToOneField(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="subscription"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TRIALING)
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    current_period_start = models.DateTimeField()
    current_period_end = models.DateTimeField()
    cancel_at_period_end = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["current_period_end"])]

    def __str__(self) -> str:
        return f"{self.tenant} on {self.plan} ({self.get_status_display()})"


class UsageCounter(models.Model):
    """Transactions metered per tenant per calendar month (UTC)."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="usage")
    period = models.DateField(help_text="First day of the month.")
    transactions = models.PositiveBigIntegerField(default=0)
    api_calls = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "period"], name="usage_one_row_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.tenant} {self.period:%Y-%m}: {self.transactions} transactions"


class PlanChange(models.Model):
    """Who moved a subscription to which plan, and when: invoices prorate by these."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE,
                                     related_name="plan_changes")
    from_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    to_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    # An email, not a foreign key: users live in tenant schemas and the record outlives them.
    changed_by = models.CharField(max_length=254, blank=True)
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["-changed_at"]
        indexes = [models.Index(fields=["subscription", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.from_plan} → {self.to_plan} on {self.changed_at:%Y-%m-%d}"


class Invoice(models.Model):
    """What one closed billing period of a subscription costs. Issued by
    ``subscription_periods_advance``; amounts are copied in, so later price edits to a plan
    never change an issued invoice."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        PAID = "paid", "Paid"

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE,
                               related_name="invoices")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE,
                                     related_name="invoices")
    number = models.SlugField(max_length=60, unique=True)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    plan_name = models.CharField(max_length=80, help_text="The plan at the end of the period.")
    plan_price = models.DecimalField(max_digits=12, decimal_places=2,
                                     help_text="That plan's price for a whole period.")
    total = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    issued_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "period_start"],
                                    name="invoice_one_per_period"),
        ]

    def __str__(self) -> str:
        return self.number


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=300)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["invoice", "position"]

    def __str__(self) -> str:
        return self.description
