"""Seed the plans. The "Connect" plan is the one the product pages sell."""

from decimal import Decimal

from django.db import migrations

PLANS = [
    {
        "slug": "connect",
        "name": "Clarity Connect",
        "description": "One production integration pair: Brightpearl and one partner system. "
        "Visual workflow designer, reusable mapping templates, monitoring, alerting and "
        "access to Clarity's support team.",
        "price_per_month": Decimal("599.00"),
        "billing_period": "annual",
        "production_pair_limit": 1,
        "sandbox_pair_limit": 2,
        "monthly_transaction_allowance": 250_000,
        "min_poll_interval_seconds": 60,
        "log_retention_days": 30,
        "features": {"ai_assist": True, "workflow_designer": True, "api_access": True,
                     "webhook_alerts": True},
        "sort_order": 10,
    },
    {
        "slug": "growth",
        "name": "Clarity Growth",
        "description": "Up to three production integration pairs, faster polling, 90 days of "
        "logs and daily reconciliation reports.",
        "price_per_month": Decimal("1499.00"),
        "billing_period": "annual",
        "production_pair_limit": 3,
        "sandbox_pair_limit": 6,
        "monthly_transaction_allowance": 1_000_000,
        "min_poll_interval_seconds": 30,
        "log_retention_days": 90,
        "features": {"ai_assist": True, "workflow_designer": True, "api_access": True,
                     "webhook_alerts": True, "reconciliation": True},
        "sort_order": 20,
    },
    {
        "slug": "enterprise",
        "name": "Clarity Enterprise",
        "description": "Unlimited integration pairs, the fastest polling, a year of logs, "
        "single sign-on and priority support.",
        "price_per_month": Decimal("3499.00"),
        "billing_period": "annual",
        "production_pair_limit": None,
        "sandbox_pair_limit": None,
        "monthly_transaction_allowance": 10_000_000,
        "min_poll_interval_seconds": 10,
        "log_retention_days": 365,
        "features": {"ai_assist": True, "workflow_designer": True, "api_access": True,
                     "webhook_alerts": True, "reconciliation": True, "sso": True,
                     "priority_support": True},
        "sort_order": 30,
    },
]


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for plan in PLANS:
        Plan.objects.update_or_create(slug=plan["slug"], defaults=plan)


def unseed(apps, schema_editor):
    apps.get_model("billing", "Plan").objects.filter(
        slug__in=[p["slug"] for p in PLANS], subscriptions__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
