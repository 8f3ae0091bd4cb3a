from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from meetings import pagecache, services, views
from meetings.models import Meeting, ScheduleVersion
from members import services as member_services
from tests.factories import SeriesFactory, UserFactory
from tests.meetings.test_views import text_of

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def east(db):
    series = SeriesFactory(slug="cop-f-east", name="CoP-F East", start_time=time(14, 0), capacity=5)
    services.materialize_series(series=series)
    return series


def next_meeting(series) -> Meeting:
    return series.meetings.filter(starts_at__gt=NOW).order_by("starts_at").first()


def rendered(client, path: str) -> tuple[str, int]:
    """The page's text and how many templates rendered it (0 when it came from the cache)."""
    response = client.get(path)
    assert response.status_code == 200
    return text_of(response), len(response.templates)


class TestVersion:
    def test_moves_when_a_meeting_is_saved_and_when_it_is_deleted(self, east):
        before = ScheduleVersion.objects.current()
        meeting = next_meeting(east)
        meeting.save()
        assert ScheduleVersion.objects.current() == before + 1
        meeting.delete()
        assert ScheduleVersion.objects.current() == before + 2

    def test_moves_when_materializing_creates_meetings_in_bulk(self, db):
        series = SeriesFactory()
        before = ScheduleVersion.objects.current()
        services.materialize_series(series=series)  # the series itself is not saved here
        assert ScheduleVersion.objects.current() == before + 1

    def test_stays_when_materializing_changes_nothing(self, east):
        before = ScheduleVersion.objects.current()
        services.materialize_series(series=east)
        assert ScheduleVersion.objects.current() == before

    def test_moves_when_an_answer_changes_and_not_when_it_is_repeated(self, east):
        member, meeting = UserFactory(), next_meeting(east)
        before = ScheduleVersion.objects.current()
        member_services.set_rsvp(user=member, meeting=meeting, response="yes")
        assert ScheduleVersion.objects.current() == before + 1
        member_services.set_rsvp(user=member, meeting=meeting, response="yes")
        assert ScheduleVersion.objects.current() == before + 1

    def test_moves_when_an_account_with_answers_is_deleted(self, east):
        member = UserFactory()
        member_services.set_rsvp(user=member, meeting=next_meeting(east), response="yes")
        before = ScheduleVersion.objects.current()
        member_services.delete_account(user=member)
        assert ScheduleVersion.objects.current() > before

    def test_a_missing_row_starts_again_from_the_clock_in_microseconds(self, db):
        ScheduleVersion.objects.all().delete()
        assert ScheduleVersion.objects.current() == int(NOW.timestamp()) * 1_000_000
        ScheduleVersion.objects.bump()
        assert ScheduleVersion.objects.current() == int(NOW.timestamp()) * 1_000_000 + 1


