from datetime import timedelta

import pytest

from meetings.models import Meeting
from members import services
from members.models import AgendaItem
from members.practice import BadInput, NotAllowed, PracticeRefused, agenda, roles

from .support import NOW, START, east, meeting_of, member, organizer, version

Status = AgendaItem.Status
STARTED = "This meeting has started: its agenda is settled."
CANCELLED = "This meeting was cancelled."
NOT_A_RUNNER = "Only the facilitator and organizers decide on the agenda."


def propose(user, meeting, title: str = "Check-in round", minutes: int = 15, **fields):
    return agenda.propose_item(
        user=user,
        meeting=meeting,
        title=title,
        description=fields.pop("description", ""),
        minutes=minutes,
        **fields,
    )


def the_agenda(meeting: Meeting) -> list[tuple[str, int]]:
    """(title, position) of the accepted items, in order."""
    return [(item.title, item.position) for item in agenda.agenda_of(meeting).items]


def statuses(meeting: Meeting) -> list[tuple[str, str]]:
    return list(
        AgendaItem.objects.filter(meeting=meeting).order_by("pk").values_list("title", "status")
    )


def cancel(meeting: Meeting) -> None:
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)


@pytest.fixture
def meeting(db):
    return meeting_of(east())


@pytest.fixture
def olu(db):
    return organizer()


@pytest.mark.django_db
class TestPropose:
    def test_a_member_proposes_an_item(self, meeting):
        asha = member("Asha")

        item = propose(asha, meeting, "Fishbowl practice", 30, description="Two rounds.\nThen?")

        saved = AgendaItem.objects.get()
        assert saved == item
        assert (saved.meeting, saved.proposer, saved.title, saved.description) == (
            meeting,
            asha,
            "Fishbowl practice",
            "Two rounds.\nThen?",
        )
        assert (saved.minutes, saved.status, saved.position) == (30, Status.PROPOSED, 0)
        assert (saved.decided_by, saved.decided_at, saved.created_at) == (None, None, NOW)

    def test_a_proposal_is_not_on_the_agenda_yet(self, meeting):
        propose(member("Asha"), meeting)

        assert the_agenda(meeting) == []

    def test_a_member_who_has_not_confirmed_their_address_may_not_propose(self, meeting):
        with pytest.raises(NotAllowed) as refused:
            propose(member("Asha", verified=False), meeting)

        assert str(refused.value) == "Confirm your e-mail address to propose an agenda item."
        assert AgendaItem.objects.count() == 0

    @pytest.mark.parametrize(
        ("minutes", "message"),
        [
            (0, "Ensure this value is greater than or equal to 1."),
            (-5, "Ensure this value is greater than or equal to 1."),
            (241, "Ensure this value is less than or equal to 240."),
            (100_000, "Ensure this value is less than or equal to 240."),
        ],
    )
    def test_minutes_out_of_range_are_bad_input_and_nothing_is_saved(
        self, meeting, minutes, message
    ):
        before = version()

        with pytest.raises(BadInput) as refused:
            propose(member("Asha"), meeting, minutes=minutes)

        assert (str(refused.value), refused.value.status) == (message, 400)
        assert AgendaItem.objects.count() == 0
        assert version() == before

    @pytest.mark.parametrize("minutes", [1, 240])
    def test_minutes_at_the_limits_are_taken(self, meeting, minutes):
        item = propose(member("Asha"), meeting, minutes=minutes)

        assert AgendaItem.objects.get().minutes == item.minutes == minutes

    def test_a_description_over_a_thousand_characters_is_bad_input(self, meeting):
        with pytest.raises(BadInput) as refused:
            propose(member("Asha"), meeting, description="x" * 1001)

        assert str(refused.value) == "Description is longer than 1000 characters."
        assert AgendaItem.objects.count() == 0

    def test_a_description_of_a_thousand_characters_is_taken(self, meeting):
        propose(member("Asha"), meeting, description="x" * 1000)

        assert len(AgendaItem.objects.get().description) == 1000

    def test_a_title_over_120_characters_is_bad_input(self, meeting):
        with pytest.raises(BadInput) as refused:
            propose(member("Asha"), meeting, title="x" * 121)

        assert str(refused.value) == "Ensure this value has at most 120 characters (it has 121)."
        assert AgendaItem.objects.count() == 0

    def test_an_empty_title_is_bad_input(self, meeting):
        with pytest.raises(BadInput) as refused:
            propose(member("Asha"), meeting, title="")

        assert str(refused.value) == "This field cannot be blank."
        assert AgendaItem.objects.count() == 0

    def test_control_characters_are_stripped_from_the_title(self, meeting):
        propose(member("Asha"), meeting, title="Check\x00-in\nround")

        assert AgendaItem.objects.get().title == "Check-in round"

    def test_a_started_meeting_takes_no_proposals(self, meeting, clock):
        asha = member("Asha")
        clock.move_to(START)

        with pytest.raises(PracticeRefused) as refused:
            propose(asha, meeting)

        assert str(refused.value) == STARTED
        assert AgendaItem.objects.count() == 0

    def test_a_cancelled_meeting_takes_no_proposals(self, meeting):
        cancel(meeting)

        with pytest.raises(PracticeRefused) as refused:
            propose(member("Asha"), meeting)

        assert str(refused.value) == CANCELLED
        assert AgendaItem.objects.count() == 0

    def test_proposing_moves_the_schedule_version(self, meeting):
        asha = member("Asha")
        before = version()

        propose(asha, meeting)

        assert version() > before


