"""Poll pages over HTTP: making a poll, voting as a member or a guest, the results, closing,
and who may see what. Refusals are a 4xx with a message and change nothing."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import urlencode

import pytest

from meetings.models import Meeting
from members.models import Poll, PollSlot, PollVote, PollVoter, Rsvp
from members.polls import services

from .support import NOW, make_poll, member, organizer

pytestmark = pytest.mark.django_db

NEW = "/polls/new/"


def text_of(response) -> str:
    """The page's text, tags dropped and spaces folded, for reading messages."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def alert(response) -> str:
    [message] = re.findall(r'role="alert">(.*?)</p>', response.content.decode(), flags=re.S)
    return unescape(message)


def selected_zone(response, name: str = "timezone") -> str:
    select = re.search(
        rf'<select[^>]*name="{name}".*?</select>', response.content.decode(), flags=re.S
    ).group(0)
    return re.search(r'value="([^"]+)" selected', select).group(1)


def poll_form(**fields: object) -> dict[str, object]:
    """A valid new poll in Europe/Berlin: two slots a week ahead, a deadline before them."""
    return {
        "title": "A third track",
        "description": "For the Pacific.",
        "length": "90",
        "kind": "one_off",
        "frequency": "",
        "audience": "members",
        "series": "",
        "join_url": "https://meet.example.org/third",
        "timezone": "Europe/Berlin",
        "deadline": "2027-01-10T12:00",
        "slots": "2027-01-11 15:00\n2027-01-12 09:30\n",
        "each_time": "",
        "each_days": "",
        "clock_day": "",
        "clock_every": "",
        **fields,
    }


def slot_starts(poll: Poll) -> list[datetime]:
    return list(poll.slots.values_list("starts_at", flat=True))


# --- making a poll -------------------------------------------------------------------------


def test_the_new_poll_form_starts_in_the_organizers_zone(client):
    client.force_login(organizer(timezone="Asia/Kolkata"))

    response = client.get(NEW)

    assert response.status_code == 200
    assert selected_zone(response) == "Asia/Kolkata"


def test_an_organizer_makes_a_poll_whose_slots_are_kept_in_utc(client):
    olu = organizer()
    client.force_login(olu)

    response = client.post(NEW, poll_form())

    poll = Poll.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/polls/{poll.pk}/"
    assert (poll.title, str(poll.timezone), poll.created_by) == (
        "A third track",
        "Europe/Berlin",
        olu,
    )
    assert poll.deadline == datetime(2027, 1, 10, 11, 0, tzinfo=UTC)
    assert slot_starts(poll) == [
        datetime(2027, 1, 11, 14, 0, tzinfo=UTC),
        datetime(2027, 1, 12, 8, 30, tzinfo=UTC),
    ]


def test_a_member_who_is_not_an_organizer_may_not_make_a_poll(client):
    client.force_login(member("Asha"))

    responses = [client.get(NEW), client.post(NEW, poll_form())]

    assert [response.status_code for response in responses] == [403, 403]
    assert Poll.objects.count() == 0


def test_a_visitor_is_sent_to_log_in_before_making_a_poll(client):
    response = client.post(NEW, poll_form())

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert Poll.objects.count() == 0


SIXTY_ONE = "\n".join(f"2027-02-{1 + n // 24:02d} {n % 24:02d}:00" for n in range(61))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"slots": "2027-01-03 15:00"}, "The slot at 2027-01-03 14:00 UTC is in the past."),
        (
            {"slots": "2027-01-11 15:00\n2027-01-11 15:00"},
            "Two slots are at 2027-01-11 14:00 UTC: each slot must be a different time.",
        ),
        ({"slots": SIXTY_ONE}, "A poll can offer at most 60 slots; this one has 61."),
        (
            {"deadline": "2027-01-12T12:00"},
            "The deadline must come before the first slot (2027-01-11 14:00 UTC).",
        ),
        ({"slots": ""}, "Add at least one slot."),
        (
            {"slots": "next Monday"},
            'Line 1, "next Monday", is not a date and time like 2027-03-29 14:00.',
        ),
        (
            {"slots": "2027-03-28 02:30"},
            "02:30 on 2027-03-28 does not exist in Europe/Berlin: the clocks skip it. "
            "Choose another time.",
        ),
        (
            {"slots": "2029-06-01 10:00"},
            "The slot at 2029-06-01 08:00 UTC is more than two years away.",
        ),
        ({"each_time": "10:00"}, "To add a time on each of several days, give both."),
    ],
)
def test_bad_slots_or_deadline_are_a_400_with_the_reason_and_make_no_poll(client, fields, message):
    client.force_login(organizer())

    response = client.post(NEW, poll_form(**fields))

    assert response.status_code == 400
    assert alert(response) == message
    assert Poll.objects.count() == 0


