import django.core.validators
from django.db import migrations, models

# Three quarters of each plan's sync_concurrency: one connection's flood still leaves a
# quarter of the tenant's slots to its other connections.
CONCURRENCY = {"connect": 3, "growth": 6, "enterprise": 12}


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for slug, slots in CONCURRENCY.items():
        Plan.objects.filter(slug=slug).update(connection_concurrency=slots)


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_plan_sync_concurrency")]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="connection_concurrency",
            field=models.PositiveSmallIntegerField(
                default=3, validators=[django.core.validators.MinValueValidator(1)],
                help_text="Of those, the most that the events of one connection may hold, so "
                "one connection's flood (a catalogue import) leaves room for the tenant's other "
                "syncs."),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
