"""A visitor's answer carried through sign-up, log-in and confirming the address."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.test import Client

from meetings import services as meeting_services
from members.models import Rsvp, User
from tests.factories import MeetingFactory, UserFactory

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PASSWORD = "a long pass phrase"


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture(autouse=True)
def empty_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def meeting(db):
    return MeetingFactory(starts_at=datetime(2027, 1, 11, 14, 0, tzinfo=UTC))


def sign_up(client: Client, *, next_path: str) -> None:
    client.post(
        f"/accounts/signup/?next={next_path}",
        {
            "email": "asha@example.org",
            "display_name": "Asha",
            "timezone": "Asia/Kolkata",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": next_path,
        },
    )


def confirmation_link() -> str:
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", mail.outbox[-1].body)[1]


@pytest.mark.django_db
class TestAnAnswerThroughSignUp:
    def test_the_answer_button_leads_a_visitor_to_sign_up_and_back(self, client, meeting):
        response = client.get(f"/meetings/{meeting.pk}/rsvp/yes/")

        assert response.status_code == 302
        assert response["Location"] == f"/accounts/signup/?next=%2Fmeetings%2F{meeting.pk}%2F"

    def test_the_answer_waits_until_the_address_is_confirmed(self, client, meeting):
        client.get(f"/meetings/{meeting.pk}/rsvp/yes/")

        sign_up(client, next_path=meeting.get_absolute_url())

        member = User.objects.get(email="asha@example.org")
        assert Rsvp.objects.count() == 0
        assert (member.pending_meeting, member.pending_response) == (meeting, "yes")

    def test_confirming_records_the_answer_and_returns_to_the_meeting(self, client, meeting):
        client.get(f"/meetings/{meeting.pk}/rsvp/maybe/")
        sign_up(client, next_path=meeting.get_absolute_url())

        response = client.post(confirmation_link())

        member = User.objects.get(email="asha@example.org")
        assert response["Location"] == meeting.get_absolute_url()
        assert Rsvp.objects.get(user=member, meeting=meeting).response == "maybe"
        assert (member.pending_meeting, member.pending_response) == (None, "")

    def test_confirming_in_another_browser_records_it_and_asks_to_log_in_there(
        self, client, meeting
    ):
        client.get(f"/meetings/{meeting.pk}/rsvp/yes/")
        sign_up(client, next_path=meeting.get_absolute_url())

        response = Client().post(confirmation_link())

        member = User.objects.get(email="asha@example.org")
        assert response["Location"] == f"/accounts/login/?next=%2Fmeetings%2F{meeting.pk}%2F"
        assert Rsvp.objects.get(user=member, meeting=meeting).response == "yes"

    def test_a_meeting_cancelled_meanwhile_takes_no_answer_and_says_why(self, client, meeting):
        client.get(f"/meetings/{meeting.pk}/rsvp/yes/")
        sign_up(client, next_path=meeting.get_absolute_url())
        meeting_services.cancel_meeting(meeting=meeting)

        response = client.post(confirmation_link(), follow=True)

        assert Rsvp.objects.count() == 0
        assert "This meeting was cancelled, so it takes no answers." in response.content.decode()


@pytest.mark.django_db
class TestAnAnswerThroughLogIn:
    def test_logging_in_records_the_answer_and_returns_to_the_meeting(self, client, meeting):
        member = UserFactory(email="ana@example.org", password=PASSWORD)
        EmailAddress.objects.create(user=member, email=member.email, verified=True, primary=True)
        client.get(f"/meetings/{meeting.pk}/rsvp/no/")

        response = client.post(
            f"/accounts/login/?next=/meetings/{meeting.pk}/",
            {"login": "ana@example.org", "password": PASSWORD, "next": f"/meetings/{meeting.pk}/"},
        )

        assert response["Location"] == f"/meetings/{meeting.pk}/"
        assert Rsvp.objects.get(user=member, meeting=meeting).response == "no"

    def test_an_unconfirmed_member_logging_in_keeps_the_answer_for_later(self, client, meeting):
        member = UserFactory(email="ana@example.org", password=PASSWORD)
        EmailAddress.objects.create(user=member, email=member.email, verified=False, primary=True)
        client.get(f"/meetings/{meeting.pk}/rsvp/yes/")

        client.post("/accounts/login/", {"login": "ana@example.org", "password": PASSWORD})

        member.refresh_from_db()
        assert Rsvp.objects.count() == 0
        assert (member.pending_meeting, member.pending_response) == (meeting, "yes")

    def test_a_session_answer_for_a_deleted_meeting_is_dropped(self, client, meeting):
        member = UserFactory(email="ana@example.org", password=PASSWORD)
        EmailAddress.objects.create(user=member, email=member.email, verified=True, primary=True)
        client.get(f"/meetings/{meeting.pk}/rsvp/yes/")
        meeting.delete()

        response = client.post(
            "/accounts/login/", {"login": "ana@example.org", "password": PASSWORD}
        )

        assert response.status_code == 302
        assert Rsvp.objects.count() == 0
