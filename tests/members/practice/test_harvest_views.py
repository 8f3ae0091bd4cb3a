from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import Client
from django.utils.html import escape

from meetings import services as meeting_services
from meetings.permissions import ensure_organizers_group
from members.models import (
    Harvest,
    HarvestDecision,
    HarvestObjection,
    HarvestRevision,
    RoleAssignment,
    User,
)
from members.practice import harvests
from members.practice.access import may_write_harvest
from members.practice.forms import MAX_DECISIONS
from tests.factories import MeetingFactory, SeriesFactory, UserFactory

# A Wednesday, nine days after CoP-F East of 11 January 2027.
NOW = datetime(2027, 1, 20, 12, 0, tzinfo=UTC)
STARTS = datetime(2027, 1, 11, 14, 0, tzinfo=UTC)
SITE = "https://copf.example.org"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE


def verified_member(**fields) -> User:
    user = UserFactory(**fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def holding(role: str, meeting, **fields) -> User:
    user = verified_member(**fields)
    RoleAssignment.objects.create(meeting=meeting, role=role, user=user)
    return user


def organizer(**fields) -> User:
    user = verified_member(**fields)
    user.groups.add(ensure_organizers_group())
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def series(db):
    return SeriesFactory(name="CoP-F East", slug="cop-f-east")


@pytest.fixture
def meeting(series):
    return MeetingFactory(series=series, starts_at=STARTS)


@pytest.fixture
def harvester(meeting):
    return holding("harvester", meeting, display_name="Hana", timezone="Asia/Kolkata")


def form_data(
    *,
    action: str = "save",
    based_on: int | None = None,
    practised: str = "",
    learnt: str = "",
    resources: str = "",
    decisions: tuple[str, ...] = (),
    objections: tuple[tuple[object, str, str], ...] = (),
) -> dict[str, object]:
    """What the form posts: the texts, and one formset row per decision and objection."""
    data: dict[str, object] = {
        "action": action,
        "based_on": "" if based_on is None else based_on,
        "practised": practised,
        "learnt": learnt,
        "resources": resources,
        "decisions-TOTAL_FORMS": len(decisions),
        "decisions-INITIAL_FORMS": 0,
        "objections-TOTAL_FORMS": len(objections),
        "objections-INITIAL_FORMS": 0,
    }
    for index, proposal in enumerate(decisions):
        data[f"decisions-{index}-proposal"] = proposal
    for index, (number, objection, integration) in enumerate(objections):
        data[f"objections-{index}-decision"] = number
        data[f"objections-{index}-objection"] = objection
        data[f"objections-{index}-integration"] = integration
    return data


def as_shown(response, *, action: str = "publish") -> dict[str, object]:
    """What the edit page's form posts when sent back untouched."""
    context = response.context
    forms = [
        context["form"],
        context["decisions"].management_form,
        context["objections"].management_form,
        *context["decisions"].forms,
        *context["objections"].forms,
    ]
    data: dict[str, object] = {"action": action}
    for form in forms:
        for field in form:
            value = field.value()
            data[field.html_name] = "" if value is None else value
    return data


def edit_url(meeting) -> str:
    return f"/meetings/{meeting.pk}/harvest/"


def publish(meeting, *, author: User, marker: str = "rounds", **text) -> Harvest:
    """A published harvest, written through the service as the form would; the author
    becomes the meeting's harvester if they may not write it yet."""
    if not may_write_harvest(user=author, meeting=meeting):
        RoleAssignment.objects.create(meeting=meeting, role="harvester", user=author)
    content = harvests.HarvestText(
        practised=text.get("practised", f"We practised **{marker}**."),
        learnt=text.get("learnt", "Silence is an answer too."),
        resources=text.get("resources", "[S3](https://sociocracy30.org)"),
        decisions=text.get(
            "decisions",
            [
                harvests.Decision(
                    proposal="Harvests go out the day after.",
                    objections=[
                        harvests.Objection(
                            objection="Too soon for the harvester.",
                            integration="Within two days.",
                        )
                    ],
                )
            ],
        ),
    )
    harvest = Harvest.objects.filter(meeting=meeting).first()
    return harvests.save_harvest(
        user=author,
        meeting=meeting,
        text=content,
        based_on=harvests.latest_revision_id(harvest),
        publish=True,
    )


def nothing_written() -> bool:
    return not (
        Harvest.objects.exists()
        or HarvestDecision.objects.exists()
        or HarvestObjection.objects.exists()
        or HarvestRevision.objects.exists()
    )


# --- writing -------------------------------------------------------------------------------


@pytest.mark.django_db
class TestTheForm:
    def test_the_harvester_gets_an_empty_form_with_nothing_to_build_on(self, meeting, harvester):
        response = signed_in(harvester).get(edit_url(meeting))

        assert response.status_code == 200
        form = response.context["form"]
        assert form["based_on"].value() is None
        assert response.context["decisions"].total_form_count() == 2
        assert response.context["objections"].total_form_count() == 2
        assert b'name="action" value="save"' in response.content
        assert b'name="action" value="publish"' in response.content

    @pytest.mark.parametrize("writer", ["facilitator", "organizer"])
    def test_the_facilitator_and_an_organizer_get_the_form_too(self, meeting, writer):
        user = organizer() if writer == "organizer" else holding("facilitator", meeting)

        assert signed_in(user).get(edit_url(meeting)).status_code == 200

    def test_the_form_comes_back_with_what_was_saved_and_two_blank_rows(self, meeting, harvester):
        harvest = publish(meeting, author=harvester)

        response = signed_in(harvester).get(edit_url(meeting))

        assert response.context["form"]["based_on"].value() == harvest.revisions.get().pk
        assert response.context["form"]["practised"].value() == "We practised **rounds**."
        decisions = response.context["decisions"]
        assert [form["proposal"].value() for form in decisions] == [
            "Harvests go out the day after.",
            None,
            None,
        ]
        objections = response.context["objections"]
        assert [
            (form["decision"].value(), form["objection"].value(), form["integration"].value())
            for form in objections
        ] == [
            (1, "Too soon for the harvester.", "Within two days."),
            (None, None, None),
            (None, None, None),
        ]

    def test_the_form_sent_back_as_it_came_keeps_the_harvest_as_it_was(self, meeting, harvester):
        harvest = publish(meeting, author=harvester)
        before = harvests.harvest_text(harvest)
        client = signed_in(harvester)

        response = client.post(edit_url(meeting), as_shown(client.get(edit_url(meeting))))

        assert response.status_code == 302
        assert harvests.harvest_text(Harvest.objects.get()) == before
        assert HarvestRevision.objects.count() == 2

    def test_a_published_harvest_offers_save_changes_and_the_organizer_a_withdraw_button(
        self, meeting, harvester
    ):
        publish(meeting, author=harvester)

        as_organizer = signed_in(organizer()).get(edit_url(meeting)).content.decode()
        as_harvester = signed_in(harvester).get(edit_url(meeting)).content.decode()

        assert 'value="save"' not in as_organizer
        assert "Save changes" in as_organizer
        assert f'action="/meetings/{meeting.pk}/harvest/withdraw/"' in as_organizer
        assert "/harvest/withdraw/" not in as_harvester


@pytest.mark.django_db
class TestWhoMayWrite:
    @pytest.mark.parametrize("who", ["visitor", "member", "co-facilitator", "unconfirmed"])
    def test_anyone_else_gets_403_and_nothing_is_written(self, meeting, who):
        if who == "visitor":
            client = Client()
        elif who == "unconfirmed":
            user = UserFactory()
            RoleAssignment.objects.create(meeting=meeting, role="harvester", user=user)
            client = signed_in(user)
        elif who == "co-facilitator":
            client = signed_in(holding("co-facilitator", meeting))
        else:
            client = signed_in(verified_member())

        page = client.get(edit_url(meeting))
        post = client.post(edit_url(meeting), form_data(action="publish", practised="Mine"))

        assert (page.status_code, post.status_code) == (403, 403)
        assert (
            "Only the harvester, the facilitator and organizers write the harvest."
            in post.content.decode()
        )
        assert nothing_written()

    def test_a_visitor_is_offered_to_log_in_and_come_back(self, meeting):
        response = Client().get(edit_url(meeting))

        assert f'href="/accounts/login/?next=/meetings/{meeting.pk}/harvest/"' in (
            response.content.decode()
        )

    def test_a_harvester_of_another_meeting_may_not_write_this_one(self, series, meeting):
        other = MeetingFactory(series=series, starts_at=STARTS - timedelta(weeks=4))
        user = holding("harvester", other)

        response = signed_in(user).post(edit_url(meeting), form_data(practised="Mine"))

        assert response.status_code == 403
        assert nothing_written()

    def test_an_unknown_meeting_is_404(self, harvester):
        assert signed_in(harvester).get("/meetings/999999/harvest/").status_code == 404


@pytest.mark.django_db
class TestSaving:
    def test_save_draft_keeps_the_texts_decisions_and_objections_and_returns_to_the_form(
        self, meeting, harvester
    ):
        response = signed_in(harvester).post(
            edit_url(meeting),
            form_data(
                practised="We practised **rounds**.\r\n\r\n    a code block",
                learnt="Silence is an answer too.",
                resources="- [S3](https://sociocracy30.org)",
                decisions=("Harvests go out the day after.", "", "We rotate the host."),
                objections=(
                    (3, "Not every week.", "Every other week."),
                    ("", "", ""),
                    (1, "Too soon.", "Within two days."),
                    (3, "Who keeps the list?", "The timekeeper."),
                ),
            ),
        )

        assert response.status_code == 302
        assert response["Location"] == edit_url(meeting)
        harvest = Harvest.objects.get(meeting=meeting)
        assert harvest.state == Harvest.State.DRAFT
        assert harvest.published_at is None
        assert harvest.practised == "We practised **rounds**.\n\n    a code block"
        assert harvests.harvest_text(harvest) == harvests.HarvestText(
            practised="We practised **rounds**.\n\n    a code block",
            learnt="Silence is an answer too.",
            resources="- [S3](https://sociocracy30.org)",
            decisions=[
                harvests.Decision(
                    proposal="Harvests go out the day after.",
                    objections=[harvests.Objection("Too soon.", "Within two days.")],
                ),
                harvests.Decision(
                    proposal="We rotate the host.",
                    objections=[
                        harvests.Objection("Not every week.", "Every other week."),
                        harvests.Objection("Who keeps the list?", "The timekeeper."),
                    ],
                ),
            ],
        )
        revision = harvest.revisions.get()
        assert (revision.author, revision.created_at) == (harvester, NOW)

    def test_publish_publishes_and_leads_to_the_harvest_on_the_meeting_page(
        self, meeting, harvester
    ):
        response = signed_in(harvester).post(
            edit_url(meeting), form_data(action="publish", practised="Rounds")
        )

        assert response.status_code == 302
        assert response["Location"] == f"/meetings/{meeting.pk}/#harvest"
        harvest = Harvest.objects.get(meeting=meeting)
        assert (harvest.state, harvest.published_at) == (Harvest.State.PUBLISHED, NOW)

    def test_an_edit_builds_on_the_latest_revision(self, meeting, harvester, clock):
        client = signed_in(harvester)
        client.post(edit_url(meeting), form_data(practised="First"))
        first = HarvestRevision.objects.get()
        clock.shift(timedelta(minutes=5))

        response = client.post(edit_url(meeting), form_data(practised="Second", based_on=first.pk))

        assert response.status_code == 302
        assert Harvest.objects.get().practised == "Second"
        assert HarvestRevision.objects.count() == 2

    def test_a_stale_form_gets_409_keeps_the_text_to_copy_and_changes_nothing(
        self, meeting, harvester
    ):
        facilitator = holding("facilitator", meeting)
        signed_in(facilitator).post(edit_url(meeting), form_data(practised="Theirs"))

        response = signed_in(harvester).post(
            edit_url(meeting), form_data(practised="Mine, started before theirs")
        )

        assert response.status_code == 409
        page = response.content.decode()
        assert "Someone saved the harvest after you opened it." in page
        assert "Mine, started before theirs</textarea>" in page
        assert f'href="/meetings/{meeting.pk}/harvest/">Open the harvest again' in page
        assert Harvest.objects.get().practised == "Theirs"
        assert HarvestRevision.objects.count() == 1

    def test_a_form_naming_a_revision_that_is_not_the_latest_gets_409(self, meeting, harvester):
        publish(meeting, author=harvester)
        latest = HarvestRevision.objects.get()

        response = signed_in(harvester).post(
            edit_url(meeting), form_data(practised="Mine", based_on=latest.pk + 1)
        )

        assert response.status_code == 409
        assert Harvest.objects.get().practised == "We practised **rounds**."


@pytest.mark.django_db
class TestBadInput:
    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (
                form_data(practised="<script>alert(1)</script>"),
                "Write Markdown, without HTML or scripts",
            ),
            (
                form_data(learnt="We <img src=x onerror=alert(1)> met"),
                "Remove “&lt;img src=x onerror=alert(1)&gt;”.",
            ),
            (form_data(resources="[S3](javascript:alert(1))"), "Remove “javascript:alert(1)”."),
            (
                form_data(decisions=("<b onclick=alert(1)>Yes</b>",)),
                "Write plain text, without HTML or scripts",
            ),
            (form_data(practised="x" * 10_001), "Ensure this value has at most 10000"),
            (form_data(decisions=("x" * 2001,)), "Ensure this value has at most 2000"),
            (
                form_data(decisions=("A", ""), objections=((2, "Why?", "Because."),)),
                "Decision 2 has no text: write it or choose another.",
            ),
            (
                form_data(decisions=("A",), objections=((3, "Why?", "Because."),)),
                "Select a valid choice. 3 is not one of the available choices.",
            ),
            (
                form_data(decisions=("A",), objections=((1, "Why?", ""),)),
                "Write how the objection was integrated.",
            ),
            (
                form_data(decisions=("A",), objections=(("", "Why?", "Because."),)),
                "Choose the decision this objection was raised to.",
            ),
            (
                form_data(decisions=("A",) * (MAX_DECISIONS + 1)),
                "Please submit at most 20 forms.",
            ),
            (form_data(practised="Rounds", based_on="latest"), "Enter a whole number."),
            (form_data(practised="Rounds", action="delete"), "choose “Save draft” or “Publish”"),
        ],
    )
    def test_it_gets_400_with_the_form_messages_and_changes_nothing(
        self, meeting, harvester, data, message
    ):
        response = signed_in(harvester).post(edit_url(meeting), data)

        assert response.status_code == 400
        assert message in response.content.decode()
        assert nothing_written()

    def test_a_form_without_its_management_forms_gets_400(self, meeting, harvester):
        response = signed_in(harvester).post(
            edit_url(meeting), {"action": "save", "practised": "Rounds"}
        )

        assert response.status_code == 400
        assert "ManagementForm data is missing or has been tampered with" in (
            response.content.decode()
        )
        assert nothing_written()

    def test_markdown_code_showing_html_is_not_refused(self, meeting, harvester):
        response = signed_in(harvester).post(
            edit_url(meeting), form_data(practised="We wrote `<details>` by hand.")
        )

        assert response.status_code == 302
        assert Harvest.objects.get().practised == "We wrote `<details>` by hand."

    def test_control_characters_are_dropped_and_windows_line_ends_counted_as_one(
        self, meeting, harvester
    ):
        text = "a\r\n" * 3333 + "b\x01"  # 10,000 characters once "\r\n" is "\n"

        response = signed_in(harvester).post(edit_url(meeting), form_data(practised=text))

        assert response.status_code == 302
        assert Harvest.objects.get().practised == "a\n" * 3333 + "b"


