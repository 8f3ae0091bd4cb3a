"""The admin: users, and the delivery list (state, reason, and sending again)."""

import smtplib
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from meetings.models import Meeting, ScheduleVersion
from members.models import Delivery, Rsvp, User
from members.services import set_rsvp
from tests.factories import MeetingFactory, UserFactory
from tests.members.deliveries.support import (
    NOW,
    answer,
    east,
    guest_votes,
    make_poll,
    member,
    organizer,
    send,
    the,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_settings", "clock")]

# --- users -----------------------------------------------------------------------------

ADD_USER_URL = reverse("admin:members_user_add")
LONG_ADDRESS = "a" * 60 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + "." + "e" * 52 + ".org"
TOO_LONG = "Ensure this value has at most 254 characters (it has 300)."


def change_user_url(user: User) -> str:
    return reverse("admin:members_user_change", args=[user.pk])


def user_change_data(user: User, **overrides: str) -> dict[str, str]:
    """The change form as the admin page fills it in, for a staff member in UTC."""
    return {
        "email": user.email,
        "display_name": user.display_name,
        "timezone": str(user.timezone),
        "is_active": "on",
        "date_joined_0": f"{user.date_joined:%Y-%m-%d}",
        "date_joined_1": f"{user.date_joined:%H:%M:%S}",
        "last_login_0": "",
        "last_login_1": "",
        **overrides,
    }


def test_adding_a_user_with_an_address_longer_than_the_column_is_refused(client, staff):
    client.force_login(staff)

    response = client.post(
        ADD_USER_URL,
        {
            "email": LONG_ADDRESS,
            "display_name": "Asha",
            "timezone": "UTC",
            "password1": "a long pass phrase",
            "password2": "a long pass phrase",
            "usable_password": "true",
        },
    )

    assert len(LONG_ADDRESS) == 300
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"email": [TOO_LONG]}
    assert list(User.objects.all()) == [staff]


def test_changing_an_address_to_one_longer_than_the_column_is_refused(client, staff):
    user = member()
    client.force_login(staff)

    response = client.post(change_user_url(user), user_change_data(user, email=LONG_ADDRESS))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"email": [TOO_LONG]}
    assert User.objects.get(pk=user.pk).email == user.email


@pytest.mark.parametrize(
    ("admin_zone", "joined"),
    [
        pytest.param("Asia/Tokyo", ("0001-01-01", "00:00:00"), id="before-year-1-in-utc"),
        pytest.param("America/New_York", ("9999-12-31", "23:59:00"), id="after-9999-in-utc"),
        pytest.param("UTC", ("1969-12-31", "23:59:00"), id="before-1970"),
    ],
)
def test_a_join_date_at_the_edge_of_the_calendar_is_refused_and_changes_nothing(
    client, admin_zone, joined
):
    user = member()
    client.force_login(User.objects.create_superuser("boss@example.org", "x", timezone=admin_zone))
    day, time = joined

    response = client.post(
        change_user_url(user), user_change_data(user, date_joined_0=day, date_joined_1=time)
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "date_joined": ["Enter a time in the years 1970 to 2200 (UTC)."]
    }
    assert User.objects.get(pk=user.pk).date_joined == user.date_joined


def test_a_valid_change_of_a_user_is_saved(client, staff):
    user = member()
    client.force_login(staff)

    response = client.post(change_user_url(user), user_change_data(user, display_name="Asha K"))

    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).display_name == "Asha K"


@pytest.mark.parametrize("zone", ["posixrules", "localtime", "Factory"])
def test_a_zone_that_names_no_place_is_refused_in_the_user_admin_and_changes_nothing(
    client, staff, zone
):
    user = member()
    client.force_login(staff)

    response = client.post(change_user_url(user), user_change_data(user, timezone=zone))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "timezone": [
            f"“{zone}” is not a time zone we know. Pick one from the list, "
            "for example Europe/Berlin or Asia/Kolkata."
        ]
    }
    assert str(User.objects.get(pk=user.pk).timezone) == "UTC"


