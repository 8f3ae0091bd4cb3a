import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import time_machine
import vobject
from allauth.account.models import EmailAddress
from django.core.cache import caches
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date

from meetings import feeds, services
from meetings.models import Meeting, Series
from members.models import AgendaItem, RoleAssignment, User
from members.practice import agenda, roles
from tests.factories import MeetingFactory, SeriesFactory, UserFactory

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
FEEDS = ["/calendar.ics", "/series/cop-f-east/calendar.ics"]
EAST_STARTS = [
    datetime(2026, 12, 14, 14, tzinfo=UTC),
    datetime(2027, 1, 11, 14, tzinfo=UTC),
    datetime(2027, 2, 8, 14, tzinfo=UTC),
    datetime(2027, 3, 8, 14, tzinfo=UTC),
    datetime(2027, 4, 12, 14, tzinfo=UTC),
    datetime(2027, 5, 10, 14, tzinfo=UTC),
    datetime(2027, 6, 14, 14, tzinfo=UTC),
    datetime(2027, 7, 12, 14, tzinfo=UTC),
    datetime(2027, 8, 9, 14, tzinfo=UTC),
    datetime(2027, 9, 13, 14, tzinfo=UTC),
    datetime(2027, 10, 11, 14, tzinfo=UTC),
    datetime(2027, 11, 8, 14, tzinfo=UTC),
]


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def fresh_feed_cache():
    """Rendered feeds are cached per ETag; each test builds its own."""
    caches["feeds"].clear()
    yield
    caches["feeds"].clear()


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = "https://copf.example.org"
    settings.DEFAULT_FROM_EMAIL = "CoP-F <noreply@copf.example.org>"


@pytest.fixture
def east(db):
    """CoP-F East: anchored to UTC, on the second Monday of each month at 14:00 UTC."""
    series = SeriesFactory(
        slug="cop-f-east",
        name="CoP-F East",
        rrule="FREQ=MONTHLY;BYDAY=2MO",
        start_date=date(2023, 5, 8),
        start_time=time(14, 0),
    )
    services.materialize_series(series=series)
    return series


@pytest.fixture
def berlin(db):
    """Every Sunday at 10:00 Berlin time, through both clock changes of 2027."""
    series = SeriesFactory(
        slug="berlin-sundays",
        name="Berlin Sunday circle",
        rrule="FREQ=WEEKLY;BYDAY=SU",
        anchor_timezone="Europe/Berlin",
        start_date=date(2026, 1, 4),
        start_time=time(10, 0),
        duration=timedelta(hours=1),
    )
    services.materialize_series(series=series)
    return series


def meeting_on(series: Series, day: date) -> Meeting:
    return series.meetings.get(starts_at__date=day)


def read_with_vobject(content: bytes) -> list[tuple[str, datetime, datetime, str, str, int]]:
    """(UID, start, end, summary, status, sequence) of each event, as vobject reads them."""
    calendar = vobject.readOne(content.decode(), validate=True)
    return [
        (
            event.uid.value,
            event.dtstart.value.astimezone(UTC),
            event.dtend.value.astimezone(UTC),
            event.summary.value,
            event.status.value,
            int(event.sequence.value),
        )
        for event in calendar.contents.get("vevent", [])
    ]


def read_with_recurring_ical_events(content: bytes) -> list[tuple[str, datetime, datetime]]:
    """(UID, start, end) of each occurrence recurring-ical-events finds, soonest first."""
    calendar = icalendar.Calendar.from_ical(content)
    occurrences = recurring_ical_events.of(calendar).between(*EVER)
    found = [
        (str(event["UID"]), event.start.astimezone(UTC), event.end.astimezone(UTC))
        for event in occurrences
    ]
    return sorted(found, key=lambda row: (row[1], row[0]))


def database_rows(meetings) -> list[tuple[str, datetime, datetime, str, str, int]]:
    return [
        (
            f"copf-meeting-{meeting.pk}@copf.example.org",
            meeting.starts_at,
            meeting.ends_at,
            meeting.title,
            {"scheduled": "CONFIRMED", "cancelled": "CANCELLED"}[meeting.status],
            meeting.sequence,
        )
        for meeting in meetings.order_by("starts_at", "pk")
    ]


def in_window(**filters: object):
    return Meeting.objects.filter(starts_at__gte=NOW - timedelta(days=90), **filters)


def uids(content: bytes) -> list[str]:
    return [row[0] for row in read_with_vobject(content)]