@pytest.mark.django_db
class TestMeetingsThatTakeNoHarvest:
    def test_a_cancelled_meeting_gets_the_service_refusal(self, meeting, harvester):
        meeting_services.cancel_meeting(meeting=meeting)
        client = signed_in(harvester)

        page = client.get(edit_url(meeting))
        post = client.post(edit_url(meeting), form_data(action="publish", practised="Rounds"))

        assert (page.status_code, post.status_code) == (409, 409)
        assert "This meeting was cancelled: there is nothing to harvest." in post.content.decode()
        assert nothing_written()

    def test_a_meeting_that_has_not_started_gets_the_service_refusal(self, series):
        meeting = MeetingFactory(series=series, starts_at=NOW + timedelta(minutes=1))
        client = signed_in(holding("harvester", meeting))

        page = client.get(edit_url(meeting))
        post = client.post(edit_url(meeting), form_data(practised="Rounds"))

        assert (page.status_code, post.status_code) == (409, 409)
        assert "A harvest is written once the meeting has started." in post.content.decode()
        assert nothing_written()

    def test_a_meeting_that_started_a_minute_ago_takes_one(self, series):
        meeting = MeetingFactory(series=series, starts_at=NOW - timedelta(minutes=1))
        client = signed_in(holding("harvester", meeting))

        assert client.post(edit_url(meeting), form_data(practised="Rounds")).status_code == 302


