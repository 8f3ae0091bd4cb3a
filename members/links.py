"""Signed links in e-mail: answer a meeting in one click, unsubscribe in one click."""

from datetime import timedelta

from django.core import signing
from django.urls import reverse

from meetings.ical import absolute_url

from .models import Rsvp

RSVP_SALT = "copf.members.rsvp-link"
UNSUBSCRIBE_SALT = "copf.members.unsubscribe-link"
RSVP_LINK_LIFETIME = timedelta(days=45)


def rsvp_url(*, user_id: int, meeting_id: int, response: str) -> str:
    token = signing.dumps({"u": user_id, "m": meeting_id, "r": response}, salt=RSVP_SALT)
    return absolute_url(reverse("members:rsvp_link", kwargs={"token": token}))


def read_rsvp_token(token: str) -> dict[str, object] | None:
    """The signed answer, or None if the link was tampered with or has expired."""
    try:
        data = signing.loads(token, salt=RSVP_SALT, max_age=RSVP_LINK_LIFETIME)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("r") not in Rsvp.Response.values:
        return None
    return data


def unsubscribe_url(*, user_id: int) -> str:
    token = signing.dumps(user_id, salt=UNSUBSCRIBE_SALT)
    return absolute_url(reverse("members:unsubscribe", kwargs={"token": token}))


def read_unsubscribe_token(token: str) -> int | None:
    try:
        user_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return user_id if isinstance(user_id, int) else None
