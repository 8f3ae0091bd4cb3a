"""Poll pages: the organizers' list, making a poll, voting and results, closing it, and
a guest confirming their address. Each reads a form, calls one service, and shows what
happened; refusals are the services' own (a 4xx with their message), changing nothing."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.forms import BoundField
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from copf.lib.timezones import parse_timezone
from meetings import display

from ..models import MAX_SLOTS, Poll, PollSlot, PollVote, PollVoter
from ..practice import PracticeRefused
from ..practice.access import is_organizer
from . import fairness, services
from .fairness import DayPart
from .forms import CloseForm, LeadingSlotForm, PollForm, VoteForm, slot_field

UTC = ZoneInfo("UTC")
# Not colour alone: each part of the day has a sign, and its name for screen readers.
PART_ICONS = {"night": "☾", "early": "↗", "late": "↘", "day": "☀"}
VOTE_MARKS = {"yes": "✓", "if_need_be": "(✓)", "no": "✗", "": "–"}


# --- who is looking ------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    user: object
    key: str  # the poll's key, as the link gave it
    token: str  # a guest's token, from their e-mail
    guest: PollVoter | None
    organizer: bool
    member: bool  # may vote as a member
    new_guest: bool  # may vote as a guest who has not voted yet
    may_see: bool
    zone: ZoneInfo


def _viewer(request: HttpRequest, poll: Poll, *, key: str, token: str) -> Viewer:
    """Who this is for the poll; BadInput for a guest token that is not this poll's."""
    user = request.user
    guest = services.guest_from_token(poll, token) if token else None
    member = services.may_vote_as_member(poll, user=user)
    if guest is not None:
        zone = ZoneInfo(guest.zone_name)
    elif user.is_authenticated:
        zone = parse_timezone(str(user.timezone)) or UTC
    else:
        zone = request.viewer_timezone.zone
    return Viewer(
        user=user,
        key=key,
        token=token,
        guest=guest,
        organizer=is_organizer(user),
        member=member,
        new_guest=poll.audience == Poll.Audience.LINK and not member and guest is None,
        may_see=services.may_see(poll, user=user, key=key, guest=guest),
        zone=zone,
    )


