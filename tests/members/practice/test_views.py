"""The meeting page's practice: roles and agenda, acted on over HTTP and shown to each
viewer as they may see and do."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.cache import cache

from meetings.permissions import ensure_organizers_group
from members.models import AgendaItem, Role, RoleAssignment, Rsvp, User
from members.practice import roles
from tests.factories import MeetingFactory, SeriesFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
START = datetime(2027, 1, 11, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture(autouse=True)
def empty_caches():
    cache.clear()
    yield
    cache.clear()


def verified(name: str, **fields) -> User:
    user = UserFactory(display_name=name, email=f"{name.lower()}@example.org", **fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def organizer(name: str = "Olu") -> User:
    user = verified(name)
    user.groups.add(Group.objects.get(name=ensure_organizers_group().name))
    return user


@pytest.fixture
def meeting():
    series = SeriesFactory(name="CoP-F West")
    roles.give_default_roles(series=series)
    return MeetingFactory(series=series, starts_at=START)


def post(client, user, path: str, data: dict[str, object]):
    if user is not None:
        client.force_login(user)
    return client.post(path, data)


def holders(meeting) -> list[tuple[str, str]]:
    return list(
        RoleAssignment.objects.filter(meeting=meeting)
        .order_by("role", "user__display_name")
        .values_list("role", "user__display_name")
    )


def refusal(response) -> str:
    [message] = re.findall(r'role="alert">(.*?)</p>', response.content.decode(), flags=re.S)
    return message


# --- roles ------------------------------------------------------------------------------


def test_a_member_takes_an_open_role_and_so_answers_yes(client, meeting):
    asha = verified("Asha")

    response = post(client, asha, f"/meetings/{meeting.pk}/roles/take/", {"role": "facilitator"})

    assert (response.status_code, response["Location"]) == (
        302,
        f"/meetings/{meeting.pk}/#practice",
    )
    assert holders(meeting) == [("facilitator", "Asha")]
    assert Rsvp.objects.get(meeting=meeting, user=asha).response == "yes"


def test_taking_a_role_someone_holds_is_a_409_that_says_so_and_changes_nothing(client, meeting):
    roles.take_role(user=verified("Asha"), meeting=meeting, role="facilitator")
    ben = verified("Ben")

    response = post(client, ben, f"/meetings/{meeting.pk}/roles/take/", {"role": "facilitator"})

    assert response.status_code == 409
    assert refusal(response) == (
        "The last place as Facilitator was taken just before you. Try another role."
    )
    assert holders(meeting) == [("facilitator", "Asha")]
    assert not Rsvp.objects.filter(user=ben).exists()


@pytest.mark.parametrize(
    ("role", "status"), [("chair", 400), ("fa cilitator", 400), ("", 400), ("x" * 41, 400)]
)
def test_a_role_that_does_not_exist_or_is_malformed_is_a_400_and_changes_nothing(
    client, meeting, role, status
):
    response = post(client, verified("Asha"), f"/meetings/{meeting.pk}/roles/take/", {"role": role})

    assert response.status_code == status
    assert holders(meeting) == []
    assert not Rsvp.objects.exists()


def test_a_visitor_is_sent_to_log_in_and_nothing_changes(client, meeting):
    response = post(client, None, f"/meetings/{meeting.pk}/roles/take/", {"role": "host"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert holders(meeting) == []


def test_a_member_who_has_not_confirmed_their_address_is_refused_with_a_403(client, meeting):
    unconfirmed = UserFactory(display_name="Uma")

    response = post(client, unconfirmed, f"/meetings/{meeting.pk}/roles/take/", {"role": "host"})

    assert response.status_code == 403
    assert refusal(response) == "Confirm your e-mail address to take a role."
    assert holders(meeting) == []


def test_roles_close_when_the_meeting_starts(client, meeting):
    asha = verified("Asha")

    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        response = post(client, asha, f"/meetings/{meeting.pk}/roles/take/", {"role": "host"})

    assert response.status_code == 409
    assert refusal(response) == "Roles closed when this meeting started."
    assert holders(meeting) == []


def test_giving_a_role_back_keeps_the_yes(client, meeting):
    asha = verified("Asha")
    roles.take_role(user=asha, meeting=meeting, role="timekeeper")

    response = post(
        client, asha, f"/meetings/{meeting.pk}/roles/give-back/", {"role": "timekeeper"}
    )

    assert response.status_code == 302
    assert holders(meeting) == []
    assert Rsvp.objects.get(meeting=meeting, user=asha).response == "yes"


def test_giving_back_a_role_one_does_not_hold_is_a_409(client, meeting):
    response = post(
        client, verified("Asha"), f"/meetings/{meeting.pk}/roles/give-back/", {"role": "host"}
    )

    assert response.status_code == 409


def test_an_organizer_assigns_and_unassigns_a_member(client, meeting):
    ben = verified("Ben")
    olu = organizer()

    assigned = post(
        client, olu, f"/meetings/{meeting.pk}/roles/assign/", {"role": "host", "member": ben.pk}
    )
    after_assign = holders(meeting)
    unassigned = post(
        client, olu, f"/meetings/{meeting.pk}/roles/unassign/", {"role": "host", "member": ben.pk}
    )

    assert (assigned.status_code, unassigned.status_code) == (302, 302)
    assert after_assign == [("host", "Ben")]
    assert holders(meeting) == []
    assert Rsvp.objects.get(meeting=meeting, user=ben).response == "yes"


def test_a_member_cannot_assign_or_unassign_anyone_else(client, meeting):
    ben = verified("Ben")
    roles.take_role(user=ben, meeting=meeting, role="host")
    asha = verified("Asha")

    assign = post(
        client,
        asha,
        f"/meetings/{meeting.pk}/roles/assign/",
        {"role": "timekeeper", "member": ben.pk},
    )
    unassign = post(
        client, asha, f"/meetings/{meeting.pk}/roles/unassign/", {"role": "host", "member": ben.pk}
    )

    assert (assign.status_code, unassign.status_code) == (403, 403)
    assert holders(meeting) == [("host", "Ben")]


@pytest.mark.parametrize("member", ["999999", "abc", "-1", ""])
def test_assigning_to_a_member_who_does_not_exist_is_a_400(client, meeting, member):
    response = post(
        client,
        organizer(),
        f"/meetings/{meeting.pk}/roles/assign/",
        {"role": "host", "member": member},
    )

    assert response.status_code == 400
    assert holders(meeting) == []


def test_a_meeting_that_does_not_exist_is_a_404(client):
    response = post(client, verified("Asha"), "/meetings/999999/roles/take/", {"role": "host"})

    assert response.status_code == 404


@pytest.mark.parametrize(
    "path", ["roles/take/", "roles/give-back/", "roles/assign/", "roles/unassign/", "agenda/"]
)
def test_actions_are_posts_only(client, meeting, path):
    client.force_login(verified("Asha"))

    assert client.get(f"/meetings/{meeting.pk}/{path}").status_code == 405


# --- agenda -----------------------------------------------------------------------------


def propose(client, user, meeting, **fields):
    data = {"title": "Rounds", "description": "", "minutes": "20", **fields}
    return post(client, user, f"/meetings/{meeting.pk}/agenda/", data)


def test_a_member_proposes_an_item_and_the_facilitator_accepts_it(client, meeting):
    asha, ben = verified("Asha"), verified("Ben")
    roles.take_role(user=ben, meeting=meeting, role="facilitator")

    proposed = propose(client, asha, meeting, title="Consent rounds", minutes="25")
    item = AgendaItem.objects.get()
    accepted = post(
        client, ben, f"/meetings/{meeting.pk}/agenda/{item.pk}/decide/", {"decision": "accept"}
    )

    assert (proposed.status_code, accepted.status_code) == (302, 302)
    item.refresh_from_db()
    assert (item.title, item.minutes, item.status, item.proposer, item.decided_by) == (
        "Consent rounds",
        25,
        "accepted",
        asha,
        ben,
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"minutes": "0"}, "Minutes it needs: Ensure this value is greater than or equal to 1."),
        ({"minutes": "-5"}, "Minutes it needs: Ensure this value is greater than or equal to 1."),
        ({"minutes": "241"}, "Minutes it needs: Ensure this value is less than or equal to 240."),
        (
            {"minutes": "99999999999"},
            "Minutes it needs: Ensure this value is less than or equal to 240.",
        ),
        ({"minutes": "ten"}, "Minutes it needs: Enter a whole number."),
        ({"title": ""}, "Title: This field is required."),
        (
            {"description": "x" * 1001},
            "Description: Ensure this value has at most 1000 characters (it has 1001).",
        ),
    ],
)
def test_a_proposal_with_bad_input_is_a_400_that_says_why_and_saves_nothing(
    client, meeting, fields, message
):
    response = propose(client, verified("Asha"), meeting, **fields)

    assert response.status_code == 400
    assert refusal(response) == message
    assert not AgendaItem.objects.exists()


def test_script_in_a_proposal_is_shown_as_text(client, meeting):
    asha = verified("Asha")
    propose(client, asha, meeting, title="<script>alert(1)</script>")

    page = client.get(f"/meetings/{meeting.pk}/").content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_only_the_facilitator_and_organizers_decide_on_proposals(client, meeting):
    asha = verified("Asha")
    item = AgendaItem.objects.create(meeting=meeting, proposer=asha, title="Rounds", minutes=10)

    response = post(
        client,
        verified("Ben"),
        f"/meetings/{meeting.pk}/agenda/{item.pk}/decide/",
        {"decision": "accept"},
    )

    assert response.status_code == 403
    item.refresh_from_db()
    assert item.status == "proposed"


def test_an_item_of_another_meeting_is_a_404(client, meeting):
    other = MeetingFactory(series=meeting.series, starts_at=START + timedelta(days=28))
    item = AgendaItem.objects.create(meeting=other, proposer=verified("Asha"), title="X", minutes=5)

    response = post(
        client,
        organizer(),
        f"/meetings/{meeting.pk}/agenda/{item.pk}/decide/",
        {"decision": "accept"},
    )

    assert response.status_code == 404


def test_a_decision_other_than_accept_or_decline_is_a_400(client, meeting):
    item = AgendaItem.objects.create(
        meeting=meeting, proposer=verified("Asha"), title="X", minutes=5
    )

    response = post(
        client,
        organizer(),
        f"/meetings/{meeting.pk}/agenda/{item.pk}/decide/",
        {"decision": "maybe"},
    )

    assert response.status_code == 400
    item.refresh_from_db()
    assert item.status == "proposed"


def test_the_facilitator_moves_an_item_up(client, meeting):
    olu = organizer()
    asha = verified("Asha")
    first, second = (
        AgendaItem.objects.create(
            meeting=meeting, proposer=asha, title=title, minutes=5, status="accepted", position=n
        )
        for n, title in enumerate(["Check-in", "Rounds"], start=1)
    )

    response = post(
        client, olu, f"/meetings/{meeting.pk}/agenda/{second.pk}/move/", {"direction": "up"}
    )

    assert response.status_code == 302
    assert list(AgendaItem.objects.order_by("position").values_list("title", flat=True)) == [
        "Rounds",
        "Check-in",
    ]
    assert first.pk != second.pk


def test_only_the_proposer_withdraws_an_item(client, meeting):
    asha = verified("Asha")
    item = AgendaItem.objects.create(meeting=meeting, proposer=asha, title="X", minutes=5)

    by_other = post(
        client, verified("Ben"), f"/meetings/{meeting.pk}/agenda/{item.pk}/withdraw/", {}
    )
    by_proposer = post(client, asha, f"/meetings/{meeting.pk}/agenda/{item.pk}/withdraw/", {})

    assert (by_other.status_code, by_proposer.status_code) == (403, 302)
    assert not AgendaItem.objects.exists()


# --- the panel on the meeting page ------------------------------------------------------


def section(response) -> str:
    [html] = re.findall(r'<section class="practice".*?</section>', response.content.decode(), re.S)
    return html


def test_a_visitor_sees_the_roles_and_agenda_but_no_forms(client, meeting):
    roles.take_role(user=verified("Asha"), meeting=meeting, role="facilitator")

    html = section(client.get(f"/meetings/{meeting.pk}/"))

    assert "Facilitator</span>:" in html
    assert '<span class="role-holder">Asha</span>' in html
    assert "Log in to take a role." in html
    assert "<form" not in html


def test_a_member_sees_a_button_for_each_open_role_and_give_back_for_their_own(client, meeting):
    asha = verified("Asha")
    roles.take_role(user=asha, meeting=meeting, role="host")
    client.force_login(asha)

    html = section(client.get(f"/meetings/{meeting.pk}/"))

    assert re.findall(r"Take the (.*?) role</button>", html) == [
        "Facilitator",
        "Co-facilitator",
        "Timekeeper",
        "Harvester / note-taker",
    ]
    assert html.count("Give it back") == 1
    assert "Propose an agenda item" in html


def test_the_page_warns_when_the_agenda_plans_more_minutes_than_the_meeting_has(client, meeting):
    asha = verified("Asha")
    for title, minutes in [("Check-in", 30), ("Rounds", 70)]:
        AgendaItem.objects.create(
            meeting=meeting, proposer=asha, title=title, minutes=minutes, status="accepted"
        )

    html = section(client.get(f"/meetings/{meeting.pk}/"))

    assert "100 minutes planned of the meeting’s 90." in html
    assert "The agenda plans 10 minutes more than the meeting lasts." in html


def test_a_visitor_sees_a_role_taken_after_their_page_was_cached(client, meeting):
    client.get(f"/meetings/{meeting.pk}/")
    roles.take_role(user=verified("Asha"), meeting=meeting, role="facilitator")

    html = section(client.get(f"/meetings/{meeting.pk}/"))

    assert '<span class="role-holder">Asha</span>' in html


def test_an_organizer_sees_proposals_to_decide_and_whom_to_assign(client, meeting):
    asha = verified("Asha")
    Rsvp.objects.create(meeting=meeting, user=asha, response="yes")
    AgendaItem.objects.create(meeting=meeting, proposer=asha, title="Rounds", minutes=10)
    client.force_login(organizer())

    html = section(client.get(f"/meetings/{meeting.pk}/"))

    assert "Accept “Rounds”" in html
    assert html.count(f'<option value="{asha.pk}">Asha</option>') == 5


@pytest.mark.parametrize("size", [1, 5])
def test_the_meeting_page_costs_the_same_queries_however_many_roles_and_items(
    client, meeting, django_assert_num_queries, size
):
    olu = organizer()
    people = [verified(f"Member{n}") for n in range(size)]
    for person, role in zip(
        people, ["facilitator", "co-facilitator", "timekeeper", "harvester", "host"], strict=False
    ):
        roles.take_role(user=person, meeting=meeting, role=role)
    for n, person in enumerate(people):
        AgendaItem.objects.create(meeting=meeting, proposer=person, title=f"Item {n}", minutes=5)
    Role.objects.create(meeting=meeting, slug="greeter", name="Greeter", places=size)
    client.force_login(olu)
    client.get(f"/meetings/{meeting.pk}/")  # the shared body, cached

    with django_assert_num_queries(QUERIES_FOR_AN_ORGANIZER):
        response = client.get(f"/meetings/{meeting.pk}/")

    assert response.status_code == 200


# An organizer's meeting page with the shared body cached: the session and the member, the
# version, the member parts with their answers, and the panel (roles, holders, agenda,
# harvest, permissions, whom to assign); the same for one role, holder and item as for five.
# A week ahead the call has not opened, so attendance asks nothing; from then on it adds
# two (see test_attendance_views.QUERIES_AFTER_THE_MEETING).
QUERIES_FOR_AN_ORGANIZER = 17
