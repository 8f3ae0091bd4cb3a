"""Signed links in e-mail: answer a meeting in one click, unsubscribe in one click, take
an open role (after a confirmation, signed in as the member it was sent to), join the call
(recording that the member came); a poll's guest's own link to their votes and to confirm
their address."""

import re
import zlib
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from django.core import signing
from django.urls import get_script_prefix, get_urlconf, reverse

from meetings.ical import absolute_url

from .models import PollVoter, Rsvp

# What `signing.loads` raises for a token it cannot read; only the signature is an
# attacker's to break, but a payload we never wrote must not be a 500 either.
UNREADABLE = (signing.BadSignature, ValueError, zlib.error)

RSVP_SALT = "copf.members.rsvp-link"
UNSUBSCRIBE_SALT = "copf.members.unsubscribe-link"
RSVP_LINK_LIFETIME = timedelta(days=45)
TAKE_ROLE_SALT = "copf.members.take-role-link"
# A nudge goes a week before the meeting, and roles close when it starts.
TAKE_ROLE_LINK_LIFETIME = timedelta(days=14)
# A role's slug as `Role.slug` holds it (a SlugField of 40).
ROLE_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,40}")
JOIN_SALT = "copf.members.join-link"
# A join link works only while its meeting's call is open; the age limit only keeps a
# leaked link from being a key for ever.
JOIN_LINK_LIFETIME = timedelta(days=120)
# A guest's token names their poll, their row and their address; it is made here, below
# both the polls and the mail about them, and read in `polls.services.guest_from_token`.
GUEST_SALT = "copf.poll-guest"
TOKEN_SLOT = "copf-token-slot"  # noqa: S105 - where a token goes, no secret


@dataclass(frozen=True)
class RsvpLink:
    user_id: int
    meeting_id: int
    response: str


def rsvp_url(*, user_id: int, meeting_id: int, response: str) -> str:
    token = signing.dumps({"u": user_id, "m": meeting_id, "r": response}, salt=RSVP_SALT)
    return _link("members:rsvp_link", token)


def read_rsvp_token(token: str) -> RsvpLink | None:
    """The signed answer, or None if the link was tampered with, has expired, or holds
    anything but the ids and answer we sign (a key changed by hand, an old format)."""
    try:
        data = signing.loads(token, salt=RSVP_SALT, max_age=RSVP_LINK_LIFETIME)
    except UNREADABLE:
        return None
    if not isinstance(data, dict):
        return None
    user_id, meeting_id, response = data.get("u"), data.get("m"), data.get("r")
    if not (is_id(user_id) and is_id(meeting_id)) or response not in Rsvp.Response.values:
        return None
    return RsvpLink(user_id=user_id, meeting_id=meeting_id, response=response)


@dataclass(frozen=True)
class TakeRoleLink:
    user_id: int
    meeting_id: int
    role: str


def take_role_url(*, user_id: int, meeting_id: int, role: str) -> str:
    token = signing.dumps({"u": user_id, "m": meeting_id, "r": role}, salt=TAKE_ROLE_SALT)
    return _link("members:take_role_link", token)


def read_take_role_token(token: str) -> TakeRoleLink | None:
    """The signed offer of a role, or None if the link was tampered with, has expired, or
    holds anything but the ids and role slug we sign."""
    try:
        data = signing.loads(token, salt=TAKE_ROLE_SALT, max_age=TAKE_ROLE_LINK_LIFETIME)
    except UNREADABLE:
        return None
    if not isinstance(data, dict):
        return None
    user_id, meeting_id, role = data.get("u"), data.get("m"), data.get("r")
    if not (is_id(user_id) and is_id(meeting_id)):
        return None
    if not (isinstance(role, str) and ROLE_SLUG.fullmatch(role)):
        return None
    return TakeRoleLink(user_id=user_id, meeting_id=meeting_id, role=role)


@dataclass(frozen=True)
class JoinLink:
    user_id: int
    meeting_id: int


def join_url(*, user_id: int, meeting_id: int) -> str:
    token = signing.dumps({"u": user_id, "m": meeting_id}, salt=JOIN_SALT)
    return _link("members:join_link", token)


def read_join_token(token: str) -> JoinLink | None:
    """The member and meeting a join link was made for, or None if it was tampered with,
    has expired, or holds anything but the two ids we sign."""
    try:
        data = signing.loads(token, salt=JOIN_SALT, max_age=JOIN_LINK_LIFETIME)
    except UNREADABLE:
        return None
    if not isinstance(data, dict) or set(data) != {"u", "m"}:
        return None
    user_id, meeting_id = data["u"], data["m"]
    if not (is_id(user_id) and is_id(meeting_id)):
        return None
    return JoinLink(user_id=user_id, meeting_id=meeting_id)


def unsubscribe_url(*, user_id: int) -> str:
    token = signing.dumps(user_id, salt=UNSUBSCRIBE_SALT)
    return _link("members:unsubscribe", token)


def read_unsubscribe_token(token: str) -> int | None:
    try:
        user_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except UNREADABLE:
        return None
    return user_id if is_id(user_id) else None


def guest_token(voter: PollVoter) -> str:
    return signing.dumps([voter.poll_id, voter.pk, voter.email.lower()], salt=GUEST_SALT)


def poll_guest_url(voter: PollVoter) -> str:
    """The guest's own link to the poll, to see it and change their votes."""
    path = reverse("members:poll", kwargs={"pk": voter.poll_id})
    # A signed token is letters, digits, "-", "_" and ":", all as they are in a query.
    return absolute_url(f"{path}?guest={guest_token(voter)}")


def poll_confirm_url(voter: PollVoter) -> str:
    """The link that confirms the guest's address, so their votes count."""
    return absolute_url(
        reverse("members:poll_confirm", kwargs={"pk": voter.poll_id, "token": guest_token(voter)})
    )


def _link(name: str, token: str) -> str:
    """The absolute URL of view `name` for a signed token; what `reverse` gives, without
    resolving the pattern again for each of the thousands of links a sweep signs."""
    before, after = _around_token(name, get_script_prefix(), get_urlconf())
    return absolute_url(f"{before}{token}{after}")


@lru_cache(maxsize=16)
def _around_token(name: str, prefix: str, urlconf: object) -> tuple[str, str]:
    """The path of view `name` before and after its token (signed tokens hold only
    characters a path keeps as they are)."""
    path = reverse(name, kwargs={"token": TOKEN_SLOT}, urlconf=urlconf)
    before, _slot, after = path.partition(TOKEN_SLOT)
    return before, after


def is_id(value: object) -> bool:
    """A primary key as we sign it: a positive int that fits the column (not a bool,
    which Python counts as an int)."""
    return type(value) is int and 0 < value < 2**63
