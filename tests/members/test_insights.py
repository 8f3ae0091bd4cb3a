"""The organizers' figures, on a small hand-built track whose every number is known."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine

from meetings.models import Meeting
from members.insights import Period, insights, offset_label, regulars, track_start
from members.models import Attendance, Role, RoleAssignment, Rsvp, User
from tests.factories import MeetingFactory, SeriesFactory, UserFactory

NOW = datetime(2027, 7, 20, 12, 0, tzinfo=UTC)
PERIOD = Period(first=date(2027, 1, 1), last=date(2027, 7, 1))
YES = Rsvp.Response.YES


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def at(month: int, day: int) -> datetime:
    return datetime(2027, month, day, 14, 0, tzinfo=UTC)


@pytest.fixture
def world(db, clock):
    """East meets on the second Monday. Ada comes often, Ben twice (91 days apart), Chitra
    once, Dev once and then is marked absent; a former member's row stays anonymous."""
    east = SeriesFactory(slug="east", name="East", start_time=time(14, 0))
    Role.objects.create(series=east, slug="facilitator", name="Facilitator", position=0)
    Role.objects.create(series=east, slug="host", name="Host", position=1)
    held = {
        month: MeetingFactory(series=east, starts_at=at(month, day))
        for month, day in ((1, 11), (2, 8), (3, 8), (4, 12), (6, 14))
    }
    cancelled = MeetingFactory(series=east, starts_at=at(5, 10), status=Meeting.Status.CANCELLED)
    coming = MeetingFactory(series=east, starts_at=at(8, 9))
    ada = UserFactory(timezone="Europe/Berlin")
    ben = UserFactory(timezone="America/New_York")
    chitra = UserFactory(timezone="Asia/Kolkata")
    dev = UserFactory(timezone="UTC")
    eve = UserFactory(timezone="Australia/Sydney")
    UserFactory(timezone="Asia/Tokyo", is_active=False)

    def came(user: User | None, month: int, present: bool = True) -> None:
        Attendance.objects.create(
            meeting=held[month], user=user, present=present, source=Attendance.Source.MARKED
        )

    for user, months in ((ada, (1, 2, 3, 6)), (ben, (1, 4)), (chitra, (3,)), (dev, (2,))):
        for month in months:
            came(user, month)
    came(dev, 3, present=False)
    came(None, 6)
    Attendance.objects.create(
        meeting=cancelled, user=ben, present=True, source=Attendance.Source.SELF
    )
    Attendance.objects.create(meeting=coming, user=ben, present=True, source=Attendance.Source.SELF)

    for user in (ada, ben, dev):
        Rsvp.objects.create(meeting=held[1], user=user, response=YES)
    Rsvp.objects.create(meeting=held[2], user=ada, response=YES)
    Rsvp.objects.create(meeting=held[2], user=eve, response=YES, waitlisted_at=at(2, 1))
    Rsvp.objects.create(meeting=held[2], user=dev, response=YES, promoted_at=at(2, 2))
    Rsvp.objects.create(meeting=held[4], user=ben, response=YES)
    Rsvp.objects.create(meeting=held[4], user=chitra, response=Rsvp.Response.MAYBE)

    def hold(month: int, role: str, user: User, meeting: Meeting | None = None) -> None:
        RoleAssignment.objects.create(meeting=meeting or held[month], role=role, user=user)

    hold(1, "facilitator", ada)
    hold(1, "host", ben)
    hold(2, "facilitator", ada)
    hold(3, "facilitator", chitra)
    hold(3, "host", ada)
    hold(6, "facilitator", ada)
    hold(6, "host", dev)
    # June's meeting needs two hosts, so one host leaves it uncovered.
    Role.objects.create(meeting=held[6], slug="host", name="Host", places=2)
    hold(0, "facilitator", dev, meeting=cancelled)
    return east


def months_of(result, name: str) -> list[int]:
    (track,) = result.tracks
    return [getattr(month, name) for month in track.months]


def test_attendance_counts_present_rows_of_held_meetings_per_month(world):
    result = insights(period=PERIOD, now=NOW)

    assert [month.month for month in result.tracks[0].months] == [
        date(2027, month, 1) for month in range(1, 8)
    ]
    assert months_of(result, "meetings") == [1, 1, 1, 1, 0, 1, 0]
    assert months_of(result, "attendance") == [2, 2, 2, 1, 0, 2, 0]


