"""`/insights/` over HTTP: who may open it, the period form, the charts and their tables."""

import base64
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import Attendance, Rsvp
from tests.factories import MeetingFactory, SeriesFactory, UserFactory
from tests.members.practice.support import member, organizer

NOW = datetime(2027, 7, 20, 12, 0, tzinfo=UTC)
URL = "/insights/"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def east(db, clock):
    """East held one meeting in March 2027: two came of three who said yes."""
    series = SeriesFactory(slug="east", name="CoP-F East")
    meeting = MeetingFactory(series=series, starts_at=datetime(2027, 3, 8, 14, 0, tzinfo=UTC))
    kolkata = UserFactory(timezone="Asia/Kolkata")
    sydney = UserFactory(timezone="Australia/Sydney")
    absent = UserFactory(timezone="UTC")
    for user in (kolkata, sydney, absent):
        Rsvp.objects.create(meeting=meeting, user=user, response=Rsvp.Response.YES)
    for user in (kolkata, sydney):
        Attendance.objects.create(
            meeting=meeting, user=user, present=True, source=Attendance.Source.JOIN_LINK
        )
    return series


def test_the_url_is_named_in_the_public_contract():
    assert reverse("members:insights") == URL


def test_a_visitor_is_sent_to_log_in(client, east):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/insights/"


def test_a_member_who_is_not_an_organizer_is_refused(client, east):
    client.force_login(member("Mia"))

    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("who", ["organizer", "staff"])
def test_organizers_and_staff_see_the_figures(client, east, who):
    user = organizer() if who == "organizer" else member("Sam", is_staff=True)
    client.force_login(user)

    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    # The last 12 months by default, August 2026 to July 2027.
    assert 'name="start" value="2026-08"' in html
    assert 'name="end" value="2027-07"' in html
    assert response.context["result"].period.first.isoformat() == "2026-08-01"
    assert response.context["result"].period.last.isoformat() == "2027-07-01"
    row = re.search(r"<th scope=\"row\">Mar 2027</th>(.*?)</tr>", html, re.S).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    # meetings, attended, yes, show rate, first-timers, came back, regulars, coverage, waited,
    # promoted
    assert cells == ["1", "2", "3", "67%", "2", "0", "0", "0%", "0", "0"]


def test_the_zone_table_shows_kolkata_at_half_past_and_sydney_at_night(client, east):
    client.force_login(organizer())

    html = client.get(URL).content.decode()

    assert re.search(
        r"<th scope=\"row\">UTC\+05:30</th><td>1</td><td>1</td>\s*<td>19:30</td>", html
    )
    assert re.search(
        r"<th scope=\"row\">UTC\+10:00</th><td>1</td><td>1</td>\s*"
        r"<td>00:00 <strong>\(at night\)</strong></td>",
        html,
    )


def test_charts_are_svg_images_without_script_so_the_policy_allows_them(client, east):
    client.force_login(organizer())

    response = client.get(URL)
    html = response.content.decode()

    sources = re.findall(r'<img class="insights-chart" src="([^"]+)"', html)
    assert len(sources) == 3
    for source in sources:
        prefix = "data:image/svg+xml;base64,"
        assert source.startswith(prefix)
        svg = base64.b64decode(source.removeprefix(prefix)).decode()
        assert svg.startswith("<svg")
        assert "<script" not in svg
    assert "<script>" not in html  # no inline script on the page
    assert "img-src 'self' data:" in response["Content-Security-Policy"]


def test_a_track_and_a_period_can_be_picked(client, east):
    SeriesFactory(slug="west", name="CoP-F West")
    client.force_login(organizer())

    response = client.get(URL, {"start": "2027-02", "end": "2027-04", "track": "east"})

    assert response.status_code == 200
    result = response.context["result"]
    assert [track.series.slug for track in result.tracks] == ["east"]
    assert [month.month.isoformat() for month in result.tracks[0].months] == [
        "2027-02-01",
        "2027-03-01",
        "2027-04-01",
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2027-13"}, "Enter a valid date."),
        ({"start": "2027-05", "end": "2027-02"}, "The first month comes after the last one."),
        ({"start": "2020-01", "end": "2027-01"}, "Pick at most 36 months."),
        ({"start": "1999-12", "end": "2000-01"}, "Pick months between 2000 and 2100."),
        ({"end": "9999-12"}, "Pick months between 2000 and 2100."),
        ({"track": "nowhere"}, "Select a valid choice."),
        ({"start": "x" * 10_000}, "Enter a valid date."),
    ],
)
def test_a_bad_period_gets_a_400_with_a_message(client, east, query, message):
    client.force_login(organizer())

    response = client.get(URL, query)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_nul_in_the_period_is_refused_before_the_page(client, east):
    client.force_login(organizer())

    assert client.get(URL, {"start": "2027-01\x00"}).status_code == 400


def test_posting_is_not_allowed(client, east):
    client.force_login(organizer())

    assert client.post(URL).status_code == 405


def test_the_page_makes_as_many_queries_with_many_members_and_meetings(client, east):
    client.force_login(organizer())
    client.get(URL)  # the session and the permission cache warm up alike for both
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for day in range(1, 29):
        meeting = MeetingFactory(series=east, starts_at=datetime(2027, 4, day, 14, tzinfo=UTC))
        for user in UserFactory.create_batch(3, timezone="America/Sao_Paulo"):
            Attendance.objects.create(
                meeting=meeting, user=user, present=True, source=Attendance.Source.MARKED
            )

    with CaptureQueriesContext(connection) as many:
        client.get(URL)

    assert len(many) == len(few)
