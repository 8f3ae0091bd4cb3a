from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.forms.widgets import Script
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from copf.lib.admin import SupportedYearsDateHierarchyMixin
from copf.lib.dates import validate_supported_date
from copf.lib.timezones import TimezoneNameField

from . import display, selectors, services
from .models import PLACEHOLDER_JOIN_URL, Meeting, Series

UTC = ZoneInfo("UTC")
PREVIEW_COUNT = 6
# Where members live, west to east: the preview shows each coming meeting in these cities.
PREVIEW_CITIES = ("Los Angeles", "São Paulo", "London", "Nairobi", "Kolkata", "Tokyo", "Auckland")
CANCELLATION_MESSAGE_MAX_LENGTH = 2000
# The recurrence builder's choices, as RRULE BYDAY codes and ordinals.
WEEKDAYS = (
    ("MO", gettext_lazy("Monday")),
    ("TU", gettext_lazy("Tuesday")),
    ("WE", gettext_lazy("Wednesday")),
    ("TH", gettext_lazy("Thursday")),
    ("FR", gettext_lazy("Friday")),
    ("SA", gettext_lazy("Saturday")),
    ("SU", gettext_lazy("Sunday")),
)
POSITIONS = (
    ("1", gettext_lazy("first")),
    ("2", gettext_lazy("second")),
    ("3", gettext_lazy("third")),
    ("4", gettext_lazy("fourth")),
    ("5", gettext_lazy("fifth")),
    ("-1", gettext_lazy("last")),
    ("-2", gettext_lazy("second-to-last")),
)


def utc_label(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%a %d %b %Y, %H:%M} UTC"


def meeting_time(meeting: Meeting, zone: ZoneInfo) -> str:
    """The meeting's day and times in `zone`, then in UTC: "Tue 3 Mar 2026, 15:00–16:30 CET
    (14:00–15:30 UTC)". UTC is named once when `zone` is UTC itself."""
    local = display.localize(meeting, zone)
    text = f"{local.short_day_label}, {local.time_range} {local.zone_label}"
    if local.zone_label == "UTC":
        return text
    return f"{text} ({local.utc_range})"


def organizer_zone() -> ZoneInfo:
    """The zone the organizer works in: their profile's, which the middleware activated."""
    return timezone.get_current_timezone()


def lowers(*, old: int | None, new: int | None) -> bool:
    """Whether a capacity goes down (None is no limit). Only a lowering is checked against
    the seats taken: raising is always fine, and the waitlist sweep fills the new seats."""
    return new is not None and (old is None or new < old)


class RecurrenceRuleWidget(forms.TextInput):
    """The RRULE text, followed by a builder that static/js/rrule-builder.js shows and keeps in
    step with the text. Without JavaScript the builder stays hidden and the text is the rule."""

    def render(
        self,
        name: str,
        value: object,
        attrs: dict | None = None,
        renderer: object = None,
    ) -> SafeString:
        text_input = super().render(name, value, attrs, renderer)
        input_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        context = {"input_id": input_id, "weekdays": WEEKDAYS, "positions": POSITIONS}
        builder = render_to_string("admin/meetings/series/rrule_builder.html", context)
        return format_html('<div class="rrule-field">{}{}</div>', text_input, builder)


class SeriesAdminForm(forms.ModelForm):
    class Meta:
        model = Series
        fields = (
            "name",
            "slug",
            "description",
            "join_url",
            "capacity",
            "rrule",
            "anchor_timezone",
            "start_date",
            "start_time",
            "duration",
        )
        widgets = {"rrule": RecurrenceRuleWidget(attrs={"class": "vTextField"})}

    def clean_capacity(self) -> int | None:
        capacity = self.cleaned_data["capacity"]
        if not self.instance.pk or not lowers(old=self.instance.capacity, new=capacity):
            return capacity
        over = list(selectors.meetings_over_capacity(series=self.instance, capacity=capacity))
        if over:
            meetings = "; ".join(
                _("%(start)s (%(taken)d taken)")
                % {"start": utc_label(meeting.starts_at), "taken": meeting.seats_taken}
                for meeting in over
            )
            message = ngettext(
                "A capacity of %(capacity)d is lower than the seats already taken at this "
                "coming meeting: %(meetings)s.",
                "A capacity of %(capacity)d is lower than the seats already taken at these "
                "coming meetings: %(meetings)s.",
                len(over),
            )
            raise ValidationError(message % {"capacity": capacity, "meetings": meetings})
        return capacity


