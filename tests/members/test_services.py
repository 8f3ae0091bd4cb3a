from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress

from meetings.models import Meeting, ScheduleVersion
from members import selectors, services
from members.models import (
    AgendaItem,
    Delivery,
    Follow,
    Harvest,
    HarvestRevision,
    PollVote,
    PollVoter,
    RoleAssignment,
    Rsvp,
)
from members.polls import services as poll_services
from tests.factories import MeetingFactory, SeriesFactory, UserFactory
from tests.locks import takes_the_version_lock_first
from tests.members.deliveries.support import NOW, make_poll, organizer, slot_ids

# Before the factory meeting (2027-01-11 14:00 UTC), so answers are open.
ANSWERED = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
CANCELLED = "This meeting was cancelled, so it takes no answers."
STARTED = "This meeting has already started, so answers are closed."


def at(minutes: int) -> datetime:
    """An answering time, `minutes` after ANSWERED."""
    return ANSWERED + timedelta(minutes=minutes)


def answer(user, meeting, response: str, minutes: int = 0) -> services.RsvpResult:
    return services.set_rsvp(user=user, meeting=meeting, response=response, now=at(minutes))


def fill(meeting, *, seated: int, waiting: int) -> tuple[list, list]:
    """`seated` members with a seat, then `waiting` members in line, one minute apart."""
    seated_users = UserFactory.create_batch(seated)
    waiting_users = UserFactory.create_batch(waiting)
    for minute, user in enumerate(seated_users + waiting_users):
        answer(user, meeting, "yes", minutes=minute)
    return seated_users, waiting_users


def rsvp_of(user, meeting) -> Rsvp:
    return Rsvp.objects.get(user=user, meeting=meeting)


def position_of(user, meeting) -> int | None:
    return selectors.waitlist_position(rsvp=rsvp_of(user, meeting))


def seated_users(meeting) -> set[int]:
    return set(Rsvp.objects.filter(meeting=meeting).holding_seats().values_list("user", flat=True))


def waiting_line(meeting) -> list[int]:
    return list(Rsvp.objects.filter(meeting=meeting).waitlisted().values_list("user", flat=True))


@pytest.mark.django_db
class TestSetRsvp:
    def test_first_answer_creates_one_row(self, user, meeting):
        result = answer(user, meeting, "yes")

        rsvp = Rsvp.objects.get()
        assert (rsvp.user, rsvp.meeting, rsvp.response) == (user, meeting, "yes")
        assert (rsvp.waitlisted_at, rsvp.promoted_at) == (None, None)
        assert (result.rsvp, result.changed, result.promoted) == (rsvp, True, [])
        assert result.waitlist_position is None

    def test_same_answer_twice_changes_nothing(self, user, meeting):
        first = answer(user, meeting, "maybe")

        second = answer(user, meeting, "maybe", minutes=5)

        assert (second.changed, second.promoted) == (False, [])
        assert second.rsvp.pk == first.rsvp.pk
        rsvp = Rsvp.objects.get()
        assert (rsvp.response, rsvp.updated_at) == ("maybe", first.rsvp.updated_at)

    def test_changing_the_answer_updates_the_one_row(self, user, meeting):
        first = answer(user, meeting, "yes")

        second = answer(user, meeting, "no", minutes=5)

        assert second.changed is True
        rsvp = Rsvp.objects.get()
        assert (rsvp.pk, rsvp.response) == (first.rsvp.pk, "no")
        assert rsvp.updated_at > first.rsvp.updated_at

    @pytest.mark.parametrize("response", ["maybe", "no"])
    def test_answering_other_than_yes_gives_back_the_members_roles_in_that_meeting(
        self, user, meeting, response
    ):
        other = MeetingFactory(
            series=meeting.series, starts_at=meeting.starts_at + timedelta(days=28)
        )
        answer(user, meeting, "yes")
        answer(user, other, "yes")
        for held in (meeting, other):
            RoleAssignment.objects.create(meeting=held, role="host", user=user)

        answer(user, meeting, response, minutes=5)

        assert list(RoleAssignment.objects.values_list("meeting", "role")) == [(other.pk, "host")]

    def test_unknown_answer_raises_value_error_and_writes_nothing(self, user, meeting):
        with pytest.raises(ValueError, match="perhaps"):
            answer(user, meeting, "perhaps")

        assert Rsvp.objects.count() == 0

    def test_cancelled_meeting_refuses_answers(self, user):
        meeting = MeetingFactory(status=Meeting.Status.CANCELLED)

        with pytest.raises(services.RsvpRefused) as refused:
            answer(user, meeting, "yes")

        assert str(refused.value) == CANCELLED
        assert Rsvp.objects.count() == 0

    def test_meeting_cancelled_after_it_was_loaded_refuses_answers(self, user, meeting):
        Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)

        with pytest.raises(services.RsvpRefused) as refused:
            answer(user, meeting, "yes")

        assert str(refused.value) == CANCELLED
        assert Rsvp.objects.count() == 0

    def test_meeting_that_has_started_refuses_answers(self, user, meeting):
        with pytest.raises(services.RsvpRefused) as refused:
            services.set_rsvp(
                user=user,
                meeting=meeting,
                response="yes",
                now=meeting.starts_at + timedelta(minutes=1),
            )

        assert str(refused.value) == STARTED
        assert Rsvp.objects.count() == 0

    def test_answers_close_at_the_exact_start_time(self, user, meeting):
        with pytest.raises(services.RsvpRefused) as refused:
            services.set_rsvp(user=user, meeting=meeting, response="no", now=meeting.starts_at)

        assert str(refused.value) == STARTED
        assert Rsvp.objects.count() == 0

    def test_answers_are_open_until_the_start_time(self, user, meeting):
        result = services.set_rsvp(
            user=user,
            meeting=meeting,
            response="yes",
            now=meeting.starts_at - timedelta(microseconds=1),
        )

        assert (result.changed, result.rsvp.response) == (True, "yes")


