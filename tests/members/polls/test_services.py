from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from meetings.models import Meeting, Series
from members.models import Delivery, Follow, Poll, PollSlot, PollVote, PollVoter, Rsvp, User
from members.polls import services
from members.polls.services import PollDraft
from members.practice import BadInput, NotAllowed, PracticeRefused
from tests.factories import SeriesFactory
from tests.members.practice.support import member, organizer

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
FIRST = datetime(2027, 3, 10, 14, 0, tzinfo=UTC)
SECOND = datetime(2027, 3, 11, 18, 30, tzinfo=UTC)
Kind = Delivery.Kind

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def draft(**changes) -> PollDraft:
    fields = {
        "title": "Facilitating hybrid circles",
        "description": "An extra session.",
        "length": timedelta(minutes=90),
        "kind": Poll.Kind.ONE_OFF,
        "frequency": "",
        "audience": Poll.Audience.MEMBERS,
        "series": None,
        "zone": ZoneInfo("Europe/London"),
        "join_url": "https://meet.example.net/copf",
        "deadline": NOW + timedelta(days=5),
        "slots": [FIRST, SECOND],
    }
    return PollDraft(**(fields | changes))


def olu() -> User:
    return User.objects.filter(email="olu@example.org").first() or organizer("Olu")


def new_poll(**changes) -> Poll:
    return services.create_poll(by=olu(), draft=draft(**changes))


def slot(poll: Poll, starts_at: datetime) -> int:
    return PollSlot.objects.get(poll=poll, starts_at=starts_at).pk


# --- making a poll -------------------------------------------------------------------------


def test_an_organizer_makes_a_poll_with_its_slots_in_utc_and_the_zone_they_were_entered_in():
    poll = new_poll()

    assert list(poll.slots.values_list("starts_at", flat=True)) == [FIRST, SECOND]
    assert str(poll.timezone) == "Europe/London"


def test_a_member_who_is_not_an_organizer_cannot_make_a_poll():
    with pytest.raises(NotAllowed):
        services.create_poll(by=member("Ana"), draft=draft())

    assert not Poll.objects.exists()


def test_bad_slots_make_no_poll():
    with pytest.raises(BadInput, match="before the first slot"):
        new_poll(deadline=FIRST + timedelta(hours=1))

    assert not Poll.objects.exists()


def test_a_recurring_poll_needs_to_say_how_often():
    with pytest.raises(BadInput, match="how often"):
        new_poll(kind=Poll.Kind.RECURRING)


def test_every_member_with_a_confirmed_address_is_invited_and_reminded_once():
    ana, _unconfirmed = member("Ana"), member("Ben", verified=False)
    poll = new_poll()

    rows = Delivery.objects.filter(poll=poll).values_list("user__display_name", "kind", "due_at")
    assert set(rows) == {
        ("Ana", Kind.POLL_INVITE, NOW),
        ("Ana", Kind.POLL_REMINDER, poll.deadline - timedelta(hours=24)),
        ("Olu", Kind.POLL_INVITE, NOW),
        ("Olu", Kind.POLL_REMINDER, poll.deadline - timedelta(hours=24)),
    }
    assert ana.is_active


def test_a_poll_for_the_followers_of_a_series_invites_only_them():
    series = SeriesFactory()
    Follow.objects.create(user=member("Ana"), series=series)
    member("Ben")

    poll = new_poll(audience=Poll.Audience.FOLLOWERS, series=series)

    assert set(
        Delivery.objects.filter(poll=poll, kind=Kind.POLL_INVITE).values_list(
            "user__display_name", flat=True
        )
    ) == {"Ana"}


def test_a_poll_for_anyone_with_the_link_emails_no_one():
    member("Ana")

    poll = new_poll(audience=Poll.Audience.LINK)

    assert not Delivery.objects.filter(poll=poll).exists()


