"""The poll forms: what an organizer asks (with the two helpers that add slots), a vote,
and closing on a slot. Each hands the services plain values; the services keep the rules."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext as _now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from copf.lib.timezones import MAX_NAME_LENGTH, TimezoneSelect, parse_timezone
from meetings.models import Series

from ..models import Poll, PollSlot, PollVote, PollVoter
from ..models.polls import MAX_LENGTH, MIN_LENGTH
from ..practice import BadInput
from . import slots as slot_rules
from .services import PollDraft

LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")
# A guest's link token: a signed list of three short values.
MAX_TOKEN_LENGTH = 400


class LocalDateTimeField(forms.Field):
    """A wall-clock date and time with no zone: the form says which zone it is in."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"})
    default_error_messages = {"invalid": _("Enter a date and time like 2027-03-29 14:00.")}

    def to_python(self, value: object) -> datetime | None:
        text = str(value or "").strip()
        if not text:
            return None
        if len(text) > len("2027-03-29T14:00"):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        for layout in LOCAL_FORMATS:
            try:
                # Wall-clock time in the form's zone, made aware by slots.local_to_utc.
                return datetime.strptime(text, layout)  # noqa: DTZ007
            except ValueError:
                continue
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


def zone_field(**kwargs: object) -> forms.CharField:
    """The site's zone picker over a plain name: an unknown name is not a form error but
    falls back to UTC, and the page says so."""
    return forms.CharField(
        max_length=MAX_NAME_LENGTH,
        required=False,
        widget=TimezoneSelect(),
        **kwargs,
    )


class PollForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=Poll._meta.get_field("title").max_length)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=Poll._meta.get_field("description").max_length,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    length = forms.IntegerField(
        label=_("Length in minutes"),
        min_value=int(MIN_LENGTH.total_seconds() // 60),
        max_value=int(MAX_LENGTH.total_seconds() // 60),
        initial=90,
    )
    kind = forms.ChoiceField(
        label=_("The poll is for"),
        choices=Poll.Kind.choices,
        initial=Poll.Kind.ONE_OFF,
        widget=forms.RadioSelect,
    )
    frequency = forms.ChoiceField(
        label=_("A new recurring slot repeats"),
        choices=[("", _("(only for a recurring slot)")), *Poll.Frequency.choices],
        required=False,
    )
    audience = forms.ChoiceField(
        label=_("Who is asked"),
        choices=Poll.Audience.choices,
        initial=Poll.Audience.MEMBERS,
        widget=forms.RadioSelect,
    )
    series = forms.ModelChoiceField(
        label=_("Series"),
        queryset=Series.objects.order_by("name"),
        required=False,
        empty_label=_("(none)"),
        help_text=_(
            "Whose followers are asked; an extra meeting also becomes a session of this series."
        ),
    )
    join_url = forms.URLField(
        label=_("Join link"),
        required=False,
        max_length=Poll._meta.get_field("join_url").max_length,
        assume_scheme="https",
        help_text=_("The call address for the meeting, if you know it already."),
    )
    timezone = zone_field(
        label=_("Your time zone"),
        help_text=_("The slots and the deadline are times in this zone."),
    )
    deadline = LocalDateTimeField(
        label=_("Deadline for votes"), help_text=_("Before the first slot.")
    )
    slots = forms.CharField(
        label=_("Slots, one a line"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "2027-03-29 14:00"}),
        help_text=_("Each line a date and a start time, like 2027-03-29 14:00."),
    )
    each_time = forms.TimeField(
        label=_("This time"),
        required=False,
        input_formats=["%H:%M"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    each_days = forms.CharField(
        label=_("On each of these days"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2027-03-29, 2027-03-30"}),
        help_text=_("Dates like 2027-03-29, one a line or separated by commas."),
    )
    clock_day = forms.DateField(
        label=_("On this day"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    clock_every = forms.TypedChoiceField(
        label=_("Every"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")]
        + [
            (step, ngettext_lazy("%(hours)s hour", "%(hours)s hours", "hours") % {"hours": step})
            for step in slot_rules.CLOCK_STEPS
        ],
    )

    def clean_each_days(self) -> list[date]:
        days = []
        for word in re.split(r"[\s,;]+", self.cleaned_data["each_days"]):
            if not word:
                continue
            try:
                if len(word) != len("2027-03-29"):
                    raise ValueError(word)
                days.append(date.fromisoformat(word))
            except ValueError:
                raise forms.ValidationError(
                    _("“%(word)s” is not a date like 2027-03-29."), params={"word": word[:20]}
                ) from None
        return days

    def zone(self) -> ZoneInfo | None:
        """The zone the slots are in, or None if the name given is no zone we know."""
        return parse_timezone(self.cleaned_data.get("timezone") or "")

    def draft(self, zone: ZoneInfo) -> PollDraft:
        """What the organizer asks, the slots and deadline in UTC; BadInput says what is
        wrong with them."""
        data = self.cleaned_data
        slots = slot_rules.parse_lines(data["slots"], zone)
        if data["each_time"] or data["each_days"]:
            if not (data["each_time"] and data["each_days"]):
                raise BadInput(_now("To add a time on each of several days, give both."))
            slots += slot_rules.on_each_day(data["each_days"], data["each_time"], zone)
        if data["clock_day"] or data["clock_every"]:
            if not (data["clock_day"] and data["clock_every"]):
                raise BadInput(_now("To add slots around the clock, give the day and the step."))
            slots += slot_rules.around_the_clock(data["clock_day"], data["clock_every"], zone)
        deadline = data["deadline"]
        return PollDraft(
            title=data["title"],
            description=data["description"],
            length=timedelta(minutes=data["length"]),
            kind=data["kind"],
            frequency=data["frequency"],
            audience=data["audience"],
            series=data["series"],
            zone=zone,
            join_url=data["join_url"],
            deadline=slot_rules.local_to_utc(deadline.date(), deadline.time(), zone),
            slots=slots,
        )


class VoteForm(forms.Form):
    """A choice per slot (none: that slot's vote stays as it was), and for a new guest
    their name, address and zone. The poll's key and a guest's token ride along hidden."""

    key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    guest = forms.CharField(required=False, max_length=MAX_TOKEN_LENGTH, widget=forms.HiddenInput)

    def __init__(self, *args: object, slots: list[PollSlot], new_guest: bool, **kwargs: object):
        super().__init__(*args, **kwargs)
        for slot in slots:
            self.fields[slot_field(slot)] = forms.ChoiceField(
                choices=PollVote.Choice.choices, required=False, widget=forms.RadioSelect
            )
        if new_guest:
            self.fields["name"] = forms.CharField(
                label=_("Your name"),
                max_length=PollVoter._meta.get_field("name").max_length,
                help_text=_("Others who vote see it beside your votes."),
            )
            self.fields["email"] = forms.EmailField(
                label=_("Your e-mail address"),
                help_text=_("We send you a link to confirm it; no one else sees it."),
            )
            self.fields["timezone"] = zone_field(label=_("Your time zone"))

    def choices(self) -> dict[int, str]:
        return {
            int(name.removeprefix("slot-")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("slot-") and value
        }


def slot_field(slot: PollSlot) -> str:
    return f"slot-{slot.pk}"


class CloseForm(forms.Form):
    slot = forms.IntegerField(label=_("Slot"), min_value=1, max_value=2**63 - 1)


class LeadingSlotForm(forms.Form):
    slot = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