@pytest.mark.django_db
class TestCapacity:
    def test_meeting_capacity_wins_over_series_capacity(self):
        meeting = MeetingFactory(capacity=1, series=SeriesFactory(capacity=5))
        first, second = UserFactory.create_batch(2)

        answer(first, meeting, "yes")
        result = answer(second, meeting, "yes", minutes=1)

        assert result.rsvp.waitlisted_at == at(1)
        assert result.waitlist_position == 1

    def test_series_capacity_applies_when_the_meeting_has_none(self):
        meeting = MeetingFactory(capacity=None, series=SeriesFactory(capacity=1))
        first, second = UserFactory.create_batch(2)

        answer(first, meeting, "yes")
        result = answer(second, meeting, "yes", minutes=1)

        assert result.waitlist_position == 1
        assert seated_users(meeting) == {first.pk}

    def test_meeting_capacity_can_be_larger_than_series_capacity(self):
        meeting = MeetingFactory(capacity=3, series=SeriesFactory(capacity=1))

        fill(meeting, seated=3, waiting=0)

        assert len(seated_users(meeting)) == 3
        assert waiting_line(meeting) == []

    def test_no_capacity_anywhere_means_no_limit(self):
        meeting = MeetingFactory(capacity=None, series=SeriesFactory(capacity=None))

        fill(meeting, seated=25, waiting=0)

        assert len(seated_users(meeting)) == 25
        assert waiting_line(meeting) == []

    def test_extra_meeting_without_series_or_capacity_has_no_limit(self):
        meeting = MeetingFactory(series=None, is_extra=True, capacity=None)

        fill(meeting, seated=5, waiting=0)

        assert len(seated_users(meeting)) == 5

    def test_maybe_and_no_do_not_take_seats(self):
        meeting = MeetingFactory(capacity=1)
        maybe, no, yes = UserFactory.create_batch(3)

        answer(maybe, meeting, "maybe")
        answer(no, meeting, "no", minutes=1)
        result = answer(yes, meeting, "yes", minutes=2)

        assert result.waitlist_position is None
        assert seated_users(meeting) == {yes.pk}


