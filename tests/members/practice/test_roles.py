from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from meetings.models import Meeting
from members import services
from members.deliveries import plan
from members.models import Delivery, Role, RoleAssignment, Rsvp
from members.practice import BadInput, NotAllowed, PracticeRefused, roles
from tests.factories import MeetingFactory, SeriesFactory, UserFactory
from tests.locks import takes_the_version_lock_first

from .support import NOW, START, east, meeting_of, member, organizer, version

DEFAULT_SLUGS = ["facilitator", "co-facilitator", "timekeeper", "harvester", "host"]
FULL_ROLE = "The last place as Facilitator was taken just before you. Try another role."
FULL_MEETING = "This meeting is full: a role needs a seat. Ask an organizer for one."
CANCELLED = "This meeting was cancelled, so it takes no roles."
STARTED = "Roles closed when this meeting started."
NO_SUCH_ROLE = "This meeting has no such role."
NOT_HELD = "That role is not held by this member (any more)."


def slugs_and_places(meeting: Meeting) -> list[tuple[str, int]]:
    return [(role.slug, role.places) for role in roles.roles_for([meeting])[meeting.pk]]


def holders(meeting: Meeting) -> list[tuple[str, str]]:
    """(role, holder's name) of every assignment in the meeting, in the order taken."""
    return list(
        RoleAssignment.objects.filter(meeting=meeting)
        .order_by("pk")
        .values_list("role", "user__display_name")
    )


def answers(meeting: Meeting) -> list[tuple[str, str, bool]]:
    """(name, response, waitlisted) of every answer to the meeting."""
    return [
        (rsvp.user.display_name, rsvp.response, rsvp.is_waitlisted)
        for rsvp in Rsvp.objects.filter(meeting=meeting).select_related("user").order_by("pk")
    ]


# --- what each meeting needs ----------------------------------------------------------------


@pytest.mark.django_db
class TestRolesFor:
    def test_a_series_meeting_needs_the_five_copf_roles_in_order(self):
        meeting = meeting_of(east())

        assert slugs_and_places(meeting) == [(slug, 1) for slug in DEFAULT_SLUGS]

    def test_giving_default_roles_twice_adds_none(self):
        series = east()

        roles.give_default_roles(series=series)

        assert Role.objects.filter(series=series).count() == 5

    def test_a_meeting_without_a_series_needs_no_roles(self):
        extra = MeetingFactory(series=None, is_extra=True)

        assert roles.roles_for([extra]) == {extra.pk: []}

    def test_a_meeting_changes_the_places_of_a_series_role_for_itself(self):
        series = east()
        meeting, other = meeting_of(series), meeting_of(series, START + timedelta(days=28))
        Role.objects.create(meeting=meeting, slug="timekeeper", name="Timekeepers", places=2)

        assert slugs_and_places(meeting) == [
            ("facilitator", 1),
            ("co-facilitator", 1),
            ("timekeeper", 2),
            ("harvester", 1),
            ("host", 1),
        ]
        assert slugs_and_places(other) == [(slug, 1) for slug in DEFAULT_SLUGS]

    def test_a_meetings_own_role_stands_where_the_series_role_it_replaces_stands(self):
        meeting = meeting_of(east())
        Role.objects.create(meeting=meeting, slug="host", name="Hosts", places=2, position=0)

        names = [role.name for role in roles.roles_for([meeting])[meeting.pk]]

        assert names == [
            "Facilitator",
            "Co-facilitator",
            "Timekeeper",
            "Harvester / note-taker",
            "Hosts",
        ]

    def test_a_meetings_extra_role_stands_by_its_position_after_series_roles_there(self):
        meeting = meeting_of(east())
        Role.objects.create(meeting=meeting, slug="greeter", name="Greeter", position=1)

        names = [role.name for role in roles.roles_for([meeting])[meeting.pk]]

        assert names == [
            "Facilitator",
            "Co-facilitator",
            "Greeter",
            "Timekeeper",
            "Harvester / note-taker",
            "Host",
        ]

    def test_a_meeting_takes_out_a_series_role_with_no_places(self):
        meeting = meeting_of(east())
        Role.objects.create(meeting=meeting, slug="host", name="Host", places=0)

        assert [slug for slug, _ in slugs_and_places(meeting)] == DEFAULT_SLUGS[:4]

    def test_a_meeting_adds_a_role_of_its_own_after_the_series_roles(self):
        meeting = meeting_of(east())
        Role.objects.create(meeting=meeting, slug="greeter", name="Greeter", position=5)

        assert slugs_and_places(meeting)[-2:] == [("host", 1), ("greeter", 1)]

    def test_roles_of_other_series_and_meetings_stay_out(self):
        meeting = meeting_of(east())
        other_series = SeriesFactory()
        Role.objects.create(series=other_series, slug="scribe", name="Scribe")
        Role.objects.create(
            meeting=MeetingFactory(series=other_series), slug="greeter", name="Greeter"
        )

        assert [slug for slug, _ in slugs_and_places(meeting)] == DEFAULT_SLUGS