@pytest.mark.django_db
class TestDecide:
    def test_accepting_puts_items_at_the_end_of_the_agenda(self, meeting, olu):
        asha = member("Asha")
        first, second, third = (propose(asha, meeting, title) for title in ("A", "B", "C"))

        for item in (second, first, third):
            agenda.decide_item(user=olu, item=item, accept=True)

        assert the_agenda(meeting) == [("B", 1), ("A", 2), ("C", 3)]

    def test_accepting_records_who_decided_and_when(self, meeting, olu):
        item = propose(member("Asha"), meeting)

        decided = agenda.decide_item(user=olu, item=item, accept=True)

        saved = AgendaItem.objects.get()
        assert (decided.status, saved.status) == (Status.ACCEPTED, Status.ACCEPTED)
        assert (saved.decided_by, saved.decided_at, saved.position) == (olu, NOW, 1)

    def test_the_facilitator_decides(self, meeting):
        fay = member("Fay")
        roles.take_role(user=fay, meeting=meeting, role="facilitator")
        item = propose(member("Asha"), meeting)

        agenda.decide_item(user=fay, item=item, accept=True)

        assert the_agenda(meeting) == [("Check-in round", 1)]

    def test_the_facilitator_of_the_meeting_may_decide_on_their_own_proposal(self, meeting):
        fay = member("Fay")
        roles.take_role(user=fay, meeting=meeting, role="facilitator")
        item = propose(fay, meeting)

        agenda.decide_item(user=fay, item=item, accept=False)

        assert statuses(meeting) == [("Check-in round", Status.DECLINED)]

    @pytest.mark.parametrize("role", [None, "co-facilitator", "harvester"])
    def test_a_member_who_is_not_facilitator_or_organizer_may_not_decide(self, meeting, role):
        asha = member("Asha")
        if role:
            roles.take_role(user=asha, meeting=meeting, role=role)
        item = propose(asha, meeting)

        with pytest.raises(NotAllowed) as refused:
            agenda.decide_item(user=asha, item=item, accept=True)

        assert str(refused.value) == NOT_A_RUNNER
        assert statuses(meeting) == [("Check-in round", Status.PROPOSED)]

    def test_declining_takes_an_item_off_the_agenda(self, meeting, olu):
        asha = member("Asha")
        first, second = propose(asha, meeting, "A"), propose(asha, meeting, "B")
        agenda.decide_item(user=olu, item=first, accept=True)
        agenda.decide_item(user=olu, item=second, accept=True)

        agenda.decide_item(user=olu, item=first, accept=False)

        assert the_agenda(meeting) == [("B", 2)]
        assert statuses(meeting) == [("A", Status.DECLINED), ("B", Status.ACCEPTED)]
        declined = AgendaItem.objects.get(title="A")
        assert (declined.position, declined.decided_by, declined.decided_at) == (0, olu, NOW)

    def test_a_declined_item_accepted_again_goes_to_the_end(self, meeting, olu):
        asha = member("Asha")
        first, second = propose(asha, meeting, "A"), propose(asha, meeting, "B")
        agenda.decide_item(user=olu, item=first, accept=False)
        agenda.decide_item(user=olu, item=second, accept=True)

        agenda.decide_item(user=olu, item=first, accept=True)

        assert the_agenda(meeting) == [("B", 1), ("A", 2)]

    def test_accepting_an_accepted_item_again_changes_nothing(self, meeting, olu, clock):
        asha = member("Asha")
        first, second = propose(asha, meeting, "A"), propose(asha, meeting, "B")
        agenda.decide_item(user=olu, item=first, accept=True)
        agenda.decide_item(user=olu, item=second, accept=True)
        clock.shift(timedelta(hours=1))

        agenda.decide_item(user=olu, item=first, accept=True)

        assert the_agenda(meeting) == [("A", 1), ("B", 2)]
        assert AgendaItem.objects.get(title="A").decided_at == NOW

    def test_an_item_of_a_cancelled_meeting_cannot_be_decided(self, meeting, olu):
        item = propose(member("Asha"), meeting)
        cancel(meeting)

        with pytest.raises(PracticeRefused) as refused:
            agenda.decide_item(user=olu, item=item, accept=True)

        assert str(refused.value) == CANCELLED
        assert statuses(meeting) == [("Check-in round", Status.PROPOSED)]

    def test_an_item_of_a_started_meeting_cannot_be_decided(self, meeting, olu, clock):
        item = propose(member("Asha"), meeting)
        clock.move_to(START + timedelta(minutes=1))

        with pytest.raises(PracticeRefused) as refused:
            agenda.decide_item(user=olu, item=item, accept=True)

        assert str(refused.value) == STARTED
        assert statuses(meeting) == [("Check-in round", Status.PROPOSED)]

    def test_a_withdrawn_item_cannot_be_decided(self, meeting, olu):
        asha = member("Asha")
        item = propose(asha, meeting)
        agenda.withdraw_item(user=asha, item=item)

        with pytest.raises(PracticeRefused) as refused:
            agenda.decide_item(user=olu, item=item, accept=True)

        assert str(refused.value) == "This agenda item was withdrawn."
        assert AgendaItem.objects.count() == 0

    def test_deciding_moves_the_schedule_version(self, meeting, olu):
        item = propose(member("Asha"), meeting)
        before = version()

        agenda.decide_item(user=olu, item=item, accept=True)

        assert version() > before