def event_by_uid(content: bytes, uid: str) -> tuple[str, datetime, datetime, str, str, int]:
    (row,) = [row for row in read_with_vobject(content) if row[0] == uid]
    return row


def uid_of(meeting: Meeting) -> str:
    return f"copf-meeting-{meeting.pk}@copf.example.org"


@pytest.mark.django_db
class TestHeaders:
    @pytest.mark.parametrize("url", [*FEEDS, "/series/berlin-sundays/calendar.ics"])
    def test_a_feed_is_a_utf8_calendar_cached_briefly(self, client, east, berlin, url):
        response = client.get(url)

        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert response["Cache-Control"] == "public, max-age=300"
        assert "Content-Disposition" not in response

    def test_a_single_meeting_is_an_attachment_with_an_ics_filename(self, client, east):
        meeting = meeting_on(east, date(2026, 12, 14))

        response = client.get(f"/meetings/{meeting.pk}/calendar.ics")

        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert response["Content-Disposition"] == (
            'attachment; filename="cop-f-east-2026-12-14.ics"'
        )
        assert response["Cache-Control"] == "public, max-age=300"

    @pytest.mark.parametrize("url", FEEDS)
    def test_a_feed_has_a_strong_etag_and_last_modified(self, client, east, url):
        response = client.get(url)

        assert re.fullmatch(r'"[0-9a-f]{40}"', response["ETag"])
        assert response["Last-Modified"] == "Thu, 26 Nov 2026 09:00:00 GMT"

    def test_a_single_meeting_has_a_strong_etag_and_last_modified(self, client, east):
        meeting = meeting_on(east, date(2026, 12, 14))

        response = client.get(f"/meetings/{meeting.pk}/calendar.ics")

        assert re.fullmatch(r'"[0-9a-f]{40}"', response["ETag"])
        assert response["Last-Modified"] == "Thu, 26 Nov 2026 09:00:00 GMT"

    @pytest.mark.parametrize("url", [*FEEDS, "/meetings/{pk}/calendar.ics"])
    def test_if_none_match_with_the_etag_is_a_304_with_no_body(self, client, east, url):
        url = url.format(pk=meeting_on(east, date(2026, 12, 14)).pk)
        etag = client.get(url)["ETag"]

        response = client.get(url, headers={"If-None-Match": etag})

        assert response.status_code == 304
        assert response.content == b""
        assert response["ETag"] == etag

    @pytest.mark.parametrize("url", [*FEEDS, "/meetings/{pk}/calendar.ics"])
    def test_a_304_keeps_the_etag_last_modified_and_cache_control(self, client, east, url):
        url = url.format(pk=meeting_on(east, date(2026, 12, 14)).pk)
        feed = client.get(url)

        response = client.get(url, headers={"If-None-Match": feed["ETag"]})

        assert response.status_code == 304
        assert (response["ETag"], response["Last-Modified"], response["Cache-Control"]) == (
            feed["ETag"],
            "Thu, 26 Nov 2026 09:00:00 GMT",
            "public, max-age=300",
        )

    @pytest.mark.parametrize("url", FEEDS)
    def test_if_none_match_star_is_a_304(self, client, east, url):
        response = client.get(url, headers={"If-None-Match": "*"})

        assert response.status_code == 304

    @pytest.mark.parametrize("url", FEEDS)
    def test_if_none_match_with_the_etag_among_others_is_a_304(self, client, east, url):
        etag = client.get(url)["ETag"]

        response = client.get(url, headers={"If-None-Match": f'"older", {etag}'})

        assert response.status_code == 304

    @pytest.mark.parametrize("url", FEEDS)
    def test_if_none_match_with_the_weak_form_of_the_etag_is_a_304(self, client, east, url):
        # RFC 9110 13.1.2: If-None-Match compares weakly; proxies that compress (nginx gzip)
        # hand clients W/"..." for a strong ETag.
        etag = client.get(url)["ETag"]

        response = client.get(url, headers={"If-None-Match": f"W/{etag}"})

        assert response.status_code == 304

    @pytest.mark.parametrize("url", [*FEEDS, "/meetings/{pk}/calendar.ics"])
    def test_if_modified_since_last_modified_is_a_304_with_no_body(self, client, east, url):
        url = url.format(pk=meeting_on(east, date(2026, 12, 14)).pk)
        last_modified = client.get(url)["Last-Modified"]

        response = client.get(url, headers={"If-Modified-Since": last_modified})

        assert response.status_code == 304
        assert response.content == b""

    @pytest.mark.parametrize("url", FEEDS)
    def test_if_modified_since_an_earlier_time_gets_the_feed(self, client, east, url):
        earlier = http_date((NOW - timedelta(seconds=1)).timestamp())

        response = client.get(url, headers={"If-Modified-Since": earlier})

        assert response.status_code == 200
        assert len(read_with_vobject(response.content)) == 12

    @pytest.mark.parametrize("url", FEEDS)
    def test_a_stale_etag_wins_over_a_current_if_modified_since(self, client, east, url):
        last_modified = client.get(url)["Last-Modified"]

        response = client.get(
            url, headers={"If-None-Match": '"stale"', "If-Modified-Since": last_modified}
        )

        assert response.status_code == 200

    @pytest.mark.parametrize("url", [*FEEDS, "/meetings/{pk}/calendar.ics"])
    def test_head_answers_200_with_no_body_and_the_same_etag(self, client, east, url):
        url = url.format(pk=meeting_on(east, date(2026, 12, 14)).pk)
        get = client.get(url)

        head = client.head(url)

        assert head.status_code == 200
        assert head.content == b""
        assert head["ETag"] == get["ETag"]
        assert head["Content-Type"] == "text/calendar; charset=utf-8"

    @pytest.mark.parametrize(
        "url", ["/series/no-such-series/calendar.ics", "/meetings/999999/calendar.ics"]
    )
    def test_an_unknown_series_or_meeting_is_a_404(self, client, east, url):
        response = client.get(url)

        assert response.status_code == 404

    @pytest.mark.parametrize("url", [*FEEDS, "/meetings/{pk}/calendar.ics"])
    def test_post_is_not_allowed(self, client, east, url):
        url = url.format(pk=meeting_on(east, date(2026, 12, 14)).pk)

        response = client.post(url)

        assert response.status_code == 405


