from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from copf.lib.jsonld import json_ld_script

from . import cards, display, feeds, ical, selectors
from . import month as month_grid
from .models import Meeting, Series
from .pagecache import cache_anonymous_page, shared_part, shared_parts

# Sessions per page of the list: with two monthly tracks, about the next five months.
PAGE_SIZE = 10
LAST_PAGE = 1000


@cache_anonymous_page(query=("page",))
def schedule(request: HttpRequest) -> HttpResponse:
    """The front page: what CoP-F is, each track's next session for this viewer, the
    coming sessions a page at a time, and this month as a grid. Later pages hold only the
    list."""
    page = _page_number(request)
    zone = request.viewer_timezone.zone
    body = shared_part(
        request,
        "meetings/_schedule_body.html",
        lambda: _schedule_context(page=page, zone=zone),
        key=(str(page),),
    )
    return render(request, "meetings/schedule.html", {"page": page, "body": body})


def _schedule_context(*, page: int, zone: ZoneInfo) -> dict[str, object]:
    now = timezone.now()
    offset = (page - 1) * PAGE_SIZE
    # One more than a page tells whether there is a later page, without counting them all.
    meetings = list(selectors.upcoming_meetings(now=now)[offset : offset + PAGE_SIZE + 1])
    if page > 1 and not meetings:
        raise Http404(_("There are no sessions that far ahead."))
    context = {
        "page": page,
        "has_later": len(meetings) > PAGE_SIZE,
        "days": display.group_by_local_day(meetings[:PAGE_SIZE], zone),
        **display.feed_links(
            reverse("meetings:calendar_feed"),
            title=_("All meetings in your calendar"),
            feed_id="all",
        ),
    }
    if page == 1:
        cards = selectors.next_meeting_of_each_series(now=now)
        context["next_sessions"] = display.next_sessions(list(cards), zone, now=now)
        # This month, or the next session's when nothing is left this month.
        soonest = meetings[0].local_start(zone) if meetings else now.astimezone(zone)
        context["month"] = _month(first=soonest.date().replace(day=1), zone=zone)
    return context


def month_view(request: HttpRequest, year: int, month: int) -> HttpResponse:
    if not month_grid.is_shown_month(year, month):
        raise Http404(_("There is no such month in the calendar."))
    zone = request.viewer_timezone.zone
    return render(
        request,
        "meetings/month.html",
        {"month": _month(first=date(year, month, 1), zone=zone)},
    )


def _page_number(request: HttpRequest) -> int:
    value = request.GET.get("page", "1")
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= LAST_PAGE):
        raise Http404(_("There is no such page of sessions."))
    return int(value)


def _month(*, first: date, zone: ZoneInfo) -> month_grid.Month:
    start, end = month_grid.grid_span(first, zone)
    return month_grid.month_grid(
        first=first,
        meetings=list(selectors.meetings_between(start=start, end=end)),
        zone=zone,
        today=timezone.now().astimezone(zone).date(),
    )


@cache_anonymous_page()
def series_detail(request: HttpRequest, slug: str) -> HttpResponse:
    series = get_object_or_404(Series, slug=slug)
    zone = request.viewer_timezone.zone
    parts = shared_parts(
        request,
        {"body": "meetings/_series_body.html", "card": "meetings/_card.html"},
        lambda: _series_context(series=series, zone=zone),
        key=(slug,),
    )
    return render(request, "meetings/series_detail.html", {"series": series, **parts})


def _series_context(*, series: Series, zone: ZoneInfo) -> dict[str, object]:
    upcoming = list(selectors.upcoming_meetings(series=series))
    previous = selectors.previous_meeting(meeting=upcoming[0]) if upcoming else None
    return {
        "series": series,
        **_card_context(cards.series_card(series=series, meetings=upcoming)),
        "schedule_text": display.series_schedule(series),
        "for_you": display.series_for_viewer(series, upcoming[:8], zone),
        "anchor_text": display.anchor_explanation(series.anchor_zone, around=timezone.now()),
        "meetings": display.mark_clock_changes(upcoming, zone, previous=previous),
        **display.feed_links(
            reverse("meetings:series_calendar_feed", kwargs={"slug": series.slug}),
            title=_("%(series)s in your calendar") % {"series": series.name},
            feed_id="series",
        ),
    }


@cache_anonymous_page()
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting.objects.select_related("series"), pk=pk)
    zone = request.viewer_timezone.zone
    parts = shared_parts(
        request,
        {"body": "meetings/_meeting_body.html", "card": "meetings/_card.html"},
        lambda: _meeting_context(meeting=meeting, zone=zone),
        key=(str(pk),),
    )
    return render(request, "meetings/meeting_detail.html", {"meeting": meeting, **parts})


def _meeting_context(*, meeting: Meeting, zone: ZoneInfo) -> dict[str, object]:
    now = timezone.now()
    local = display.localize(meeting, zone)
    return {
        "meeting": meeting,
        **_card_context(cards.meeting_card(meeting)),
        "local": local,
        "relative": display.relative_start(start=local.start, end=local.end, now=now),
        "world_times": display.world_times(meeting),
        "is_past": meeting.ends_at <= now,
    }


def _card_context(card: dict[str, object]) -> dict[str, object]:
    """What templates/meetings/_card.html shows: the Open Graph tags and the JSON-LD."""
    return {"card": card, "card_script": json_ld_script(card), "site_name": cards.SITE_NAME}


@require_safe
def calendar_feed(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    known = feeds.public_feeds.get(("public", slug), lambda: _public_feed(slug))
    if known is None:
        raise Http404(_("There is no such series."))
    series, version = known
    name = f"CoP-F: {series.name}" if series else "CoP-F meetings"

    def build() -> bytes:
        meetings = selectors.with_practice(selectors.feed_meetings(series=series))
        return ical.render(ical.build_calendar(meetings=meetings, name=name))

    return feeds.calendar_response(
        request,
        etag=feeds.feed_etag("feed", slug or "all", name, *version.parts()),
        last_modified=version.last_modified,
        build=build,
    )


def _public_feed(slug: str | None) -> tuple[Series | None, selectors.FeedVersion] | None:
    series = Series.objects.filter(slug=slug).first() if slug else None
    if slug and series is None:
        return None
    return series, selectors.public_feed_version(series=series)


@require_safe
def meeting_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_with_version(pk)
    if meeting is None:
        raise Http404(_("There is no such meeting."))
    series_updated = meeting.series.updated_at if meeting.series_id else None
    # Role holders and the agenda are in the DESCRIPTION without touching the meeting.
    practice = (
        meeting.meeting_roles_held,
        meeting.meeting_roles_changed,
        meeting.meeting_agenda_items,
        meeting.meeting_agenda_changed,
    )
    return feeds.calendar_response(
        request,
        etag=feeds.feed_etag("meeting", meeting.pk, meeting.updated_at, series_updated, *practice),
        last_modified=_latest(
            meeting.updated_at,
            series_updated,
            meeting.meeting_roles_changed,
            meeting.meeting_agenda_changed,
        ),
        build=lambda: ical.render(
            ical.build_calendar(meetings=selectors.with_practice([meeting]), name=meeting.title)
        ),
        filename=f"{slugify(meeting.title) or 'meeting'}-{meeting.starts_at:%Y-%m-%d}.ics",
    )


def robots(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        "User-agent: *\nDisallow: /feeds/\nDisallow: /me/\n", content_type="text/plain"
    )


def _latest(*moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None