class TestCachedPages:
    def test_a_second_anonymous_visit_is_served_from_this_process_with_one_query(
        self, client, east, django_assert_num_queries
    ):
        first, templates = rendered(client, "/?tz=Europe/Lisbon")
        assert templates > 0

        with django_assert_num_queries(1):  # the version
            response = client.get("/?tz=Europe/Lisbon")

        assert response.templates == []
        assert text_of(response) == first

    def test_a_page_another_process_rendered_costs_the_version_and_the_shared_entry(
        self, client, east, django_assert_num_queries
    ):
        first, _ = rendered(client, "/?tz=Europe/Lisbon")
        caches["pages"].clear()  # as if this process had never served it

        with django_assert_num_queries(2):
            response = client.get("/?tz=Europe/Lisbon")
        with django_assert_num_queries(1):
            client.get("/?tz=Europe/Lisbon")

        assert response.templates == []
        assert text_of(response) == first

    @pytest.mark.parametrize("path", ["/series/cop-f-east/", "meeting"])
    def test_series_and_meeting_pages_are_cached_too(self, client, east, path):
        if path == "meeting":
            path = next_meeting(east).get_absolute_url()
        first, _ = rendered(client, path)
        again, templates = rendered(client, path)
        assert (again, templates) == (first, 0)

    def test_each_zone_and_each_page_of_the_list_gets_its_own_entry(self, client, east):
        lisbon, _ = rendered(client, "/?tz=Europe/Lisbon")
        tokyo, templates = rendered(client, "/?tz=Asia/Tokyo")
        assert templates > 0
        assert "Times are shown in Asia/Tokyo" in tokyo
        assert "Times are shown in Europe/Lisbon" in lisbon
        _, templates = rendered(client, "/?tz=Europe/Lisbon&page=2")
        assert templates > 0

    def test_a_query_value_the_page_does_not_read_shares_the_entry(self, client, east):
        rendered(client, "/?tz=Europe/Lisbon")
        _, templates = rendered(client, "/?tz=Europe/Lisbon&utm_source=newsletter")
        assert templates == 0

    def test_a_refused_zone_name_is_not_served_the_page_of_the_default_zone(self, client, east):
        rendered(client, "/")
        text, templates = rendered(client, "/?tz=Mars/Olympus")
        assert templates > 0
        assert "We don’t know the time zone “Mars/Olympus”" in text

    def test_the_next_minute_renders_again_so_relative_times_stay_right(
        self, client, east, frozen_now
    ):
        rendered(client, "/")
        frozen_now.shift(timedelta(seconds=59))
        assert rendered(client, "/")[1] == 0
        frozen_now.shift(timedelta(seconds=1))
        assert rendered(client, "/")[1] > 0

    def test_signed_in_members_are_never_served_a_cached_page(self, client, east):
        rendered(client, "/")
        member = UserFactory(display_name="Ana")
        client.force_login(member)
        text, templates = rendered(client, "/")
        assert templates > 0
        assert "Ana" in text

    def test_a_page_with_a_waiting_message_is_rendered_and_shows_it(self, client, east, rf):
        rendered(client, "/")
        storage = CookieStorage(rf.get("/"))
        storage.add(constants.INFO, "You have signed out.")
        response = client.get("/")  # cached page exists, but no message cookie yet
        assert response.templates == []
        client.cookies["messages"] = storage._encode(storage._queued_messages)
        response = client.get("/")
        assert response.templates != []
        assert "You have signed out." in text_of(response)
        assert response.cookies["messages"].value == ""  # shown, so cleared

    def test_a_page_rendered_with_a_message_is_not_stored(self, client, east, rf):
        storage = CookieStorage(rf.get("/"))
        storage.add(constants.INFO, "You have signed out.")
        client.cookies["messages"] = storage._encode(storage._queued_messages)
        assert "You have signed out." in text_of(client.get("/"))
        del client.cookies["messages"]
        text, templates = rendered(client, "/")
        assert templates > 0
        assert "You have signed out." not in text

    def test_a_page_that_is_not_there_is_not_cached(self, client, east):
        assert client.get("/series/nobody/").status_code == 404
        assert client.get("/?page=999").status_code == 404


class TestEveryChangeShowsOnTheNextRequest:
    """Each kind of change a visitor could see, with the page cached just before it."""

    def test_a_moved_meeting(self, client, east):
        meeting = next_meeting(east)
        path = meeting.get_absolute_url()
        assert "14:00" in rendered(client, path)[0]
        services.move_meeting(meeting=meeting, starts_at=meeting.starts_at + timedelta(hours=2))
        text, templates = rendered(client, path)
        assert templates > 0
        assert "16:00" in text

    def test_a_cancelled_meeting(self, client, east):
        meeting = next_meeting(east)
        before, _ = rendered(client, "/")
        services.cancel_meeting(meeting=meeting, message="No host")
        after, templates = rendered(client, "/")
        assert templates > 0
        assert after.count("Cancelled") == before.count("Cancelled") + 1

    def test_an_extra_meeting(self, client, east):
        assert "Harvest party" not in rendered(client, "/")[0]
        services.schedule_extra_meeting(
            title="Harvest party", starts_at=NOW + timedelta(days=1), series=east
        )
        assert "Harvest party" in rendered(client, "/")[0]

    def test_a_series_edit(self, client, east):
        assert "CoP-F Orient" not in rendered(client, "/series/cop-f-east/")[0]
        east.name = "CoP-F Orient"
        east.save()
        assert "CoP-F Orient" in rendered(client, "/series/cop-f-east/")[0]

    def test_an_answer_changing_the_seat_count(self, client, east):
        meeting = next_meeting(east)
        before, _ = rendered(client, "/")
        assert "0 coming" in before
        member_services.set_rsvp(user=UserFactory(), meeting=meeting, response="yes")
        assert "1 coming" in rendered(client, "/")[0]

    def test_a_deleted_account_giving_back_its_seat(self, client, east):
        member = UserFactory()
        member_services.set_rsvp(user=member, meeting=next_meeting(east), response="yes")
        assert "1 coming" in rendered(client, "/")[0]
        member_services.delete_account(user=member)
        assert "0 coming" in rendered(client, "/")[0]