# --- withdrawing -----------------------------------------------------------------------------


@pytest.mark.django_db
class TestWithdraw:
    def url(self, meeting) -> str:
        return f"/meetings/{meeting.pk}/harvest/withdraw/"

    def test_an_organizer_withdraws_a_published_harvest(self, meeting, harvester):
        publish(meeting, author=harvester)

        response = signed_in(organizer()).post(self.url(meeting))

        assert response.status_code == 302
        assert response["Location"] == f"/meetings/{meeting.pk}/"
        assert Harvest.objects.get().state == Harvest.State.WITHDRAWN

    @pytest.mark.parametrize("who", ["visitor", "harvester"])
    def test_anyone_else_gets_403_and_it_stays_published(self, meeting, harvester, who):
        publish(meeting, author=harvester)
        client = Client() if who == "visitor" else signed_in(harvester)

        response = client.post(self.url(meeting))

        assert response.status_code == 403
        assert "Only organizers withdraw a harvest." in response.content.decode()
        assert Harvest.objects.get().state == Harvest.State.PUBLISHED

    def test_nothing_published_gets_409(self, meeting, harvester):
        signed_in(harvester).post(edit_url(meeting), form_data(practised="A draft"))

        response = signed_in(organizer()).post(self.url(meeting))

        assert response.status_code == 409
        assert "This meeting has no published harvest." in response.content.decode()
        assert Harvest.objects.get().state == Harvest.State.DRAFT

    def test_it_takes_only_a_post(self, meeting, harvester):
        publish(meeting, author=harvester)

        assert signed_in(organizer()).get(self.url(meeting)).status_code == 405
        assert Harvest.objects.get().state == Harvest.State.PUBLISHED