def test_adding_a_user_with_a_zone_that_names_no_place_is_refused(client, staff):
    client.force_login(staff)

    response = client.post(
        ADD_USER_URL,
        {
            "email": "asha@example.org",
            "display_name": "Asha",
            "timezone": "localtime",
            "password1": "a long pass phrase",
            "password2": "a long pass phrase",
            "usable_password": "true",
        },
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["timezone"]
    assert list(User.objects.all()) == [staff]


def test_a_legacy_zone_name_in_the_user_admin_is_stored_under_its_current_name(client, staff):
    user = member()
    client.force_login(staff)

    response = client.post(change_user_url(user), user_change_data(user, timezone="Asia/Calcutta"))

    assert response.status_code == 302
    assert str(User.objects.get(pk=user.pk).timezone) == "Asia/Kolkata"


def test_a_user_stored_under_a_legacy_zone_name_shows_its_current_name_selected(client, staff):
    user = member()
    User.objects.filter(pk=user.pk).update(timezone="Europe/Kiev")
    client.force_login(staff)

    response = client.get(change_user_url(user))

    assert response.context["adminform"].form["timezone"].value() == "Europe/Kyiv"
    assertContains(response, '<option value="Europe/Kyiv" selected>')


# --- deliveries ------------------------------------------------------------------------


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


def test_the_delivery_list_and_a_rows_page_show_poll_mail_to_members_and_guests(client, staff):
    olu = organizer()
    poll = make_poll(by=olu, audience="link", title="Open to all")
    guest_votes(poll, name="Bia")
    make_poll(by=olu, title="CoP-F South")
    client.force_login(staff)

    listing = client.get(reverse(DELIVERY_LIST_URL))
    guest_row = Delivery.objects.get(kind=Delivery.Kind.POLL_CONFIRM)
    page = client.get(reverse("admin:members_delivery_change", args=[guest_row.pk]))
    found = client.get(reverse(DELIVERY_LIST_URL), {"q": "bia@guest"})

    html = listing.content.decode()
    assert (listing.status_code, page.status_code, found.status_code) == (200, 200, 200)
    assert '<td class="field-recipient">bia@guest.example.net (guest)</td>' in html
    assert '<td class="field-about">Poll: Open to all</td>' in html
    assert f'<td class="field-recipient">{olu}</td>' in html
    assert '<td class="field-about">Poll: CoP-F South</td>' in html
    assert list(found.context["cl"].result_list) == [guest_row]


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


@pytest.mark.parametrize("query", ["due_at__year=9999", "due_at__year=9999&due_at__month=12"])
def test_the_delivery_list_drilled_down_past_the_supported_years_is_refused_not_a_500(
    client, staff, query
):
    client.force_login(staff)
    url = reverse(DELIVERY_LIST_URL)

    response = client.get(f"{url}?{query}")

    assert (response.status_code, response["Location"]) == (302, f"{url}?e=1")


def seated_and_waiting() -> tuple[Meeting, User, User]:
    meeting = MeetingFactory(starts_at=timezone.now() + timedelta(days=7), capacity=1)
    seated, waiting = UserFactory(), UserFactory()
    set_rsvp(user=seated, meeting=meeting, response="yes")
    set_rsvp(user=waiting, meeting=meeting, response="yes")
    return meeting, seated, waiting


def test_deleting_a_user_in_the_admin_hands_their_seat_on_and_moves_the_version(client, staff):
    meeting, seated, waiting = seated_and_waiting()
    before = ScheduleVersion.objects.current()
    client.force_login(staff)

    response = client.post(reverse("admin:members_user_delete", args=[seated.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=seated.pk).exists()
    assert list(
        Rsvp.objects.filter(meeting=meeting).holding_seats().values_list("user", flat=True)
    ) == [waiting.pk]
    assert ScheduleVersion.objects.current() > before


def test_deleting_users_from_the_list_hands_their_seats_on(client, staff):
    meeting, seated, waiting = seated_and_waiting()
    client.force_login(staff)

    response = client.post(
        reverse("admin:members_user_changelist"),
        {"action": "delete_selected", "_selected_action": [seated.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert list(
        Rsvp.objects.filter(meeting=meeting).holding_seats().values_list("user", flat=True)
    ) == [waiting.pk]