@pytest.mark.django_db
class TestPlacesFor:
    def test_places_list_their_holders_and_how_many_are_open(self):
        meeting = meeting_of(east())
        Role.objects.create(meeting=meeting, slug="timekeeper", name="Timekeepers", places=2)
        asha = member("Asha")
        roles.take_role(user=asha, meeting=meeting, role="timekeeper")

        places = roles.meeting_places(meeting)

        assert [(place.role.slug, place.open) for place in places] == [
            ("facilitator", 1),
            ("co-facilitator", 1),
            ("timekeeper", 1),
            ("harvester", 1),
            ("host", 1),
        ]
        timekeeper = places[2]
        assert [holder.user for holder in timekeeper.holders] == [asha]
        assert (timekeeper.held_by(asha), timekeeper.held_by(member("Bea"))) == (True, False)
        assert timekeeper.held_by(AnonymousUser()) is False

    def test_holder_names_say_who_does_what_in_role_order_and_never_show_an_address(self):
        meeting = meeting_of(east())
        roles.take_role(user=member("Hana"), meeting=meeting, role="harvester")
        roles.take_role(user=member("Asha"), meeting=meeting, role="facilitator")
        roles.take_role(user=member("", email="kim@example.org"), meeting=meeting, role="host")

        assert roles.holder_names(meeting) == [
            ("Facilitator", ["Asha"]),
            ("Harvester / note-taker", ["Hana"]),
            ("Host", ["a member"]),
        ]

    def test_places_for_one_meeting_take_two_queries(self, django_assert_num_queries):
        meeting = meeting_of(east())
        roles.take_role(user=member("Asha"), meeting=meeting, role="facilitator")

        with django_assert_num_queries(2):
            places = roles.places_for([meeting])
            names = [
                holder.user.display_name for place in places[meeting.pk] for holder in place.holders
            ]

        assert names == ["Asha"]

    def test_places_for_many_meetings_take_two_queries(self, django_assert_num_queries):
        series = east()
        meetings = [meeting_of(series, START + timedelta(days=28 * week)) for week in range(6)]
        Role.objects.create(meeting=meetings[1], slug="greeter", name="Greeter", position=5)
        for index, meeting in enumerate(meetings):
            roles.take_role(user=member(f"Member{index}"), meeting=meeting, role="facilitator")

        with django_assert_num_queries(2):
            places = roles.places_for(meetings)
            names = [
                holder.user.display_name
                for meeting in meetings
                for place in places[meeting.pk]
                for holder in place.holders
            ]

        assert names == [f"Member{index}" for index in range(6)]
        assert [len(places[meeting.pk]) for meeting in meetings] == [5, 6, 5, 5, 5, 5]


# --- taking and giving back -----------------------------------------------------------------