# --- the history -----------------------------------------------------------------------------


@pytest.mark.django_db
class TestHistory:
    def url(self, meeting) -> str:
        return f"/meetings/{meeting.pk}/harvest/history/"

    def test_every_revision_newest_first_with_who_when_and_its_text_rendered(
        self, meeting, harvester, clock
    ):
        publish(meeting, author=harvester, practised="First **draft**")
        clock.shift(timedelta(hours=2))
        facilitator = holding("facilitator", meeting, display_name="Femi")
        publish(meeting, author=facilitator, practised="Second *take*")
        reader = verified_member(timezone="Asia/Kolkata")

        response = signed_in(reader).get(self.url(meeting))

        assert response.status_code == 200
        rows = response.context["rows"]
        assert [(row.author, row.when.local, row.when.utc) for row in rows] == [
            ("Femi", "Wed 20 Jan 2027, 19:30 IST", "14:00 UTC"),
            ("Hana", "Wed 20 Jan 2027, 17:30 IST", "12:00 UTC"),
        ]
        page = response.content.decode()
        assert page.index("<p>Second <em>take</em></p>") < page.index(
            "<p>First <strong>draft</strong></p>"
        )
        assert "Too soon for the harvester." in page
        assert "Within two days." in page

    def test_the_utc_time_carries_its_date_when_the_viewer_is_on_another_day(
        self, meeting, harvester
    ):
        publish(meeting, author=harvester)
        reader = verified_member(timezone="Pacific/Auckland")

        rows = signed_in(reader).get(self.url(meeting)).context["rows"]

        assert (rows[0].when.local, rows[0].when.utc) == (
            "Thu 21 Jan 2027, 01:00 NZDT",
            "Wed 20 Jan 2027, 12:00 UTC",
        )

    def test_a_viewer_in_utc_sees_the_time_once(self, meeting, harvester):
        publish(meeting, author=harvester)

        rows = Client().get(self.url(meeting)).context["rows"]

        assert (rows[0].when.local, rows[0].when.utc) == ("Wed 20 Jan 2027, 12:00 UTC", "")

    def test_an_author_who_left_is_a_former_member(self, meeting, harvester):
        publish(meeting, author=harvester)
        harvester.delete()

        response = Client().get(self.url(meeting))

        assert [row.author for row in response.context["rows"]] == ["a former member"]
        assert "By a former member" in response.content.decode()

    def test_a_draft_history_is_for_its_writers_only(self, meeting, harvester):
        signed_in(harvester).post(edit_url(meeting), form_data(practised="A draft"))

        assert Client().get(self.url(meeting)).status_code == 404
        assert signed_in(verified_member()).get(self.url(meeting)).status_code == 404
        assert signed_in(harvester).get(self.url(meeting)).status_code == 200
        assert signed_in(organizer()).get(self.url(meeting)).status_code == 200

    def test_a_meeting_without_a_harvest_has_no_history(self, meeting):
        assert Client().get(self.url(meeting)).status_code == 404