def move(meeting: Meeting) -> None:
    services.move_meeting(meeting=meeting, starts_at=meeting.starts_at + timedelta(hours=1))


def cancel(meeting: Meeting) -> None:
    services.cancel_meeting(meeting=meeting)


def rename(meeting: Meeting) -> None:
    services.update_meeting(meeting=meeting, title="CoP-F East: harvest")


def delete(meeting: Meeting) -> None:
    meeting.delete()


def add_extra_meeting(meeting: Meeting) -> None:
    services.schedule_extra_meeting(
        title="Extra practice",
        starts_at=datetime(2027, 1, 20, 14, tzinfo=UTC),
        series=meeting.series,
    )


def rename_series(meeting: Meeting) -> None:
    series = meeting.series
    series.name = "CoP-F East (Asia and Europe)"
    series.save()


def edit_series_description(meeting: Meeting) -> None:
    series = meeting.series
    series.description = "Now with a check-in round."
    series.save()


CHANGES = [move, cancel, rename, delete, add_extra_meeting, rename_series, edit_series_description]


@pytest.mark.django_db
class TestEtagChanges:
    @pytest.mark.parametrize("url", FEEDS)
    def test_the_etag_stays_the_same_while_nothing_changes(self, client, east, url, frozen_now):
        first = client.get(url)
        caches["feeds"].clear()
        frozen_now.shift(timedelta(minutes=30))

        second = client.get(url)

        assert second["ETag"] == first["ETag"]
        assert second.content == first.content

    @pytest.mark.parametrize("change", CHANGES)
    @pytest.mark.parametrize("url", FEEDS)
    def test_the_etag_and_the_feed_change_after_a_change(
        self, client, east, url, change, frozen_now
    ):
        before = client.get(url)
        frozen_now.shift(timedelta(minutes=1))

        change(meeting_on(east, date(2027, 2, 8)))

        after = client.get(url, headers={"If-None-Match": before["ETag"]})
        assert after.status_code == 200
        assert after["ETag"] != before["ETag"]

    @pytest.mark.parametrize("change", [move, cancel, rename, rename_series])
    def test_a_single_meetings_etag_changes_after_a_change(self, client, east, change, frozen_now):
        meeting = meeting_on(east, date(2027, 2, 8))
        url = f"/meetings/{meeting.pk}/calendar.ics"
        before = client.get(url)
        frozen_now.shift(timedelta(minutes=1))

        change(meeting)

        after = client.get(url, headers={"If-None-Match": before["ETag"]})
        assert after.status_code == 200
        assert after["ETag"] != before["ETag"]

    def test_a_change_to_another_series_leaves_a_series_feed_alone(
        self, client, east, berlin, frozen_now
    ):
        url = "/series/cop-f-east/calendar.ics"
        before = client.get(url)
        frozen_now.shift(timedelta(minutes=1))

        cancel(meeting_on(berlin, date(2027, 3, 28)))

        after = client.get(url, headers={"If-None-Match": before["ETag"]})
        assert after.status_code == 304

    @pytest.mark.parametrize("url", FEEDS)
    def test_after_a_deletion_if_modified_since_gets_the_new_feed(
        self, client, east, url, frozen_now
    ):
        before = client.get(url)
        deleted = meeting_on(east, date(2027, 2, 8))
        deleted_uid = uid_of(deleted)
        frozen_now.shift(timedelta(minutes=1))
        deleted.delete()

        after = client.get(url, headers={"If-Modified-Since": before["Last-Modified"]})

        assert after.status_code == 200
        assert deleted_uid in uids(before.content)
        assert deleted_uid not in uids(after.content)