def test_a_form_error_is_a_400_that_marks_the_field(client):
    client.force_login(organizer())

    response = client.post(NEW, poll_form(title="", each_days="2027-01-11, Tuesday"))

    assert response.status_code == 400
    assert "“Tuesday” is not a date like 2027-03-29." in text_of(response)
    assert "This field is required." in text_of(response)
    assert Poll.objects.count() == 0


def test_an_unknown_zone_falls_back_to_utc_with_a_note_and_makes_no_poll_until_sent_again(
    client,
):
    client.force_login(organizer())

    response = client.post(NEW, poll_form(timezone="Mars/Olympus_Mons"))

    assert response.status_code == 400
    assert alert(response).startswith(
        "We do not know the time zone “Mars/Olympus_Mons”, so the form now uses UTC."
    )
    assert selected_zone(response) == "UTC"
    assert Poll.objects.count() == 0


def test_the_helpers_add_a_time_on_each_day_and_slots_around_the_clock(client):
    client.force_login(organizer())

    client.post(
        NEW,
        poll_form(
            slots="",
            timezone="Asia/Tokyo",
            each_time="20:00",
            each_days="2027-01-13, 2027-01-14\n2027-01-15",
            clock_day="2027-01-20",
            clock_every="6",
        ),
    )

    tokyo = [
        datetime(2027, 1, 13, 11, 0, tzinfo=UTC),
        datetime(2027, 1, 14, 11, 0, tzinfo=UTC),
        datetime(2027, 1, 15, 11, 0, tzinfo=UTC),
    ]
    # Midnight in Tokyo is 15:00 UTC the day before; then every six hours.
    clock = [datetime(2027, 1, 19, 15 + h, 0, tzinfo=UTC) for h in (0, 6)] + [
        datetime(2027, 1, 20, h, 0, tzinfo=UTC) for h in (3, 9)
    ]
    assert slot_starts(Poll.objects.get()) == tokyo + clock


def test_around_the_clock_on_the_day_the_clocks_go_forward_gives_one_slot_fewer(client):
    client.force_login(organizer())

    client.post(NEW, poll_form(slots="", clock_day="2027-03-28", clock_every="1"))

    assert len(slot_starts(Poll.objects.get())) == 23


# --- who sees a poll -----------------------------------------------------------------------


def test_a_members_poll_sends_a_visitor_to_log_in(client):
    poll = make_poll(organizer())

    response = client.get(poll.get_absolute_url())

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/polls/{poll.pk}/"


def test_a_link_poll_is_a_404_without_its_key_and_shown_with_it(client):
    poll = make_poll(organizer(), audience=Poll.Audience.LINK)
    client.force_login(member("Stranger"))

    hidden = client.get(poll.get_absolute_url())
    wrong = client.get(f"{poll.get_absolute_url()}?key=nope")
    shown = client.get(f"{poll.get_absolute_url()}?key={poll.key}")

    assert (hidden.status_code, wrong.status_code, shown.status_code) == (404, 404, 200)


def test_a_followers_poll_is_a_404_for_a_member_who_does_not_follow(client, series):
    poll = make_poll(organizer(), audience=Poll.Audience.FOLLOWERS, series=series)
    client.force_login(member("Asha"))

    assert client.get(poll.get_absolute_url()).status_code == 404


def test_the_poll_page_shows_each_slot_in_the_voters_zone_with_utc_and_the_part_of_day(client):
    poll = make_poll(organizer(), slots=1)
    client.force_login(member("Kenji", timezone="Asia/Tokyo"))

    response = client.get(poll.get_absolute_url())

    page = text_of(response)
    # 14:00 UTC is 23:00 in Tokyo; 90 minutes run past midnight, into the night.
    assert "Mon 11 Jan 2027, 23:00–00:30 (+1 day) JST (14:00–15:30 UTC) ☾ night" in page
    assert "Deadline Sun 10 Jan 2027, 23:00 JST (Sun 14:00 UTC)" in page


