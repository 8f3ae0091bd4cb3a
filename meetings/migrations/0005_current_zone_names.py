from django.db import migrations

from copf.lib.timezones import current_zone_names


class Migration(migrations.Migration):
    dependencies = [("meetings", "0004_canonical_timezones")]

    operations = [
        migrations.RunPython(
            current_zone_names("meetings.Series", "anchor_timezone"), migrations.RunPython.noop
        ),
    ]