@pytest.mark.django_db
class TestTakeRole:
    def test_taking_a_role_answers_yes_and_takes_a_seat(self):
        meeting = meeting_of(east(), capacity=2)
        asha = member("Asha")

        assignment = roles.take_role(user=asha, meeting=meeting, role="facilitator")

        assert (assignment.meeting, assignment.role, assignment.user, assignment.assigned_by) == (
            meeting,
            "facilitator",
            asha,
            asha,
        )
        assert holders(meeting) == [("facilitator", "Asha")]
        rsvp = Rsvp.objects.get(meeting=meeting, user=asha)
        assert (rsvp.response, rsvp.waitlisted_at, rsvp.holds_seat) == ("yes", None, True)

    def test_taking_a_role_plans_the_invitation(
        self, django_capture_on_commit_callbacks, published_deliveries
    ):
        meeting = meeting_of(east())
        asha = member("Asha")

        with django_capture_on_commit_callbacks(execute=True):
            roles.take_role(user=asha, meeting=meeting, role="facilitator")

        invite = Delivery.objects.get()
        assert (invite.user, invite.meeting, invite.kind, invite.state) == (
            asha,
            meeting,
            Delivery.Kind.INVITE,
            Delivery.State.PENDING,
        )
        assert invite.due_at == NOW + plan.ANSWER_SETTLE_DELAY
        # Due after the answer settles: the sweep hands it to a worker then, not now.
        assert published_deliveries == []

    def test_a_member_who_said_no_says_yes_by_taking_a_role(self):
        meeting = meeting_of(east())
        asha = member("Asha")
        services.set_rsvp(user=asha, meeting=meeting, response=Rsvp.Response.NO)

        roles.take_role(user=asha, meeting=meeting, role="host")

        assert answers(meeting) == [("Asha", "yes", False)]

    def test_a_member_with_a_seat_in_a_full_meeting_can_take_a_role(self):
        meeting = meeting_of(east(), capacity=1)
        asha = member("Asha")
        services.set_rsvp(user=asha, meeting=meeting, response=Rsvp.Response.YES)

        roles.take_role(user=asha, meeting=meeting, role="host")

        assert holders(meeting) == [("host", "Asha")]
        assert answers(meeting) == [("Asha", "yes", False)]

    def test_a_member_can_hold_two_roles(self):
        meeting = meeting_of(east())
        asha = member("Asha")

        roles.take_role(user=asha, meeting=meeting, role="facilitator")
        roles.take_role(user=asha, meeting=meeting, role="harvester")

        assert holders(meeting) == [("facilitator", "Asha"), ("harvester", "Asha")]
        assert answers(meeting) == [("Asha", "yes", False)]

    def test_a_role_with_two_places_takes_two_members(self):
        meeting = meeting_of(east())
        Role.objects.create(meeting=meeting, slug="host", name="Hosts", places=2)

        roles.take_role(user=member("Asha"), meeting=meeting, role="host")
        roles.take_role(user=member("Bea"), meeting=meeting, role="host")

        assert holders(meeting) == [("host", "Asha"), ("host", "Bea")]

    def test_taking_a_role_twice_is_refused(self):
        meeting = meeting_of(east())
        asha = member("Asha")
        roles.take_role(user=asha, meeting=meeting, role="facilitator")

        with pytest.raises(PracticeRefused) as refused:
            roles.take_role(user=asha, meeting=meeting, role="facilitator")

        assert str(refused.value) == "Asha already holds this role."
        assert holders(meeting) == [("facilitator", "Asha")]

    def test_a_full_role_is_refused_and_nothing_changes(self):
        meeting = meeting_of(east())
        roles.take_role(user=member("Asha"), meeting=meeting, role="facilitator")
        bea = member("Bea")
        before = version()

        with pytest.raises(PracticeRefused) as refused:
            roles.take_role(user=bea, meeting=meeting, role="facilitator")

        assert (type(refused.value), str(refused.value)) == (PracticeRefused, FULL_ROLE)
        assert refused.value.status == 409
        assert holders(meeting) == [("facilitator", "Asha")]
        assert answers(meeting) == [("Asha", "yes", False)]
        assert version() == before

    def test_a_role_the_meeting_does_not_have_is_bad_input(self):
        meeting = meeting_of(east())
        asha = member("Asha")

        with pytest.raises(BadInput) as refused:
            roles.take_role(user=asha, meeting=meeting, role="chair")

        assert (str(refused.value), refused.value.status) == (NO_SUCH_ROLE, 400)
        assert (holders(meeting), answers(meeting)) == ([], [])

    def test_a_role_the_meeting_took_out_is_bad_input(self):
        meeting = meeting_of(east())
        Role.objects.create(meeting=meeting, slug="host", name="Host", places=0)

        with pytest.raises(BadInput) as refused:
            roles.take_role(user=member("Asha"), meeting=meeting, role="host")

        assert str(refused.value) == NO_SUCH_ROLE
        assert (holders(meeting), answers(meeting)) == ([], [])

    def test_a_role_of_another_meeting_is_bad_input(self):
        series = east()
        meeting, other = meeting_of(series), meeting_of(series, START + timedelta(days=28))
        Role.objects.create(meeting=other, slug="greeter", name="Greeter")

        with pytest.raises(BadInput) as refused:
            roles.take_role(user=member("Asha"), meeting=meeting, role="greeter")

        assert str(refused.value) == NO_SUCH_ROLE

    def test_a_cancelled_meeting_takes_no_roles(self):
        meeting = meeting_of(east(), status=Meeting.Status.CANCELLED)

        with pytest.raises(PracticeRefused) as refused:
            roles.take_role(user=member("Asha"), meeting=meeting, role="facilitator")

        assert str(refused.value) == CANCELLED
        assert (holders(meeting), answers(meeting)) == ([], [])

    def test_a_meeting_cancelled_after_it_was_loaded_takes_no_roles(self):
        meeting = meeting_of(east())
        Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)

        with pytest.raises(PracticeRefused) as refused:
            roles.take_role(user=member("Asha"), meeting=meeting, role="facilitator")

        assert str(refused.value) == CANCELLED
        assert holders(meeting) == []

    def test_roles_close_when_the_meeting_starts(self, clock):
        meeting = meeting_of(east())
        asha = member("Asha")
        clock.move_to(START)

        with pytest.raises(PracticeRefused) as refused:
            roles.take_role(user=asha, meeting=meeting, role="facilitator")

        assert str(refused.value) == STARTED
        assert (holders(meeting), answers(meeting)) == ([], [])

    def test_roles_are_open_until_the_start(self):
        meeting = meeting_of(east())

        roles.take_role(
            user=member("Asha"),
            meeting=meeting,
            role="facilitator",
            now=START - timedelta(microseconds=1),
        )

        assert holders(meeting) == [("facilitator", "Asha")]

    def test_a_member_who_has_not_confirmed_their_address_may_not_take_a_role(self):
        meeting = meeting_of(east())

        with pytest.raises(NotAllowed) as refused:
            roles.take_role(user=member("Asha", verified=False), meeting=meeting, role="host")

        assert str(refused.value) == "Confirm your e-mail address to take a role."
        assert refused.value.status == 403
        assert (holders(meeting), answers(meeting)) == ([], [])

    def test_a_closed_account_may_not_take_a_role(self):
        meeting = meeting_of(east())

        with pytest.raises(NotAllowed):
            roles.take_role(user=member("Asha", is_active=False), meeting=meeting, role="host")

        assert holders(meeting) == []

    def test_a_full_meeting_refuses_the_role_and_changes_nothing(self):
        meeting = meeting_of(east(), capacity=1)
        services.set_rsvp(user=member("Bea"), meeting=meeting, response=Rsvp.Response.YES)
        asha = member("Asha")
        deliveries = list(Delivery.objects.values_list("pk", flat=True))
        before = version()

        with pytest.raises(PracticeRefused) as refused:
            roles.take_role(user=asha, meeting=meeting, role="facilitator")

        assert str(refused.value) == FULL_MEETING
        assert holders(meeting) == []
        assert answers(meeting) == [("Bea", "yes", False)]
        assert list(Delivery.objects.values_list("pk", flat=True)) == deliveries
        assert version() == before

    def test_a_member_waiting_for_a_seat_cannot_take_a_role_and_keeps_waiting(self):
        meeting = meeting_of(east(), capacity=1)
        services.set_rsvp(user=member("Bea"), meeting=meeting, response=Rsvp.Response.YES)
        asha = member("Asha")
        services.set_rsvp(user=asha, meeting=meeting, response=Rsvp.Response.YES)

        with pytest.raises(PracticeRefused) as refused:
            roles.take_role(user=asha, meeting=meeting, role="facilitator")

        assert str(refused.value) == FULL_MEETING
        assert holders(meeting) == []
        assert answers(meeting) == [("Bea", "yes", False), ("Asha", "yes", True)]

    def test_taking_a_role_locks_the_version_first(self):
        meeting = meeting_of(east())
        asha = member("Asha")

        assert takes_the_version_lock_first(
            lambda: roles.take_role(user=asha, meeting=meeting, role="host")
        )