# --- the practice: role holders and the agenda change the DESCRIPTION, never the SEQUENCE ---


def verified(name: str, **fields: object) -> User:
    user = UserFactory(display_name=name, email=f"{name.lower()}@example.org", **fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def practice(east):
    """CoP-F's roles on East, a member to take them and an organizer to run the agenda;
    the meeting of 8 February 2027 with one item proposed and one on the agenda."""
    roles.give_default_roles(series=east)
    meeting = meeting_on(east, date(2027, 2, 8))
    asha, organizer = verified("Asha"), verified("Olu", is_superuser=True, is_staff=True)
    proposed = agenda.propose_item(
        user=asha, meeting=meeting, title="Case clinic", description="", minutes=45
    )
    accepted = agenda.propose_item(
        user=asha, meeting=meeting, title="Check-in", description="", minutes=10
    )
    agenda.decide_item(user=organizer, item=accepted, accept=True)
    return {"meeting": meeting, "asha": asha, "organizer": organizer, "proposed": proposed}


def take_a_role(practice) -> None:
    roles.take_role(user=practice["asha"], meeting=practice["meeting"], role="facilitator")


def give_a_role_back(practice) -> None:
    roles.give_back_role(user=practice["asha"], meeting=practice["meeting"], role="host")


def accept_an_item(practice) -> None:
    agenda.decide_item(user=practice["organizer"], item=practice["proposed"], accept=True)


def decline_the_accepted_item(practice) -> None:
    accepted = practice["meeting"].agenda_items.get(status=AgendaItem.Status.ACCEPTED)
    agenda.decide_item(user=practice["organizer"], item=accepted, accept=False)


PRACTICE_CHANGES = [take_a_role, give_a_role_back, accept_an_item, decline_the_accepted_item]


def description_of(content: bytes, meeting: Meeting) -> tuple[str, int]:
    """The DESCRIPTION and SEQUENCE of the meeting's event."""
    calendar = vobject.readOne(content.decode(), validate=True)
    (event,) = [event for event in calendar.vevent_list if event.uid.value == uid_of(meeting)]
    return event.description.value, int(event.sequence.value)


@pytest.mark.django_db
class TestPracticeInFeeds:
    @pytest.mark.parametrize("change", PRACTICE_CHANGES)
    @pytest.mark.parametrize(
        "url", [*FEEDS, "/meetings/{pk}/calendar.ics"], ids=["all", "series", "meeting"]
    )
    def test_a_role_or_agenda_change_changes_the_etag_and_description_not_the_sequence(
        self, client, practice, url, change, frozen_now
    ):
        meeting = practice["meeting"]
        roles.take_role(user=practice["asha"], meeting=meeting, role="host")
        url = url.format(pk=meeting.pk)
        before = client.get(url)
        frozen_now.shift(timedelta(minutes=1))

        change(practice)

        after = client.get(url, headers={"If-None-Match": before["ETag"]})
        old_description, old_sequence = description_of(before.content, meeting)
        new_description, new_sequence = description_of(after.content, meeting)
        assert after.status_code == 200
        assert after["ETag"] != before["ETag"]
        assert new_description != old_description
        assert new_sequence == old_sequence == 0

    def test_a_feed_names_the_holders_and_the_accepted_agenda(self, client, practice):
        take_a_role(practice)

        response = client.get("/series/cop-f-east/calendar.ics")

        description, _ = description_of(response.content, practice["meeting"])
        assert description.split("\n\n")[:2] == [
            "Roles:\nFacilitator: Asha",
            "Agenda:\n1. Check-in (10 min, proposed by Asha)",
        ]

    def test_an_unchanged_practice_keeps_the_etag(self, client, practice, frozen_now):
        take_a_role(practice)
        before = client.get("/calendar.ics")
        caches["feeds"].clear()
        frozen_now.shift(timedelta(minutes=30))

        after = client.get("/calendar.ics", headers={"If-None-Match": before["ETag"]})

        assert after.status_code == 304


@pytest.mark.django_db
class TestContents:
    @pytest.fixture
    def busy(self, east, berlin, frozen_now):
        """Both series, plus a meeting 80 days ago, a moved, a cancelled and an extra one."""
        MeetingFactory(series=east, starts_at=NOW - timedelta(days=80))
        frozen_now.shift(timedelta(minutes=1))
        move(meeting_on(east, date(2027, 1, 11)))
        cancel(meeting_on(berlin, date(2027, 3, 28)))
        services.schedule_extra_meeting(
            title="Open space: facilitation clinic",
            starts_at=datetime(2027, 2, 3, 7, 30, tzinfo=UTC),
            duration=timedelta(minutes=45),
        )

    @pytest.mark.parametrize(
        ("url", "filters"),
        [
            ("/calendar.ics", {}),
            ("/series/cop-f-east/calendar.ics", {"series__slug": "cop-f-east"}),
            ("/series/berlin-sundays/calendar.ics", {"series__slug": "berlin-sundays"}),
        ],
    )
    def test_vobject_finds_exactly_the_database_meetings(self, client, busy, url, filters):
        response = client.get(url)

        assert read_with_vobject(response.content) == database_rows(in_window(**filters))

    @pytest.mark.parametrize(
        ("url", "filters"),
        [
            ("/calendar.ics", {}),
            ("/series/cop-f-east/calendar.ics", {"series__slug": "cop-f-east"}),
            ("/series/berlin-sundays/calendar.ics", {"series__slug": "berlin-sundays"}),
        ],
    )
    def test_recurring_ical_events_finds_exactly_the_database_instants(
        self, client, busy, url, filters
    ):
        response = client.get(url)

        expected = [
            (uid, start, end) for uid, start, end, *_ in database_rows(in_window(**filters))
        ]
        assert read_with_recurring_ical_events(response.content) == sorted(
            expected, key=lambda row: (row[1], row[0])
        )

    def test_a_single_meeting_download_holds_just_that_meeting(self, client, busy, east):
        meeting = meeting_on(east, date(2027, 2, 8))

        response = client.get(f"/meetings/{meeting.pk}/calendar.ics")

        calendar = vobject.readOne(response.content.decode(), validate=True)
        assert read_with_vobject(response.content) == database_rows(
            Meeting.objects.filter(pk=meeting.pk)
        )
        assert read_with_recurring_ical_events(response.content) == [
            (uid_of(meeting), meeting.starts_at, meeting.ends_at)
        ]
        assert calendar.method.value == "PUBLISH"
        assert calendar.x_wr_calname.value == "CoP-F East"

    def test_a_utc_anchored_series_stays_at_14_00_utc_through_every_clock_change(
        self, client, east
    ):
        response = client.get("/series/cop-f-east/calendar.ics")

        found = read_with_recurring_ical_events(response.content)
        assert [start for _, start, _ in found] == EAST_STARTS
        assert [end - start for _, start, end in found] == [timedelta(minutes=90)] * 12

    def test_a_berlin_anchored_series_keeps_its_wall_clock_time_across_the_march_change(
        self, client, berlin
    ):
        response = client.get("/series/berlin-sundays/calendar.ics")

        found = recurring_ical_events.of(icalendar.Calendar.from_ical(response.content)).between(
            datetime(2027, 3, 10, tzinfo=UTC), datetime(2027, 4, 10, tzinfo=UTC)
        )
        starts = sorted(event.start.astimezone(UTC) for event in found)
        assert starts == [
            datetime(2027, 3, 14, 9, tzinfo=UTC),
            datetime(2027, 3, 21, 9, tzinfo=UTC),
            datetime(2027, 3, 28, 8, tzinfo=UTC),
            datetime(2027, 4, 4, 8, tzinfo=UTC),
        ]

    def test_a_berlin_anchored_series_keeps_its_wall_clock_time_across_the_october_change(
        self, client, berlin
    ):
        response = client.get("/series/berlin-sundays/calendar.ics")

        found = recurring_ical_events.of(icalendar.Calendar.from_ical(response.content)).between(
            datetime(2027, 10, 20, tzinfo=UTC), datetime(2027, 11, 4, tzinfo=UTC)
        )
        starts = sorted(event.start.astimezone(UTC) for event in found)
        assert starts == [
            datetime(2027, 10, 24, 8, tzinfo=UTC),
            datetime(2027, 10, 31, 9, tzinfo=UTC),
        ]

    def test_every_berlin_meeting_starts_at_10_00_berlin_time(self, client, berlin):
        response = client.get("/series/berlin-sundays/calendar.ics")

        rows = read_with_vobject(response.content)
        assert len(rows) == 52
        assert {start.astimezone(BERLIN).time() for _, start, *_ in rows} == {time(10, 0)}
        assert {start.astimezone(BERLIN).weekday() for _, start, *_ in rows} == {6}

    def test_the_feed_holds_the_past_90_days_and_everything_upcoming(self, client, east):
        too_old = MeetingFactory(series=east, starts_at=NOW - timedelta(days=100))
        recent = MeetingFactory(series=east, starts_at=NOW - timedelta(days=80))
        last = MeetingFactory(series=east, starts_at=datetime(2028, 6, 12, 14, tzinfo=UTC))

        response = client.get("/calendar.ics")

        found = uids(response.content)
        assert uid_of(too_old) not in found
        assert found[0] == uid_of(recent)
        assert found[-1] == uid_of(last)
        assert len(found) == 14

    def test_a_series_feed_holds_only_its_series_and_its_extra_meetings(self, client, east, berlin):
        extra = services.schedule_extra_meeting(
            title="East extra", starts_at=datetime(2027, 1, 20, 14, tzinfo=UTC), series=east
        )
        services.schedule_extra_meeting(
            title="Unrelated", starts_at=datetime(2027, 1, 21, 14, tzinfo=UTC)
        )

        response = client.get("/series/cop-f-east/calendar.ics")

        expected = [uid_of(meeting) for meeting in east.meetings.order_by("starts_at")]
        assert uids(response.content) == expected
        assert uid_of(extra) in expected
        assert calendar_name(response.content) == "CoP-F: CoP-F East"

    def test_the_all_meetings_feed_is_named_for_the_community(self, client, east):
        response = client.get("/calendar.ics")

        assert calendar_name(response.content) == "CoP-F meetings"


def calendar_name(content: bytes) -> str:
    return vobject.readOne(content.decode(), validate=True).x_wr_calname.value


@pytest.mark.django_db
class TestUidStability:
    def test_uids_are_the_same_in_every_render_and_follow_the_meeting_ids(self, client, east):
        first = uids(client.get("/calendar.ics").content)
        caches["feeds"].clear()

        second = uids(client.get("/calendar.ics").content)

        assert second == first
        assert first == [uid_of(meeting) for meeting in east.meetings.order_by("starts_at")]

    def test_a_moved_meeting_keeps_its_uid_and_raises_its_sequence(self, client, east, frozen_now):
        meeting = meeting_on(east, date(2027, 2, 8))
        before = event_by_uid(client.get("/calendar.ics").content, uid_of(meeting))
        frozen_now.shift(timedelta(minutes=1))

        services.move_meeting(meeting=meeting, starts_at=datetime(2027, 2, 9, 15, tzinfo=UTC))

        after = event_by_uid(client.get("/calendar.ics").content, uid_of(meeting))
        assert before[1:] == (
            datetime(2027, 2, 8, 14, tzinfo=UTC),
            datetime(2027, 2, 8, 15, 30, tzinfo=UTC),
            "CoP-F East",
            "CONFIRMED",
            0,
        )
        assert after[1:] == (
            datetime(2027, 2, 9, 15, tzinfo=UTC),
            datetime(2027, 2, 9, 16, 30, tzinfo=UTC),
            "CoP-F East",
            "CONFIRMED",
            1,
        )

    def test_a_cancelled_meeting_stays_with_status_cancelled_and_a_higher_sequence(
        self, client, east, frozen_now
    ):
        meeting = meeting_on(east, date(2027, 2, 8))
        client.get("/calendar.ics")
        frozen_now.shift(timedelta(minutes=1))

        services.cancel_meeting(meeting=meeting)

        after = event_by_uid(client.get("/calendar.ics").content, uid_of(meeting))
        assert after[4:] == ("CANCELLED", 1)

    def test_a_deleted_meeting_disappears_and_the_others_keep_their_uids(
        self, client, east, frozen_now
    ):
        meeting = meeting_on(east, date(2027, 2, 8))
        deleted_uid = uid_of(meeting)
        before = uids(client.get("/calendar.ics").content)
        frozen_now.shift(timedelta(minutes=1))

        meeting.delete()

        after = uids(client.get("/calendar.ics").content)
        assert deleted_uid in before
        assert after == [uid for uid in before if uid != deleted_uid]
        assert len(after) == 11


def create_meetings(series: Series, count: int) -> None:
    first = NOW + timedelta(days=1, hours=5)
    Meeting.objects.bulk_create(
        Meeting(
            series=series,
            title=series.name,
            starts_at=first + timedelta(days=day),
            ends_at=first + timedelta(days=day, minutes=90),
            original_start=first + timedelta(days=day),
        )
        for day in range(count)
    )


def give_practice_to_every_meeting(series: Series) -> None:
    """A facilitator and an accepted agenda item in each of the series' meetings."""
    roles.give_default_roles(series=series)
    asha = UserFactory(display_name="Asha")
    meetings = list(series.meetings.all())
    RoleAssignment.objects.bulk_create(
        RoleAssignment(meeting=meeting, user=asha, role="facilitator") for meeting in meetings
    )
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, proposer=asha, title="Check-in", minutes=10, status="accepted")
        for meeting in meetings
    )


