"""The schedule on other sites: the `<copf-sessions>` script, the iframe page, and the page
that explains both with a snippet builder.

Only the iframe page (`/embed/sessions/`) may be framed by other sites; every other page
keeps refusing frames.
"""

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from csp.decorators import csp_replace
from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.dateformat import format as format_date
from django.utils.html import escape
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from . import display, selectors
from .models import Meeting, Series

UTC = ZoneInfo("UTC")
# Kept in the repository under a stable name: collectstatic would hash it.
SCRIPT_PATH = Path(settings.BASE_DIR) / "static" / "embed" / "copf-sessions.js"
SCRIPT_MAX_AGE = 60 * 60
FRAME_MAX_AGE = 5 * 60
COUNT_DEFAULT = 3
COUNT_MAX = 20
# The languages the component has strings for (its STRINGS table); more come with theirs.
LANGUAGES = [("en", "English")]
THEMES = [
    ("auto", gettext_lazy("Follow the visitor's setting")),
    ("light", gettext_lazy("Light")),
    ("dark", gettext_lazy("Dark")),
]
# Rough heights for the iframe snippet: a line of padding, and a session with its links.
FRAME_PADDING_PX = 40
FRAME_ROW_PX = 100


class EmbedOptionsForm(forms.Form):
    series = forms.ModelChoiceField(
        queryset=Series.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=gettext_lazy("All series"),
        label=gettext_lazy("Series"),
        error_messages={"invalid_choice": gettext_lazy("There is no series with that name.")},
    )
    count = forms.IntegerField(
        min_value=1,
        max_value=COUNT_MAX,
        required=False,
        label=gettext_lazy("How many sessions"),
        help_text=gettext_lazy("From 1 to 20."),
        error_messages={"invalid": gettext_lazy("The number of sessions must be from 1 to 20.")},
    )
    theme = forms.ChoiceField(choices=THEMES, required=False, label=gettext_lazy("Colours"))
    lang = forms.ChoiceField(choices=LANGUAGES, required=False, label=gettext_lazy("Language"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["count"].widget.attrs.update(min=1, max=COUNT_MAX)


@dataclass(frozen=True)
class EmbedOptions:
    series: Series | None = None
    count: int = COUNT_DEFAULT
    theme: str = "auto"
    lang: str = "en"

    @classmethod
    def of(cls, form: EmbedOptionsForm) -> "EmbedOptions":
        """The form's valid values, the defaults for the rest (and for an unbound form)."""
        if form.is_bound:
            form.is_valid()
        data = getattr(form, "cleaned_data", {})
        return cls(
            series=data.get("series"),
            count=data.get("count") or COUNT_DEFAULT,
            theme=data.get("theme") or "auto",
            lang=data.get("lang") or "en",
        )

    def query(self) -> dict[str, str]:
        query = {"series": self.series.slug} if self.series else {}
        return {**query, "count": str(self.count), "theme": self.theme, "lang": self.lang}


@dataclass(frozen=True)
class FrameSession:
    """One session as the iframe page first shows it: in UTC, rewritten in the browser."""

    meeting: Meeting
    starts_at: str  # ISO 8601 in UTC, as the API gives it
    ends_at: str
    url: str
    calendar_url: str
    utc_day: str
    utc_text: str
    seats: str


# --- /embed.js ------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _script(mtime_ns: int) -> tuple[bytes, str]:
    """The script and its ETag, read again when the file changes (the key is its mtime)."""
    body = SCRIPT_PATH.read_bytes()
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def script_body() -> tuple[bytes, str]:
    return _script(SCRIPT_PATH.stat().st_mtime_ns)


@require_safe
def embed_script(request: HttpRequest) -> HttpResponse:
    """The `<copf-sessions>` web component, at a path that never changes."""
    body, etag = script_body()
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["ETag"] = etag
    # A script tag needs no CORS; a page that fetches the script to inspect it may.
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=SCRIPT_MAX_AGE)
    return response


# --- /embed/sessions/ -----------------------------------------------------------------


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
@require_safe
def embed_sessions(request: HttpRequest) -> HttpResponse:
    """The coming sessions for an iframe on any site: no navigation, times in UTC until
    static/js/embed-frame.js rewrites them in the visitor's zone."""
    form = EmbedOptionsForm(request.GET)
    if not form.is_valid():
        problems = [error for errors in form.errors.values() for error in errors]
        return render(
            request,
            "meetings/embed_sessions.html",
            {"problems": problems, "lang": "en", "theme": "auto"},
            status=400,
        )
    options = EmbedOptions.of(form)
    with translation.override(options.lang):
        meetings = selectors.embedded_meetings(count=options.count, series=options.series)
        response = render(
            request,
            "meetings/embed_sessions.html",
            {
                "sessions": [_frame_session(request, meeting) for meeting in meetings],
                "lang": options.lang,
                "theme": options.theme,
                "site_url": request.build_absolute_uri(reverse("meetings:schedule")),
            },
        )
    patch_cache_control(response, public=True, max_age=FRAME_MAX_AGE)
    return response


def _frame_session(request: HttpRequest, meeting: Meeting) -> FrameSession:
    start, end = meeting.starts_at.astimezone(UTC), meeting.ends_at.astimezone(UTC)
    utc_day = format_date(start, "D j M")
    return FrameSession(
        meeting=meeting,
        starts_at=f"{start:%Y-%m-%dT%H:%M:%SZ}",
        ends_at=f"{end:%Y-%m-%dT%H:%M:%SZ}",
        url=request.build_absolute_uri(meeting.get_absolute_url()),
        calendar_url=request.build_absolute_uri(
            reverse("meetings:meeting_calendar", kwargs={"pk": meeting.pk})
        ),
        utc_day=utc_day,
        utc_text=f"{utc_day}, {display.format_range(start, end)} UTC",
        seats=_seats_text(meeting),
    )


def _seats_text(meeting: Meeting) -> str:
    capacity = meeting.effective_capacity
    if capacity is None or meeting.is_cancelled:
        return ""
    left = max(capacity - meeting.seats_taken, 0)
    if not left:
        return gettext("Full")
    return ngettext("%(count)d seat left", "%(count)d seats left", left) % {"count": left}


# --- /embed/ --------------------------------------------------------------------------


@require_safe
def embed_page(request: HttpRequest) -> HttpResponse:
    """How to put the schedule on another site, with a live preview and a snippet
    builder that works without JavaScript (the form GETs this page)."""
    # The form shows the defaults for what the query leaves out.
    chosen = {**EmbedOptions().query(), **request.GET.dict()} if request.GET else None
    form = EmbedOptionsForm(chosen, initial=EmbedOptions().query())
    options = EmbedOptions.of(form)
    script_url = request.build_absolute_uri(reverse("meetings:embed_script"))
    frame_url = request.build_absolute_uri(reverse("meetings:embed_sessions"))
    return render(
        request,
        "meetings/embed.html",
        {
            "form": form,
            "options": options,
            "script_url": script_url,
            "frame_base": frame_url,
            "frame_url": f"{frame_url}?{urlencode(options.query())}",
            "script_snippet": script_snippet(options, script_url=script_url),
            "frame_snippet": frame_snippet(options, frame_url=frame_url),
            "frame_height": frame_height(options),
            "frame_row": FRAME_ROW_PX,
            "frame_padding": FRAME_PADDING_PX,
            "origin": request.build_absolute_uri("/").rstrip("/"),
        },
    )


def script_snippet(options: EmbedOptions, *, script_url: str) -> str:
    attributes = "".join(f' {name}="{escape(value)}"' for name, value in options.query().items())
    return (
        f'<script src="{escape(script_url)}" async></script>\n'
        f"<copf-sessions{attributes}></copf-sessions>"
    )


def frame_snippet(options: EmbedOptions, *, frame_url: str) -> str:
    src = f"{frame_url}?{urlencode(options.query())}"
    height = frame_height(options)
    title = gettext("Upcoming CoP-F sessions")
    return (
        f'<iframe src="{escape(src)}" title="{escape(title)}" width="100%" '
        f'height="{height}" loading="lazy"></iframe>'
    )


def frame_height(options: EmbedOptions) -> int:
    return FRAME_PADDING_PX + FRAME_ROW_PX * options.count
