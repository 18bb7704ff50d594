"""The table of Django's database cache (settings.CACHES without REDIS_URL).

django-allauth keeps its sign-in rate limits and the record of used TOTP codes in the cache, so
every worker process must see one cache: the database's, unless Redis is configured. Made here,
whichever backend is configured now, so that `mitra migrate` leaves a working database cache and
a deployment can drop REDIS_URL later without another step.
"""

from django.core.management import call_command
from django.db import migrations

TABLE = "mitra_cache"  # settings.CACHE_TABLE


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
