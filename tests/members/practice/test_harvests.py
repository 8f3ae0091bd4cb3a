from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from meetings.models import Meeting
from members import services
from members.models import (
    Attendance,
    Delivery,
    Harvest,
    HarvestDecision,
    HarvestObjection,
    Rsvp,
)
from members.practice import BadInput, NotAllowed, PracticeRefused, harvests, roles
from members.practice.harvests import Decision, HarvestText, Objection

from .support import AFTER, START, east, meeting_of, member, organizer, version

State = Harvest.State
STALE = (
    "Someone saved the harvest after you opened it. Open it again to see their changes; "
    "your text is below to copy."
)
NOT_A_WRITER = "Only the harvester, the facilitator and organizers write the harvest."
TEXT = HarvestText(
    practised="A **fishbowl** with four chairs.",
    learnt="Silence is an answer too.",
    resources="https://example.org/fishbowl",
    decisions=[
        Decision(
            proposal="We meet on Mondays.",
            objections=[
                Objection(objection="Mondays are busy.", integration="We try it for 3 months."),
                Objection(objection="Too early in Sydney.", integration="West stays at 18:30."),
            ],
        ),
        Decision(proposal="Harvests are public."),
    ],
)
CONTENT = {
    "practised": "A **fishbowl** with four chairs.",
    "learnt": "Silence is an answer too.",
    "resources": "https://example.org/fishbowl",
    "decisions": [
        {
            "proposal": "We meet on Mondays.",
            "objections": [
                {"objection": "Mondays are busy.", "integration": "We try it for 3 months."},
                {"objection": "Too early in Sydney.", "integration": "West stays at 18:30."},
            ],
        },
        {"proposal": "Harvests are public.", "objections": []},
    ],
}


def write(user, meeting, text=TEXT, *, based_on=None, publish=False, now=AFTER) -> Harvest:
    return harvests.save_harvest(
        user=user, meeting=meeting, text=text, based_on=based_on, publish=publish, now=now
    )


def harvester_of(meeting: Meeting, name: str = "Hana"):
    """A member who took the harvester's role before the meeting."""
    user = member(name)
    roles.take_role(user=user, meeting=meeting, role="harvester")
    return user


def revisions(harvest: Harvest) -> list[tuple[str | None, object, dict]]:
    """(author's name, when, content) of every revision, the oldest first."""
    return [
        (
            revision.author.display_name if revision.author else None,
            revision.created_at,
            revision.content,
        )
        for revision in harvest.revisions.select_related("author").order_by("created_at", "pk")
    ]


def harvest_deliveries() -> list[tuple[str, str]]:
    return list(
        Delivery.objects.filter(kind=Delivery.Kind.HARVEST)
        .order_by("user__display_name")
        .values_list("user__display_name", "state")
    )


@pytest.fixture
def meeting(db):
    return meeting_of(east())


@pytest.mark.django_db
class TestWho:
    @pytest.mark.parametrize("role", ["harvester", "facilitator"])
    def test_the_harvester_and_the_facilitator_write_the_harvest(self, meeting, role):
        asha = member("Asha")
        roles.take_role(user=asha, meeting=meeting, role=role)

        harvest = write(asha, meeting)

        assert Harvest.objects.get() == harvest
        assert (harvest.meeting, harvest.practised, harvest.state) == (
            meeting,
            TEXT.practised,
            State.DRAFT,
        )

    def test_an_organizer_writes_the_harvest_without_a_role(self, meeting):
        write(organizer(), meeting)

        assert Harvest.objects.get().learnt == TEXT.learnt

    @pytest.mark.parametrize("role", [None, "co-facilitator", "timekeeper", "host"])
    def test_other_members_may_not_write_it(self, meeting, role):
        asha = member("Asha")
        if role:
            roles.take_role(user=asha, meeting=meeting, role=role)

        with pytest.raises(NotAllowed) as refused:
            write(asha, meeting)

        assert str(refused.value) == NOT_A_WRITER
        assert Harvest.objects.count() == 0

    def test_a_harvester_whose_address_is_no_longer_confirmed_may_not(self, meeting):
        hana = harvester_of(meeting)
        hana.emailaddress_set.update(verified=False)

        with pytest.raises(NotAllowed):
            write(hana, meeting)

        assert Harvest.objects.count() == 0


