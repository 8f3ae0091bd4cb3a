from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine

from meetings import selectors
from meetings.models import Meeting
from members.models import AgendaItem, RoleAssignment, Rsvp
from tests.factories import MeetingFactory, SeriesFactory, UserFactory

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def answer(meeting: Meeting, *responses: Rsvp.Response, waitlisted_at: datetime | None = None):
    for response in responses:
        Rsvp.objects.create(
            meeting=meeting, user=UserFactory(), response=response, waitlisted_at=waitlisted_at
        )


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.mark.django_db
class TestPublicFeedVersion:
    def test_says_what_the_orm_aggregate_says(self):
        east, west = SeriesFactory(), SeriesFactory()
        for days in (-100, -80, 3, 40):
            MeetingFactory(series=east, starts_at=NOW + timedelta(days=days))
        MeetingFactory(series=west, starts_at=NOW + timedelta(days=5))

        assert selectors.public_feed_version() == selectors.feed_version(selectors.feed_meetings())
        assert selectors.public_feed_version(series=east) == selectors.feed_version(
            selectors.feed_meetings(series=east)
        )
        assert selectors.public_feed_version(series=east).count == 3

    def test_counts_the_role_holders_and_agenda_items_as_the_orm_aggregate_does(self, frozen_now):
        east, west = SeriesFactory(), SeriesFactory()
        old, soon = (
            MeetingFactory(series=east, starts_at=NOW + timedelta(days=d)) for d in (-100, 3)
        )
        other = MeetingFactory(series=west, starts_at=NOW + timedelta(days=5))
        asha, ben = UserFactory(), UserFactory()
        for meeting in (old, soon, other):
            RoleAssignment.objects.create(meeting=meeting, user=asha, role="host")
            AgendaItem.objects.create(meeting=meeting, proposer=ben, title="Check-in", minutes=10)
        RoleAssignment.objects.create(meeting=soon, user=ben, role="facilitator")

        version = selectors.public_feed_version(series=east)

        assert selectors.public_feed_version() == selectors.feed_version(selectors.feed_meetings())
        assert version == selectors.feed_version(selectors.feed_meetings(series=east))
        assert (version.roles_held, version.roles_changed) == (2, NOW)
        assert (version.agenda_items, version.agenda_changed) == (1, NOW)

    def test_of_an_empty_schedule_is_all_empty(self, db):
        assert selectors.public_feed_version() == selectors.FeedVersion(
            count=0, last_id=None, updated=None, series_updated=None
        )


@pytest.mark.django_db
class TestSeatsTaken:
    def test_counts_only_yes_answers_holding_a_seat(self):
        meeting = MeetingFactory(capacity=2)
        answer(meeting, Rsvp.Response.YES, Rsvp.Response.YES, Rsvp.Response.MAYBE)
        answer(meeting, Rsvp.Response.NO)
        answer(meeting, Rsvp.Response.YES, waitlisted_at=NOW)

        assert selectors.seats_taken(meeting) == 2

    def test_of_a_meeting_nobody_answered_is_zero(self):
        assert selectors.seats_taken(MeetingFactory()) == 0


@pytest.mark.django_db
class TestMeetingsOverCapacity:
    def test_are_the_coming_meetings_with_more_seats_taken_soonest_first(self):
        series = SeriesFactory(capacity=5)
        later = MeetingFactory(series=series, starts_at=NOW + timedelta(days=40))
        sooner = MeetingFactory(series=series, starts_at=NOW + timedelta(days=3))
        at_capacity = MeetingFactory(series=series, starts_at=NOW + timedelta(days=10))
        answer(later, *[Rsvp.Response.YES] * 4)
        answer(sooner, *[Rsvp.Response.YES] * 3, Rsvp.Response.MAYBE)
        answer(at_capacity, Rsvp.Response.YES, Rsvp.Response.YES)
        answer(at_capacity, Rsvp.Response.YES, waitlisted_at=NOW)

        over = selectors.meetings_over_capacity(series=series, capacity=2)

        assert [(meeting, meeting.seats_taken) for meeting in over] == [(sooner, 3), (later, 4)]

    def test_leave_out_ended_cancelled_and_other_series_meetings_and_those_with_their_own_capacity(
        self,
    ):
        series = SeriesFactory(capacity=5)
        in_progress = MeetingFactory(series=series, starts_at=NOW - timedelta(minutes=30))
        ended = MeetingFactory(series=series, starts_at=NOW - timedelta(days=1))
        cancelled = MeetingFactory(
            series=series, starts_at=NOW + timedelta(days=3), status=Meeting.Status.CANCELLED
        )
        own_capacity = MeetingFactory(series=series, starts_at=NOW + timedelta(days=4), capacity=9)
        other_series = MeetingFactory(starts_at=NOW + timedelta(days=5))
        for meeting in (in_progress, ended, cancelled, own_capacity, other_series):
            answer(meeting, Rsvp.Response.YES, Rsvp.Response.YES)

        over = selectors.meetings_over_capacity(series=series, capacity=1)

        assert list(over) == [in_progress]

    def test_is_one_query_however_many_meetings(self, django_assert_num_queries):
        series = SeriesFactory()
        for days in range(1, 6):
            answer(
                MeetingFactory(series=series, starts_at=NOW + timedelta(days=days)),
                Rsvp.Response.YES,
            )

        with django_assert_num_queries(1):
            over = list(selectors.meetings_over_capacity(series=series, capacity=0))

        assert [meeting.seats_taken for meeting in over] == [1, 1, 1, 1, 1]


@pytest.mark.django_db
class TestNextMeetingOfEachSeries:
    def test_skips_ended_and_cancelled_meetings_and_counts_seats(self):
        east = SeriesFactory(name="CoP-F East", start_time=time(14, 0))
        west = SeriesFactory(name="CoP-F West", start_time=time(18, 30))
        MeetingFactory(series=east, starts_at=NOW - timedelta(days=1))
        MeetingFactory(series=east, starts_at=NOW + timedelta(days=1), status="cancelled")
        next_east = MeetingFactory(series=east, starts_at=NOW + timedelta(days=2))
        MeetingFactory(series=east, starts_at=NOW + timedelta(days=30))
        next_west = MeetingFactory(series=west, starts_at=NOW + timedelta(days=3))
        answer(next_east, Rsvp.Response.YES, Rsvp.Response.YES, Rsvp.Response.MAYBE)
        answer(next_east, Rsvp.Response.YES, waitlisted_at=NOW)

        meetings = list(selectors.next_meeting_of_each_series())

        assert [(meeting, meeting.seats_taken) for meeting in meetings] == [
            (next_east, 2),
            (next_west, 0),
        ]

    def test_a_meeting_under_way_is_still_next(self):
        series = SeriesFactory()
        under_way = MeetingFactory(series=series, starts_at=NOW - timedelta(minutes=30))

        assert list(selectors.next_meeting_of_each_series()) == [under_way]


@pytest.mark.django_db
def test_meetings_between_takes_starts_in_the_half_open_span():
    series = SeriesFactory()
    inside = MeetingFactory(series=series, starts_at=NOW)
    MeetingFactory(series=series, starts_at=NOW + timedelta(days=1))

    found = selectors.meetings_between(start=NOW, end=NOW + timedelta(days=1))

    assert list(found) == [inside]
