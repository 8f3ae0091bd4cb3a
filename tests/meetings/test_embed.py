import re
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine

from meetings import embed, services
from meetings.models import Meeting
from meetings.selectors import embedded_meetings
from members.models import Rsvp
from tests.factories import MeetingFactory, SeriesFactory, UserFactory

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SCRIPT_LIMIT_BYTES = 15 * 1024


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def west(db):
    series = SeriesFactory(slug="cop-f-west", name="CoP-F West", start_time=time(18, 30))
    services.materialize_series(series=series)
    return series


@pytest.fixture
def east(db):
    series = SeriesFactory(slug="cop-f-east", name="CoP-F East", start_time=time(14, 0))
    services.materialize_series(series=series)
    return series


def text_of(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<select.*?</select>", " ", html, flags=re.S)
    html = re.sub(r"<(script|style|textarea|title).*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def textarea(response, name: str) -> str:
    match = re.search(
        rf'<textarea[^>]*data-snippet="{name}"[^>]*>(.*?)</textarea>',
        response.content.decode(),
        re.S,
    )
    return match[1]


class TestScript:
    def test_is_served_as_javascript_with_an_hour_of_caching_and_an_etag(self, client):
        response = client.get("/embed.js")

        assert response.status_code == 200
        assert response["Content-Type"] == "application/javascript; charset=utf-8"
        assert response["Cache-Control"] == "public, max-age=3600"
        assert response["ETag"] == embed.script_body()[1]
        assert response["Access-Control-Allow-Origin"] == "*"
        assert response.content == embed.SCRIPT_PATH.read_bytes()

    def test_defines_the_element_with_a_shadow_root_and_a_constructed_stylesheet(self, client):
        body = client.get("/embed.js").content.decode()

        assert 'customElements.define("copf-sessions"' in body
        assert "attachShadow" in body
        assert "new CSSStyleSheet()" in body
        assert "adoptedStyleSheets" in body
        assert "eval(" not in body
        assert "innerHTML" not in body

    def test_is_smaller_than_15_kb_as_served(self, client):
        assert len(client.get("/embed.js").content) < SCRIPT_LIMIT_BYTES

    def test_a_browser_holding_the_same_version_gets_304(self, client):
        etag = client.get("/embed.js")["ETag"]

        response = client.get("/embed.js", headers={"if-none-match": etag})

        assert response.status_code == 304
        assert response.content == b""
        assert response["ETag"] == etag
        assert response["Cache-Control"] == "public, max-age=3600"

    def test_an_older_version_gets_the_script(self, client):
        response = client.get("/embed.js", headers={"if-none-match": '"an-older-one"'})

        assert response.status_code == 200

    def test_refuses_a_post(self, client):
        assert client.post("/embed.js").status_code == 405


@pytest.mark.django_db
class TestFrame:
    def test_lists_the_coming_sessions_in_utc_for_the_script_to_rewrite(self, client, west, east):
        response = client.get("/embed/sessions/", {"count": "3"})

        assert response.status_code == 200
        assert text_of(response) == (
            "CoP-F East Mon 14 Dec, 14:00–15:30 UTC "
            "Add to calendar : CoP-F East, Mon 14 Dec (.ics file) "
            "CoP-F West Mon 14 Dec, 18:30–20:00 UTC "
            "Add to calendar : CoP-F West, Mon 14 Dec (.ics file) "
            "CoP-F East Mon 11 Jan, 14:00–15:30 UTC "
            "Add to calendar : CoP-F East, Mon 11 Jan (.ics file)"
        )

    def test_gives_the_script_each_start_and_end_in_utc(self, client, west):
        html = client.get("/embed/sessions/", {"series": "cop-f-west", "count": "1"}).content
        meeting = Meeting.objects.order_by("starts_at").first()

        assert (
            b'<li class="session" data-starts-at="2026-12-14T18:30:00Z" '
            b'data-ends-at="2026-12-14T20:00:00Z">'
        ) in html
        assert f'href="http://testserver/meetings/{meeting.pk}/"'.encode() in html
        assert f'href="http://testserver/meetings/{meeting.pk}/calendar.ics"'.encode() in html

    def test_shows_utc_whatever_zone_the_viewer_has_picked(self, client, west):
        response = client.get("/embed/sessions/", {"count": "1", "tz": "Asia/Tokyo"})

        assert "Mon 14 Dec, 18:30–20:00 UTC" in text_of(response)

    def test_one_series_only(self, client, west, east):
        response = client.get("/embed/sessions/", {"series": "cop-f-west", "count": "2"})

        assert text_of(response).count("CoP-F West") == 4
        assert "CoP-F East" not in text_of(response)

    def test_marks_a_cancelled_session_and_offers_no_calendar_link(self, client, west):
        meeting = Meeting.objects.order_by("starts_at").first()
        services.cancel_meeting(meeting=meeting)

        response = client.get("/embed/sessions/", {"series": "cop-f-west", "count": "1"})

        assert text_of(response) == "CoP-F West Cancelled Mon 14 Dec, 18:30–20:00 UTC"
        assert b'class="session cancelled"' in response.content

    def test_says_how_many_seats_are_left_when_seats_are_limited(self, client, west):
        meeting = Meeting.objects.order_by("starts_at").first()
        meeting.capacity = 3
        meeting.save()
        for user in UserFactory.create_batch(2):
            Rsvp.objects.create(meeting=meeting, user=user, response=Rsvp.Response.YES)

        response = client.get("/embed/sessions/", {"series": "cop-f-west", "count": "1"})

        assert "1 seat left" in text_of(response)

    def test_says_full_when_no_seat_is_left(self, client, west):
        meeting = Meeting.objects.order_by("starts_at").first()
        meeting.capacity = 1
        meeting.save()
        Rsvp.objects.create(meeting=meeting, user=UserFactory(), response=Rsvp.Response.YES)

        response = client.get("/embed/sessions/", {"series": "cop-f-west", "count": "1"})

        assert "18:30–20:00 UTC Full Add to calendar" in text_of(response)

    def test_sets_the_theme_and_the_language_on_the_page(self, client, west):
        html = client.get("/embed/sessions/", {"theme": "dark", "lang": "en"}).content

        assert b'<html lang="en" data-theme="dark">' in html

    def test_says_so_when_nothing_is_coming(self, client, db):
        SeriesFactory(slug="quiet")

        response = client.get("/embed/sessions/", {"series": "quiet"})

        assert response.status_code == 200
        assert text_of(response) == "No sessions are coming up. See the sessions on the CoP-F site"

    def test_loads_its_script_from_files_not_inline(self, client, west):
        html = client.get("/embed/sessions/").content.decode()

        assert re.findall(r"<script[^>]*>", html) == [
            '<script src="/embed.js" defer>',
            '<script src="/static/js/embed-frame.js" defer>',
        ]
        assert "style=" not in html

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ({"series": "cop-f-nowhere"}, "There is no series with that name."),
            ({"count": "0"}, "Ensure this value is greater than or equal to 1."),
            ({"count": "21"}, "Ensure this value is less than or equal to 20."),
            ({"count": "three"}, "The number of sessions must be from 1 to 20."),
            ({"theme": "pink"}, "Select a valid choice. pink is not one of the available choices."),
            ({"lang": "xx"}, "Select a valid choice. xx is not one of the available choices."),
        ],
    )
    def test_a_bad_parameter_gets_a_400_saying_what_is_wrong(self, client, west, query, message):
        response = client.get("/embed/sessions/", query)

        assert response.status_code == 400
        assert text_of(response) == (
            "This embedded schedule has a mistake in its address "
            f"{message} Make a new snippet on the CoP-F embedding page ."
        )

    def test_other_sites_may_frame_it(self, client, west):
        response = client.get("/embed/sessions/")

        assert "frame-ancestors *" in response["Content-Security-Policy"]
        assert "'none'" not in _directive(response, "frame-ancestors")
        assert "X-Frame-Options" not in response

    def test_other_sites_may_frame_its_400_page_too(self, client, west):
        response = client.get("/embed/sessions/", {"count": "99"})

        assert _directive(response, "frame-ancestors") == "frame-ancestors *"
        assert "X-Frame-Options" not in response

    def test_keeps_the_rest_of_the_policy(self, client, west):
        response = client.get("/embed/sessions/")

        assert _directive(response, "script-src") == "script-src 'self'"
        assert _directive(response, "style-src") == "style-src 'self'"

    @pytest.mark.parametrize("path", ["/", "/embed/", "/embed.js", "/series/cop-f-west/"])
    def test_every_other_page_still_refuses_frames(self, client, west, path):
        response = client.get(path)

        assert _directive(response, "frame-ancestors") == "frame-ancestors 'none'"
        assert response["X-Frame-Options"] == "DENY"

    def test_is_cached_for_five_minutes(self, client, west):
        assert client.get("/embed/sessions/")["Cache-Control"] == "public, max-age=300"

    @pytest.mark.parametrize("count", [1, 20])
    def test_reads_the_series_and_the_meetings_in_two_queries(
        self, client, count, django_assert_num_queries
    ):
        weekly = SeriesFactory(slug="weekly", rrule="FREQ=WEEKLY;BYDAY=MO")
        services.materialize_series(series=weekly)

        with django_assert_num_queries(2):
            response = client.get("/embed/sessions/", {"series": "weekly", "count": count})

        assert response.content.count(b'<li class="session"') == count