def test_show_rate_is_seated_yes_answers_whose_member_came(world):
    result = insights(period=PERIOD, now=NOW)
    january, february = result.tracks[0].months[:2]

    assert (january.yes, january.yes_counted, january.came) == (3, 3, 2)
    assert january.show_rate == pytest.approx(2 / 3)
    assert (february.yes, february.came, february.show_rate) == (2, 2, 1.0)
    assert months_of(result, "yes") == [3, 2, 0, 1, 0, 0, 0]


def test_waitlist_use_counts_answers_that_waited_and_promotions(world):
    result = insights(period=PERIOD, now=NOW)

    assert months_of(result, "waited") == [0, 2, 0, 0, 0, 0, 0]
    assert months_of(result, "promoted") == [0, 1, 0, 0, 0, 0, 0]


def test_first_timers_are_counted_in_the_month_of_their_first_visit_with_who_came_back(world):
    result = insights(period=PERIOD, now=NOW)

    assert months_of(result, "first_timers") == [2, 1, 1, 0, 0, 0, 0]
    # Ada came back in February; Ben only 91 days later, past the 90-day window.
    assert months_of(result, "returned") == [1, 0, 0, 0, 0, 0, 0]
    assert result.tracks[0].months[0].retention == 0.5


def test_a_cohort_starting_before_the_period_has_no_first_timers_in_it(world):
    later = Period(first=date(2027, 2, 1), last=date(2027, 7, 1))

    result = insights(period=later, now=NOW)

    assert months_of(result, "first_timers") == [1, 1, 0, 0, 0, 0]


def test_regulars_are_counted_each_month_over_the_six_months_up_to_it(world):
    # Ada's third visit is in March; by July her January visit has left the window, and
    # February, March and June still make three.
    assert months_of(insights(period=PERIOD, now=NOW), "regulars") == [0, 0, 1, 1, 1, 1, 1]


def test_regulars_came_to_three_meetings_in_the_last_six_months(world):
    assert regulars(period=PERIOD, now=NOW) == {world.pk: 1}
    assert insights(period=PERIOD, now=NOW).tracks[0].regulars == 1
    # Ada's three visits from January to March make her a regular of a period ending in March.
    assert regulars(period=Period(first=date(2027, 1, 1), last=date(2027, 3, 1)), now=NOW) == {
        world.pk: 1
    }
    assert regulars(period=Period(first=date(2027, 1, 1), last=date(2027, 2, 1)), now=NOW) == {}


def test_role_coverage_counts_meetings_with_every_place_filled(world):
    result = insights(period=PERIOD, now=NOW)

    assert months_of(result, "covered") == [1, 0, 1, 0, 0, 0, 0]
    assert result.tracks[0].totals.coverage == pytest.approx(2 / 5)


def test_distinct_facilitators_leave_out_cancelled_meetings(world):
    assert insights(period=PERIOD, now=NOW).tracks[0].facilitators == 2


def test_bands_give_each_offset_its_members_attendees_and_local_start_in_july(world):
    (track,) = insights(period=PERIOD, now=NOW).tracks

    assert track.starts_at == datetime(2027, 7, 15, 14, 0, tzinfo=UTC)
    assert [
        (band.label, band.members, band.attendees, band.local_start, band.at_night)
        for band in track.bands
    ] == [
        ("UTC−04:00", 1, 1, time(10, 0), False),
        ("UTC+00:00", 1, 1, time(14, 0), False),
        ("UTC+02:00", 1, 1, time(16, 0), False),
        ("UTC+05:30", 1, 1, time(19, 30), False),
        ("UTC+10:00", 1, 0, time(0, 0), True),
    ]


def test_bands_follow_summer_time_of_the_last_month_across_the_dst_change(world):
    winter = Period(first=date(2026, 12, 1), last=date(2027, 1, 1))

    (track,) = insights(period=winter, now=NOW).tracks

    assert [(band.label, band.local_start) for band in track.bands] == [
        ("UTC−05:00", time(9, 0)),
        ("UTC+00:00", time(14, 0)),
        ("UTC+01:00", time(15, 0)),
        ("UTC+05:30", time(19, 30)),
        ("UTC+11:00", time(1, 0)),
    ]
    assert [band.attendees for band in track.bands] == [1, 0, 1, 0, 0]