# --- voting as a member --------------------------------------------------------------------


def vote_data(poll: Poll, *choices: str, **extra: str) -> dict[str, str]:
    slots = list(poll.slots.all())
    return {f"slot-{slot.pk}": choice for slot, choice in zip(slots, choices, strict=False)} | extra


def votes_of(poll: Poll) -> list[tuple[str, str]]:
    return list(
        PollVote.objects.filter(poll=poll)
        .order_by("voter__pk", "slot__starts_at")
        .values_list("voter__user__display_name", "choice")
    )


def test_a_member_votes_once_for_each_slot(client):
    poll = make_poll(organizer())
    client.force_login(member("Asha"))

    response = client.post(f"/polls/{poll.pk}/vote/", vote_data(poll, "yes", "if_need_be", "no"))

    assert response.status_code == 302
    assert response["Location"] == f"/polls/{poll.pk}/#results"
    assert votes_of(poll) == [("Asha", "yes"), ("Asha", "if_need_be"), ("Asha", "no")]


def test_voting_again_replaces_the_members_votes_and_the_form_shows_them(client):
    poll = make_poll(organizer())
    client.force_login(member("Asha"))
    client.post(f"/polls/{poll.pk}/vote/", vote_data(poll, "yes", "yes", "yes"))

    client.post(f"/polls/{poll.pk}/vote/", vote_data(poll, "no", "if_need_be", "yes"))
    page = client.get(poll.get_absolute_url()).content.decode()

    assert votes_of(poll) == [("Asha", "no"), ("Asha", "if_need_be"), ("Asha", "yes")]
    checked = re.findall(r'value="(\w+)"[^>]*checked', page)
    assert checked == ["no", "if_need_be", "yes"]


def test_a_vote_after_the_deadline_is_a_409_and_changes_nothing(client, clock):
    poll = make_poll(organizer())
    client.force_login(member("Asha"))
    clock.move_to(poll.deadline + timedelta(minutes=1))

    response = client.post(f"/polls/{poll.pk}/vote/", vote_data(poll, "yes"))

    assert response.status_code == 409
    assert alert(response) == "The deadline for this poll has passed."
    assert votes_of(poll) == []


def test_a_vote_in_a_closed_poll_is_a_409_and_changes_nothing(client):
    olu = organizer()
    poll = make_poll(olu)
    services.close_poll(poll=poll, slot_id=poll.slots.first().pk, by=olu)
    client.force_login(member("Asha"))

    response = client.post(f"/polls/{poll.pk}/vote/", vote_data(poll, "yes"))

    assert response.status_code == 409
    assert alert(response) == "This poll is closed; votes can no longer change."
    assert votes_of(poll) == []


def test_a_vote_that_is_not_a_choice_is_a_400(client):
    poll = make_poll(organizer())
    client.force_login(member("Asha"))

    response = client.post(f"/polls/{poll.pk}/vote/", vote_data(poll, "maybe"))

    assert response.status_code == 400
    assert votes_of(poll) == []


def test_a_visitor_voting_in_a_members_poll_is_sent_to_log_in(client):
    poll = make_poll(organizer())

    response = client.post(f"/polls/{poll.pk}/vote/", vote_data(poll, "yes"))

    assert response.status_code == 302
    assert votes_of(poll) == []


# --- guests --------------------------------------------------------------------------------


def guest_vote(client, poll: Poll, *choices: str, **fields: str):
    data = vote_data(poll, *choices, key=poll.key, name="Lea", email="lea@example.net")
    return client.post(f"/polls/{poll.pk}/vote/", data | {"timezone": "Europe/Paris"} | fields)


def test_a_guest_votes_with_the_link_and_is_asked_to_confirm_their_address(client):
    poll = make_poll(organizer(), audience=Poll.Audience.LINK)

    response = guest_vote(client, poll, "yes", "no", "yes")
    page = client.get(response["Location"])

    voter = PollVoter.objects.get()
    assert response["Location"] == f"/polls/{poll.pk}/?key={poll.key}"
    assert (voter.name, voter.email, str(voter.timezone), voter.confirmed_at) == (
        "Lea",
        "lea@example.net",
        "Europe/Paris",
        None,
    )
    assert "Check your e-mail and confirm your address: your votes count once you do." in (
        text_of(page)
    )
    assert services.poll_results(poll).voters == []