# --- a series' harvests ----------------------------------------------------------------------


def harvests_in(series, count: int, *, author: User) -> list[Harvest]:
    """`count` published harvests of weekly meetings before STARTS, newest first."""
    made = []
    for week in range(count):
        meeting = MeetingFactory(series=series, starts_at=STARTS - timedelta(weeks=week))
        made.append(publish(meeting, author=author, marker=f"marker-{week}"))
    return made


@pytest.mark.django_db
class TestSeriesHarvests:
    def url(self, series) -> str:
        return f"/series/{series.slug}/harvests/"

    def test_published_harvests_newest_meeting_first_with_authors_text_and_decisions(self, series):
        hana = verified_member(display_name="Hana")
        older, newer = (
            MeetingFactory(series=series, starts_at=STARTS - timedelta(weeks=4)),
            MeetingFactory(series=series, starts_at=STARTS),
        )
        publish(older, author=hana, marker="older")
        publish(newer, author=hana, marker="newer", practised="We practised **newer**.")
        publish(newer, author=verified_member(display_name="Femi"), marker="newer")

        response = Client().get(self.url(series))

        assert response.status_code == 200
        entries = response.context["entries"]
        assert [entry.harvest.meeting for entry in entries] == [newer, older]
        assert entries[0].authors == ["Hana", "Femi"]
        page = response.content.decode()
        assert page.index("<strong>newer</strong>") < page.index("<strong>older</strong>")
        assert "Harvested by Hana, Femi" in page
        assert '<a href="https://sociocracy30.org" rel="nofollow noopener noreferrer">S3</a>' in (
            page
        )
        assert "<p>Harvests go out the day after.</p>" in page
        assert "<dd><p>Too soon for the harvester.</p></dd>" in page
        assert "<dd><p>Within two days.</p></dd>" in page
        assert "Monday 11 January 2027" in page

    def test_drafts_withdrawn_harvests_and_other_series_are_left_out(self, series, meeting):
        hana = holding("harvester", meeting)
        signed_in(hana).post(edit_url(meeting), form_data(practised="a-draft"))
        withdrawn = MeetingFactory(series=series, starts_at=STARTS - timedelta(weeks=1))
        publish(withdrawn, author=hana, marker="withdrawn-one")
        harvests.withdraw_harvest(user=organizer(), meeting=withdrawn)
        publish(MeetingFactory(starts_at=STARTS), author=hana, marker="elsewhere")

        response = Client().get(self.url(series))

        assert response.context["entries"] == []
        page = response.content.decode()
        assert "No harvest is published yet." in page
        for text in ("a-draft", "withdrawn-one", "elsewhere"):
            assert text not in page

    def test_twenty_a_page(self, series):
        made = harvests_in(series, 21, author=verified_member())

        first = Client().get(self.url(series))
        second = Client().get(self.url(series), {"page": 2})

        assert [entry.harvest for entry in first.context["entries"]] == made[:20]
        assert [entry.harvest for entry in second.context["entries"]] == made[20:]
        assert 'href="?page=2" rel="next"' in first.content.decode()
        assert "Page 2 of 2" in second.content.decode()

    def test_a_page_number_that_is_not_one_shows_the_first(self, series):
        made = harvests_in(series, 1, author=verified_member())

        response = Client().get(self.url(series), {"page": "last-but-one"})

        assert [entry.harvest for entry in response.context["entries"]] == made

    def test_an_unknown_series_is_404(self, db):
        assert Client().get("/series/no-such-series/harvests/").status_code == 404

    @pytest.mark.parametrize("count", [1, 25])
    def test_a_visitor_page_takes_the_same_queries_for_one_harvest_or_many(
        self, series, count, django_assert_num_queries
    ):
        harvests_in(series, count, author=verified_member())
        client = Client()

        # The series, the count, the harvests with meetings, decisions, objections, authors.
        with django_assert_num_queries(6):
            response = client.get(self.url(series))

        assert len(response.context["entries"]) == min(count, 20)

    @pytest.mark.parametrize("count", [1, 25])
    def test_a_member_page_takes_the_same_queries_for_one_harvest_or_many(
        self, series, count, django_assert_num_queries
    ):
        harvests_in(series, count, author=verified_member())
        client = signed_in(verified_member())

        # The session and its member, then as for a visitor.
        with django_assert_num_queries(8):
            client.get(self.url(series))


