import secrets

from django.db import migrations, models

import members.models


def give_each_member_a_token(apps, schema_editor):
    User = apps.get_model("members", "User")
    for user in User.objects.filter(feed_token__isnull=True).only("pk"):
        User.objects.filter(pk=user.pk).update(feed_token=secrets.token_urlsafe(32))


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0002_member_preferences_follows_waitlist"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="calendar_alert_minutes",
            field=models.PositiveIntegerField(
                blank=True,
                choices=[
                    (10, "10 minutes before"),
                    (30, "30 minutes before"),
                    (60, "1 hour before"),
                    (1440, "1 day before"),
                ],
                help_text="An alert on each meeting in your personal calendar feed.",
                null=True,
                verbose_name="calendar alerts",
            ),
        ),
        # A callable default is evaluated once for existing rows, so add the column empty,
        # give every member their own token, then make it required and unique.
        migrations.AddField(
            model_name="user",
            name="feed_token",
            field=models.CharField(max_length=64, null=True, editable=False),
        ),
        migrations.RunPython(give_each_member_a_token, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="feed_token",
            field=models.CharField(
                default=members.models.new_feed_token, editable=False, max_length=64, unique=True
            ),
        ),
    ]