@pytest.mark.django_db
class TestQueryCounts:
    @pytest.fixture
    def daily(self, db):
        return SeriesFactory(slug="daily", name="Daily practice", rrule="FREQ=DAILY")

    @pytest.mark.parametrize("count", [1, 500])
    def test_the_all_meetings_feed_uses_the_same_queries_for_1_and_500_meetings(
        self, client, daily, django_assert_num_queries, count
    ):
        create_meetings(daily, count)

        with django_assert_num_queries(2):
            response = client.get("/calendar.ics")

        assert len(read_with_vobject(response.content)) == count

    @pytest.mark.parametrize("count", [1, 500])
    def test_a_series_feed_uses_the_same_queries_for_1_and_500_meetings(
        self, client, daily, django_assert_num_queries, count
    ):
        create_meetings(daily, count)

        with django_assert_num_queries(3):
            response = client.get("/series/daily/calendar.ics")

        assert len(read_with_vobject(response.content)) == count

    @pytest.mark.parametrize("count", [1, 500])
    @pytest.mark.parametrize(
        ("url", "queries"), [("/calendar.ics", 2 + 4), ("/series/daily/calendar.ics", 3 + 4)]
    )
    def test_a_feed_with_role_holders_and_agendas_uses_the_same_queries_for_1_and_500(
        self, client, daily, django_assert_num_queries, count, url, queries
    ):
        create_meetings(daily, count)
        give_practice_to_every_meeting(daily)

        # The version, the meetings; then the holders, the accepted agenda, the meetings'
        # own roles and the series' roles.
        with django_assert_num_queries(queries):
            response = client.get(url)

        calendar = vobject.readOne(response.content.decode(), validate=True)
        assert len(calendar.vevent_list) == count
        assert {
            tuple(event.description.value.split("\n\n")[:2]) for event in calendar.vevent_list
        } == {("Roles:\nFacilitator: Asha", "Agenda:\n1. Check-in (10 min, proposed by Asha)")}

    @pytest.mark.parametrize(
        ("url", "queries"), [("/calendar.ics", (2, 0)), ("/series/daily/calendar.ics", (3, 0))]
    )
    def test_a_second_identical_request_builds_nothing(self, daily, url, queries):
        create_meetings(daily, 50)
        first_client, second_client = Client(), Client()

        with CaptureQueriesContext(connection) as first:
            first_response = first_client.get(url)
        with CaptureQueriesContext(connection) as second:
            second_response = second_client.get(url)

        assert (len(first), len(second)) == queries
        assert second_response.content == first_response.content


