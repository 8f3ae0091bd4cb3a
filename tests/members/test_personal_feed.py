import re
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import pytest
import recurring_ical_events
import time_machine
import vobject
from allauth.account.models import EmailAddress
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from meetings import services as meeting_services
from meetings.models import Meeting, Series
from members import services
from members.models import AgendaItem, RoleAssignment, Rsvp, User
from members.practice import agenda, roles
from tests.factories import MeetingFactory, SeriesFactory, UserFactory

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


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


def copf_series(slug: str, name: str, start: time) -> Series:
    series = SeriesFactory(
        slug=slug,
        name=name,
        rrule="FREQ=MONTHLY;BYDAY=2MO",
        start_date=date(2023, 5, 8),
        start_time=start,
    )
    meeting_services.materialize_series(series=series)
    return series


@pytest.fixture
def east(db):
    return copf_series("cop-f-east", "CoP-F East", time(14, 0))


@pytest.fixture
def west(db):
    return copf_series("cop-f-west", "CoP-F West", time(18, 30))


@pytest.fixture
def member(db):
    return UserFactory(email="asha@example.org", display_name="Asha")


def feed_url(user: User) -> str:
    return f"/feeds/{user.feed_token}.ics"


def fetch(user: User, **headers: str):
    """The member's feed, fetched as a calendar app would: no cookie, no session."""
    return Client().get(feed_url(user), headers=headers)


def meeting_on(series: Series, day: date) -> Meeting:
    return series.meetings.get(starts_at__date=day)


def uid_of(meeting: Meeting) -> str:
    return f"copf-meeting-{meeting.pk}@copf.example.org"


def vevents(content: bytes) -> list:
    return vobject.readOne(content.decode(), validate=True).contents.get("vevent", [])


def summaries(content: bytes) -> dict[str, tuple[str, str]]:
    """UID: (SUMMARY, TRANSP) of each event."""
    return {
        event.uid.value: (event.summary.value, event.transp.value) for event in vevents(content)
    }


def uids(content: bytes) -> list[str]:
    return [event.uid.value for event in vevents(content)]


def instants(content: bytes) -> list[tuple[str, datetime, datetime]]:
    """(UID, start, end) of each occurrence recurring-ical-events finds, soonest first."""
    calendar = icalendar.Calendar.from_ical(content)
    found = [
        (str(event["UID"]), event.start.astimezone(UTC), event.end.astimezone(UTC))
        for event in recurring_ical_events.of(calendar).between(*EVER)
    ]
    return sorted(found, key=lambda row: (row[1], row[0]))


