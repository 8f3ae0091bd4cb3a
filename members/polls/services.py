"""Polls: make one, vote in it (members signed in, guests by a confirmed address), and
close it into a meeting, or a new series, that the voters are answered on.

Each function checks who may do it on the server and refuses bad input with a message fit
to show (`..practice.PracticeRefused` and its kinds), changing nothing.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from copf.lib.timezones import parse_timezone
from meetings.models import Meeting, Series
from meetings.recurrence import expand
from meetings.services import materialize_series, schedule_extra_meeting

from .. import services as member_services
from ..deliveries import polls as poll_mail
from ..models import Follow, Poll, PollSlot, PollVote, PollVoter, User
from ..practice import BadInput, NotAllowed, PracticeRefused, validated
from ..practice.access import is_member, is_organizer
from . import fairness
from .slots import check_slots

Choice = PollVote.Choice
GUEST_SALT = "copf.poll-guest"


@dataclass(frozen=True)
class PollDraft:
    """What an organizer asks, as the form hands it over: slots already in UTC."""

    title: str
    description: str
    length: timedelta
    kind: str
    frequency: str
    audience: str
    series: Series | None
    zone: ZoneInfo
    join_url: str
    deadline: datetime
    slots: list[datetime]


def create_poll(*, by: User, draft: PollDraft, now: datetime | None = None) -> Poll:
    """The poll and its slots; the invited members are sent the invitation to vote."""
    now = now or timezone.now()
    if not is_organizer(by):
        raise NotAllowed(_("Only organizers can make polls."))
    slots = check_slots(draft.slots, deadline=draft.deadline, now=now)
    recurring = draft.kind == Poll.Kind.RECURRING
    if recurring and draft.frequency not in Poll.Frequency.values:
        raise BadInput(_("Say how often the new meeting repeats: every week or every month."))
    if draft.audience == Poll.Audience.FOLLOWERS and draft.series is None:
        raise BadInput(_("Choose the series whose followers are asked."))
    poll = Poll(
        title=draft.title,
        description=draft.description,
        length=draft.length,
        kind=draft.kind,
        frequency=draft.frequency if recurring else "",
        audience=draft.audience,
        series=draft.series,
        timezone=draft.zone.key,
        join_url=draft.join_url,
        deadline=draft.deadline,
        created_by=by,
    )
    validated(poll)
    with transaction.atomic():
        poll.save()
        PollSlot.objects.bulk_create([PollSlot(poll=poll, starts_at=slot) for slot in slots])
        poll_mail.plan_invitations(poll, now=now)
    return poll


# --- who may see and vote ------------------------------------------------------------------


def may_see(poll: Poll, *, user: object, key: str = "", guest: PollVoter | None = None) -> bool:
    """Organizers see every poll; members see the polls they are asked in; anyone with the
    link (its key) or a guest who voted sees a poll for anyone with the link."""
    if is_organizer(user):
        return True
    if poll.audience == Poll.Audience.LINK:
        return key == poll.key or guest is not None or _has_voted(poll, user)
    return may_vote_as_member(poll, user=user)


def may_vote_as_member(poll: Poll, *, user: object) -> bool:
    if not is_member(user):
        return False
    if poll.audience == Poll.Audience.FOLLOWERS:
        return is_organizer(user) or Follow.objects.filter(user=user, series=poll.series).exists()
    return True


def _has_voted(poll: Poll, user: object) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and PollVoter.objects.filter(poll=poll, user=user).exists()
    )


# --- voting --------------------------------------------------------------------------------


def vote_as_member(
    *, poll: Poll, user: User, choices: dict[int, str], now: datetime | None = None
) -> PollVoter:
    """Record a member's votes (their earlier votes for the same slots are replaced)."""
    now = now or timezone.now()
    if not may_vote_as_member(poll, user=user):
        raise NotAllowed(_("This poll asks other people; you cannot vote in it."))
    with transaction.atomic():
        poll = _open_poll(poll, now=now)
        voter, _created = PollVoter.objects.get_or_create(
            poll=poll, user=user, defaults={"confirmed_at": now}
        )
        _record(poll, voter, choices)
    return voter


@dataclass(frozen=True)
class GuestVote:
    voter: PollVoter
    zone_fell_back: bool  # the zone given was unknown, so UTC is used