@pytest.mark.django_db
class TestMove:
    @pytest.fixture
    def items(self, meeting, olu):
        asha = member("Asha")
        items = [propose(asha, meeting, title) for title in ("A", "B", "C")]
        for item in items:
            agenda.decide_item(user=olu, item=item, accept=True)
        return items

    def test_moving_up_swaps_with_the_item_before(self, meeting, olu, items):
        order = agenda.move_item(user=olu, item=items[2], up=True)

        assert [item.title for item in order] == ["A", "C", "B"]
        assert the_agenda(meeting) == [("A", 1), ("C", 2), ("B", 3)]

    def test_moving_down_swaps_with_the_item_after(self, meeting, olu, items):
        agenda.move_item(user=olu, item=items[0], up=False)

        assert the_agenda(meeting) == [("B", 1), ("A", 2), ("C", 3)]

    def test_the_first_item_moved_up_stays_first(self, meeting, olu, items):
        agenda.move_item(user=olu, item=items[0], up=True)

        assert the_agenda(meeting) == [("A", 1), ("B", 2), ("C", 3)]

    def test_the_last_item_moved_down_stays_last(self, meeting, olu, items):
        agenda.move_item(user=olu, item=items[2], up=False)

        assert the_agenda(meeting) == [("A", 1), ("B", 2), ("C", 3)]

    def test_moving_closes_gaps_left_by_declined_items(self, meeting, olu, items):
        agenda.decide_item(user=olu, item=items[0], accept=False)

        agenda.move_item(user=olu, item=items[2], up=True)

        assert the_agenda(meeting) == [("C", 1), ("B", 2)]

    def test_the_facilitator_moves_items(self, meeting, items):
        fay = member("Fay")
        roles.take_role(user=fay, meeting=meeting, role="facilitator")

        agenda.move_item(user=fay, item=items[1], up=True)

        assert the_agenda(meeting) == [("B", 1), ("A", 2), ("C", 3)]

    def test_a_member_who_is_not_facilitator_or_organizer_may_not_move_items(self, meeting, items):
        with pytest.raises(NotAllowed) as refused:
            agenda.move_item(user=member("Bea"), item=items[1], up=True)

        assert str(refused.value) == NOT_A_RUNNER
        assert the_agenda(meeting) == [("A", 1), ("B", 2), ("C", 3)]

    def test_an_item_not_accepted_has_no_place_to_move(self, meeting, olu, items):
        proposed = propose(member("Bea"), meeting, "D")

        with pytest.raises(BadInput) as refused:
            agenda.move_item(user=olu, item=proposed, up=True)

        assert str(refused.value) == "Only accepted items have a place on the agenda."
        assert the_agenda(meeting) == [("A", 1), ("B", 2), ("C", 3)]

    def test_the_agenda_of_a_started_meeting_is_settled(self, meeting, olu, items, clock):
        clock.move_to(START)

        with pytest.raises(PracticeRefused) as refused:
            agenda.move_item(user=olu, item=items[1], up=True)

        assert str(refused.value) == STARTED
        assert the_agenda(meeting) == [("A", 1), ("B", 2), ("C", 3)]

    def test_the_agenda_of_a_cancelled_meeting_does_not_move(self, meeting, olu, items):
        cancel(meeting)

        with pytest.raises(PracticeRefused) as refused:
            agenda.move_item(user=olu, item=items[1], up=True)

        assert str(refused.value) == CANCELLED
        assert the_agenda(meeting) == [("A", 1), ("B", 2), ("C", 3)]

    def test_moving_moves_the_schedule_version(self, olu, items):
        before = version()

        agenda.move_item(user=olu, item=items[1], up=True)

        assert version() > before