@pytest.mark.django_db
class TestContents:
    def test_works_without_signing_in(self, member, east):
        services.follow_series(user=member, series=east)

        response = Client().get(feed_url(member))

        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert len(vevents(response.content)) == 12

    def test_holds_every_meeting_of_a_followed_series_and_nothing_else(self, member, east, west):
        recent = MeetingFactory(series=east, starts_at=NOW - timedelta(days=80))
        services.follow_series(user=member, series=east)

        response = fetch(member)

        expected = [uid_of(meeting) for meeting in east.meetings.order_by("starts_at")]
        assert uids(response.content) == expected
        assert expected[0] == uid_of(recent)
        assert len(expected) == 13

    def test_parsers_find_exactly_the_meetings_the_member_follows_or_answered(
        self, member, east, west
    ):
        services.follow_series(user=member, series=east)
        declined = meeting_on(east, date(2027, 2, 8))
        services.set_rsvp(user=member, meeting=declined, response="no")
        coming = meeting_on(west, date(2027, 3, 8))
        services.set_rsvp(user=member, meeting=coming, response="yes")
        maybe = meeting_on(west, date(2027, 4, 12))
        services.set_rsvp(user=member, meeting=maybe, response="maybe")

        response = fetch(member)

        expected = [
            meeting
            for meeting in Meeting.objects.order_by("starts_at", "pk")
            if (meeting.series_id == east.pk and meeting != declined) or meeting in (coming, maybe)
        ]
        assert uids(response.content) == [uid_of(meeting) for meeting in expected]
        assert instants(response.content) == [
            (uid_of(meeting), meeting.starts_at, meeting.ends_at) for meeting in expected
        ]
        assert [event.dtstart.value.astimezone(UTC) for event in vevents(response.content)] == [
            meeting.starts_at for meeting in expected
        ]

    def test_a_yes_brings_a_meeting_of_a_series_not_followed(self, member, west):
        meeting = meeting_on(west, date(2027, 3, 8))
        services.set_rsvp(user=member, meeting=meeting, response="yes")

        response = fetch(member)

        assert summaries(response.content) == {uid_of(meeting): ("CoP-F West", "OPAQUE")}

    def test_a_maybe_is_marked_maybe_and_shows_the_time_as_free(self, member, west):
        meeting = meeting_on(west, date(2027, 3, 8))
        services.set_rsvp(user=member, meeting=meeting, response="maybe")

        response = fetch(member)

        assert summaries(response.content) == {
            uid_of(meeting): ("CoP-F West (maybe)", "TRANSPARENT")
        }
        assert b"SUMMARY:CoP-F West (maybe)\r\n" in response.content

    def test_a_no_leaves_a_meeting_out_even_of_a_followed_series(self, member, east):
        services.follow_series(user=member, series=east)
        declined = meeting_on(east, date(2027, 2, 8))

        services.set_rsvp(user=member, meeting=declined, response="no")

        found = uids(fetch(member).content)
        assert uid_of(declined) not in found
        assert len(found) == 11

    def test_a_yes_on_the_waitlist_is_marked_waitlist(self, member, west):
        meeting = meeting_on(west, date(2027, 3, 8))
        meeting_services.update_meeting(meeting=meeting, capacity=1)
        services.set_rsvp(user=UserFactory(), meeting=meeting, response="yes")

        result = services.set_rsvp(user=member, meeting=meeting, response="yes")

        assert result.rsvp.is_waitlisted
        assert summaries(fetch(member).content) == {
            uid_of(meeting): ("CoP-F West (waitlist)", "TRANSPARENT")
        }

    def test_a_promoted_yes_loses_the_waitlist_mark(self, member, west, frozen_now):
        meeting = meeting_on(west, date(2027, 3, 8))
        meeting_services.update_meeting(meeting=meeting, capacity=1)
        first = UserFactory()
        services.set_rsvp(user=first, meeting=meeting, response="yes")
        services.set_rsvp(user=member, meeting=meeting, response="yes")
        before = fetch(member)
        frozen_now.shift(timedelta(minutes=1))

        services.set_rsvp(user=first, meeting=meeting, response="no")

        after = fetch(member, **{"If-None-Match": before["ETag"]})
        assert after.status_code == 200
        assert summaries(after.content) == {uid_of(meeting): ("CoP-F West", "OPAQUE")}

    def test_another_members_answers_stay_out_of_my_feed(self, member, west):
        services.set_rsvp(
            user=UserFactory(), meeting=meeting_on(west, date(2027, 3, 8)), response="yes"
        )

        response = fetch(member)

        assert uids(response.content) == []

    def test_a_cancelled_meeting_stays_marked_cancelled(self, member, east, frozen_now):
        services.follow_series(user=member, series=east)
        meeting = meeting_on(east, date(2027, 2, 8))

        meeting_services.cancel_meeting(meeting=meeting)

        (event,) = [
            event for event in vevents(fetch(member).content) if event.uid.value == uid_of(meeting)
        ]
        assert (event.status.value, event.sequence.value) == ("CANCELLED", "1")

    def test_the_calendar_is_named_for_the_member_and_published(self, member):
        calendar = vobject.readOne(fetch(member).content.decode(), validate=True)

        assert calendar.x_wr_calname.value == "CoP-F: my meetings"
        assert calendar.method.value == "PUBLISH"