def test_a_guest_with_an_unknown_zone_is_told_it_is_utc(client):
    poll = make_poll(organizer(), audience=Poll.Audience.LINK)

    response = guest_vote(client, poll, "yes", timezone="Atlantis/Capital")

    page = text_of(client.get(response["Location"]))
    assert str(PollVoter.objects.get().timezone) == "UTC"
    assert "We did not know the time zone you gave, so we show you times in UTC." in page


def test_a_guest_without_the_key_cannot_vote(client):
    poll = make_poll(organizer(), audience=Poll.Audience.LINK)

    response = guest_vote(client, poll, "yes", key="")

    assert response.status_code == 302  # to log in: the poll is not shown to them
    assert PollVoter.objects.count() == 0


def test_a_guest_form_without_a_name_is_a_400_and_keeps_what_was_typed(client):
    poll = make_poll(organizer(), audience=Poll.Audience.LINK)

    response = guest_vote(client, poll, "yes", name="")

    assert response.status_code == 400
    assert 'value="lea@example.net"' in response.content.decode()
    assert PollVoter.objects.count() == 0


def test_confirming_takes_a_post_after_the_link_is_opened(client):
    poll = make_poll(organizer(), audience=Poll.Audience.LINK)
    guest_vote(client, poll, "yes", "no", "yes")
    voter = PollVoter.objects.get()
    path = f"/polls/{poll.pk}/confirm/{services.guest_token(voter)}/"

    opened = client.get(path)
    voter.refresh_from_db()
    confirmed_on_open = voter.confirmed_at
    posted = client.post(path)
    voter.refresh_from_db()

    assert opened.status_code == 200
    assert confirmed_on_open is None
    assert voter.confirmed_at == NOW
    assert (
        posted["Location"]
        == f"/polls/{poll.pk}/?{urlencode({'guest': services.guest_token(voter)})}"
    )
    assert [voter.name for voter in services.poll_results(poll).voters] == ["Lea"]


def test_a_guest_with_their_token_sees_and_changes_their_votes(client):
    poll = make_poll(organizer(), audience=Poll.Audience.LINK)
    guest_vote(client, poll, "yes", "no", "yes")
    token = services.guest_token(PollVoter.objects.get())

    page = client.get(f"{poll.get_absolute_url()}?guest={token}").content.decode()
    client.post(f"/polls/{poll.pk}/vote/", vote_data(poll, "no", "no", "if_need_be", guest=token))

    assert re.findall(r'value="(\w+)"[^>]*checked', page) == ["yes", "no", "yes"]
    assert [choice for _name, choice in votes_of(poll)] == ["no", "no", "if_need_be"]


def test_a_forged_guest_token_is_a_400_and_changes_nothing(client):
    poll = make_poll(organizer(), audience=Poll.Audience.LINK)
    guest_vote(client, poll, "yes", "no", "yes")
    token = services.guest_token(PollVoter.objects.get())
    forged = token[:-1] + ("B" if token.endswith("A") else "A")

    responses = [
        client.get(f"{poll.get_absolute_url()}?guest={forged}"),
        client.post(f"/polls/{poll.pk}/vote/", vote_data(poll, "no", "no", "no", guest=forged)),
        client.get(f"/polls/{poll.pk}/confirm/{forged}/"),
        client.post(f"/polls/{poll.pk}/confirm/{forged}/"),
    ]

    assert [response.status_code for response in responses] == [400, 400, 400, 400]
    assert alert(responses[0]) == (
        "This link is not valid for this poll. Use the link from your e-mail."
    )
    assert [choice for _name, choice in votes_of(poll)] == ["yes", "no", "yes"]
    assert PollVoter.objects.get().confirmed_at is None


# --- results -------------------------------------------------------------------------------


