from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains

from meetings import services
from meetings.models import PLACEHOLDER_JOIN_URL, Meeting, Series
from members.models import Rsvp
from tests.factories import MeetingFactory, SeriesFactory, UserFactory
from tests.locks import takes_the_version_lock_first

ADD_MEETING_URL = reverse("admin:meetings_meeting_add")
MEETING_LIST_URL = reverse("admin:meetings_meeting_changelist")
ADD_SERIES_URL = reverse("admin:meetings_series_add")
SERIES_LIST_URL = reverse("admin:meetings_series_changelist")


def change_meeting_url(meeting: Meeting) -> str:
    return reverse("admin:meetings_meeting_change", args=[meeting.pk])


def change_series_url(series: Series) -> str:
    return reverse("admin:meetings_series_change", args=[series.pk])


def extra_meeting_data(**overrides: object) -> dict[str, object]:
    data = {
        "series": "",
        "title": "Extra practice circle",
        "description": "",
        "join_url": "",
        "capacity": "",
        "time_zone": "UTC",
        "local_start": "2027-03-01T14:00",
        "duration_minutes": "60",
    }
    data.update(overrides)
    return data


def series_data(**overrides: object) -> dict[str, object]:
    data = {
        "name": "CoP-F East",
        "slug": "cop-f-east",
        "description": "",
        "join_url": "https://meet.example.org/copf",
        "capacity": "",
        "rrule": "FREQ=MONTHLY;BYDAY=2MO",
        "anchor_timezone": "UTC",
        "start_date": "2023-05-08",
        "start_time": "14:00",
        "duration": "01:30:00",
    }
    data.update(overrides)
    return data