@pytest.mark.django_db
class TestWaitlist:
    def test_yes_to_a_full_meeting_waits_in_order_of_answering(self):
        meeting = MeetingFactory(capacity=1)
        seated, *waiting = UserFactory.create_batch(4)
        answer(seated, meeting, "yes")

        results = [answer(user, meeting, "yes", minutes=n) for n, user in enumerate(waiting, 1)]

        assert [result.waitlist_position for result in results] == [1, 2, 3]
        assert [result.rsvp.waitlisted_at for result in results] == [at(1), at(2), at(3)]
        assert [result.rsvp.response for result in results] == ["yes", "yes", "yes"]
        assert seated_users(meeting) == {seated.pk}

    def test_seated_member_answering_no_promotes_the_first_waiting_member(self):
        meeting = MeetingFactory(capacity=1)
        [seated], [first, second, third] = fill(meeting, seated=1, waiting=3)

        result = answer(seated, meeting, "no", minutes=10)

        promoted = rsvp_of(first, meeting)
        assert result.promoted == [promoted]
        assert (promoted.waitlisted_at, promoted.promoted_at) == (None, at(10))
        assert seated_users(meeting) == {first.pk}
        assert waiting_line(meeting) == [second.pk, third.pk]
        assert [position_of(second, meeting), position_of(third, meeting)] == [1, 2]

    def test_seated_member_answering_maybe_promotes_the_first_waiting_member(self):
        meeting = MeetingFactory(capacity=1)
        [seated], [first, second] = fill(meeting, seated=1, waiting=2)

        result = answer(seated, meeting, "maybe", minutes=10)

        assert [rsvp.user_id for rsvp in result.promoted] == [first.pk]
        assert rsvp_of(seated, meeting).response == "maybe"
        assert seated_users(meeting) == {first.pk}
        assert waiting_line(meeting) == [second.pk]
        assert position_of(second, meeting) == 1

    def test_promotion_follows_time_of_answering_not_row_order(self):
        meeting = MeetingFactory(capacity=1)
        seated, later, earlier = UserFactory.create_batch(3)
        answer(seated, meeting, "yes", minutes=0)
        # `later` gets the lower primary key but answered after `earlier`.
        answer(later, meeting, "yes", minutes=3)
        answer(earlier, meeting, "yes", minutes=2)

        result = answer(seated, meeting, "no", minutes=10)

        assert [rsvp.user_id for rsvp in result.promoted] == [earlier.pk]
        assert waiting_line(meeting) == [later.pk]

    def test_each_freed_seat_goes_to_the_next_in_line(self):
        meeting = MeetingFactory(capacity=2)
        [one, two], [first, second, third] = fill(meeting, seated=2, waiting=3)

        first_result = answer(one, meeting, "no", minutes=10)
        second_result = answer(two, meeting, "no", minutes=11)

        assert [rsvp.user_id for rsvp in first_result.promoted] == [first.pk]
        assert [rsvp.user_id for rsvp in second_result.promoted] == [second.pk]
        assert seated_users(meeting) == {first.pk, second.pk}
        assert waiting_line(meeting) == [third.pk]
        assert position_of(third, meeting) == 1

    def test_waiting_member_answering_no_leaves_the_line_without_promoting_anyone(self):
        meeting = MeetingFactory(capacity=1)
        [seated], [first, second, third] = fill(meeting, seated=1, waiting=3)

        result = answer(first, meeting, "no", minutes=10)

        assert result.promoted == []
        rsvp = rsvp_of(first, meeting)
        assert (rsvp.response, rsvp.waitlisted_at, rsvp.promoted_at) == ("no", None, None)
        assert seated_users(meeting) == {seated.pk}
        assert waiting_line(meeting) == [second.pk, third.pk]
        assert [position_of(second, meeting), position_of(third, meeting)] == [1, 2]

    def test_waiting_member_saying_yes_again_keeps_their_place(self):
        meeting = MeetingFactory(capacity=1)
        _, [first, second] = fill(meeting, seated=1, waiting=2)

        result = answer(first, meeting, "yes", minutes=10)

        assert result.changed is False
        assert result.waitlist_position == 1
        assert waiting_line(meeting) == [first.pk, second.pk]

    def test_waiting_member_who_leaves_and_comes_back_joins_the_end_of_the_line(self):
        meeting = MeetingFactory(capacity=1)
        _, [first, second] = fill(meeting, seated=1, waiting=2)
        answer(first, meeting, "maybe", minutes=10)

        result = answer(first, meeting, "yes", minutes=11)

        assert result.waitlist_position == 2
        assert result.rsvp.waitlisted_at == at(11)
        assert waiting_line(meeting) == [second.pk, first.pk]

    def test_promoted_member_answering_yes_again_keeps_the_seat(self):
        meeting = MeetingFactory(capacity=1)
        [seated], [first] = fill(meeting, seated=1, waiting=1)
        answer(seated, meeting, "no", minutes=10)

        result = answer(first, meeting, "yes", minutes=11)

        assert result.changed is False
        assert (result.rsvp.waitlisted_at, result.rsvp.promoted_at) == (None, at(10))
        assert seated_users(meeting) == {first.pk}

    def test_seated_member_who_leaves_and_comes_back_waits_behind_the_line(self):
        meeting = MeetingFactory(capacity=1)
        [seated], [first, second] = fill(meeting, seated=1, waiting=2)
        answer(seated, meeting, "no", minutes=10)

        result = answer(seated, meeting, "yes", minutes=11)

        assert result.waitlist_position == 2
        assert seated_users(meeting) == {first.pk}
        assert waiting_line(meeting) == [second.pk, seated.pk]