@pytest.mark.django_db
class TestWhen:
    def test_not_before_the_meeting_starts(self, meeting):
        hana = harvester_of(meeting)

        with pytest.raises(PracticeRefused) as refused:
            write(hana, meeting, now=START - timedelta(seconds=1))

        assert str(refused.value) == "A harvest is written once the meeting has started."
        assert Harvest.objects.count() == 0

    def test_from_the_moment_it_starts(self, meeting):
        hana = harvester_of(meeting)

        write(hana, meeting, now=START)

        assert Harvest.objects.count() == 1

    def test_the_saving_time_defaults_to_the_clock(self, meeting, clock):
        hana = harvester_of(meeting)
        clock.move_to(AFTER)

        harvest = harvests.save_harvest(user=hana, meeting=meeting, text=TEXT, based_on=None)

        assert harvest.revisions.get().created_at == AFTER

    def test_a_cancelled_meeting_has_nothing_to_harvest(self, meeting):
        hana = harvester_of(meeting)
        Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)

        with pytest.raises(PracticeRefused) as refused:
            write(hana, meeting)

        assert str(refused.value) == "This meeting was cancelled: there is nothing to harvest."
        assert Harvest.objects.count() == 0


@pytest.mark.django_db
class TestSave:
    def test_a_save_keeps_the_text_decisions_and_objections(self, meeting):
        harvest = write(harvester_of(meeting), meeting)

        assert (harvest.practised, harvest.learnt, harvest.resources) == (
            TEXT.practised,
            TEXT.learnt,
            TEXT.resources,
        )
        assert list(
            HarvestDecision.objects.order_by("position").values_list("position", "proposal")
        ) == [(0, "We meet on Mondays."), (1, "Harvests are public.")]
        assert list(
            HarvestObjection.objects.order_by("position").values_list(
                "decision__position", "position", "objection", "integration"
            )
        ) == [
            (0, 0, "Mondays are busy.", "We try it for 3 months."),
            (0, 1, "Too early in Sydney.", "West stays at 18:30."),
        ]
        assert harvests.harvest_text(harvest) == TEXT

    def test_each_save_adds_a_revision_with_its_author_time_and_content(self, meeting):
        hana, olu = harvester_of(meeting), organizer()
        first = write(hana, meeting)
        edited = HarvestText(practised="A fishbowl.", learnt="Listen.")
        later = AFTER + timedelta(hours=1)

        harvest = write(
            olu, meeting, edited, based_on=harvests.latest_revision_id(first), now=later
        )

        assert harvest.pk == first.pk
        assert revisions(harvest) == [
            ("Hana", AFTER, CONTENT),
            (
                "Olu",
                later,
                {
                    "practised": "A fishbowl.",
                    "learnt": "Listen.",
                    "resources": "",
                    "decisions": [],
                },
            ),
        ]
        assert harvests.harvest_text(Harvest.objects.get()) == edited
        assert HarvestDecision.objects.count() == 0
        assert HarvestObjection.objects.count() == 0

    def test_the_latest_revision_is_the_one_to_base_the_next_save_on(self, meeting):
        hana = harvester_of(meeting)
        harvest = write(hana, meeting)
        write(hana, meeting, based_on=harvests.latest_revision_id(harvest), now=AFTER)

        newest = harvest.revisions.order_by("-pk").first()

        assert harvests.latest_revision_id(harvest) == newest.pk
        assert harvests.latest_revision_id(None) is None

    def test_a_save_based_on_a_stale_revision_is_refused_and_changes_nothing(self, meeting):
        hana, olu = harvester_of(meeting), organizer()
        harvest = write(hana, meeting)
        opened = harvests.latest_revision_id(harvest)
        write(olu, meeting, HarvestText(practised="Olu's words."), based_on=opened)
        before = version()

        with pytest.raises(PracticeRefused) as refused:
            write(hana, meeting, HarvestText(practised="Hana's words."), based_on=opened)

        assert (str(refused.value), refused.value.status) == (STALE, 409)
        assert Harvest.objects.get().practised == "Olu's words."
        assert [author for author, _, _ in revisions(harvest)] == ["Hana", "Olu"]
        assert version() == before

    def test_a_stale_save_is_refused_even_when_the_clock_stepped_back_between_saves(self, meeting):
        hana, olu = harvester_of(meeting), organizer()
        harvest = write(hana, meeting, now=AFTER + timedelta(minutes=5))
        opened = harvests.latest_revision_id(harvest)
        # Another web server, its clock a little behind, saves after Hana's first save.
        write(olu, meeting, HarvestText(practised="Olu's words."), based_on=opened, now=AFTER)

        with pytest.raises(PracticeRefused) as refused:
            write(
                hana,
                meeting,
                HarvestText(practised="Hana's words."),
                based_on=opened,
                now=AFTER + timedelta(minutes=10),
            )

        assert str(refused.value) == STALE
        assert Harvest.objects.get().practised == "Olu's words."

    def test_a_first_save_when_someone_wrote_the_harvest_meanwhile_is_refused(self, meeting):
        hana, olu = harvester_of(meeting), organizer()
        write(olu, meeting, HarvestText(practised="Olu's words."))

        with pytest.raises(PracticeRefused) as refused:
            write(hana, meeting, based_on=None)

        assert str(refused.value) == STALE
        assert Harvest.objects.get().practised == "Olu's words."

    def test_a_save_based_on_a_revision_when_there_is_no_harvest_is_refused(self, meeting):
        with pytest.raises(PracticeRefused) as refused:
            write(harvester_of(meeting), meeting, based_on=12345)

        assert str(refused.value) == STALE
        assert Harvest.objects.count() == 0

    def test_text_over_ten_thousand_characters_is_bad_input_and_nothing_is_saved(self, meeting):
        with pytest.raises(BadInput) as refused:
            write(harvester_of(meeting), meeting, HarvestText(learnt="x" * 10_001))

        assert str(refused.value) == "What we learnt is longer than 10000 characters."
        assert Harvest.objects.count() == 0

    def test_a_decision_too_long_leaves_the_harvest_as_it_was(self, meeting):
        hana = harvester_of(meeting)
        harvest = write(hana, meeting)

        with pytest.raises(BadInput) as refused:
            write(
                hana,
                meeting,
                HarvestText(practised="New", decisions=[Decision(proposal="x" * 2001)]),
                based_on=harvests.latest_revision_id(harvest),
            )

        assert str(refused.value) == "Decision is longer than 2000 characters."
        assert harvests.harvest_text(Harvest.objects.get()) == TEXT
        assert harvest.revisions.count() == 1

    def test_an_empty_decision_is_bad_input(self, meeting):
        with pytest.raises(BadInput) as refused:
            write(harvester_of(meeting), meeting, HarvestText(decisions=[Decision(proposal="")]))

        assert str(refused.value) == "This field cannot be blank."
        assert Harvest.objects.count() == 0

    def test_an_objection_without_how_it_was_integrated_is_bad_input(self, meeting):
        text = HarvestText(decisions=[Decision(proposal="Yes", objections=[Objection("Why?", "")])])

        with pytest.raises(BadInput) as refused:
            write(harvester_of(meeting), meeting, text)

        assert str(refused.value) == "This field cannot be blank."
        assert Harvest.objects.count() == 0

    def test_saving_moves_the_schedule_version(self, meeting):
        hana = harvester_of(meeting)
        before = version()

        write(hana, meeting)

        assert version() > before

    def test_an_empty_harvest_has_empty_text(self):
        assert harvests.harvest_text(None) == HarvestText()


