"""Attendance over HTTP: the join links, marking and "I was there", and the CSV."""

from datetime import timedelta

import pytest
from django.core import signing

from meetings.services import cancel_meeting
from members import links
from members.models import Attendance, Rsvp
from members.practice import attendance, roles
from members.services import set_rsvp

from .support import AFTER, START, east, meeting_of, member, organizer

pytestmark = pytest.mark.django_db

Source = Attendance.Source
CALL = "https://meet.example.org/copf"
DURING = START + timedelta(minutes=30)


@pytest.fixture
def meeting():
    return meeting_of(east())


def answered(name: str, meeting, response: str = Rsvp.Response.YES, **fields: object):
    person = member(name, **fields)
    set_rsvp(user=person, meeting=meeting, response=response)
    return person


def token_path(user, meeting) -> str:
    return links.join_url(user_id=user.pk, meeting_id=meeting.pk).removeprefix("http://testserver")


class TestJoin:
    def test_a_member_joining_during_the_meeting_is_recorded_and_sent_to_the_call(
        self, client, meeting, clock
    ):
        asha = member("Asha")
        client.force_login(asha)
        clock.move_to(DURING)

        response = client.get(f"/meetings/{meeting.pk}/join/")

        assert (response.status_code, response["Location"]) == (302, CALL)
        row = Attendance.objects.get()
        assert (row.user, row.present, row.source, row.joined_at) == (
            asha,
            True,
            Source.JOIN_LINK,
            DURING,
        )

    def test_before_the_call_opens_the_page_says_when_and_records_nothing(
        self, client, meeting, clock
    ):
        client.force_login(member("Asha"))
        clock.move_to(START - timedelta(minutes=16))

        response = client.get(f"/meetings/{meeting.pk}/join/")

        assert response.status_code == 409
        assert response.context["message"] == (
            "The call opens 15 minutes before the start, at 2027-01-11 13:45 UTC."
        )
        assert Attendance.objects.count() == 0

    def test_after_the_end_the_page_says_it_is_over(self, client, meeting, clock):
        client.force_login(member("Asha"))
        clock.move_to(meeting.ends_at)

        response = client.get(f"/meetings/{meeting.pk}/join/")

        assert response.status_code == 409
        assert response.context["message"] == (
            "This meeting is over: its call closed at 2027-01-11 15:30 UTC."
        )

    def test_a_cancelled_meeting_says_so_instead_of_redirecting(self, client, meeting, clock):
        cancel_meeting(meeting=meeting)
        client.force_login(member("Asha"))
        clock.move_to(DURING)

        response = client.get(f"/meetings/{meeting.pk}/join/")

        assert response.status_code == 410
        assert response.context["message"] == (
            "This meeting was cancelled, so there is no call to join."
        )
        assert Attendance.objects.count() == 0

    def test_a_visitor_is_sent_to_log_in(self, client, meeting, clock):
        clock.move_to(DURING)

        response = client.get(f"/meetings/{meeting.pk}/join/")

        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next=/meetings/{meeting.pk}/join/"
        assert Attendance.objects.count() == 0

    def test_without_a_call_address_nothing_is_recorded(self, client, clock):
        meeting = meeting_of(east(join_url=""))
        client.force_login(member("Asha"))
        clock.move_to(DURING)

        response = client.get(f"/meetings/{meeting.pk}/join/")

        assert response.status_code == 409
        assert Attendance.objects.count() == 0


