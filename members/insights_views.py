"""`/insights/`: the organizers' page of figures and charts (see `members.insights`).

Charts are SVG drawn on the server by pygal, with its JavaScript off, and sent as `data:`
images: an image cannot run scripts and its inner styles are its own, so the page's
Content-Security-Policy (`img-src 'self' data:`) allows them as they are. Each chart has
its numbers in a table beside it.
"""

import base64
from datetime import date

import pygal
from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe
from pygal.style import Style

from meetings.models import Series

from . import insights as figures
from .practice.access import is_organizer

MONTH_FORMATS = ["%Y-%m"]
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 1)


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From (month)"),
        input_formats=MONTH_FORMATS,
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    end = forms.DateField(
        label=gettext_lazy("To (month)"),
        input_formats=MONTH_FORMATS,
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    track = forms.ModelChoiceField(
        label=gettext_lazy("Track"),
        queryset=Series.objects.order_by("name", "pk"),
        to_field_name="slug",
        required=False,
        empty_label=gettext_lazy("All tracks"),
    )

    def __init__(self, *args: object, default: figures.Period, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.default = default

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        first = data.get("start") or self.default.first
        last = data.get("end") or self.default.last
        if data.get("start") and not data.get("end"):
            last = min(figures.add_months(first, figures.MAX_MONTHS - 1), self.default.last)
            last = max(last, first)
        if data.get("end") and not data.get("start"):
            first = figures.add_months(last, 1 - 12)
        for month in (first, last):
            if not EARLIEST <= month <= LATEST:
                raise forms.ValidationError(_("Pick months between 2000 and 2100."))
        if first > last:
            raise forms.ValidationError(_("The first month comes after the last one."))
        if len(figures.Period(first=first, last=last).months) > figures.MAX_MONTHS:
            raise forms.ValidationError(
                _("Pick at most %(count)s months.") % {"count": figures.MAX_MONTHS}
            )
        data["period"] = figures.Period(first=first, last=last)
        return data


@require_safe
def insights(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_organizer(request.user):
        raise PermissionDenied
    now = timezone.now()
    default = figures.last_months(now=now)
    form = PeriodForm(
        request.GET or None,
        default=default,
        initial={"start": default.first, "end": default.last},
    )
    if request.GET and not form.is_valid():
        return render(request, "members/insights.html", {"form": form}, status=400)
    data = form.cleaned_data if request.GET else {}
    period = data.get("period") or form.default
    result = figures.insights(period=period, now=now, series=data.get("track"))
    return render(
        request,
        "members/insights.html",
        {
            "form": form,
            "result": result,
            "sections": [
                {"track": track, "charts": _track_charts(track)} for track in result.tracks
            ],
            "definitions": {
                "return_days": figures.RETURN_WINDOW.days,
                "regular_meetings": figures.REGULAR_MEETINGS,
                "regular_months": figures.REGULAR_MONTHS,
                "night_starts": figures.NIGHT_STARTS,
                "night_ends": figures.NIGHT_ENDS,
            },
        },
    )


# --- charts ---------------------------------------------------------------------------------

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1b1f24",
    foreground_strong="#1b1f24",
    foreground_subtle="#5b6470",
    colors=("#1f6feb", "#d1242f", "#1a7f37", "#9a6700"),
    font_family="system-ui, sans-serif",
    # Large for the drawing's size: on a phone the 480-pixel chart is drawn smaller still.
    label_font_size=15,
    major_label_font_size=15,
    legend_font_size=16,
    title_font_size=18,
    value_font_size=14,
)


def _config(**extra: object) -> dict:
    return {
        "style": STYLE,
        "js": [],  # no script: the chart is an image, read without JavaScript
        "disable_xml_declaration": True,
        "width": 480,
        "height": 360,
        "show_minor_x_labels": False,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 1,
        "truncate_legend": -1,
        "x_label_rotation": 40,
        "print_values": False,
        **extra,
    }


def _without_scripts(root: object) -> object:
    # `js=[]` drops pygal's tooltips script; this drops the config script it still writes.
    for parent in list(root.iter()):
        for child in list(parent):
            if str(child.tag).rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def data_uri(chart: pygal.graph.graph.Graph) -> str:
    chart.add_xml_filter(_without_scripts)
    svg = chart.render(is_unicode=True)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def _month_label(month: date) -> str:
    return date_format(month, "M Y")


def _track_charts(track: figures.Track) -> dict[str, str]:
    labels = [_month_label(month.month) for month in track.months]
    every = max(1, len(labels) // 6)  # at most six month labels, so they stay readable
    attendance = pygal.Line(
        **_config(title=_("Attendance and yes answers per month"), x_labels_major_every=every)
    )
    attendance.x_labels = labels
    attendance.add(_("Attended"), [month.attendance for month in track.months])
    attendance.add(_("Answered yes"), [month.yes for month in track.months])

    cohorts = pygal.Bar(
        **_config(title=_("First-timers and who came back"), x_labels_major_every=every)
    )
    cohorts.x_labels = labels
    cohorts.add(_("First-timers"), [month.first_timers for month in track.months])
    cohorts.add(_("Came back"), [month.returned for month in track.months])

    charts = {"attendance": data_uri(attendance), "cohorts": data_uri(cohorts)}
    if track.bands:
        hours = pygal.StackedBar(
            **_config(title=_("Members by local start hour"), x_labels_major_every=3)
        )
        hours.x_labels = [f"{hour:02d}:00" for hour in range(24)]
        for band, name in WORLD_BAND_NAMES.items():
            counts = [0] * 24
            for row in track.bands:
                if row.world == band:
                    counts[row.local_start.hour] += row.members
            hours.add(str(name), counts)
        charts["hours"] = data_uri(hours)
    return charts


WORLD_BAND_NAMES = {
    "americas": gettext_lazy("The Americas (UTC−12 to −03)"),
    "europe-africa": gettext_lazy("Europe, Africa, Middle East (UTC−02 to +04)"),
    "asia-oceania": gettext_lazy("Asia and Oceania (above UTC+04)"),
}
