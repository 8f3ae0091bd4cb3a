import re
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine

from meetings import services
from tests.factories import MeetingFactory, SeriesFactory, UserFactory

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
# An anonymous page not yet cached: the version, the cache read, and the cache write
# (its size, a savepoint, the old row, the insert, the release).
PAGE_CACHE_MISS_QUERIES = 7
# The page's shared part (meetings.pagecache.shared_part) not yet cached: its read and write.
PART_CACHE_MISS_QUERIES = 6


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def east(db):
    series = SeriesFactory(slug="cop-f-east", name="CoP-F East", start_time=time(14, 0))
    services.materialize_series(series=series)
    return series


@pytest.fixture
def west(db):
    series = SeriesFactory(slug="cop-f-west", name="CoP-F West", start_time=time(18, 30))
    services.materialize_series(series=series)
    return series


def text_of(response) -> str:
    """The page's visible text with whitespace folded, for whole-sentence asserts."""
    html = response.content.decode()
    html = re.sub(r"<select.*?</select>", " ", html, flags=re.S)
    html = re.sub(r"<(script|style).*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.django_db
class TestSchedule:
    def test_shows_a_meeting_in_kolkata_time_with_utc_beside_it(self, client, east):
        response = client.get("/", {"tz": "Asia/Kolkata"})

        text = text_of(response)
        assert response.status_code == 200
        assert "Monday 14 December 2026 CoP-F East 19:30–21:00 IST (14:00–15:30 UTC)" in text
        assert "Times are shown in Asia/Kolkata (as you picked)" in text

    def test_shows_a_meeting_in_new_york_time(self, client, west):
        response = client.get("/", {"tz": "America/New_York"})

        assert "Monday 14 December 2026 CoP-F West 13:30–15:00 EST (18:30–20:00 UTC)" in (
            text_of(response)
        )

    def test_the_date_changes_in_sydney(self, client, west):
        response = client.get("/", {"tz": "Australia/Sydney"})

        assert (
            "Tuesday 15 December 2026 CoP-F West 05:30–07:00 AEDT "
            "(Mon 14 Dec 2026, 18:30–20:00 UTC)"
        ) in text_of(response)

    def test_groups_both_tracks_under_one_local_day(self, client, east, west):
        response = client.get("/", {"tz": "Europe/London"})

        days = response.context["days"]
        assert [item.meeting.title for item in days[0].meetings] == ["CoP-F East", "CoP-F West"]
        assert days[0].label == "Monday 14 December 2026"

    def test_in_utc_shows_no_second_utc_time(self, client, east):
        response = client.get("/")

        text = text_of(response)
        assert "14:00–15:30 UTC" in text
        assert "(14:00–15:30 UTC)" not in text
        assert "Times are shown in UTC (the default)" in text

    def test_shows_a_cancelled_meeting_as_cancelled(self, client, east):
        meeting = east.meetings.order_by("starts_at").first()
        services.cancel_meeting(meeting=meeting)

        response = client.get("/")

        assert "CoP-F East Cancelled 14:00–15:30 UTC" in text_of(response)
        assert 'class="meeting is-cancelled"' in response.content.decode()

    def test_marks_an_extra_meeting(self, client, east):
        services.schedule_extra_meeting(
            title="Harvest", starts_at=datetime(2026, 12, 1, 10, tzinfo=UTC), series=east
        )

        response = client.get("/")

        assert "Harvest Extra · CoP-F East 10:00–11:30 UTC" in text_of(response)

    def test_hides_meetings_that_have_ended(self, client, east):
        MeetingFactory(series=east, starts_at=datetime(2026, 11, 9, 14, tzinfo=UTC))

        response = client.get("/")

        assert response.context["days"][0].date.isoformat() == "2026-12-14"

    @pytest.mark.parametrize(
        "value",
        [
            "Mars/Base",
            "../../etc/passwd",
            "x" * 500,
            "Europe/Berlin\r\nSet-Cookie: a=b",
            "<script>",
            "localtime",
            "Factory",
            "posixrules",
        ],
    )
    def test_an_unknown_zone_falls_back_to_utc_with_a_note(self, client, east, value):
        response = client.get("/", {"tz": value})

        assert response.status_code == 200
        assert response.context["viewer_tz"].name == "UTC"
        assert "We don’t know the time zone" in text_of(response)
        assert "tz" not in response.cookies
        assert "<script>" not in response.content.decode().split("</head>")[1].replace(
            '<script src="/static/js/tz.js" defer></script>', ""
        )

    def test_the_servers_own_zone_is_no_zone_of_a_viewer(self, client, east):
        response = client.get("/", {"tz": "localtime"})

        assert response.context["viewer_tz"].name == "UTC"
        assert (
            "We don’t know the time zone “localtime”, so times are shown in UTC instead."
            in text_of(response)
        )
        assert "14:00–15:30 UTC" in text_of(response)

    def test_a_legacy_zone_name_is_shown_under_its_current_name(self, client, east):
        response = client.get("/", {"tz": "Europe/Kiev"})

        assert response.context["viewer_tz"].name == "Europe/Kyiv"
        assert "16:00–17:30 EET (14:00–15:30 UTC)" in text_of(response)

    def test_a_picked_zone_is_remembered_in_the_cookie(self, client, east):
        response = client.get("/", {"tz": "Asia/Kolkata"})

        assert response.cookies["tz"].value == "Asia/Kolkata"
        assert response.cookies["tz"]["samesite"] == "Lax"

    def test_the_browser_cookie_sets_the_zone(self, client, east):
        client.cookies["tz"] = "Australia/Sydney"

        response = client.get("/")

        assert response.context["viewer_tz"].source == "cookie"
        assert "01:00–02:30 AEDT" in text_of(response)

    def test_a_bad_cookie_falls_back_to_utc_silently(self, client, east):
        client.cookies["tz"] = "Nowhere/Land"

        response = client.get("/")

        assert response.context["viewer_tz"].name == "UTC"
        assert "We don’t know the time zone" not in text_of(response)

    def test_the_query_wins_over_the_cookie(self, client, east):
        client.cookies["tz"] = "Australia/Sydney"

        response = client.get("/", {"tz": "Asia/Kolkata"})

        assert response.context["viewer_tz"].name == "Asia/Kolkata"

    def test_a_members_profile_zone_wins_over_query_and_cookie(self, client, east):
        client.force_login(UserFactory(timezone="America/New_York"))
        client.cookies["tz"] = "Australia/Sydney"

        response = client.get("/", {"tz": "Asia/Kolkata"})

        assert response.context["viewer_tz"].source == "profile"
        assert "09:00–10:30 EST" in text_of(response)

    def test_the_picker_offers_zones_with_the_current_one_selected(self, client, east):
        response = client.get("/", {"tz": "Asia/Kolkata"})

        html = response.content.decode()
        assert '<label for="tz-picker">Show times in</label>' in html
        assert '<option value="Asia/Kolkata" selected>Kolkata (UTC+05:30)</option>' in html

    def test_page_loads_the_zone_script_from_a_file_not_inline(self, client, east):
        response = client.get("/")

        html = response.content.decode()
        assert html.count("<script") == html.count("<script src=") == 4
        assert '<script src="/static/js/tz.js" defer></script>' in html
        assert 'data-tz-source="default"' in html


@pytest.mark.django_db
class TestScheduleQueries:
    @pytest.mark.parametrize("count", [1, 200])
    def test_uses_the_same_queries_for_1_and_200_meetings(
        self, client, django_assert_num_queries, count
    ):
        series = SeriesFactory()
        start = datetime(2026, 12, 1, 14, tzinfo=UTC)
        for day in range(count):
            MeetingFactory(series=series, starts_at=start + timedelta(days=day))

        # A page of the list, the next cards, the month; the two caches' misses; the
        # meetings whose answer buttons are filled in.
        with django_assert_num_queries(3 + PAGE_CACHE_MISS_QUERIES + PART_CACHE_MISS_QUERIES + 1):
            response = client.get("/")

        assert sum(len(day.meetings) for day in response.context["days"]) == min(count, 10)

    @pytest.mark.parametrize("count", [1, 200])
    def test_series_page_uses_the_same_queries_for_1_and_200_meetings(
        self, client, django_assert_num_queries, count
    ):
        series = SeriesFactory()
        start = datetime(2026, 12, 1, 14, tzinfo=UTC)
        for day in range(count):
            MeetingFactory(series=series, starts_at=start + timedelta(days=day))

        # The series, its meetings, the one before them; the two caches' misses; the
        # meetings and the series whose member parts are filled in.
        with django_assert_num_queries(3 + PAGE_CACHE_MISS_QUERIES + PART_CACHE_MISS_QUERIES + 2):
            response = client.get(series.get_absolute_url())

        assert len(response.context["meetings"]) == count


@pytest.mark.django_db
class TestSeriesDetail:
    def test_says_the_rule_in_plain_words(self, client, east):
        response = client.get("/series/cop-f-east/")

        text = text_of(response)
        assert "Every month on the second Monday, 14:00–15:30 UTC" in text
        assert "Fixed in UTC: your local time moves when your clocks change." in text

    def test_explains_a_berlin_anchor(self, client):
        SeriesFactory(slug="berlin", anchor_timezone="Europe/Berlin", start_time=time(10, 0))

        response = client.get("/series/berlin/")

        text = text_of(response)
        assert "Every month on the second Monday, 10:00–11:30 Europe/Berlin time" in text
        assert "Fixed to the wall clock in Europe/Berlin" in text

    def test_marks_the_meeting_whose_local_time_moved_with_new_york_clocks(self, client, east):
        response = client.get("/series/cop-f-east/", {"tz": "America/New_York"})

        marked = [item for item in response.context["meetings"] if item.local_time_changed]
        assert [(item.short_day_label, item.previous_local_time) for item in marked] == [
            ("Mon 12 Apr 2027", "09:00 EST"),
            ("Mon 8 Nov 2027", "10:00 EDT"),
        ]
        assert "Clocks change: your local time was 09:00 EST at the meeting before." in text_of(
            response
        )

    def test_marks_nothing_in_kolkata_where_clocks_never_change(self, client, east):
        response = client.get("/series/cop-f-east/", {"tz": "Asia/Kolkata"})

        assert not any(item.local_time_changed for item in response.context["meetings"])

    def test_unknown_slug_is_404(self, client, db):
        response = client.get("/series/no-such-series/")

        assert response.status_code == 404
        assert "Not found" in text_of(response)


@pytest.mark.django_db
class TestMeetingDetail:
    def test_shows_the_meeting_in_sydney_on_the_next_day(self, client, west):
        meeting = west.meetings.order_by("starts_at").first()

        response = client.get(meeting.get_absolute_url(), {"tz": "Australia/Sydney"})

        text = text_of(response)
        assert (
            "Tuesday 15 December 2026, 05:30–07:00 AEDT "
            "Australia/Sydney · Mon 14 Dec 2026, 18:30–20:00 UTC · in 2 weeks"
        ) in text
        assert "Series CoP-F West Status Scheduled" in text

    def test_a_visitor_is_told_that_members_who_answer_can_join(self, client, west):
        meeting = west.meetings.order_by("starts_at").first()

        response = client.get(meeting.get_absolute_url())

        assert "Members who answer get a Join button" in text_of(response)
        assert "https://meet.example.org/copf" not in response.content.decode()

    def test_shows_the_same_moment_around_the_world(self, client, east):
        meeting = east.meetings.order_by("starts_at").first()

        response = client.get(meeting.get_absolute_url())

        text = text_of(response)
        assert "Kolkata Mon 14 Dec 2026, 19:30–21:00 IST" in text
        assert "New York Mon 14 Dec 2026, 09:00–10:30 EST" in text
        assert "Auckland Tue 15 Dec 2026, 03:00–04:30 NZDT" in text

    def test_a_cancelled_meeting_says_so_and_hides_the_link(self, client, east):
        meeting = services.cancel_meeting(meeting=east.meetings.order_by("starts_at").first())

        response = client.get(meeting.get_absolute_url())

        text = text_of(response)
        assert "This meeting is cancelled." in text
        assert "Join https://" not in text

    def test_uses_seven_queries_for_a_visitor(self, client, east, django_assert_num_queries):
        meeting = east.meetings.order_by("starts_at").first()

        # The meeting, and again for its member parts; the answer counts; the practice: its
        # roles, their holders, the agenda and the harvest.
        with django_assert_num_queries(7 + PAGE_CACHE_MISS_QUERIES + PART_CACHE_MISS_QUERIES):
            client.get(meeting.get_absolute_url())

    @pytest.mark.parametrize("path", ["/meetings/999999/", "/meetings/0/"])
    def test_unknown_id_is_404(self, client, db, path):
        assert client.get(path).status_code == 404

    def test_non_numeric_id_is_404(self, client, db):
        assert client.get("/meetings/abc/").status_code == 404


@pytest.mark.django_db
class TestFrontPage:
    def test_says_what_cop_f_is(self, client, east):
        text = text_of(client.get("/"))

        assert "No one teaches anyone: we all learn from each other by practising" in text

    def test_shows_each_tracks_next_session_in_the_viewers_zone_with_utc_beside(
        self, client, east, west
    ):
        response = client.get("/", {"tz": "Asia/Tokyo"})

        cards = [card.meeting.series.name for card in response.context["next_sessions"]]
        assert cards == ["CoP-F East", "CoP-F West"]
        assert (
            "CoP-F East Monday 14 December 2026, 23:00–00:30 (+1 day) JST "
            "Asia/Tokyo · 14:00–15:30 UTC in 2 weeks"
        ) in text_of(response)

    def test_in_tokyo_kindly_points_from_west_in_the_night_to_east(self, client, east, west):
        next_east = east.meetings.order_by("starts_at").first()

        response = client.get("/", {"tz": "Asia/Tokyo"})

        assert (
            "This is at 03:30 on Tuesday where you are, in the middle of the night. "
            f'<a href="/meetings/{next_east.pk}/">CoP-F East</a>, at 23:00 on Monday, '
            "may suit you better."
        ) in response.content.decode()

    def test_a_visitor_answers_through_links_that_lead_to_sign_up(self, client, east):
        meeting = east.meetings.order_by("starts_at").first()

        html = client.get("/").content.decode()

        assert f'href="/meetings/{meeting.pk}/rsvp/yes/"' in html
        assert "csrfmiddlewaretoken" not in html

    def test_shows_a_page_of_sessions_and_a_link_to_later_ones(self, client, east, west):
        response = client.get("/")

        assert sum(len(day.meetings) for day in response.context["days"]) == 10
        assert '<a href="?page=2" rel="next">Later sessions</a>' in response.content.decode()

    def test_a_later_page_holds_only_the_list(self, client, east, west):
        first = client.get("/").context["days"]
        response = client.get("/", {"page": "2"})

        assert "next_sessions" not in response.context
        assert response.context["days"][0].date > first[-1].date
        assert '<a href="/" rel="prev">Earlier sessions</a>' in response.content.decode()

    @pytest.mark.parametrize("page", ["0", "abc", "-1", "٣", "1001", "999"])
    def test_a_page_that_is_not_there_is_404(self, client, east, page):
        assert client.get("/", {"page": page}).status_code == 404

    def test_shows_the_month_of_the_next_session_as_a_grid(self, client, east):
        response = client.get("/", {"tz": "Asia/Tokyo"})

        html = response.content.decode()
        assert response.context["month"].first.isoformat() == "2026-12-01"
        assert '<h2 id="month-heading">December 2026</h2>' in html
        assert 'href="/calendar/2027/1/" rel="next">Next: January 2027</a>' in html


@pytest.mark.django_db
class TestMonthPage:
    def test_shows_the_months_sessions_on_their_local_days(self, client, west):
        response = client.get("/calendar/2027/1/", {"tz": "Asia/Tokyo"})

        placed = [
            (day.date.isoformat(), len(day.meetings))
            for week in response.context["month"].weeks
            for day in week
            if day.meetings
        ]
        assert response.status_code == 200
        assert placed == [("2027-01-12", 1)]

    @pytest.mark.parametrize(
        "path", ["/calendar/2027/13/", "/calendar/2027/0/", "/calendar/99999999999999999999/1/"]
    )
    def test_a_month_that_is_not_there_is_404(self, client, db, path):
        assert client.get(path).status_code == 404

    def test_uses_one_query(self, client, west, django_assert_num_queries):
        with django_assert_num_queries(1):
            client.get("/calendar/2027/1/")


@pytest.mark.django_db
class TestSeriesForYou:
    def test_series_page_says_the_rule_in_the_viewers_terms(self, client, west):
        text = text_of(client.get("/series/cop-f-west/", {"tz": "Asia/Tokyo"}))

        assert "For you: at 03:30 JST, on the Tuesday after the date in UTC" in text