@pytest.mark.django_db
class TestPublish:
    @pytest.fixture
    def audience(self, meeting):
        """Who said what, and who asked for harvests."""
        people = {
            "Ada": member("Ada", receive_harvests=True),
            "Ben": member("Ben", receive_harvests=False),
            "Cho": member("Cho", receive_harvests=True),
            "Dev": member("Dev", receive_harvests=True),
            "Eva": member("Eva", receive_harvests=True, email_enabled=False),
        }
        for name, response in [
            ("Ada", Rsvp.Response.YES),
            ("Ben", Rsvp.Response.YES),
            ("Cho", Rsvp.Response.MAYBE),
            ("Dev", Rsvp.Response.NO),
            ("Eva", Rsvp.Response.YES),
        ]:
            services.set_rsvp(user=people[name], meeting=meeting, response=response)
        return people

    def test_publishing_sets_the_publication_time_and_state(self, meeting):
        harvest = write(harvester_of(meeting), meeting, publish=True)

        saved = Harvest.objects.get()
        assert (harvest.state, saved.state, saved.published_at) == (
            State.PUBLISHED,
            State.PUBLISHED,
            AFTER,
        )
        assert saved.is_published is True

    def test_publishing_plans_the_harvest_for_members_who_said_yes_and_asked_for_it(
        self, meeting, audience
    ):
        hana = harvester_of(meeting)
        hana.receive_harvests = True
        hana.save()

        write(hana, meeting, publish=True)

        assert harvest_deliveries() == [("Ada", "pending"), ("Hana", "pending")]
        ada = Delivery.objects.get(kind=Delivery.Kind.HARVEST, user=audience["Ada"])
        assert (ada.meeting, ada.due_at, ada.sequence) == (meeting, AFTER, 0)

    def test_a_member_who_came_without_saying_yes_is_sent_the_harvest_too(self, meeting, audience):
        hana = harvester_of(meeting)
        Attendance.objects.create(
            meeting=meeting, user=audience["Cho"], present=True, source=Attendance.Source.MARKED
        )
        Attendance.objects.create(
            meeting=meeting, user=audience["Dev"], present=False, source=Attendance.Source.MARKED
        )

        write(hana, meeting, publish=True)

        assert harvest_deliveries() == [("Ada", "pending"), ("Cho", "pending")]

    def test_a_member_still_waiting_for_a_seat_is_not_sent_the_harvest(self, meeting):
        Meeting.objects.filter(pk=meeting.pk).update(capacity=1)
        hana = harvester_of(meeting)
        wen = member("Wen", receive_harvests=True)
        waiting = services.set_rsvp(user=wen, meeting=meeting, response=Rsvp.Response.YES)

        write(hana, meeting, publish=True)

        assert waiting.rsvp.is_waitlisted
        assert harvest_deliveries() == []

    def test_a_draft_plans_no_harvest_email(self, meeting, audience):
        write(harvester_of(meeting), meeting)

        assert harvest_deliveries() == []

    def test_publishing_again_plans_nothing_new_and_keeps_the_first_publication_time(
        self, meeting, audience
    ):
        hana = harvester_of(meeting)
        harvest = write(hana, meeting, publish=True)
        Delivery.objects.filter(kind=Delivery.Kind.HARVEST).update(state=Delivery.State.SENT)
        later = AFTER + timedelta(days=1)
        services.set_rsvp(
            user=member("Fay", receive_harvests=True),
            meeting=meeting,
            response=Rsvp.Response.YES,
            now=START - timedelta(hours=1),
        )

        write(
            hana,
            meeting,
            HarvestText(practised="Edited."),
            based_on=harvests.latest_revision_id(harvest),
            publish=True,
            now=later,
        )

        assert harvest_deliveries() == [("Ada", "sent")]
        assert Harvest.objects.get().published_at == AFTER

    def test_publishing_after_a_draft_plans_the_emails_once(self, meeting, audience):
        hana = harvester_of(meeting)
        harvest = write(hana, meeting)

        write(hana, meeting, based_on=harvests.latest_revision_id(harvest), publish=True)

        assert harvest_deliveries() == [("Ada", "pending")]

    def test_saving_a_published_harvest_keeps_it_published(self, meeting):
        hana = harvester_of(meeting)
        harvest = write(hana, meeting, publish=True)

        write(hana, meeting, based_on=harvests.latest_revision_id(harvest), now=AFTER)

        assert (Harvest.objects.get().state, Harvest.objects.get().published_at) == (
            State.PUBLISHED,
            AFTER,
        )

    def test_the_planned_emails_are_handed_to_the_workers_once_committed(
        self, meeting, audience, django_capture_on_commit_callbacks, published_deliveries, clock
    ):
        hana = harvester_of(meeting)
        clock.move_to(AFTER)

        with django_capture_on_commit_callbacks(execute=True):
            write(hana, meeting, publish=True)

        assert published_deliveries == [
            Delivery.objects.get(kind=Delivery.Kind.HARVEST, user=audience["Ada"]).pk
        ]