@pytest.mark.django_db
class TestGiveBackRole:
    def test_giving_a_role_back_keeps_the_yes_and_the_seat(self):
        meeting = meeting_of(east(), capacity=1)
        asha = member("Asha")
        roles.take_role(user=asha, meeting=meeting, role="facilitator")

        roles.give_back_role(user=asha, meeting=meeting, role="facilitator")

        assert holders(meeting) == []
        assert answers(meeting) == [("Asha", "yes", False)]

    def test_a_given_back_place_is_open_for_the_next_member(self):
        meeting = meeting_of(east())
        asha = member("Asha")
        roles.take_role(user=asha, meeting=meeting, role="facilitator")
        roles.give_back_role(user=asha, meeting=meeting, role="facilitator")

        roles.take_role(user=member("Bea"), meeting=meeting, role="facilitator")

        assert holders(meeting) == [("facilitator", "Bea")]

    def test_giving_back_only_gives_back_that_role(self):
        meeting = meeting_of(east())
        asha = member("Asha")
        roles.take_role(user=asha, meeting=meeting, role="facilitator")
        roles.take_role(user=asha, meeting=meeting, role="host")

        roles.give_back_role(user=asha, meeting=meeting, role="host")

        assert holders(meeting) == [("facilitator", "Asha")]

    def test_giving_back_a_role_not_held_is_refused(self):
        meeting = meeting_of(east())
        roles.take_role(user=member("Bea"), meeting=meeting, role="facilitator")

        with pytest.raises(PracticeRefused) as refused:
            roles.give_back_role(user=member("Asha"), meeting=meeting, role="facilitator")

        assert str(refused.value) == NOT_HELD
        assert holders(meeting) == [("facilitator", "Bea")]

    def test_a_role_cannot_be_given_back_once_the_meeting_started(self, clock):
        meeting = meeting_of(east())
        asha = member("Asha")
        roles.take_role(user=asha, meeting=meeting, role="facilitator")
        clock.move_to(START + timedelta(minutes=5))

        with pytest.raises(PracticeRefused) as refused:
            roles.give_back_role(user=asha, meeting=meeting, role="facilitator")

        assert str(refused.value) == STARTED
        assert holders(meeting) == [("facilitator", "Asha")]

    def test_a_role_in_a_cancelled_meeting_cannot_be_given_back(self):
        meeting = meeting_of(east())
        asha = member("Asha")
        roles.take_role(user=asha, meeting=meeting, role="facilitator")
        Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)

        with pytest.raises(PracticeRefused) as refused:
            roles.give_back_role(user=asha, meeting=meeting, role="facilitator")

        assert str(refused.value) == CANCELLED