@pytest.mark.django_db
class TestDeleteAccount:
    def test_hands_the_seat_to_the_first_waiting_member(self):
        meeting = MeetingFactory(capacity=1)
        [seated], [first, second] = fill(meeting, seated=1, waiting=2)

        with time_machine.travel(at(10), tick=False):
            services.delete_account(user=seated)

        promoted = rsvp_of(first, meeting)
        assert (promoted.waitlisted_at, promoted.promoted_at) == (None, at(10))
        assert seated_users(meeting) == {first.pk}
        assert waiting_line(meeting) == [second.pk]
        assert position_of(second, meeting) == 1

    def test_deletes_the_member_and_all_their_answers(self):
        user = UserFactory()
        kept = UserFactory()
        meetings = MeetingFactory.create_batch(3)
        for meeting, response in zip(meetings, ["yes", "maybe", "no"], strict=True):
            answer(user, meeting, response)
        answer(kept, meetings[0], "yes")
        user_pk = user.pk

        services.delete_account(user=user)

        assert Rsvp.objects.filter(user_id=user_pk).count() == 0
        assert list(Rsvp.objects.values_list("user", flat=True)) == [kept.pk]
        assert not type(user).objects.filter(pk=user_pk).exists()

    def test_hands_over_seats_in_every_meeting_the_member_held(self):
        meetings = MeetingFactory.create_batch(2, capacity=1)
        leaving = UserFactory()
        waiting = UserFactory.create_batch(2)
        for meeting, user in zip(meetings, waiting, strict=True):
            answer(leaving, meeting, "yes", minutes=0)
            answer(user, meeting, "yes", minutes=1)

        services.delete_account(user=leaving)

        assert [seated_users(meeting) for meeting in meetings] == [
            {waiting[0].pk},
            {waiting[1].pk},
        ]

    def test_waiting_member_leaving_promotes_nobody(self):
        meeting = MeetingFactory(capacity=1)
        [seated], [first, second] = fill(meeting, seated=1, waiting=2)

        services.delete_account(user=first)

        assert seated_users(meeting) == {seated.pk}
        assert waiting_line(meeting) == [second.pk]
        assert position_of(second, meeting) == 1

    def test_deletes_the_members_poll_votes_and_poll_mail_and_keeps_their_polls(self, clock):
        maker, voter = organizer("Olu"), organizer("Asha")
        poll = make_poll(by=maker)
        poll_services.vote_as_member(poll=poll, user=voter, choices={slot_ids(poll)[0]: "yes"})
        poll_services.vote_as_member(poll=poll, user=maker, choices={slot_ids(poll)[1]: "no"})

        services.delete_account(user=maker)

        poll.refresh_from_db()
        assert poll.created_by is None
        assert list(PollVoter.objects.values_list("user", flat=True)) == [voter.pk]
        assert list(PollVote.objects.values_list("voter__user", flat=True)) == [voter.pk]
        assert set(Delivery.objects.values_list("user", flat=True)) == {voter.pk}


