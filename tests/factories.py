from datetime import UTC, date, datetime, time, timedelta

import factory

from meetings.models import Meeting, Series
from members.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"member{n}@example.org")
    display_name = factory.Sequence(lambda n: f"Member {n}")
    password = factory.django.Password("a long pass phrase")


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Series

    slug = factory.Sequence(lambda n: f"series-{n}")
    name = factory.Sequence(lambda n: f"Series {n}")
    rrule = "FREQ=MONTHLY;BYDAY=2MO"
    anchor_timezone = "UTC"
    start_date = date(2023, 5, 8)
    start_time = time(14, 0)
    duration = timedelta(minutes=90)
    join_url = "https://meet.example.org/copf"


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    series = factory.SubFactory(SeriesFactory)
    title = factory.LazyAttribute(
        lambda meeting: meeting.series.name if meeting.series else "Extra"
    )
    starts_at = datetime(2027, 1, 11, 14, 0, tzinfo=UTC)
    ends_at = factory.LazyAttribute(lambda meeting: meeting.starts_at + timedelta(minutes=90))
    original_start = factory.LazyAttribute(lambda meeting: meeting.starts_at)