@pytest.mark.django_db
class TestWithdraw:
    def test_the_proposer_withdraws_a_proposal(self, meeting):
        asha = member("Asha")
        item = propose(asha, meeting)
        before = version()

        agenda.withdraw_item(user=asha, item=item)

        assert AgendaItem.objects.count() == 0
        assert version() > before

    def test_another_member_may_not_withdraw_it(self, meeting, olu):
        item = propose(member("Asha"), meeting)

        for someone in (member("Bea"), olu):
            with pytest.raises(NotAllowed) as refused:
                agenda.withdraw_item(user=someone, item=item)

            assert str(refused.value) == "Only the member who proposed an item can withdraw it."
        assert statuses(meeting) == [("Check-in round", Status.PROPOSED)]

    @pytest.mark.parametrize("accept", [True, False])
    def test_a_decided_item_cannot_be_withdrawn(self, meeting, olu, accept):
        asha = member("Asha")
        item = propose(asha, meeting)
        agenda.decide_item(user=olu, item=item, accept=accept)

        with pytest.raises(PracticeRefused) as refused:
            agenda.withdraw_item(user=asha, item=item)

        assert str(refused.value) == "This item was decided already; ask the facilitator."
        assert AgendaItem.objects.count() == 1

    def test_withdrawing_twice_says_it_was_withdrawn(self, meeting):
        asha = member("Asha")
        item = propose(asha, meeting)
        agenda.withdraw_item(user=asha, item=item)

        with pytest.raises(PracticeRefused) as refused:
            agenda.withdraw_item(user=asha, item=item)

        assert str(refused.value) == "This agenda item was withdrawn."

    def test_a_proposal_to_a_started_meeting_cannot_be_withdrawn(self, meeting, clock):
        asha = member("Asha")
        item = propose(asha, meeting)
        clock.move_to(START)

        with pytest.raises(PracticeRefused) as refused:
            agenda.withdraw_item(user=asha, item=item)

        assert str(refused.value) == STARTED
        assert AgendaItem.objects.count() == 1


