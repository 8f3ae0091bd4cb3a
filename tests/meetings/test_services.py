from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from meetings import services
from meetings.models import Meeting, ScheduleVersion, Series
from members.models import Delivery, Rsvp
from tests.factories import MeetingFactory, SeriesFactory, UserFactory
from tests.locks import takes_the_version_lock_first

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def starts(series):
    return list(series.meetings.order_by("starts_at").values_list("starts_at", flat=True))


@pytest.mark.django_db
class TestMaterializeSeries:
    def test_creates_one_meeting_per_occurrence_until_the_horizon(self, frozen_now):
        series = SeriesFactory(name="CoP-F East")

        result = services.materialize_series(series=series)

        assert result == services.MaterializeResult(created=12)
        assert starts(series)[:3] == [
            datetime(2026, 12, 14, 14, 0, tzinfo=UTC),
            datetime(2027, 1, 11, 14, 0, tzinfo=UTC),
            datetime(2027, 2, 8, 14, 0, tzinfo=UTC),
        ]
        first = series.meetings.order_by("starts_at").first()
        assert (first.title, first.ends_at, first.original_start, first.sequence) == (
            "CoP-F East",
            datetime(2026, 12, 14, 15, 30, tzinfo=UTC),
            datetime(2026, 12, 14, 14, 0, tzinfo=UTC),
            0,
        )

    def test_running_twice_changes_nothing(self, frozen_now):
        series = SeriesFactory()
        services.materialize_series(series=series)
        before = list(series.meetings.values("pk", "starts_at", "sequence", "updated_at"))

        result = services.materialize_series(series=series)

        assert result == services.MaterializeResult()
        assert list(series.meetings.values("pk", "starts_at", "sequence", "updated_at")) == before

    def test_extends_the_horizon_as_time_passes(self, frozen_now):
        series = SeriesFactory()
        services.materialize_series(series=series)

        with time_machine.travel(NOW + timedelta(days=62), tick=False):
            result = services.materialize_series(series=series)

        assert result.created == 2
        assert series.meetings.count() == 14

    def test_never_creates_meetings_in_the_past(self, frozen_now):
        series = SeriesFactory()

        services.materialize_series(series=series)

        assert min(starts(series)) > NOW

    def test_leaves_a_moved_meeting_alone(self, frozen_now):
        series = SeriesFactory()
        services.materialize_series(series=series)
        meeting = series.meetings.order_by("starts_at").first()
        services.move_meeting(meeting=meeting, starts_at=datetime(2026, 12, 15, 16, 0, tzinfo=UTC))

        services.materialize_series(series=series)

        meeting.refresh_from_db()
        assert meeting.starts_at == datetime(2026, 12, 15, 16, 0, tzinfo=UTC)
        assert series.meetings.filter(original_start=meeting.original_start).count() == 1

    def test_leaves_a_cancelled_meeting_cancelled(self, frozen_now):
        series = SeriesFactory()
        services.materialize_series(series=series)
        meeting = series.meetings.order_by("starts_at").first()
        services.cancel_meeting(meeting=meeting)

        series.name = "Renamed"
        series.save()
        services.materialize_series(series=series)

        meeting.refresh_from_db()
        assert (meeting.status, meeting.title, meeting.sequence) == ("cancelled", meeting.title, 1)
        assert meeting.title != "Renamed"

    def test_follows_a_new_series_title_and_link_with_a_higher_sequence(self, frozen_now):
        series = SeriesFactory(name="Old", join_url="https://old.example.org")
        services.materialize_series(series=series)

        series.name, series.join_url = "New", "https://new.example.org"
        series.save()
        result = services.materialize_series(series=series)

        assert result.updated == 12
        assert set(series.meetings.values_list("title", "join_url", "sequence")) == {
            ("New", "https://new.example.org", 1)
        }

    def test_a_new_duration_changes_the_end_of_untouched_meetings(self, frozen_now):
        series = SeriesFactory()
        services.materialize_series(series=series)

        series.duration = timedelta(minutes=60)
        series.save()
        services.materialize_series(series=series)

        first = series.meetings.order_by("starts_at").first()
        assert (first.ends_at, first.sequence) == (datetime(2026, 12, 14, 15, 0, tzinfo=UTC), 1)

    def test_rule_change_removes_untouched_meetings_that_no_longer_fit(self, frozen_now):
        series = SeriesFactory()
        services.materialize_series(series=series)

        series.rrule = "FREQ=MONTHLY;BYDAY=-1FR"
        series.save()
        result = services.materialize_series(series=series)

        assert (result.created, result.removed, result.cancelled) == (12, 12, 0)
        assert starts(series)[0] == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
        assert all(start.weekday() == 4 for start in starts(series))

    def test_rule_change_cancels_instead_of_removing_a_meeting_someone_answered(self, frozen_now):
        series = SeriesFactory()
        services.materialize_series(series=series)
        answered = series.meetings.order_by("starts_at").first()
        Rsvp.objects.create(meeting=answered, user=UserFactory(), response="yes")

        series.start_time = time(15, 0)
        series.save()
        result = services.materialize_series(series=series)

        answered.refresh_from_db()
        assert (result.removed, result.cancelled) == (11, 1)
        assert (answered.status, answered.sequence) == ("cancelled", 1)
        assert answered.rsvps.count() == 1

    def test_rule_change_cancels_instead_of_removing_a_meeting_a_member_was_sent(self, frozen_now):
        series = SeriesFactory()
        services.materialize_series(series=series)
        invited = series.meetings.order_by("starts_at").first()
        Delivery.objects.create(
            meeting=invited,
            user=UserFactory(),
            kind=Delivery.Kind.INVITE,
            sequence=0,
            meeting_sequence=0,
            due_at=frozen_now,
            state=Delivery.State.SENT,
        )

        series.start_time = time(15, 0)
        series.save()
        result = services.materialize_series(series=series)

        invited.refresh_from_db()
        assert (result.removed, result.cancelled) == (11, 1)
        assert (invited.status, invited.sequence) == ("cancelled", 1)
        assert invited.deliveries.count() == 1

    def test_past_meetings_survive_a_rule_change(self, frozen_now):
        series = SeriesFactory()
        past = MeetingFactory(series=series, starts_at=datetime(2026, 11, 9, 14, 0, tzinfo=UTC))

        series.rrule = "FREQ=WEEKLY"
        series.save()
        services.materialize_series(series=series)

        assert Meeting.objects.filter(pk=past.pk).exists()

    def test_berlin_anchored_series_keeps_berlin_wall_clock_time(self, frozen_now):
        series = SeriesFactory(anchor_timezone="Europe/Berlin", start_time=time(10, 0))

        services.materialize_series(series=series, until=datetime(2027, 5, 1, tzinfo=UTC))

        assert starts(series) == [
            datetime(2026, 12, 14, 9, 0, tzinfo=UTC),
            datetime(2027, 1, 11, 9, 0, tzinfo=UTC),
            datetime(2027, 2, 8, 9, 0, tzinfo=UTC),
            datetime(2027, 3, 8, 9, 0, tzinfo=UTC),
            datetime(2027, 4, 12, 8, 0, tzinfo=UTC),
        ]