@pytest.mark.django_db
class TestFollows:
    def test_following_twice_keeps_one_follow(self, user, series):
        first = services.follow_series(user=user, series=series)

        second = services.follow_series(user=user, series=series)

        assert second.pk == first.pk
        assert list(Follow.objects.values_list("user", "series")) == [(user.pk, series.pk)]

    def test_unfollow_removes_the_follow(self, user, series):
        services.follow_series(user=user, series=series)

        services.unfollow_series(user=user, series=series)

        assert Follow.objects.count() == 0

    def test_unfollow_leaves_other_follows_alone(self, user, series):
        other_series = SeriesFactory()
        other_user = UserFactory()
        services.follow_series(user=user, series=series)
        services.follow_series(user=user, series=other_series)
        services.follow_series(user=other_user, series=series)

        services.unfollow_series(user=user, series=series)

        assert set(Follow.objects.values_list("user", "series")) == {
            (user.pk, other_series.pk),
            (other_user.pk, series.pk),
        }

    def test_unfollow_without_a_follow_does_nothing(self, user, series):
        services.unfollow_series(user=user, series=series)

        assert Follow.objects.count() == 0


@pytest.mark.django_db
class TestExportData:
    def test_lists_everything_held_about_the_member(self):
        joined = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)
        with time_machine.travel(joined, tick=False):
            user = UserFactory(
                email="ada@example.org",
                display_name="Ada",
                timezone="Asia/Kolkata",
                last_login=datetime(2026, 10, 2, 7, 0, tzinfo=UTC),
                remind_hour_before=False,
                notify_extra_meetings=True,
            )
            EmailAddress.objects.create(
                user=user, email="ada@example.org", verified=True, primary=True
            )
            EmailAddress.objects.create(
                user=user, email="ada@work.example.org", verified=False, primary=False
            )
            services.follow_series(user=user, series=SeriesFactory(slug="cop-f-west"))
            services.follow_series(user=user, series=SeriesFactory(slug="cop-f-east"))
            later = MeetingFactory(
                title="CoP-F West", starts_at=datetime(2027, 2, 8, 18, 30, tzinfo=UTC), capacity=1
            )
            earlier = MeetingFactory(
                title="CoP-F East", starts_at=datetime(2027, 1, 11, 14, 0, tzinfo=UTC)
            )
            answer(UserFactory(), later, "yes")
        with time_machine.travel(joined + timedelta(days=1), tick=False):
            answer(user, later, "yes")
            answer(user, earlier, "maybe")
        with time_machine.travel(joined + timedelta(days=2), tick=False):
            answer(user, earlier, "no")

        data = services.export_data(user=user)

        assert data == {
            "email": "ada@example.org",
            "display_name": "Ada",
            "timezone": "Asia/Kolkata",
            "date_joined": "2026-10-01T08:30:00+00:00",
            "last_login": "2026-10-02T07:00:00+00:00",
            "email_addresses": [
                {"email": "ada@example.org", "verified": True, "primary": True},
                {"email": "ada@work.example.org", "verified": False, "primary": False},
            ],
            "preferences": {
                "reminders_enabled": True,
                "remind_day_before": True,
                "remind_hour_before": False,
                "remind_followed_series": True,
                "notify_extra_meetings": True,
                "nudge_open_roles": False,
                "receive_harvests": False,
            },
            "follows": ["cop-f-west", "cop-f-east"],
            "rsvps": [
                {
                    "meeting": "CoP-F East",
                    "meeting_id": earlier.pk,
                    "starts_at": "2027-01-11T14:00:00+00:00",
                    "response": "no",
                    "waitlisted": False,
                    "answered_at": "2026-10-02T08:30:00+00:00",
                    "updated_at": "2026-10-03T08:30:00+00:00",
                },
                {
                    "meeting": "CoP-F West",
                    "meeting_id": later.pk,
                    "starts_at": "2027-02-08T18:30:00+00:00",
                    "response": "yes",
                    "waitlisted": True,
                    "answered_at": "2026-10-02T08:30:00+00:00",
                    "updated_at": "2026-10-02T08:30:00+00:00",
                },
            ],
            "roles": [],
            "agenda_proposals": [],
            "harvest_edits": [],
            "attendance": [],
            "poll_votes": [],
            "held_answer": None,
        }

    def test_member_who_never_logged_in_or_answered_gets_empty_values(self):
        with time_machine.travel(datetime(2026, 10, 1, 8, 30, tzinfo=UTC), tick=False):
            user = UserFactory(email="new@example.org", display_name="")

        data = services.export_data(user=user)

        assert data == {
            "email": "new@example.org",
            "display_name": "",
            "timezone": "UTC",
            "date_joined": "2026-10-01T08:30:00+00:00",
            "last_login": None,
            "email_addresses": [],
            "preferences": {
                "reminders_enabled": True,
                "remind_day_before": True,
                "remind_hour_before": True,
                "remind_followed_series": True,
                "notify_extra_meetings": False,
                "nudge_open_roles": False,
                "receive_harvests": False,
            },
            "follows": [],
            "rsvps": [],
            "roles": [],
            "agenda_proposals": [],
            "harvest_edits": [],
            "attendance": [],
            "poll_votes": [],
            "held_answer": None,
        }

    def test_roles_agenda_proposals_and_harvest_edits_are_exported(self):
        user, meeting = UserFactory(), MeetingFactory()
        with time_machine.travel(datetime(2026, 10, 1, 8, 30, tzinfo=UTC), tick=False):
            RoleAssignment.objects.create(meeting=meeting, role="timekeeper", user=user)
            AgendaItem.objects.create(
                meeting=meeting, proposer=user, title="Rounds", description="Why", minutes=15
            )
            harvest = Harvest.objects.create(meeting=meeting, practised="Rounds")
        HarvestRevision.objects.create(
            harvest=harvest,
            author=user,
            created_at=datetime(2026, 10, 2, 9, 0, tzinfo=UTC),
            content={"practised": "Rounds"},
        )

        data = services.export_data(user=user)

        assert (data["roles"], data["agenda_proposals"], data["harvest_edits"]) == (
            [
                {
                    "meeting_id": meeting.pk,
                    "meeting": meeting.title,
                    "starts_at": meeting.starts_at.isoformat(),
                    "role": "timekeeper",
                    "since": "2026-10-01T08:30:00+00:00",
                }
            ],
            [
                {
                    "meeting_id": meeting.pk,
                    "title": "Rounds",
                    "description": "Why",
                    "minutes": 15,
                    "status": "proposed",
                    "proposed_at": "2026-10-01T08:30:00+00:00",
                }
            ],
            [
                {
                    "meeting_id": meeting.pk,
                    "at": "2026-10-02T09:00:00+00:00",
                    "content": {"practised": "Rounds"},
                }
            ],
        )

    def test_the_members_poll_votes_are_exported(self, clock):
        user = organizer("Asha")
        poll = make_poll(by=user)
        first, second, third = slot_ids(poll)
        poll_services.vote_as_member(
            poll=poll, user=user, choices={third: "if_need_be", first: "yes", second: "no"}
        )

        data = services.export_data(user=user)

        assert data["poll_votes"] == [
            {
                "poll_id": poll.pk,
                "poll": "CoP-F South",
                "since": NOW.isoformat(),
                "votes": [
                    {"slot": "2027-01-12T14:00:00+00:00", "choice": "yes"},
                    {"slot": "2027-01-12T20:00:00+00:00", "choice": "no"},
                    {"slot": "2027-01-13T01:00:00+00:00", "choice": "if_need_be"},
                ],
            }
        ]

    def test_an_answer_held_until_the_address_is_confirmed_is_exported(self):
        user, meeting = UserFactory(), MeetingFactory()
        services.hold_answer(user=user, meeting=meeting, response="maybe")

        data = services.export_data(user=user)

        assert data["held_answer"] == {"meeting_id": meeting.pk, "response": "maybe"}


