from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from copf.lib.admin import SupportedYearsDateHierarchyMixin
from copf.lib.dates import validate_supported_date
from copf.lib.timezones import TimezoneNameField

from . import display, selectors, services
from .models import Meeting, Series

UTC = ZoneInfo("UTC")
PREVIEW_COUNT = 8


def utc_label(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%a %d %b %Y, %H:%M} UTC"


def lowers(*, old: int | None, new: int | None) -> bool:
    """Whether a capacity goes down (None is no limit). Only a lowering is checked against
    the seats taken: raising is always fine, and the waitlist sweep fills the new seats."""
    return new is not None and (old is None or new < old)


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


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    form = SeriesAdminForm
    list_display = ("name", "slug", "rrule", "anchor_timezone", "start_time", "duration")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("schedule_in_words", "preview")
    fieldsets = (
        (None, {"fields": ("name", "slug", "description", "join_url", "capacity")}),
        (
            "Recurrence",
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

    @admin.display(description="In plain words")
    def schedule_in_words(self, series: Series) -> str:
        if not series.pk:
            return "Shown after saving."
        return display.series_schedule(series)

    @admin.display(description="Next meetings by this rule")
    def preview(self, series: Series) -> str:
        if not series.pk:
            return "Shown after saving."
        now = timezone.now()
        starts = series.occurrences(after=now, before=now + timedelta(days=3 * 366))
        rows = [
            (
                utc_label(start),
                f"{start.astimezone(series.anchor_zone):%H:%M %Z} in {series.anchor_zone.key}",
            )
            for start in starts[:PREVIEW_COUNT]
        ]
        if not rows:
            return "This rule produces no more meetings."
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} ({})</li>", rows))

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
            f"Meetings: {result.created} created, {result.updated} updated, "
            f"{result.removed} removed, {result.cancelled} cancelled.",
            messages.INFO,
        )


class UpcomingFilter(admin.SimpleListFilter):
    title = "when"
    parameter_name = "when"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("upcoming", "Upcoming"), ("past", "Past")]

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
        help_text="The zone of the start time you enter. It is stored in UTC.",
    )
    local_start = WallClockDateTimeField(
        label="Starts (in that zone)",
        help_text="YYYY-MM-DD HH:MM",
        validators=[validate_supported_date],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    duration_minutes = forms.IntegerField(
        label="Length (minutes)", min_value=5, max_value=24 * 60, initial=90
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
            self.fields["series"].help_text = "Optional: the series this extra meeting belongs to."

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
            message = f"{local:%Y-%m-%d %H:%M} does not exist in {zone.key}: clocks skip it."
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
            raise ValidationError({"local_start": "A cancelled meeting cannot be moved."})
        return cleaned


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
            ("Time", {"fields": time_fields}),
        ]
        if obj is not None:
            fieldsets.append(("As stored", {"fields": self.readonly_fields}))
        return fieldsets

    @admin.display(description="Starts (UTC)", ordering="starts_at")
    def start_utc(self, meeting: Meeting) -> str:
        return utc_label(meeting.starts_at)

    @admin.display(description="Ends (UTC)")
    def end_utc(self, meeting: Meeting) -> str:
        return utc_label(meeting.ends_at)

    @admin.display(description="Original start (UTC)")
    def original_start_utc(self, meeting: Meeting) -> str:
        return utc_label(meeting.original_start)

    def save_model(
        self, request: HttpRequest, obj: Meeting, form: MeetingAdminForm, change: bool
    ) -> None:
        data = form.cleaned_data
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
        self.message_user(
            request,
            f"“{meeting.title}” is on {utc_label(meeting.starts_at)} "
            f"(ends {meeting.ends_at.astimezone(UTC):%H:%M} UTC).",
            messages.SUCCESS,
        )

    @admin.action(description="Cancel selected meetings", permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = 0
        for meeting in queryset:
            if not meeting.is_cancelled:
                services.cancel_meeting(meeting=meeting)
                count += 1
        self.message_user(request, f"Cancelled {count} meeting(s).", messages.SUCCESS)

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
        if request.method == "POST":
            services.cancel_meeting(meeting=meeting)
            self.message_user(
                request,
                _("“%(title)s” is cancelled. Everyone who holds it will be sent the cancellation.")
                % {"title": meeting.title},
                messages.SUCCESS,
            )
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "meeting": meeting,
            "start": utc_label(meeting.starts_at),
            "change_url": change_url,
            "title": _("Cancel this meeting?"),
        }
        return TemplateResponse(request, "admin/meetings/meeting/cancel_confirmation.html", context)