@pytest.mark.django_db
class TestMaterializeAllSeries:
    def test_materializes_every_series(self, frozen_now):
        east, west = SeriesFactory(slug="east"), SeriesFactory(slug="west")

        results = services.materialize_all_series()

        assert set(results) == {"east", "west"}
        assert (east.meetings.count(), west.meetings.count()) == (12, 12)


@pytest.mark.django_db
class TestScheduleExtraMeeting:
    def test_creates_an_extra_meeting_with_the_series_duration(self):
        series = SeriesFactory(duration=timedelta(minutes=60))
        start = datetime(2027, 2, 1, 18, 30, tzinfo=UTC)

        meeting = services.schedule_extra_meeting(title="Deep dive", starts_at=start, series=series)

        assert (meeting.is_extra, meeting.series, meeting.ends_at, meeting.original_start) == (
            True,
            series,
            datetime(2027, 2, 1, 19, 30, tzinfo=UTC),
            start,
        )
        assert meeting.sequence == 0

    def test_an_extra_meeting_needs_no_series(self, db):
        meeting = services.schedule_extra_meeting(
            title="Open space",
            starts_at=datetime(2027, 2, 1, 8, 0, tzinfo=UTC),
            ends_at=datetime(2027, 2, 1, 9, 0, tzinfo=UTC),
        )

        assert (meeting.series, meeting.duration) == (None, timedelta(hours=1))

    def test_refuses_an_end_before_the_start(self, db):
        start = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)

        with pytest.raises(ValidationError, match="must end after it starts"):
            services.schedule_extra_meeting(
                title="Backwards", starts_at=start, ends_at=start - timedelta(hours=1)
            )
        assert Meeting.objects.count() == 0

    def test_refuses_naive_datetimes(self, db):
        with pytest.raises(ValueError, match="aware"):
            services.schedule_extra_meeting(title="Naive", starts_at=datetime(2027, 2, 1, 8, 0))  # noqa: DTZ001

    @pytest.mark.parametrize(
        "start",
        [
            pytest.param(datetime(9999, 12, 31, 23, 59, tzinfo=UTC), id="last-minute"),
            pytest.param(datetime(1, 1, 1, tzinfo=UTC), id="first-minute"),
        ],
    )
    def test_refuses_a_start_at_the_edge_of_the_calendar(self, db, start):
        with pytest.raises(ValidationError) as caught:
            services.schedule_extra_meeting(title="Far out", starts_at=start)

        assert caught.value.messages == ["Enter a time in the years 1970 to 2200 (UTC)."]
        assert Meeting.objects.count() == 0

    def test_does_not_collide_with_a_rule_meeting_at_the_same_time(self, meeting):
        extra = services.schedule_extra_meeting(
            title="Twin", starts_at=meeting.starts_at, series=meeting.series
        )

        assert extra.pk != meeting.pk