@pytest.mark.django_db
class TestAlarms:
    def test_calendar_alert_minutes_add_an_alarm_to_every_event(self, member, east, west):
        member.calendar_alert_minutes = 30
        member.save()
        services.follow_series(user=member, series=east)
        services.set_rsvp(user=member, meeting=meeting_on(west, date(2027, 3, 8)), response="maybe")

        response = fetch(member)

        events = vevents(response.content)
        assert len(events) == 13
        assert [len(event.contents["valarm"]) for event in events] == [1] * 13
        assert {event.valarm.trigger.value for event in events} == {timedelta(minutes=-30)}
        assert response.content.count(b"\r\nTRIGGER:-PT30M\r\n") == 13

    def test_without_calendar_alert_minutes_there_is_no_alarm(self, member, east):
        services.follow_series(user=member, series=east)

        response = fetch(member)

        assert b"VALARM" not in response.content


@pytest.mark.django_db
class TestToken:
    def test_a_token_carries_at_least_128_bits_and_differs_between_members(self, db):
        first, second = UserFactory(), UserFactory()

        assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", first.feed_token)
        assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", second.feed_token)
        assert first.feed_token != second.feed_token

    def test_an_unknown_token_is_a_404(self, member):
        response = Client().get("/feeds/" + "A" * 43 + ".ics")

        assert response.status_code == 404

    @pytest.mark.parametrize("token", ["%00", "a%00b", "%C3%A9", "a.b", "x" * 300])
    def test_a_token_that_no_feed_could_have_is_a_404_without_asking_the_database(
        self, member, token, django_assert_num_queries
    ):
        with django_assert_num_queries(0):
            response = Client().get(f"/feeds/{token}.ics")

        assert response.status_code == 404

    def test_an_inactive_members_token_is_a_404(self, member):
        member.is_active = False
        member.save()

        response = fetch(member)

        assert response.status_code == 404

    def test_rotating_gives_a_new_address_and_the_old_one_is_404_at_once(self, member, east):
        services.follow_series(user=member, series=east)
        old_url = feed_url(member)
        assert Client().get(old_url).status_code == 200
        signed_in = Client()
        signed_in.force_login(member)

        response = signed_in.post("/me/feed/rotate/")

        member.refresh_from_db()
        assert response.status_code == 302
        assert response["Location"] == "/me/"
        assert feed_url(member) != old_url
        assert Client().get(old_url).status_code == 404
        new = Client().get(feed_url(member))
        assert new.status_code == 200
        assert len(vevents(new.content)) == 12

    def test_a_visitor_cannot_rotate_a_token(self, member, client):
        token = member.feed_token

        response = client.post("/me/feed/rotate/")

        member.refresh_from_db()
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/me/feed/rotate/"
        assert member.feed_token == token

    def test_rotating_takes_only_a_post(self, member):
        signed_in = Client()
        signed_in.force_login(member)
        token = member.feed_token

        response = signed_in.get("/me/feed/rotate/")

        member.refresh_from_db()
        assert response.status_code == 405
        assert member.feed_token == token


@pytest.mark.django_db
class TestProfilePage:
    def test_shows_the_feed_address_with_webcal_and_google_links_and_a_same_origin_referrer(
        self, member
    ):
        client = Client()
        client.force_login(member)
        token = member.feed_token

        response = client.get("/me/")

        html = response.content.decode()
        assert response.status_code == 200
        assert response["Referrer-Policy"] == "same-origin"
        assert f'value="https://copf.example.org/feeds/{token}.ics"' in html
        assert f'href="webcal://copf.example.org/feeds/{token}.ics"' in html
        assert (
            'href="https://calendar.google.com/calendar/render?cid='
            f'webcal%3A%2F%2Fcopf.example.org%2Ffeeds%2F{token}.ics"'
        ) in html


