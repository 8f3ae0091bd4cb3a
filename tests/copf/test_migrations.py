"""`migrate` alone gives a working site: the cache table of the rate limits comes with it.

The test database is not proof: Django's test set-up runs `createcachetable` after
migrating, so these tests migrate a fresh database themselves, or take the migration back
and forth on the test database.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client

from members.models import User
from tests.factories import SeriesFactory, UserFactory

CACHE_TABLE = "copf_cache"
PASSWORD = "a long pass phrase"
SIGN_UP = {
    "email": "asha@example.org",
    "display_name": "Asha",
    "timezone": "Asia/Kolkata",
    "password1": PASSWORD,
    "password2": PASSWORD,
}
LOG_IN = {"login": "asha@example.org", "password": PASSWORD}

# Run in a `manage.py shell` on the freshly migrated database; prints the two answers.
SIGN_UP_AND_LOG_IN = f"""
import json
from django.test import Client
from django.test.utils import setup_test_environment

setup_test_environment()
signup = Client(raise_request_exception=False).post("/accounts/signup/", {SIGN_UP!r})
login = Client(raise_request_exception=False).post("/accounts/login/", {LOG_IN!r})
print(json.dumps([[signup.status_code, signup.get("Location")],
                  [login.status_code, login.get("Location")]]))
"""


def table_exists(name: str) -> bool:
    return name in connection.introspection.table_names()


def test_a_plain_migrate_on_a_fresh_database_makes_sign_up_and_log_in_work(tmp_path: Path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    migrated = manage("migrate", "--noinput", "-v0")
    answers = manage("shell", "-c", SIGN_UP_AND_LOG_IN)

    assert migrated.returncode == 0, migrated.stderr
    assert answers.returncode == 0, answers.stderr
    # Both answers send the unverified newcomer to confirm the address; no 500.
    assert json.loads(answers.stdout.strip().splitlines()[-1]) == [
        [302, "/accounts/confirm-email/"],
        [302, "/accounts/confirm-email/"],
    ]


@pytest.mark.django_db(transaction=True)
class TestCacheTableMigration:
    @pytest.fixture(autouse=True)
    def cache_table_put_back(self):
        yield
        call_command("createcachetable", verbosity=0)

    def test_migrating_back_drops_the_table_and_forward_creates_it_again(self):
        call_command("migrate", "copf", "zero", verbosity=0)
        dropped = not table_exists(CACHE_TABLE)
        call_command("migrate", verbosity=0)

        assert dropped
        assert table_exists(CACHE_TABLE)

    def test_after_migrate_sign_up_and_log_in_use_the_cache_without_error(self):
        call_command("migrate", "copf", "zero", verbosity=0)
        call_command("migrate", verbosity=0)
        cache.clear()

        signup = Client(raise_request_exception=False).post("/accounts/signup/", SIGN_UP)
        login = Client(raise_request_exception=False).post("/accounts/login/", LOG_IN)

        assert (signup.status_code, signup["Location"]) == (302, "/accounts/confirm-email/")
        assert (login.status_code, login["Location"]) == (302, "/accounts/confirm-email/")
        assert User.objects.filter(email="asha@example.org").exists()


@pytest.mark.django_db(transaction=True)
class TestZoneNamesMigration:
    def stored_zone(self, table: str, column: str, key: int) -> str:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [key])  # noqa: S608
            return cursor.fetchone()[0]

    def test_stored_legacy_names_become_current_and_non_places_utc(self):
        users = {name: UserFactory() for name in ("Europe/Kiev", "posixrules", "Asia/Kolkata")}
        series = SeriesFactory()
        with connection.cursor() as cursor:
            for name, user in users.items():
                # Raw SQL: what the looser field of earlier releases let in.
                cursor.execute(
                    "UPDATE members_user SET timezone = %s WHERE id = %s", [name, user.pk]
                )
            cursor.execute(
                "UPDATE meetings_series SET anchor_timezone = 'localtime' WHERE id = %s",
                [series.pk],
            )

        call_command("migrate", "members", "0007", verbosity=0)
        call_command("migrate", "meetings", "0004", verbosity=0)
        call_command("migrate", verbosity=0)

        assert [
            self.stored_zone("members_user", "timezone", user.pk) for user in users.values()
        ] == [
            "Europe/Kyiv",
            "UTC",
            "Asia/Kolkata",
        ]
        assert self.stored_zone("meetings_series", "anchor_timezone", series.pk) == "UTC"