def vote_as_guest(
    *,
    poll: Poll,
    name: str,
    email: str,
    zone_name: str,
    choices: dict[int, str],
    now: datetime | None = None,
) -> GuestVote:
    """A guest's votes, kept but not counted until they confirm their address from the
    e-mail this sends them. An address that voted already changes nothing here: its
    votes are changed from the link in that e-mail."""
    now = now or timezone.now()
    if poll.audience != Poll.Audience.LINK:
        raise NotAllowed(_("Only members can vote in this poll. Please log in."))
    zone = parse_timezone(zone_name) if zone_name else None
    voter = PollVoter(
        poll=poll, name=name, email=email.strip(), timezone=zone.key if zone else "UTC"
    )
    validated(voter, exclude=("poll", "user"))
    if not voter.name.strip():
        raise BadInput(_("Please give your name, so others know whose votes these are."))
    with transaction.atomic():
        poll = _open_poll(poll, now=now)
        if PollVoter.objects.filter(poll=poll, email__iexact=voter.email).exists():
            raise PracticeRefused(
                _(
                    "This address has voted in this poll already. To change those votes, "
                    "use the link in the e-mail we sent to it."
                )
            )
        voter.poll = poll
        try:
            with transaction.atomic():
                voter.save()
        except IntegrityError:
            raise PracticeRefused(_("This address has voted in this poll already.")) from None
        _record(poll, voter, choices)
        poll_mail.plan_confirmation(voter, now=now)
    return GuestVote(voter=voter, zone_fell_back=zone is None)


def vote_with_token(
    *, poll: Poll, token: str, choices: dict[int, str], now: datetime | None = None
) -> PollVoter:
    """A guest changing their votes with the link from their e-mail."""
    now = now or timezone.now()
    voter = guest_from_token(poll, token)
    with transaction.atomic():
        poll = _open_poll(poll, now=now)
        _record(poll, voter, choices)
    return voter


def guest_token(voter: PollVoter) -> str:
    return signing.dumps([voter.poll_id, voter.pk, voter.email.lower()], salt=GUEST_SALT)


