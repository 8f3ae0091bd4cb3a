"""What the poll tests share: a fixed clock, and polls made as an organizer would."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from meetings.permissions import ensure_organizers_group
from members.models import Poll, User
from members.polls import services
from members.polls.services import PollDraft
from tests.members.practice.support import member

__all__ = ["FIRST", "NOW", "make_poll", "member", "organizer"]

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
# The first slot of a poll: a week ahead, 14:00 UTC.
FIRST = datetime(2027, 1, 11, 14, 0, tzinfo=UTC)


def make_poll(
    by: User,
    *,
    slots: int = 3,
    audience: str = Poll.Audience.MEMBERS,
    kind: str = Poll.Kind.ONE_OFF,
    frequency: str = "",
    zone: str = "UTC",
    deadline: datetime | None = None,
    **fields: object,
) -> Poll:
    """A poll with `slots` slots a day apart from FIRST, open until the day before it."""
    draft = PollDraft(
        title=fields.pop("title", "A time for the new track"),
        description=fields.pop("description", ""),
        length=fields.pop("length", timedelta(minutes=90)),
        kind=kind,
        frequency=frequency,
        audience=audience,
        series=fields.pop("series", None),
        zone=ZoneInfo(zone),
        join_url=fields.pop("join_url", "https://meet.example.org/poll"),
        deadline=deadline or FIRST - timedelta(days=1),
        slots=[FIRST + timedelta(days=n) for n in range(slots)],
    )
    return services.create_poll(by=by, draft=draft)


def organizer(name: str = "Olu", **fields: object) -> User:
    """A member of the Organizers group (not staff), in UTC unless told."""
    user = member(name, **fields)
    user.groups.add(ensure_organizers_group())
    return user
