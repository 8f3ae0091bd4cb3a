"""The meeting page's practice actions: take or give back a role, assign one (organizers),
propose an agenda item, and decide, order or withdraw one. Each is a POST that calls one
service and goes back to the meeting with what happened. And the link a nudge carries to
take an open role: it asks first, and takes it on a POST."""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from meetings import display
from meetings.models import Meeting

from .. import links
from ..models import AgendaItem, User
from . import BadInput, PracticeRefused, agenda, roles
from .access import is_member
from .forms import AgendaDecisionForm, AssignForm, MoveForm, ProposalForm, RoleForm


def _refused(request: HttpRequest, meeting: Meeting, message: str, *, status: int) -> HttpResponse:
    return render(
        request,
        "practice/refused.html",
        {"meeting": meeting, "message": message, "back": meeting.get_absolute_url()},
        status=status,
    )


def _act(
    request: HttpRequest,
    meeting: Meeting,
    form: forms.Form,
    act: Callable[[dict[str, object]], str],
) -> HttpResponse:
    """Run `act` with the form's data and go back to the meeting saying what happened; a
    bad form is a 400 and a refusal its own 4xx, and neither changes anything."""
    if not form.is_valid():
        errors = [
            f"{form.fields[name].label or capfirst(name)}: {error}"
            if name in form.fields
            else error
            for name, field_errors in form.errors.items()
            for error in field_errors
        ]
        return _refused(request, meeting, " ".join(errors), status=400)
    try:
        done = act(form.cleaned_data)
    except PracticeRefused as refusal:
        return _refused(request, meeting, str(refusal), status=refusal.status)
    messages.success(request, done)
    return redirect(f"{meeting.get_absolute_url()}#practice")


def _meeting(pk: int) -> Meeting:
    return get_object_or_404(Meeting.objects.select_related("series"), pk=pk)


@login_required
@require_POST
def take_role(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)

    def act(data: dict[str, object]) -> str:
        assignment = roles.take_role(user=request.user, meeting=meeting, role=data["role"])
        return _("You are %(role)s of this meeting, and your answer is yes.") % {
            "role": _role_name(meeting, assignment.role)
        }

    return _act(request, meeting, RoleForm(request.POST), act)


@login_required
@require_POST
def give_back_role(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)

    def act(data: dict[str, object]) -> str:
        roles.give_back_role(user=request.user, meeting=meeting, role=data["role"])
        return _("You gave the role back; your answer is still yes.")

    return _act(request, meeting, RoleForm(request.POST), act)


@login_required
@require_POST
def assign_role(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)

    def act(data: dict[str, object]) -> str:
        member = _member(data["member"])
        roles.assign_role(organizer=request.user, user=member, meeting=meeting, role=data["role"])
        return _("%(name)s is %(role)s of this meeting.") % {
            "name": roles.display_name(member),
            "role": _role_name(meeting, data["role"]),
        }

    return _act(request, meeting, AssignForm(request.POST), act)


@login_required
@require_POST
def unassign_role(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)

    def act(data: dict[str, object]) -> str:
        member = _member(data["member"])
        roles.unassign_role(organizer=request.user, user=member, meeting=meeting, role=data["role"])
        return _("%(name)s no longer holds that role.") % {"name": roles.display_name(member)}

    return _act(request, meeting, AssignForm(request.POST), act)


@login_required
@require_POST
def propose_item(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)

    def act(data: dict[str, object]) -> str:
        agenda.propose_item(user=request.user, meeting=meeting, **data)
        return _("Thank you: the facilitator will see your proposal.")

    return _act(request, meeting, ProposalForm(request.POST), act)


def _member(pk: object) -> User:
    member = User.objects.filter(pk=pk).first()
    if member is None:
        raise BadInput(_("There is no such member."))
    return member


def _item(meeting: Meeting, item_pk: int) -> AgendaItem:
    return get_object_or_404(AgendaItem, pk=item_pk, meeting=meeting)


@login_required
@require_POST
def decide_item(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    item = _item(meeting, item_pk)

    def act(data: dict[str, object]) -> str:
        accept = data["decision"] == "accept"
        agenda.decide_item(user=request.user, item=item, accept=accept)
        if accept:
            return _("“%(title)s” is on the agenda.") % {"title": item.title}
        return _("“%(title)s” was declined.") % {"title": item.title}

    return _act(request, meeting, AgendaDecisionForm(request.POST), act)


@login_required
@require_POST
def move_item(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    item = _item(meeting, item_pk)

    def act(data: dict[str, object]) -> str:
        agenda.move_item(user=request.user, item=item, up=data["direction"] == "up")
        return _("The agenda's order is saved.")

    return _act(request, meeting, MoveForm(request.POST), act)


@login_required
@require_POST
def withdraw_item(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    item = _item(meeting, item_pk)

    def act(data: dict[str, object]) -> str:
        agenda.withdraw_item(user=request.user, item=item)
        return _("You withdrew “%(title)s”.") % {"title": item.title}

    return _act(request, meeting, forms.Form(request.POST), act)


@require_http_methods(["GET", "HEAD", "POST"])
def take_role_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a nudge: GET asks to confirm (a link scanner that follows it takes
    nothing), POST takes the role. Only as the member it was sent to, signed in."""
    link = links.read_take_role_token(token)
    if link is None:
        return render(request, "members/link_invalid.html", status=400)
    meeting = Meeting.objects.filter(pk=link.meeting_id).select_related("series").first()
    if meeting is None or not User.objects.filter(pk=link.user_id, is_active=True).exists():
        return render(request, "members/link_invalid.html", status=404)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.user.pk != link.user_id:
        return _refused(
            request,
            meeting,
            _(
                "This link was sent to another member, so it cannot give you the role. Log "
                "out and log in as them, or take a role on the meeting page."
            ),
            status=403,
        )
    if request.method == "POST":
        try:
            roles.take_role(user=request.user, meeting=meeting, role=link.role)
        except PracticeRefused as refusal:
            return _refused(request, meeting, str(refusal), status=refusal.status)
        messages.success(
            request,
            _("You are %(role)s of this meeting, and your answer is yes.")
            % {"role": _role_name(meeting, link.role)},
        )
        return redirect(f"{meeting.get_absolute_url()}#practice")
    place = next(
        (place for place in roles.meeting_places(meeting) if place.role.slug == link.role), None
    )
    if place is None:
        return _refused(request, meeting, _("This meeting has no such role."), status=400)
    return render(
        request,
        "practice/take_role_link.html",
        {
            "meeting": meeting,
            "place": place,
            "local": display.localize(meeting, request.viewer_timezone.zone),
            "obstacle": _obstacle(request.user, meeting, place),
        },
    )


def _obstacle(user: User, meeting: Meeting, place: roles.Place) -> str:
    """Why taking the role would be refused now, as far as a page can tell without trying;
    the POST has the last word."""
    if not is_member(user):
        return _("Confirm your e-mail address to take a role.")
    if meeting.is_cancelled:
        return _("This meeting was cancelled, so it takes no roles.")
    if meeting.starts_at <= timezone.now():
        return _("Roles closed when this meeting started.")
    if place.held_by(user):
        return _("You hold this role already.")
    if not place.open:
        return _("Every place as %(role)s was taken. There may be another role for you.") % {
            "role": place.role.name
        }
    return ""


def _role_name(meeting: Meeting, slug: str) -> str:
    for place in roles.meeting_places(meeting):
        if place.role.slug == slug:
            return place.role.name
    return slug