@pytest.mark.django_db
class TestWithdraw:
    def test_an_organizer_withdraws_a_published_harvest(self, meeting):
        write(harvester_of(meeting), meeting, publish=True)
        before = version()

        harvest = harvests.withdraw_harvest(user=organizer(), meeting=meeting)

        saved = Harvest.objects.get()
        assert (harvest.state, saved.state, saved.published_at) == (
            State.WITHDRAWN,
            State.WITHDRAWN,
            AFTER,
        )
        assert saved.practised == TEXT.practised
        assert version() > before

    @pytest.mark.parametrize("role", ["harvester", "facilitator"])
    def test_the_harvester_and_facilitator_may_not_withdraw_it(self, meeting, role):
        asha = member("Asha")
        roles.take_role(user=asha, meeting=meeting, role=role)
        write(asha, meeting, publish=True)

        with pytest.raises(NotAllowed) as refused:
            harvests.withdraw_harvest(user=asha, meeting=meeting)

        assert str(refused.value) == "Only organizers withdraw a harvest."
        assert Harvest.objects.get().state == State.PUBLISHED

    def test_a_draft_cannot_be_withdrawn(self, meeting):
        write(harvester_of(meeting), meeting)

        with pytest.raises(PracticeRefused) as refused:
            harvests.withdraw_harvest(user=organizer(), meeting=meeting)

        assert str(refused.value) == "This meeting has no published harvest."
        assert Harvest.objects.get().state == State.DRAFT

    def test_a_meeting_without_a_harvest_has_none_to_withdraw(self, meeting):
        with pytest.raises(PracticeRefused) as refused:
            harvests.withdraw_harvest(user=organizer(), meeting=meeting)

        assert str(refused.value) == "This meeting has no published harvest."

    def test_a_withdrawn_harvest_published_again_plans_no_emails(self, meeting):
        hana = harvester_of(meeting)
        services.set_rsvp(
            user=member("Ada", receive_harvests=True), meeting=meeting, response=Rsvp.Response.YES
        )
        harvest = write(hana, meeting, publish=True)
        harvests.withdraw_harvest(user=organizer(), meeting=meeting)
        Delivery.objects.filter(kind=Delivery.Kind.HARVEST).update(state=Delivery.State.SENT)

        write(hana, meeting, based_on=harvests.latest_revision_id(harvest), publish=True)

        assert Harvest.objects.get().state == State.PUBLISHED
        assert harvest_deliveries() == [("Ada", "sent")]