class TestSharedParts:
    """Signed-in members get the body of a page from the same cache, with their own
    answers, Join button and follow form rendered per request."""

    @pytest.fixture
    def bodies(self, monkeypatch):
        """How many times the front page's shared part was built."""
        built = []
        real = views._schedule_context

        def counted(**kwargs):
            built.append(kwargs)
            return real(**kwargs)

        monkeypatch.setattr(views, "_schedule_context", counted)
        return built

    def member_client(self, zone: str = "Europe/Lisbon", **fields) -> Client:
        client = Client()
        client.force_login(UserFactory(timezone=zone, **fields))
        return client

    def test_members_in_one_zone_share_one_body_and_each_sees_their_own_answers(self, east, bodies):
        answering, other = self.member_client(), self.member_client()
        user = answering.get("/me/").wsgi_request.user
        answering.get("/")  # cached before the answer moves the version, and again after
        member_services.set_rsvp(user=user, meeting=next_meeting(east), response="yes")
        bodies.clear()

        mine = answering.get("/").content.decode()
        theirs = other.get("/").content.decode()

        assert len(bodies) == 1
        assert mine.count('aria-pressed="true"') == 2  # on the next card and in the list
        assert theirs.count('aria-pressed="true"') == 0
        assert "1 coming" in mine
        assert "1 coming" in theirs

    def test_a_visitor_and_a_member_share_the_body_but_not_the_forms(self, client, east, bodies):
        visitor = client.get("/?tz=Europe/Lisbon").content.decode()
        member = self.member_client().get("/").content.decode()

        assert len(bodies) == 1
        assert "rsvp-anon" in visitor
        assert "csrfmiddlewaretoken" not in visitor
        assert "rsvp-anon" not in member
        assert "csrfmiddlewaretoken" in member

    def test_members_in_other_zones_get_their_own_body(self, east, bodies):
        lisbon = self.member_client("Europe/Lisbon").get("/").content.decode()
        tokyo = self.member_client("Asia/Tokyo").get("/").content.decode()

        assert len(bodies) == 2
        assert "14:00–15:30 WET" in lisbon
        assert "23:00–00:30 (+1 day) JST" in tokyo

    def test_a_members_forms_send_them_back_to_the_page_they_were_on(self, east):
        html = self.member_client().get("/series/cop-f-east/").content.decode()

        assert 'name="next" value="/series/cop-f-east/"' in html
        assert "Follow CoP-F East" in html

    def test_a_part_for_a_meeting_deleted_since_shows_nothing(self, rf, db):
        request = rf.get("/")
        request.user = AnonymousUser()
        html = "<p>before</p><!--member-part rsvp.rsvp_buttons meeting 999999--><p>after</p>"

        assert pagecache.fill_member_parts(html, request) == "<p>before</p><p>after</p>"

    def test_html_without_markers_is_returned_as_it_is_without_a_query(
        self, rf, db, django_assert_num_queries
    ):
        request = rf.get("/")
        request.user = AnonymousUser()

        with django_assert_num_queries(0):
            assert pagecache.fill_member_parts("<p>a</p>", request) == "<p>a</p>"


def test_a_cached_front_page_reads_the_version_before_the_cache_entry(client, east):
    client.get("/")
    caches["pages"].clear()
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert "meetings_scheduleversion" in queries.captured_queries[0]["sql"]
    assert "copf_cache" in queries.captured_queries[1]["sql"]
