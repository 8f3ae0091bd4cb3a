from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone, translation

from meetings import cards, services
from meetings.models import Meeting
from tests.factories import MeetingFactory, SeriesFactory
from tests.meetings.event_schema import assert_valid

# Fixed dates, far from any real "now": the card functions never read the clock.
START = datetime(2027, 1, 11, 14, 0, tzinfo=UTC)


@pytest.fixture
def east(db):
    return SeriesFactory(
        slug="cop-f-east",
        name="CoP-F East",
        description="Practice rounds for facilitators.",
        join_url="https://meet.example.org/secret-room",
    )


@pytest.fixture
def monday(east) -> Meeting:
    return MeetingFactory(series=east, starts_at=START)


class TestMeetingCard:
    def test_a_scheduled_meeting_is_an_online_event_in_utc(self, monday, settings):
        card = cards.meeting_card(monday)

        url = f"{settings.SITE_URL}/meetings/{monday.pk}/"
        assert card == {
            "@context": "https://schema.org",
            "@type": "Event",
            "name": "CoP-F East",
            "description": "Monday 11 January 2027, 14:00–15:30 UTC, online. "
            "Practice rounds for facilitators.",
            "startDate": "2027-01-11T14:00:00+00:00",
            "endDate": "2027-01-11T15:30:00+00:00",
            "eventAttendanceMode": "https://schema.org/OnlineEventAttendanceMode",
            "eventStatus": "https://schema.org/EventScheduled",
            "location": {"@type": "VirtualLocation", "url": url},
            "organizer": {
                "@type": "Organization",
                "name": "CoP-F (Community of Practice for Facilitators)",
                "url": settings.SITE_URL,
            },
            "url": url,
            "isAccessibleForFree": True,
        }
        assert_valid(card)

    def test_a_cancelled_meeting_is_marked_cancelled(self, monday):
        services.cancel_meeting(meeting=monday, message="No host")
        monday.refresh_from_db()

        card = cards.meeting_card(monday)

        assert card["eventStatus"] == "https://schema.org/EventCancelled"
        assert "previousStartDate" not in card
        assert card["description"].startswith(
            "Cancelled: Monday 11 January 2027, 14:00–15:30 UTC, online."
        )
        assert_valid(card)

    def test_a_moved_meeting_is_rescheduled_with_its_previous_start(self, monday):
        moved = services.move_meeting(meeting=monday, starts_at=START + timedelta(days=1, hours=2))

        card = cards.meeting_card(moved)

        assert card["eventStatus"] == "https://schema.org/EventRescheduled"
        assert card["startDate"] == "2027-01-12T16:00:00+00:00"
        assert card["previousStartDate"] == "2027-01-11T14:00:00+00:00"
        assert card["description"].startswith(
            "Moved to Tuesday 12 January 2027, 16:00–17:30 UTC, online "
            "(it was Monday 11 January 2027, 14:00 UTC)."
        )
        assert_valid(card)

    def test_a_moved_and_then_cancelled_meeting_is_cancelled(self, monday):
        moved = services.move_meeting(meeting=monday, starts_at=START + timedelta(hours=2))
        cancelled = services.cancel_meeting(meeting=moved)

        card = cards.meeting_card(cancelled)

        assert card["eventStatus"] == "https://schema.org/EventCancelled"
        assert "previousStartDate" not in card
        assert_valid(card)

    def test_an_extra_meeting_off_the_rule_is_scheduled_not_rescheduled(self, east):
        extra = services.schedule_extra_meeting(
            title="Harvest party", starts_at=START + timedelta(days=3, hours=3), series=east
        )

        card = cards.meeting_card(extra)

        assert card["eventStatus"] == "https://schema.org/EventScheduled"
        assert "previousStartDate" not in card
        assert_valid(card)

    def test_an_extra_meeting_without_a_series_has_only_the_time_as_description(self, db):
        extra = services.schedule_extra_meeting(title="Open space", starts_at=START)

        assert cards.meeting_card(extra)["description"] == (
            "Monday 11 January 2027, 14:00–15:30 UTC, online."
        )

    def test_a_meeting_across_midnight_in_utc_names_both_days(self, east):
        late = MeetingFactory(
            series=east,
            starts_at=datetime(2027, 1, 11, 23, 30, tzinfo=UTC),
            ends_at=datetime(2027, 1, 12, 1, 0, tzinfo=UTC),
        )

        assert cards.meeting_card(late)["description"].startswith(
            "Monday 11 January 2027, 23:30 – Tuesday 12 January 2027, 01:00 UTC, online."
        )

    def test_the_time_is_in_utc_whatever_zone_is_active(self, monday):
        with translation.override("en"), timezone.override("Asia/Kolkata"):
            card = cards.meeting_card(monday)

        assert card["startDate"] == "2027-01-11T14:00:00+00:00"
        assert card["description"].startswith("Monday 11 January 2027, 14:00–15:30 UTC")

    def test_the_day_and_month_follow_the_language(self, monday):
        with translation.override("es"):
            description = cards.meeting_card(monday)["description"]

        assert "enero" in description

    def test_the_meetings_own_description_wins_folded_and_shortened(self, east):
        meeting = MeetingFactory(
            series=east, starts_at=START, description="First line.\n\n" + "word " * 200
        )

        description = cards.meeting_card(meeting)["description"]

        assert description.startswith(
            "Monday 11 January 2027, 14:00–15:30 UTC, online. First line. word word"
        )
        assert "\n" not in description
        assert description.endswith("…")
        assert len(description) < 320

    def test_never_names_the_join_link(self, monday):
        monday.join_url = "https://meet.example.org/meeting-only-room"
        monday.save()

        text = str(cards.meeting_card(monday))

        assert "secret-room" not in text
        assert "meeting-only-room" not in text


