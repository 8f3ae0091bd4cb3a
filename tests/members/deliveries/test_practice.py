"""The practice's messages: nudges to take an open role, organizers' digests of open
places, role holders' reminders with the agenda so far, and the harvest; planned once,
checked when sent, rendered in the member's zone. And what invitations and reminders say
of the roles and the agenda."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from meetings import services as meeting_services
from meetings.models import Meeting
from meetings.permissions import ensure_organizers_group
from members import links, services
from members.deliveries import plan, render
from members.deliveries import send as sender
from members.models import Delivery, Role, User
from members.practice import agenda, harvests, roles
from tests.factories import MeetingFactory, SeriesFactory
from tests.members.deliveries.support import (
    START,
    answer,
    confirmed,
    east,
    event_of,
    follow,
    html_buttons,
    html_lines,
    html_of,
    link_path,
    mail_viewer,
    member,
    planned,
    send,
    sent_invite,
    the,
    with_roles,
)
from tests.members.deliveries.test_render import check_on_a_phone

pytestmark = pytest.mark.django_db

Kind = Delivery.Kind
WEEK_BEFORE = START - timedelta(days=7)
TWO_DAYS_BEFORE = START - timedelta(days=2)
PRACTICE_KINDS = [
    Kind.NUDGE_WEEK,
    Kind.NUDGE_DAYS,
    Kind.DIGEST_WEEK,
    Kind.DIGEST_DAYS,
    Kind.ROLE_REMINDER,
    Kind.HARVEST,
]
# CoP-F West in the weeks the clocks change: the US on Sunday 14 March 2027, Europe on
# Sunday 28 March; each nudge goes a week before, under the old offset.
WEST_US_CHANGE = datetime(2027, 3, 15, 18, 30, tzinfo=UTC)
WEST_EUROPE_CHANGE = datetime(2027, 3, 29, 18, 30, tzinfo=UTC)


def nudged(name: str, zone: str = "UTC", **fields) -> User:
    """A member who asked to be told of open roles."""
    return member(name, zone=zone, nudge_open_roles=True, **fields)


def organizer(name: str = "Olu", **fields) -> User:
    return confirmed(member(name, is_superuser=True, is_staff=True, **fields))


def take(name: str, meeting: Meeting, role: str, zone: str = "UTC") -> User:
    user = confirmed(member(name, zone=zone))
    roles.take_role(user=user, meeting=meeting, role=role)
    return user


def practice_planned() -> list[tuple[str, str]]:
    return planned(kind__in=PRACTICE_KINDS)


def west(starts_at: datetime) -> Meeting:
    return with_roles(MeetingFactory(series=SeriesFactory(name="CoP-F West"), starts_at=starts_at))


# --- planning: who is owed which message, once --------------------------------------------


def test_a_week_and_two_days_before_opted_in_members_are_nudged_and_organizers_told(clock):
    meeting = with_roles(east())
    series = meeting.series
    follow(asha := nudged("Asha"), series)
    answer(nudged("Ben"), meeting, "yes")
    follow(member("Chen"), series)  # did not ask
    follow(dev := confirmed(nudged("Dev")), series)
    roles.take_role(user=dev, meeting=meeting, role="host")  # holds a role
    follow(eve := nudged("Eve"), series)
    answer(eve, meeting, "no")
    answer(nudged("Fay"), meeting, "maybe")  # neither follows nor said yes
    follow(nudged("Hal", email_enabled=False), series)
    organizer("Olu")
    ensure_organizers_group().user_set.add(member("Gil"))
    organizer("Ivy", is_active=False)
    organizer("Jo", email_enabled=False)
    Group.objects.create(name="Readers").user_set.add(member("Kim"))

    clock.move_to(WEEK_BEFORE)
    plan.plan_deliveries()
    week = practice_planned()
    again = plan.plan_deliveries()
    clock.move_to(TWO_DAYS_BEFORE)
    plan.plan_deliveries()

    assert week == [
        ("Asha", "nudge_week"),
        ("Ben", "nudge_week"),
        ("Gil", "digest_week"),
        ("Olu", "digest_week"),
    ]
    assert again == 0
    assert planned(kind__in=[Kind.NUDGE_DAYS, Kind.DIGEST_DAYS, Kind.ROLE_REMINDER]) == [
        ("Asha", "nudge_days"),
        ("Ben", "nudge_days"),
        ("Dev", "role_reminder"),
        ("Gil", "digest_days"),
        ("Olu", "digest_days"),
    ]
    assert plan.plan_deliveries() == 0
    nudge = the(Kind.NUDGE_WEEK, asha)
    assert (nudge.due_at, nudge.sequence, nudge.state) == (WEEK_BEFORE, 0, "pending")


def test_with_the_roles_that_ask_for_takers_held_only_their_holders_hear_from_us(clock):
    meeting = with_roles(east())
    follow(nudged("Asha"), meeting.series)
    organizer()
    take("Dev", meeting, "facilitator")
    take("Eve", meeting, "harvester")

    clock.move_to(WEEK_BEFORE)
    plan.plan_deliveries()
    week = practice_planned()
    clock.move_to(TWO_DAYS_BEFORE)
    plan.plan_deliveries()

    assert week == []
    assert practice_planned() == [("Dev", "role_reminder"), ("Eve", "role_reminder")]


def test_a_meeting_without_roles_or_a_cancelled_one_plans_no_practice_message(clock):
    bare = east()
    cancelled = with_roles(east())
    meeting_services.cancel_meeting(meeting=cancelled)
    for meeting in (bare, cancelled):
        follow(nudged(f"Member{meeting.pk}"), meeting.series)
    organizer()

    clock.move_to(WEEK_BEFORE)
    plan.plan_deliveries()

    assert practice_planned() == []


@pytest.mark.parametrize(
    ("before", "kinds"),
    [
        (timedelta(days=3, hours=12, minutes=1), ["digest_week", "nudge_week"]),
        (timedelta(days=3, hours=11, minutes=59), []),
        (timedelta(days=1, minutes=1), ["digest_days", "nudge_days", "role_reminder"]),
        (timedelta(hours=23, minutes=59), []),
    ],
)
def test_after_an_outage_a_late_message_is_planned_only_while_half_its_time_is_left(
    clock, before, kinds
):
    meeting = with_roles(east())
    follow(nudged("Asha"), meeting.series)
    organizer()
    take("Dev", meeting, "host")

    clock.move_to(START - before)
    plan.plan_deliveries()

    assert sorted({kind for _, kind in practice_planned()}) == kinds


def test_a_member_who_follows_after_a_nudge_was_due_waits_for_the_next_one(clock):
    meeting = with_roles(east())
    asha = nudged("Asha")
    clock.move_to(START - timedelta(days=5))
    follow(asha, meeting.series)

    plan.plan_deliveries()
    late = practice_planned()
    clock.move_to(TWO_DAYS_BEFORE)
    plan.plan_deliveries()

    assert late == []
    assert practice_planned() == [("Asha", "nudge_days")]


def test_a_role_taken_after_the_reminder_was_due_gets_none(clock):
    meeting = with_roles(east())
    take("Dev", meeting, "host")
    clock.move_to(START - timedelta(hours=36))
    take("Eve", meeting, "timekeeper")

    plan.plan_deliveries()

    reminder = the(Kind.ROLE_REMINDER)
    assert practice_planned() == [("Dev", "role_reminder")]
    assert reminder.due_at == TWO_DAYS_BEFORE


def test_a_holder_who_turned_reminders_off_gets_no_role_reminder(clock):
    meeting = with_roles(east())
    dev = take("Dev", meeting, "host")
    dev.reminders_enabled = False
    dev.save()

    clock.move_to(TWO_DAYS_BEFORE)
    plan.plan_deliveries()

    assert practice_planned() == []


def test_a_role_change_sends_no_calendar_update_and_leaves_the_sequence(clock):
    meeting = with_roles(east())
    sent_invite(asha := member("Asha"), meeting)
    clock.shift(timedelta(hours=1))

    ben = take("Ben", meeting, "facilitator")
    plan.plan_deliveries()
    roles.give_back_role(user=ben, meeting=meeting, role="facilitator")
    plan.plan_deliveries()

    meeting.refresh_from_db()
    assert meeting.sequence == 0
    assert planned(user=asha) == [("Asha", "invite")]
    assert planned(kind__in=[Kind.UPDATE, Kind.CANCELLATION]) == []


# --- checking when sent: does it still stand? ------------------------------------------


def nudge_for_asha(clock) -> tuple[Meeting, User, Delivery]:
    """Asha follows CoP-F East and asked to be told; its week nudge is due."""
    meeting = with_roles(east())
    asha = confirmed(nudged("Asha"))
    follow(asha, meeting.series)
    clock.move_to(WEEK_BEFORE)
    plan.plan_deliveries()
    return meeting, asha, the(Kind.NUDGE_WEEK, asha)


def others_take_the_open_places(meeting: Meeting, asha: User) -> None:
    take("Ben", meeting, "facilitator")
    take("Chen", meeting, "harvester")


def asha_takes_another_role(meeting: Meeting, asha: User) -> None:
    roles.take_role(user=asha, meeting=meeting, role="host")


def asha_turns_nudges_off(meeting: Meeting, asha: User) -> None:
    asha.nudge_open_roles = False
    asha.save()


def asha_turns_email_off(meeting: Meeting, asha: User) -> None:
    asha.email_enabled = False
    asha.save()


def asha_answers_no(meeting: Meeting, asha: User) -> None:
    answer(asha, meeting, "no")


def asha_unfollows(meeting: Meeting, asha: User) -> None:
    services.unfollow_series(user=asha, series=meeting.series)


def the_meeting_is_cancelled(meeting: Meeting, asha: User) -> None:
    meeting_services.cancel_meeting(meeting=meeting)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            others_take_the_open_places,
            "The open places this asked members to take were taken meanwhile.",
        ),
        (asha_takes_another_role, "The member took a role in this meeting meanwhile."),
        (asha_turns_nudges_off, "The member no longer wants to be asked to take a role."),
        (asha_turns_email_off, "The member turned e-mail off."),
        (asha_answers_no, "The member answered no."),
        (asha_unfollows, "The member no longer follows this series and did not answer yes."),
        (the_meeting_is_cancelled, "The meeting was cancelled."),
    ],
)
def test_a_nudge_that_no_longer_stands_is_skipped_with_the_reason(clock, change, reason):
    meeting, asha, nudge = nudge_for_asha(clock)
    change(meeting, asha)
    sent = len(mail.outbox)

    outcome = send(nudge)

    nudge.refresh_from_db()
    assert (outcome, nudge.state, nudge.last_error) == ("skipped", "skipped", reason)
    assert [message.subject for message in mail.outbox[sent:]] == []


@pytest.mark.parametrize(
    ("late", "reason"),
    [
        (
            timedelta(days=4),
            "Too late to be useful: the meeting starts in 72 h 00 min, less than half of the "
            "168 h 00 min it gives.",
        ),
        (timedelta(days=7), "The meeting started before this could be sent."),
    ],
)
def test_a_nudge_sent_too_late_is_skipped(clock, late, reason):
    _meeting, _asha, nudge = nudge_for_asha(clock)
    clock.shift(late)

    assert send(nudge) == "skipped"
    nudge.refresh_from_db()
    assert nudge.last_error == reason


def test_a_nudge_with_one_place_still_open_offers_only_that_one(clock):
    meeting, _asha, nudge = nudge_for_asha(clock)
    take("Ben", meeting, "facilitator")

    assert send(nudge) == "sent"
    message = mail.outbox[-1]
    assert message.subject == "CoP-F East on Monday needs a harvester / note-taker"
    assert [label for label, _ in html_buttons(message)] == ["Take the Harvester / note-taker role"]


def test_a_nudge_to_a_member_who_said_yes_but_does_not_follow_still_goes(clock):
    meeting = with_roles(east())
    answer(ben := nudged("Ben"), meeting, "yes")
    clock.move_to(WEEK_BEFORE)
    plan.plan_deliveries()

    assert send(the(Kind.NUDGE_WEEK, ben)) == "sent"


def digest_for_olu(clock) -> tuple[Meeting, User, Delivery]:
    meeting = with_roles(east())
    olu = organizer()
    clock.move_to(WEEK_BEFORE)
    plan.plan_deliveries()
    return meeting, olu, the(Kind.DIGEST_WEEK, olu)


def test_a_digest_goes_while_any_place_is_open_and_is_skipped_once_none_is(clock):
    meeting, _olu, digest = digest_for_olu(clock)
    Role.objects.filter(series=meeting.series).exclude(
        slug__in=["facilitator", "harvester"]
    ).update(places=0)
    take("Ben", meeting, "facilitator")
    take("Chen", meeting, "harvester")

    assert send(digest) == "skipped"
    digest.refresh_from_db()
    assert digest.last_error == "Every place in the meeting's roles was taken meanwhile."


def test_a_digest_to_someone_who_is_no_longer_an_organizer_is_skipped(clock):
    _meeting, olu, digest = digest_for_olu(clock)
    olu.is_superuser = olu.is_staff = False
    olu.save()

    assert send(digest) == "skipped"
    digest.refresh_from_db()
    assert digest.last_error == "The member is no longer an organizer."


def role_reminder_for_dev(clock) -> tuple[Meeting, User, Delivery]:
    meeting = with_roles(east())
    dev = take("Dev", meeting, "host")
    clock.move_to(TWO_DAYS_BEFORE)
    plan.plan_deliveries()
    return meeting, dev, the(Kind.ROLE_REMINDER, dev)


def test_a_role_reminder_to_a_member_who_gave_the_role_back_is_skipped(clock):
    meeting, dev, reminder = role_reminder_for_dev(clock)
    roles.give_back_role(user=dev, meeting=meeting, role="host")

    assert send(reminder) == "skipped"
    reminder.refresh_from_db()
    assert reminder.last_error == "The member no longer holds a role in this meeting."


def test_a_role_reminder_to_a_member_who_turned_reminders_off_is_skipped(clock):
    _meeting, dev, reminder = role_reminder_for_dev(clock)
    dev.reminders_enabled = False
    dev.save()

    assert send(reminder) == "skipped"
    reminder.refresh_from_db()
    assert reminder.last_error == "The member turned reminders off."


HARVEST = harvests.HarvestText(
    practised="Opening a circle with a **check-in** round.",
    learnt=(
        "Silence is an answer too.\n\n"
        "- Wait three breaths\n"
        "- Name what you notice\n\n"
        "<script>alert('x')</script>"
    ),
    resources="[Many Voices One Song](https://www.sociocracyforall.org/)",
    decisions=[
        harvests.Decision(
            proposal="Rotate the facilitator every session.",
            objections=[
                harvests.Objection(
                    objection="First-timers need support.",
                    integration="A co-facilitator pairs with every first-timer.",
                )
            ],
        )
    ],
)


def published_harvest(clock, *, zone: str = "UTC") -> tuple[Meeting, User, User]:
    """Asha said yes and asked for harvests; an organizer publishes the harvest after
    the meeting. (meeting, Asha, the organizer)"""
    meeting = with_roles(east())
    asha = member("Asha", zone=zone, receive_harvests=True)
    answer(asha, meeting, "yes")
    olu = organizer()
    clock.move_to(START + timedelta(hours=2))
    harvests.save_harvest(user=olu, meeting=meeting, text=HARVEST, based_on=None, publish=True)
    return meeting, asha, olu


def test_a_published_harvest_goes_once_to_those_who_said_yes_and_asked_for_it(clock):
    meeting = with_roles(east())
    answer(asha := member("Asha", receive_harvests=True), meeting, "yes")
    answer(member("Ben"), meeting, "yes")  # did not ask
    answer(member("Chen", receive_harvests=True), meeting, "maybe")
    olu = organizer()
    clock.move_to(START + timedelta(hours=2))
    harvest = harvests.save_harvest(
        user=olu, meeting=meeting, text=HARVEST, based_on=None, publish=True
    )
    harvests.save_harvest(
        user=olu,
        meeting=meeting,
        text=HARVEST,
        based_on=harvests.latest_revision_id(harvest),
        publish=True,
    )

    assert practice_planned() == [("Asha", "harvest")]
    assert send(the(Kind.HARVEST, asha)) == "sent"
    assert mail.outbox[-1].subject == "Harvest: CoP-F East, Mon 11 Jan"


def test_a_harvest_withdrawn_before_it_went_is_skipped(clock):
    meeting, asha, olu = published_harvest(clock)
    harvests.withdraw_harvest(user=olu, meeting=meeting)
    harvest_mail = the(Kind.HARVEST, asha)

    assert send(harvest_mail) == "skipped"
    harvest_mail.refresh_from_db()
    assert harvest_mail.last_error == "The harvest was withdrawn before it could be sent."


def test_a_harvest_to_a_member_who_no_longer_wants_it_is_skipped(clock):
    _meeting, asha, _olu = published_harvest(clock)
    asha.receive_harvests = False
    asha.save()
    harvest_mail = the(Kind.HARVEST, asha)

    assert send(harvest_mail) == "skipped"
    harvest_mail.refresh_from_db()
    assert harvest_mail.last_error == "The member no longer wants harvests by e-mail."


# --- rendering: in the member's zone, with their own links ---------------------------------


def nudge_mail(meeting: Meeting, user: User, clock, kind: str = Kind.NUDGE_WEEK):
    follow(user, meeting.series)
    clock.move_to(meeting.starts_at - plan.NUDGE_OFFSETS[kind])
    plan.plan_deliveries()
    assert send(the(kind, user)) == "sent"
    return mail.outbox[-1]


@pytest.mark.parametrize(
    ("zone", "starts_at", "weekday", "day", "times", "utc"),
    [
        ("UTC", START, "Monday", "Monday 11 January 2027", "14:00–15:30 UTC", None),
        (
            "Asia/Kolkata",
            datetime(2027, 1, 11, 18, 30, tzinfo=UTC),
            "Tuesday",
            "Tuesday 12 January 2027",
            "00:00–01:30 IST (Asia/Kolkata)",
            "In UTC: Mon 11 Jan 2027, 18:30–20:00 UTC",
        ),
        (
            "America/New_York",
            WEST_US_CHANGE,
            "Monday",
            "Monday 15 March 2027",
            "14:30–16:00 EDT (America/New_York)",
            "In UTC: 18:30–20:00 UTC",
        ),
        (
            "Europe/Berlin",
            WEST_EUROPE_CHANGE,
            "Monday",
            "Monday 29 March 2027",
            "20:30–22:00 CEST (Europe/Berlin)",
            "In UTC: 18:30–20:00 UTC",
        ),
    ],
)
def test_a_nudge_names_the_open_roles_and_the_day_in_the_members_zone(
    clock, zone, starts_at, weekday, day, times, utc
):
    asha = nudged("Asha", zone=zone)

    message = nudge_mail(west(starts_at), asha, clock)

    when = [f"{day}, {times}", *([utc] if utc else [])]
    assert message.subject == (
        f"CoP-F West on {weekday} needs a facilitator and a harvester / note-taker"
    )
    assert message.body.splitlines()[4 : 5 + len(when)] == ["CoP-F West", *when]
    assert html_lines(message)[2 : 4 + len(when)] == ["CoP-F West", day, times, *when[1:]]


def test_a_nudge_offers_each_open_place_with_the_members_own_link_to_take_it(clock, client):
    meeting = with_roles(east())
    asha = confirmed(nudged("Asha", zone="Asia/Kolkata"))

    message = nudge_mail(meeting, asha, clock)

    take = {
        role: links.take_role_url(user_id=asha.pk, meeting_id=meeting.pk, role=role)
        for role in ("facilitator", "harvester")
    }
    assert message.body.splitlines()[:16] == [
        "Hello Asha,",
        "",
        "CoP-F East on Monday still needs a facilitator and a harvester / note-taker. "
        "Would you take one of them? Holding a role is how we practise, and taking one "
        "answers yes for you.",
        "",
        "CoP-F East",
        "Monday 11 January 2027, 19:30–21:00 IST (Asia/Kolkata)",
        "In UTC: 14:00–15:30 UTC",
        "",
        "Facilitator: 1 place open",
        "Take the Facilitator role:",
        take["facilitator"],
        "",
        "Harvester / note-taker: 1 place open",
        "Take the Harvester / note-taker role:",
        take["harvester"],
        "",
    ]
    assert html_buttons(message) == [
        ("Take the Facilitator role", take["facilitator"]),
        ("Take the Harvester / note-taker role", take["harvester"]),
    ]
    assert "rsvp" not in message.body
    client.force_login(asha)
    assert client.get(link_path(take["harvester"])).status_code == 200
    assert client.post(link_path(take["harvester"])).status_code == 302
    assert roles.holder_names(meeting) == [("Harvester / note-taker", ["Asha"])]


def test_the_two_days_nudge_says_the_role_is_still_open(clock):
    message = nudge_mail(with_roles(east()), nudged("Asha"), clock, kind=Kind.NUDGE_DAYS)

    assert (
        message.subject == "CoP-F East on Monday needs a facilitator and a harvester / note-taker"
    )
    assert html_lines(message)[1] == "A role is still open"


def test_members_in_one_chunk_get_their_own_take_links_from_one_rendering(clock, monkeypatch):
    meeting = with_roles(east())
    users = [nudged(name) for name in ("Asha", "Ben", "Chen")]
    for user in users:
        follow(user, meeting.series)
    clock.move_to(WEEK_BEFORE)
    plan.plan_deliveries()
    nudges = list(Delivery.objects.filter(kind=Kind.NUDGE_WEEK).order_by("user__display_name"))
    renders = []
    real = render.render_email_parts

    def counted(name, context):
        renders.append(name)
        return real(name, context)

    monkeypatch.setattr(render, "render_email_parts", counted)
    parts = render.SharedParts()

    messages = [
        render.build_message(nudge, now=WEEK_BEFORE, answer=None, parts=parts.of(nudge.meeting))[0]
        for nudge in nudges
    ]

    assert renders == ["nudge_week"]
    for user, message in zip(users, messages, strict=True):
        own = links.take_role_url(user_id=user.pk, meeting_id=meeting.pk, role="facilitator")
        others = [
            links.take_role_url(user_id=other.pk, meeting_id=meeting.pk, role="facilitator")
            for other in users
            if other != user
        ]
        assert message.body.splitlines()[0] == f"Hello {user.display_name},"
        assert own in message.body.splitlines()
        assert message.wire is not None
        assert own.encode() in message.wire
        assert [other for other in others if other.encode() in message.wire] == []


def test_a_digest_lists_the_open_places_and_who_holds_the_rest(clock):
    meeting = with_roles(east())
    take("Dev", meeting, "host")
    Role.objects.create(
        meeting=meeting, slug="timekeeper", name="Timekeepers", places=2, position=2
    )
    take("Eve", meeting, "timekeeper")
    organizer(zone="Asia/Kolkata")
    clock.move_to(WEEK_BEFORE)
    plan.plan_deliveries()

    assert send(the(Kind.DIGEST_WEEK)) == "sent"

    message = mail.outbox[-1]
    assert message.subject == "Open roles: CoP-F East, Mon 11 Jan, 19:30 IST (14:00 UTC)"
    assert message.body.splitlines()[2:20] == [
        "CoP-F East on Monday still has open places in its roles. Members who asked to be "
        "told were asked to take those that need a taker most.",
        "",
        "CoP-F East",
        "Monday 11 January 2027, 19:30–21:00 IST (Asia/Kolkata)",
        "In UTC: 14:00–15:30 UTC",
        "",
        "Open places:",
        "Facilitator: 1 of 1 open",
        "Co-facilitator: 1 of 1 open",
        "Timekeepers: 1 of 2 open",
        "Harvester / note-taker: 1 of 1 open",
        "",
        "Held:",
        "Timekeepers: Eve",
        "Host: Dev",
        "",
        "Give places to members who said yes on the meeting page.",
        "",
    ]
    assert html_buttons(message) == [
        ("Assign roles", f"https://copf.example.org/meetings/{meeting.pk}/")
    ]


def agenda_for(meeting: Meeting, *, runner: User, first: str = "Check-in & <round>") -> None:
    """Two accepted items and one still proposed, all by Chen."""
    chen = confirmed(member("Chen"))
    for title, minutes in [(first, 10), ("Case clinic", 45)]:
        item = agenda.propose_item(
            user=chen, meeting=meeting, title=title, description="", minutes=minutes
        )
        agenda.decide_item(user=runner, item=item, accept=True)
    agenda.propose_item(user=chen, meeting=meeting, title="Waiting", description="", minutes=5)


def test_a_role_reminder_names_the_role_the_holders_and_the_agenda_so_far(clock):
    meeting = with_roles(east())
    dev = take("Dev", meeting, "facilitator", zone="Asia/Kolkata")
    take("", meeting, "host")
    agenda_for(meeting, runner=dev)
    clock.move_to(TWO_DAYS_BEFORE)
    plan.plan_deliveries()

    assert send(the(Kind.ROLE_REMINDER, dev)) == "sent"

    message = mail.outbox[-1]
    assert (
        message.subject == "Your role: Facilitator — CoP-F East, Mon 11 Jan, 19:30 IST (14:00 UTC)"
    )
    assert message.body.splitlines()[:24] == [
        "Hello Dev,",
        "",
        "A reminder of your role in CoP-F East, Mon 11 Jan at 19:30 IST (14:00 UTC): Facilitator.",
        "",
        "CoP-F East",
        "Monday 11 January 2027, 19:30–21:00 IST (Asia/Kolkata)",
        "In UTC: 14:00–15:30 UTC",
        "",
        "Roles:",
        "Facilitator: Dev",
        "Host: a member",
        "",
        "The agenda so far:",
        "1. Check-in & <round> (10 min, proposed by Chen)",
        "2. Case clinic (45 min, proposed by Chen)",
        "55 of the meeting's 90 minutes planned.",
        "1 proposal waits for your decision on the meeting page.",
        "",
        "Can't make it? Give the role back on the meeting page, so that someone else can take it.",
        "",
        "Join the meeting:",
        links.join_url(user_id=dev.pk, meeting_id=meeting.pk),
        "",
        "Details on the site:",
    ]
    assert html_lines(message)[8:17] == [
        "Roles",
        "Facilitator: Dev",
        "Host: a member",
        "The agenda so far",
        "Check-in & <round> (10 min, proposed by Chen)",
        "Case clinic (45 min, proposed by Chen)",
        "55 of the meeting's 90 minutes planned.",
        "1 proposal waits for your decision on the meeting page.",
        "Can't make it? Give the role back on the meeting page, so that someone else can take it.",
    ]
    assert "Check-in &amp; &lt;round&gt;" in html_of(message)


def test_a_role_reminder_with_nothing_on_the_agenda_says_so_and_warns_of_an_overlong_one(
    clock,
):
    meeting = with_roles(east())
    dev = take("Dev", meeting, "host")
    clock.move_to(TWO_DAYS_BEFORE)
    plan.plan_deliveries()
    reminder = the(Kind.ROLE_REMINDER, dev)
    olu = organizer()
    empty = render.build_message(reminder, now=TWO_DAYS_BEFORE, answer=None)[0]
    item = agenda.propose_item(
        user=confirmed(member("Chen")), meeting=meeting, title="Long", description="", minutes=100
    )
    agenda.decide_item(user=olu, item=item, accept=True)

    full = render.build_message(reminder, now=TWO_DAYS_BEFORE, answer=None)[0]

    assert "Nothing is on the agenda yet." in empty.body.splitlines()
    assert "proposal" not in empty.body
    assert (
        "100 of the meeting's 90 minutes planned. That is 10 minutes too many."
        in full.body.splitlines()
    )


def test_role_holders_in_one_chunk_each_get_their_own_role(clock):
    meeting = with_roles(east())
    for name, role in [("Dev", "facilitator"), ("Eve", "host"), ("Fay", "timekeeper")]:
        take(name, meeting, role)
    clock.move_to(TWO_DAYS_BEFORE)
    plan.plan_deliveries()
    reminders = Delivery.objects.filter(kind=Kind.ROLE_REMINDER).order_by("user__display_name")

    result = sender.deliver_chunk([reminder.pk for reminder in reminders])

    assert set(result.outcomes.values()) == {"sent"}
    assert [message.subject.split(" — ")[0] for message in mail.outbox[-3:]] == [
        "Your role: Facilitator",
        "Your role: Host",
        "Your role: Timekeeper",
    ]


def test_the_harvest_is_safe_html_and_the_markdown_as_written_in_the_plain_text(clock):
    meeting, asha, _olu = published_harvest(clock, zone="Asia/Kolkata")

    assert send(the(Kind.HARVEST, asha)) == "sent"

    message = mail.outbox[-1]
    html = html_of(message)
    assert message.subject == "Harvest: CoP-F East, Mon 11 Jan"
    assert message.body.splitlines()[:30] == [
        "Hello Asha,",
        "",
        "Here is what CoP-F East practised and learnt, as it was harvested.",
        "",
        "CoP-F East",
        "Monday 11 January 2027, 19:30–21:00 IST (Asia/Kolkata)",
        "In UTC: 14:00–15:30 UTC",
        "",
        "What we practised",
        "Opening a circle with a **check-in** round.",
        "",
        "What we learnt",
        "Silence is an answer too.",
        "",
        "- Wait three breaths",
        "- Name what you notice",
        "",
        "<script>alert('x')</script>",
        "",
        "Resources shared",
        "[Many Voices One Song](https://www.sociocracyforall.org/)",
        "",
        "Decisions taken by consent:",
        "1. Rotate the facilitator every session.",
        "   Objection: First-timers need support.",
        "   How it was integrated: A co-facilitator pairs with every first-timer.",
        "",
        "Details on the site:",
        f"https://copf.example.org/meetings/{meeting.pk}/",
        "",
    ]
    assert "<p>Opening a circle with a <strong>check-in</strong> round.</p>" in html
    assert "<ul>\n<li>Wait three breaths</li>\n<li>Name what you notice</li>\n</ul>" in html
    assert (
        '<a href="https://www.sociocracyforall.org/" rel="nofollow noopener noreferrer">'
        "Many Voices One Song</a>"
    ) in html
    assert re.search(r"<script\b", html) is None
    lines = html_lines(message)
    decisions = lines.index("Decisions taken by consent")
    assert lines[decisions : decisions + 6] == [
        "Decisions taken by consent",
        "Rotate the facilitator every session.",
        "Objection: First-timers need support.",
        "How it was integrated: A co-facilitator pairs with every first-timer.",
        "Read it on the site",
        "Details on the site",
    ]


# --- invitations and reminders name the role holders and the accepted agenda ------------


def test_an_invitation_names_the_holders_and_the_agenda_in_the_text_the_html_and_the_calendar(
    clock,
):
    meeting = with_roles(east())
    dev = take("Dev", meeting, "facilitator")
    agenda_for(meeting, runner=dev)
    clock.shift(timedelta(hours=1))

    message = sent_invite(member("Asha"), meeting)

    _, event = event_of(message)
    assert message.body.splitlines()[7:15] == [
        "Roles:",
        "Facilitator: Dev",
        "",
        "Agenda:",
        "1. Check-in & <round> (10 min, proposed by Chen)",
        "2. Case clinic (45 min, proposed by Chen)",
        "",
        "Your answer: yes. Change it in one click:",
    ]
    assert html_lines(message)[7:13] == [
        "Roles",
        "Facilitator: Dev",
        "Agenda",
        "Check-in & <round> (10 min, proposed by Chen)",
        "Case clinic (45 min, proposed by Chen)",
        "Your answer: yes. Change it in one click:",
    ]
    assert str(event["DESCRIPTION"]).split("\n\n")[:2] == [
        "Roles:\nFacilitator: Dev",
        "Agenda:\n1. Check-in & <round> (10 min, proposed by Chen)\n"
        "2. Case clinic (45 min, proposed by Chen)",
    ]
    assert event["SEQUENCE"] == 0


@pytest.mark.parametrize("kind", [Kind.REMINDER_DAY, Kind.REMINDER_HOUR])
def test_a_reminder_names_the_holders_and_the_agenda(clock, kind):
    meeting = with_roles(east())
    dev = take("Dev", meeting, "facilitator")
    agenda_for(meeting, runner=dev)
    sent_invite(asha := member("Asha"), meeting)
    clock.move_to(meeting.starts_at - plan.REMINDER_OFFSETS[kind])
    plan.plan_deliveries()

    assert send(the(kind, asha)) == "sent"

    body = mail.outbox[-1].body.splitlines()
    start = body.index("Roles:")
    assert body[start : start + 7] == [
        "Roles:",
        "Facilitator: Dev",
        "",
        "Agenda:",
        "1. Check-in & <round> (10 min, proposed by Chen)",
        "2. Case clinic (45 min, proposed by Chen)",
        "",
    ]


def test_without_holders_or_an_accepted_agenda_an_invitation_says_neither(clock):
    meeting = with_roles(east())

    message = sent_invite(member("Asha"), meeting)

    assert "Roles" not in message.body
    assert "Agenda" not in message.body
    assert "Roles" not in html_lines(message)


# --- every practice message, as a whole -----------------------------------------------------


def every_practice_message(clock, *, zone: str = "Asia/Kolkata") -> dict[str, object]:
    """One member sent each of the practice's messages about CoP-F East of 11 January."""
    meeting = with_roles(east())
    asha = confirmed(nudged("Asha", zone=zone, is_superuser=True, receive_harvests=True))
    follow(asha, meeting.series)
    clock.move_to(WEEK_BEFORE)
    plan.plan_deliveries()
    messages = {kind: delivered(kind, asha) for kind in (Kind.NUDGE_WEEK, Kind.DIGEST_WEEK)}
    roles.take_role(user=asha, meeting=meeting, role="timekeeper")
    agenda_for(meeting, runner=asha, first="Check-in")
    clock.move_to(TWO_DAYS_BEFORE)
    plan.plan_deliveries()
    for kind in (Kind.DIGEST_DAYS, Kind.ROLE_REMINDER):
        messages[kind] = delivered(kind, asha)
    clock.move_to(START + timedelta(hours=2))
    harvests.save_harvest(user=asha, meeting=meeting, text=HARVEST, based_on=None, publish=True)
    messages[Kind.HARVEST] = delivered(Kind.HARVEST, asha)
    return messages