def test_the_results_show_each_voters_local_time_and_vote_and_the_best_slots(client):
    olu = organizer()
    poll = make_poll(olu, slots=2)
    first, second = poll.slots.all()
    services.vote_as_member(
        poll=poll,
        user=member("Kenji", timezone="Asia/Tokyo"),
        choices={first.pk: "if_need_be", second.pk: "yes"},
    )
    services.vote_as_member(
        poll=poll,
        user=member("Ana", timezone="America/Sao_Paulo"),
        choices={first.pk: "yes", second.pk: "yes"},
    )
    client.force_login(olu)

    page = text_of(client.get(poll.get_absolute_url()))

    # Tokyo is at 23:00 (its night, as the meeting runs past midnight), São Paulo at 11:00.
    assert "Best by votes Tue 12 Jan 2027, 14:00–15:30 UTC 2 yes, 0 if need be; fairness 50" in (
        page
    )
    assert "Tue 12 Jan 2027, 14:00–15:30 UTC best by votes best by fairness 2 0 1 50" in page
    assert "Mon 23:00 ☾ night (✓) If need be Mon 11:00 ☀ day ✓ Yes" in page
    assert "Tue 23:00 ☾ night ✓ Yes Tue 11:00 ☀ day ✓ Yes" in page


def test_a_recurring_poll_shows_each_voters_year_where_their_clocks_move_it(client):
    olu = organizer(timezone="Europe/Berlin")
    poll = make_poll(
        olu, slots=1, kind=Poll.Kind.RECURRING, frequency="weekly", zone="Europe/Berlin"
    )
    services.vote_as_member(
        poll=poll,
        user=member("Ana", timezone="America/New_York"),
        choices={poll.slots.get().pk: "yes"},
    )
    client.force_login(olu)

    page = text_of(client.get(poll.get_absolute_url()))

    # 15:00 in Berlin: 09:00 in New York until the US changes its clocks on 14 March, then
    # 10:00 until Europe does on 28 March, then 09:00 again.
    assert "From Mon 11 Jan 2027 to Mon 8 Mar 2027: 09:00 EST" in page
    assert "From Mon 15 Mar 2027 to Mon 22 Mar 2027: 10:00 EDT (your clocks changed)" in page
    assert "From Mon 29 Mar 2027 to Mon 25 Oct 2027: 09:00 EDT (the meeting's zone changed" in (
        page.replace("’", "'")
    )


# --- closing -------------------------------------------------------------------------------


def test_an_organizer_closes_a_poll_and_the_meeting_is_made(client):
    olu = organizer()
    poll = make_poll(olu)
    slot = poll.slots.all()[1]
    asha = member("Asha")
    services.vote_as_member(poll=poll, user=asha, choices={slot.pk: "yes"})
    client.force_login(olu)

    response = client.post(f"/polls/{poll.pk}/close/", {"slot": slot.pk})

    poll.refresh_from_db()
    meeting = Meeting.objects.get()
    assert response["Location"] == poll.get_absolute_url()
    assert (poll.chosen_slot, poll.meeting) == (slot, meeting)
    assert (meeting.title, meeting.starts_at) == ("A time for the new track", slot.starts_at)
    assert Rsvp.objects.get(meeting=meeting).user == asha
    page = text_of(client.get(poll.get_absolute_url()))
    assert "The poll is closed, and the meeting is on the schedule." in page
    assert "Closed : Tue 12 Jan 2027, 14:00–15:30 UTC · The meeting" in page


def test_only_an_organizer_closes_a_poll(client):
    poll = make_poll(organizer())
    client.force_login(member("Asha"))

    response = client.post(f"/polls/{poll.pk}/close/", {"slot": poll.slots.first().pk})

    assert response.status_code == 403
    assert alert(response) == "Only organizers can close a poll."
    assert Poll.objects.get().closed_at is None
    assert Meeting.objects.count() == 0


def test_closing_a_closed_poll_is_a_409_and_changes_nothing(client):
    olu = organizer()
    poll = make_poll(olu)
    first, second = poll.slots.all()[:2]
    client.force_login(olu)
    client.post(f"/polls/{poll.pk}/close/", {"slot": first.pk})

    response = client.post(f"/polls/{poll.pk}/close/", {"slot": second.pk})

    assert response.status_code == 409
    assert alert(response) == "This poll is closed already."
    assert Poll.objects.get().chosen_slot == first
    assert Meeting.objects.count() == 1


def test_closing_on_a_slot_of_another_poll_is_a_400(client):
    olu = organizer()
    poll, other = make_poll(olu), make_poll(olu)
    client.force_login(olu)

    response = client.post(f"/polls/{poll.pk}/close/", {"slot": other.slots.first().pk})

    assert response.status_code == 400
    assert Poll.objects.filter(closed_at__isnull=False).count() == 0