def test_a_short_poll_reminds_halfway_to_its_deadline():
    poll = new_poll(deadline=NOW + timedelta(hours=30))

    reminder = Delivery.objects.get(poll=poll, kind=Kind.POLL_REMINDER, user=poll.created_by)
    assert reminder.due_at == NOW + timedelta(hours=15)


# --- voting --------------------------------------------------------------------------------


def test_a_members_votes_are_one_row_per_slot_and_a_new_vote_replaces_the_old():
    poll, ana = new_poll(), member("Ana")

    services.vote_as_member(poll=poll, user=ana, choices={slot(poll, FIRST): "yes"})
    services.vote_as_member(
        poll=poll, user=ana, choices={slot(poll, FIRST): "no", slot(poll, SECOND): "if_need_be"}
    )

    assert sorted(PollVote.objects.filter(voter__user=ana).values_list("choice", flat=True)) == [
        "if_need_be",
        "no",
    ]


@pytest.mark.parametrize(
    ("choices", "error"),
    [({}, "at least one"), ({999_999: "yes"}, "not in this poll"), (None, "yes, if need be")],
)
def test_a_vote_that_makes_no_sense_is_refused_and_changes_nothing(choices, error):
    poll, ana = new_poll(), member("Ana")
    choices = {slot(poll, FIRST): "maybe"} if choices is None else choices

    with pytest.raises(BadInput, match=error):
        services.vote_as_member(poll=poll, user=ana, choices=choices)

    assert not PollVote.objects.exists()


def test_no_vote_counts_after_the_deadline(clock):
    poll, ana = new_poll(), member("Ana")
    clock.move_to(poll.deadline)

    with pytest.raises(PracticeRefused, match="deadline"):
        services.vote_as_member(poll=poll, user=ana, choices={slot(poll, FIRST): "yes"})

    assert not PollVote.objects.exists()


def test_a_member_outside_a_followers_poll_cannot_vote():
    poll = new_poll(audience=Poll.Audience.FOLLOWERS, series=SeriesFactory())

    with pytest.raises(NotAllowed):
        services.vote_as_member(poll=poll, user=member("Ana"), choices={slot(poll, FIRST): "yes"})


def guest_vote(poll: Poll, email: str = "gita@example.net", zone: str = "Asia/Kolkata"):
    return services.vote_as_guest(
        poll=poll, name="Gita", email=email, zone_name=zone, choices={slot(poll, FIRST): "yes"}
    )


def test_a_guests_vote_counts_only_once_they_confirm_their_address():
    poll = new_poll(audience=Poll.Audience.LINK)
    voter = guest_vote(poll).voter

    assert services.poll_results(poll).voters == []
    assert Delivery.objects.filter(voter=voter, kind=Kind.POLL_CONFIRM).count() == 1

    services.confirm_guest(poll=poll, token=services.guest_token(voter))

    counted = services.poll_results(poll)
    assert [(v.name, v.zone.key) for v in counted.voters] == [("Gita", "Asia/Kolkata")]
    assert counted.slots[0].yes == 1


def test_a_guest_with_an_unknown_zone_votes_in_utc_and_is_told():
    poll = new_poll(audience=Poll.Audience.LINK)

    vote = guest_vote(poll, zone="Mars/Olympus_Mons")

    assert vote.zone_fell_back
    assert vote.voter.zone_name == "UTC"


def test_guests_vote_only_in_polls_for_anyone_with_the_link():
    with pytest.raises(NotAllowed):
        guest_vote(new_poll())


def test_an_address_that_voted_already_cannot_vote_again_without_its_link():
    poll = new_poll(audience=Poll.Audience.LINK)
    guest_vote(poll)

    with pytest.raises(PracticeRefused, match="link in the e-mail"):
        guest_vote(poll, email="GITA@example.net")

    assert PollVoter.objects.count() == 1


