"""The order in which a writer takes its row locks.

Every transaction that moves the schedule version must take the version's row lock before
any other (`ScheduleVersion.objects.bump`), or two writers can deadlock on PostgreSQL. The
first statement that writes or locks a row, captured from the real SQL, tells which lock
came first. SQLite leaves out `FOR UPDATE`, so there it is the first write; PostgreSQL
shows both.
"""

from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext

from meetings.models import ScheduleVersion

VERSION_TABLE = ScheduleVersion._meta.db_table
WRITES = ("UPDATE", "INSERT", "DELETE")


def first_lock(do: Callable[[], object]) -> str:
    """The first statement of `do` that writes or locks a row."""
    with CaptureQueriesContext(connection) as captured:
        do()
    for query in captured.captured_queries:
        sql = query["sql"].lstrip()
        if sql.upper().startswith(WRITES) or "FOR UPDATE" in sql.upper():
            return sql
    raise AssertionError("No statement wrote or locked a row.")


def takes_the_version_lock_first(do: Callable[[], object]) -> bool:
    sql = first_lock(do)
    return sql.upper().startswith("UPDATE") and VERSION_TABLE in sql