@pytest.mark.django_db
class TestMayRead:
    def harvest(self, meeting, *, publish: bool) -> Harvest:
        return write(organizer("Ola"), meeting, publish=publish)

    def test_a_published_harvest_of_a_public_series_is_for_everyone(self, meeting):
        harvest = self.harvest(meeting, publish=True)

        assert harvests.may_read(user=AnonymousUser(), harvest=harvest) is True
        assert harvests.may_read(user=member("Asha"), harvest=harvest) is True

    def test_a_published_harvest_of_a_members_only_series_is_for_signed_in_members(self):
        meeting = meeting_of(east(harvests_public=False))
        harvest = self.harvest(meeting, publish=True)

        assert harvests.may_read(user=AnonymousUser(), harvest=harvest) is False
        assert harvests.may_read(user=member("Asha"), harvest=harvest) is True

    def test_a_draft_is_for_those_who_may_write_it(self, meeting):
        hana = harvester_of(meeting)
        harvest = self.harvest(meeting, publish=False)

        assert harvests.may_read(user=AnonymousUser(), harvest=harvest) is False
        assert harvests.may_read(user=member("Asha"), harvest=harvest) is False
        assert harvests.may_read(user=hana, harvest=harvest) is True
        assert harvests.may_read(user=organizer("Olu"), harvest=harvest) is True

    def test_a_withdrawn_harvest_is_for_those_who_may_write_it(self, meeting):
        hana = harvester_of(meeting)
        self.harvest(meeting, publish=True)
        harvest = harvests.withdraw_harvest(user=organizer("Olu"), meeting=meeting)

        assert harvests.may_read(user=AnonymousUser(), harvest=harvest) is False
        assert harvests.may_read(user=member("Asha"), harvest=harvest) is False
        assert harvests.may_read(user=hana, harvest=harvest) is True


@pytest.mark.django_db
class TestAuthors:
    def test_authors_in_the_order_they_first_wrote(self, meeting):
        hana, olu = harvester_of(meeting), organizer()
        harvest = write(hana, meeting)
        for user, minutes in [(olu, 10), (hana, 20)]:
            harvest = write(
                user,
                meeting,
                based_on=harvests.latest_revision_id(harvest),
                now=AFTER + timedelta(minutes=minutes),
            )

        assert harvests.authors(harvest) == ["Hana", "Olu"]

    def test_a_deleted_author_is_a_former_member_and_their_text_stays(self, meeting):
        hana, olu = harvester_of(meeting), organizer()
        harvest = write(hana, meeting, publish=True)
        write(
            olu,
            meeting,
            HarvestText(practised="Olu's words."),
            based_on=harvests.latest_revision_id(harvest),
            now=AFTER + timedelta(minutes=5),
        )

        services.delete_account(user=hana)

        harvest = Harvest.objects.get()
        assert harvests.authors(harvest) == ["a former member", "Olu"]
        assert revisions(harvest) == [
            (None, AFTER, CONTENT),
            (
                "Olu",
                AFTER + timedelta(minutes=5),
                {"practised": "Olu's words.", "learnt": "", "resources": "", "decisions": []},
            ),
        ]
        assert (harvest.practised, harvest.state) == ("Olu's words.", State.PUBLISHED)