class TestVersionMemo:
    @pytest.fixture
    def clock(self, monkeypatch):
        now = [1000.0]
        monkeypatch.setattr(feeds.time, "monotonic", lambda: now[0])
        return now

    @pytest.fixture
    def daily(self, db):
        series = SeriesFactory(slug="daily", name="Daily practice", rrule="FREQ=DAILY")
        create_meetings(series, 3)
        return series

    @pytest.mark.parametrize("url", ["/calendar.ics", "/series/daily/calendar.ics"])
    def test_asks_the_database_nothing_within_the_fresh_window_and_again_after_it(
        self, client, daily, clock, url
    ):
        first = client.get(url)
        clock[0] += feeds.FRESH_SECONDS - 0.01
        with CaptureQueriesContext(connection) as within:
            again = client.get(url, headers={"if-none-match": first["ETag"]})
        clock[0] += 0.01
        with CaptureQueriesContext(connection) as after:
            late = client.get(url, headers={"if-none-match": first["ETag"]})

        assert (again.status_code, len(within)) == (304, 0)
        assert late.status_code == 304
        assert len(after) >= 1

    def test_a_change_in_another_process_shows_once_the_window_passed(self, client, daily, clock):
        first = client.get("/calendar.ics")
        # Another process's change: this process hears no signal of it.
        Meeting.objects.filter(series=daily).update(
            title="Renamed elsewhere", updated_at=NOW + timedelta(minutes=1)
        )
        assert client.get("/calendar.ics")["ETag"] == first["ETag"]
        clock[0] += feeds.FRESH_SECONDS
        response = client.get("/calendar.ics")
        assert response["ETag"] != first["ETag"]
        assert b"Renamed elsewhere" in response.content

    def test_a_change_in_this_process_shows_on_the_very_next_request(
        self, client, daily, clock, frozen_now, django_capture_on_commit_callbacks
    ):
        first = client.get("/calendar.ics")
        meeting = daily.meetings.order_by("starts_at").first()
        frozen_now.shift(timedelta(seconds=1))
        with django_capture_on_commit_callbacks(execute=True):
            services.update_meeting(meeting=meeting, title="Renamed here")

        response = client.get("/calendar.ics", headers={"if-none-match": first["ETag"]})

        assert response.status_code == 200
        assert b"Renamed here" in response.content

    def test_the_commit_empties_what_was_read_between_the_change_and_the_commit(
        self, daily, django_capture_on_commit_callbacks
    ):
        meeting = daily.meetings.order_by("starts_at").first()
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            services.update_meeting(meeting=meeting, title="Renamed")
            # Another thread of this process reads now: it cannot see the change yet.
            feeds.public_feeds.get(("public", None), lambda: "before the commit")
            assert ("public", None) in feeds.public_feeds.values

        assert feeds.public_feeds.values == {}

    def test_a_read_that_raced_a_change_is_not_kept(self, db):
        memo = feeds.Memo(fresh_seconds=60)

        def read_while_a_change_lands() -> str:
            memo.clear()
            return "maybe stale"

        assert memo.get("key", read_while_a_change_lands) == "maybe stale"
        assert memo.get("key", lambda: "fresh") == "fresh"
        assert memo.get("key", lambda: "not asked") == "fresh"