@pytest.mark.django_db
class TestHttp:
    def test_the_feed_is_private_short_lived_and_sends_a_same_origin_referrer(self, member):
        response = fetch(member)

        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cache-Control"] == "private, max-age=300"
        assert re.fullmatch(r'"[0-9a-f]{40}"', response["ETag"])

    def test_if_none_match_with_the_etag_is_a_304_with_no_body(self, member, east):
        services.follow_series(user=member, series=east)
        etag = fetch(member)["ETag"]

        response = fetch(member, **{"If-None-Match": etag})

        assert response.status_code == 304
        assert response.content == b""
        assert response["Referrer-Policy"] == "same-origin"

    def test_a_304_stays_private_and_keeps_the_etag(self, member, east):
        services.follow_series(user=member, series=east)
        feed = fetch(member)

        response = fetch(member, **{"If-None-Match": feed["ETag"]})

        assert response.status_code == 304
        assert (response["ETag"], response["Cache-Control"]) == (
            feed["ETag"],
            "private, max-age=300",
        )
        assert response["Last-Modified"] == feed["Last-Modified"]

    def test_head_answers_200_with_no_body_and_the_same_etag(self, member, east):
        services.follow_series(user=member, series=east)
        etag = fetch(member)["ETag"]

        response = Client().head(feed_url(member))

        assert response.status_code == 200
        assert response.content == b""
        assert response["ETag"] == etag

    def test_post_is_not_allowed(self, member):
        response = Client().post(feed_url(member))

        assert response.status_code == 405


def answer_yes(member: User, east: Series, west: Series) -> None:
    services.set_rsvp(user=member, meeting=meeting_on(west, date(2027, 3, 8)), response="yes")


def change_answer(member: User, east: Series, west: Series) -> None:
    services.set_rsvp(user=member, meeting=meeting_on(west, date(2027, 1, 11)), response="maybe")


def answer_no_to_a_followed_meeting(member: User, east: Series, west: Series) -> None:
    services.set_rsvp(user=member, meeting=meeting_on(east, date(2027, 2, 8)), response="no")


def follow_west(member: User, east: Series, west: Series) -> None:
    services.follow_series(user=member, series=west)


def unfollow_east(member: User, east: Series, west: Series) -> None:
    services.unfollow_series(user=member, series=east)


def set_alarm(member: User, east: Series, west: Series) -> None:
    member.calendar_alert_minutes = 60
    member.save()


def move_a_followed_meeting(member: User, east: Series, west: Series) -> None:
    meeting = meeting_on(east, date(2027, 2, 8))
    meeting_services.move_meeting(meeting=meeting, starts_at=meeting.starts_at + timedelta(hours=1))


