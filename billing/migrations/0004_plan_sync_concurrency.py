import django.core.validators
from django.db import migrations, models

CONCURRENCY = {"connect": 4, "growth": 8, "enterprise": 16}


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for slug, slots in CONCURRENCY.items():
        Plan.objects.filter(slug=slug).update(sync_concurrency=slots)


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_invoices_and_plan_changes")]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="sync_concurrency",
            field=models.PositiveSmallIntegerField(
                default=4, validators=[django.core.validators.MinValueValidator(1)],
                help_text="Messages of a tenant's events (up to 20 events each) in the queue or "
                "being synced at once; the rest wait in the tenant's own backlog, so one "
                "tenant's flood never delays another's events."),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