@pytest.mark.django_db
class TestPromoteFreedSeats:
    def test_a_raised_capacity_promotes_the_first_in_line_and_plans_their_note(self):
        meeting = MeetingFactory(capacity=1)
        _, (first, second) = fill(meeting, seated=1, waiting=2)
        Meeting.objects.filter(pk=meeting.pk).update(capacity=2)

        promoted = services.promote_freed_seats(now=at(10))

        assert [rsvp.user_id for rsvp in promoted] == [first.pk]
        assert waiting_line(meeting) == [second.pk]
        assert list(
            Delivery.objects.filter(kind="promotion").values_list("user_id", flat=True)
        ) == [first.pk]

    def test_full_meetings_promote_nobody(self):
        meeting = MeetingFactory(capacity=1)
        fill(meeting, seated=1, waiting=1)

        assert services.promote_freed_seats(now=at(10)) == []


@pytest.mark.django_db
class TestUnfollowSeries:
    def test_takes_invited_meetings_out_of_the_calendar_unless_answered(self):
        series = SeriesFactory()
        invited = MeetingFactory(series=series)
        answered = MeetingFactory(series=series, starts_at=invited.starts_at + timedelta(days=28))
        user = UserFactory()
        services.follow_series(user=user, series=series)
        for meeting in (invited, answered):
            Delivery.objects.create(
                meeting=meeting,
                user=user,
                kind="invite",
                sequence=0,
                meeting_sequence=0,
                due_at=ANSWERED,
                state="sent",
            )
        Rsvp.objects.create(meeting=answered, user=user, response="yes")

        with time_machine.travel(ANSWERED, tick=False):
            services.unfollow_series(user=user, series=series)

        assert not Follow.objects.filter(user=user).exists()
        assert list(
            Delivery.objects.filter(kind="cancellation").values_list("meeting_id", "sequence")
        ) == [(invited.pk, 1)]

    def test_unfollowing_a_series_not_followed_plans_nothing(self):
        series = SeriesFactory()

        services.unfollow_series(user=UserFactory(), series=series)

        assert not Delivery.objects.exists()


