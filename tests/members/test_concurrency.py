"""Concurrent answers, each thread on its own database connection.

The rows must really be committed for other connections to see them, hence
`transaction=True`. On SQLite the test database is a file and writers queue on the
IMMEDIATE transaction; on PostgreSQL `lock_meeting` holds the meeting row.
"""

import threading
from collections.abc import Callable
from contextlib import nullcontext
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone

from meetings import services as meeting_services
from meetings.models import Meeting
from members import selectors, services
from members.deliveries import plan
from members.models import ALL_CALENDAR_KINDS, Delivery, Rsvp
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
    return lambda: services.set_rsvp(user=user, meeting=meeting, response=Rsvp.Response.YES)


def answer_no(user, meeting) -> Callable[[], services.RsvpResult]:
    return lambda: services.set_rsvp(user=user, meeting=meeting, response=Rsvp.Response.NO)


def coming_meeting(**fields) -> Meeting:
    """A meeting a week from now, whatever the date (answers close when it starts)."""
    return MeetingFactory(starts_at=timezone.now() + timedelta(days=7), **fields)


@pytest.mark.django_db(transaction=True)
def test_concurrent_yes_answers_never_exceed_capacity():
    meeting = coming_meeting(capacity=1)
    users = UserFactory.create_batch(MEMBERS)

    results, errors = run_together([answer_yes(user, meeting) for user in users])

    assert errors == []
    assert len(results) == MEMBERS
    rsvps = Rsvp.objects.filter(meeting=meeting)
    assert rsvps.count() == MEMBERS
    assert rsvps.holding_seats().count() == 1
    assert rsvps.waitlisted().count() == MEMBERS - 1
    positions = sorted(selectors.waitlist_position(rsvp=rsvp) for rsvp in rsvps.waitlisted())
    assert positions == list(range(1, MEMBERS))


@pytest.mark.django_db(transaction=True)
def test_without_the_guard_concurrent_answers_overbook_the_meeting(monkeypatch):
    """The control: with no lock and no transaction, the check-then-write races.

    Every thread counts the free seats before any thread writes (the barrier after the
    count), so all of them see an empty meeting and all take a seat. That this test
    overbooks is what shows the guard in the test above is doing the work.
    """
    meeting = coming_meeting(capacity=1)
    users = UserFactory.create_batch(MEMBERS)
    real_seats_taken = services.seats_taken
    counted = threading.Barrier(MEMBERS, timeout=BARRIER_TIMEOUT)

    def seats_taken_then_wait(meeting: Meeting) -> int:
        taken = real_seats_taken(meeting)
        counted.wait()
        return taken

    def lock_nothing(meeting: Meeting, *, changing: bool = False) -> Meeting:
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
    meeting = coming_meeting(capacity=1)
    user = UserFactory()

    results, errors = run_together([answer_yes(user, meeting) for _ in range(CLICKS)])

    assert errors == []
    assert sorted(result.changed for result in results) == [False] * (CLICKS - 1) + [True]
    rsvp = Rsvp.objects.get(meeting=meeting)
    assert (rsvp.user_id, rsvp.response, rsvp.waitlisted_at) == (user.pk, "yes", None)
    assert {result.rsvp.pk for result in results} == {rsvp.pk}


@pytest.mark.django_db(transaction=True)
def test_concurrent_planners_give_each_member_strictly_increasing_sequences():
    """The sweep plans updates for a moved meeting while every member answers no at once.

    Whichever runs first, each member's calendar messages carry strictly increasing
    sequences in the order they were planned, and the newest is the cancellation.
    """
    meeting = coming_meeting()
    users = UserFactory.create_batch(MEMBERS)
    for user in users:
        Rsvp.objects.create(meeting=meeting, user=user, response=Rsvp.Response.YES)
        Delivery.objects.create(
            meeting=meeting,
            user=user,
            kind=Delivery.Kind.INVITE,
            sequence=0,
            meeting_sequence=0,
            due_at=timezone.now(),
            state=Delivery.State.SENT,
        )
    meeting_services.move_meeting(meeting=meeting, starts_at=meeting.starts_at + timedelta(hours=1))
    sweeps = [plan.plan_deliveries for _ in range(3)]

    _, errors = run_together(sweeps + [answer_no(user, meeting) for user in users])

    assert errors == []
    for user in users:
        messages = list(
            Delivery.objects.filter(meeting=meeting, user=user, kind__in=ALL_CALENDAR_KINDS)
            .order_by("pk")
            .values_list("kind", "sequence")
        )
        sequences = [sequence for _, sequence in messages]
        assert sequences == sorted(set(sequences)), messages
        assert messages[-1][0] == Delivery.Kind.CANCELLATION, messages
