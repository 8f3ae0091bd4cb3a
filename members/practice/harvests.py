"""A harvest that keeps the learning: written after a meeting by its harvester, facilitator
or an organizer; Markdown, rendered safely; every edit a revision; published to the
meeting page, the series' harvests and its Atom feed, and sent once to those who opted in.

Published is never silently deleted: an organizer withdraws it, and it says so.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from meetings.models import Meeting, Series
from meetings.services import lock_meeting

from ..deliveries import plan, queue
from ..models import Harvest, HarvestDecision, HarvestObjection, HarvestRevision, User
from . import NotAllowed, PracticeRefused, validated
from .access import is_organizer, may_write_harvest
from .roles import display_name

State = Harvest.State


@dataclass(frozen=True)
class Objection:
    objection: str
    integration: str


@dataclass(frozen=True)
class Decision:
    proposal: str
    objections: list[Objection] = field(default_factory=list)


@dataclass(frozen=True)
class HarvestText:
    """What a harvest says, as a form gives it."""

    practised: str = ""
    learnt: str = ""
    resources: str = ""
    decisions: list[Decision] = field(default_factory=list)

    @classmethod
    def from_content(cls, content: dict[str, object]) -> "HarvestText":
        """What a revision kept (`as_content`), read back; a missing part reads as empty."""
        return cls(
            practised=str(content.get("practised") or ""),
            learnt=str(content.get("learnt") or ""),
            resources=str(content.get("resources") or ""),
            decisions=[
                Decision(
                    proposal=str(decision.get("proposal") or ""),
                    objections=[
                        Objection(
                            objection=str(entry.get("objection") or ""),
                            integration=str(entry.get("integration") or ""),
                        )
                        for entry in decision.get("objections") or []
                    ],
                )
                for decision in content.get("decisions") or []
            ],
        )

    @property
    def is_empty(self) -> bool:
        return not (self.practised or self.learnt or self.resources or self.decisions)

    def as_content(self) -> dict[str, object]:
        return {
            "practised": self.practised,
            "learnt": self.learnt,
            "resources": self.resources,
            "decisions": [
                {
                    "proposal": decision.proposal,
                    "objections": [
                        {"objection": entry.objection, "integration": entry.integration}
                        for entry in decision.objections
                    ],
                }
                for decision in self.decisions
            ],
        }


def harvest_text(harvest: Harvest | None) -> HarvestText:
    """What the harvest says now, to fill a form or to show. Uses the decisions and
    objections `published_harvests` loaded, else loads them (two queries)."""
    if harvest is None:
        return HarvestText()
    prefetch_related_objects([harvest], "decisions__objections")
    return HarvestText(
        practised=harvest.practised,
        learnt=harvest.learnt,
        resources=harvest.resources,
        decisions=[
            Decision(
                proposal=decision.proposal,
                objections=[
                    Objection(objection=entry.objection, integration=entry.integration)
                    for entry in decision.objections.all()
                ],
            )
            for decision in harvest.decisions.all()
        ],
    )


def latest_revision_id(harvest: Harvest | None) -> int | None:
    """The revision saved last. Saves take the meeting's lock one at a time, so it is the
    highest id; not the latest `created_at`, as a clock can step back between two saves."""
    if harvest is None:
        return None
    return harvest.revisions.order_by("-pk").values_list("pk", flat=True).first()


def save_harvest(
    *,
    user: User,
    meeting: Meeting,
    text: HarvestText,
    based_on: int | None,
    publish: bool = False,
    now: datetime | None = None,
) -> Harvest:
    """Write the harvest as `text` says, keeping a revision; publish it if asked (the first
    publication is sent to those who opted in). `based_on` is the revision the writer
    started from: if someone saved since, nothing changes and they are told."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = lock_meeting(meeting, changing=True)
        if not may_write_harvest(user=user, meeting=meeting):
            raise NotAllowed(
                _("Only the harvester, the facilitator and organizers write the harvest.")
            )
        refusal = harvest_refusal(meeting=meeting, now=now)
        if refusal:
            raise PracticeRefused(refusal)
        harvest = Harvest.objects.filter(meeting=meeting).first()
        if latest_revision_id(harvest) != based_on:
            raise PracticeRefused(
                _(
                    "Someone saved the harvest after you opened it. Open it again to see "
                    "their changes; your text is below to copy."
                )
            )
        if harvest is None:
            harvest = Harvest(meeting=meeting)
        harvest.practised, harvest.learnt, harvest.resources = (
            text.practised,
            text.learnt,
            text.resources,
        )
        first_publication = publish and harvest.published_at is None
        if publish:
            harvest.state = State.PUBLISHED
            harvest.published_at = harvest.published_at or now
        validated(harvest, exclude=("meeting",))
        harvest.save()
        _replace_decisions(harvest, text.decisions)
        HarvestRevision.objects.create(
            harvest=harvest, author=user, created_at=now, content=text.as_content()
        )
        if first_publication:
            messages = plan.plan_harvest(harvest=harvest, now=now)
            queue.enqueue_on_commit([message.pk for message in messages])
    return harvest