@pytest.mark.django_db
class TestMembersOnlySeries:
    @pytest.fixture
    def series(self, db):
        return SeriesFactory(slug="inner-circle", harvests_public=False)

    def test_a_visitor_is_told_to_log_in_and_sees_no_harvest(self, series):
        harvests_in(series, 1, author=verified_member())

        response = Client().get(f"/series/{series.slug}/harvests/")

        assert response.status_code == 403
        page = response.content.decode()
        assert "This series keeps its harvests to members." in page
        assert 'href="/accounts/login/?next=/series/inner-circle/harvests/"' in page
        assert "marker-0" not in page
        assert "Harvests go out the day after." not in page

    def test_a_signed_in_member_reads_them(self, series):
        harvests_in(series, 1, author=verified_member())

        response = signed_in(verified_member()).get(f"/series/{series.slug}/harvests/")

        assert response.status_code == 200
        assert "<strong>marker-0</strong>" in response.content.decode()

    def test_a_visitor_cannot_read_a_members_only_harvest_anywhere(self, series):
        meeting = MeetingFactory(series=series, starts_at=STARTS)
        publish(meeting, author=verified_member(), marker="members-only-secret")
        visitor = Client()

        pages = {
            "meeting": visitor.get(f"/meetings/{meeting.pk}/"),
            "list": visitor.get(f"/series/{series.slug}/harvests/"),
            "feed": visitor.get(f"/series/{series.slug}/harvests.atom"),
            "history": visitor.get(f"/meetings/{meeting.pk}/harvest/history/"),
        }

        assert {name: page.status_code for name, page in pages.items()} == {
            "meeting": 200,
            "list": 403,
            "feed": 404,
            "history": 404,
        }
        assert [
            name for name, page in pages.items() if b"members-only-secret" in page.content
        ] == []

    def test_the_feed_is_404_even_for_a_member(self, series):
        harvests_in(series, 1, author=verified_member())

        response = signed_in(verified_member()).get(f"/series/{series.slug}/harvests.atom")

        assert response.status_code == 404

    def test_the_history_is_for_signed_in_members(self, series):
        meeting = MeetingFactory(series=series, starts_at=STARTS)
        publish(meeting, author=verified_member())

        response = signed_in(verified_member()).get(f"/meetings/{meeting.pk}/harvest/history/")

        assert response.status_code == 200