@pytest.mark.django_db
class TestAgendaOf:
    def test_counts_the_minutes_of_accepted_items_only(self, meeting, olu):
        asha = member("Asha")
        for title, minutes, accept in [("A", 20, True), ("B", 30, True), ("C", 45, False)]:
            agenda.decide_item(user=olu, item=propose(asha, meeting, title, minutes), accept=accept)
        propose(asha, meeting, "D", 60)

        planned = agenda.agenda_of(meeting)

        assert [item.title for item in planned.items] == ["A", "B"]
        assert (planned.minutes, planned.meeting_minutes, planned.over_by) == (50, 90, 0)

    def test_exactly_the_meetings_length_fits(self, meeting, olu):
        asha = member("Asha")
        for title, minutes in [("A", 60), ("B", 30)]:
            agenda.decide_item(user=olu, item=propose(asha, meeting, title, minutes), accept=True)

        assert agenda.agenda_of(meeting).over_by == 0

    def test_says_by_how_much_planned_minutes_exceed_the_meeting(self, meeting, olu):
        asha = member("Asha")
        for title, minutes in [("A", 60), ("B", 45)]:
            agenda.decide_item(user=olu, item=propose(asha, meeting, title, minutes), accept=True)

        planned = agenda.agenda_of(meeting)

        assert (planned.minutes, planned.meeting_minutes, planned.over_by) == (105, 90, 15)

    def test_an_empty_agenda(self, meeting):
        planned = agenda.agenda_of(meeting)

        assert (planned.items, planned.minutes, planned.over_by) == ([], 0, 0)

    def test_uses_the_items_given_without_a_query(self, meeting, olu, django_assert_num_queries):
        item = propose(member("Asha"), meeting, "A", 100)
        agenda.decide_item(user=olu, item=item, accept=True)
        items = list(AgendaItem.objects.all())

        with django_assert_num_queries(0):
            planned = agenda.agenda_of(meeting, items)

        assert (planned.minutes, planned.over_by) == (100, 10)


@pytest.mark.django_db
def test_deleting_an_account_removes_the_members_proposals_and_keeps_the_decisions_of_others():
    meeting = meeting_of(east())
    olu, asha, bea = organizer(), member("Asha"), member("Bea")
    agenda.decide_item(user=olu, item=propose(asha, meeting, "A"), accept=True)
    propose(asha, meeting, "B")
    agenda.decide_item(user=olu, item=propose(bea, meeting, "C"), accept=True)

    services.delete_account(user=asha)

    assert statuses(meeting) == [("C", Status.ACCEPTED)]


@pytest.mark.django_db
def test_an_item_decided_by_an_organizer_who_left_stays_on_the_agenda():
    meeting = meeting_of(east())
    olu, asha = organizer(), member("Asha")
    agenda.decide_item(user=olu, item=propose(asha, meeting, "A"), accept=True)

    services.delete_account(user=olu)

    item = AgendaItem.objects.get()
    assert (item.status, item.decided_by, item.position) == (Status.ACCEPTED, None, 1)