def form_data_from(response) -> dict[str, object]:
    """The admin form's fields with the values the page shows, as a browser would post them."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            data[name] = ""
        elif isinstance(value, datetime):
            data[name] = f"{value:%Y-%m-%dT%H:%M}"
        else:
            data[name] = str(getattr(value, "key", value))
    return data


class _PreviewTable(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # inside div.series-preview when > 0
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if self.depth:
            self.depth += tag == "div"
            if tag == "tr":
                self.rows.append([])
            elif tag in {"th", "td"}:
                self.cell = []
        elif tag == "div" and ("class", "series-preview") in attrs:
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if not self.depth:
            return
        self.depth -= tag == "div"
        if tag in {"th", "td"} and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def preview_table(response) -> list[list[str]]:
    """The series preview as the text of its cells, row by row, the header row first."""
    parser = _PreviewTable()
    parser.feed(response.content.decode())
    return parser.rows


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def changelist_titles(response) -> list[str]:
    return [meeting.title for meeting in response.context["cl"].result_list]


def answer(meeting: Meeting, *, seats: int, waiting: int = 0, maybe: int = 0) -> None:
    """`seats` yes answers holding a seat, plus answers that hold none."""
    for _ in range(seats):
        Rsvp.objects.create(meeting=meeting, user=UserFactory(), response=Rsvp.Response.YES)
    for _ in range(waiting):
        Rsvp.objects.create(
            meeting=meeting,
            user=UserFactory(),
            response=Rsvp.Response.YES,
            waitlisted_at=meeting.starts_at - timedelta(days=1),
        )
    for _ in range(maybe):
        Rsvp.objects.create(meeting=meeting, user=UserFactory(), response=Rsvp.Response.MAYBE)


def cancel_selected(
    client, meetings: list[Meeting], *, confirm: bool = True, message: str = "", follow=True
):
    """Pick "Cancel selected meetings" in the list; with `confirm`, also answer its
    confirmation page (with the optional message), as a browser would post it."""
    data = {"action": "cancel_selected", "_selected_action": [meeting.pk for meeting in meetings]}
    if confirm:
        data.update(post="yes", message=message)
    return client.post(MEETING_LIST_URL, data, follow=follow)


# Scheduling an extra meeting


def test_extra_meeting_entered_in_kolkata_time_is_stored_in_utc(client, staff):
    client.force_login(staff)

    response = client.post(
        ADD_MEETING_URL,
        extra_meeting_data(time_zone="Asia/Kolkata", local_start="2027-03-01T19:30"),
    )

    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert meeting.is_extra is True
    assert meeting.series is None
    assert meeting.title == "Extra practice circle"
    assert meeting.starts_at == datetime(2027, 3, 1, 14, 0, tzinfo=UTC)
    assert meeting.ends_at == datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
    assert meeting.original_start == meeting.starts_at
    assert meeting.sequence == 0
    assert meeting.status == Meeting.Status.SCHEDULED


def test_extra_meeting_success_message_shows_the_time_in_the_zone_entered_and_in_utc(client, staff):
    client.force_login(staff)

    response = client.post(
        ADD_MEETING_URL,
        extra_meeting_data(time_zone="Asia/Kolkata", local_start="2027-03-01T19:30"),
        follow=True,
    )

    meeting = Meeting.objects.get()
    scheduled = (
        "“Extra practice circle” is scheduled for Mon 1 Mar 2027, 19:30–20:30 IST "
        "(14:00–15:00 UTC)."
    )
    assert messages_of(response) == [
        scheduled,
        f'The meeting “<a href="{change_meeting_url(meeting)}">'
        "Extra practice circle (2027-03-01 14:00 UTC)</a>” was added successfully.",
    ]
    assertContains(response, scheduled)


def test_extra_meeting_entered_in_utc_names_utc_once(client, staff):
    client.force_login(staff)

    response = client.post(ADD_MEETING_URL, extra_meeting_data(), follow=True)

    assert messages_of(response)[0] == (
        "“Extra practice circle” is scheduled for Mon 1 Mar 2027, 14:00–15:00 UTC."
    )


def test_extra_meeting_message_gives_the_utc_date_when_it_differs_from_the_local_one(client, staff):
    client.force_login(staff)

    response = client.post(
        ADD_MEETING_URL,
        extra_meeting_data(time_zone="Pacific/Auckland", local_start="2027-03-02T09:00"),
        follow=True,
    )

    assert messages_of(response)[0] == (
        "“Extra practice circle” is scheduled for Tue 2 Mar 2027, 09:00–10:00 NZDT "
        "(Mon 1 Mar 2027, 20:00–21:00 UTC)."
    )


def test_extra_meeting_entered_in_berlin_summer_time_is_two_hours_ahead_of_utc(client, staff):
    client.force_login(staff)

    client.post(
        ADD_MEETING_URL,
        extra_meeting_data(time_zone="Europe/Berlin", local_start="2027-07-05T19:30"),
    )

    meeting = Meeting.objects.get()
    assert meeting.starts_at == datetime(2027, 7, 5, 17, 30, tzinfo=UTC)
    assert meeting.ends_at == datetime(2027, 7, 5, 18, 30, tzinfo=UTC)


def test_extra_meeting_entered_in_berlin_winter_time_is_one_hour_ahead_of_utc(client, staff):
    client.force_login(staff)

    client.post(
        ADD_MEETING_URL,
        extra_meeting_data(time_zone="Europe/Berlin", local_start="2027-03-27T19:30"),
    )

    meeting = Meeting.objects.get()
    assert meeting.starts_at == datetime(2027, 3, 27, 18, 30, tzinfo=UTC)


def test_extra_meeting_in_the_repeated_autumn_hour_is_the_first_of_the_two(client, staff):
    client.force_login(staff)

    client.post(
        ADD_MEETING_URL,
        extra_meeting_data(time_zone="Europe/Berlin", local_start="2027-10-31T02:30"),
    )

    meeting = Meeting.objects.get()
    assert meeting.starts_at == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_extra_meeting_entered_in_sydney_summer_time(client, staff):
    client.force_login(staff)

    client.post(
        ADD_MEETING_URL,
        extra_meeting_data(time_zone="Australia/Sydney", local_start="2027-01-11T09:00"),
    )

    meeting = Meeting.objects.get()
    assert meeting.starts_at == datetime(2027, 1, 10, 22, 0, tzinfo=UTC)


def test_extra_meeting_at_a_skipped_local_time_is_refused_and_creates_nothing(client, staff):
    client.force_login(staff)

    response = client.post(
        ADD_MEETING_URL,
        extra_meeting_data(time_zone="Europe/Berlin", local_start="2027-03-28T02:30"),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "local_start": ["2027-03-28 02:30 does not exist in Europe/Berlin: clocks skip it."]
    }
    assertContains(response, "2027-03-28 02:30 does not exist in Europe/Berlin: clocks skip it.")
    assert Meeting.objects.count() == 0


def test_extra_meeting_time_is_read_in_the_picked_zone_not_the_admins_own_zone(client, db):
    # 02:30 on 28 March 2027 is skipped in Berlin but exists in Kolkata, the zone picked.
    admin_in_berlin = UserFactory(is_staff=True, is_superuser=True, timezone="Europe/Berlin")
    client.force_login(admin_in_berlin)

    response = client.post(
        ADD_MEETING_URL,
        extra_meeting_data(time_zone="Asia/Kolkata", local_start="2027-03-28T02:30"),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    meeting = Meeting.objects.get()
    assert meeting.starts_at == datetime(2027, 3, 27, 21, 0, tzinfo=UTC)


def test_extra_meeting_can_belong_to_a_series(client, staff, series):
    client.force_login(staff)

    client.post(ADD_MEETING_URL, extra_meeting_data(series=series.pk))

    meeting = Meeting.objects.get()
    assert meeting.series == series
    assert meeting.is_extra is True


# Editing and moving one meeting


def test_moving_a_meeting_changes_its_times_detaches_it_and_bumps_sequence_once(
    client, staff, meeting
):
    client.force_login(staff)
    data = form_data_from(client.get(change_meeting_url(meeting)))
    data.update(time_zone="Asia/Kolkata", local_start="2027-01-18T21:30")

    response = client.post(change_meeting_url(meeting), data)

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.starts_at == datetime(2027, 1, 18, 16, 0, tzinfo=UTC)
    assert meeting.ends_at == datetime(2027, 1, 18, 17, 30, tzinfo=UTC)
    assert meeting.original_start == datetime(2027, 1, 11, 14, 0, tzinfo=UTC)
    assert meeting.detached is True
    assert meeting.sequence == 1


def test_change_form_shows_the_start_in_utc(client, staff, meeting):
    client.force_login(staff)

    response = client.get(change_meeting_url(meeting))

    data = form_data_from(response)
    assert (data["time_zone"], data["local_start"], data["duration_minutes"]) == (
        "UTC",
        "2027-01-11T14:00",
        "90",
    )
    assertContains(response, '<div class="readonly">Mon 11 Jan 2027, 14:00 UTC</div>', count=2)


def test_saving_the_change_form_unchanged_keeps_the_sequence(client, staff, meeting):
    client.force_login(staff)
    data = form_data_from(client.get(change_meeting_url(meeting)))

    response = client.post(change_meeting_url(meeting), data)

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.starts_at == datetime(2027, 1, 11, 14, 0, tzinfo=UTC)
    assert meeting.ends_at == datetime(2027, 1, 11, 15, 30, tzinfo=UTC)
    assert meeting.sequence == 0
    assert meeting.detached is False


def test_saving_unchanged_a_meeting_in_the_admins_own_dst_gap_keeps_it(client, db):
    # The form shows 02:30 UTC; that wall-clock time is skipped in the admin's own zone.
    meeting = MeetingFactory(starts_at=datetime(2027, 3, 28, 2, 30, tzinfo=UTC))
    admin_in_berlin = UserFactory(is_staff=True, is_superuser=True, timezone="Europe/Berlin")
    client.force_login(admin_in_berlin)
    data = form_data_from(client.get(change_meeting_url(meeting)))

    response = client.post(change_meeting_url(meeting), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    meeting.refresh_from_db()
    assert meeting.starts_at == datetime(2027, 3, 28, 2, 30, tzinfo=UTC)
    assert meeting.sequence == 0


def test_changing_only_the_title_bumps_sequence(client, staff, meeting):
    client.force_login(staff)
    data = form_data_from(client.get(change_meeting_url(meeting)))
    data["title"] = "Harvest circle"

    client.post(change_meeting_url(meeting), data)

    meeting.refresh_from_db()
    assert meeting.title == "Harvest circle"
    assert meeting.sequence == 1
    assert meeting.detached is True


def test_changing_only_the_description_keeps_the_sequence(client, staff, meeting):
    client.force_login(staff)
    data = form_data_from(client.get(change_meeting_url(meeting)))
    data["description"] = "Bring a question about consent decisions."

    client.post(change_meeting_url(meeting), data)

    meeting.refresh_from_db()
    assert meeting.description == "Bring a question about consent decisions."
    assert meeting.sequence == 0


def test_a_cancelled_meeting_cannot_be_moved_from_the_change_form(client, staff):
    meeting = MeetingFactory(status=Meeting.Status.CANCELLED, sequence=1)
    client.force_login(staff)
    data = form_data_from(client.get(change_meeting_url(meeting)))
    data["local_start"] = "2027-01-18T14:00"

    response = client.post(change_meeting_url(meeting), data)

    assert response.context["adminform"].form.errors == {
        "local_start": ["A cancelled meeting cannot be moved."]
    }
    meeting.refresh_from_db()
    assert meeting.starts_at == datetime(2027, 1, 11, 14, 0, tzinfo=UTC)
    assert meeting.sequence == 1


def test_moving_a_meeting_says_where_to_in_the_zone_entered_and_in_utc(client, staff):
    meeting = MeetingFactory(title="CoP-F East")
    client.force_login(staff)
    data = form_data_from(client.get(change_meeting_url(meeting)))
    data.update(time_zone="Europe/Berlin", local_start="2027-01-19T15:00")

    response = client.post(change_meeting_url(meeting), data, follow=True)

    assert messages_of(response)[0] == (
        "“CoP-F East” is moved to Tue 19 Jan 2027, 15:00–16:30 CET (14:00–15:30 UTC)."
    )


def test_moving_a_meeting_in_utc_names_utc_once(client, staff):
    meeting = MeetingFactory(title="CoP-F East")
    client.force_login(staff)
    data = form_data_from(client.get(change_meeting_url(meeting)))
    data.update(local_start="2027-01-19T14:00")

    response = client.post(change_meeting_url(meeting), data, follow=True)

    assert messages_of(response)[0] == "“CoP-F East” is moved to Tue 19 Jan 2027, 14:00–15:30 UTC."


def test_saving_a_meeting_without_moving_it_gives_its_time_in_the_zone_picked(client, staff):
    meeting = MeetingFactory(title="CoP-F East")
    client.force_login(staff)
    data = form_data_from(client.get(change_meeting_url(meeting)))
    data.update(time_zone="America/Sao_Paulo", local_start="2027-01-11T11:00", title="Harvest")

    response = client.post(change_meeting_url(meeting), data, follow=True)

    assert messages_of(response)[0] == (
        "“Harvest” is on Mon 11 Jan 2027, 11:00–12:30 UTC−03 (14:00–15:30 UTC)."
    )
    meeting.refresh_from_db()
    assert meeting.starts_at == datetime(2027, 1, 11, 14, 0, tzinfo=UTC)


def test_saving_a_cancelled_meeting_says_it_stays_cancelled(client, staff):
    meeting = MeetingFactory(title="CoP-F East", status=Meeting.Status.CANCELLED, sequence=1)
    client.force_login(staff)
    data = form_data_from(client.get(change_meeting_url(meeting)))
    data["description"] = "Called off for the holidays."

    response = client.post(change_meeting_url(meeting), data, follow=True)

    assert messages_of(response)[0] == (
        "“CoP-F East” is saved and stays cancelled; it was on Mon 11 Jan 2027, 14:00–15:30 UTC."
    )


# Capacity below the seats taken


def post_meeting_capacity(client, meeting: Meeting, capacity: object):
    data = form_data_from(client.get(change_meeting_url(meeting)))
    data["capacity"] = str(capacity)
    return client.post(change_meeting_url(meeting), data)


def test_lowering_a_meeting_capacity_below_the_seats_taken_is_refused_and_changes_nothing(
    client, staff
):
    meeting = MeetingFactory(capacity=4)
    answer(meeting, seats=3, waiting=0, maybe=2)
    client.force_login(staff)

    response = post_meeting_capacity(client, meeting, 2)

    message = "3 seats are already taken, so the capacity cannot be lower than 3."
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"capacity": [message]}
    assertContains(response, message)
    meeting.refresh_from_db()
    assert (meeting.capacity, meeting.sequence, meeting.detached) == (4, 0, False)


def test_the_refusal_counts_one_taken_seat_in_the_singular(client, staff):
    meeting = MeetingFactory(capacity=1)
    answer(meeting, seats=1, waiting=2)
    client.force_login(staff)

    response = post_meeting_capacity(client, meeting, 0)

    assert response.context["adminform"].form.errors == {
        "capacity": ["1 seat is already taken, so the capacity cannot be lower than 1."]
    }
    meeting.refresh_from_db()
    assert meeting.capacity == 1


def test_lowering_a_meeting_capacity_to_exactly_the_seats_taken_is_allowed(client, staff):
    meeting = MeetingFactory(capacity=5)
    answer(meeting, seats=3, maybe=1)
    client.force_login(staff)

    response = post_meeting_capacity(client, meeting, 3)

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.capacity == 3


def test_raising_a_full_meeting_capacity_is_allowed(client, staff):
    meeting = MeetingFactory(capacity=3)
    answer(meeting, seats=3, waiting=2)
    client.force_login(staff)

    response = post_meeting_capacity(client, meeting, 5)

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.capacity == 5


def test_emptying_a_meeting_capacity_refuses_a_series_capacity_below_the_seats_taken(client, staff):
    meeting = MeetingFactory(capacity=5, series=SeriesFactory(capacity=2))
    answer(meeting, seats=3)
    client.force_login(staff)

    response = post_meeting_capacity(client, meeting, "")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "capacity": [
            "Empty means the series' capacity of 2 applies, but 3 seats are already taken."
        ]
    }
    meeting.refresh_from_db()
    assert meeting.capacity == 5


class TestSeriesCapacityBelowTheSeatsTaken:
    """A series of 5 seats, second Monday of the month; on Nov 26 Dec 14 is the next."""

    @pytest.fixture(autouse=True)
    def frozen_now(self):
        with time_machine.travel(datetime(2026, 11, 26, 9, 0, tzinfo=UTC), tick=False):
            yield

    @pytest.fixture
    def east(self, db):
        series = SeriesFactory(capacity=5)
        services.materialize_series(series=series)
        return series

    @pytest.fixture
    def december(self, east):
        meeting = east.meetings.get(starts_at=datetime(2026, 12, 14, 14, 0, tzinfo=UTC))
        answer(meeting, seats=3, waiting=1, maybe=1)
        return meeting

    @pytest.fixture
    def january(self, east):
        meeting = east.meetings.get(starts_at=datetime(2027, 1, 11, 14, 0, tzinfo=UTC))
        answer(meeting, seats=4)
        return meeting

    @pytest.fixture
    def february(self, east):
        meeting = east.meetings.get(starts_at=datetime(2027, 2, 8, 14, 0, tzinfo=UTC))
        answer(meeting, seats=1)
        return meeting

    def post_capacity(self, client, series: Series, capacity: object):
        data = form_data_from(client.get(change_series_url(series)))
        data["capacity"] = str(capacity)
        return client.post(change_series_url(series), data)

    def test_lowering_below_the_seats_taken_names_the_fuller_coming_meetings(
        self, client, staff, east, december, january, february
    ):
        client.force_login(staff)

        response = self.post_capacity(client, east, 2)

        message = (
            "A capacity of 2 is lower than the seats already taken at these coming meetings: "
            "Mon 14 Dec 2026, 14:00 UTC (3 taken); Mon 11 Jan 2027, 14:00 UTC (4 taken)."
        )
        assert response.status_code == 200
        assert response.context["adminform"].form.errors == {"capacity": [message]}
        assertContains(response, message)
        east.refresh_from_db()
        assert east.capacity == 5

    def test_lowering_below_the_seats_of_one_meeting_names_it_in_the_singular(
        self, client, staff, east, december, january, february
    ):
        client.force_login(staff)

        response = self.post_capacity(client, east, 3)

        assert response.context["adminform"].form.errors == {
            "capacity": [
                "A capacity of 3 is lower than the seats already taken at this coming meeting: "
                "Mon 11 Jan 2027, 14:00 UTC (4 taken)."
            ]
        }
        east.refresh_from_db()
        assert east.capacity == 5

    def test_lowering_to_exactly_the_most_seats_taken_is_allowed(
        self, client, staff, east, december, january, february
    ):
        client.force_login(staff)

        response = self.post_capacity(client, east, 4)

        assert response.status_code == 302
        east.refresh_from_db()
        assert east.capacity == 4

    def test_meetings_that_are_over_cancelled_or_have_their_own_capacity_do_not_count(
        self, client, staff, east, february
    ):
        over = MeetingFactory(
            series=east, starts_at=datetime(2026, 11, 9, 14, 0, tzinfo=UTC), capacity=None
        )
        answer(over, seats=4)
        own = east.meetings.get(starts_at=datetime(2027, 3, 8, 14, 0, tzinfo=UTC))
        own.capacity = 10
        own.save()
        answer(own, seats=6)
        cancelled = east.meetings.get(starts_at=datetime(2027, 4, 12, 14, 0, tzinfo=UTC))
        answer(cancelled, seats=4)
        services.cancel_meeting(meeting=cancelled)
        client.force_login(staff)

        response = self.post_capacity(client, east, 1)

        assert response.status_code == 302
        east.refresh_from_db()
        assert east.capacity == 1

    def test_raising_is_allowed(self, client, staff, east, december, january):
        client.force_login(staff)

        response = self.post_capacity(client, east, 6)

        assert response.status_code == 302
        east.refresh_from_db()
        assert east.capacity == 6


# Cancelling


def test_cancel_selected_asks_first_listing_the_meetings_and_changes_nothing(client, staff):
    first = MeetingFactory(starts_at=datetime(2027, 1, 11, 14, 0, tzinfo=UTC), title="East")
    second = MeetingFactory(starts_at=datetime(2027, 2, 8, 18, 30, tzinfo=UTC), title="West")
    client.force_login(staff)

    response = client.post(
        MEETING_LIST_URL,
        {"action": "cancel_selected", "_selected_action": [second.pk, first.pk]},
    )

    assert response.status_code == 200
    assertContains(response, "<h1>Cancel these 2 meetings?</h1>", html=True)
    assertContains(
        response,
        '<ul class="meetings-to-cancel">'
        "<li>“East” on Mon 11 Jan 2027, 14:00–15:30 UTC</li>"
        "<li>“West” on Mon 8 Feb 2027, 18:30–20:00 UTC</li>"
        "</ul>",
        html=True,
    )
    assertContains(response, '<textarea name="message"', count=1)
    assertContains(response, '<input type="hidden" name="post" value="yes">', html=True)
    rows = Meeting.objects.order_by("starts_at").values_list("status", "sequence")
    assert list(rows) == [("scheduled", 0), ("scheduled", 0)]


def test_cancel_selected_confirmation_gives_the_times_in_the_organizers_zone_and_utc(client, db):
    MeetingFactory(starts_at=datetime(2027, 1, 11, 14, 0, tzinfo=UTC), title="East")
    organizer = UserFactory(is_staff=True, is_superuser=True, timezone="Asia/Kolkata")
    client.force_login(organizer)

    response = cancel_selected(client, list(Meeting.objects.all()), confirm=False)

    assertContains(
        response,
        "<li>“East” on Mon 11 Jan 2027, 19:30–21:00 IST (14:00–15:30 UTC)</li>",
        html=True,
    )


def test_cancel_selected_cancels_the_meetings_with_the_message_and_bumps_sequence_once(
    client, staff
):
    first = MeetingFactory(starts_at=datetime(2027, 1, 11, 14, 0, tzinfo=UTC), title="East")
    second = MeetingFactory(starts_at=datetime(2027, 2, 8, 14, 0, tzinfo=UTC), title="East")
    untouched = MeetingFactory(starts_at=datetime(2027, 3, 8, 14, 0, tzinfo=UTC))
    client.force_login(staff)

    response = cancel_selected(client, [first, second], message="  We take a winter break.  ")

    assert messages_of(response) == [
        "Cancelled 2 meetings: “East” on Mon 11 Jan 2027, 14:00–15:30 UTC; “East” on "
        "Mon 8 Feb 2027, 14:00–15:30 UTC. Everyone who holds them will be sent the "
        "cancellation. The cancellation quotes your message."
    ]
    rows = Meeting.objects.order_by("starts_at").values_list(
        "pk", "status", "sequence", "detached", "cancellation_message"
    )
    assert list(rows) == [
        (first.pk, "cancelled", 1, True, "We take a winter break."),
        (second.pk, "cancelled", 1, True, "We take a winter break."),
        (untouched.pk, "scheduled", 0, False, ""),
    ]


def test_cancel_selected_without_a_message_cancels_with_none(client, staff):
    meeting = MeetingFactory(title="East")
    client.force_login(staff)

    response = cancel_selected(client, [meeting])

    assert messages_of(response) == [
        "Cancelled 1 meeting: “East” on Mon 11 Jan 2027, 14:00–15:30 UTC. Everyone who "
        "holds it will be sent the cancellation."
    ]
    meeting.refresh_from_db()
    assert (meeting.status, meeting.sequence, meeting.cancellation_message) == (
        "cancelled",
        1,
        "",
    )


def test_cancel_selected_with_a_message_too_long_is_refused_and_changes_nothing(
    client, staff, meeting
):
    client.force_login(staff)

    response = cancel_selected(client, [meeting], message="x" * 2001, follow=False)

    assert response.status_code == 400
    assertContains(
        response,
        "Ensure this value has at most 2000 characters (it has 2001).",
        status_code=400,
    )
    meeting.refresh_from_db()
    assert (meeting.status, meeting.sequence) == ("scheduled", 0)


def test_cancel_selected_lists_the_already_cancelled_apart_and_leaves_them(client, staff):
    done = MeetingFactory(
        starts_at=datetime(2027, 1, 11, 14, 0, tzinfo=UTC),
        title="Done",
        status=Meeting.Status.CANCELLED,
        sequence=1,
        cancellation_message="Snow.",
    )
    coming = MeetingFactory(starts_at=datetime(2027, 2, 8, 14, 0, tzinfo=UTC), title="Coming")
    client.force_login(staff)

    page = cancel_selected(client, [done, coming], confirm=False)
    response = cancel_selected(client, [done, coming], message="Rain.")

    assertContains(
        page,
        '<ul class="meetings-already-cancelled">'
        "<li>“Done” on Mon 11 Jan 2027, 14:00–15:30 UTC</li></ul>",
        html=True,
    )
    assert messages_of(response) == [
        "Cancelled 1 meeting: “Coming” on Mon 8 Feb 2027, 14:00–15:30 UTC. Everyone who "
        "holds it will be sent the cancellation. The cancellation quotes your message."
    ]
    rows = Meeting.objects.order_by("starts_at").values_list(
        "status", "sequence", "cancellation_message"
    )
    assert list(rows) == [("cancelled", 1, "Snow."), ("cancelled", 1, "Rain.")]


def test_cancel_selected_again_changes_nothing(client, staff, meeting):
    client.force_login(staff)
    cancel_selected(client, [meeting])
    meeting.refresh_from_db()
    updated_at = meeting.updated_at

    response = cancel_selected(client, [meeting], confirm=False)

    assert messages_of(response) == [
        "The selected meetings are already cancelled; nothing changed."
    ]
    meeting.refresh_from_db()
    assert (meeting.status, meeting.sequence, meeting.updated_at) == (
        "cancelled",
        1,
        updated_at,
    )


def test_staff_who_may_only_view_meetings_cannot_cancel_selected(client, meeting):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_meeting"))
    client.force_login(viewer)

    response = cancel_selected(client, [meeting], message="No.")

    assert response.status_code == 200
    assert "admin/meetings/meeting/cancel_selected_confirmation.html" not in [
        template.name for template in response.templates
    ]
    meeting.refresh_from_db()
    assert (meeting.status, meeting.sequence) == ("scheduled", 0)


@pytest.mark.parametrize("count", [1, 12])
def test_cancel_selected_confirmation_makes_the_same_queries_for_one_or_many(
    client, staff, django_assert_num_queries, count
):
    meetings = [
        MeetingFactory(starts_at=datetime(2027, 1, 11, 14, 0, tzinfo=UTC) + timedelta(days=n))
        for n in range(count)
    ]
    client.force_login(staff)

    # The session, the user, the list's own queries (its series filter and counts), and
    # the selected meetings once, however many.
    with django_assert_num_queries(7):
        response = cancel_selected(client, meetings, confirm=False, follow=False)

    assert response.status_code == 200
    assert len(response.context["to_cancel"]) == count


# The meeting list


def test_status_filter_lists_only_cancelled_meetings(client, staff):
    MeetingFactory(title="Still on")
    MeetingFactory(title="Called off", status=Meeting.Status.CANCELLED)
    client.force_login(staff)

    response = client.get(MEETING_LIST_URL, {"status": "cancelled"})

    assert changelist_titles(response) == ["Called off"]
    assertContains(response, "Called off")
    assert "Still on" not in response.content.decode()


def test_series_filter_lists_only_that_series(client, staff):
    east = SeriesFactory(name="CoP-F East")
    west = SeriesFactory(name="CoP-F West")
    MeetingFactory(series=east, title="East in January")
    MeetingFactory(series=west, title="West in January")
    client.force_login(staff)

    response = client.get(MEETING_LIST_URL, {"series__id__exact": east.pk})

    assert changelist_titles(response) == ["East in January"]


@time_machine.travel(datetime(2027, 1, 11, 15, 0, tzinfo=UTC), tick=False)
def test_upcoming_filter_lists_meetings_not_yet_over(client, staff):
    MeetingFactory(title="Over", starts_at=datetime(2027, 1, 11, 13, 0, tzinfo=UTC))
    MeetingFactory(title="Running", starts_at=datetime(2027, 1, 11, 14, 0, tzinfo=UTC))
    MeetingFactory(title="Next week", starts_at=datetime(2027, 1, 18, 14, 0, tzinfo=UTC))
    client.force_login(staff)

    response = client.get(MEETING_LIST_URL, {"when": "upcoming"})

    assert changelist_titles(response) == ["Running", "Next week"]


@time_machine.travel(datetime(2027, 1, 11, 15, 0, tzinfo=UTC), tick=False)
def test_past_filter_lists_meetings_that_are_over(client, staff):
    MeetingFactory(title="Last month", starts_at=datetime(2026, 12, 14, 14, 0, tzinfo=UTC))
    MeetingFactory(title="Just ended", starts_at=datetime(2027, 1, 11, 13, 30, tzinfo=UTC))
    MeetingFactory(title="Running", starts_at=datetime(2027, 1, 11, 14, 0, tzinfo=UTC))
    client.force_login(staff)

    response = client.get(MEETING_LIST_URL, {"when": "past"})

    assert changelist_titles(response) == ["Last month", "Just ended"]


def test_search_finds_meetings_by_title(client, staff):
    MeetingFactory(title="Harvest circle")
    MeetingFactory(title="Consent practice")
    client.force_login(staff)

    response = client.get(MEETING_LIST_URL, {"q": "Harvest"})

    assert changelist_titles(response) == ["Harvest circle"]


def test_meeting_list_shows_the_start_in_utc(client, staff, meeting):
    client.force_login(staff)

    response = client.get(MEETING_LIST_URL)

    assertContains(
        response, '<td class="field-start_utc">Mon 11 Jan 2027, 14:00 UTC</td>', html=True
    )


def test_meeting_list_query_count_does_not_grow_with_rows(client, staff, series):
    client.force_login(staff)
    MeetingFactory(series=series)
    with CaptureQueriesContext(connection) as one_row:
        client.get(MEETING_LIST_URL)
    for week in range(1, 10):
        MeetingFactory(
            series=SeriesFactory(),
            starts_at=datetime(2027, 1, 11, 14, 0, tzinfo=UTC) + timedelta(weeks=week),
        )

    with CaptureQueriesContext(connection) as many_rows:
        response = client.get(MEETING_LIST_URL)

    assert len(response.context["cl"].result_list) == 10
    assert len(many_rows) == len(one_row)


# Series


@time_machine.travel(datetime(2026, 11, 26, 9, 0, tzinfo=UTC), tick=False)
def test_adding_a_series_materializes_a_year_of_meetings(client, staff):
    client.force_login(staff)

    response = client.post(ADD_SERIES_URL, series_data(), follow=True)

    series = Series.objects.get()
    starts = list(series.meetings.values_list("starts_at", flat=True))
    assert len(starts) == 12
    assert (starts[0], starts[-1]) == (
        datetime(2026, 12, 14, 14, 0, tzinfo=UTC),
        datetime(2027, 11, 8, 14, 0, tzinfo=UTC),
    )
    assert messages_of(response)[0] == "Meetings: 12 created, 0 updated, 0 removed, 0 cancelled."


@time_machine.travel(datetime(2026, 11, 26, 9, 0, tzinfo=UTC), tick=False)
def test_adding_a_series_anchored_in_berlin_keeps_berlin_wall_clock_time(client, staff):
    client.force_login(staff)

    client.post(ADD_SERIES_URL, series_data(anchor_timezone="Europe/Berlin"))

    starts = Series.objects.get().meetings.values_list("starts_at", flat=True)
    assert list(starts[2:5]) == [
        datetime(2027, 2, 8, 13, 0, tzinfo=UTC),
        datetime(2027, 3, 8, 13, 0, tzinfo=UTC),
        datetime(2027, 4, 12, 12, 0, tzinfo=UTC),
    ]


@pytest.mark.parametrize(
    ("rrule", "error"),
    [
        (
            "FREQ=HOURLY",
            "FREQ=HOURLY is more frequent than daily; meetings repeat at most daily.",
        ),
        (
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
            "This rule produces no meeting within 10 years of the start date "
            "(check the days, months, COUNT and UNTIL).",
        ),
    ],
)
def test_adding_a_series_with_an_unusable_rule_shows_the_error_and_creates_nothing(
    client, staff, rrule, error
):
    client.force_login(staff)

    response = client.post(ADD_SERIES_URL, series_data(rrule=rrule))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"rrule": [error]}
    assertContains(response, error)
    assert Series.objects.count() == 0
    assert Meeting.objects.count() == 0


PREVIEW_HEADER = [
    "Starts (UTC)",
    "Note",
    "Los Angeles",
    "São Paulo",
    "London",
    "Nairobi",
    "Kolkata",
    "Tokyo",
    "Auckland",
]


@time_machine.travel(datetime(2026, 11, 26, 9, 0, tzinfo=UTC), tick=False)
def test_series_change_page_previews_the_next_six_meetings_in_utc_and_member_cities(
    client, staff, series
):
    client.force_login(staff)

    response = client.get(change_series_url(series))

    rows = preview_table(response)
    assert rows[0] == PREVIEW_HEADER
    assert rows[1] == [
        "Mon 14 Dec 2026, 14:00 UTC",
        "",
        "Mon 14 Dec, 06:00 PST",
        "Mon 14 Dec, 11:00 UTC−03",
        "Mon 14 Dec, 14:00 GMT",
        "Mon 14 Dec, 17:00 EAT",
        "Mon 14 Dec, 19:30 IST",
        "Mon 14 Dec, 23:00 JST",
        "Tue 15 Dec, 03:00 NZDT",
    ]
    assert [row[0] for row in rows[2:]] == [
        "Mon 11 Jan 2027, 14:00 UTC",
        "Mon 08 Feb 2027, 14:00 UTC",
        "Mon 08 Mar 2027, 14:00 UTC",
        "Mon 12 Apr 2027, 14:00 UTC",
        "Mon 10 May 2027, 14:00 UTC",
    ]


@time_machine.travel(datetime(2027, 3, 20, 9, 0, tzinfo=UTC), tick=False)
def test_series_preview_follows_each_citys_clock_changes(client, staff, series):
    client.force_login(staff)

    response = client.get(change_series_url(series))

    # 12 April: Los Angeles and London are on summer time, Auckland on winter time.
    assert preview_table(response)[1] == [
        "Mon 12 Apr 2027, 14:00 UTC",
        "",
        "Mon 12 Apr, 07:00 PDT",
        "Mon 12 Apr, 11:00 UTC−03",
        "Mon 12 Apr, 15:00 BST",
        "Mon 12 Apr, 17:00 EAT",
        "Mon 12 Apr, 19:30 IST",
        "Mon 12 Apr, 23:00 JST",
        "Tue 13 Apr, 02:00 NZST",
    ]


@time_machine.travel(datetime(2026, 11, 26, 9, 0, tzinfo=UTC), tick=False)
def test_series_preview_marks_the_cancelled_and_the_moved_meetings(client, staff, series):
    services.materialize_series(series=series)
    january = series.meetings.get(original_start=datetime(2027, 1, 11, 14, 0, tzinfo=UTC))
    services.cancel_meeting(meeting=january, message="Holiday.")
    february = series.meetings.get(original_start=datetime(2027, 2, 8, 14, 0, tzinfo=UTC))
    services.move_meeting(meeting=february, starts_at=datetime(2027, 2, 9, 16, 0, tzinfo=UTC))
    march = series.meetings.get(original_start=datetime(2027, 3, 8, 14, 0, tzinfo=UTC))
    services.update_meeting(meeting=march, title="Harvest circle")  # detached, not moved
    client.force_login(staff)

    response = client.get(change_series_url(series))

    rows = preview_table(response)
    assert [row[:3] for row in rows[1:5]] == [
        ["Mon 14 Dec 2026, 14:00 UTC", "", "Mon 14 Dec, 06:00 PST"],
        ["Mon 11 Jan 2027, 14:00 UTC", "Cancelled", "Mon 11 Jan, 06:00 PST"],
        [
            "Tue 09 Feb 2027, 16:00 UTC",
            "Moved from Mon 08 Feb 2027, 14:00 UTC",
            "Tue 9 Feb, 08:00 PST",
        ],
        ["Mon 08 Mar 2027, 14:00 UTC", "", "Mon 8 Mar, 06:00 PST"],
    ]
    assertContains(response, '<tr class="preview-cancelled">', count=1)
    assertContains(response, "<del>Mon 11 Jan 2027, 14:00 UTC</del>", count=1, html=True)
    assertContains(response, '<tr class="preview-moved">', count=1)


@time_machine.travel(datetime(2026, 11, 26, 9, 0, tzinfo=UTC), tick=False)
def test_series_preview_ignores_extra_meetings_and_other_series(client, staff, series):
    services.materialize_series(series=series)
    services.schedule_extra_meeting(
        title="Extra", series=series, starts_at=datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    )
    other = SeriesFactory()
    services.materialize_series(series=other)
    services.cancel_meeting(meeting=other.meetings.first())
    client.force_login(staff)

    response = client.get(change_series_url(series))

    rows = preview_table(response)
    assert [row[:2] for row in rows[1:3]] == [
        ["Mon 14 Dec 2026, 14:00 UTC", ""],
        ["Mon 11 Jan 2027, 14:00 UTC", ""],
    ]


@time_machine.travel(datetime(2026, 11, 26, 9, 0, tzinfo=UTC), tick=False)
def test_series_preview_of_a_rule_that_has_ended_says_so(client, staff):
    series = SeriesFactory(rrule="FREQ=MONTHLY;BYDAY=2MO;COUNT=3")
    client.force_login(staff)

    response = client.get(change_series_url(series))

    assertContains(
        response, '<div class="readonly">This rule produces no more meetings.</div>', html=True
    )


def test_series_change_page_states_the_rule_in_plain_words(client, staff, series):
    client.force_login(staff)

    response = client.get(change_series_url(series))

    assertContains(
        response,
        '<div class="readonly">Every month on the second Monday, 14:00–15:30 UTC</div>',
        html=True,
    )


@time_machine.travel(datetime(2027, 1, 20, 9, 0, tzinfo=UTC), tick=False)
def test_series_preview_anchored_in_berlin_moves_in_utc_when_berlin_clocks_change(client, staff):
    series = SeriesFactory(
        rrule="FREQ=MONTHLY;BYDAY=2MO",
        anchor_timezone="Europe/Berlin",
        start_date=date(2023, 5, 8),
        start_time=time(14, 0),
    )
    client.force_login(staff)

    response = client.get(change_series_url(series))

    assertContains(
        response,
        '<div class="readonly">Every month on the second Monday, 14:00–15:30 Europe/Berlin time'
        "</div>",
        html=True,
    )
    rows = preview_table(response)
    assert rows[0] == [
        "Starts (UTC)",
        "Note",
        "Europe/Berlin (the series' zone)",
        *PREVIEW_HEADER[2:],
    ]
    assert [row[:3] for row in rows[2:4]] == [
        ["Mon 08 Mar 2027, 13:00 UTC", "", "Mon 8 Mar, 14:00 CET"],
        ["Mon 12 Apr 2027, 12:00 UTC", "", "Mon 12 Apr, 14:00 CEST"],
    ]


@time_machine.travel(datetime(2027, 1, 20, 9, 0, tzinfo=UTC), tick=False)
def test_series_preview_anchored_in_a_city_it_shows_does_not_repeat_that_city(client, staff):
    series = SeriesFactory(anchor_timezone="Asia/Kolkata", start_time=time(19, 30))
    client.force_login(staff)

    response = client.get(change_series_url(series))

    rows = preview_table(response)
    assert rows[0] == PREVIEW_HEADER
    assert rows[1][0] == "Mon 08 Feb 2027, 14:00 UTC"
    assert rows[1][6] == "Mon 8 Feb, 19:30 IST"


def test_series_add_page_says_preview_comes_after_saving(client, staff):
    client.force_login(staff)

    response = client.get(ADD_SERIES_URL)

    assertContains(response, '<div class="readonly">Shown after saving.</div>', count=2, html=True)


# The series' call address


def test_a_series_without_a_call_address_is_flagged_on_its_change_page(client, staff):
    series = SeriesFactory(name="CoP-F East", join_url="")
    client.force_login(staff)

    response = client.get(change_series_url(series))

    assert messages_of(response) == [
        "“CoP-F East” has no call address: members have no link to join its meetings. "
        "Enter the join link of the call."
    ]
    assertContains(response, '<li class="warning">“CoP-F East” has no call address')


def test_a_series_with_the_seeds_placeholder_is_flagged_on_its_change_page(client, staff):
    series = SeriesFactory(name="CoP-F West", join_url=PLACEHOLDER_JOIN_URL)
    client.force_login(staff)

    response = client.get(change_series_url(series))

    assert messages_of(response) == [
        "The join link of “CoP-F West” is still the placeholder "
        "https://example.org/replace-with-your-call-link: replace it with the address of the "
        "real call."
    ]


def test_a_series_with_a_call_address_is_not_flagged(client, staff, series):
    client.force_login(staff)

    response = client.get(change_series_url(series))

    assert messages_of(response) == []


def test_saving_a_series_that_still_has_no_call_address_warns_again(client, staff):
    series = SeriesFactory(name="CoP-F East", join_url="")
    client.force_login(staff)
    data = form_data_from(client.get(change_series_url(series)))
    data["description"] = "Practice together."

    response = client.post(change_series_url(series), data, follow=True)

    assert messages_of(response)[1] == (
        "“CoP-F East” has no call address: members have no link to join its meetings. "
        "Enter the join link of the call."
    )


@time_machine.travel(datetime(2026, 11, 26, 9, 0, tzinfo=UTC), tick=False)
def test_replacing_the_placeholder_clears_the_warning(client, staff):
    series = SeriesFactory(name="CoP-F East", join_url=PLACEHOLDER_JOIN_URL)
    client.force_login(staff)
    data = form_data_from(client.get(change_series_url(series)))
    data["join_url"] = "https://meet.jit.si/copf-east"

    response = client.post(change_series_url(series), data, follow=True)

    assert messages_of(response) == [
        "Meetings: 12 created, 0 updated, 0 removed, 0 cancelled.",
        f'The series “<a href="{change_series_url(series)}">CoP-F East</a>” was changed '
        "successfully.",
    ]
    series.refresh_from_db()
    assert series.join_url == "https://meet.jit.si/copf-east"


def series_list_rows(response) -> list[tuple[str, str]]:
    admin_view = response.context["cl"].model_admin
    return [
        (series.name, admin_view.call_address(series))
        for series in response.context["cl"].result_list
    ]


def test_the_series_list_shows_which_call_addresses_are_missing(client, staff):
    SeriesFactory(name="A set", join_url="https://meet.jit.si/copf-east")
    SeriesFactory(name="B missing", join_url="")
    SeriesFactory(name="C placeholder", join_url=PLACEHOLDER_JOIN_URL)
    client.force_login(staff)

    response = client.get(SERIES_LIST_URL, {"o": "1"})

    assert series_list_rows(response) == [
        ("A set", "meet.jit.si"),
        ("B missing", "Missing"),
        ("C placeholder", "Placeholder: replace it"),
    ]
    assertContains(response, '<td class="field-call_address">Placeholder: replace it</td>')


def test_the_series_list_filters_the_series_whose_call_address_needs_attention(client, staff):
    SeriesFactory(name="A set", join_url="https://meet.jit.si/copf-east")
    SeriesFactory(name="B missing", join_url="")
    SeriesFactory(name="C placeholder", join_url=PLACEHOLDER_JOIN_URL)
    client.force_login(staff)

    missing = client.get(SERIES_LIST_URL, {"o": "1", "call_address": "missing"})
    fine = client.get(SERIES_LIST_URL, {"o": "1", "call_address": "set"})

    assert [name for name, _ in series_list_rows(missing)] == ["B missing", "C placeholder"]
    assert [name for name, _ in series_list_rows(fine)] == ["A set"]


@pytest.mark.parametrize("count", [1, 15])
def test_the_series_list_makes_the_same_queries_for_one_or_many(
    client, staff, django_assert_num_queries, count
):
    for number in range(count):
        SeriesFactory(join_url="" if number % 2 else PLACEHOLDER_JOIN_URL)
    client.force_login(staff)

    # The session, the user, and the list's count, total and page of rows.
    with django_assert_num_queries(5):
        response = client.get(SERIES_LIST_URL)

    assert len(response.context["cl"].result_list) == count


# The Organizers group


def test_organizers_group_may_manage_exactly_series_meetings_and_their_roles(db):
    group = Group.objects.get(name="Organizers")

    permissions = {
        f"{permission.content_type.app_label}.{permission.codename}"
        for permission in group.permissions.all()
    }

    assert permissions == {
        "meetings.add_series",
        "meetings.change_series",
        "meetings.delete_series",
        "meetings.view_series",
        "meetings.add_meeting",
        "meetings.change_meeting",
        "meetings.delete_meeting",
        "meetings.view_meeting",
        "members.add_role",
        "members.change_role",
        "members.delete_role",
        "members.view_role",
    }


def test_organizer_can_open_the_meeting_list(client, db):
    organizer = UserFactory(is_staff=True)
    organizer.groups.add(Group.objects.get(name="Organizers"))
    client.force_login(organizer)

    response = client.get(MEETING_LIST_URL)

    assert response.status_code == 200


def test_organizer_cannot_open_the_user_admin(client, db):
    organizer = UserFactory(is_staff=True)
    organizer.groups.add(Group.objects.get(name="Organizers"))
    client.force_login(organizer)

    response = client.get(reverse("admin:members_user_changelist"))

    assert response.status_code == 403


# --- deleting a meeting someone holds (issue 8, fault 2) ---------------------------------


def delete_meeting_url(meeting: Meeting) -> str:
    return reverse("admin:meetings_meeting_delete", args=[meeting.pk])


def cancel_meeting_url(meeting: Meeting) -> str:
    return reverse("admin:meetings_meeting_cancel", args=[meeting.pk])


def answered_meeting() -> Meeting:
    meeting = MeetingFactory(starts_at=datetime.now(UTC) + timedelta(days=7))
    Rsvp.objects.create(meeting=meeting, user=UserFactory(), response=Rsvp.Response.YES)
    return meeting


def test_deleting_a_meeting_someone_answered_is_refused_and_offers_to_cancel_it(client, staff):
    meeting = answered_meeting()
    client.force_login(staff)

    response = client.post(delete_meeting_url(meeting), {"post": "yes"}, follow=True)

    assert response.redirect_chain == [(cancel_meeting_url(meeting), 302)]
    assertContains(response, "so it cannot be deleted. Cancel it instead")
    assertContains(response, "Yes, cancel this meeting")
    assert Meeting.objects.filter(pk=meeting.pk, status=Meeting.Status.SCHEDULED).count() == 1


def test_cancelling_from_the_offer_cancels_the_meeting_and_bumps_its_sequence(client, staff):
    meeting = answered_meeting()
    client.force_login(staff)

    response = client.post(cancel_meeting_url(meeting))

    meeting.refresh_from_db()
    assert response.status_code == 302
    assert (meeting.status, meeting.sequence) == ("cancelled", 1)


def test_the_cancel_page_asks_first_and_changes_nothing(client, staff):
    meeting = answered_meeting()
    client.force_login(staff)

    response = client.get(cancel_meeting_url(meeting))

    meeting.refresh_from_db()
    assert response.status_code == 200
    assert (meeting.status, meeting.sequence) == ("scheduled", 0)


def test_the_cancel_page_gives_the_time_in_the_organizers_zone_and_in_utc(client, db):
    meeting = MeetingFactory(title="CoP-F East")
    organizer = UserFactory(is_staff=True, is_superuser=True, timezone="Europe/Berlin")
    client.force_login(organizer)

    response = client.get(cancel_meeting_url(meeting))

    assertContains(
        response,
        "Cancel “CoP-F East” on Mon 11 Jan 2027, 15:00–16:30 CET (14:00–15:30 UTC)? It stays "
        "on the schedule marked as cancelled",
    )
    assertContains(response, '<textarea name="message"', count=1)


def test_the_cancel_page_of_an_organizer_in_utc_names_utc_once(client, staff):
    meeting = MeetingFactory(title="CoP-F East")
    client.force_login(staff)

    response = client.get(cancel_meeting_url(meeting))

    assertContains(response, "Cancel “CoP-F East” on Mon 11 Jan 2027, 14:00–15:30 UTC? It")


def test_cancelling_with_a_message_keeps_it_for_the_cancellation_email(client, db):
    meeting = MeetingFactory(title="CoP-F East")
    organizer = UserFactory(is_staff=True, is_superuser=True, timezone="Asia/Tokyo")
    client.force_login(organizer)

    response = client.post(
        cancel_meeting_url(meeting),
        {"message": "Our host is ill.\r\nSee you next month!"},
        follow=True,
    )

    assert response.redirect_chain == [(change_meeting_url(meeting), 302)]
    assert messages_of(response) == [
        "“CoP-F East” on Mon 11 Jan 2027, 23:00–00:30 (+1 day) JST (14:00–15:30 UTC) is "
        "cancelled. "
        "Everyone who holds it will be sent the cancellation with your message."
    ]
    meeting.refresh_from_db()
    assert (meeting.status, meeting.sequence, meeting.cancellation_message) == (
        "cancelled",
        1,
        "Our host is ill.\nSee you next month!",
    )


def test_cancelling_without_a_message_says_so_plainly(client, staff):
    meeting = MeetingFactory(title="CoP-F East")
    client.force_login(staff)

    response = client.post(cancel_meeting_url(meeting), {"message": "   "}, follow=True)

    assert messages_of(response) == [
        "“CoP-F East” on Mon 11 Jan 2027, 14:00–15:30 UTC is cancelled. Everyone who holds it "
        "will be sent the cancellation."
    ]
    meeting.refresh_from_db()
    assert (meeting.status, meeting.cancellation_message) == ("cancelled", "")


def test_cancelling_with_a_message_too_long_is_refused_and_changes_nothing(client, staff):
    meeting = MeetingFactory()
    client.force_login(staff)

    response = client.post(cancel_meeting_url(meeting), {"message": "x" * 2001})

    assert response.status_code == 400
    assertContains(
        response,
        "Ensure this value has at most 2000 characters (it has 2001).",
        status_code=400,
    )
    meeting.refresh_from_db()
    assert (meeting.status, meeting.sequence, meeting.cancellation_message) == (
        "scheduled",
        0,
        "",
    )


def test_cancelling_a_cancelled_meeting_again_changes_nothing(client, staff):
    meeting = MeetingFactory(
        title="CoP-F East",
        status=Meeting.Status.CANCELLED,
        sequence=1,
        cancellation_message="Snow.",
    )
    client.force_login(staff)

    response = client.post(cancel_meeting_url(meeting), {"message": "Rain."})

    assert response.status_code == 200
    assertContains(
        response, "“CoP-F East” on Mon 11 Jan 2027, 14:00–15:30 UTC is already cancelled."
    )
    meeting.refresh_from_db()
    assert (meeting.sequence, meeting.cancellation_message) == (1, "Snow.")


def test_the_meeting_change_page_links_to_cancelling_it(client, staff, meeting):
    client.force_login(staff)

    response = client.get(change_meeting_url(meeting))

    assertContains(
        response,
        f'<li><a href="{cancel_meeting_url(meeting)}">Cancel this meeting</a></li>',
        html=True,
    )


def test_a_cancelled_meeting_has_no_link_to_cancel_it_again(client, staff):
    meeting = MeetingFactory(status=Meeting.Status.CANCELLED, sequence=1)
    client.force_login(staff)

    response = client.get(change_meeting_url(meeting))

    assert response.status_code == 200
    assert cancel_meeting_url(meeting) not in response.content.decode()


def test_a_meeting_nobody_holds_can_still_be_deleted(client, staff):
    meeting = MeetingFactory(starts_at=datetime.now(UTC) + timedelta(days=7))
    client.force_login(staff)

    response = client.post(delete_meeting_url(meeting), {"post": "yes"})

    assert response.status_code == 302
    assert Meeting.objects.filter(pk=meeting.pk).exists() is False


def test_staff_without_change_permission_cannot_cancel_from_the_offer(client, db):
    meeting = answered_meeting()
    viewer = UserFactory(is_staff=True)
    client.force_login(viewer)

    response = client.post(cancel_meeting_url(meeting))

    meeting.refresh_from_db()
    assert response.status_code == 403
    assert meeting.status == "scheduled"


def test_deleting_a_series_whose_meetings_someone_holds_deletes_nothing(client, staff):
    meeting = answered_meeting()
    client.force_login(staff)

    response = client.post(
        reverse("admin:meetings_series_delete", args=[meeting.series_id]), {"post": "yes"}
    )

    assert response.status_code == 200
    assertContains(response, "protected")
    assert Meeting.objects.filter(pk=meeting.pk).exists() is True


# Dates at the edges of the calendar: refused with a message, never an OverflowError

OUT_OF_SPAN = "Enter a date in the years 1970 to 2200."
OUT_OF_SPAN_UTC = "Enter a time in the years 1970 to 2200 (UTC)."
EDGE_STARTS = [
    pytest.param("UTC", "9999-12-31T23:59", id="last-minute-of-the-calendar"),
    pytest.param("America/New_York", "9999-12-31T23:00", id="after-9999-in-utc"),
    pytest.param("Asia/Tokyo", "0001-01-01T00:00", id="before-year-1-in-utc"),
    pytest.param("UTC", "0001-01-01T00:00", id="first-minute-of-the-calendar"),
]


@pytest.mark.parametrize(("zone", "start"), EDGE_STARTS)
def test_an_extra_meeting_at_the_edge_of_the_calendar_is_refused_and_creates_nothing(
    client, staff, zone, start
):
    client.force_login(staff)

    response = client.post(ADD_MEETING_URL, extra_meeting_data(time_zone=zone, local_start=start))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"local_start": [OUT_OF_SPAN]}
    assertContains(response, OUT_OF_SPAN)
    assert Meeting.objects.count() == 0


def test_an_extra_meeting_that_is_still_1969_in_utc_is_refused(client, staff):
    client.force_login(staff)

    response = client.post(
        ADD_MEETING_URL,
        extra_meeting_data(time_zone="Asia/Tokyo", local_start="1970-01-01T08:30"),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"local_start": [OUT_OF_SPAN_UTC]}
    assert Meeting.objects.count() == 0


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("1970-01-01T00:00", datetime(1970, 1, 1, 0, 0, tzinfo=UTC)),
        ("2200-12-31T23:59", datetime(2200, 12, 31, 23, 59, tzinfo=UTC)),
    ],
)
def test_an_extra_meeting_at_either_end_of_the_supported_years_is_scheduled(
    client, staff, start, expected
):
    client.force_login(staff)

    response = client.post(ADD_MEETING_URL, extra_meeting_data(local_start=start))

    assert response.status_code == 302
    assert list(Meeting.objects.values_list("starts_at", "ends_at")) == [
        (expected, expected + timedelta(minutes=60))
    ]


@pytest.mark.parametrize(("zone", "start"), EDGE_STARTS)
def test_moving_a_meeting_to_the_edge_of_the_calendar_is_refused_and_changes_nothing(
    client, staff, meeting, zone, start
):
    client.force_login(staff)
    data = form_data_from(client.get(change_meeting_url(meeting)))
    data.update(time_zone=zone, local_start=start)

    response = client.post(change_meeting_url(meeting), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"local_start": [OUT_OF_SPAN]}
    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.sequence, meeting.detached) == (
        datetime(2027, 1, 11, 14, 0, tzinfo=UTC),
        0,
        False,
    )


@pytest.mark.parametrize(
    "query",
    [
        "starts_at__year=9999",
        "starts_at__year=9999&starts_at__month=12",
        "starts_at__year=9999&starts_at__month=12&starts_at__day=31",
        "starts_at__year=1&starts_at__month=1&starts_at__day=1",
        "starts_at__year=99999999999999999999",
    ],
)
def test_the_meeting_list_drilled_down_past_the_supported_years_is_refused_not_a_500(
    client, db, query
):
    client.force_login(UserFactory(is_staff=True, is_superuser=True, timezone="Asia/Tokyo"))

    response = client.get(f"{MEETING_LIST_URL}?{query}")

    assert (response.status_code, response["Location"]) == (302, f"{MEETING_LIST_URL}?e=1")


def test_the_meeting_list_drilled_down_to_a_supported_year_lists_its_meetings(client, staff):
    MeetingFactory(title="In 2027")
    MeetingFactory(title="In 2028", starts_at=datetime(2028, 1, 10, 14, 0, tzinfo=UTC))
    client.force_login(staff)

    response = client.get(f"{MEETING_LIST_URL}?starts_at__year=2027")

    assert changelist_titles(response) == ["In 2027"]


@pytest.mark.parametrize(
    ("anchor", "start_date"),
    [
        ("UTC", "9999-12-31"),
        ("America/New_York", "9999-12-31"),
        ("Asia/Tokyo", "0001-01-01"),
        ("UTC", "1969-12-31"),
    ],
)
def test_a_series_starting_at_the_edge_of_the_calendar_is_refused_and_creates_nothing(
    client, staff, anchor, start_date
):
    client.force_login(staff)

    response = client.post(
        ADD_SERIES_URL,
        series_data(anchor_timezone=anchor, start_date=start_date, start_time="23:59"),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"start_date": [OUT_OF_SPAN]}
    assert Series.objects.count() == 0
    assert Meeting.objects.count() == 0


@pytest.mark.parametrize(
    ("anchor", "start_date"), [("UTC", "9999-12-31"), ("Asia/Tokyo", "0001-01-01")]
)
def test_moving_a_series_start_to_the_edge_of_the_calendar_is_refused_and_changes_nothing(
    client, staff, series, anchor, start_date
):
    client.force_login(staff)
    data = form_data_from(client.get(change_series_url(series)))
    data.update(anchor_timezone=anchor, start_date=start_date, start_time="23:59")

    response = client.post(change_series_url(series), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"start_date": [OUT_OF_SPAN]}
    series.refresh_from_db()
    assert (series.start_date, series.start_time, str(series.anchor_timezone)) == (
        date(2023, 5, 8),
        time(14, 0),
        "UTC",
    )


@pytest.mark.parametrize(
    ("anchor", "until"),
    [
        ("Asia/Tokyo", "99991231T235959Z"),
        ("America/New_York", "00010101T000000Z"),
        ("UTC", "22010101"),
    ],
)
def test_a_series_rule_until_the_edge_of_the_calendar_is_refused_and_creates_nothing(
    client, staff, anchor, until
):
    client.force_login(staff)

    response = client.post(
        ADD_SERIES_URL, series_data(anchor_timezone=anchor, rrule=f"FREQ=DAILY;UNTIL={until}")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "rrule": [f"UNTIL={until} must fall in the years 1970 to 2200."]
    }
    assert Series.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("duration", "999999999 00:00:00", "A meeting can last at most 24 hours."),
        (
            "rrule",
            "FREQ=HOURLY",
            "FREQ=HOURLY is more frequent than daily; meetings repeat at most daily.",
        ),
        (
            "rrule",
            "FREQ=MONTHLY;BYDAY=9MO",
            "BYDAY=9MO: the number must be from 1 to 5 or -1 to -5.",
        ),
    ],
)
def test_a_refused_series_change_shows_the_saved_schedule_beside_the_error(
    client, staff, series, field, value, error
):
    client.force_login(staff)
    data = form_data_from(client.get(change_series_url(series)))
    data[field] = value

    response = client.post(change_series_url(series), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {field: [error]}
    assertContains(
        response,
        '<div class="readonly">Every month on the second Monday, 14:00–15:30 UTC</div>',
        html=True,
    )
    series.refresh_from_db()
    assert (series.rrule, series.duration) == ("FREQ=MONTHLY;BYDAY=2MO", timedelta(minutes=90))


# Time zones that name no place (the server's localtime, posixrules, Factory)

NOT_A_PLACE = (
    "“%s” is not a time zone we know. Pick one from the list, "
    "for example Europe/Berlin or Asia/Kolkata."
)


@pytest.mark.parametrize("zone", ["posixrules", "localtime", "Factory"])
def test_a_series_anchored_in_a_zone_that_names_no_place_is_refused_and_changes_nothing(
    client, staff, series, zone
):
    client.force_login(staff)
    data = form_data_from(client.get(change_series_url(series)))
    data["anchor_timezone"] = zone

    response = client.post(change_series_url(series), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"anchor_timezone": [NOT_A_PLACE % zone]}
    series.refresh_from_db()
    assert str(series.anchor_timezone) == "UTC"


def test_adding_a_series_anchored_in_localtime_is_refused_and_creates_nothing(client, staff):
    client.force_login(staff)

    response = client.post(ADD_SERIES_URL, series_data(anchor_timezone="localtime"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "anchor_timezone": [NOT_A_PLACE % "localtime"]
    }
    assert Series.objects.count() == 0


@time_machine.travel(datetime(2026, 11, 26, 9, 0, tzinfo=UTC), tick=False)
def test_a_series_anchored_under_a_legacy_name_is_stored_under_its_current_name(client, staff):
    client.force_login(staff)

    response = client.post(ADD_SERIES_URL, series_data(anchor_timezone="Europe/Kiev"))

    assert response.status_code == 302
    assert str(Series.objects.get().anchor_timezone) == "Europe/Kyiv"


@pytest.mark.parametrize("zone", ["posixrules", "localtime", "Factory"])
def test_an_extra_meeting_in_a_zone_that_names_no_place_is_refused_and_creates_nothing(
    client, staff, zone
):
    client.force_login(staff)

    response = client.post(ADD_MEETING_URL, extra_meeting_data(time_zone=zone))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"time_zone": [NOT_A_PLACE % zone]}
    assert Meeting.objects.count() == 0


def test_an_extra_meeting_in_a_legacy_zone_is_read_in_its_current_zone(client, staff):
    client.force_login(staff)

    response = client.post(
        ADD_MEETING_URL,
        extra_meeting_data(time_zone="Asia/Calcutta", local_start="2027-03-01T19:30"),
    )

    assert response.status_code == 302
    assert Meeting.objects.get().starts_at == datetime(2027, 3, 1, 14, 0, tzinfo=UTC)


def test_saving_a_series_in_the_admin_locks_the_version_first(client, staff, series):
    client.force_login(staff)
    data = form_data_from(client.get(change_series_url(series)))
    data["name"] = "CoP-F Americas"

    assert takes_the_version_lock_first(lambda: client.post(change_series_url(series), data))
    assert Series.objects.get(pk=series.pk).name == "CoP-F Americas"


def test_saving_a_meeting_in_the_admin_locks_the_version_first(client, staff, meeting):
    client.force_login(staff)
    data = form_data_from(client.get(change_meeting_url(meeting)))
    data["title"] = "Harvest circle"

    assert takes_the_version_lock_first(lambda: client.post(change_meeting_url(meeting), data))
    assert Meeting.objects.get(pk=meeting.pk).title == "Harvest circle"