@pytest.mark.django_db
class TestMoveMeeting:
    def test_moves_and_bumps_sequence_once(self, meeting):
        new_start = meeting.starts_at + timedelta(days=1)

        moved = services.move_meeting(meeting=meeting, starts_at=new_start)

        assert (moved.starts_at, moved.ends_at, moved.sequence, moved.detached) == (
            new_start,
            new_start + timedelta(minutes=90),
            1,
            True,
        )
        assert moved.original_start == meeting.original_start

    def test_moving_to_the_same_time_bumps_nothing(self, meeting):
        moved = services.move_meeting(meeting=meeting, starts_at=meeting.starts_at)

        assert (moved.sequence, moved.detached) == (0, False)

    def test_can_change_the_end_too(self, meeting):
        moved = services.move_meeting(
            meeting=meeting,
            starts_at=meeting.starts_at,
            ends_at=meeting.starts_at + timedelta(hours=2),
        )

        assert (moved.duration, moved.sequence) == (timedelta(hours=2), 1)

    def test_refuses_to_move_a_cancelled_meeting(self, meeting):
        services.cancel_meeting(meeting=meeting)

        with pytest.raises(ValidationError, match="cancelled"):
            services.move_meeting(meeting=meeting, starts_at=meeting.starts_at + timedelta(days=1))
        meeting.refresh_from_db()
        assert meeting.sequence == 1

    @pytest.mark.parametrize(
        "start",
        [
            pytest.param(datetime(9999, 12, 31, 23, 59, tzinfo=UTC), id="last-minute"),
            pytest.param(datetime(1, 1, 1, tzinfo=UTC), id="first-minute"),
        ],
    )
    def test_refuses_a_start_at_the_edge_of_the_calendar_and_changes_nothing(self, meeting, start):
        with pytest.raises(ValidationError) as caught:
            services.move_meeting(meeting=meeting, starts_at=start)

        assert caught.value.messages == ["Enter a time in the years 1970 to 2200 (UTC)."]
        meeting.refresh_from_db()
        assert (meeting.starts_at, meeting.sequence) == (
            datetime(2027, 1, 11, 14, 0, tzinfo=UTC),
            0,
        )


@pytest.mark.django_db
class TestCancelMeeting:
    def test_marks_cancelled_and_bumps_sequence(self, meeting):
        cancelled = services.cancel_meeting(meeting=meeting)

        assert (cancelled.status, cancelled.sequence, cancelled.detached) == ("cancelled", 1, True)

    def test_cancelling_twice_bumps_once(self, meeting):
        services.cancel_meeting(meeting=meeting)

        again = services.cancel_meeting(meeting=meeting)

        assert again.sequence == 1

    def test_keeps_the_organizers_message_without_surrounding_space(self, meeting):
        cancelled = services.cancel_meeting(meeting=meeting, message="  The host is ill.\n")

        assert cancelled.cancellation_message == "The host is ill."

    def test_cancelling_again_keeps_the_first_message(self, meeting):
        services.cancel_meeting(meeting=meeting, message="The host is ill.")

        again = services.cancel_meeting(meeting=meeting, message="Something else")

        assert again.cancellation_message == "The host is ill."