class TestShortPath:
    @pytest.fixture
    def daily(self, db):
        series = SeriesFactory(slug="daily", name="Daily practice", rrule="FREQ=DAILY")
        create_meetings(series, 3)
        return series

    @pytest.mark.parametrize("url", ["/calendar.ics", "/series/daily/calendar.ics"])
    def test_feeds_skip_sessions_csrf_and_authentication(self, client, daily, url):
        response = client.get(url)

        assert response.status_code == 200
        assert not hasattr(response.wsgi_request, "session")
        assert not hasattr(response.wsgi_request, "user")
        assert "Vary" not in response
        assert not response.cookies

    @pytest.mark.parametrize("status", [200, 304])
    def test_feeds_keep_the_security_headers_of_every_page(self, client, daily, status):
        page = client.get("/robots.txt")
        first = client.get("/series/daily/calendar.ics")
        headers = {"if-none-match": first["ETag"]} if status == 304 else {}

        response = client.get("/series/daily/calendar.ics", headers=headers)

        assert response.status_code == status
        for header in (
            "Content-Security-Policy",
            "X-Content-Type-Options",
            "X-Frame-Options",
            "Referrer-Policy",
            "Cross-Origin-Opener-Policy",
        ):
            assert response[header] == page[header]
        assert "default-src" in response["Content-Security-Policy"]

    def test_an_unknown_series_gets_the_site_404_page(self, client, daily):
        response = client.get("/series/nobody/calendar.ics")
        assert response.status_code == 404
        assert response.templates[0].name == "404.html"

    def test_a_post_goes_the_usual_way_and_is_refused(self, client, daily):
        assert client.post("/calendar.ics").status_code in (403, 405)

    def test_the_short_path_matches_the_addresses_the_urlconf_gives(self, daily):
        from django.urls import reverse

        from copf.middleware import PublicFeedMiddleware

        assert reverse("meetings:calendar_feed") == PublicFeedMiddleware.ALL
        series_path = reverse("meetings:series_calendar_feed", kwargs={"slug": "a-b_9"})
        assert PublicFeedMiddleware.SERIES.match(series_path)["slug"] == "a-b_9"
