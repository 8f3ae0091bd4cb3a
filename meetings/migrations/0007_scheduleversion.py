import time

from django.db import migrations, models


def create_row(apps, schema_editor):
    # From the clock, as ScheduleVersion.objects does for a missing row.
    apps.get_model("meetings", "ScheduleVersion").objects.get_or_create(
        pk=1, defaults={"value": time.time_ns() // 1000}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0006_cancellation_message"),
    ]

    operations = [
        migrations.CreateModel(
            name="ScheduleVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("value", models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_row, migrations.RunPython.noop),
    ]
