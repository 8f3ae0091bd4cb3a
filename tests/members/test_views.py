import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.test import Client
from pytest_django.asserts import assertContains

from meetings import services as meeting_services
from members.models import Attendance, Follow, Rsvp, User
from tests.factories import MeetingFactory, SeriesFactory, UserFactory
from tests.members.practice import support

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


def verified_member(**fields) -> User:
    user = UserFactory(**fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def member(db):
    return verified_member(display_name="Asha", timezone="Asia/Kolkata")


@pytest.fixture
def signed_in(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def future_meeting(db):
    return MeetingFactory(starts_at=datetime(2027, 1, 11, 14, 0, tzinfo=UTC))


def address_of(length: int) -> str:
    """A well-formed e-mail address of exactly `length` characters."""
    local, tail = "a" * 60 + "@", ".org"
    # Domain labels may have at most 63 characters: a dot after every 60.
    domain = "".join("." if i % 61 == 60 else "b" for i in range(length - len(local) - len(tail)))
    return local + domain + tail


LONG_ADDRESS = address_of(300)
TOO_LONG = "Ensure this value has at most 254 characters (it has 300)."


def sign_up_data(**overrides: str) -> dict[str, str]:
    return {
        "email": "asha@example.org",
        "display_name": "Asha",
        "timezone": "UTC",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }


def text_of(response) -> str:
    html = re.sub(r"<select.*?</select>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.django_db
class TestSignUp:
    def test_asks_for_display_name_and_a_zone_prefilled_from_the_browser(self, client):
        client.cookies["tz"] = "Asia/Kolkata"

        response = client.get("/accounts/signup/")

        form = response.context["form"]
        assert form["timezone"].initial == "Asia/Kolkata"
        assert '<option value="Asia/Kolkata" selected>' in response.content.decode()
        assert "display_name" in form.fields

    def test_creates_a_member_with_name_and_zone_and_sends_a_verification_link(self, client):
        response = client.post(
            "/accounts/signup/",
            {
                "email": "asha@example.org",
                "display_name": "Asha",
                "timezone": "Asia/Calcutta",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )

        user = User.objects.get(email="asha@example.org")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/confirm-email/"
        assert (user.display_name, str(user.timezone)) == ("Asha", "Asia/Kolkata")
        assert [message.to for message in mail.outbox] == [["asha@example.org"]]
        assert "/accounts/confirm-email/" in mail.outbox[0].body

    def test_an_unknown_zone_is_refused_with_a_message(self, client):
        response = client.post(
            "/accounts/signup/",
            {
                "email": "asha@example.org",
                "display_name": "Asha",
                "timezone": "Mars/Base",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )

        assert response.status_code == 200
        assert response.context["form"].errors["timezone"] == [
            "“Mars/Base” is not a time zone we know. Pick one from the list, "
            "for example Europe/Berlin or Asia/Kolkata."
        ]
        assert not User.objects.exists()

    @pytest.mark.parametrize("zone", ["localtime", "Factory", "posixrules"])
    def test_a_zone_file_that_names_no_place_is_refused_with_a_message(self, client, zone):
        response = client.post("/accounts/signup/", sign_up_data(timezone=zone))

        assert response.status_code == 200
        assert response.context["form"].errors == {
            "timezone": [
                f"“{zone}” is not a time zone we know. Pick one from the list, "
                "for example Europe/Berlin or Asia/Kolkata."
            ]
        }
        assert not User.objects.exists()

    def test_signing_up_with_a_taken_address_looks_the_same_as_a_new_one(self, client, member):
        def sign_up(email):
            return Client().post(
                "/accounts/signup/",
                {
                    "email": email,
                    "display_name": "Someone",
                    "timezone": "UTC",
                    "password1": PASSWORD,
                    "password2": PASSWORD,
                },
            )

        taken = sign_up(member.email)
        fresh = sign_up("new@example.org")

        assert (taken.status_code, taken["Location"]) == (fresh.status_code, fresh["Location"])
        assert User.objects.filter(email__iexact=member.email).count() == 1
        assert sorted(message.to[0] for message in mail.outbox) == [
            member.email,
            "new@example.org",
        ]

    def test_an_address_longer_than_the_column_is_refused_and_nothing_is_stored(self, client):
        response = client.post("/accounts/signup/", sign_up_data(email=LONG_ADDRESS))

        assert response.status_code == 200
        assert response.context["form"].errors == {"email": [TOO_LONG]}
        assertContains(response, TOO_LONG)
        assert not User.objects.exists()
        assert not EmailAddress.objects.exists()
        assert mail.outbox == []

    def test_signing_up_twice_with_a_long_address_is_refused_both_times_never_a_500(self, db):
        codes = [
            Client(raise_request_exception=False)
            .post("/accounts/signup/", sign_up_data(email=LONG_ADDRESS))
            .status_code
            for _ in range(2)
        ]

        assert codes == [200, 200]
        assert not User.objects.exists()

    def test_an_address_of_exactly_254_characters_is_stored_whole(self, client):
        address = address_of(254)

        response = client.post("/accounts/signup/", sign_up_data(email=address))

        assert response.status_code == 302
        assert list(User.objects.values_list("email", flat=True)) == [address]
        assert list(EmailAddress.objects.values_list("email", flat=True)) == [address]


@pytest.mark.django_db
class TestLogIn:
    def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(self, member):
        wrong = Client().post(
            "/accounts/login/", {"login": member.email, "password": "not it at all"}
        )
        unknown = Client().post(
            "/accounts/login/", {"login": "nobody@example.org", "password": "not it at all"}
        )

        assert wrong.status_code == unknown.status_code == 200
        assert wrong.context["form"].errors == unknown.context["form"].errors

    def test_logs_in_with_email_and_password(self, client, member):
        response = client.post("/accounts/login/", {"login": member.email, "password": PASSWORD})

        assert (response.status_code, response["Location"]) == (302, "/me/")

    def test_an_unverified_member_cannot_log_in_and_is_offered_the_link_again(self, client):
        user = UserFactory()
        EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)

        response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})

        assert response["Location"] == "/accounts/confirm-email/"
        assert "_auth_user_id" not in client.session

    def test_repeated_failures_lock_the_address_even_for_the_right_password(self, member):
        for n in range(5):
            Client().post("/accounts/login/", {"login": member.email, "password": f"wrong {n}"})

        response = Client().post("/accounts/login/", {"login": member.email, "password": PASSWORD})

        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [
            "Too many failed login attempts. Try again later."
        ]

    @pytest.mark.parametrize(
        "target",
        [
            "https://evil.example.com/",
            "//evil.example.com/",
            "/\\evil.example.com",
            "https:evil.example.com",
            "javascript:alert(1)",
        ],
    )
    def test_next_never_leaves_the_site(self, client, member, target):
        response = client.post(
            "/accounts/login/?next=" + target, {"login": member.email, "password": PASSWORD}
        )

        assert response.status_code == 302
        assert response["Location"] == "/me/"

    def test_a_next_that_is_no_url_at_all_is_ignored(self, client, member):
        response = client.post(
            "/accounts/login/?next=http://[", {"login": member.email, "password": PASSWORD}
        )

        assert (response.status_code, response["Location"]) == (302, "/me/")

    def test_a_next_with_a_nul_is_refused_before_anything_happens(self, client, member):
        response = client.post(
            "/accounts/login/?next=\x00//evil.example.com",
            {"login": member.email, "password": PASSWORD},
        )

        assert response.status_code == 400
        assert "Location" not in response
        assert "_auth_user_id" not in client.session

    def test_next_within_the_site_is_followed(self, client, member):
        response = client.post(
            "/accounts/login/?next=/series/cop-f-east/",
            {"login": member.email, "password": PASSWORD},
        )

        assert response["Location"] == "/series/cop-f-east/"

    def test_an_address_longer_than_the_column_is_refused_with_a_message(self, client):
        response = client.post("/accounts/login/", {"login": LONG_ADDRESS, "password": PASSWORD})

        assert response.status_code == 200
        assert response.context["form"].errors == {"login": [TOO_LONG]}
        assert "_auth_user_id" not in client.session


@pytest.mark.django_db
class TestPasswordReset:
    def test_known_and_unknown_addresses_get_the_same_answer(self, member):
        known = Client().post("/accounts/password/reset/", {"email": member.email})
        unknown = Client().post("/accounts/password/reset/", {"email": "nobody@example.org"})

        assert (known.status_code, known["Location"]) == (
            unknown.status_code,
            unknown["Location"],
        )
        assert sorted(message.to[0] for message in mail.outbox) == [
            member.email,
            "nobody@example.org",
        ]

    def test_repeated_requests_for_one_address_are_rate_limited(self, member):
        codes = [
            Client().post("/accounts/password/reset/", {"email": member.email}).status_code
            for _ in range(4)
        ]

        assert codes == [302, 302, 302, 429]

    def test_an_address_longer_than_the_column_is_refused_and_no_mail_is_sent(self, client):
        response = client.post("/accounts/password/reset/", {"email": LONG_ADDRESS})

        assert response.status_code == 200
        assert response.context["form"].errors == {"email": [TOO_LONG]}
        assert mail.outbox == []


@pytest.mark.django_db
class TestEmailAddresses:
    def test_adding_an_address_longer_than_the_column_is_refused_and_stores_nothing(
        self, signed_in, member
    ):
        response = signed_in.post("/accounts/email/", {"email": LONG_ADDRESS, "action_add": ""})

        assert response.status_code == 200
        assert response.context["form"].errors == {"email": [TOO_LONG]}
        assert list(EmailAddress.objects.values_list("email", flat=True)) == [member.email]
        assert mail.outbox == []

    def test_adding_an_address_of_254_characters_stores_it_whole(self, signed_in, member):
        address = address_of(254)

        response = signed_in.post("/accounts/email/", {"email": address, "action_add": ""})

        assert response.status_code == 302
        assert sorted(EmailAddress.objects.values_list("email", flat=True)) == sorted(
            [member.email, address]
        )


@pytest.mark.django_db
class TestRsvp:
    def test_a_verified_member_answers_yes_and_is_sent_back(
        self, signed_in, member, future_meeting
    ):
        response = signed_in.post(
            f"/meetings/{future_meeting.pk}/rsvp/", {"response": "yes", "next": "/"}
        )

        assert (response.status_code, response["Location"]) == (302, "/")
        assert list(Rsvp.objects.values_list("user", "meeting", "response")) == [
            (member.pk, future_meeting.pk, "yes")
        ]

    def test_answers_in_json_for_the_page_script(self, signed_in, future_meeting):
        response = signed_in.post(
            f"/meetings/{future_meeting.pk}/rsvp/",
            {"response": "maybe"},
            headers={"accept": "application/json"},
        )

        assert response.status_code == 200
        assert json.loads(response.content) == {
            "response": "maybe",
            "waitlist_position": None,
            "message": "You answered maybe.",
            "coming": 0,
            "coming_text": "0 coming, 1 maybe.",
            "names": [],
        }

    def test_a_replayed_request_changes_nothing(self, signed_in, future_meeting):
        signed_in.post(f"/meetings/{future_meeting.pk}/rsvp/", {"response": "yes"})
        first = Rsvp.objects.get()

        signed_in.post(f"/meetings/{future_meeting.pk}/rsvp/", {"response": "yes"})

        again = Rsvp.objects.get()
        assert (again.pk, again.updated_at, again.response) == (first.pk, first.updated_at, "yes")

    def test_only_the_signed_in_members_answer_changes(self, signed_in, member, future_meeting):
        other = verified_member()

        signed_in.post(
            f"/meetings/{future_meeting.pk}/rsvp/",
            {"response": "yes", "user": other.pk, "user_id": other.pk},
        )

        assert list(Rsvp.objects.values_list("user", flat=True)) == [member.pk]

    def test_an_unverified_member_is_refused_and_told_why(self, client, future_meeting):
        client.force_login(UserFactory())

        response = client.post(f"/meetings/{future_meeting.pk}/rsvp/", {"response": "yes"})

        assert response.status_code == 403
        assert "Confirm your e-mail address first" in text_of(response)
        assert not Rsvp.objects.exists()

    def test_the_meeting_page_offers_an_unverified_member_the_link_again(
        self, client, future_meeting
    ):
        client.force_login(UserFactory())

        response = client.get(future_meeting.get_absolute_url())

        assert "Confirm your e-mail address to answer" in text_of(response)
        assert 'name="action_send"' in response.content.decode()

    def test_a_visitor_is_sent_to_log_in(self, client, future_meeting):
        response = client.post(f"/meetings/{future_meeting.pk}/rsvp/", {"response": "yes"})

        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next=/meetings/{future_meeting.pk}/"

    @pytest.mark.parametrize("value", ["", "perhaps", "YES", "yes; DROP TABLE", "x" * 1000])
    def test_a_bad_answer_is_a_400_with_a_message(self, signed_in, future_meeting, value):
        response = signed_in.post(f"/meetings/{future_meeting.pk}/rsvp/", {"response": value})

        assert response.status_code == 400
        assert "Answer yes, maybe or no." in text_of(response)
        assert not Rsvp.objects.exists()

    def test_a_past_meeting_takes_no_answers(self, signed_in):
        past = MeetingFactory(starts_at=NOW - timedelta(days=1))

        response = signed_in.post(f"/meetings/{past.pk}/rsvp/", {"response": "yes"})

        assert response.status_code == 409
        assert "This meeting has already started, so answers are closed." in text_of(response)
        assert not Rsvp.objects.exists()

    def test_a_cancelled_meeting_takes_no_answers(self, signed_in, future_meeting):
        meeting_services.cancel_meeting(meeting=future_meeting)

        response = signed_in.post(
            f"/meetings/{future_meeting.pk}/rsvp/",
            {"response": "yes"},
            headers={"accept": "application/json"},
        )

        assert response.status_code == 409
        assert json.loads(response.content) == {
            "error": "This meeting was cancelled, so it takes no answers."
        }

    def test_an_unknown_meeting_is_404(self, signed_in):
        assert signed_in.post("/meetings/999999/rsvp/", {"response": "yes"}).status_code == 404

    def test_get_is_not_allowed(self, signed_in, future_meeting):
        assert signed_in.get(f"/meetings/{future_meeting.pk}/rsvp/").status_code == 405

    @pytest.mark.parametrize(
        "target", ["https://evil.example.com/", "//evil.example.com", "0", "schedule", "http://["]
    )
    def test_next_never_leaves_the_site(self, signed_in, future_meeting, target):
        response = signed_in.post(
            f"/meetings/{future_meeting.pk}/rsvp/", {"response": "yes", "next": target}
        )

        assert response["Location"] == future_meeting.get_absolute_url()

    def test_a_full_meeting_puts_a_yes_on_the_waitlist_with_its_position(
        self, signed_in, future_meeting
    ):
        future_meeting.capacity = 1
        future_meeting.save()
        Rsvp.objects.create(meeting=future_meeting, user=verified_member(), response="yes")

        response = signed_in.post(
            f"/meetings/{future_meeting.pk}/rsvp/",
            {"response": "yes"},
            headers={"accept": "application/json"},
        )

        body = json.loads(response.content)
        assert (body["waitlist_position"], body["coming"]) == (1, 1)
        assert body["message"].startswith("The meeting is full: you are number 1 on the waitlist.")


@pytest.mark.django_db
class TestCsrf:
    @pytest.fixture
    def strict(self, member):
        client = Client(enforce_csrf_checks=True)
        client.force_login(member)
        return client

    def test_every_post_without_a_token_is_refused(self, strict, future_meeting):
        series = SeriesFactory()
        posts = {
            f"/meetings/{future_meeting.pk}/rsvp/": {"response": "yes"},
            f"/series/{series.slug}/follow/": {"action": "follow"},
            "/me/": {"display_name": "X", "timezone": "UTC"},
            "/me/delete/": {"confirm": "DELETE"},
            "/accounts/logout/": {},
            "/accounts/email/": {"email": "x@example.org", "action_add": "1"},
        }

        codes = {path: strict.post(path, data).status_code for path, data in posts.items()}

        assert codes == dict.fromkeys(posts, 403)
        assert not Rsvp.objects.exists()
        assert not Follow.objects.exists()
        assert User.objects.filter(pk=strict.session["_auth_user_id"]).exists()

    def test_anonymous_posts_without_a_token_are_refused(self, db):
        strict = Client(enforce_csrf_checks=True)

        codes = [
            strict.post(
                "/accounts/login/", {"login": "a@example.org", "password": "x"}
            ).status_code,
            strict.post("/accounts/signup/", {"email": "a@example.org"}).status_code,
            strict.post("/accounts/password/reset/", {"email": "a@example.org"}).status_code,
        ]

        assert codes == [403, 403, 403]


@pytest.mark.django_db
class TestProfile:
    def test_a_visitor_is_sent_to_log_in(self, client):
        response = client.get("/me/")

        assert response["Location"] == "/accounts/login/?next=/me/"

    def test_lists_my_coming_meetings_with_my_answer_in_my_zone(
        self, signed_in, member, future_meeting
    ):
        Rsvp.objects.create(meeting=future_meeting, user=member, response="maybe")

        response = signed_in.get("/me/")

        text = text_of(response)
        assert "Mon 11 Jan 2027, 19:30–21:00 IST (14:00–15:30 UTC) Your answer: Maybe" in text
        assert response["Referrer-Policy"] == "same-origin"

    def test_saves_zone_name_and_reminder_preferences(self, signed_in, member):
        response = signed_in.post(
            "/me/",
            {
                "display_name": "Asha K",
                "timezone": "Europe/Kiev",
                "reminders_enabled": "on",
                "remind_hour_before": "on",
            },
        )

        member.refresh_from_db()
        assert response.status_code == 302
        assert (member.display_name, str(member.timezone)) == ("Asha K", "Europe/Kyiv")
        assert (member.reminders_enabled, member.remind_day_before, member.remind_hour_before) == (
            True,
            False,
            True,
        )

    @pytest.mark.parametrize(
        "zone",
        [
            "Mars/Base",
            "",
            "../../etc/passwd",
            "Europe/Berlin;UTC",
            "localtime",
            "Factory",
            "posixrules",
        ],
    )
    def test_refuses_a_bad_zone_and_changes_nothing(self, signed_in, member, zone):
        response = signed_in.post("/me/", {"display_name": "Changed", "timezone": zone})

        member.refresh_from_db()
        assert response.status_code == 400
        assert response.context["form"].errors["timezone"]
        assert (member.display_name, str(member.timezone)) == ("Asha", "Asia/Kolkata")

    @pytest.mark.parametrize("count", [1, 30])
    def test_uses_the_same_queries_for_1_and_30_answers(
        self, signed_in, member, django_assert_num_queries, count
    ):
        for day in range(count):
            meeting = MeetingFactory(
                starts_at=datetime(2027, 1, 1, 14, tzinfo=UTC) + timedelta(days=day)
            )
            Rsvp.objects.create(meeting=meeting, user=member, response="yes")
            past = MeetingFactory(starts_at=NOW - timedelta(days=day + 1))
            Rsvp.objects.create(meeting=past, user=member, response="yes")
            Attendance.objects.create(meeting=past, user=member, present=True, source="join")

        # The six of before (session, member, verified, follows, series, coming answers)
        # and one more: the member's past meetings with their attendance; and the member's
        # permissions and their groups' (is this an organizer, to offer their tools?).
        with django_assert_num_queries(9):
            response = signed_in.get("/me/")

        assert len(response.context["answers"]) == count
        assert len(response.context["record"]) == count

    def test_shows_my_past_meetings_with_what_each_came_to(self, signed_in, member):
        came = MeetingFactory(title="Came", starts_at=NOW - timedelta(days=7))
        missed = MeetingFactory(title="Missed", starts_at=NOW - timedelta(days=3))
        Rsvp.objects.create(meeting=came, user=member, response="yes")
        Rsvp.objects.create(meeting=missed, user=member, response="yes")
        Attendance.objects.create(meeting=came, user=member, present=True, source="join")
        Attendance.objects.create(meeting=missed, user=member, present=False, source="marked")

        response = signed_in.get("/me/")

        assert [
            (local.meeting.title, entry.state_label) for local, entry in response.context["record"]
        ] == [("Missed", "no-show"), ("Came", "attended")]

    def test_follow_and_unfollow_a_series(self, signed_in, member):
        series = SeriesFactory(slug="cop-f-east", name="CoP-F East")

        signed_in.post("/series/cop-f-east/follow/", {"action": "follow"})
        signed_in.post("/series/cop-f-east/follow/", {"action": "follow"})
        following = list(Follow.objects.values_list("user", "series"))
        signed_in.post("/series/cop-f-east/follow/", {"action": "unfollow"})

        assert following == [(member.pk, series.pk)]
        assert not Follow.objects.exists()

    def test_the_series_page_offers_follow_to_members(self, signed_in):
        SeriesFactory(slug="cop-f-east", name="CoP-F East")

        response = signed_in.get("/series/cop-f-east/")

        assert "Follow CoP-F East" in text_of(response)

    def test_downloads_my_data_as_json(self, signed_in, member, future_meeting):
        Rsvp.objects.create(meeting=future_meeting, user=member, response="yes")

        response = signed_in.get("/me/data.json")

        data = json.loads(response.content)
        assert response["Content-Disposition"] == 'attachment; filename="copf-my-data.json"'
        assert (data["email"], data["timezone"]) == (member.email, "Asia/Kolkata")
        assert [rsvp["response"] for rsvp in data["rsvps"]] == ["yes"]

    def test_deleting_my_account_needs_the_word_and_removes_my_answers(
        self, signed_in, member, future_meeting
    ):
        Rsvp.objects.create(meeting=future_meeting, user=member, response="yes")

        refused = signed_in.post("/me/delete/", {"confirm": "delete"})
        assert refused.status_code == 400
        assert User.objects.filter(pk=member.pk).exists()

        response = signed_in.post("/me/delete/", {"confirm": "DELETE"})

        assert (response.status_code, response["Location"]) == (302, "/")
        assert not User.objects.filter(pk=member.pk).exists()
        assert not Rsvp.objects.exists()
        assert "_auth_user_id" not in signed_in.session


@pytest.mark.django_db
class TestMeetingPage:
    def test_shows_how_many_are_coming_to_anyone_and_names_only_to_verified_members(
        self, client, future_meeting
    ):
        for name in ("Bo", "Ana"):
            Rsvp.objects.create(
                meeting=future_meeting, user=verified_member(display_name=name), response="yes"
            )
        Rsvp.objects.create(meeting=future_meeting, user=verified_member(), response="maybe")

        anonymous = text_of(client.get(future_meeting.get_absolute_url()))
        client.force_login(verified_member())
        member_view = client.get(future_meeting.get_absolute_url())

        assert "2 coming, 1 maybe." in anonymous
        assert "Ana" not in anonymous
        assert list(member_view.context["names"]) == ["Ana", "Bo"]
        assert "@example.org" not in member_view.content.decode()

    def test_an_unverified_member_sees_no_names(self, client, future_meeting):
        Rsvp.objects.create(
            meeting=future_meeting, user=verified_member(display_name="Ana"), response="yes"
        )
        client.force_login(UserFactory())

        response = client.get(future_meeting.get_absolute_url())

        assert response.context["names"] is None
        assert "Ana" not in text_of(response)

    @pytest.mark.parametrize("count", [1, 40])
    def test_uses_the_same_queries_for_1_and_40_answers(
        self, signed_in, future_meeting, django_assert_num_queries, count
    ):
        for _ in range(count):
            Rsvp.objects.create(meeting=future_meeting, user=verified_member(), response="yes")

        signed_in.get(future_meeting.get_absolute_url())  # the shared part, now cached

        # Session, member, the meeting; the schedule version (the shared part comes from
        # this process's memory); the meeting and the member's answer for their parts;
        # whether they confirmed their address, the answer counts and the names; the
        # practice: roles, holders, agenda, harvest, the member's permissions (two) and
        # whether they confirmed their address, asked again by the practice's part.
        with django_assert_num_queries(16):
            response = signed_in.get(future_meeting.get_absolute_url())

        assert len(response.context["names"]) == count

    @pytest.mark.parametrize("count", [1, 10])
    def test_the_schedule_shows_my_answers_without_a_query_per_meeting(
        self, signed_in, member, django_assert_num_queries, count
    ):
        series = SeriesFactory()
        for day in range(count):
            meeting = MeetingFactory(
                series=series, starts_at=datetime(2027, 1, 1, 14, tzinfo=UTC) + timedelta(days=day)
            )
            Rsvp.objects.create(meeting=meeting, user=member, response="yes")

        signed_in.get("/")  # the shared part, now cached

        # Session, member, the schedule version (the shared part comes from this process's
        # memory), the meetings on the page with the member's answers.
        with django_assert_num_queries(5):
            response = signed_in.get("/")

        # Each meeting on the list, and the series' next one again on its card.
        assert response.content.decode().count('aria-pressed="true"') == count + 1


@pytest.mark.django_db
class TestRsvpStart:
    def test_a_member_gets_one_button_that_answers(self, signed_in, future_meeting):
        response = signed_in.get(f"/meetings/{future_meeting.pk}/rsvp/maybe/")

        html = response.content.decode()
        assert response.status_code == 200
        assert '<button type="submit" name="response" value="maybe">Answer “Maybe”</button>' in html
        assert Rsvp.objects.count() == 0

    @pytest.mark.parametrize("response", ["perhaps", "YES", "%00"])
    def test_an_answer_that_is_not_one_is_400_and_keeps_nothing(
        self, client, future_meeting, response
    ):
        refused = client.get(f"/meetings/{future_meeting.pk}/rsvp/{response}/")

        assert refused.status_code in (400, 404)
        assert "held_answer" not in client.session

    def test_an_unconfirmed_member_answering_is_told_it_waits_for_the_confirmation(
        self, client, future_meeting
    ):
        member = UserFactory()
        client.force_login(member)

        response = client.post(f"/meetings/{future_meeting.pk}/rsvp/", {"response": "yes"})

        member.refresh_from_db()
        assert response.status_code == 403
        assert "Your answer is recorded as soon as you do." in text_of(response)
        assert (member.pending_meeting, member.pending_response) == (future_meeting, "yes")


@pytest.mark.django_db
class TestJoinButton:
    def answer(self, member, meeting, response="yes"):
        Rsvp.objects.create(meeting=meeting, user=member, response=response)

    def test_before_the_call_opens_it_says_when(self, signed_in, member, future_meeting):
        self.answer(member, future_meeting)

        text = text_of(signed_in.get(future_meeting.get_absolute_url()))

        assert "Join the call The link opens 15 minutes before the start, at 19:15 IST." in text

    def test_from_15_minutes_before_it_is_the_members_join_link(self, signed_in, member):
        meeting = MeetingFactory(starts_at=NOW + timedelta(minutes=15))
        self.answer(member, meeting, "maybe")

        html = signed_in.get(meeting.get_absolute_url()).content.decode()

        assert (
            f'<a class="button button-join" href="/meetings/{meeting.pk}/join/" rel="noopener">'
            "Join the call</a>"
        ) in html
        assert "https://meet.example.org/copf" not in html

    def test_a_member_who_said_no_is_told_how_to_get_the_button(self, signed_in, member):
        meeting = MeetingFactory(starts_at=NOW + timedelta(minutes=5))
        self.answer(member, meeting, "no")

        text = text_of(signed_in.get(meeting.get_absolute_url()))

        assert "Answer yes or maybe to get the Join button" in text
        assert "Join the call" not in text

    def test_once_started_a_member_who_said_no_is_not_asked_to_answer(self, signed_in, member):
        meeting = MeetingFactory(starts_at=NOW - timedelta(minutes=5))
        self.answer(member, meeting, "no")

        text = text_of(signed_in.get(meeting.get_absolute_url()))

        assert "The session has started: the Join button is for members who answered" in text
        assert "Join the call" not in text

    def test_a_series_without_a_call_link_says_so(self, signed_in, member):
        meeting = MeetingFactory(
            series=SeriesFactory(join_url=""), starts_at=datetime(2027, 1, 11, 14, tzinfo=UTC)
        )
        self.answer(member, meeting)

        text = text_of(signed_in.get(meeting.get_absolute_url()))

        assert "The organizers have not added the call link yet." in text


@pytest.mark.django_db
def test_the_profile_offers_organizers_their_tools_and_members_none(client):
    client.force_login(support.organizer("Olu"))
    tools = client.get("/me/").content.decode()
    client.force_login(support.member("Ana"))
    plain = client.get("/me/").content.decode()

    assert ("/polls/new/" in tools, "/insights/" in tools) == (True, True)
    assert ("/polls/" in plain, "/insights/" in plain) == (False, False)