def _hidden(request: HttpRequest) -> HttpResponse:
    """A poll this visitor may not see: log in first, or a 404 that tells nothing."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise Http404


def _refused(request: HttpRequest, poll: Poll | None, message: str, *, status: int):
    return render(request, "polls/refused.html", {"poll": poll, "message": message}, status=status)


def _poll(pk: int) -> Poll:
    return get_object_or_404(
        Poll.objects.select_related("series", "chosen_slot", "meeting", "new_series"), pk=pk
    )


def _organizer_only(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_organizer(request.user):
        raise PermissionDenied
    return None


def _poll_url(poll: Poll, **query: str) -> str:
    query = {name: value for name, value in query.items() if value}
    return poll.get_absolute_url() + (f"?{urlencode(query)}" if query else "")


# --- times as a viewer reads them ----------------------------------------------------------


def _when(starts_at: datetime, length: timedelta, zone: ZoneInfo) -> str:
    """ "Mon 29 Mar 2027, 15:00–16:30 CEST", in `zone`."""
    start, end = starts_at.astimezone(zone), (starts_at + length).astimezone(zone)
    return (
        f"{display.format_short_day(start)}, {display.format_range(start, end)} "
        f"{display.zone_label(start)}"
    )


def _utc(starts_at: datetime, length: timedelta, zone: ZoneInfo) -> str:
    """The same in UTC, naming the day only when it is another day than in `zone`; ""
    when `zone` is UTC."""
    if zone.key == "UTC":
        return ""
    start, end = starts_at.astimezone(UTC), (starts_at + length).astimezone(UTC)
    day = "" if start.date() == starts_at.astimezone(zone).date() else f"{start:%a} "
    return f"{day}{display.format_range(start, end)} UTC"


def _entered(poll: Poll, slot: PollSlot, zone: ZoneInfo) -> str:
    """The slot in the zone the organizer entered it in, unless that is the viewer's zone
    or UTC, which the page shows anyway."""
    entered_in = ZoneInfo(str(poll.timezone))
    if entered_in.key in (zone.key, "UTC"):
        return ""
    return _when(slot.starts_at, poll.length, entered_in)


def _moment(instant: datetime, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone)
    text = f"{display.format_short_day(local)}, {local:%H:%M} {display.zone_label(local)}"
    if zone.key == "UTC":
        return text
    return f"{text} ({instant.astimezone(UTC):%a %H:%M} UTC)"


# --- /polls/ -------------------------------------------------------------------------------


@require_safe
def poll_list(request: HttpRequest) -> HttpResponse:
    refused = _organizer_only(request)
    if refused:
        return refused
    counted = (
        PollVoter.objects.filter(poll=OuterRef("pk"), confirmed_at__isnull=False)
        .order_by()
        .values("poll")
        .annotate(n=Count("pk"))
        .values("n")
    )
    polls = (
        Poll.objects.annotate(
            slot_count=Count("slots"),
            voter_count=Coalesce(Subquery(counted, output_field=IntegerField()), 0),
        )
        .select_related("meeting", "new_series")
        .order_by(F("closed_at").desc(nulls_first=True), "deadline", "pk")
    )
    zone = parse_timezone(str(request.user.timezone)) or UTC
    rows = [(poll, _moment(poll.deadline, zone)) for poll in polls]
    return render(request, "polls/list.html", {"rows": rows})


# --- /polls/new/ ---------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def poll_new(request: HttpRequest) -> HttpResponse:
    refused = _organizer_only(request)
    if refused:
        return refused
    if request.method != "POST":
        form = PollForm(initial={"timezone": str(request.user.timezone)})
        return _new_page(request, form, status=200)
    form = PollForm(request.POST)
    if not form.is_valid():
        message = _("Please correct what is marked below; no poll was made.")
        return _new_page(request, form, refusal=message, status=400)
    zone = form.zone()
    if zone is None:
        given = form.cleaned_data["timezone"]
        note = (
            _(
                "We do not know the time zone “%(zone)s”, so the form now uses UTC. Check "
                "that the slots and the deadline are right in UTC, or pick your zone, and "
                "send it again."
            )
            % {"zone": given}
            if given
            else _("Pick the zone of the slots: the form now uses UTC.")
        )
        form.data = form.data.copy()
        form.data["timezone"] = "UTC"
        return _new_page(request, form, note=note, status=400)
    try:
        poll = services.create_poll(by=request.user, draft=form.draft(zone))
    except PracticeRefused as refusal:
        return _new_page(request, form, refusal=str(refusal), status=refusal.status)
    messages.success(request, _("The poll is open: share it, and watch the votes come in."))
    return redirect(poll)


def _new_page(
    request: HttpRequest, form: PollForm, *, refusal: str = "", note: str = "", status: int
) -> HttpResponse:
    return render(
        request,
        "polls/new.html",
        {"form": form, "refusal": refusal, "note": note, "max_slots": MAX_SLOTS},
        status=status,
    )


# --- /polls/<pk>/ --------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotRow:
    """One slot in the voting form, as the voter lives it."""

    slot: PollSlot
    when: str
    utc: str
    entered: str  # in the organizer's zone, when the viewer's is another
    part: DayPart
    icon: str
    field: BoundField | None


@dataclass(frozen=True)
class GridCell:
    time: str
    part: DayPart
    icon: str
    choice: str
    mark: str
    choice_label: str


@dataclass(frozen=True)
class GridRow:
    result: fairness.SlotResult
    slot: PollSlot
    when: str
    utc: str
    entered: str
    cells: list[GridCell]


@dataclass(frozen=True)
class Span:
    """A run of occurrences of a recurring slot at one local time."""

    first: str
    last: str
    count: int
    time: str
    part: DayPart
    icon: str
    moved: fairness.Moved | None


@require_safe
def poll_detail(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _poll(pk)
    key = request.GET.get("key", "")[:64]
    token = request.GET.get("guest", "")[:400]
    try:
        viewer = _viewer(request, poll, key=key, token=token)
    except PracticeRefused as refusal:
        return _refused(request, poll, str(refusal), status=refusal.status)
    if not viewer.may_see:
        return _hidden(request)
    return _render_poll(request, poll, viewer)


def _render_poll(
    request: HttpRequest,
    poll: Poll,
    viewer: Viewer,
    *,
    form: VoteForm | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    slots = list(poll.slots.all())
    zone = viewer.zone
    voting = (
        not poll.is_closed
        and now < poll.deadline
        and (viewer.member or viewer.guest is not None or viewer.new_guest)
    )
    if voting and form is None:
        form = VoteForm(
            slots=slots,
            new_guest=viewer.new_guest,
            initial={
                "key": viewer.key,
                "guest": viewer.token,
                "timezone": zone.key,
                **{f"slot-{slot_id}": choice for slot_id, choice in _own_votes(poll, viewer)},
            },
        )
    results = services.poll_results(poll, slots=slots)
    grid = _grid(poll, slots, results, zone)
    leading = _leading_slot(request, poll, slots, results)
    return render(
        request,
        "polls/poll.html",
        {
            "poll": poll,
            "viewer": viewer,
            "zone_name": zone.key,
            "deadline": _moment(poll.deadline, zone),
            "deadline_passed": now >= poll.deadline,
            "chosen": _when(poll.chosen_slot.starts_at, poll.length, zone)
            if poll.chosen_slot
            else "",
            "form": form if voting else None,
            "vote_rows": _vote_rows(poll, slots, zone, form) if voting else [],
            "results": results,
            "grid": grid,
            "best_by_votes": next((row for row in grid if row.result.best_by_votes), None),
            "best_by_fairness": next((row for row in grid if row.result.best_by_fairness), None),
            "leading": leading,
            "slot_choices": [(slot, _when(slot.starts_at, poll.length, zone)) for slot in slots],
            "year": _year(poll, leading, results) if poll.is_recurring and leading else [],
            "closable": [
                (slot, _when(slot.starts_at, poll.length, zone))
                for slot in slots
                if slot.starts_at > now
            ]
            if viewer.organizer and not poll.is_closed
            else [],
            "share_url": request.build_absolute_uri(_poll_url(poll, key=poll.key))
            if viewer.organizer and poll.audience == Poll.Audience.LINK
            else "",
            "refusal": refusal,
        },
        status=status,
    )


def _own_votes(poll: Poll, viewer: Viewer) -> list[tuple[int, str]]:
    votes = PollVote.objects.filter(poll=poll)
    if viewer.guest is not None:
        votes = votes.filter(voter=viewer.guest)
    elif viewer.member:
        votes = votes.filter(voter__user=viewer.user)
    else:
        return []
    return list(votes.values_list("slot_id", "choice"))


def _vote_rows(
    poll: Poll, slots: list[PollSlot], zone: ZoneInfo, form: VoteForm | None
) -> list[SlotRow]:
    rows = []
    for slot in slots:
        part = fairness.part_of_day(slot.starts_at, poll.length, zone)
        rows.append(
            SlotRow(
                slot=slot,
                when=_when(slot.starts_at, poll.length, zone),
                utc=_utc(slot.starts_at, poll.length, zone),
                entered=_entered(poll, slot, zone),
                part=part,
                icon=PART_ICONS[part.slug],
                field=form[slot_field(slot)] if form is not None else None,
            )
        )
    return rows


def _grid(
    poll: Poll, slots: list[PollSlot], results: fairness.Results, zone: ZoneInfo
) -> list[GridRow]:
    labels = dict(PollVote.Choice.choices)
    return [
        GridRow(
            result=result,
            slot=slot,
            when=_when(slot.starts_at, poll.length, zone),
            utc=_utc(slot.starts_at, poll.length, zone),
            entered=_entered(poll, slot, zone),
            cells=[
                GridCell(
                    time=f"{cell.local:%a %H:%M}",
                    part=cell.part,
                    icon=PART_ICONS[cell.part.slug],
                    choice=cell.choice,
                    mark=VOTE_MARKS[cell.choice],
                    choice_label=str(labels.get(cell.choice, _("no vote"))),
                )
                for cell in result.cells
            ],
        )
        for slot, result in zip(slots, results.slots, strict=True)
    ]


def _leading_slot(
    request: HttpRequest, poll: Poll, slots: list[PollSlot], results: fairness.Results
) -> PollSlot | None:
    """The slot whose year the page shows: the one asked for, the chosen one, or the best
    by votes."""
    form = LeadingSlotForm(request.GET)
    asked = form.cleaned_data["slot"] if form.is_valid() else None
    by_pk = {slot.pk: slot for slot in slots}
    if asked in by_pk:
        return by_pk[asked]
    if poll.chosen_slot_id in by_pk:
        return by_pk[poll.chosen_slot_id]
    best = results.best_by_votes
    return next((slot for slot in slots if best and slot.starts_at == best.starts_at), None)


def _year(poll: Poll, slot: PollSlot, results: fairness.Results) -> list[tuple[str, list[Span]]]:
    """For each counted voter, their local start of the recurring slot over a year, as the
    runs between the changes of their clocks or the meeting's."""
    starts = services.recurring_starts(poll, slot)
    anchor = ZoneInfo(str(poll.timezone))
    year = []
    for voter in results.voters:
        occurrences = fairness.year_of_starts(
            starts, anchor=anchor, zone=voter.zone, length=poll.length
        )
        year.append((voter, _spans(occurrences)))
    return year


