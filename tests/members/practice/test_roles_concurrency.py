"""Members taking the last place in a role at the same moment, each thread on its own
database connection (as tests/members/test_concurrency.py does for seats).

The rows must really be committed for other connections to see them, hence
`transaction=True`. On PostgreSQL `lock_meeting` holds the meeting's row (CI's second run);
on SQLite the test database is a file and writers queue on the IMMEDIATE transaction.
"""

import threading
from collections.abc import Callable
from contextlib import nullcontext
from types import SimpleNamespace

import pytest

from meetings.models import Meeting
from members.models import Role, RoleAssignment, Rsvp, User
from members.practice import PracticeRefused, roles
from tests.members.test_concurrency import BARRIER_TIMEOUT, run_together

from .support import NOW, east, meeting_of, member

FULL_ROLE = "The last place as Facilitator was taken just before you. Try another role."
FULL_MEETING = "This meeting is full: a role needs a seat. Ask an organizer for one."
MEMBERS = 8


def take(user: User, meeting: Meeting, role: str = "facilitator") -> Callable[[], tuple]:
    """Take the role; ("took", name) or ("refused", name, message), never an exception."""

    def call() -> tuple:
        try:
            roles.take_role(user=user, meeting=meeting, role=role, now=NOW)
        except PracticeRefused as refusal:
            return ("refused", user.display_name, str(refusal))
        return ("took", user.display_name)

    return call


def holders(meeting: Meeting) -> list[tuple[str, str]]:
    return sorted(
        RoleAssignment.objects.filter(meeting=meeting).values_list("role", "user__display_name")
    )


def answers(meeting: Meeting) -> list[tuple[str, str, bool]]:
    return sorted(
        (rsvp.user.display_name, rsvp.response, rsvp.is_waitlisted)
        for rsvp in Rsvp.objects.filter(meeting=meeting).select_related("user")
    )


@pytest.mark.django_db(transaction=True)
def test_two_members_taking_the_last_place_at_once_one_gets_it_the_other_is_told():
    meeting = meeting_of(east())
    asha, bea = member("Asha"), member("Bea")

    results, errors = run_together([take(asha, meeting), take(bea, meeting)])

    assert errors == []
    took = [result[1] for result in results if result[0] == "took"]
    refused = [result for result in results if result[0] == "refused"]
    assert len(took) == 1
    [(_, loser, message)] = refused
    assert message == FULL_ROLE
    assert {took[0], loser} == {"Asha", "Bea"}
    assert holders(meeting) == [("facilitator", took[0])]
    # The one who was told changed nothing: no role, no answer.
    assert answers(meeting) == [(took[0], "yes", False)]


@pytest.mark.django_db(transaction=True)
def test_many_members_taking_two_places_at_once_fill_exactly_two():
    meeting = meeting_of(east())
    Role.objects.create(meeting=meeting, slug="facilitator", name="Facilitator", places=2)
    users = [member(f"Member{index}") for index in range(MEMBERS)]

    results, errors = run_together([take(user, meeting) for user in users])

    assert errors == []
    took = sorted(result[1] for result in results if result[0] == "took")
    messages = [result[2] for result in results if result[0] == "refused"]
    assert len(took) == 2
    assert messages == [FULL_ROLE] * (MEMBERS - 2)
    assert holders(meeting) == [("facilitator", name) for name in took]
    assert answers(meeting) == [(name, "yes", False) for name in took]


@pytest.mark.django_db(transaction=True)
def test_two_members_taking_roles_for_the_last_seat_at_once_one_gets_it_nothing_else_changes():
    meeting = meeting_of(east(), capacity=1)
    asha, bea = member("Asha"), member("Bea")

    results, errors = run_together(
        [take(asha, meeting, "facilitator"), take(bea, meeting, "harvester")]
    )

    assert errors == []
    [(_, winner)] = [result for result in results if result[0] == "took"]
    [(_, _, message)] = [result for result in results if result[0] == "refused"]
    assert message == FULL_MEETING
    role = {"Asha": "facilitator", "Bea": "harvester"}[winner]
    assert holders(meeting) == [(role, winner)]
    assert answers(meeting) == [(winner, "yes", False)]


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_two_members_both_take_the_last_place(monkeypatch):
    """The control: with no lock and no transaction, the check-then-write races.

    Both threads find the place open before either writes (the barrier after the look), so
    both take it. That this test overfills the role is what shows the lock in the tests
    above is doing the work.
    """
    meeting = meeting_of(east())
    asha, bea = member("Asha"), member("Bea")
    real_place = roles._place
    looked = threading.Barrier(2, timeout=BARRIER_TIMEOUT)

    def place_then_wait(meeting: Meeting, role: str) -> roles.Place:
        place = real_place(meeting, role)
        looked.wait()
        return place

    def lock_nothing(meeting: Meeting, *, changing: bool = False) -> Meeting:
        return Meeting.objects.select_related("series").get(pk=meeting.pk)

    monkeypatch.setattr(roles, "_place", place_then_wait)
    monkeypatch.setattr(roles, "lock_meeting", lock_nothing)
    monkeypatch.setattr(roles, "transaction", SimpleNamespace(atomic=nullcontext))

    results, errors = run_together([take(asha, meeting), take(bea, meeting)])

    assert errors == []
    assert sorted(results) == [("took", "Asha"), ("took", "Bea")]
    assert holders(meeting) == [("facilitator", "Asha"), ("facilitator", "Bea")]
