"""The signed links in e-mail: answer in one click, unsubscribe in one click."""

from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse, set_script_prefix

from members import links
from members.deliveries import plan
from members.models import Delivery, RoleAssignment, Rsvp
from members.practice.roles import take_role
from tests.members.deliveries.support import (
    APRIL_START,
    FEBRUARY_START,
    answer,
    confirmed,
    east,
    link_path,
    member,
    planned,
    sent_invite,
    with_roles,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_settings", "clock")]

# --- links in the e-mail ---------------------------------------------------------------


def test_opening_an_rsvp_link_asks_first_and_changes_nothing(client):
    user = member()
    meeting = east()
    url = links.rsvp_url(user_id=user.pk, meeting_id=meeting.pk, response="yes")

    response = client.get(link_path(url))

    assert response.status_code == 200
    assert response["Referrer-Policy"] == "same-origin"
    assert (response.context["response"], response.context["done"]) == ("yes", False)
    assert "Answer <strong>yes</strong> for Asha?" in response.content.decode()
    assert Rsvp.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_posting_an_rsvp_link_answers_without_signing_in(client):
    user = member()
    meeting = east()
    url = links.rsvp_url(user_id=user.pk, meeting_id=meeting.pk, response="maybe")

    response = client.post(link_path(url))

    assert response.status_code == 200
    assert (response.context["done"], response.context["message"]) == (
        True,
        "You answered maybe.",
    )
    assert list(Rsvp.objects.values_list("user", "meeting", "response")) == [
        (user.pk, meeting.pk, "maybe")
    ]
    assert planned() == [("Asha", "invite")]


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_rsvp_link_is_a_400_and_changes_nothing(client, method):
    user = member()
    meeting = east()
    yes = links.rsvp_url(user_id=user.pk, meeting_id=meeting.pk, response="yes")
    no = links.rsvp_url(user_id=user.pk, meeting_id=meeting.pk, response="no")
    # The "no" payload under the "yes" signature.
    yes_token, no_token = yes.split("/")[-2], no.split("/")[-2]
    forged = no_token.split(":")[0] + ":" + yes_token.split(":", 1)[1]

    response = getattr(client, method)(reverse("members:rsvp_link", args=[forged]))

    assert response.status_code == 400
    assert "<h1>This link does not work</h1>" in response.content.decode()
    assert Rsvp.objects.count() == 0


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_rsvp_link_is_a_400_and_changes_nothing(client, clock, method):
    user = member()
    meeting = east(APRIL_START)
    url = links.rsvp_url(user_id=user.pk, meeting_id=meeting.pk, response="yes")
    clock.shift(links.RSVP_LINK_LIFETIME + timedelta(seconds=1))

    response = getattr(client, method)(link_path(url))

    assert response.status_code == 400
    assert "<h1>This link does not work</h1>" in response.content.decode()
    assert Rsvp.objects.count() == 0


def test_opening_the_unsubscribe_link_asks_first(client):
    user = member()

    response = client.get(link_path(links.unsubscribe_url(user_id=user.pk)))

    user.refresh_from_db()
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "same-origin"
    assert "<h1>Stop meeting e-mail</h1>" in response.content.decode()
    assert user.email_enabled is True


def test_one_click_unsubscribe_turns_email_off_without_a_csrf_token_and_skips_pending_mail():
    user = member()
    meeting = east()
    sent_invite(user, meeting)
    answer(user, east(FEBRUARY_START), "yes")
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(
        link_path(links.unsubscribe_url(user_id=user.pk)),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    user.refresh_from_db()
    assert response.status_code == 200
    assert user.email_enabled is False
    assert list(Delivery.objects.order_by("pk").values_list("kind", "state", "last_error")) == [
        ("invite", "sent", ""),
        ("invite", "skipped", "The member unsubscribed."),
    ]
    assert plan.plan_deliveries() == 0


def test_a_forged_unsubscribe_link_is_a_400_and_changes_nothing():
    user = member()
    token = links.unsubscribe_url(user_id=user.pk).split("/")[-2]
    forged = f"{user.pk + 1}:{token.split(':', 1)[1]}"

    response = Client(enforce_csrf_checks=True).post(
        reverse("members:unsubscribe", args=[forged]),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    user.refresh_from_db()
    assert response.status_code == 400
    assert user.email_enabled is True


# --- tokens signed with our key that hold what we never sign ----------------------------


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"m": 1, "r": "yes"},
        {"u": "x", "m": 1, "r": "yes"},
        {"u": 1, "m": "1", "r": "yes"},
        {"u": True, "m": 1, "r": "yes"},
        {"u": 1.5, "m": 1, "r": "yes"},
        {"u": 10**30, "m": 1, "r": "yes"},
        {"u": -1, "m": 1, "r": "yes"},
        {"u": 1, "m": 1, "r": "perhaps"},
        {"u": 1, "m": 1, "r": ["yes"]},
        [1, 1, "yes"],
        None,
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_rsvp_token_with_an_unexpected_payload_is_a_400_and_changes_nothing(
    client, method, payload
):
    member()
    east()
    token = signing.dumps(payload, salt=links.RSVP_SALT)

    response = getattr(client, method)(reverse("members:rsvp_link", args=[token]))

    assert response.status_code == 400
    assert Rsvp.objects.count() == 0


@pytest.mark.parametrize("payload", [{}, "1", True, 1.0, 10**30, 0, [1], None])
def test_an_unsubscribe_token_with_an_unexpected_payload_is_a_400_and_changes_nothing(
    client, payload
):
    user = member()

    response = client.post(
        reverse("members:unsubscribe", args=[signing.dumps(payload, salt=links.UNSUBSCRIBE_SALT)])
    )

    user.refresh_from_db()
    assert response.status_code == 400
    assert user.email_enabled is True


@pytest.mark.parametrize("prefix", ["/", "/copf/"])
def test_links_are_the_urls_reverse_gives_under_any_script_prefix(prefix):
    set_script_prefix(prefix)
    try:
        rsvp = links.rsvp_url(user_id=5, meeting_id=7, response="maybe")
        unsubscribe = links.unsubscribe_url(user_id=5)
    finally:
        set_script_prefix("/")

    set_script_prefix(prefix)
    try:
        expected = [
            links.absolute_url(reverse("members:rsvp_link", kwargs={"token": token_of(rsvp)})),
            links.absolute_url(
                reverse("members:unsubscribe", kwargs={"token": token_of(unsubscribe)})
            ),
        ]
    finally:
        set_script_prefix("/")
    assert [rsvp, unsubscribe] == expected
    assert links.read_rsvp_token(token_of(rsvp)) == links.RsvpLink(
        user_id=5, meeting_id=7, response="maybe"
    )


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


# --- taking an open role from a nudge -----------------------------------------------------


@pytest.fixture
def offer():
    """Asha, confirmed, offered the facilitator role of CoP-F East on 11 January."""
    user = confirmed(member())
    meeting = with_roles(east())
    url = links.take_role_url(user_id=user.pk, meeting_id=meeting.pk, role="facilitator")
    return user, meeting, link_path(url)


def held_roles() -> list[tuple[str, str]]:
    return list(RoleAssignment.objects.values_list("user__display_name", "role"))


def test_opening_a_take_role_link_asks_first_and_changes_nothing(client, offer):
    user, _meeting, path = offer
    client.force_login(user)

    response = client.get(path)

    page = response.content.decode()
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "same-origin"
    assert "<h1>CoP-F East</h1>" in page
    assert "Take the Facilitator role? Holding it answers yes for you" in page
    assert "Yes, take the Facilitator role</button>" in page
    assert (held_roles(), Rsvp.objects.count(), Delivery.objects.count()) == ([], 0, 0)


def test_the_take_role_page_shows_the_time_in_the_members_zone_with_utc(client, offer):
    user, _meeting, path = offer
    user.timezone = "Asia/Kolkata"
    user.save()
    client.force_login(user)

    response = client.get(path)

    assert (
        "Monday 11 January 2027, 19:30–21:00 IST (Asia/Kolkata) · In UTC: 14:00–15:30 UTC"
        in response.content.decode()
    )


def test_posting_a_take_role_link_takes_the_role_and_answers_yes(client, offer):
    user, meeting, path = offer
    client.force_login(user)

    response = client.post(path, follow=True)

    assert response.redirect_chain == [(f"/meetings/{meeting.pk}/#practice", 302)]
    assert held_roles() == [("Asha", "facilitator")]
    assert list(Rsvp.objects.values_list("user__display_name", "response")) == [("Asha", "yes")]
    assert [str(message) for message in response.context["messages"]] == [
        "You are Facilitator of this meeting, and your answer is yes."
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_take_role_link_signs_in_first_and_comes_back(client, offer, method):
    _user, _meeting, path = offer

    response = getattr(client, method)(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path.replace(':', '%3A')}"
    assert held_roles() == []


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_signed_in_member_gets_a_403_and_takes_nothing(client, offer, method):
    _user, _meeting, path = offer
    client.force_login(confirmed(member("Ben")))

    response = getattr(client, method)(path)

    assert response.status_code == 403
    assert "This link was sent to another member" in response.content.decode()
    assert (held_roles(), Rsvp.objects.count()) == ([], 0)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_take_role_link_is_a_400_and_takes_nothing(client, offer, method):
    user, meeting, path = offer
    harvester = links.take_role_url(user_id=user.pk, meeting_id=meeting.pk, role="harvester")
    # The harvester payload under the facilitator signature.
    token, other = path.split("/")[-2], harvester.split("/")[-2]
    forged = other.split(":")[0] + ":" + token.split(":", 1)[1]
    client.force_login(user)

    response = getattr(client, method)(reverse("members:take_role_link", args=[forged]))

    assert response.status_code == 400
    assert "<h1>This link does not work</h1>" in response.content.decode()
    assert held_roles() == []


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_take_role_link_is_a_400_and_takes_nothing(client, clock, method):
    user = confirmed(member())
    meeting = with_roles(east(APRIL_START))
    path = link_path(
        links.take_role_url(user_id=user.pk, meeting_id=meeting.pk, role="facilitator")
    )
    clock.shift(links.TAKE_ROLE_LINK_LIFETIME + timedelta(seconds=1))
    client.force_login(user)

    response = getattr(client, method)(path)

    assert response.status_code == 400
    assert held_roles() == []


def test_a_take_role_link_to_a_meeting_that_is_gone_is_a_404(client):
    user = confirmed(member())
    path = link_path(links.take_role_url(user_id=user.pk, meeting_id=999_999, role="host"))
    client.force_login(user)

    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"u": 1, "m": 1},
        {"u": 1, "m": 1, "r": ""},
        {"u": 1, "m": 1, "r": "host/../x"},
        {"u": 1, "m": 1, "r": "x" * 41},
        {"u": 1, "m": 1, "r": ["host"]},
        {"u": True, "m": 1, "r": "host"},
        {"u": 1, "m": "1", "r": "host"},
        [1, 1, "host"],
        None,
    ],
)
def test_a_take_role_token_with_an_unexpected_payload_is_a_400(client, payload):
    token = signing.dumps(payload, salt=links.TAKE_ROLE_SALT)

    response = client.post(reverse("members:take_role_link", args=[token]))

    assert response.status_code == 400