def _directive(response, name: str) -> str:
    directives = [part.strip() for part in response["Content-Security-Policy"].split(";")]
    return next(part for part in directives if part.split()[0] == name)


@pytest.mark.django_db
class TestEmbedPage:
    def test_offers_both_snippets_with_the_defaults(self, client, west, east):
        response = client.get("/embed/")

        assert response.status_code == 200
        assert 'name="count" value="3"' in response.content.decode()
        assert textarea(response, "script") == (
            "&lt;script src=&quot;http://testserver/embed.js&quot; async&gt;&lt;/script&gt;\n"
            "&lt;copf-sessions count=&quot;3&quot; theme=&quot;auto&quot; lang=&quot;en&quot;"
            "&gt;&lt;/copf-sessions&gt;"
        )
        assert textarea(response, "frame") == (
            "&lt;iframe src=&quot;http://testserver/embed/sessions/?count=3&amp;amp;theme=auto"
            "&amp;amp;lang=en&quot; title=&quot;Upcoming CoP-F sessions&quot; width=&quot;100%"
            "&quot; height=&quot;340&quot; loading=&quot;lazy&quot;&gt;&lt;/iframe&gt;"
        )

    def test_writes_the_chosen_options_into_the_snippets_and_the_preview(self, client, west):
        response = client.get(
            "/embed/", {"series": "cop-f-west", "count": "5", "theme": "dark", "lang": "en"}
        )
        html = response.content.decode()

        assert textarea(response, "script").endswith(
            "&lt;copf-sessions series=&quot;cop-f-west&quot; count=&quot;5&quot; "
            "theme=&quot;dark&quot; lang=&quot;en&quot;&gt;&lt;/copf-sessions&gt;"
        )
        assert "/embed/sessions/?series=cop-f-west&amp;amp;count=5&amp;amp;theme=dark" in (
            textarea(response, "frame")
        )
        assert (
            '<copf-sessions data-embed-preview series="cop-f-west" count="5" lang="en" '
            'theme="dark"></copf-sessions>'
        ) in html
        assert '<option value="cop-f-west" selected>CoP-F West</option>' in html
        assert '<option value="dark" selected>Dark</option>' in html

    def test_fills_in_the_defaults_for_what_the_query_leaves_out(self, client, west):
        html = client.get("/embed/", {"series": "cop-f-west"}).content.decode()

        assert 'name="count" value="3"' in html
        assert '<option value="auto" selected>' in html

    def test_a_bad_value_is_shown_escaped_with_its_error_and_the_snippets_keep_the_default(
        self, client, west
    ):
        hostile = '"><script>alert(1)</script>'
        response = client.get("/embed/", {"count": hostile, "series": hostile})
        html = response.content.decode()

        assert response.status_code == 200
        assert "<script>alert(1)" not in html
        assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
        assert "The number of sessions must be from 1 to 20." in text_of(response)
        assert "There is no series with that name." in text_of(response)
        assert "count=&quot;3&quot;" in textarea(response, "script")
        assert "series=" not in textarea(response, "script")

    def test_labels_every_field(self, client, west):
        html = client.get("/embed/").content.decode()

        for name in ("series", "count", "theme", "lang"):
            assert f'<label for="id_{name}">' in html
            assert f'id="id_{name}"' in html

    def test_has_no_inline_script(self, client, west):
        html = client.get("/embed/").content.decode()

        assert [tag for tag in re.findall(r"<script[^>]*>", html) if "src=" not in tag] == []

    def test_the_snippet_names_the_iframe_and_the_script_from_this_site(self, client, west):
        response = client.get("/embed/", headers={"host": "localhost"})

        assert "http://localhost/embed.js" in textarea(response, "script")
        assert "http://localhost/embed/sessions/" in textarea(response, "frame")


