"""What the practice tests share: a fixed calendar, members, organizers and meetings."""

from datetime import UTC, datetime, timedelta

from allauth.account.models import EmailAddress

from meetings.models import Meeting, ScheduleVersion, Series
from meetings.permissions import ensure_organizers_group
from members.models import User
from members.practice import roles
from tests.factories import MeetingFactory, SeriesFactory, UserFactory

# CoP-F East on its second Monday in January 2027, 90 minutes; the clock stands a week before.
START = datetime(2027, 1, 11, 14, 0, tzinfo=UTC)
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
# The meeting is over: time for the harvest.
AFTER = START + timedelta(hours=2)


def member(name: str, *, verified: bool = True, **fields: object) -> User:
    """A member called `name`, with a confirmed address unless `verified` is False."""
    fields.setdefault("email", f"{name.lower()}@example.org")
    user = UserFactory(display_name=name, **fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=verified, primary=True)
    return user


def organizer(name: str = "Olu") -> User:
    """A member of the Organizers group (not a superuser)."""
    user = member(name)
    user.groups.add(ensure_organizers_group())
    return user


def east(**fields: object) -> Series:
    """CoP-F East with the five CoP-F roles, one place each."""
    series = SeriesFactory(name="CoP-F East", slug="cop-f-east", **fields)
    roles.give_default_roles(series=series)
    return series


def meeting_of(series: Series, starts_at: datetime = START, **fields: object) -> Meeting:
    return MeetingFactory(series=series, starts_at=starts_at, **fields)


def version() -> int:
    return ScheduleVersion.objects.current()
