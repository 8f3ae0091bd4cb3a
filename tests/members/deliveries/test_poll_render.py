"""What mail about a poll says: in the recipient's zone, UTC beside every time, with the
links that are theirs (a member's unsubscribe link, a guest's own link to the poll)."""

import pytest
from django.core import mail

from members import links
from members.deliveries import polls
from members.deliveries import send as sender
from members.models import Delivery, PollVote
from members.polls import services as poll_services
from tests.members.deliveries.support import (
    POLL_DEADLINE,
    SITE,
    confirmed,
    guest_votes,
    html_buttons,
    html_lines,
    lines_after,
    make_poll,
    member,
    organizer,
    poll_mail,
    slot_ids,
)

pytestmark = pytest.mark.django_db

Kind = Delivery.Kind
SLOTS_IN_KOLKATA = [
    "- Tue 12 Jan 2027, 19:30–21:00 IST (14:00–15:30 UTC)",
    "- Wed 13 Jan 2027, 01:30–03:00 IST (Tue 12 Jan 2027, 20:00–21:30 UTC) — night",
    "- Wed 13 Jan 2027, 06:30–08:00 IST (01:00–02:30 UTC) — early morning",
]
SLOTS_HEADING = "The times to choose from, in your time zone (Asia/Kolkata):"


def sent(delivery: Delivery):
    assert sender.deliver(delivery.pk) == Delivery.State.SENT
    return mail.outbox[-1]


@pytest.fixture
def asha():
    return confirmed(member("Asha", "Asia/Kolkata"))


def test_the_invitation_lists_the_slots_in_the_members_zone_with_utc_and_their_day(asha):
    poll = make_poll()
    invitation = poll_mail(Kind.POLL_INVITE, user=asha)

    message = sent(invitation)

    unsubscribe = links.unsubscribe_url(user_id=asha.pk)
    assert message.to == [asha.email]
    assert message.subject == "When suits you? Vote on CoP-F South"
    assert message.extra_headers["Message-ID"] == invitation.message_id
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    text = message.body.splitlines()
    assert text[:3] == [
        "Hello Asha,",
        "",
        "When should CoP-F South take place? Say which of these times suit you.",
    ]
    assert "Vote by Sun 10 Jan 2027, 17:30 IST (12:00 UTC)" in text
    assert lines_after(message.body, SLOTS_HEADING, 3) == SLOTS_IN_KOLKATA
    assert lines_after(message.body, "Vote here:", 1) == [f"{SITE}/polls/{poll.pk}/"]
    assert text[-1] == unsubscribe
    assert html_buttons(message) == [("Vote", f"{SITE}/polls/{poll.pk}/")]
    assert "Wed 13 Jan 2027, 01:30–03:00 IST (Tue 12 Jan 2027, 20:00–21:30 UTC) — night" in (
        html_lines(message)
    )


def test_the_reminder_names_the_deadline_in_the_members_zone(asha, clock):
    poll = make_poll()
    clock.move_to(POLL_DEADLINE - polls.POLL_REMINDER_BEFORE)

    message = sent(poll_mail(Kind.POLL_REMINDER, user=asha))

    assert message.subject == "Reminder: vote on CoP-F South by Sun 10 Jan, 17:30 IST (12:00 UTC)"
    assert message.body.splitlines()[2] == (
        "The deadline for CoP-F South is Sun 10 Jan 2027, 17:30 IST (12:00 UTC), "
        "and you have not voted yet."
    )
    assert lines_after(message.body, SLOTS_HEADING, 3) == SLOTS_IN_KOLKATA
    assert html_buttons(message) == [("Vote", f"{SITE}/polls/{poll.pk}/")]


