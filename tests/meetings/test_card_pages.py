"""The card a shared link shows, read back out of the meeting and series pages."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.test import Client

from meetings import services
from meetings.models import Meeting
from members import services as member_services
from tests.factories import SeriesFactory, UserFactory
from tests.meetings.event_schema import assert_valid, json_ld_of, meta_of

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
BREAKOUT = "</script><script>alert(1)</script>"


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def east(db):
    series = SeriesFactory(
        slug="cop-f-east",
        name="CoP-F East",
        start_time=time(14, 0),
        description="Practice rounds for facilitators.",
        join_url="https://meet.example.org/secret-room",
    )
    services.materialize_series(series=series)
    return series


def next_meeting(series) -> Meeting:
    return series.meetings.filter(starts_at__gt=NOW).order_by("starts_at").first()


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


class TestMeetingPage:
    def test_carries_open_graph_tags_with_absolute_urls(self, client, east, settings):
        meeting = next_meeting(east)
        url = f"{settings.SITE_URL}/meetings/{meeting.pk}/"

        meta = meta_of(page(client, meeting.get_absolute_url()))

        description = (
            "Monday 14 December 2026, 14:00–15:30 UTC, online. Practice rounds for facilitators."
        )
        assert meta == {
            "description": description,
            "og:type": "website",
            "og:site_name": "CoP-F",
            "og:title": "CoP-F East",
            "og:description": description,
            "og:url": url,
            "twitter:card": "summary",
            "canonical": url,
        }

    def test_the_card_is_in_utc_whatever_zone_the_visitor_reads_in(self, client, east):
        path = next_meeting(east).get_absolute_url()

        kolkata = page(client, f"{path}?tz=Asia/Kolkata")
        utc = page(client, path)

        assert "19:30" in kolkata  # the page itself is in the visitor's zone
        assert json_ld_of(kolkata) == json_ld_of(utc)
        assert meta_of(kolkata) == meta_of(utc)

    def test_json_ld_is_a_valid_scheduled_event(self, client, east, settings):
        meeting = next_meeting(east)

        data = json_ld_of(page(client, meeting.get_absolute_url()))

        assert_valid(data)
        assert data["eventStatus"] == "https://schema.org/EventScheduled"
        assert data["startDate"] == "2026-12-14T14:00:00+00:00"
        assert data["location"]["url"] == f"{settings.SITE_URL}/meetings/{meeting.pk}/"

    def test_a_cancelled_meeting_is_an_event_cancelled(self, client, east):
        meeting = services.cancel_meeting(meeting=next_meeting(east))

        data = json_ld_of(page(client, meeting.get_absolute_url()))

        assert_valid(data)
        assert data["eventStatus"] == "https://schema.org/EventCancelled"

    def test_a_moved_meeting_is_rescheduled_with_its_previous_start(self, client, east):
        meeting = next_meeting(east)
        services.move_meeting(meeting=meeting, starts_at=meeting.starts_at + timedelta(hours=2))

        data = json_ld_of(page(client, meeting.get_absolute_url()))

        assert_valid(data)
        assert data["eventStatus"] == "https://schema.org/EventRescheduled"
        assert data["startDate"] == "2026-12-14T16:00:00+00:00"
        assert data["previousStartDate"] == "2026-12-14T14:00:00+00:00"

    def test_an_extra_meeting_is_scheduled(self, client, east):
        extra = services.schedule_extra_meeting(
            title="Harvest party", starts_at=NOW + timedelta(days=2, hours=8), series=east
        )

        data = json_ld_of(page(client, extra.get_absolute_url()))

        assert_valid(data)
        assert data["eventStatus"] == "https://schema.org/EventScheduled"
        assert data["name"] == "Harvest party"

    def test_a_title_that_closes_the_script_stays_inside_it(self, client, east):
        meeting = services.update_meeting(meeting=next_meeting(east), title=f"Rounds {BREAKOUT}")

        html = page(client, meeting.get_absolute_url())

        assert json_ld_of(html)["name"] == f"Rounds {BREAKOUT}"
        assert meta_of(html)["og:title"] == f"Rounds {BREAKOUT}"
        assert "<script>alert(1)" not in html
        # The data block and the four script files; nothing inline that would run.
        assert html.count("<script") == 5
        assert html.count('<script type="application/ld+json">') == 1

    def test_members_only_things_never_reach_the_card(self, east, frozen_now):
        meeting = next_meeting(east)
        member = UserFactory(display_name="Ana Facilitator")
        member_services.set_rsvp(user=member, meeting=meeting, response="yes")
        # The join window is open, so the member's own page offers the call.
        frozen_now.move_to(meeting.starts_at - timedelta(minutes=5))
        client = Client()
        client.force_login(member)

        html = page(client, meeting.get_absolute_url())

        head, body = html.split("</head>")
        assert "Join the call" in body
        assert "Ana Facilitator" in body
        assert f"/meetings/{meeting.pk}/join/" not in head
        assert "meet.example.org" not in head
        assert "Ana Facilitator" not in head
        assert_valid(json_ld_of(html))

    def test_a_member_sees_the_same_card_as_a_visitor(self, client, east):
        path = next_meeting(east).get_absolute_url()
        visitor = page(client, path)
        member = Client()
        member.force_login(UserFactory(timezone="Asia/Tokyo"))

        mine = page(member, path)

        assert json_ld_of(mine) == json_ld_of(visitor)
        assert meta_of(mine) == meta_of(visitor)


class TestSeriesPage:
    def test_carries_open_graph_tags_and_an_event_series(self, client, east, settings):
        url = f"{settings.SITE_URL}/series/cop-f-east/"

        html = page(client, "/series/cop-f-east/")

        meta = meta_of(html)
        assert meta["og:url"] == meta["canonical"] == url
        assert meta["og:title"] == "CoP-F East"
        assert meta["og:type"] == "website"
        assert meta["twitter:card"] == "summary"
        assert (
            meta["description"]
            == meta["og:description"]
            == (
                "Every month on the second Monday, 14:00–15:30 UTC, online. "
                "Practice rounds for facilitators."
            )
        )
        data = json_ld_of(html)
        assert_valid(data)
        assert data["@type"] == "EventSeries"
        assert [event["startDate"] for event in data["subEvent"]] == [
            "2026-12-14T14:00:00+00:00",
            "2027-01-11T14:00:00+00:00",
            "2027-02-08T14:00:00+00:00",
            "2027-03-08T14:00:00+00:00",
            "2027-04-12T14:00:00+00:00",
        ]

    def test_a_meeting_under_way_is_still_listed_and_one_ended_is_not(
        self, client, east, frozen_now
    ):
        first = next_meeting(east)
        frozen_now.move_to(first.starts_at + timedelta(minutes=30))
        assert json_ld_of(page(client, "/series/cop-f-east/"))["subEvent"][0]["url"].endswith(
            first.get_absolute_url()
        )

        frozen_now.move_to(first.ends_at)
        data = json_ld_of(page(client, "/series/cop-f-east/"))

        assert not data["subEvent"][0]["url"].endswith(first.get_absolute_url())
        assert len(data["subEvent"]) == 5


class TestTheCardFollowsChanges:
    """Each page cached just before the change, as in test_pagecache."""

    def test_a_move_shows_in_the_meeting_card_on_the_next_request(self, client, east):
        meeting = next_meeting(east)
        path = meeting.get_absolute_url()
        assert json_ld_of(page(client, path))["startDate"] == "2026-12-14T14:00:00+00:00"

        services.move_meeting(meeting=meeting, starts_at=meeting.starts_at + timedelta(hours=2))

        html = page(client, path)
        assert json_ld_of(html)["startDate"] == "2026-12-14T16:00:00+00:00"
        assert meta_of(html)["og:description"].startswith(
            "Moved to Monday 14 December 2026, 16:00–17:30 UTC, online"
        )

    def test_a_move_shows_in_the_series_card_on_the_next_request(self, client, east):
        meeting = next_meeting(east)
        before = json_ld_of(page(client, "/series/cop-f-east/"))["subEvent"][0]
        assert before["eventStatus"] == "https://schema.org/EventScheduled"

        services.move_meeting(meeting=meeting, starts_at=meeting.starts_at + timedelta(hours=2))

        after = json_ld_of(page(client, "/series/cop-f-east/"))["subEvent"][0]
        assert after["eventStatus"] == "https://schema.org/EventRescheduled"
        assert after["startDate"] == "2026-12-14T16:00:00+00:00"

    def test_a_cancellation_shows_on_the_next_request(self, client, east):
        meeting = next_meeting(east)
        page(client, meeting.get_absolute_url())

        services.cancel_meeting(meeting=meeting)

        data = json_ld_of(page(client, meeting.get_absolute_url()))
        assert data["eventStatus"] == "https://schema.org/EventCancelled"

    def test_a_rename_shows_on_the_next_request(self, client, east):
        meeting = next_meeting(east)
        page(client, meeting.get_absolute_url())
        page(client, "/series/cop-f-east/")

        services.update_meeting(meeting=meeting, title="Rounds on listening")
        east.name = "CoP-F Orient"
        east.save()

        html = page(client, meeting.get_absolute_url())
        assert meta_of(html)["og:title"] == json_ld_of(html)["name"] == "Rounds on listening"
        series_html = page(client, "/series/cop-f-east/")
        assert meta_of(series_html)["og:title"] == "CoP-F Orient"
        assert json_ld_of(series_html)["subEvent"][0]["name"] == "Rounds on listening"

    def test_a_member_sees_the_change_too(self, east):
        meeting = next_meeting(east)
        member = Client()
        member.force_login(UserFactory())
        page(member, meeting.get_absolute_url())

        services.cancel_meeting(meeting=meeting)

        data = json_ld_of(page(member, meeting.get_absolute_url()))
        assert data["eventStatus"] == "https://schema.org/EventCancelled"


class TestContentSecurityPolicy:
    @pytest.mark.parametrize("path", ["meeting", "/series/cop-f-east/"])
    def test_the_pages_keep_the_policy_that_forbids_inline_scripts(
        self, client, east, settings, path
    ):
        if path == "meeting":
            path = next_meeting(east).get_absolute_url()

        response = client.get(path)

        policy = response["Content-Security-Policy"]
        assert "script-src 'self';" in f"{policy};"
        assert "unsafe-inline" not in policy
        assert "nonce-" not in policy
        assert "sha256-" not in policy
        assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"] == ["'self'"]
        # The only script without a src is the data block, which a browser never runs.
        html = response.content.decode()
        assert html.count("<script") - html.count("<script src=") == 1
        assert html.count('<script type="application/ld+json">') == 1