@pytest.mark.parametrize(
    "token",
    ["", "not-a-token", "WzEsIDIsICJnaXRhQGV4YW1wbGUubmV0Il0:forged:signature"],
)
def test_a_forged_guest_token_is_refused(token):
    poll = new_poll(audience=Poll.Audience.LINK)
    guest_vote(poll)

    with pytest.raises(BadInput, match="not valid"):
        services.confirm_guest(poll=poll, token=token)

    assert not PollVoter.objects.filter(confirmed_at__isnull=False).exists()


def test_a_guest_token_from_another_poll_is_refused():
    poll, other = new_poll(audience=Poll.Audience.LINK), new_poll(audience=Poll.Audience.LINK)
    voter = guest_vote(poll).voter

    with pytest.raises(BadInput):
        services.confirm_guest(poll=other, token=services.guest_token(voter))


def test_a_guest_changes_their_votes_with_their_link():
    poll = new_poll(audience=Poll.Audience.LINK)
    voter = guest_vote(poll).voter

    services.vote_with_token(
        poll=poll, token=services.guest_token(voter), choices={slot(poll, FIRST): "no"}
    )

    assert PollVote.objects.get(voter=voter).choice == "no"


def test_a_link_poll_is_seen_with_its_key_only():
    poll = new_poll(audience=Poll.Audience.LINK)
    ana = member("Ana")

    assert not services.may_see(poll, user=ana)
    assert services.may_see(poll, user=ana, key=poll.key)
    assert not services.may_see(poll, user=ana, key="guess")
    assert services.may_see(poll, user=poll.created_by)


# --- closing -------------------------------------------------------------------------------


def test_closing_makes_the_meeting_answers_those_who_can_come_and_tells_the_others():
    poll = new_poll()
    ana, ben, cai = member("Ana"), member("Ben"), member("Cai")
    for user, choice in ((ana, "yes"), (ben, "if_need_be"), (cai, "no")):
        services.vote_as_member(poll=poll, user=user, choices={slot(poll, FIRST): choice})

    services.close_poll(poll=poll, slot_id=slot(poll, FIRST), by=poll.created_by)

    poll.refresh_from_db()
    meeting = poll.meeting
    assert (meeting.starts_at, meeting.ends_at, meeting.is_extra) == (
        FIRST,
        FIRST + timedelta(minutes=90),
        True,
    )
    assert meeting.join_url == "https://meet.example.net/copf"
    answers = dict(
        Rsvp.objects.filter(meeting=meeting).values_list("user__display_name", "response")
    )
    assert answers == {"Ana": "yes", "Ben": "maybe"}
    assert set(
        Delivery.objects.filter(poll=poll, kind=Kind.POLL_RESULT).values_list(
            "user__display_name", flat=True
        )
    ) == {"Cai"}
    assert set(
        Delivery.objects.filter(meeting=meeting, kind=Kind.INVITE).values_list(
            "user__display_name", flat=True
        )
    ) == {"Ana", "Ben"}


def test_a_confirmed_guest_is_told_the_result():
    poll = new_poll(audience=Poll.Audience.LINK)
    voter = guest_vote(poll).voter
    services.confirm_guest(poll=poll, token=services.guest_token(voter))

    services.close_poll(poll=poll, slot_id=slot(poll, FIRST), by=poll.created_by)

    assert Delivery.objects.filter(voter=voter, kind=Kind.POLL_RESULT).count() == 1


def test_a_recurring_poll_closes_into_a_series_anchored_in_the_organizers_zone():
    poll = new_poll(kind=Poll.Kind.RECURRING, frequency=Poll.Frequency.WEEKLY)
    ana = member("Ana")
    services.vote_as_member(poll=poll, user=ana, choices={slot(poll, SECOND): "yes"})

    services.close_poll(poll=poll, slot_id=slot(poll, SECOND), by=poll.created_by)

    series = Series.objects.get(slug="facilitating-hybrid-circles")
    assert (series.rrule, str(series.anchor_timezone), str(series.start_time)) == (
        "FREQ=WEEKLY;BYDAY=TH",
        "Europe/London",
        "18:30:00",
    )
    meetings = list(series.meetings.order_by("starts_at")[:4])
    # London goes forward on 28 March: the series keeps 18:30 London, an hour earlier in UTC.
    assert [m.starts_at for m in meetings] == [
        SECOND,
        SECOND + timedelta(days=7),
        SECOND + timedelta(days=14),
        SECOND + timedelta(days=21, hours=-1),
    ]
    assert Follow.objects.filter(user=ana, series=series).exists()
    assert Rsvp.objects.get(user=ana).meeting == meetings[0]