def test_the_confirmation_gives_the_guest_the_confirm_link_and_their_own_link():
    poll = make_poll(audience="link", title="Open to all")
    bia = guest_votes(poll, zone="America/Sao_Paulo")
    token = poll_services.guest_token(bia)

    message = sent(poll_mail(Kind.POLL_CONFIRM, voter=bia))

    confirm = f"{SITE}/polls/{poll.pk}/confirm/{token}/"
    own = f"{SITE}/polls/{poll.pk}/?guest={token}"
    assert message.to == ["bia@guest.example.net"]
    assert message.subject == "Confirm your address so your votes on Open to all count"
    assert lines_after(message.body, "Hello Bia,", 3) == [
        "",
        "Thank you for voting on Open to all. Confirm your address so your votes count:",
        confirm,
    ]
    heading = (
        "To see the poll or change your votes until Sun 10 Jan 2027, 09:00 UTC−03 (12:00 UTC), "
        "use your own link:"
    )
    assert lines_after(message.body, heading, 1) == [own]
    assert html_buttons(message) == [("Confirm my address", confirm), ("My votes", own)]
    # A guest has no account: no unsubscribe or preferences links.
    assert "List-Unsubscribe" not in message.extra_headers
    assert "/unsubscribe/" not in message.body
    assert "/me/" not in message.body
    assert message.body.splitlines()[-1] == (
        "You get this e-mail because this address voted in this poll."
    )


def test_the_result_to_a_guest_shows_the_time_in_their_zone_and_their_own_link(clock):
    olu = organizer()
    poll = make_poll(by=olu, audience="link")
    bia = guest_votes(poll, zone="America/Sao_Paulo")
    token = poll_services.guest_token(bia)
    poll_services.confirm_guest(poll=poll, token=token)
    poll = poll_services.close_poll(poll=poll, slot_id=slot_ids(poll)[2], by=olu)

    message = sent(poll_mail(Kind.POLL_RESULT, voter=bia))

    meeting_url = f"{SITE}/meetings/{poll.meeting_id}/"
    calendar_url = f"{SITE}/meetings/{poll.meeting_id}/calendar.ics"
    own = f"{SITE}/polls/{poll.pk}/?guest={token}"
    assert message.subject == "Decided: CoP-F South, Tue 12 Jan, 22:00 UTC−03 (01:00 UTC)"
    assert lines_after(message.body, "Hello Bia,", 4) == [
        "",
        "The poll on CoP-F South is decided. It takes place:",
        "Tue 12 Jan 2027, 22:00–23:30 UTC−03",
        "In UTC: Wed 13 Jan 2027, 01:00–02:30 UTC",
    ]
    assert lines_after(message.body, "The meeting on the site:", 1) == [meeting_url]
    assert lines_after(message.body, "Add it to your calendar:", 1) == [calendar_url]
    assert lines_after(message.body, "The poll and its result:", 1) == [own]
    assert html_buttons(message) == [
        ("See the meeting", meeting_url),
        ("Add to my calendar", calendar_url),
        ("The poll", own),
    ]
    assert "List-Unsubscribe" not in message.extra_headers


def test_the_result_to_a_member_who_cannot_come_carries_their_unsubscribe_link(asha):
    olu = organizer()
    poll = make_poll(by=olu)
    poll_services.vote_as_member(
        poll=poll, user=asha, choices={slot_ids(poll)[0]: PollVote.Choice.NO}
    )
    poll = poll_services.close_poll(poll=poll, slot_id=slot_ids(poll)[0], by=olu)

    message = sent(poll_mail(Kind.POLL_RESULT, user=asha))

    assert lines_after(message.body, "The poll on CoP-F South is decided. It takes place:", 2) == [
        "Tue 12 Jan 2027, 19:30–21:00 IST",
        "In UTC: 14:00–15:30 UTC",
    ]
    assert "The poll and its result:" not in message.body
    assert message.extra_headers["List-Unsubscribe"] == (
        f"<{links.unsubscribe_url(user_id=asha.pk)}>"
    )
    assert html_buttons(message)[0] == ("See the meeting", f"{SITE}/meetings/{poll.meeting_id}/")


def test_a_member_in_utc_reads_each_time_once_in_utc():
    olu = organizer()
    make_poll(by=olu)

    message = sent(poll_mail(Kind.POLL_INVITE, user=olu))

    heading = "The times to choose from, in your time zone (UTC):"
    assert lines_after(message.body, heading, 3) == [
        "- Tue 12 Jan 2027, 14:00–15:30 UTC",
        "- Tue 12 Jan 2027, 20:00–21:30 UTC — late evening",
        "- Wed 13 Jan 2027, 01:00–02:30 UTC — night",
    ]
