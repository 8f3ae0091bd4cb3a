"""The delivery list in the admin: state, reason, and sending again."""

import smtplib
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse

from members.models import Delivery
from tests.members.deliveries.support import (
    NOW,
    answer,
    east,
    member,
    send,
    the,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_settings", "clock")]

# --- admin -----------------------------------------------------------------------------


DELIVERY_LIST_URL = "admin:members_delivery_changelist"
REFUSED = "Recipient refused: asha@example.org: 550 no such user"


def failed_invite(smtp_fails) -> Delivery:
    user = member()
    answer(user, east(), "yes")
    invite = the(Delivery.Kind.INVITE, user)
    smtp_fails(smtplib.SMTPRecipientsRefused({"asha@example.org": (550, b"no such user")}))
    send(invite)
    invite.refresh_from_db()
    return invite


def test_the_delivery_list_shows_state_and_reason(client, staff, smtp_fails):
    failed_invite(smtp_fails)
    client.force_login(staff)

    response = client.get(reverse(DELIVERY_LIST_URL))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<td class="field-state">Failed</td>' in html
    assert f'<td class="field-reason">{REFUSED}</td>' in html


def test_the_resend_action_puts_a_failed_row_back_and_enqueues_it(
    client, clock, staff, smtp_fails, django_capture_on_commit_callbacks, published_deliveries
):
    invite = failed_invite(smtp_fails)
    client.force_login(staff)
    clock.shift(timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(DELIVERY_LIST_URL),
            {"action": "resend", "_selected_action": [invite.pk]},
            follow=True,
        )

    invite.refresh_from_db()
    assert response.status_code == 200
    assert [str(message) for message in response.context["messages"]] == [
        "1 message(s) will be sent again."
    ]
    assert (invite.state, invite.due_at, invite.attempts, invite.last_error) == (
        "pending",
        NOW + timedelta(hours=1),
        0,
        "",
    )
    assert published_deliveries == [invite.pk]


def test_the_delivery_list_says_that_mail_is_failing_and_why(client, staff, smtp_fails):
    user = member()
    answer(user, east(), "yes")
    smtp_fails(smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication credentials invalid"))
    send(the(Delivery.Kind.INVITE, user))
    client.force_login(staff)

    response = client.get(reverse(DELIVERY_LIST_URL))

    assert [str(message) for message in response.context["messages"]] == [
        "Mail is failing since 2027-01-04 09:00 UTC: SMTP 535: 5.7.8 Authentication "
        "credentials invalid. Sending is paused and messages wait; the next try is at "
        "09:00:30 UTC."
    ]


# --- the admin's log-in -----------------------------------------------------------------

ADMIN_PASSWORD = "a long admin pass phrase"


@pytest.fixture
def admin_user(staff):
    staff.set_password(ADMIN_PASSWORD)
    staff.save()
    return staff


@pytest.fixture(autouse=True)
def empty_rate_limits():
    cache.clear()
    yield
    cache.clear()


def admin_login(client, *, email: str, password: str):
    return client.post(reverse("admin:login"), {"username": email, "password": password})


def test_an_admin_signs_in_with_the_right_password(client, admin_user):
    response = admin_login(client, email=admin_user.email, password=ADMIN_PASSWORD)

    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_after_twenty_wrong_passwords_the_admin_refuses_even_the_right_one(client, admin_user):
    for _ in range(20):
        admin_login(client, email=admin_user.email, password="guess")

    response = admin_login(client, email=admin_user.email, password=ADMIN_PASSWORD)

    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_passwords_at_the_admin_count_against_the_sites_log_in(client, admin_user):
    for _ in range(5):
        admin_login(client, email=admin_user.email, password="guess")

    response = client.post(
        reverse("account_login"), {"login": admin_user.email, "password": ADMIN_PASSWORD}
    )

    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
