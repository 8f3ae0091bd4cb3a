from django.db import migrations

from copf.lib.timezones import current_zone_names


class Migration(migrations.Migration):
    dependencies = [("members", "0007_canonical_timezones")]

    operations = [
        migrations.RunPython(
            current_zone_names("members.User", "timezone"), migrations.RunPython.noop
        ),
    ]
