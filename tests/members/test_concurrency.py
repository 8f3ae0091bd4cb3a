"""Concurrent answers, each thread on its own database connection.

The rows must really be committed for other connections to see them, hence
`transaction=True`. On SQLite the test database is a file and writers queue on the
IMMEDIATE transaction; on PostgreSQL `lock_meeting` holds the meeting row.
"""

import threading
from collections.abc import Callable
from contextlib import nullcontext
from types import SimpleNamespace

import pytest
from django.db import connection

from meetings.models import Meeting
from members import services
from members.models import Rsvp
from tests.factories import MeetingFactory, UserFactory

MEMBERS = 20
CLICKS = 10
# Long enough for a slow CI machine, short enough that a broken test fails rather than hangs.
BARRIER_TIMEOUT = 30


def run_together(calls: list[Callable[[], object]]) -> tuple[list[object], list[Exception]]:
    """Run every call in its own thread, released at once; return results and exceptions."""
    start = threading.Barrier(len(calls), timeout=BARRIER_TIMEOUT)
    results: list[object] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def run(call: Callable[[], object]) -> None:
        try:
            start.wait()
            result = call()
        except Exception as error:  # reported to the test thread, which asserts there are none
            with lock:
                errors.append(error)
        else:
            with lock:
                results.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=BARRIER_TIMEOUT * 2)
    assert [thread.is_alive() for thread in threads] == [False] * len(threads)
    return results, errors


def answer_yes(user, meeting) -> Callable[[], services.RsvpResult]:
    return lambda: services.set_rsvp(user=user, meeting=meeting, response="yes")


@pytest.mark.django_db(transaction=True)
def test_concurrent_yes_answers_never_exceed_capacity():
    meeting = MeetingFactory(capacity=1)
    users = UserFactory.create_batch(MEMBERS)

    results, errors = run_together([answer_yes(user, meeting) for user in users])

    assert errors == []
    assert len(results) == MEMBERS
    rsvps = Rsvp.objects.filter(meeting=meeting)
    assert rsvps.count() == MEMBERS
    assert rsvps.holding_seats().count() == 1
    assert rsvps.waitlisted().count() == MEMBERS - 1
    positions = sorted(services.waitlist_position(rsvp=rsvp) for rsvp in rsvps.waitlisted())
    assert positions == list(range(1, MEMBERS))


@pytest.mark.django_db(transaction=True)
def test_without_the_guard_concurrent_answers_overbook_the_meeting(monkeypatch):
    """The control: with no lock and no transaction, the check-then-write races.

    Every thread counts the free seats before any thread writes (the barrier after the
    count), so all of them see an empty meeting and all take a seat. That this test
    overbooks is what shows the guard in the test above is doing the work.
    """
    meeting = MeetingFactory(capacity=1)
    users = UserFactory.create_batch(MEMBERS)
    real_seats_taken = services.seats_taken
    counted = threading.Barrier(MEMBERS, timeout=BARRIER_TIMEOUT)

    def seats_taken_then_wait(meeting: Meeting) -> int:
        taken = real_seats_taken(meeting)
        counted.wait()
        return taken

    def lock_nothing(meeting: Meeting) -> Meeting:
        return Meeting.objects.select_related("series").get(pk=meeting.pk)

    monkeypatch.setattr(services, "lock_meeting", lock_nothing)
    monkeypatch.setattr(services, "seats_taken", seats_taken_then_wait)
    # Replace the module's `transaction` name, not django.db.transaction.atomic itself, so
    # only set_rsvp autocommits each statement and the rest of Django is untouched.
    monkeypatch.setattr(services, "transaction", SimpleNamespace(atomic=nullcontext))

    results, errors = run_together([answer_yes(user, meeting) for user in users])

    assert errors == []
    assert len(results) == MEMBERS
    rsvps = Rsvp.objects.filter(meeting=meeting)
    assert rsvps.count() == MEMBERS
    assert rsvps.holding_seats().count() == MEMBERS
    assert rsvps.waitlisted().count() == 0


@pytest.mark.django_db(transaction=True)
def test_same_yes_fired_ten_times_at_once_gives_one_row():
    meeting = MeetingFactory(capacity=1)
    user = UserFactory()

    results, errors = run_together([answer_yes(user, meeting) for _ in range(CLICKS)])

    assert errors == []
    assert sorted(result.changed for result in results) == [False] * (CLICKS - 1) + [True]
    rsvp = Rsvp.objects.get(meeting=meeting)
    assert (rsvp.user_id, rsvp.response, rsvp.waitlisted_at) == (user.pk, "yes", None)
    assert {result.rsvp.pk for result in results} == {rsvp.pk}
