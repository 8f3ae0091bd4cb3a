"""Harvests on the web: the harvester, the facilitator or an organizer writes and publishes
one; an organizer withdraws it; whoever may read it reads its history; everyone reads a
series' published harvests as a page, and for a public series as an Atom feed."""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from meetings import display
from meetings.models import Meeting, Series

from ..models import Harvest, HarvestRevision
from . import PracticeRefused, harvests
from .access import is_organizer, may_write_harvest
from .forms import HarvestForms
from .roles import display_name

UTC = ZoneInfo("UTC")
PER_PAGE = 20
# The feed carries the newest harvests in full; older ones are on the paginated page.
FEED_ENTRIES = 50
SAVE, PUBLISH = "save", "publish"


# --- writing ---------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def harvest_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    if not may_write_harvest(user=request.user, meeting=meeting):
        return _refused(
            request,
            meeting,
            _("Only the harvester, the facilitator and organizers write the harvest."),
            status=403,
        )
    refusal = harvests.harvest_refusal(meeting=meeting, now=timezone.now())
    if refusal:
        return _refused(request, meeting, refusal, status=409)
    harvest = Harvest.objects.filter(meeting=meeting).first()
    if request.method != "POST":
        forms = HarvestForms.blank(
            text=harvests.harvest_text(harvest), based_on=harvests.latest_revision_id(harvest)
        )
        return _edit_page(request, meeting=meeting, harvest=harvest, forms=forms)

    forms = HarvestForms.bound(request.POST)
    action = request.POST.get("action")
    if not forms.is_valid() or action not in (SAVE, PUBLISH):
        problem = _("The harvest was not saved: see what to change below.")
        if action not in (SAVE, PUBLISH):
            problem = _("The harvest was not saved: choose “Save draft” or “Publish”.")
        return _edit_page(
            request, meeting=meeting, harvest=harvest, forms=forms, problem=problem, status=400
        )
    try:
        saved = harvests.save_harvest(
            user=request.user,
            meeting=meeting,
            text=forms.harvest_text(),
            based_on=forms.based_on,
            publish=action == PUBLISH,
        )
    except PracticeRefused as refusal:
        return _edit_page(
            request,
            meeting=meeting,
            harvest=harvest,
            forms=forms,
            problem=str(refusal),
            status=refusal.status,
        )
    if saved.is_published:
        messages.success(request, _("The harvest is published."))
        return redirect(f"{meeting.get_absolute_url()}#harvest")
    messages.success(request, _("The harvest is saved. Only its writers can read it so far."))
    return redirect("members:harvest_edit", pk=meeting.pk)


