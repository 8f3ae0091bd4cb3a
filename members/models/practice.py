"""The practice in each meeting: roles that rotate, an agenda members shape, and the
harvest that keeps what was learnt."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from copf.lib.text import LineField, ParagraphsField

from .people import User

MAX_PLACES = 10
MAX_AGENDA_MINUTES = 240
MAX_HARVEST_TEXT = 10_000


class Role(models.Model):
    """A role meetings need, with how many members hold it: for every meeting of a series
    (`series` set) or, in place of the series' role with the same slug, for one meeting
    (`meeting` set; no places takes the role out of that meeting)."""

    series = models.ForeignKey(
        "meetings.Series", null=True, blank=True, on_delete=models.CASCADE, related_name="roles"
    )
    meeting = models.ForeignKey(
        "meetings.Meeting", null=True, blank=True, on_delete=models.CASCADE, related_name="roles"
    )
    slug = models.SlugField(max_length=40)
    name = LineField(_("role"), max_length=60)
    places = models.PositiveSmallIntegerField(
        _("places"), default=1, validators=[MaxValueValidator(MAX_PLACES)]
    )
    position = models.PositiveSmallIntegerField(default=0)
    nudge = models.BooleanField(
        _("ask for it when open"),
        default=False,
        help_text=_(
            "A week and two days before, members who opted in are asked to take an open place."
        ),
    )

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(series__isnull=True) ^ Q(meeting__isnull=True),
                name="role_of_a_series_or_a_meeting",
            ),
            models.UniqueConstraint(
                fields=["series", "slug"],
                condition=Q(series__isnull=False),
                name="role_once_per_series",
            ),
            models.UniqueConstraint(
                fields=["meeting", "slug"],
                condition=Q(meeting__isnull=False),
                name="role_once_per_meeting",
            ),
            models.CheckConstraint(
                condition=Q(places__lte=MAX_PLACES), name="role_places_at_most_ten"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    """A member holds a role (by its slug) in one meeting."""

    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.SlugField(max_length=40)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    assigned_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "role", "user"], name="role_held_once_per_member"
            ),
        ]
        indexes = [models.Index(fields=["meeting", "role"])]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.meeting}"


class AgendaItem(models.Model):
    """Something a member proposes for a meeting; the facilitator or an organizer accepts
    (and orders) or declines it."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="agenda_items"
    )
    proposer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="agenda_items")
    title = LineField(_("title"), max_length=120)
    description = ParagraphsField(_("description"), max_length=1000, blank=True)
    minutes = models.PositiveSmallIntegerField(
        _("minutes"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_AGENDA_MINUTES)],
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    position = models.PositiveSmallIntegerField(default=0)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=MAX_AGENDA_MINUTES),
                name="agenda_item_minutes_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Harvest(models.Model):
    """What a meeting practised and learnt, written after it. Markdown, rendered safely
    (`copf.lib.markdown`); each edit keeps a revision."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    meeting = models.OneToOneField(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="harvest"
    )
    practised = models.TextField(_("what we practised"), max_length=MAX_HARVEST_TEXT, blank=True)
    learnt = models.TextField(_("what we learnt"), max_length=MAX_HARVEST_TEXT, blank=True)
    resources = models.TextField(_("resources shared"), max_length=MAX_HARVEST_TEXT, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["state", "published_at"])]

    def __str__(self) -> str:
        return f"Harvest of {self.meeting}"

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED


class HarvestDecision(models.Model):
    """A decision the meeting took by consent."""

    harvest = models.ForeignKey(Harvest, on_delete=models.CASCADE, related_name="decisions")
    position = models.PositiveSmallIntegerField(default=0)
    proposal = ParagraphsField(_("decision"), max_length=2000)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.proposal


class HarvestObjection(models.Model):
    """An objection raised to a decision, and how it was integrated."""

    decision = models.ForeignKey(
        HarvestDecision, on_delete=models.CASCADE, related_name="objections"
    )
    position = models.PositiveSmallIntegerField(default=0)
    objection = ParagraphsField(_("objection"), max_length=2000)
    integration = ParagraphsField(_("how it was integrated"), max_length=2000)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.objection


class HarvestRevision(models.Model):
    """The harvest as one edit left it: who, when and all it said."""

    harvest = models.ForeignKey(Harvest, on_delete=models.CASCADE, related_name="revisions")
    # Kept when the author leaves: their text stays, by "a former member".
    author = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="harvest_revisions"
    )
    created_at = models.DateTimeField()
    content = models.JSONField()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Revision of {self.harvest} at {self.created_at:%Y-%m-%d %H:%M} UTC"


class Attendance(models.Model):
    """Whether a member came to a meeting: recorded when they followed their join link,
    marked by the host, the facilitator or an organizer, or added by the member ("I was
    there"). No row is "not recorded". A deleted member's rows stay without them, so the
    counts do not change."""

    class Source(models.TextChoices):
        JOIN_LINK = "join", _("Joined through their link")
        MARKED = "marked", _("Marked by the host, facilitator or an organizer")
        SELF = "self", _("Said they were there")

    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="attendances"
    )
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="attendances"
    )
    present = models.BooleanField()
    source = models.CharField(max_length=6, choices=Source.choices)
    joined_at = models.DateTimeField(null=True, blank=True)
    marked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=Q(user__isnull=False),
                name="attendance_once_per_member",
            ),
        ]
        indexes = [models.Index(fields=["meeting", "present"])]

    def __str__(self) -> str:
        state = "present" if self.present else "absent"
        return f"{self.user or 'a former member'} {state} at {self.meeting}"