def test_a_track_anchored_to_berlin_keeps_its_berlin_start_in_the_bands(db):
    berlin = SeriesFactory(anchor_timezone="Europe/Berlin", start_time=time(18, 0))

    assert track_start(berlin, period=Period(first=date(2027, 3, 1), last=date(2027, 3, 1))) == (
        datetime(2027, 3, 15, 17, 0, tzinfo=UTC)
    )
    assert track_start(berlin, period=Period(first=date(2027, 4, 1), last=date(2027, 4, 1))) == (
        datetime(2027, 4, 15, 16, 0, tzinfo=UTC)
    )


def test_offset_labels_show_the_sign_and_the_half_hours():
    assert offset_label(timedelta(hours=5, minutes=30)) == "UTC+05:30"
    assert offset_label(timedelta(hours=-3, minutes=-30)) == "UTC−03:30"


def test_choosing_a_track_shows_only_that_track(world):
    SeriesFactory(slug="west", name="West")

    assert [track.series.slug for track in insights(period=PERIOD, now=NOW).tracks] == [
        "east",
        "west",
    ]
    assert [t.series.slug for t in insights(period=PERIOD, now=NOW, series=world).tracks] == [
        "east"
    ]


# --- the number of queries does not grow with members or meetings ------------------------

QUERIES = 11


def crowd(*, members: int, meetings: int) -> None:
    east = SeriesFactory(slug="crowd", name="Crowd")
    Role.objects.create(series=east, slug="facilitator", name="Facilitator")
    zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
    users = User.objects.bulk_create(
        User(email=f"crowd{n}@example.org", timezone=zones[n % len(zones)]) for n in range(members)
    )
    rows = Meeting.objects.bulk_create(
        Meeting(
            series=east,
            title="Crowd",
            starts_at=datetime(2026, 8, 3, 14, tzinfo=UTC) + timedelta(days=3 * n),
            ends_at=datetime(2026, 8, 3, 15, tzinfo=UTC) + timedelta(days=3 * n),
            original_start=datetime(2026, 8, 3, 14, tzinfo=UTC) + timedelta(days=3 * n),
        )
        for n in range(meetings)
    )
    Attendance.objects.bulk_create(
        Attendance(meeting=meeting, user=user, present=(n + i) % 3 > 0, source="marked")
        for i, meeting in enumerate(rows)
        for n, user in enumerate(users[i % 10 :: 10])
    )
    Rsvp.objects.bulk_create(
        Rsvp(meeting=meeting, user=user, response=YES)
        for i, meeting in enumerate(rows)
        for user in users[i % 7 :: 7]
    )
    RoleAssignment.objects.bulk_create(
        RoleAssignment(meeting=meeting, role="facilitator", user=users[i % members])
        for i, meeting in enumerate(rows)
    )


@pytest.mark.parametrize(("members", "meetings"), [(10, 3), (1000, 100)])
def test_the_number_of_queries_does_not_grow_with_members_or_meetings(
    db, clock, django_assert_num_queries, members, meetings
):
    crowd(members=members, meetings=meetings)
    period = Period(first=date(2026, 8, 1), last=date(2027, 7, 1))

    with django_assert_num_queries(QUERIES):
        result = insights(period=period, now=NOW)

    assert result.tracks[0].totals.meetings == meetings


def test_extra_meetings_without_a_series_are_a_track_of_their_own(world):
    extra = MeetingFactory(series=None, is_extra=True, title="Extra", starts_at=at(5, 20))
    Attendance.objects.create(
        meeting=extra, user=UserFactory(), present=True, source=Attendance.Source.MARKED
    )

    tracks = insights(period=PERIOD, now=NOW).tracks

    assert [track.series.slug if track.series else None for track in tracks] == ["east", None]
    assert [month.attendance for month in tracks[1].months] == [0, 0, 0, 0, 1, 0, 0]
    assert [month.first_timers for month in tracks[1].months] == [0, 0, 0, 0, 1, 0, 0]
    assert tracks[1].bands == []