def _edit_page(
    request: HttpRequest,
    *,
    meeting: Meeting,
    harvest: Harvest | None,
    forms: HarvestForms,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    state = harvest.state if harvest else None
    return render(
        request,
        "practice/harvest_edit.html",
        {
            "meeting": meeting,
            "local": display.localize(meeting, request.viewer_timezone.zone),
            "harvest": harvest,
            "published": state == Harvest.State.PUBLISHED,
            "withdrawn": state == Harvest.State.WITHDRAWN,
            "form": forms.text,
            "decisions": forms.decisions,
            "objections": forms.objections,
            "problem": problem,
            "errors": forms.messages() if status == 400 else [],
            "reopen": status == PracticeRefused.status,
            "may_withdraw": state == Harvest.State.PUBLISHED and is_organizer(request.user),
        },
        status=status,
    )


@require_POST
def harvest_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    if not is_organizer(request.user):
        return _refused(request, meeting, _("Only organizers withdraw a harvest."), status=403)
    try:
        harvests.withdraw_harvest(user=request.user, meeting=meeting)
    except PracticeRefused as refusal:
        return _refused(request, meeting, str(refusal), status=refusal.status)
    messages.success(
        request, _("The harvest is withdrawn: the meeting page says so, without its text.")
    )
    return redirect(meeting.get_absolute_url())


def _meeting(pk: int) -> Meeting:
    return get_object_or_404(Meeting.objects.select_related("series"), pk=pk)


def _refused(request: HttpRequest, meeting: Meeting, message: str, *, status: int) -> HttpResponse:
    return render(
        request,
        "practice/harvest_refused.html",
        {"meeting": meeting, "message": message, "status": status},
        status=status,
    )


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moment:
    """An instant in the viewer's zone, with UTC beside it."""

    at: datetime
    local: str
    utc: str

    @classmethod
    def of(cls, moment: datetime, zone: ZoneInfo) -> "Moment":
        local, utc = moment.astimezone(zone), moment.astimezone(UTC)
        local_text = f"{display.format_short_day(local)}, {local:%H:%M} {display.zone_label(local)}"
        utc_text = f"{utc:%H:%M} UTC"
        if utc.date() != local.date():
            utc_text = f"{display.format_short_day(utc)}, {utc_text}"
        return cls(at=utc, local=local_text, utc="" if zone.key == "UTC" else utc_text)


@dataclass(frozen=True)
class RevisionRow:
    revision: HarvestRevision
    author: str
    when: Moment
    text: harvests.HarvestText


@require_safe
def harvest_history(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    harvest = Harvest.objects.filter(meeting=meeting).first()
    if harvest is None:
        raise Http404(_("There is no harvest here to read."))
    harvest.meeting = meeting
    if not harvests.may_read(user=request.user, harvest=harvest):
        raise Http404(_("There is no harvest here to read."))
    zone = request.viewer_timezone.zone
    rows = [
        RevisionRow(
            revision=revision,
            author=display_name(revision.author),
            when=Moment.of(revision.created_at, zone),
            text=harvests.HarvestText.from_content(revision.content),
        )
        for revision in harvest.revisions.select_related("author")
    ]
    return render(
        request,
        "practice/harvest_history.html",
        {
            "meeting": meeting,
            "local": display.localize(meeting, zone),
            "harvest": harvest,
            "rows": rows,
        },
    )


@dataclass(frozen=True)
class Entry:
    """One published harvest on the series' page."""

    harvest: Harvest
    local: display.LocalMeeting
    authors: list[str]
    text: harvests.HarvestText


@require_safe
def series_harvests(request: HttpRequest, slug: str) -> HttpResponse:
    series = get_object_or_404(Series, slug=slug)
    if not series.harvests_public and not request.user.is_authenticated:
        return render(
            request, "practice/harvests_members_only.html", {"series": series}, status=403
        )
    page = Paginator(harvests.published_harvests(series=series), PER_PAGE).get_page(
        request.GET.get("page")
    )
    zone = request.viewer_timezone.zone
    entries = [
        Entry(
            harvest=harvest,
            local=display.localize(harvest.meeting, zone),
            authors=harvests.authors(harvest),
            text=harvests.harvest_text(harvest),
        )
        for harvest in page
    ]
    return render(
        request,
        "practice/series_harvests.html",
        {"series": series, "page": page, "entries": entries},
    )


class HarvestAtom(Atom1Feed):
    """Atom with each harvest in full, as `<content type="html">` (Django writes only a
    summary)."""

    def add_item_elements(self, handler: object, item: dict[str, object]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content"], {"type": "html"})


class SeriesHarvestsFeed(Feed):
    """A public series' published harvests. A members-only series has none: feed readers
    carry no cookies, so there is no one to show them to."""

    feed_type = HarvestAtom
    author_name = "CoP-F"

    def get_object(self, request: HttpRequest, slug: str) -> Series:
        series = get_object_or_404(Series, slug=slug)
        if not series.harvests_public:
            raise Http404(_("This series keeps its harvests to members."))
        return series

    def title(self, series: Series) -> str:
        return _("Harvests of %(series)s") % {"series": series.name}

    def subtitle(self, series: Series) -> str:
        return _("What each meeting of %(series)s practised and learnt.") % {"series": series.name}

    def link(self, series: Series) -> str:
        return _absolute(reverse("members:series_harvests", kwargs={"slug": series.slug}))

    def feed_url(self, series: Series) -> str:
        return _absolute(reverse("members:series_harvests_feed", kwargs={"slug": series.slug}))

    def items(self, series: Series) -> list[Harvest]:
        return list(harvests.published_harvests(series=series)[:FEED_ENTRIES])

    def item_title(self, harvest: Harvest) -> str:
        day = date_format(harvest.meeting.starts_at.astimezone(UTC).date(), "j F Y")
        return _("%(meeting)s, %(day)s") % {"meeting": harvest.meeting.title, "day": day}

    def item_description(self, harvest: Harvest) -> None:
        return None  # no summary: the content is the whole harvest

    def item_link(self, harvest: Harvest) -> str:
        return _absolute(f"{harvest.meeting.get_absolute_url()}#harvest")

    def item_guid(self, harvest: Harvest) -> str:
        # A tag URI (RFC 4151): the same for this harvest however often it is edited.
        host = urlsplit(settings.SITE_URL).hostname
        return f"tag:{host},{harvest.published_at:%Y-%m-%d}:harvest/{harvest.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, harvest: Harvest) -> datetime | None:
        return harvest.published_at

    def item_updateddate(self, harvest: Harvest) -> datetime:
        return harvest.updated_at

    def item_author_name(self, harvest: Harvest) -> str:
        return ", ".join(harvests.authors(harvest))

    def item_extra_kwargs(self, harvest: Harvest) -> dict[str, object]:
        html = render_to_string(
            "practice/_harvest_text.html", {"text": harvests.harvest_text(harvest)}
        )
        return {"content": html.strip()}


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"