def test_an_rsvp_token_is_no_take_role_token(client, offer):
    user, meeting, _path = offer
    rsvp = links.rsvp_url(user_id=user.pk, meeting_id=meeting.pk, response="yes")
    client.force_login(user)

    response = client.post(reverse("members:take_role_link", args=[rsvp.split("/")[-2]]))

    assert response.status_code == 400
    assert held_roles() == []


def test_taking_a_place_someone_took_first_is_a_409_with_a_clear_message(client, offer):
    user, meeting, path = offer
    take_role(user=confirmed(member("Ben")), meeting=meeting, role="facilitator")
    client.force_login(user)

    page = client.get(path)
    response = client.post(path)

    assert "Every place as Facilitator was taken." in page.content.decode()
    assert "Yes, take the" not in page.content.decode()
    assert response.status_code == 409
    assert (
        "The last place as Facilitator was taken just before you. Try another role."
        in response.content.decode()
    )
    assert held_roles() == [("Ben", "facilitator")]


def test_a_member_who_has_not_confirmed_their_address_gets_a_403(client):
    user = member()
    meeting = with_roles(east())
    path = link_path(
        links.take_role_url(user_id=user.pk, meeting_id=meeting.pk, role="facilitator")
    )
    client.force_login(user)

    response = client.post(path)

    assert response.status_code == 403
    assert "Confirm your e-mail address to take a role." in response.content.decode()
    assert held_roles() == []


def test_a_role_the_meeting_does_not_have_is_a_400(client, offer):
    user, meeting, _path = offer
    path = link_path(links.take_role_url(user_id=user.pk, meeting_id=meeting.pk, role="scribe"))
    client.force_login(user)

    assert client.get(path).status_code == 400
    assert client.post(path).status_code == 400
    assert held_roles() == []


def test_after_the_meeting_started_the_link_takes_nothing(client, clock, offer):
    user, meeting, path = offer
    clock.move_to(meeting.starts_at)
    client.force_login(user)

    page = client.get(path)
    response = client.post(path)

    assert "Roles closed when this meeting started." in page.content.decode()
    assert response.status_code == 409
    assert held_roles() == []
