"""Attendance on the web: the member's join link (signed in, or signed for e-mail) that
records them and opens the call; marking who came and "I was there" on the meeting page;
and a meeting's attendance as CSV for organizers."""

import csv
from datetime import UTC

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from meetings.models import Meeting

from .. import links
from ..models import User
from . import PracticeRefused, attendance
from .access import is_organizer
from .forms import MarkForm
from .places import display_name
from .views import _act, _meeting, _member, _refused


def _join_refused(
    request: HttpRequest, meeting: Meeting | None, message: str, *, status: int
) -> HttpResponse:
    return render(
        request,
        "practice/join_refused.html",
        {"meeting": meeting, "message": message},
        status=status,
    )


def _join(request: HttpRequest, *, user: User, meeting: Meeting) -> HttpResponse:
    """Record the member and send them to the call, or say why not."""
    url = meeting.effective_join_url
    try:
        attendance.check_join_open(meeting=meeting, now=timezone.now())
        if not url:
            raise PracticeRefused(_("The organizers have not added the call link yet."))
        attendance.record_join(user=user, meeting=meeting)
    except PracticeRefused as refusal:
        return _join_refused(request, meeting, str(refusal), status=refusal.status)
    # The call address is the organizers' (any host): not Django's redirect, which would
    # refuse none, but plain so no `next`-style checks apply to it.
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def join(request: HttpRequest, pk: int) -> HttpResponse:
    """The Join button: the signed-in member is recorded and sent to the call."""
    meeting = _meeting(pk)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return _join(request, user=request.user, meeting=meeting)


@require_GET
def join_link(request: HttpRequest, token: str) -> HttpResponse:
    """The join link in an e-mail: works without logging in, for the member it was made
    for (whoever is signed in on this browser)."""
    link = links.read_join_token(token)
    if link is None:
        return _join_refused(
            request,
            None,
            _(
                "This join link does not work: it was changed or cut short when it was "
                "copied, or it has expired. Open the meeting on the site instead."
            ),
            status=400,
        )
    meeting = Meeting.objects.filter(pk=link.meeting_id).select_related("series").first()
    user = User.objects.filter(pk=link.user_id, is_active=True).first()
    if meeting is None or user is None:
        return _join_refused(
            request,
            None,
            _("This join link is for a meeting or a member we no longer have."),
            status=404,
        )
    return _join(request, user=user, meeting=meeting)


@login_required
@require_POST
def mark(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)

    def act(data: dict[str, object]) -> str:
        member = _member(data["member"])
        present = data["presence"] == "present"
        attendance.mark_attendance(by=request.user, meeting=meeting, user=member, present=present)
        if present:
            return _("%(name)s is marked present.") % {"name": display_name(member)}
        return _("%(name)s is marked absent.") % {"name": display_name(member)}

    return _act(request, meeting, MarkForm(request.POST), act)


@login_required
@require_POST
def i_was_there(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)

    def act(data: dict[str, object]) -> str:
        attendance.add_self_attendance(user=request.user, meeting=meeting)
        return _("Thank you: you are recorded as there.")

    return _act(request, meeting, forms.Form(request.POST), act)


# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


@require_GET
def attendance_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """One row per member on the meeting's roll, for organizers only."""
    meeting = _meeting(pk)
    if not is_organizer(request.user):
        return _refused(
            request,
            meeting,
            _("Only organizers can download a meeting's attendance."),
            status=403,
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="attendance-{meeting.pk}.csv"'
    response["Cache-Control"] = "private, no-store"
    writer = csv.writer(response, lineterminator="\r\n")
    writer.writerow(["name", "email", "answer", "state", "source", "joined_at"])
    for entry in attendance.meeting_roll(meeting):
        joined = entry.joined_at.astimezone(UTC).isoformat() if entry.joined_at else ""
        writer.writerow(
            safe_cell(value)
            for value in (
                entry.user.display_name,
                entry.user.email,
                entry.answer or "",
                entry.state,
                entry.source or "",
                joined,
            )
        )
    return response