class TestSeriesCard:
    def test_lists_the_next_five_meetings_as_events(self, east, settings):
        meetings = [
            MeetingFactory(series=east, starts_at=START + timedelta(weeks=4 * n)) for n in range(7)
        ]

        card = cards.series_card(series=east, meetings=meetings)

        assert card["@type"] == "EventSeries"
        assert card["name"] == "CoP-F East"
        assert card["url"] == f"{settings.SITE_URL}/series/cop-f-east/"
        assert card["description"] == (
            "Every month on the second Monday, 14:00–15:30 UTC, online. "
            "Practice rounds for facilitators."
        )
        assert card["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
        assert [event["url"] for event in card["subEvent"]] == [
            f"{settings.SITE_URL}/meetings/{meeting.pk}/" for meeting in meetings[:5]
        ]
        assert card["subEvent"][0] == {
            key: value
            for key, value in cards.meeting_card(meetings[0]).items()
            if key != "@context"
        }
        assert_valid(card)

    def test_a_series_with_no_coming_meetings_has_no_events(self, east):
        card = cards.series_card(series=east, meetings=[])

        assert card["subEvent"] == []
        assert_valid(card)

    def test_a_cancelled_meeting_in_the_series_stays_listed_as_cancelled(self, east):
        first = MeetingFactory(series=east, starts_at=START)
        services.cancel_meeting(meeting=first)
        first.refresh_from_db()

        card = cards.series_card(series=east, meetings=[first])

        assert card["subEvent"][0]["eventStatus"] == "https://schema.org/EventCancelled"
        assert_valid(card)


class TestSchema:
    """The schema refuses what a card must never be, so a passing card means something."""

    @pytest.mark.parametrize(
        ("change", "value"),
        [
            ("startDate", "2027-01-11T14:00:00"),  # no offset
            ("startDate", "11 January 2027"),
            ("eventStatus", "https://schema.org/EventPostponed"),
            ("eventAttendanceMode", "https://schema.org/OfflineEventAttendanceMode"),
            ("location", {"@type": "VirtualLocation", "url": "/meetings/1/"}),
            ("previousStartDate", "2027-01-10T14:00:00+00:00"),  # but not rescheduled
            ("attendee", [{"@type": "Person", "name": "Ana"}]),
        ],
    )
    def test_refuses_a_broken_card(self, monday, change, value):
        card = {**cards.meeting_card(monday), change: value}

        with pytest.raises(AssertionError):
            assert_valid(card)

    def test_refuses_a_rescheduled_card_without_its_previous_start(self, monday):
        card = {**cards.meeting_card(monday), "eventStatus": "https://schema.org/EventRescheduled"}

        with pytest.raises(AssertionError):
            assert_valid(card)