def call_address_problem(series: Series) -> str:
    """What is wrong with the series' call address, in words for an organizer; "" if nothing."""
    if not series.join_url:
        return _(
            "“%(name)s” has no call address: members have no link to join its meetings. "
            "Enter the join link of the call."
        ) % {"name": series.name}
    if series.join_url == PLACEHOLDER_JOIN_URL:
        return _(
            "The join link of “%(name)s” is still the placeholder %(url)s: replace it with "
            "the address of the real call."
        ) % {"name": series.name, "url": PLACEHOLDER_JOIN_URL}
    return ""


class CallAddressFilter(admin.SimpleListFilter):
    title = gettext_lazy("call address")
    parameter_name = "call_address"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("missing", _("Missing or placeholder")), ("set", _("Set"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        unusable = Q(join_url="") | Q(join_url=PLACEHOLDER_JOIN_URL)
        if self.value() == "missing":
            return queryset.filter(unusable)
        if self.value() == "set":
            return queryset.exclude(unusable)
        return queryset


@dataclass(frozen=True)
class PreviewRow:
    """One coming date of the rule, as the preview shows it: its start in UTC and in each
    zone, and whether its meeting was cancelled or moved."""

    utc: str
    local: list[str]
    state: str = ""  # "", "cancelled" or "moved"
    note: str = ""


def preview_zones(series: Series) -> list[tuple[str, ZoneInfo]]:
    """The preview's columns after UTC: the anchor zone, if not UTC, then the cities."""
    cities = [
        (city, ZoneInfo(name)) for city, name in display.WORLD_ZONES if city in PREVIEW_CITIES
    ]
    anchor = series.anchor_zone
    if anchor.key == "UTC" or anchor.key in {zone.key for _city, zone in cities}:
        return cities
    return [(_("%(zone)s (the series' zone)") % {"zone": anchor.key}, anchor), *cities]


def preview_rows(series: Series, *, now: datetime) -> list[PreviewRow]:
    """The next dates of the rule, each marked where its meeting was cancelled or moved."""
    slots = series.occurrences(after=now, before=now + timedelta(days=3 * 366))[:PREVIEW_COUNT]
    meetings = {
        meeting.original_start: meeting
        for meeting in series.meetings.filter(is_extra=False, original_start__in=slots)
    }
    zones = [zone for _city, zone in preview_zones(series)]
    rows = []
    for slot in slots:
        meeting = meetings.get(slot)
        start, state, note = slot, "", ""
        if meeting is not None and meeting.is_cancelled:
            state, note = "cancelled", _("Cancelled")
        elif meeting is not None and meeting.starts_at != slot:
            start, state = meeting.starts_at, "moved"
            note = _("Moved from %(slot)s") % {"slot": utc_label(slot)}
        local = [start.astimezone(zone) for zone in zones]
        rows.append(
            PreviewRow(
                utc=utc_label(start),
                local=[
                    f"{moment:%a} {moment.day} {moment:%b}, {moment:%H:%M} "
                    f"{display.zone_label(moment)}"
                    for moment in local
                ],
                state=state,
                note=note,
            )
        )
    return rows


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    form = SeriesAdminForm
    list_display = (
        "name",
        "slug",
        "rrule",
        "anchor_timezone",
        "start_time",
        "duration",
        "call_address",
    )
    list_filter = (CallAddressFilter,)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("schedule_in_words", "preview")
    fieldsets = (
        (None, {"fields": ("name", "slug", "description", "join_url", "capacity")}),
        (
            gettext_lazy("Recurrence"),
            {
                "fields": (
                    "rrule",
                    "anchor_timezone",
                    "start_date",
                    "start_time",
                    "duration",
                    "schedule_in_words",
                    "preview",
                )
            },
        ),
    )

    class Media:
        js = (Script("js/rrule-builder.js", defer=True),)
        css = {"all": ("css/admin-series.css",)}

    @admin.display(description=gettext_lazy("In plain words"))
    def schedule_in_words(self, series: Series) -> str:
        if not series.pk:
            return _("Shown after saving.")
        return display.series_schedule(series)

    @admin.display(description=gettext_lazy("Next meetings by this rule"))
    def preview(self, series: Series) -> str:
        if not series.pk:
            return _("Shown after saving.")
        rows = preview_rows(series, now=timezone.now())
        if not rows:
            return _("This rule produces no more meetings.")
        context = {"rows": rows, "zones": [city for city, _zone in preview_zones(series)]}
        return render_to_string("admin/meetings/series/preview.html", context)

    @admin.display(description=gettext_lazy("Call address"))
    def call_address(self, series: Series) -> str:
        if not series.join_url:
            return _("Missing")
        if series.join_url == PLACEHOLDER_JOIN_URL:
            return _("Placeholder: replace it")
        return urlsplit(series.join_url).hostname or series.join_url

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        if request.method == "GET":
            series = self.get_object(request, unquote(object_id))
            problem = call_address_problem(series) if series is not None else ""
            if problem:
                self.message_user(request, problem, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict,
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Series | None = None,
    ) -> HttpResponse:
        if obj is not None and context["adminform"].form.errors:
            # The form wrote the refused values onto `obj`, and some of them cannot even be
            # described; the schedule and preview beside the errors show the series as saved.
            obj.refresh_from_db()
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request: HttpRequest, obj: Series, form: forms.Form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        result = services.materialize_series(series=obj)
        self.message_user(
            request,
            _(
                "Meetings: %(created)d created, %(updated)d updated, %(removed)d removed, "
                "%(cancelled)d cancelled."
            )
            % {
                "created": result.created,
                "updated": result.updated,
                "removed": result.removed,
                "cancelled": result.cancelled,
            },
            messages.INFO,
        )
        problem = call_address_problem(obj)
        if problem:
            self.message_user(request, problem, messages.WARNING)


class UpcomingFilter(admin.SimpleListFilter):
    title = gettext_lazy("when")
    parameter_name = "when"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("upcoming", _("Upcoming")), ("past", _("Past"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        if self.value() == "upcoming":
            return queryset.upcoming(now=now)
        if self.value() == "past":
            return queryset.past(now=now)
        return queryset


class WallClockDateTimeField(forms.DateTimeField):
    """A date and time read with no zone, so the zone the admin picks is the only one applied
    (Django would otherwise read it in the admin's own zone and refuse its DST gaps)."""

    def to_python(self, value: object) -> datetime | None:
        with timezone.override(UTC):
            result = super().to_python(value)
        return result.replace(tzinfo=None) if result else result


class MeetingAdminForm(forms.ModelForm):
    """Times are entered as wall-clock time in a zone the admin picks, stored in UTC."""

    time_zone = TimezoneNameField(
        initial="UTC",
        label=gettext_lazy("Time zone"),
        help_text=gettext_lazy("The zone of the start time you enter. It is stored in UTC."),
    )
    local_start = WallClockDateTimeField(
        label=gettext_lazy("Starts (in that zone)"),
        help_text=gettext_lazy("YYYY-MM-DD HH:MM"),
        validators=[validate_supported_date],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    duration_minutes = forms.IntegerField(
        label=gettext_lazy("Length (minutes)"), min_value=5, max_value=24 * 60, initial=90
    )

    class Meta:
        model = Meeting
        fields = ("series", "title", "description", "join_url", "capacity")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["series"].disabled = True
            self.initial.setdefault(
                "local_start", self.instance.starts_at.astimezone(UTC).replace(tzinfo=None)
            )
            self.initial.setdefault(
                "duration_minutes", int(self.instance.duration.total_seconds() // 60)
            )
        else:
            self.fields["series"].help_text = _(
                "Optional: the series this extra meeting belongs to."
            )

    def clean_capacity(self) -> int | None:
        capacity = self.cleaned_data["capacity"]
        meeting = self.instance
        if not meeting.pk:
            return capacity
        series_capacity = meeting.series.capacity if meeting.series_id else None
        effective = capacity if capacity is not None else series_capacity
        if not lowers(old=meeting.effective_capacity, new=effective):
            return capacity
        taken = selectors.seats_taken(meeting)
        if effective >= taken:
            return capacity
        if capacity is None:
            message = ngettext(
                "Empty means the series' capacity of %(capacity)d applies, but %(taken)d seat "
                "is already taken.",
                "Empty means the series' capacity of %(capacity)d applies, but %(taken)d seats "
                "are already taken.",
                taken,
            )
        else:
            message = ngettext(
                "%(taken)d seat is already taken, so the capacity cannot be lower than %(taken)d.",
                "%(taken)d seats are already taken, so the capacity cannot be lower than "
                "%(taken)d.",
                taken,
            )
        raise ValidationError(message % {"capacity": effective, "taken": taken})

    def clean(self) -> dict[str, object]:
        cleaned = super().clean()
        zone_name, local = cleaned.get("time_zone"), cleaned.get("local_start")
        minutes = cleaned.get("duration_minutes")
        if zone_name is None or local is None or minutes is None:
            return cleaned
        zone = ZoneInfo(zone_name)
        local = local.replace(tzinfo=None)
        starts_at = local.replace(tzinfo=zone).astimezone(UTC)
        if starts_at.astimezone(zone).replace(tzinfo=None) != local:
            message = _("%(local)s does not exist in %(zone)s: clocks skip it.") % {
                "local": f"{local:%Y-%m-%d %H:%M}",
                "zone": zone.key,
            }
            raise ValidationError({"local_start": message})
        # The field checked the year as typed; the services check the UTC instant, which
        # can fall a day either side.
        try:
            validate_supported_date(starts_at)
        except ValidationError as error:
            raise ValidationError({"local_start": error}) from None
        cleaned["starts_at"] = starts_at
        cleaned["ends_at"] = starts_at + timedelta(minutes=minutes)
        if self.instance.pk and self.instance.is_cancelled and starts_at != self.instance.starts_at:
            raise ValidationError({"local_start": _("A cancelled meeting cannot be moved.")})
        return cleaned


class CancellationForm(forms.Form):
    message = forms.CharField(
        label=gettext_lazy("Message to members (optional)"),
        required=False,
        max_length=CANCELLATION_MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=gettext_lazy(
            "Why it is cancelled, or where to go instead. The cancellation e-mail quotes it."
        ),
    )


@admin.register(Meeting)
class MeetingAdmin(SupportedYearsDateHierarchyMixin, admin.ModelAdmin):
    form = MeetingAdminForm
    list_display = ("title", "series", "start_utc", "status", "is_extra", "sequence")
    list_filter = ("series", "status", UpcomingFilter, "is_extra")
    search_fields = ("title", "series__name", "description")
    list_select_related = ("series",)
    date_hierarchy = "starts_at"
    actions = ("cancel_selected",)
    readonly_fields = (
        "start_utc",
        "end_utc",
        "status",
        "sequence",
        "original_start_utc",
        "detached",
        "updated_at",
    )

    def get_fieldsets(self, request: HttpRequest, obj: Meeting | None = None) -> list:
        time_fields = ("time_zone", "local_start", "duration_minutes")
        fieldsets = [
            (None, {"fields": ("series", "title", "description", "join_url", "capacity")}),
            (_("Time"), {"fields": time_fields}),
        ]
        if obj is not None:
            fieldsets.append((_("As stored"), {"fields": self.readonly_fields}))
        return fieldsets

    @admin.display(description=gettext_lazy("Starts (UTC)"), ordering="starts_at")
    def start_utc(self, meeting: Meeting) -> str:
        return utc_label(meeting.starts_at)

    @admin.display(description=gettext_lazy("Ends (UTC)"))
    def end_utc(self, meeting: Meeting) -> str:
        return utc_label(meeting.ends_at)

    @admin.display(description=gettext_lazy("Original start (UTC)"))
    def original_start_utc(self, meeting: Meeting) -> str:
        return utc_label(meeting.original_start)

    def save_model(
        self, request: HttpRequest, obj: Meeting, form: MeetingAdminForm, change: bool
    ) -> None:
        data = form.cleaned_data
        moved = False
        if change:
            current = Meeting.objects.get(pk=obj.pk)
            meeting = services.update_meeting(
                meeting=current,
                title=data["title"],
                description=data["description"],
                join_url=data["join_url"],
                capacity=data["capacity"],
            )
            if (data["starts_at"], data["ends_at"]) != (meeting.starts_at, meeting.ends_at):
                moved = data["starts_at"] != meeting.starts_at
                meeting = services.move_meeting(
                    meeting=meeting, starts_at=data["starts_at"], ends_at=data["ends_at"]
                )
        else:
            meeting = services.schedule_extra_meeting(
                title=data["title"],
                description=data["description"],
                join_url=data["join_url"],
                capacity=data["capacity"],
                series=data["series"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
            )
        obj.pk = meeting.pk
        obj.refresh_from_db()
        when = meeting_time(meeting, ZoneInfo(data["time_zone"]))
        if not change:
            text = _("“%(title)s” is scheduled for %(when)s.")
        elif moved:
            text = _("“%(title)s” is moved to %(when)s.")
        elif meeting.is_cancelled:
            text = _("“%(title)s” is saved and stays cancelled; it was on %(when)s.")
        else:
            text = _("“%(title)s” is on %(when)s.")
        self.message_user(request, text % {"title": meeting.title, "when": when}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Cancel selected meetings…"), permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Ask first, on a page that lists the meetings and takes a message to members
        (Django's intermediate action page: it posts the selection back with `post`)."""
        selected = list(queryset.order_by("starts_at", "pk"))
        to_cancel = [meeting for meeting in selected if not meeting.is_cancelled]
        already = [meeting for meeting in selected if meeting.is_cancelled]
        if not to_cancel:
            self.message_user(
                request,
                _("The selected meetings are already cancelled; nothing changed."),
                messages.WARNING,
            )
            return None
        zone = organizer_zone()
        form = CancellationForm(request.POST if "post" in request.POST else None)
        if form.is_valid():
            message = form.cleaned_data["message"]
            for meeting in to_cancel:
                services.cancel_meeting(meeting=meeting, message=message)
            listed = "; ".join(
                _("“%(title)s” on %(when)s")
                % {"title": meeting.title, "when": meeting_time(meeting, zone)}
                for meeting in to_cancel
            )
            text = ngettext(
                "Cancelled %(count)d meeting: %(meetings)s. Everyone who holds it will be sent "
                "the cancellation.",
                "Cancelled %(count)d meetings: %(meetings)s. Everyone who holds them will be "
                "sent the cancellation.",
                len(to_cancel),
            ) % {"count": len(to_cancel), "meetings": listed}
            if message:
                text += " " + _("The cancellation quotes your message.")
            self.message_user(request, text, messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": ngettext(
                "Cancel this meeting?", "Cancel these %(count)d meetings?", len(to_cancel)
            )
            % {"count": len(to_cancel)},
            "form": form,
            "to_cancel": [(meeting, meeting_time(meeting, zone)) for meeting in to_cancel],
            "already": [(meeting, meeting_time(meeting, zone)) for meeting in already],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "selected": [meeting.pk for meeting in selected],
        }
        return TemplateResponse(
            request,
            "admin/meetings/meeting/cancel_selected_confirmation.html",
            context,
            status=400 if form.is_bound else 200,
        )

    def get_urls(self) -> list:
        cancel = path(
            "<path:object_id>/cancel/",
            self.admin_site.admin_view(self.cancel_view),
            name="meetings_meeting_cancel",
        )
        return [cancel, *super().get_urls()]

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        """A meeting someone answered or was sent is cancelled, never deleted: they must
        hear of it, and a deleted meeting would stay in their calendars as a ghost."""
        meeting = self.get_object(request, unquote(object_id))
        if meeting is not None and selectors.is_held(meeting):
            self.message_user(
                request,
                _(
                    "Members answered “%(title)s” or hold it in their calendars, so it cannot "
                    "be deleted. Cancel it instead: they will be sent the cancellation."
                )
                % {"title": meeting.title},
                messages.WARNING,
            )
            return redirect("admin:meetings_meeting_cancel", meeting.pk)
        return super().delete_view(request, object_id, extra_context)

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        meeting = self.get_object(request, unquote(object_id))
        if meeting is None:
            raise Http404(_("No such meeting."))
        if not self.has_change_permission(request, meeting):
            raise PermissionDenied
        change_url = reverse("admin:meetings_meeting_change", args=[meeting.pk])
        when = meeting_time(meeting, organizer_zone())
        form = CancellationForm(request.POST if request.method == "POST" else None)
        if form.is_valid() and not meeting.is_cancelled:
            message = form.cleaned_data["message"]
            services.cancel_meeting(meeting=meeting, message=message)
            if message:
                text = _(
                    "“%(title)s” on %(when)s is cancelled. Everyone who holds it will be sent "
                    "the cancellation with your message."
                )
            else:
                text = _(
                    "“%(title)s” on %(when)s is cancelled. Everyone who holds it will be sent "
                    "the cancellation."
                )
            self.message_user(
                request, text % {"title": meeting.title, "when": when}, messages.SUCCESS
            )
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "meeting": meeting,
            "when": when,
            "form": form,
            "change_url": change_url,
            "title": _("Cancel this meeting?"),
        }
        return TemplateResponse(
            request,
            "admin/meetings/meeting/cancel_confirmation.html",
            context,
            status=400 if form.is_bound and not meeting.is_cancelled else 200,
        )