# --- the Atom feed ---------------------------------------------------------------------------


def parsed(response) -> ElementTree.Element:
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    return ElementTree.fromstring(response.content)  # noqa: S314 - the feed this test made


def entries_of(response) -> list[ElementTree.Element]:
    return parsed(response).findall(f"{ATOM}entry")


@pytest.mark.django_db
class TestFeed:
    def url(self, series) -> str:
        return f"/series/{series.slug}/harvests.atom"

    def test_one_entry_per_published_harvest_newest_meeting_first(self, series):
        made = harvests_in(series, 3, author=verified_member(display_name="Hana"))
        draft_meeting = MeetingFactory(series=series, starts_at=STARTS - timedelta(weeks=9))
        signed_in(holding("harvester", draft_meeting)).post(
            edit_url(draft_meeting), form_data(practised="a-draft")
        )

        entries = entries_of(Client().get(self.url(series)))

        assert [entry.findtext(f"{ATOM}id") for entry in entries] == [
            f"tag:copf.example.org,2027-01-20:harvest/{harvest.pk}" for harvest in made
        ]
        first = entries[0]
        assert first.findtext(f"{ATOM}title") == "CoP-F East, 11 January 2027"
        assert first.find(f"{ATOM}link").get("href") == (
            f"{SITE}/meetings/{made[0].meeting.pk}/#harvest"
        )
        assert first.findtext(f"{ATOM}updated") == "2027-01-20T12:00:00+00:00"
        assert first.findtext(f"{ATOM}published") == "2027-01-20T12:00:00+00:00"
        assert first.findtext(f"{ATOM}author/{ATOM}name") == "Hana"

    def test_the_content_is_the_harvest_as_sanitized_html(self, series):
        meeting = MeetingFactory(series=series, starts_at=STARTS)
        harvest = publish(meeting, author=verified_member(), marker="rounds")
        # Written past the form, as a script or an old row could be: the feed still cleans it.
        Harvest.objects.filter(pk=harvest.pk).update(
            learnt="<script>alert(1)</script>[x](javascript:alert(1)) <img src=x onerror=y>\x01"
        )

        (entry,) = entries_of(Client().get(self.url(series)))

        content = entry.find(f"{ATOM}content")
        assert content.get("type") == "html"
        html = content.text
        assert "<p>We practised <strong>rounds</strong>.</p>" in html
        assert "<h3>Decisions taken by consent</h3>" in html
        assert "<dd><p>Within two days.</p></dd>" in html
        for never in ("<script", "javascript:", "onerror", "<img", "\x01"):
            assert never not in html

    def test_an_entry_keeps_its_id_and_moves_its_updated_time_when_edited(self, series, clock):
        meeting = MeetingFactory(series=series, starts_at=STARTS)
        author = verified_member()
        publish(meeting, author=author)
        (before,) = entries_of(Client().get(self.url(series)))
        clock.shift(timedelta(days=1))

        publish(meeting, author=author, practised="Edited")
        (after,) = entries_of(Client().get(self.url(series)))

        assert after.findtext(f"{ATOM}id") == before.findtext(f"{ATOM}id")
        assert after.findtext(f"{ATOM}published") == before.findtext(f"{ATOM}published")
        assert after.findtext(f"{ATOM}updated") == "2027-01-21T12:00:00+00:00"

    def test_the_feed_links_to_the_page_and_itself_absolutely(self, series):
        harvests_in(series, 1, author=verified_member())

        feed = parsed(Client().get(self.url(series)))

        links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
        assert links == {
            "alternate": f"{SITE}/series/cop-f-east/harvests/",
            "self": f"{SITE}/series/cop-f-east/harvests.atom",
        }
        assert feed.findtext(f"{ATOM}title") == "Harvests of CoP-F East"

    def test_an_unknown_series_is_404(self, db):
        assert Client().get("/series/no-such-series/harvests.atom").status_code == 404

    @pytest.mark.parametrize("count", [1, 25])
    def test_it_takes_the_same_queries_for_one_harvest_or_many(
        self, series, count, django_assert_num_queries
    ):
        harvests_in(series, count, author=verified_member())
        client = Client()

        # The series, the harvests with meetings, decisions, objections, authors.
        with django_assert_num_queries(5):
            response = client.get(self.url(series))

        assert len(entries_of(response)) == count