@pytest.mark.django_db
class TestAssignRole:
    def test_an_organizer_gives_a_member_a_role_and_a_seat(self):
        meeting = meeting_of(east())
        olu, asha = organizer(), member("Asha")

        assignment = roles.assign_role(organizer=olu, user=asha, meeting=meeting, role="harvester")

        assert (assignment.user, assignment.assigned_by) == (asha, olu)
        assert holders(meeting) == [("harvester", "Asha")]
        assert answers(meeting) == [("Asha", "yes", False)]

    def test_a_superuser_is_an_organizer(self):
        meeting = meeting_of(east())

        roles.assign_role(
            organizer=UserFactory(is_superuser=True),
            user=member("Asha"),
            meeting=meeting,
            role="host",
        )

        assert holders(meeting) == [("host", "Asha")]

    def test_an_organizer_cannot_fill_a_full_role(self):
        meeting = meeting_of(east())
        roles.take_role(user=member("Asha"), meeting=meeting, role="facilitator")

        with pytest.raises(PracticeRefused) as refused:
            roles.assign_role(
                organizer=organizer(), user=member("Bea"), meeting=meeting, role="facilitator"
            )

        assert str(refused.value) == FULL_ROLE
        assert holders(meeting) == [("facilitator", "Asha")]

    def test_a_closed_account_cannot_be_given_a_role(self):
        meeting = meeting_of(east())

        with pytest.raises(BadInput) as refused:
            roles.assign_role(
                organizer=organizer(),
                user=member("Asha", is_active=False),
                meeting=meeting,
                role="host",
            )

        assert str(refused.value) == "That member's account is closed."
        assert (holders(meeting), answers(meeting)) == ([], [])

    def test_a_member_who_is_not_an_organizer_cannot_give_a_role(self):
        meeting = meeting_of(east())
        bea = member("Bea")
        roles.take_role(user=bea, meeting=meeting, role="facilitator")

        with pytest.raises(NotAllowed) as refused:
            roles.assign_role(organizer=bea, user=member("Asha"), meeting=meeting, role="host")

        assert str(refused.value) == "Only organizers can give a role to someone else."
        assert holders(meeting) == [("facilitator", "Bea")]
        assert answers(meeting) == [("Bea", "yes", False)]

    def test_staff_give_roles_as_organizers_do(self):
        meeting = meeting_of(east())

        roles.assign_role(
            organizer=member("Sam", is_staff=True),
            user=member("Asha"),
            meeting=meeting,
            role="host",
        )

        assert holders(meeting) == [("host", "Asha")]

    def test_an_organizer_takes_a_role_from_a_member_who_keeps_their_yes(self):
        meeting = meeting_of(east())
        asha = member("Asha")
        roles.take_role(user=asha, meeting=meeting, role="facilitator")

        roles.unassign_role(organizer=organizer(), user=asha, meeting=meeting, role="facilitator")

        assert holders(meeting) == []
        assert answers(meeting) == [("Asha", "yes", False)]

    def test_a_member_who_is_not_an_organizer_cannot_take_a_role_from_another(self):
        meeting = meeting_of(east())
        asha = member("Asha")
        roles.take_role(user=asha, meeting=meeting, role="facilitator")

        with pytest.raises(NotAllowed) as refused:
            roles.unassign_role(
                organizer=member("Bea"), user=asha, meeting=meeting, role="facilitator"
            )

        assert str(refused.value) == "Only organizers can take a role from someone else."
        assert holders(meeting) == [("facilitator", "Asha")]

    def test_unassigning_a_role_not_held_is_refused(self):
        meeting = meeting_of(east())

        with pytest.raises(PracticeRefused) as refused:
            roles.unassign_role(
                organizer=organizer(), user=member("Asha"), meeting=meeting, role="host"
            )

        assert str(refused.value) == NOT_HELD