# --- the organizers' list ------------------------------------------------------------------


def test_the_list_shows_open_polls_first_with_their_counts(client):
    olu = organizer()
    closed = make_poll(olu, title="Closed one", slots=2)
    services.close_poll(poll=closed, slot_id=closed.slots.first().pk, by=olu)
    open_poll = make_poll(olu, title="Open one", slots=3)
    services.vote_as_member(
        poll=open_poll, user=member("Asha"), choices={open_poll.slots.first().pk: "yes"}
    )
    client.force_login(olu)

    page = text_of(client.get("/polls/"))

    assert "Open one All members Open 3 1" in page
    assert "Closed one All members Closed: the meeting 2 0" in page
    assert page.index("Open one") < page.index("Closed one")


def test_the_list_is_for_organizers_only(client):
    client.force_login(member("Asha"))

    assert client.get("/polls/").status_code == 403


# --- queries -------------------------------------------------------------------------------


def voters_in_bulk(poll: Poll, count: int) -> None:
    """`count` confirmed guests who voted yes for every slot, made in three queries."""
    voters = PollVoter.objects.bulk_create(
        PollVoter(
            poll=poll,
            name=f"Guest {n}",
            email=f"guest{n}@example.net",
            timezone=("Asia/Tokyo", "America/New_York", "Europe/Berlin")[n % 3],
            confirmed_at=NOW,
        )
        for n in range(count)
    )
    PollVote.objects.bulk_create(
        PollVote(poll=poll, voter=voter, slot=slot, choice="yes")
        for voter in voters
        for slot in PollSlot.objects.filter(poll=poll)
    )


@pytest.mark.parametrize(("slots", "voters"), [(1, 1), (60, 1), (1, 300)])
def test_the_poll_page_takes_the_same_queries_for_any_number_of_slots_or_voters(
    client, django_assert_num_queries, slots, voters
):
    olu = organizer()
    poll = make_poll(
        olu, slots=slots, kind=Poll.Kind.RECURRING, frequency="weekly", zone="Europe/Berlin"
    )
    voters_in_bulk(poll, voters)
    client.force_login(olu)

    # 1 the session, 2 the organizer, 3 the poll with its series, meeting and chosen slot,
    # 4 and 5 the organizer's permissions and their groups' (may vote? is an organizer?),
    # 6 is their address confirmed (may vote as a member), 7 their own votes, 8 the slots,
    # 9 the counted voters with their accounts, 10 the counted votes.
    with django_assert_num_queries(10):
        response = client.get(poll.get_absolute_url())

    assert response.status_code == 200
    assert response.content.decode().count('class="part-') >= slots * voters


@pytest.mark.parametrize("polls", [1, 20])
def test_the_list_takes_the_same_queries_for_one_poll_or_many(
    client, django_assert_num_queries, polls
):
    olu = organizer()
    for _ in range(polls):
        voters_in_bulk(make_poll(olu), 2)
    client.force_login(olu)

    # The session, the organizer, their permissions and their groups', the polls with
    # their counts.
    with django_assert_num_queries(5):
        response = client.get("/polls/")

    assert response.content.decode().count("<tr>") == polls + 1


def test_the_navigation_offers_polls_to_staff_and_the_profile_to_every_organizer(client):
    # Asking whether a member of the Organizers group is one costs two queries, which the
    # navigation would add to every page; staff cost nothing to tell.
    client.force_login(member("Asha"))
    members_page = client.get("/me/").content.decode()
    client.force_login(organizer())
    organizers_page = client.get("/me/").content.decode()
    client.force_login(member("Stef", is_staff=True))
    staff_page = client.get("/").content.decode()

    assert "/polls/" not in members_page
    assert '<a href="/polls/">Polls' in organizers_page
    assert '<a href="/polls/">Polls</a>' in staff_page


def test_a_slot_entered_in_another_zone_shows_how_it_was_entered(client):
    poll = make_poll(organizer(), slots=1, zone="Europe/Berlin")
    client.force_login(member("Kenji", timezone="Asia/Tokyo"))

    page = text_of(client.get(poll.get_absolute_url()))

    assert "entered as Mon 11 Jan 2027, 15:00–16:30 CET" in page