# --- the include and the filter --------------------------------------------------------------


@pytest.mark.django_db
class TestHarvestInclude:
    def test_it_shows_authors_text_decisions_objections_and_the_history_link(
        self, meeting, harvester
    ):
        harvest = publish(meeting, author=harvester)

        html = render_to_string("practice/_harvest.html", {"harvest": harvest})

        assert "Harvested by Hana · published 20 January 2027" in html
        assert "<p>We practised <strong>rounds</strong>.</p>" in html
        assert "<p>Silence is an answer too.</p>" in html
        assert "<p>Harvests go out the day after.</p>" in html
        assert "<dt>Objection 1</dt>" in html
        assert "<dd><p>Too soon for the harvester.</p></dd>" in html
        assert "<dt>How it was integrated</dt>" in html
        assert "<dd><p>Within two days.</p></dd>" in html
        assert f'href="/meetings/{meeting.pk}/harvest/history/"' in html

    def test_a_decision_without_objections_says_so(self, meeting, harvester):
        harvest = publish(meeting, author=harvester, decisions=[harvests.Decision(proposal="Yes.")])

        html = render_to_string("practice/_harvest.html", {"harvest": harvest})

        assert "Consented without objections." in html

    def test_a_withdrawn_harvest_says_so_and_shows_nothing_more(self, meeting, harvester):
        publish(meeting, author=harvester)
        harvest = harvests.withdraw_harvest(user=organizer(), meeting=meeting)

        html = render_to_string("practice/_harvest.html", {"harvest": harvest})

        assert "An organizer withdrew this harvest." in html
        assert "rounds" not in html
        assert "Harvests go out the day after." not in html

    def test_decisions_are_plain_text_escaped(self, meeting, harvester):
        harvest = publish(
            meeting, author=harvester, decisions=[harvests.Decision(proposal="**a** & <b>")]
        )

        html = render_to_string("practice/_harvest.html", {"harvest": harvest})

        assert f"<p>{escape('**a** & <b>')}</p>" in html


class TestMarkdownFilter:
    def test_it_renders_markdown_safely(self):
        template = Template("{% load practice_text %}{{ text|markdown }}")

        html = template.render(Context({"text": "**yes** <script>alert(1)</script>"}))

        assert html == "<p><strong>yes</strong> </p>"

    def test_nothing_renders_as_nothing(self):
        template = Template("{% load practice_text %}{{ text|markdown }}")

        assert template.render(Context({"text": None})) == ""
