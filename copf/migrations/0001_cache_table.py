"""The database cache's table (rate limits), so `migrate` alone gives a working site.

Django creates it only with `createcachetable`, a step easy to forget on a new database;
sign-up and log-in then answer 500. This runs the same command for the database being
migrated (it skips a table that already exists) and drops the table when reversed.
"""

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.management import call_command
from django.db import migrations, router


def database_caches() -> list[BaseDatabaseCache]:
    return [
        caches[alias] for alias in settings.CACHES if isinstance(caches[alias], BaseDatabaseCache)
    ]


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_cache_tables(apps, schema_editor):
    connection = schema_editor.connection
    existing = set(connection.introspection.table_names())
    for cache in database_caches():
        table = cache.cache_model_class._meta.db_table
        allowed = router.allow_migrate_model(connection.alias, cache.cache_model_class)
        if allowed and table in existing:
            schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(table)}")


class Migration(migrations.Migration):
    dependencies = []

    operations = [migrations.RunPython(create_cache_tables, drop_cache_tables)]