def harvest_refusal(*, meeting: Meeting, now: datetime) -> str:
    """Why no harvest can be written for the meeting now, or "" if it can."""
    if meeting.is_cancelled:
        return _("This meeting was cancelled: there is nothing to harvest.")
    if meeting.starts_at > now:
        return _("A harvest is written once the meeting has started.")
    return ""


def withdraw_harvest(*, user: User, meeting: Meeting, now: datetime | None = None) -> Harvest:
    """An organizer takes a published harvest down; the page says it was withdrawn."""
    with transaction.atomic():
        meeting = lock_meeting(meeting, changing=True)
        if not is_organizer(user):
            raise NotAllowed(_("Only organizers withdraw a harvest."))
        harvest = Harvest.objects.filter(meeting=meeting).first()
        if harvest is None or harvest.state != State.PUBLISHED:
            raise PracticeRefused(_("This meeting has no published harvest."))
        harvest.state = State.WITHDRAWN
        harvest.save(update_fields=["state", "updated_at"])
    return harvest


def _replace_decisions(harvest: Harvest, decisions: list[Decision]) -> None:
    harvest.decisions.all().delete()
    for position, decision in enumerate(decisions):
        row = HarvestDecision(harvest=harvest, position=position, proposal=decision.proposal)
        validated(row, exclude=("harvest",))
        row.save()
        for index, entry in enumerate(decision.objections):
            objection = HarvestObjection(
                decision=row,
                position=index,
                objection=entry.objection,
                integration=entry.integration,
            )
            validated(objection, exclude=("decision",))
            objection.save()


def may_read(*, user: object, harvest: Harvest) -> bool:
    """Published harvests are for everyone, or for signed-in members where the series
    keeps them to members; drafts and withdrawn ones for those who may write them."""
    meeting = harvest.meeting
    if harvest.is_published:
        public = meeting.series is None or meeting.series.harvests_public
        return public or bool(getattr(user, "is_authenticated", False))
    return bool(getattr(user, "is_authenticated", False)) and may_write_harvest(
        user=user, meeting=meeting
    )


def _revision_authors() -> Prefetch:
    # Who and when, without the content: a long harvest's revisions add up.
    return Prefetch(
        "revisions", queryset=HarvestRevision.objects.select_related("author").defer("content")
    )


def published_harvests(*, series: Series) -> QuerySet[Harvest]:
    """The series' published harvests, newest meeting first, with their meeting, decisions,
    objections and authors: a page of them in four queries, however many."""
    return (
        Harvest.objects.filter(meeting__series=series, state=State.PUBLISHED)
        .select_related("meeting__series")
        .prefetch_related("decisions__objections", _revision_authors())
        .order_by("-meeting__starts_at", "-pk")
    )


def authors(harvest: Harvest) -> list[str]:
    """Who wrote the harvest, first writer first; a deleted account as "a former member".
    Uses the revisions `published_harvests` loaded, else loads them (one query)."""
    prefetch_related_objects([harvest], _revision_authors())
    names: list[str] = []
    revisions = sorted(harvest.revisions.all(), key=lambda row: (row.created_at, row.pk))
    for revision in revisions:
        name = display_name(revision.author)
        if name not in names:
            names.append(name)
    return names