@pytest.mark.django_db
class TestScheduleVersion:
    """Cached pages are keyed on the schedule version: every change of a role moves it."""

    def test_taking_a_role_moves_the_version(self):
        meeting = meeting_of(east())
        asha = member("Asha")
        before = version()

        roles.take_role(user=asha, meeting=meeting, role="host")

        assert version() > before

    def test_taking_a_role_with_a_yes_already_given_moves_the_version(self):
        meeting = meeting_of(east())
        asha = member("Asha")
        services.set_rsvp(user=asha, meeting=meeting, response=Rsvp.Response.YES)
        before = version()

        roles.take_role(user=asha, meeting=meeting, role="host")

        assert version() > before

    def test_giving_a_role_back_moves_the_version(self):
        meeting = meeting_of(east())
        asha = member("Asha")
        roles.take_role(user=asha, meeting=meeting, role="host")
        before = version()

        roles.give_back_role(user=asha, meeting=meeting, role="host")

        assert version() > before

    def test_assigning_a_role_moves_the_version(self):
        meeting = meeting_of(east())
        olu, asha = organizer(), member("Asha")
        before = version()

        roles.assign_role(organizer=olu, user=asha, meeting=meeting, role="host")

        assert version() > before

    def test_unassigning_a_role_moves_the_version(self):
        meeting = meeting_of(east())
        olu, asha = organizer(), member("Asha")
        roles.assign_role(organizer=olu, user=asha, meeting=meeting, role="host")
        before = version()

        roles.unassign_role(organizer=olu, user=asha, meeting=meeting, role="host")

        assert version() > before

    def test_a_refused_role_leaves_the_version_alone(self):
        meeting = meeting_of(east())
        asha = member("Asha")
        before = version()

        with pytest.raises(BadInput):
            roles.take_role(user=asha, meeting=meeting, role="chair")

        assert version() == before