def verified(name: str, **fields: object) -> User:
    user = UserFactory(display_name=name, email=f"{name.lower()}@example.org", **fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def someone_takes_a_role_in_a_followed_meeting(member: User, east: Series, west: Series) -> None:
    """Another member: the roles are in the DESCRIPTION, and no SEQUENCE moves."""
    roles.give_default_roles(series=east)
    meeting = meeting_on(east, date(2027, 2, 8))
    roles.take_role(user=verified("Ben"), meeting=meeting, role="facilitator")


def an_item_is_accepted_in_a_followed_meeting(member: User, east: Series, west: Series) -> None:
    meeting = meeting_on(east, date(2027, 2, 8))
    item = agenda.propose_item(
        user=verified("Ben"), meeting=meeting, title="Check-in", description="", minutes=10
    )
    agenda.decide_item(user=verified("Olu", is_superuser=True), item=item, accept=True)


@pytest.mark.django_db
class TestEtag:
    @pytest.fixture
    def answered(self, member, east, west):
        services.follow_series(user=member, series=east)
        services.set_rsvp(user=member, meeting=meeting_on(west, date(2027, 1, 11)), response="yes")

    @pytest.mark.parametrize(
        "change",
        [
            answer_yes,
            change_answer,
            answer_no_to_a_followed_meeting,
            follow_west,
            unfollow_east,
            set_alarm,
            move_a_followed_meeting,
            someone_takes_a_role_in_a_followed_meeting,
            an_item_is_accepted_in_a_followed_meeting,
        ],
    )
    def test_the_etag_and_the_feed_change_when_something_in_it_changes(
        self, member, east, west, answered, change, frozen_now
    ):
        before = fetch(member)
        frozen_now.shift(timedelta(minutes=1))

        change(member, east, west)

        after = fetch(member, **{"If-None-Match": before["ETag"]})
        assert after.status_code == 200
        assert after["ETag"] != before["ETag"]
        assert after.content != before.content

    def test_the_etag_stays_while_nothing_changes(self, member, answered, frozen_now):
        before = fetch(member)
        caches["feeds"].clear()
        frozen_now.shift(timedelta(minutes=30))

        after = fetch(member)

        assert after["ETag"] == before["ETag"]
        assert after.content == before.content

    def test_another_members_answer_leaves_my_etag_alone(self, member, west, answered, frozen_now):
        before = fetch(member)
        frozen_now.shift(timedelta(minutes=1))

        services.set_rsvp(
            user=UserFactory(), meeting=meeting_on(west, date(2027, 3, 8)), response="yes"
        )

        assert fetch(member, **{"If-None-Match": before["ETag"]}).status_code == 304


def create_answered_meetings(member: User, count: int) -> None:
    """`count` daily meetings of a followed series, each answered maybe."""
    series = SeriesFactory(slug="daily", name="Daily practice", rrule="FREQ=DAILY")
    services.follow_series(user=member, series=series)
    first = NOW + timedelta(days=1, hours=5)
    meetings = Meeting.objects.bulk_create(
        Meeting(
            series=series,
            title=series.name,
            starts_at=first + timedelta(days=day),
            ends_at=first + timedelta(days=day, minutes=90),
            original_start=first + timedelta(days=day),
        )
        for day in range(count)
    )
    Rsvp.objects.bulk_create(
        Rsvp(meeting=meeting, user=member, response="maybe") for meeting in meetings
    )


@pytest.mark.django_db
class TestQueryCounts:
    @pytest.mark.parametrize("count", [1, 500])
    def test_uses_the_same_queries_for_1_and_500_meetings(
        self, member, django_assert_num_queries, count
    ):
        member.calendar_alert_minutes = 10
        member.save()
        create_answered_meetings(member, count)
        client = Client()

        with django_assert_num_queries(5):
            response = client.get(feed_url(member))

        events = vevents(response.content)
        assert len(events) == count
        assert {event.summary.value for event in events} == {"Daily practice (maybe)"}

    @pytest.mark.parametrize("count", [1, 500])
    def test_with_role_holders_and_agendas_uses_the_same_queries_for_1_and_500_meetings(
        self, member, django_assert_num_queries, count
    ):
        create_answered_meetings(member, count)
        series = Series.objects.get(slug="daily")
        roles.give_default_roles(series=series)
        meetings = list(series.meetings.all())
        RoleAssignment.objects.bulk_create(
            RoleAssignment(meeting=meeting, user=member, role="host") for meeting in meetings
        )
        AgendaItem.objects.bulk_create(
            AgendaItem(
                meeting=meeting, proposer=member, title="Check-in", minutes=10, status="accepted"
            )
            for meeting in meetings
        )

        # Five as without; then the holders, the accepted agenda, the meetings' own roles
        # and the series' roles.
        with django_assert_num_queries(5 + 4):
            response = Client().get(feed_url(member))

        events = vevents(response.content)
        assert len(events) == count
        assert {tuple(event.description.value.split("\n\n")[:2]) for event in events} == {
            ("Roles:\nHost: Asha", "Agenda:\n1. Check-in (10 min, proposed by Asha)")
        }

    def test_a_second_identical_request_builds_nothing(self, member):
        create_answered_meetings(member, 50)

        with CaptureQueriesContext(connection) as first:
            first_response = Client().get(feed_url(member))
        with CaptureQueriesContext(connection) as second:
            second_response = Client().get(feed_url(member))

        assert (len(first), len(second)) == (5, 3)
        assert second_response.content == first_response.content