class TestSignedJoinLink:
    def test_the_link_records_its_member_without_logging_in(self, client, meeting, clock):
        asha = member("Asha")
        clock.move_to(START - timedelta(minutes=10))

        response = client.get(token_path(asha, meeting))

        assert (response.status_code, response["Location"]) == (302, CALL)
        assert Attendance.objects.get().user == asha

    def test_a_tampered_link_gets_a_clear_page_and_400(self, client, meeting, clock):
        path = token_path(member("Asha"), meeting)
        clock.move_to(DURING)

        response = client.get(path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:])

        assert response.status_code == 400
        assert response.context["message"].startswith("This join link does not work")
        assert Attendance.objects.count() == 0

    def test_a_link_signed_for_something_else_is_refused_with_400(self, client, meeting, clock):
        asha = member("Asha")
        foreign = signing.dumps({"u": asha.pk, "m": meeting.pk}, salt=links.TAKE_ROLE_SALT)
        clock.move_to(DURING)

        response = client.get(f"/join/{foreign}/")

        assert response.status_code == 400
        assert Attendance.objects.count() == 0

    def test_a_link_keeps_to_the_window_and_to_cancellation(self, client, meeting, clock):
        path = token_path(member("Asha"), meeting)
        clock.move_to(START - timedelta(hours=1))
        early = client.get(path)
        meeting = cancel_meeting(meeting=meeting)
        clock.move_to(DURING)

        cancelled = client.get(path)

        assert (early.status_code, cancelled.status_code) == (409, 410)
        assert Attendance.objects.count() == 0

    def test_a_link_of_a_member_who_left_is_refused(self, client, meeting, clock):
        asha = member("Asha")
        path = token_path(asha, meeting)
        asha.delete()
        clock.move_to(DURING)

        response = client.get(path)

        assert response.status_code == 404


class TestMarking:
    def test_an_organizer_marks_a_member_absent(self, client, meeting, clock):
        asha = answered("Asha", meeting)
        client.force_login(organizer())
        clock.move_to(AFTER)

        response = client.post(
            f"/meetings/{meeting.pk}/attendance/mark/",
            {"member": asha.pk, "presence": "absent"},
        )

        assert response.status_code == 302
        row = Attendance.objects.get()
        assert (row.user, row.present, row.source) == (asha, False, Source.MARKED)

    def test_a_member_without_the_role_is_refused_with_403(self, client, meeting, clock):
        asha = answered("Asha", meeting)
        client.force_login(answered("Bo", meeting))
        clock.move_to(AFTER)

        response = client.post(
            f"/meetings/{meeting.pk}/attendance/mark/",
            {"member": asha.pk, "presence": "present"},
        )

        assert response.status_code == 403
        assert Attendance.objects.count() == 0

    @pytest.mark.parametrize(
        "data",
        [{}, {"member": "x", "presence": "present"}, {"member": "1", "presence": "maybe"}],
    )
    def test_bad_input_is_a_400_and_changes_nothing(self, client, meeting, clock, data):
        answered("Asha", meeting)
        client.force_login(organizer())
        clock.move_to(AFTER)

        response = client.post(f"/meetings/{meeting.pk}/attendance/mark/", data)

        assert response.status_code == 400
        assert Attendance.objects.count() == 0

    def test_a_member_says_they_were_there(self, client, meeting, clock):
        asha = answered("Asha", meeting)
        client.force_login(asha)
        clock.move_to(AFTER + timedelta(days=3))

        response = client.post(f"/meetings/{meeting.pk}/attendance/i-was-there/")

        assert response.status_code == 302
        assert Attendance.objects.get().source == Source.SELF


class TestIWasThere:
    def test_a_week_after_the_end_it_is_a_409_and_changes_nothing(self, client, meeting, clock):
        asha = answered("Asha", meeting)
        clock.move_to(meeting.ends_at + timedelta(days=7))
        client.force_login(asha)

        response = client.post(f"/meetings/{meeting.pk}/attendance/i-was-there/")

        assert response.status_code == 409
        assert Attendance.objects.count() == 0

    def test_an_unconfirmed_member_is_refused_with_403(self, client, meeting, clock):
        client.force_login(member("Bo", verified=False))
        clock.move_to(AFTER)

        response = client.post(f"/meetings/{meeting.pk}/attendance/i-was-there/")

        assert response.status_code == 403
        assert Attendance.objects.count() == 0


