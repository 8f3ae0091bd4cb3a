"""Attendance services and selectors: joining, marking, "I was there", and what each comes to."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from meetings.services import cancel_meeting
from members.models import Attendance, Rsvp
from members.practice import BadInput, NotAllowed, PracticeRefused, attendance, roles
from members.practice.attendance import JoinClosed, MeetingCancelled, State
from members.services import delete_account, export_data, set_rsvp

from .support import AFTER, START, east, meeting_of, member, organizer

pytestmark = pytest.mark.django_db

Source = Attendance.Source
DURING = START + timedelta(minutes=30)


@pytest.fixture
def meeting():
    return meeting_of(east())


def answered(name: str, meeting, response: str = Rsvp.Response.YES):
    person = member(name)
    set_rsvp(user=person, meeting=meeting, response=response)
    return person


class TestRecordJoin:
    def test_a_join_a_quarter_of_an_hour_before_the_start_records_the_member_present(
        self, meeting, clock
    ):
        asha = member("Asha")
        clock.move_to(START - timedelta(minutes=15))

        row = attendance.record_join(user=asha, meeting=meeting)

        assert (row.present, row.source, row.joined_at) == (
            True,
            Source.JOIN_LINK,
            START - timedelta(minutes=15),
        )

    def test_a_join_sixteen_minutes_before_the_start_is_refused_and_records_nothing(
        self, meeting, clock
    ):
        clock.move_to(START - timedelta(minutes=16))

        with pytest.raises(JoinClosed) as refusal:
            attendance.record_join(user=member("Asha"), meeting=meeting)

        assert refusal.value.status == 409
        assert str(refusal.value) == (
            "The call opens 15 minutes before the start, at 2027-01-11 13:45 UTC."
        )
        assert Attendance.objects.count() == 0

    def test_a_join_at_the_end_is_refused(self, meeting, clock):
        clock.move_to(meeting.ends_at)

        with pytest.raises(JoinClosed):
            attendance.record_join(user=member("Asha"), meeting=meeting)

        assert Attendance.objects.count() == 0

    def test_a_join_to_a_cancelled_meeting_is_refused_as_cancelled(self, meeting, clock):
        meeting = cancel_meeting(meeting=meeting)
        clock.move_to(DURING)

        with pytest.raises(MeetingCancelled) as refusal:
            attendance.record_join(user=member("Asha"), meeting=meeting)

        assert refusal.value.status == 410
        assert Attendance.objects.count() == 0

    def test_joining_twice_keeps_one_row_with_the_first_time(self, meeting, clock):
        asha = member("Asha")
        clock.move_to(START)
        attendance.record_join(user=asha, meeting=meeting)
        clock.move_to(DURING)

        attendance.record_join(user=asha, meeting=meeting)

        row = Attendance.objects.get()
        assert (row.present, row.joined_at) == (True, START)

    def test_joining_keeps_a_marked_row_marked_and_present(self, meeting, clock):
        olu = organizer()
        asha = answered("Asha", meeting)
        clock.move_to(START)
        attendance.mark_attendance(by=olu, meeting=meeting, user=asha, present=True)
        clock.move_to(DURING)

        attendance.record_join(user=asha, meeting=meeting)

        row = Attendance.objects.get()
        assert (row.present, row.source, row.marked_by, row.joined_at) == (
            True,
            Source.MARKED,
            olu,
            DURING,
        )


class TestMarkAttendance:
    def test_the_host_marks_a_member_who_said_yes_absent(self, meeting, clock):
        host = answered("Hana", meeting)
        roles.take_role(user=host, meeting=meeting, role="host")
        asha = answered("Asha", meeting)
        clock.move_to(START)

        row = attendance.mark_attendance(by=host, meeting=meeting, user=asha, present=False)

        assert (row.present, row.source, row.marked_by) == (False, Source.MARKED, host)

    def test_the_facilitator_may_mark_and_a_timekeeper_may_not(self, meeting, clock):
        fay = answered("Fay", meeting)
        roles.take_role(user=fay, meeting=meeting, role="facilitator")
        tim = answered("Tim", meeting)
        roles.take_role(user=tim, meeting=meeting, role="timekeeper")
        asha = answered("Asha", meeting, Rsvp.Response.MAYBE)
        clock.move_to(AFTER)

        attendance.mark_attendance(by=fay, meeting=meeting, user=asha, present=True)
        with pytest.raises(NotAllowed):
            attendance.mark_attendance(by=tim, meeting=meeting, user=asha, present=False)

        assert Attendance.objects.get().present is True

    def test_marking_before_the_start_is_refused(self, meeting, clock):
        asha = answered("Asha", meeting)
        clock.move_to(START - timedelta(minutes=1))

        with pytest.raises(PracticeRefused) as refusal:
            attendance.mark_attendance(by=organizer(), meeting=meeting, user=asha, present=True)

        assert refusal.value.status == 409
        assert Attendance.objects.count() == 0

    def test_a_member_who_said_no_cannot_be_marked(self, meeting, clock):
        bo = answered("Bo", meeting, Rsvp.Response.NO)
        clock.move_to(AFTER)

        with pytest.raises(BadInput):
            attendance.mark_attendance(by=organizer(), meeting=meeting, user=bo, present=True)

        assert Attendance.objects.count() == 0

    def test_a_member_who_joined_can_be_marked_absent(self, meeting, clock):
        asha = member("Asha")
        clock.move_to(START)
        attendance.record_join(user=asha, meeting=meeting)

        attendance.mark_attendance(by=organizer(), meeting=meeting, user=asha, present=False)

        row = Attendance.objects.get()
        assert (row.present, row.source, row.joined_at) == (False, Source.MARKED, START)


class TestSelfAttendance:
    def test_a_member_says_they_were_there_six_days_later(self, meeting, clock):
        asha = member("Asha")
        clock.move_to(meeting.ends_at + timedelta(days=6))

        row = attendance.add_self_attendance(user=asha, meeting=meeting)

        assert (row.present, row.source, row.marked_by) == (True, Source.SELF, None)

    def test_a_week_after_the_end_it_is_too_late(self, meeting, clock):
        clock.move_to(meeting.ends_at + timedelta(days=7))

        with pytest.raises(PracticeRefused):
            attendance.add_self_attendance(user=member("Asha"), meeting=meeting)

        assert Attendance.objects.count() == 0

    def test_a_member_marked_absent_cannot_overrule_the_host(self, meeting, clock):
        asha = answered("Asha", meeting)
        clock.move_to(AFTER)
        attendance.mark_attendance(by=organizer(), meeting=meeting, user=asha, present=False)

        with pytest.raises(PracticeRefused):
            attendance.add_self_attendance(user=asha, meeting=meeting)

        assert Attendance.objects.get().present is False

    def test_an_unconfirmed_member_cannot_say_they_were_there(self, meeting, clock):
        clock.move_to(AFTER)

        with pytest.raises(NotAllowed):
            attendance.add_self_attendance(user=member("Bo", verified=False), meeting=meeting)


class TestStates:
    def test_states_of_the_roll_once_attendance_was_taken(self, meeting, clock):
        came = answered("Ana", meeting)
        stayed_away = answered("Ben", meeting)
        unsure = answered("Cy", meeting, Rsvp.Response.MAYBE)
        clock.move_to(AFTER)
        attendance.mark_attendance(by=organizer(), meeting=meeting, user=came, present=True)

        roll = attendance.meeting_roll(meeting)

        assert [(entry.user, entry.state) for entry in roll] == [
            (came, State.ATTENDED),
            (stayed_away, State.NO_SHOW),
            (unsure, State.NOT_RECORDED),
        ]

    def test_without_marking_a_yes_is_not_recorded_and_a_join_is_attended(self, meeting, clock):
        came = answered("Ana", meeting)
        answered("Ben", meeting)
        clock.move_to(DURING)
        attendance.record_join(user=came, meeting=meeting)

        roll = attendance.meeting_roll(meeting)

        assert [entry.state for entry in roll] == [State.ATTENDED, State.NOT_RECORDED]

    def test_the_summary_counts_and_names_the_viewers_state(self, meeting, clock):
        came = answered("Ana", meeting)
        ben = answered("Ben", meeting)
        clock.move_to(AFTER)
        attendance.mark_attendance(by=organizer(), meeting=meeting, user=came, present=True)

        summary = attendance.meeting_summary(meeting=meeting, user=ben)

        assert (summary.attended, summary.taken, summary.my_state) == (1, True, State.NO_SHOW)

    def test_my_record_lists_past_meetings_newest_first(self, clock):
        series = east()
        first = meeting_of(series)
        second = meeting_of(series, START + timedelta(days=28))
        asha = answered("Asha", first)
        set_rsvp(user=asha, meeting=second, response=Rsvp.Response.YES)
        clock.move_to(START + timedelta(minutes=5))
        attendance.record_join(user=asha, meeting=first)
        clock.move_to(second.ends_at + timedelta(minutes=1))

        record = attendance.my_record(user=asha)

        assert [(entry.meeting, entry.state) for entry in record] == [
            (second, State.NOT_RECORDED),
            (first, State.ATTENDED),
        ]


class TestMembersData:
    def test_the_export_includes_attendance(self, meeting, clock):
        asha = member("Asha")
        clock.move_to(START)
        attendance.record_join(user=asha, meeting=meeting)

        data = export_data(user=asha)

        assert data["attendance"] == [
            {
                "meeting_id": meeting.pk,
                "meeting": meeting.title,
                "starts_at": "2027-01-11T14:00:00+00:00",
                "present": True,
                "source": "join",
                "joined_at": "2027-01-11T14:00:00+00:00",
            }
        ]

    def test_deleting_a_member_keeps_their_rows_anonymous_and_the_counts(self, meeting, clock):
        asha = answered("Asha", meeting)
        clock.move_to(DURING)
        attendance.record_join(user=asha, meeting=meeting)

        delete_account(user=asha)

        row = Attendance.objects.get()
        assert (row.user, row.present) == (None, True)
        assert attendance.meeting_summary(meeting=meeting, user=member("Ben")).attended == 1

    def test_a_visitor_is_not_given_a_former_members_row(self, meeting, clock):
        asha = member("Asha")
        clock.move_to(DURING)
        attendance.record_join(user=asha, meeting=meeting)
        delete_account(user=asha)

        summary = attendance.meeting_summary(meeting=meeting, user=AnonymousUser())

        assert (summary.attended, summary.mine, summary.my_answer) == (1, None, None)