@pytest.mark.django_db
class TestUpdateMeeting:
    def test_a_new_title_bumps_sequence(self, meeting):
        updated = services.update_meeting(meeting=meeting, title="Harvest session")

        assert (updated.title, updated.sequence, updated.detached) == ("Harvest session", 1, True)

    def test_a_new_link_bumps_sequence(self, meeting):
        updated = services.update_meeting(meeting=meeting, join_url="https://other.example.org")

        assert updated.sequence == 1

    def test_a_new_description_does_not_bump_sequence(self, meeting):
        updated = services.update_meeting(meeting=meeting, description="Bring a story.")

        assert (updated.description, updated.sequence, updated.detached) == (
            "Bring a story.",
            0,
            True,
        )

    def test_the_same_values_change_nothing(self, meeting):
        before = meeting.updated_at

        updated = services.update_meeting(
            meeting=meeting, title=meeting.title, join_url=meeting.join_url
        )

        assert (updated.sequence, updated.detached, updated.updated_at) == (0, False, before)


@pytest.mark.django_db
class TestRemoveMeeting:
    def test_deletes_a_meeting_nobody_holds(self):
        meeting = MeetingFactory()

        deleted = services.remove_meeting(meeting=meeting)

        assert (deleted, Meeting.objects.filter(pk=meeting.pk).exists()) == (True, False)

    def test_cancels_a_meeting_someone_answered(self):
        meeting = MeetingFactory()
        Rsvp.objects.create(meeting=meeting, user=UserFactory(), response=Rsvp.Response.NO)

        deleted = services.remove_meeting(meeting=meeting)

        meeting.refresh_from_db()
        assert (deleted, meeting.status, meeting.sequence) == (False, "cancelled", 1)

    def test_the_database_refuses_to_delete_a_meeting_someone_answered(self):
        meeting = MeetingFactory()
        Rsvp.objects.create(meeting=meeting, user=UserFactory(), response=Rsvp.Response.YES)

        with pytest.raises(ProtectedError):
            meeting.delete()


@pytest.mark.django_db
class TestLockOrder:
    """Each schedule writer locks the schedule version before any row (tests/locks.py)."""

    def test_materializing_locks_the_version_first(self, frozen_now):
        series = SeriesFactory()

        assert takes_the_version_lock_first(lambda: services.materialize_series(series=series))

    def test_materializing_a_changed_rule_locks_the_version_first(self, frozen_now):
        series = SeriesFactory()
        services.materialize_series(series=series)
        Series.objects.filter(pk=series.pk).update(rrule="FREQ=MONTHLY;BYDAY=3TU")
        series.refresh_from_db()

        assert takes_the_version_lock_first(lambda: services.materialize_series(series=series))

    def test_scheduling_an_extra_meeting_locks_the_version_first(self, series):
        assert takes_the_version_lock_first(
            lambda: services.schedule_extra_meeting(
                title="Extra", series=series, starts_at=datetime(2027, 3, 1, 14, tzinfo=UTC)
            )
        )

    def test_moving_locks_the_version_first(self, meeting):
        assert takes_the_version_lock_first(
            lambda: services.move_meeting(
                meeting=meeting, starts_at=meeting.starts_at + timedelta(hours=1)
            )
        )

    def test_editing_locks_the_version_first(self, meeting):
        assert takes_the_version_lock_first(
            lambda: services.update_meeting(meeting=meeting, title="Harvest circle")
        )

    def test_cancelling_locks_the_version_first(self, meeting):
        assert takes_the_version_lock_first(lambda: services.cancel_meeting(meeting=meeting))

    def test_removing_locks_the_version_first(self, meeting):
        assert takes_the_version_lock_first(lambda: services.remove_meeting(meeting=meeting))

    def test_saving_a_series_locks_the_version_first(self, series):
        series.name = "CoP-F Americas"

        assert takes_the_version_lock_first(series.save)

    def test_deleting_a_series_locks_the_version_first(self, meeting):
        assert takes_the_version_lock_first(meeting.series.delete)

    def test_locking_a_meeting_to_send_mail_leaves_the_version_alone(self, meeting):
        before = ScheduleVersion.objects.current()

        with transaction.atomic():
            services.lock_meeting(meeting)

        assert ScheduleVersion.objects.current() == before