@pytest.mark.django_db
def test_embedded_meetings_counts_only_seats_held(west):
    meeting = Meeting.objects.order_by("starts_at").first()
    Rsvp.objects.create(meeting=meeting, user=UserFactory(), response=Rsvp.Response.YES)
    Rsvp.objects.create(meeting=meeting, user=UserFactory(), response=Rsvp.Response.MAYBE)
    waiting = Rsvp.objects.create(meeting=meeting, user=UserFactory(), response=Rsvp.Response.YES)
    Rsvp.objects.filter(pk=waiting.pk).update(waitlisted_at=NOW)

    first, second = embedded_meetings(count=2, series=west)

    assert (first.pk, first.seats_taken, second.seats_taken) == (meeting.pk, 1, 0)


@pytest.mark.django_db
def test_an_extra_meeting_without_a_series_is_listed_with_all_series(client, west):
    MeetingFactory(
        series=None,
        is_extra=True,
        title="Open space",
        starts_at=NOW + timedelta(days=1),
    )

    response = client.get("/embed/sessions/", {"count": "1"})

    assert text_of(response).startswith("Open space Fri 27 Nov, 09:00–10:30 UTC")


HOSTILE_VALUES = [
    "",
    "   ",
    "x" * 10_000,
    "٣",
    "３",
    str(10**30),
    "-1",
    "1e309",
    "NaN",
    "🙂" * 200,
    "<script>alert(1)</script>{{ 7|add:7 }}%s%n",
    "cop-f-west\u202e",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/embed/", "/embed/sessions/"])
@pytest.mark.parametrize("field", ["series", "count", "theme", "lang"])
def test_hostile_options_in_the_query_never_give_a_server_error(client, west, path, field):
    for value in HOSTILE_VALUES:
        response = client.get(path, {field: value})

        assert response.status_code in (200, 400), (field, value)
        assert b"<script>alert(1)" not in response.content
