"""The signed links in e-mail: answer in one click, unsubscribe in one click."""

from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse, set_script_prefix

from members import links
from members.deliveries import plan
from members.models import Delivery, Rsvp
from tests.members.deliveries.support import (
    APRIL_START,
    FEBRUARY_START,
    answer,
    east,
    link_path,
    member,
    planned,
    sent_invite,
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