def _spans(occurrences: list[fairness.Occurrence]) -> list[Span]:
    spans: list[Span] = []
    run: list[fairness.Occurrence] = []
    for occurrence in [*occurrences, None]:
        if run and (occurrence is None or occurrence.moved is not None):
            first, last = run[0], run[-1]
            spans.append(
                Span(
                    first=display.format_short_day(first.local),
                    last=display.format_short_day(last.local),
                    count=len(run),
                    time=f"{first.local:%H:%M} {display.zone_label(first.local)}",
                    part=first.part,
                    icon=PART_ICONS[first.part.slug],
                    moved=first.moved,
                )
            )
            run = []
        if occurrence is not None:
            run.append(occurrence)
    return spans


# --- voting --------------------------------------------------------------------------------


@require_POST
def poll_vote(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _poll(pk)
    key = request.POST.get("key", "")[:64]
    token = request.POST.get("guest", "")[:400]
    try:
        viewer = _viewer(request, poll, key=key, token=token)
    except PracticeRefused as refusal:
        return _refused(request, poll, str(refusal), status=refusal.status)
    if not viewer.may_see:
        return _hidden(request)
    slots = list(poll.slots.all())
    form = VoteForm(request.POST, slots=slots, new_guest=viewer.new_guest)
    if not form.is_valid():
        message = _("Please correct what is marked below; no vote was changed.")
        return _render_poll(request, poll, viewer, form=form, refusal=message, status=400)
    choices = form.choices()
    try:
        if viewer.guest is not None:
            services.vote_with_token(poll=poll, token=token, choices=choices)
        elif viewer.new_guest:
            data = form.cleaned_data
            vote = services.vote_as_guest(
                poll=poll,
                name=data["name"],
                email=data["email"],
                zone_name=data["timezone"],
                choices=choices,
            )
        else:
            services.vote_as_member(poll=poll, user=request.user, choices=choices)
    except PracticeRefused as refusal:
        return _render_poll(
            request, poll, viewer, form=form, refusal=str(refusal), status=refusal.status
        )
    if viewer.new_guest:
        messages.success(
            request,
            _(
                "Thank you. Check your e-mail and confirm your address: your votes count "
                "once you do."
            ),
        )
        if vote.zone_fell_back:
            messages.warning(
                request,
                _("We did not know the time zone you gave, so we show you times in UTC."),
            )
        return redirect(_poll_url(poll, key=key))
    messages.success(request, _("Your votes are saved."))
    return redirect(_poll_url(poll, guest=token) + "#results")


# --- closing -------------------------------------------------------------------------------


@require_POST
def poll_close(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _poll(pk)
    if not request.user.is_authenticated:
        return redirect_to_login(poll.get_absolute_url())
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _refused(request, poll, _("Choose one of this poll's slots."), status=400)
    try:
        poll = services.close_poll(poll=poll, slot_id=form.cleaned_data["slot"], by=request.user)
    except PracticeRefused as refusal:
        return _refused(request, poll, str(refusal), status=refusal.status)
    if poll.new_series_id:
        done = _("The poll is closed, and the new series “%(name)s” has its first meeting.")
        messages.success(request, done % {"name": poll.new_series.name})
    else:
        messages.success(request, _("The poll is closed, and the meeting is on the schedule."))
    return redirect(poll)


# --- a guest's address ---------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def poll_confirm(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """The link in a guest's e-mail: GET asks (a mail scanner that opens it confirms
    nothing), POST confirms."""
    poll = _poll(pk)
    try:
        if request.method != "POST":
            voter = services.guest_from_token(poll, token)
            return render(request, "polls/confirm.html", {"poll": poll, "voter": voter})
        services.confirm_guest(poll=poll, token=token)
    except PracticeRefused as refusal:
        return _refused(request, poll, str(refusal), status=refusal.status)
    messages.success(request, _("Thank you: your address is confirmed, and your votes count."))
    return redirect(_poll_url(poll, guest=token))
