from django import template
from django.utils import timezone

from meetings.models import Meeting

from .. import selectors
from ..models import Rsvp

register = template.Library()

CHOICES = Rsvp.Response.choices


def _viewer_rsvp(meeting: Meeting, user: object) -> object:
    answers = getattr(meeting, "viewer_rsvps", None)
    if answers is None:
        answers = list(meeting.rsvps.filter(user=user))
    return answers[0] if answers else None


@register.inclusion_tag("members/_rsvp_buttons.html", takes_context=True)
def rsvp_buttons(context: template.Context, meeting: Meeting) -> dict[str, object]:
    """Yes / maybe / no buttons for the signed-in member, or nothing."""
    request = context["request"]
    if not request.user.is_authenticated:
        return {"show": False}
    rsvp = _viewer_rsvp(meeting, request.user)
    return {
        "show": True,
        "meeting": meeting,
        "choices": CHOICES,
        "current": rsvp.response if rsvp else "",
        "status": selectors.rsvp_message(rsvp) if rsvp else "",
        "closed": meeting.is_cancelled or meeting.starts_at <= timezone.now(),
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("members/_rsvp_panel.html", takes_context=True)
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
        "csrf_token": context.get("csrf_token"),
    }