# --- the rota -----------------------------------------------------------------------------


def held(meeting: Meeting, role: str, *users) -> None:
    """Record that `users` held `role` in a past meeting (services refuse the past)."""
    for user in users:
        RoleAssignment.objects.create(meeting=meeting, role=role, user=user)


@pytest.mark.django_db
class TestTimesHeld:
    def test_counts_each_role_held_in_held_meetings_of_the_last_twelve_months(self):
        series = east()
        asha, bea = member("Asha"), member("Bea")
        last_month = meeting_of(series, NOW - timedelta(days=28))
        two_months_ago = meeting_of(series, NOW - timedelta(days=56))
        a_year_ago = meeting_of(series, NOW - timedelta(days=365))
        held(last_month, "facilitator", asha)
        held(last_month, "harvester", bea)
        held(two_months_ago, "facilitator", asha)
        held(two_months_ago, "host", bea)
        held(a_year_ago, "facilitator", bea)

        counts = roles.times_held(now=NOW)

        assert counts == {
            asha.pk: {"facilitator": 2},
            bea.pk: {"harvester": 1, "host": 1, "facilitator": 1},
        }

    def test_leaves_out_cancelled_meetings_older_ones_and_those_to_come(self):
        series = east()
        asha = member("Asha")
        held(
            meeting_of(series, NOW - timedelta(days=28), status=Meeting.Status.CANCELLED),
            "facilitator",
            asha,
        )
        held(meeting_of(series, NOW - timedelta(days=366)), "facilitator", asha)
        held(meeting_of(series, NOW + timedelta(days=7)), "facilitator", asha)
        held(meeting_of(series, NOW), "facilitator", asha)

        assert roles.times_held(now=NOW) == {}

    def test_counts_only_the_members_asked_for(self):
        series = east()
        asha, bea = member("Asha"), member("Bea")
        held(meeting_of(series, NOW - timedelta(days=28)), "facilitator", asha, bea)

        assert roles.times_held(users=[bea.pk], now=NOW) == {bea.pk: {"facilitator": 1}}

    def test_counts_meetings_of_every_series(self):
        asha = member("Asha")
        held(meeting_of(east(), NOW - timedelta(days=28)), "host", asha)
        held(MeetingFactory(starts_at=NOW - timedelta(days=14)), "host", asha)

        assert roles.times_held(now=NOW) == {asha.pk: {"host": 2}}

    def test_counts_in_one_query(self, django_assert_num_queries):
        series = east()
        for days in (28, 56, 84):
            held(meeting_of(series, NOW - timedelta(days=days)), "host", member(f"M{days}"))

        with django_assert_num_queries(1):
            counts = roles.times_held(now=NOW)

        assert sorted(count["host"] for count in counts.values()) == [1, 1, 1]