@pytest.mark.django_db
class TestLockOrder:
    """Each answer-side writer locks the schedule version before any row (tests/locks.py)."""

    def test_a_first_answer_locks_the_version_first(self, user, meeting):
        assert takes_the_version_lock_first(lambda: answer(user, meeting, "yes"))

    def test_a_changed_answer_locks_the_version_first(self, user, meeting):
        answer(user, meeting, "yes")

        assert takes_the_version_lock_first(lambda: answer(user, meeting, "no", minutes=1))

    def test_an_answer_changed_between_the_look_and_the_lock_is_taken_with_the_version_lock(
        self, user, meeting, monkeypatch
    ):
        answer(user, meeting, "yes")
        real_set_rsvp = services._set_rsvp
        attempts = []

        def answer_no_meanwhile(**kwargs):
            if not attempts:
                Rsvp.objects.filter(user=user, meeting=meeting).update(response="no")
            attempts.append(kwargs["bump"])
            return real_set_rsvp(**kwargs)

        monkeypatch.setattr(services, "_set_rsvp", answer_no_meanwhile)

        result = answer(user, meeting, "yes", minutes=1)

        assert attempts == [False, True]
        assert result.changed is True
        assert rsvp_of(user, meeting).response == "yes"

    def test_deleting_an_account_locks_the_version_first(self):
        meeting = MeetingFactory(capacity=1)
        [seated], _ = fill(meeting, seated=1, waiting=1)

        assert takes_the_version_lock_first(lambda: services.delete_account(user=seated))

    def test_promoting_freed_seats_locks_the_version_first(self):
        meeting = MeetingFactory(capacity=1)
        fill(meeting, seated=1, waiting=1)
        Meeting.objects.filter(pk=meeting.pk).update(capacity=2)

        assert takes_the_version_lock_first(lambda: services.promote_freed_seats(now=at(10)))

    def test_full_meetings_move_no_version(self):
        meeting = MeetingFactory(capacity=1)
        fill(meeting, seated=1, waiting=1)
        before = ScheduleVersion.objects.current()

        services.promote_freed_seats(now=at(10))

        assert ScheduleVersion.objects.current() == before