class TestCsv:
    def test_organizers_get_one_row_per_member_with_formulas_defused(self, client, meeting, clock):
        came = answered("=HYPERLINK(1)", meeting, email="ana@example.org")
        absent = answered("Ben, the second", meeting, email="ben@example.org")
        answered("Cy", meeting, Rsvp.Response.NO)
        olu = organizer()
        clock.move_to(START + timedelta(minutes=3))
        attendance.record_join(user=came, meeting=meeting)
        clock.move_to(AFTER)
        attendance.mark_attendance(by=olu, meeting=meeting, user=absent, present=False)
        client.force_login(olu)

        response = client.get(f"/meetings/{meeting.pk}/attendance.csv")

        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response.content.decode() == (
            "name,email,answer,state,source,joined_at\r\n"
            "'=HYPERLINK(1),ana@example.org,yes,attended,join,2027-01-11T14:03:00+00:00\r\n"
            '"Ben, the second",ben@example.org,yes,no-show,marked,\r\n'
        )

    def test_the_host_and_visitors_are_refused_with_403(self, client, meeting, clock):
        host = answered("Hana", meeting)
        roles.take_role(user=host, meeting=meeting, role="host")
        clock.move_to(AFTER)

        visitor = client.get(f"/meetings/{meeting.pk}/attendance.csv")
        client.force_login(host)
        as_host = client.get(f"/meetings/{meeting.pk}/attendance.csv")

        assert (visitor.status_code, as_host.status_code) == (403, 403)


class TestMeetingPage:
    def test_the_public_sees_only_the_count(self, client, meeting, clock):
        asha = answered("Asha", meeting)
        clock.move_to(DURING)
        attendance.record_join(user=asha, meeting=meeting)

        html = client.get(meeting.get_absolute_url()).content.decode()

        assert '<p class="attendance-count">1 attended</p>' in html
        assert "Asha" not in html
        assert "/attendance/mark/" not in html

    def test_a_member_sees_their_state_and_may_say_they_were_there(self, client, meeting, clock):
        bo = answered("Bo", meeting)
        client.force_login(bo)
        clock.move_to(AFTER)

        response = client.get(meeting.get_absolute_url())

        html = response.content.decode()
        assert "Your attendance: not recorded." in html
        assert f'action="/meetings/{meeting.pk}/attendance/i-was-there/"' in html
        assert "/attendance/mark/" not in html

    def test_the_host_sees_the_roll_to_mark_and_no_csv(self, client, meeting, clock):
        host = answered("Hana", meeting)
        roles.take_role(user=host, meeting=meeting, role="host")
        answered("Asha", meeting)
        client.force_login(host)
        clock.move_to(AFTER)

        html = client.get(meeting.get_absolute_url()).content.decode()

        assert "Mark Asha present" in html
        assert "Mark Hana absent" in html
        assert "attendance.csv" not in html

    def test_before_the_call_opens_there_is_no_attendance(self, client, meeting, clock):
        client.force_login(organizer())

        html = client.get(meeting.get_absolute_url()).content.decode()

        assert 'id="attendance"' not in html


@pytest.mark.parametrize("size", [1, 5])
def test_the_meeting_page_with_attendance_costs_the_same_queries_however_many_members(
    client, meeting, clock, django_assert_num_queries, size
):
    olu = organizer()
    people = [answered(f"Member{n}", meeting) for n in range(size)]
    clock.move_to(START)
    for person in people:
        attendance.record_join(user=person, meeting=meeting)
    clock.move_to(AFTER)
    attendance.mark_attendance(by=olu, meeting=meeting, user=people[0], present=False)
    client.force_login(olu)
    client.get(meeting.get_absolute_url())  # the shared body, cached

    with django_assert_num_queries(QUERIES_AFTER_THE_MEETING):
        response = client.get(meeting.get_absolute_url())

    assert response.status_code == 200
    assert len(response.context["roll"]) == size


# An organizer's page after the meeting, the shared body cached: the 17 of
# test_views.QUERIES_FOR_AN_ORGANIZER less whom to assign (roles closed at the start), plus
# the attendance summary (the count, whether it was taken, the viewer's row and answer:
# one query) and the roll to mark (one query); the same for one member as for five.
QUERIES_AFTER_THE_MEETING = 18