@pytest.mark.django_db
class TestSuggestions:
    def past_meetings(self, count: int) -> list[Meeting]:
        series = SeriesFactory(slug="earlier")
        return [meeting_of(series, NOW - timedelta(days=7 * (week + 1))) for week in range(count)]

    def suggest(self, meeting: Meeting, coming: list) -> dict[str, list[tuple[str, int, str]]]:
        picks = roles.suggestions(
            meeting=meeting,
            places=roles.meeting_places(meeting),
            coming=coming,
            counts=roles.times_held(now=NOW),
        )
        return {
            slug: [(pick.user.display_name, pick.held, pick.reason) for pick in chosen]
            for slug, chosen in picks.items()
        }

    def test_members_who_held_a_role_least_are_suggested_first(self):
        meeting = meeting_of(east())
        asha, bea, cai, dan = (member(name) for name in ("Asha", "Bea", "Cai", "Dan"))
        past = self.past_meetings(3)
        held(past[0], "timekeeper", asha, cai)
        held(past[1], "timekeeper", asha)
        held(past[2], "timekeeper", asha)

        picks = self.suggest(meeting, [asha, bea, cai, dan])

        assert picks["timekeeper"] == [
            ("Bea", 0, "never held it"),
            ("Dan", 0, "never held it"),
            ("Cai", 1, "held it 1 time"),
        ]

    def test_the_reason_counts_how_often(self):
        meeting = meeting_of(east())
        asha = member("Asha")
        past = self.past_meetings(3)
        for past_meeting in past:
            held(past_meeting, "host", asha)

        assert self.suggest(meeting, [asha])["host"] == [("Asha", 3, "held it 3 times")]

    def test_members_who_hold_a_role_in_the_meeting_are_not_suggested_and_full_roles_not_listed(
        self,
    ):
        meeting = meeting_of(east())
        asha, bea = member("Asha"), member("Bea")
        roles.take_role(user=asha, meeting=meeting, role="host")

        picks = self.suggest(meeting, [asha, bea])

        assert list(picks) == ["facilitator", "co-facilitator", "timekeeper", "harvester"]
        assert picks["facilitator"] == [("Bea", 0, "never held it")]

    def test_a_first_time_facilitator_is_paired_with_the_most_experienced_co_facilitator(self):
        meeting = meeting_of(east())
        newcomer, asha, bea, cai = (member(name) for name in ("Nia", "Asha", "Bea", "Cai"))
        roles.take_role(user=newcomer, meeting=meeting, role="facilitator")
        past = self.past_meetings(3)
        held(past[0], "facilitator", asha)
        held(past[1], "facilitator", bea)
        held(past[2], "facilitator", bea)
        held(past[0], "co-facilitator", bea)

        picks = self.suggest(meeting, [newcomer, asha, bea, cai])

        assert picks["co-facilitator"] == [
            ("Bea", 1, "has facilitated 2 times: a partner for a first-time facilitator"),
            ("Asha", 0, "has facilitated 1 time: a partner for a first-time facilitator"),
        ]

    def test_an_experienced_facilitator_leaves_the_co_facilitator_to_those_who_held_it_least(
        self,
    ):
        meeting = meeting_of(east())
        asha, bea, cai = (member(name) for name in ("Asha", "Bea", "Cai"))
        roles.take_role(user=asha, meeting=meeting, role="facilitator")
        past = self.past_meetings(2)
        held(past[0], "facilitator", asha, bea)
        held(past[1], "co-facilitator", bea)

        picks = self.suggest(meeting, [asha, bea, cai])

        assert picks["co-facilitator"] == [
            ("Cai", 0, "never held it"),
            ("Bea", 1, "held it 1 time"),
        ]

    def test_without_a_facilitator_the_co_facilitator_goes_to_those_who_held_it_least(self):
        meeting = meeting_of(east())
        asha, bea = member("Asha"), member("Bea")
        held(self.past_meetings(1)[0], "facilitator", asha)

        picks = self.suggest(meeting, [asha, bea])

        assert picks["co-facilitator"] == [
            ("Asha", 0, "never held it"),
            ("Bea", 0, "never held it"),
        ]

    def test_at_most_three_members_are_suggested_for_a_place(self):
        meeting = meeting_of(east())
        coming = [member(name) for name in ("Asha", "Bea", "Cai", "Dan", "Eli")]

        picks = self.suggest(meeting, coming)

        assert [name for name, _, _ in picks["host"]] == ["Asha", "Bea", "Cai"]


# --- leaving --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_deleting_an_account_removes_the_members_roles_and_frees_their_places():
    meeting = meeting_of(east())
    asha, bea = member("Asha"), member("Bea")
    roles.take_role(user=asha, meeting=meeting, role="facilitator")
    roles.take_role(user=asha, meeting=meeting, role="host")
    roles.take_role(user=bea, meeting=meeting, role="harvester")

    services.delete_account(user=asha)

    assert holders(meeting) == [("harvester", "Bea")]
    assert [(place.role.slug, place.open) for place in roles.meeting_places(meeting)] == [
        ("facilitator", 1),
        ("co-facilitator", 1),
        ("timekeeper", 1),
        ("harvester", 0),
        ("host", 1),
    ]


@pytest.mark.django_db
def test_a_role_given_by_an_organizer_who_left_stays_with_its_holder():
    meeting = meeting_of(east())
    olu, asha = organizer(), member("Asha")
    roles.assign_role(organizer=olu, user=asha, meeting=meeting, role="host")

    services.delete_account(user=olu)

    assignment = RoleAssignment.objects.get()
    assert (assignment.user, assignment.assigned_by) == (asha, None)
