from collections.abc import Callable
from datetime import datetime

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from meetings import display, pagecache
from meetings.models import Meeting, Series

from .. import selectors
from ..models import Rsvp

register = template.Library()
LIBRARY = "rsvp"  # this module's name, as `{% load %}` knows it

PartContext = Callable[[template.Context, Meeting | Series], dict[str, object]]


def member_part(
    template_name: str, *, library: template.Library = register, library_name: str = LIBRARY
) -> Callable[[PartContext], PartContext]:
    """A tag for what one viewer sees of a meeting or a series: `template_name` rendered
    with what the function returns. Inside a part every viewer shares
    (`meetings.pagecache.shared_part`) it leaves a marker that each request fills in.
    A tag of another library names it (`library`, and `library_name` as `{% load %}`
    knows it)."""

    def decorate(func: PartContext) -> PartContext:
        name = func.__name__

        def tag(context: template.Context, obj: Meeting | Series) -> str:
            if context.get(pagecache.SHARED):
                return pagecache.part_marker(library_name, name, obj)
            return render_to_string(template_name, func(context, obj))

        library.simple_tag(tag, takes_context=True, name=name)
        return func

    return decorate


CHOICES = Rsvp.Response.choices
COMING = (Rsvp.Response.YES, Rsvp.Response.MAYBE)


def _viewer_rsvp(meeting: Meeting, user: object) -> object:
    answers = getattr(meeting, "viewer_rsvps", None)
    if answers is None:
        # Kept on the meeting: the answer buttons and the Join button both ask.
        answers = meeting.viewer_rsvps = list(meeting.rsvps.filter(user=user))
    return answers[0] if answers else None


@member_part("members/_rsvp_buttons.html")
def rsvp_buttons(context: template.Context, meeting: Meeting) -> dict[str, object]:
    """Yes / maybe / no: buttons that answer for a signed-in member; for a visitor, links
    that lead through log-in or sign-up and answer once they are a member. Links, not a
    form, so a visitor's page carries no CSRF token and stays the same for everyone."""
    request = context["request"]
    closed = meeting.is_cancelled or meeting.starts_at <= timezone.now()
    if not request.user.is_authenticated:
        return {"show": not closed, "anonymous": True, "meeting": meeting, "choices": CHOICES}
    rsvp = _viewer_rsvp(meeting, request.user)
    return {
        "show": True,
        "meeting": meeting,
        "choices": CHOICES,
        "current": rsvp.response if rsvp else "",
        "status": selectors.rsvp_message(rsvp) if rsvp else "",
        "closed": closed,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }


def _with_next(name: str, path: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': path})}"


@member_part("members/_join_box.html")
def join_box(context: template.Context, meeting: Meeting) -> dict[str, object]:
    """The Join button for a member who answered yes or maybe: live from a quarter of an
    hour before the start until the end; before that, when it opens. It leads through the
    member's join link (`members:join`), which records them and redirects to the call."""
    request = context["request"]
    now = timezone.now()
    if meeting.is_cancelled or meeting.ends_at <= now:
        return {"show": False}
    rsvp = _viewer_rsvp(meeting, request.user) if request.user.is_authenticated else None
    answered = rsvp is not None and rsvp.response in COMING and not rsvp.is_waitlisted
    return {
        "show": True,
        "meeting": meeting,
        "answered": answered,
        # The member's own join link, which records that they came and opens the call.
        "url": reverse("members:join", kwargs={"pk": meeting.pk})
        if meeting.effective_join_url
        else "",
        "open": meeting.is_join_open(now),
        "started": meeting.starts_at <= now,
        "opens_at": meeting.join_opens_at,
        "opens_label": _local_time(meeting.join_opens_at),
        "signed_in": request.user.is_authenticated,
    }


def _local_time(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%H:%M} {display.zone_label(local)}"


@member_part("members/_rsvp_panel.html")
def rsvp_panel(context: template.Context, meeting: Meeting) -> dict[str, object]:
    """Who is coming, and the viewer's own answer, for the meeting page."""
    request = context["request"]
    user = request.user
    verified = user.is_authenticated and selectors.is_verified(user)
    return {
        "meeting": meeting,
        "counts": selectors.answer_counts(meeting),
        "capacity": meeting.effective_capacity,
        "names": selectors.names_coming(meeting) if verified else None,
        "signed_in": user.is_authenticated,
        "verified": verified,
        "email": user.email if user.is_authenticated else "",
        "next": request.get_full_path(),
        "login_url": _with_next("account_login", request.get_full_path()),
        "signup_url": _with_next("account_signup", request.get_full_path()),
        "csrf_token": context.get("csrf_token"),
    }


@member_part("members/_follow_form.html")
def follow_form(context: template.Context, series: Series) -> dict[str, object]:
    """Follow or unfollow, for a signed-in member; nothing for a visitor."""
    request = context["request"]
    user = request.user
    return {
        "series": series,
        "signed_in": user.is_authenticated,
        "following": user.is_authenticated and series.follows.filter(user=user).exists(),
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