def guest_from_token(poll: Poll, token: str) -> PollVoter:
    """The guest a token from our e-mail names, in this poll; BadInput for anything else."""
    refused = BadInput(_("This link is not valid for this poll. Use the link from your e-mail."))
    try:
        poll_id, voter_id, email = signing.loads(token, salt=GUEST_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        raise refused from None
    if poll_id != poll.pk:
        raise refused
    voter = PollVoter.objects.filter(
        poll=poll, pk=voter_id, user__isnull=True, email__iexact=email
    ).first()
    if voter is None:
        raise refused
    return voter


def confirm_guest(*, poll: Poll, token: str, now: datetime | None = None) -> PollVoter:
    """The guest's address is theirs: from now their votes count."""
    voter = guest_from_token(poll, token)
    if voter.confirmed_at is None:
        voter.confirmed_at = now or timezone.now()
        voter.save(update_fields=["confirmed_at", "updated_at"])
    return voter


def _open_poll(poll: Poll, *, now: datetime) -> Poll:
    """The poll locked for the vote, or a refusal if voting has ended."""
    poll = Poll.objects.select_for_update().get(pk=poll.pk)
    if poll.is_closed:
        raise PracticeRefused(_("This poll is closed; votes can no longer change."))
    if now >= poll.deadline:
        raise PracticeRefused(_("The deadline for this poll has passed."))
    return poll


def _record(poll: Poll, voter: PollVoter, choices: dict[int, str]) -> None:
    """Replace the voter's votes for the slots in `choices`; one row per (poll, voter, slot)."""
    if not choices:
        raise BadInput(_("Vote for at least one slot."))
    slots = set(PollSlot.objects.filter(poll=poll).values_list("pk", flat=True))
    unknown = set(choices) - slots
    if unknown:
        raise BadInput(_("Some of those slots are not in this poll."))
    if any(choice not in Choice.values for choice in choices.values()):
        raise BadInput(_("A vote is yes, if need be, or no."))
    PollVote.objects.bulk_create(
        [
            PollVote(poll=poll, voter=voter, slot_id=slot, choice=choice)
            for slot, choice in choices.items()
        ],
        update_conflicts=True,
        unique_fields=["poll", "voter", "slot"],
        update_fields=["choice", "updated_at"],
    )


# --- results -------------------------------------------------------------------------------


def poll_results(poll: Poll, *, slots: list[PollSlot] | None = None) -> fairness.Results:
    """The grid of counted voters × slots: two queries (slots may be passed in)."""
    slots = slots if slots is not None else list(poll.slots.all())
    voters = list(
        PollVoter.objects.filter(poll=poll, confirmed_at__isnull=False).select_related("user")
    )
    by_slot = {slot.pk: slot.starts_at for slot in slots}
    choices = {
        (voter_id, by_slot[slot_id]): choice
        for voter_id, slot_id, choice in PollVote.objects.filter(
            poll=poll, voter__confirmed_at__isnull=False
        ).values_list("voter_id", "slot_id", "choice")
    }
    return fairness.results(
        slots=[slot.starts_at for slot in slots],
        voters=[
            fairness.Voter(key=voter.pk, name=voter.display_name, zone=ZoneInfo(voter.zone_name))
            for voter in voters
        ],
        choices=choices,
        length=poll.length,
    )


def recurring_starts(poll: Poll, slot: PollSlot) -> list[datetime]:
    """The starts of the series this slot would become, over twelve months from it."""
    anchor = ZoneInfo(str(poll.timezone))
    day, at = fairness.first_local(slot.starts_at, anchor)
    return expand(
        fairness.recurring_rule(slot.starts_at, anchor=anchor, frequency=poll.frequency),
        start_date=day,
        start_time=at,
        anchor=anchor,
        after=slot.starts_at,
        before=fairness.twelve_months_after(slot.starts_at),
    )


# --- closing -------------------------------------------------------------------------------


def close_poll(*, poll: Poll, slot_id: int, by: User, now: datetime | None = None) -> Poll:
    """Close the poll on one slot: make the meeting (or the series, whose first meeting
    is at that slot), answer yes or maybe for the members who voted yes or if need be
    (a recurring poll also makes them follow the series), and tell the other voters."""
    now = now or timezone.now()
    if not is_organizer(by):
        raise NotAllowed(_("Only organizers can close a poll."))
    with transaction.atomic():
        poll = Poll.objects.select_for_update().get(pk=poll.pk)
        if poll.is_closed:
            raise PracticeRefused(_("This poll is closed already."))
        slot = PollSlot.objects.filter(poll=poll, pk=slot_id).first()
        if slot is None:
            raise BadInput(_("Choose one of this poll's slots."))
        if slot.starts_at <= now:
            raise BadInput(_("That slot has passed; choose a later one."))
        if poll.is_recurring:
            series = _new_series(poll, slot)
            meeting = Meeting.objects.get(series=series, original_start=slot.starts_at)
            poll.new_series = series
        else:
            meeting = _extra_meeting(poll, slot)
        poll.closed_at, poll.chosen_slot, poll.meeting = now, slot, meeting
        poll.save(update_fields=["closed_at", "chosen_slot", "meeting", "new_series", "updated_at"])
        told = _answer_voters(poll, slot, meeting, now=now)
        poll_mail.plan_results(poll, told, now=now)
    return poll


def _extra_meeting(poll: Poll, slot: PollSlot) -> Meeting:
    series = poll.series
    return schedule_extra_meeting(
        title=poll.title,
        starts_at=slot.starts_at,
        duration=poll.length,
        series=series,
        description=poll.description,
        join_url=poll.join_url or (series.join_url if series else ""),
    )


def _new_series(poll: Poll, slot: PollSlot) -> Series:
    anchor = ZoneInfo(str(poll.timezone))
    day, at = fairness.first_local(slot.starts_at, anchor)
    series = Series(
        slug=_free_slug(poll.title),
        name=poll.title,
        description=poll.description,
        rrule=fairness.recurring_rule(slot.starts_at, anchor=anchor, frequency=poll.frequency),
        anchor_timezone=anchor.key,
        start_date=day,
        start_time=at,
        duration=poll.length,
        join_url=poll.join_url,
    )
    validated(series)
    series.save()
    materialize_series(series=series)
    return series


def _free_slug(title: str) -> str:
    base = (slugify(title) or "poll")[:50]
    slug, n = base, 1
    while Series.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _answer_voters(
    poll: Poll, slot: PollSlot, meeting: Meeting, *, now: datetime
) -> list[PollVoter]:
    """Answer the members who can come; the voters to tell the result instead."""
    choices = dict(PollVote.objects.filter(slot=slot).values_list("voter_id", "choice"))
    told = []
    for voter in PollVoter.objects.filter(poll=poll, confirmed_at__isnull=False).select_related(
        "user"
    ):
        choice = choices.get(voter.pk)
        user = voter.user
        if user is None or not user.is_active or choice not in (Choice.YES, Choice.IF_NEED_BE):
            told.append(voter)
            continue
        if poll.new_series_id:
            member_services.follow_series(user=user, series=poll.new_series)
        member_services.set_rsvp(
            user=user,
            meeting=meeting,
            response="yes" if choice == Choice.YES else "maybe",
            now=now,
        )
    return told