def delivered(kind: str, user: User):
    delivery = Delivery.objects.get(kind=kind, user=user, state=Delivery.State.PENDING)
    assert send(delivery) == "sent", delivery.last_error
    return mail.outbox[-1]


def test_each_practice_message_says_what_it_is_in_its_subject_in_the_members_zone(clock):
    messages = every_practice_message(clock)

    assert {kind: message.subject for kind, message in messages.items()} == {
        "nudge_week": "CoP-F East on Monday needs a facilitator and a harvester / note-taker",
        "digest_week": "Open roles: CoP-F East, Mon 11 Jan, 19:30 IST (14:00 UTC)",
        "digest_days": "Open roles: CoP-F East, Mon 11 Jan, 19:30 IST (14:00 UTC)",
        "role_reminder": "Your role: Timekeeper — CoP-F East, Mon 11 Jan, 19:30 IST (14:00 UTC)",
        "harvest": "Harvest: CoP-F East, Mon 11 Jan",
    }


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "UTC"])
def test_every_practice_message_is_clean_text_with_each_link_on_its_own_line(clock, zone):
    messages = every_practice_message(clock, zone=zone)

    for kind, message in messages.items():
        body = message.body
        if kind == Kind.HARVEST:
            # The harvest's Markdown is shown as it was written, tags and all.
            body = body.replace("<script>alert('x')</script>", "").replace(
                "[Many Voices One Song](https://www.sociocracyforall.org/)", ""
            )
        assert re.search(r"<[a-zA-Z/!]|&[a-z]+;|&#", body) is None, kind
        assert "\n\n\n" not in message.body, kind
        assert message.body == message.body.strip() + "\n", kind
        assert [line for line in body.splitlines() if line != line.rstrip()] == [], kind
        linked = [line for line in body.splitlines() if "://" in line]
        assert [line for line in linked if not re.fullmatch(r"https://\S+", line)] == [], kind
        assert message.extra_headers["List-Unsubscribe"].startswith("<https://"), kind


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_practice_message_fits_a_360_px_phone_with_readable_text(clock, scheme):
    htmls = {kind: html_of(message) for kind, message in every_practice_message(clock).items()}

    with mail_viewer() as open_mail:
        for kind, html in htmls.items():
            check_on_a_phone(open_mail(html, width=360, scheme=scheme), kind=kind, scheme=scheme)