def test_closing_twice_is_refused_and_changes_nothing():
    poll = new_poll()
    services.close_poll(poll=poll, slot_id=slot(poll, FIRST), by=poll.created_by)

    with pytest.raises(PracticeRefused, match="closed already"):
        services.close_poll(poll=poll, slot_id=slot(poll, SECOND), by=poll.created_by)

    assert Meeting.objects.count() == 1


def test_only_an_organizer_closes_a_poll():
    poll = new_poll()

    with pytest.raises(NotAllowed):
        services.close_poll(poll=poll, slot_id=slot(poll, FIRST), by=member("Ana"))

    assert not Meeting.objects.exists()


def test_a_slot_of_another_poll_or_one_that_passed_cannot_be_chosen(clock):
    poll, other = new_poll(), new_poll()

    with pytest.raises(BadInput, match="this poll's slots"):
        services.close_poll(poll=poll, slot_id=slot(other, FIRST), by=poll.created_by)
    clock.move_to(FIRST + timedelta(minutes=1))
    with pytest.raises(BadInput, match="passed"):
        services.close_poll(poll=poll, slot_id=slot(poll, FIRST), by=poll.created_by)

    assert not Meeting.objects.exists()


def test_no_vote_counts_on_a_closed_poll():
    poll = new_poll()
    services.close_poll(poll=poll, slot_id=slot(poll, FIRST), by=poll.created_by)

    with pytest.raises(PracticeRefused, match="closed"):
        services.vote_as_member(poll=poll, user=member("Ana"), choices={slot(poll, SECOND): "no"})


def test_a_recurring_slot_is_followed_for_twelve_months():
    poll = new_poll(kind=Poll.Kind.RECURRING, frequency=Poll.Frequency.MONTHLY)

    starts = services.recurring_starts(poll, PollSlot.objects.get(poll=poll, starts_at=FIRST))

    # The second Wednesday, from March 2027 to March 2028 (the 8th, within the year).
    assert len(starts) == 13
    assert (starts[0], starts[-1]) == (FIRST, datetime(2028, 3, 8, 14, tzinfo=UTC))


def test_voters_in_london_new_york_and_sydney_see_the_same_slots_across_londons_clock_change():
    saturday, monday = datetime(2027, 3, 27, 13, tzinfo=UTC), datetime(2027, 3, 29, 13, tzinfo=UTC)
    poll = new_poll(slots=[saturday, monday], deadline=NOW + timedelta(days=20))
    zones = {"Lon": "Europe/London", "Ny": "America/New_York", "Syd": "Australia/Sydney"}
    for name, zone in zones.items():
        services.vote_as_member(
            poll=poll,
            user=member(name, timezone=zone),
            choices={slot(poll, saturday): "yes", slot(poll, monday): "if_need_be"},
        )

    found = services.poll_results(poll)

    assert [v.name for v in found.voters] == ["Lon", "Ny", "Syd"]
    assert [[cell.local.strftime("%a %H:%M") for cell in s.cells] for s in found.slots] == [
        ["Sat 13:00", "Sat 09:00", "Sun 00:00"],
        ["Mon 14:00", "Mon 09:00", "Tue 00:00"],
    ]
    assert [(s.yes, s.if_need_be, s.nights, s.fairness) for s in found.slots] == [
        (3, 0, 1, 67),
        (0, 3, 1, 67),
    ]
