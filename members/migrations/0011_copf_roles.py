"""CoP-F East and West, where a site has them already, name the roles their meetings need."""

from django.db import migrations

ROLES = [
    ("facilitator", "Facilitator", True),
    ("co-facilitator", "Co-facilitator", False),
    ("timekeeper", "Timekeeper", False),
    ("harvester", "Harvester / note-taker", True),
    ("host", "Host", False),
]


def add_roles(apps, schema_editor):
    Series = apps.get_model("meetings", "Series")
    Role = apps.get_model("members", "Role")
    for series in Series.objects.filter(slug__in=["cop-f-east", "cop-f-west"]):
        for position, (slug, name, nudge) in enumerate(ROLES):
            Role.objects.get_or_create(
                series=series,
                slug=slug,
                defaults={"name": name, "places": 1, "position": position, "nudge": nudge},
            )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0010_practice"),
        ("meetings", "0008_series_harvests_public"),
    ]

    operations = [migrations.RunPython(add_roles, migrations.RunPython.noop)]
