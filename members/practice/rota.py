"""The rota page: a series' next meetings × roles, open places taken in place; beside it,
for organizers, who held which role lately and who might take each open place."""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from meetings import display
from meetings.models import Meeting, Series

from ..models import Role
from . import PracticeRefused, roles
from .access import is_member, is_organizer


class TakeForm(forms.Form):
    meeting = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    role = forms.SlugField(max_length=Role._meta.get_field("slug").max_length)


@dataclass(frozen=True)
class Cell:
    """One meeting's place in one role, as this viewer sees it."""

    place: roles.Place | None  # None: the meeting does without this role
    holders: list[tuple[str, bool]]  # (name, is the viewer)
    takeable: bool
    suggestions: list[tuple[str, str]]  # (name, reason), for organizers


@dataclass(frozen=True)
class Row:
    local: display.LocalMeeting
    cells: list[Cell]


@require_safe
def rota(request: HttpRequest, slug: str) -> HttpResponse:
    series = get_object_or_404(Series, slug=slug)
    return _render(request, series)


@require_POST
def take(request: HttpRequest, slug: str) -> HttpResponse:
    """Take an open place from the rota: back to it with a thank-you, or the rota again
    with what stood in the way."""
    series = get_object_or_404(Series, slug=slug)
    back = reverse("members:rota", kwargs={"slug": series.slug})
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    form = TakeForm(request.POST)
    if not form.is_valid():
        return _render(request, series, refusal=_("Choose an open place on the rota."), status=400)
    meeting = get_object_or_404(Meeting, pk=form.cleaned_data["meeting"], series=series)
    role = form.cleaned_data["role"]
    try:
        roles.take_role(user=request.user, meeting=meeting, role=role)
    except PracticeRefused as refusal:
        return _render(request, series, refusal=str(refusal), status=refusal.status)
    name = next(
        (found.name for found in roles.roles_for([meeting])[meeting.pk] if found.slug == role),
        role,
    )
    local = display.localize(meeting, request.viewer_timezone.zone)
    messages.success(
        request,
        _("You are now %(role)s for %(meeting)s on %(day)s. Thank you!")
        % {"role": name, "meeting": meeting.title, "day": local.short_day_label},
    )
    return redirect(back)


def _render(
    request: HttpRequest, series: Series, *, refusal: str = "", status: int = 200
) -> HttpResponse:
    user = request.user
    now = timezone.now()
    grid = roles.rota(series=series, now=now)
    may_take = is_member(user)
    advice = roles.rota_advice(rota=grid, now=now) if is_organizer(user) else None
    return render(
        request,
        "practice/rota.html",
        {
            "series": series,
            "roles": grid.roles,
            "rows": _rows(
                grid,
                user=user,
                may_take=may_take,
                advice=advice,
                zone=request.viewer_timezone.zone,
            ),
            "history": [(roles.display_name(entry.user), entry.held) for entry in advice.history]
            if advice
            else None,
            "may_take": may_take,
            "refusal": refusal,
        },
        status=status,
    )


def _rows(
    grid: roles.Rota,
    *,
    user: object,
    may_take: bool,
    advice: roles.RotaAdvice | None,
    zone: ZoneInfo,
) -> list[Row]:
    rows = []
    for row in grid.rows:
        meeting = row.meeting
        taking = may_take and not meeting.is_cancelled  # and it has not started: see rota()
        cells = [
            _cell(place, meeting=meeting, user=user, taking=taking, advice=advice)
            if place
            else Cell(place=None, holders=[], takeable=False, suggestions=[])
            for place in row.places
        ]
        rows.append(Row(local=display.localize(meeting, zone), cells=cells))
    return rows


def _cell(
    place: roles.Place,
    *,
    meeting: Meeting,
    user: object,
    taking: bool,
    advice: roles.RotaAdvice | None,
) -> Cell:
    picks = advice.suggestions.get((meeting.pk, place.role.slug), []) if advice else []
    return Cell(
        place=place,
        holders=[
            (roles.display_name(holder.user), holder.user_id == user.pk) for holder in place.holders
        ],
        takeable=bool(taking and place.open and not place.held_by(user)),
        suggestions=[(roles.display_name(pick.user), pick.reason) for pick in picks],
    )
