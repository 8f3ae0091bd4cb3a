import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
import vobject
from allauth.account.models import EmailAddress

from meetings import ical, services
from meetings.models import Meeting
from members.models import AgendaItem, Role, RoleAssignment, User
from members.practice.places import meeting_places
from members.practice.roles import give_default_roles, take_role
from tests.factories import MeetingFactory, SeriesFactory, UserFactory

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
EVENT_PROPERTIES = [
    "SUMMARY",
    "DTSTART",
    "DTEND",
    "DTSTAMP",
    "UID",
    "SEQUENCE",
    "CREATED",
    "DESCRIPTION",
    "LAST-MODIFIED",
    "LOCATION",
    "ORGANIZER",
    "STATUS",
    "TRANSP",
    "URL",
]


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = "https://copf.example.org"
    settings.DEFAULT_FROM_EMAIL = "CoP-F <noreply@copf.example.org>"


@pytest.fixture
def east(db):
    return SeriesFactory(slug="cop-f-east", name="CoP-F East", start_time=time(14, 0))


def make_meetings(series, count: int, **fields: object) -> list[Meeting]:
    """`count` meetings of `series`, a week apart from Monday 11 January 2027 at 14:00 UTC."""
    first = datetime(2027, 1, 11, 14, tzinfo=UTC)
    return [
        MeetingFactory(series=series, starts_at=first + timedelta(weeks=week), **fields)
        for week in range(count)
    ]


def render(meetings: list[Meeting], *, name: str = "CoP-F meetings", **kwargs: object) -> bytes:
    return ical.render(ical.build_calendar(meetings=meetings, name=name, **kwargs))


def content_lines(raw: bytes) -> list[str]:
    """The logical lines: folds joined, CRLF removed."""
    return raw.decode().replace("\r\n ", "").split("\r\n")[:-1]


def components(raw: bytes) -> list[tuple[str, list[str]]]:
    """(name, own property lines) of every component, inner ones before their parent."""
    stack: list[tuple[str, list[str]]] = []
    done = []
    for line in content_lines(raw):
        if line.startswith("BEGIN:"):
            stack.append((line.removeprefix("BEGIN:"), []))
        elif line.startswith("END:"):
            done.append(stack.pop())
        else:
            stack[-1][1].append(line)
    assert stack == []
    return done


def events(raw: bytes) -> list[list[str]]:
    return [lines for name, lines in components(raw) if name == "VEVENT"]


def calendar_lines(raw: bytes) -> list[str]:
    return next(lines for name, lines in components(raw) if name == "VCALENDAR")


def names(lines: list[str]) -> list[str]:
    return [re.match(r"[A-Z0-9-]+", line).group() for line in lines]


def line_of(lines: list[str], name: str) -> str:
    (line,) = [line for line in lines if re.match(rf"{name}[;:]", line)]
    return line


@pytest.mark.django_db
class TestDeterministicBytes:
    def test_the_same_data_renders_byte_identical_calendars(self, east):
        make_meetings(east, 3)

        first = render(list(Meeting.objects.all()))
        second = render(list(Meeting.objects.all()))

        assert first == second

    def test_rendering_later_gives_the_same_bytes_because_nothing_depends_on_now(
        self, east, frozen_now
    ):
        MeetingFactory(series=east)
        today = render(list(Meeting.objects.all()))

        frozen_now.shift(timedelta(days=3, hours=5, seconds=7))
        later = render(list(Meeting.objects.all()))

        assert later == today


@pytest.mark.django_db
class TestSerialization:
    LONG_TITLES = [
        "Ünïcödé 🎉 " * 18,
        "a" + "Ünïcödé 🎉 " * 18,
        "ab" + "Ünïcödé 🎉 " * 18,
        "abc" + "😀🌍👩🏽‍💻" * 20,
        "Åsa’s “Sociocracy” circle — 会議 — Встреча — ميتينغ — 🧑‍🤝‍🧑" * 3,
    ]

    def test_every_line_ends_with_crlf_and_there_is_no_bare_cr_or_lf(self, east):
        MeetingFactory(series=east, description="First line\nSecond line\r\nThird line")

        raw = render(list(Meeting.objects.all()))

        assert raw.endswith(b"END:VCALENDAR\r\n")
        assert b"\r" not in raw.replace(b"\r\n", b"")
        assert b"\n" not in raw.replace(b"\r\n", b"")

    @pytest.mark.parametrize("title", LONG_TITLES)
    def test_no_physical_line_is_over_75_octets_and_folds_keep_utf8_characters_whole(
        self, east, title
    ):
        meeting = MeetingFactory(series=east, title=title[:200], description=title * 5)

        raw = render([meeting], name=title[:120])

        physical = raw.split(b"\r\n")[:-1]
        assert max(len(line) for line in physical) <= 75
        for line in physical:
            line.decode("utf-8")  # raises if a fold split a character
        parsed = vobject.readOne(raw.decode(), validate=True)
        assert parsed.vevent.summary.value == title[:200]
        assert parsed.x_wr_calname.value == title[:120]

    def test_a_1000_character_title_folds_into_short_lines_and_reads_back_whole(self, east):
        meeting = MeetingFactory(series=east)
        meeting.title = "Ünïc 🎉;,\\ " * 100  # longer than the field allows, to stress folding

        raw = render([meeting])

        physical = raw.split(b"\r\n")[:-1]
        assert max(len(line) for line in physical) <= 75
        for line in physical:
            line.decode("utf-8")
        parsed = vobject.readOne(raw.decode(), validate=True)
        assert len(meeting.title) == 1000
        assert parsed.vevent.summary.value == meeting.title

    def test_text_values_escape_backslash_semicolon_comma_and_newlines(self, east):
        meeting = MeetingFactory(series=east, title="Roles; rounds, and \\ consent")

        raw = render([meeting])

        (event,) = events(raw)
        assert line_of(event, "SUMMARY") == r"SUMMARY:Roles\; rounds\, and \\ consent"

    def test_an_organizer_name_with_colon_semicolon_and_comma_is_quoted(self, east, settings):
        settings.DEFAULT_FROM_EMAIL = '"CoP-F: East; West, All" <noreply@copf.example.org>'
        MeetingFactory(series=east)

        raw = render(list(Meeting.objects.all()))

        (event,) = events(raw)
        assert line_of(event, "ORGANIZER") == (
            'ORGANIZER;CN="CoP-F: East; West, All":mailto:noreply@copf.example.org'
        )
        parsed = vobject.readOne(raw.decode(), validate=True)
        assert parsed.vevent.organizer.params["CN"] == ["CoP-F: East; West, All"]


@pytest.mark.django_db
class TestCalendarObject:
    def test_has_one_version_prodid_and_publish_method_and_its_name_once(self, east):
        make_meetings(east, 2)

        raw = render(list(Meeting.objects.all()), name="CoP-F: CoP-F East")

        assert calendar_lines(raw) == [
            "VERSION:2.0",
            "PRODID:-//CoP-F//Meeting scheduler//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "NAME:CoP-F: CoP-F East",
            "X-WR-CALNAME:CoP-F: CoP-F East",
            "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
            "X-PUBLISHED-TTL:PT1H",
        ]

    def test_an_empty_calendar_is_still_a_valid_calendar(self, db):
        raw = render([])

        parsed = vobject.readOne(raw.decode(), validate=True)
        assert events(raw) == []
        assert parsed.x_wr_calname.value == "CoP-F meetings"

    def test_the_calendar_name_is_escaped_as_text(self, east):
        MeetingFactory(series=east)

        raw = render(list(Meeting.objects.all()), name="CoP-F: Tools, tips; and \\ more")

        parsed = vobject.readOne(raw.decode(), validate=True)
        assert line_of(calendar_lines(raw), "NAME") == r"NAME:CoP-F: Tools\, tips\; and \\ more"
        assert line_of(calendar_lines(raw), "X-WR-CALNAME") == (
            r"X-WR-CALNAME:CoP-F: Tools\, tips\; and \\ more"
        )
        assert parsed.x_wr_calname.value == "CoP-F: Tools, tips; and \\ more"

    def test_uses_no_time_zone_id_and_so_needs_no_vtimezone(self, east):
        MeetingFactory(series=east, starts_at=datetime(2027, 3, 28, 10, tzinfo=BERLIN))

        raw = render(list(Meeting.objects.all()))

        assert b"TZID" not in raw
        assert b"VTIMEZONE" not in raw


@pytest.mark.django_db
class TestEvents:
    def test_every_event_has_each_required_property_exactly_once(self, east):
        make_meetings(east, 3)
        MeetingFactory(
            series=None,
            is_extra=True,
            title="Open space",
            starts_at=datetime(2027, 6, 1, 14, tzinfo=UTC),
            join_url="",
        )

        raw = render(list(Meeting.objects.all()))

        found = [sorted(names(event)) for event in events(raw)]
        with_location = sorted(EVENT_PROPERTIES)
        without_location = sorted(set(EVENT_PROPERTIES) - {"LOCATION"})
        assert found == [with_location, with_location, with_location, without_location]

    def test_event_values_come_from_the_database(self, east, frozen_now):
        meeting = MeetingFactory(
            series=east,
            starts_at=datetime(2027, 1, 11, 14, tzinfo=UTC),
            description="Bring a question.",
            sequence=3,
        )
        frozen_now.shift(timedelta(hours=2, minutes=15, seconds=30))
        meeting.save()

        (event,) = events(render([meeting]))

        assert event == [
            "SUMMARY:CoP-F East",
            "DTSTART:20270111T140000Z",
            "DTEND:20270111T153000Z",
            "DTSTAMP:20261126T111530Z",
            f"UID:copf-meeting-{meeting.pk}@copf.example.org",
            "SEQUENCE:3",
            "CREATED:20261126T090000Z",
            "DESCRIPTION:Bring a question.\\n\\nJoin: https://meet.example.org/copf\\n\\n"
            f"Details and your answer: https://copf.example.org/meetings/{meeting.pk}/",
            "LAST-MODIFIED:20261126T111530Z",
            "LOCATION:https://meet.example.org/copf",
            "ORGANIZER;CN=CoP-F:mailto:noreply@copf.example.org",
            "STATUS:CONFIRMED",
            "TRANSP:OPAQUE",
            f"URL:https://copf.example.org/meetings/{meeting.pk}/",
        ]

    def test_a_meeting_given_in_berlin_time_is_written_in_utc(self, east):
        meeting = MeetingFactory(series=east, starts_at=datetime(2027, 3, 28, 10, tzinfo=BERLIN))

        (event,) = events(render([meeting]))

        assert line_of(event, "DTSTART") == "DTSTART:20270328T080000Z"
        assert line_of(event, "DTEND") == "DTEND:20270328T093000Z"

    def test_the_uid_is_the_same_in_every_render_and_names_only_the_meeting(self, east):
        meeting, other = make_meetings(east, 2)

        alone = events(render([meeting]))
        together = events(render([other, meeting], name="Other name"))

        assert line_of(alone[0], "UID") == f"UID:copf-meeting-{meeting.pk}@copf.example.org"
        assert line_of(together[1], "UID") == line_of(alone[0], "UID")
        assert line_of(together[0], "UID") == f"UID:copf-meeting-{other.pk}@copf.example.org"

    def test_a_moved_meeting_keeps_its_uid_and_raises_its_sequence(self, east, frozen_now):
        meeting = MeetingFactory(series=east)
        (before,) = events(render([meeting]))
        frozen_now.shift(timedelta(minutes=5))

        moved = services.move_meeting(
            meeting=meeting, starts_at=datetime(2027, 1, 12, 14, tzinfo=UTC)
        )

        (after,) = events(render([moved]))
        assert line_of(after, "UID") == line_of(before, "UID")
        assert (line_of(before, "SEQUENCE"), line_of(after, "SEQUENCE")) == (
            "SEQUENCE:0",
            "SEQUENCE:1",
        )
        assert line_of(after, "DTSTART") == "DTSTART:20270112T140000Z"
        assert line_of(after, "LAST-MODIFIED") == "LAST-MODIFIED:20261126T090500Z"

    def test_a_cancelled_meeting_is_marked_cancelled_with_a_higher_sequence(self, east):
        meeting = services.cancel_meeting(meeting=MeetingFactory(series=east))

        (event,) = events(render([meeting]))

        assert line_of(event, "STATUS") == "STATUS:CANCELLED"
        assert line_of(event, "SEQUENCE") == "SEQUENCE:1"
        assert line_of(event, "TRANSP") == "TRANSP:TRANSPARENT"

    def test_a_published_event_has_an_organizer_and_no_attendee(self, east):
        make_meetings(east, 2)

        raw = render(
            list(Meeting.objects.all()),
            default_options=ical.EventOptions(note="maybe", alarm_minutes=30),
        )

        for event in events(raw):
            assert "ATTENDEE" not in names(event)
            assert line_of(event, "ORGANIZER") == (
                "ORGANIZER;CN=CoP-F:mailto:noreply@copf.example.org"
            )
        assert b"ATTENDEE" not in raw

    def test_a_maybe_note_is_shown_after_the_title_and_the_time_shows_as_free(self, east):
        meeting = MeetingFactory(series=east)

        (event,) = events(
            render([meeting], options_for={meeting.pk: ical.EventOptions(note="maybe")})
        )

        assert line_of(event, "SUMMARY") == "SUMMARY:CoP-F East (maybe)"
        assert line_of(event, "TRANSP") == "TRANSP:TRANSPARENT"
        assert line_of(event, "STATUS") == "STATUS:CONFIRMED"

    def test_options_apply_only_to_their_meeting(self, east):
        maybe, plain = make_meetings(east, 2)

        raw = render([maybe, plain], options_for={maybe.pk: ical.EventOptions(note="maybe")})

        assert [line_of(event, "SUMMARY") for event in events(raw)] == [
            "SUMMARY:CoP-F East (maybe)",
            "SUMMARY:CoP-F East",
        ]


@pytest.mark.django_db
class TestAlarms:
    @pytest.mark.parametrize(
        ("minutes", "trigger", "description"),
        [
            (10, "-PT10M", "10 minutes"),
            (30, "-PT30M", "30 minutes"),
            (60, "-PT1H", "1 hour"),
            (1440, "-P1D", "1 day"),
        ],
    )
    def test_alarm_minutes_add_a_display_alarm_before_the_start(
        self, east, minutes, trigger, description
    ):
        meeting = MeetingFactory(series=east)

        raw = render([meeting], default_options=ical.EventOptions(alarm_minutes=minutes))

        assert [name for name, _ in components(raw)] == ["VALARM", "VEVENT", "VCALENDAR"]
        assert components(raw)[0][1] == [
            "ACTION:DISPLAY",
            f"DESCRIPTION:CoP-F East starts in {description}",
            f"TRIGGER:{trigger}",
        ]
        parsed = vobject.readOne(raw.decode(), validate=True)
        assert parsed.vevent.valarm.trigger.value == timedelta(minutes=-minutes)

    def test_no_alarm_without_alarm_minutes(self, east):
        meeting = MeetingFactory(series=east)

        raw = render([meeting])

        assert [name for name, _ in components(raw)] == ["VEVENT", "VCALENDAR"]

    def test_a_cancelled_meeting_rings_no_alarm(self, east):
        meeting = services.cancel_meeting(meeting=MeetingFactory(series=east))

        raw = render([meeting], default_options=ical.EventOptions(alarm_minutes=30))

        assert [name for name, _ in components(raw)] == ["VEVENT", "VCALENDAR"]


INJECTED_TITLES = [
    ("Evil\r\nBEGIN:VEVENT\r\nUID:evil", "Evil BEGIN:VEVENT UID:evil"),
    ("Evil\r\nEND:VEVENT\r\nEND:VCALENDAR", "Evil END:VEVENT END:VCALENDAR"),
    ("Evil\nATTENDEE:mailto:x@example.org", "Evil ATTENDEE:mailto:x@example.org"),
    ("Evil\rSTATUS:CANCELLED", "Evil STATUS:CANCELLED"),
    ("a;b,c\\d:e", "a;b,c\\d:e"),
    ("Nul\x00 esc\x1b[31m del\x7f c1\x85 ls\u2028 ps\u2029", "Nul esc[31m del c1 ls ps"),
    ("\\r\\nBEGIN:VALARM", "\\r\\nBEGIN:VALARM"),
    ("Tab\tbed;\r\n SUMMARY:folded", "Tab bed;  SUMMARY:folded"),
]
INJECTED_DESCRIPTIONS = [
    (
        "Agenda\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil",
        "Agenda\nEND:VEVENT\nBEGIN:VEVENT\nUID:evil",
    ),
    ("One\rBEGIN:VALARM\rACTION:AUDIO", "One\nBEGIN:VALARM\nACTION:AUDIO"),
    ("Ctl\x00\x1b\x7f; comma, slash \\", "Ctl; comma, slash \\"),
    ("x" * 995 + "\r\nEND", "x" * 995 + "\nEND"),
]


@pytest.mark.django_db
class TestInjection:
    def parse(self, raw: bytes) -> vobject.base.Component:
        return vobject.readOne(raw.decode(), validate=True)

    @pytest.mark.parametrize(("payload", "saved"), INJECTED_TITLES)
    def test_a_meeting_title_cannot_add_properties_or_components(self, east, payload, saved):
        meeting = MeetingFactory(series=east, title=payload)
        neighbour = MeetingFactory(
            series=east, title="Neighbour", starts_at=datetime(2027, 2, 8, 14, tzinfo=UTC)
        )
        meeting.refresh_from_db()

        raw = render([meeting, neighbour])

        parsed = self.parse(raw)
        assert meeting.title == saved
        assert [event.summary.value for event in parsed.vevent_list] == [saved, "Neighbour"]
        assert [event.uid.value for event in parsed.vevent_list] == [
            f"copf-meeting-{meeting.pk}@copf.example.org",
            f"copf-meeting-{neighbour.pk}@copf.example.org",
        ]
        assert [sorted(names(event)) for event in events(raw)] == [sorted(EVENT_PROPERTIES)] * 2
        assert [name for name, _ in components(raw)] == ["VEVENT", "VEVENT", "VCALENDAR"]

    @pytest.mark.parametrize(("payload", "saved"), INJECTED_DESCRIPTIONS)
    def test_a_meeting_description_cannot_add_properties_or_components(self, east, payload, saved):
        meeting = MeetingFactory(series=east, description=payload)
        meeting.refresh_from_db()

        raw = render([meeting])

        parsed = self.parse(raw)
        assert meeting.description == saved
        assert parsed.vevent.description.value == (
            f"{saved}\n\nJoin: https://meet.example.org/copf\n\n"
            f"Details and your answer: https://copf.example.org/meetings/{meeting.pk}/"
        )
        assert sorted(names(events(raw)[0])) == sorted(EVENT_PROPERTIES)
        assert [name for name, _ in components(raw)] == ["VEVENT", "VCALENDAR"]

    @pytest.mark.parametrize(("payload", "saved"), INJECTED_TITLES)
    def test_a_series_name_cannot_add_properties_or_components(self, db, payload, saved):
        series = SeriesFactory(name=payload[:120])
        services.materialize_series(series=series, until=NOW + timedelta(days=60))
        series.refresh_from_db()
        meetings = list(series.meetings.all())

        raw = render(meetings, name=f"CoP-F: {series.name}")

        parsed = self.parse(raw)
        assert series.name == saved
        assert parsed.x_wr_calname.value == f"CoP-F: {saved}"
        assert parsed.contents["name"][0].value == f"CoP-F: {saved}"
        assert [event.summary.value for event in parsed.vevent_list] == [saved, saved]
        assert names(calendar_lines(raw)) == [
            "VERSION",
            "PRODID",
            "CALSCALE",
            "METHOD",
            "NAME",
            "X-WR-CALNAME",
            "REFRESH-INTERVAL",
            "X-PUBLISHED-TTL",
        ]
        assert [name for name, _ in components(raw)] == ["VEVENT", "VEVENT", "VCALENDAR"]


# --- the practice: role holders and the accepted agenda in the DESCRIPTION ----------------


def verified(name: str) -> User:
    """A member with a confirmed address, who can take a role."""
    user = UserFactory(display_name=name, email=f"{name.lower() or 'nameless'}@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def give_roles(series) -> None:
    """CoP-F's roles: facilitator, co-facilitator, timekeeper, harvester, host."""
    give_default_roles(series=series)


def agenda_item(meeting: Meeting, proposer: User, title: str, minutes: int, **fields: object):
    return AgendaItem.objects.create(
        meeting=meeting, proposer=proposer, title=title, minutes=minutes, **fields
    )


def description_of(raw: bytes) -> str:
    return vobject.readOne(raw.decode(), validate=True).vevent.description.value


@pytest.mark.django_db
class TestPractice:
    def test_the_description_names_the_holders_in_the_roles_order_and_the_accepted_agenda(
        self, east
    ):
        give_roles(east)
        meeting = MeetingFactory(series=east, description="Bring a question.")
        asha, ben, chen = verified("Asha"), verified("Ben"), verified("Chen")
        # Taken in another order than the roles'; the host gets two places.
        Role.objects.create(meeting=meeting, slug="host", name="Hosts", places=2, position=4)
        for user, role in [(ben, "harvester"), (asha, "facilitator"), (chen, "host")]:
            RoleAssignment.objects.create(meeting=meeting, user=user, role=role)
        RoleAssignment.objects.create(meeting=meeting, user=asha, role="host")
        agenda_item(meeting, ben, "Case clinic", 45, status="accepted", position=2)
        agenda_item(meeting, chen, "Check-in", 10, status="accepted", position=1)
        agenda_item(meeting, chen, "Not yet decided", 5)
        agenda_item(meeting, ben, "Declined", 5, status="declined")

        raw = render([meeting])

        assert description_of(raw) == (
            "Bring a question.\n\n"
            "Roles:\n"
            "Facilitator: Asha\n"
            "Harvester / note-taker: Ben\n"
            "Hosts: Chen, Asha\n\n"
            "Agenda:\n"
            "1. Check-in (10 min, proposed by Chen)\n"
            "2. Case clinic (45 min, proposed by Ben)\n\n"
            "Join: https://meet.example.org/copf\n\n"
            f"Details and your answer: https://copf.example.org/meetings/{meeting.pk}/"
        )

    def test_a_meetings_own_role_stands_where_the_series_role_it_replaces_stands(self, east):
        give_roles(east)
        meeting = MeetingFactory(series=east)
        # Position 0 of its own, but it replaces the series' host, the fifth role.
        Role.objects.create(meeting=meeting, slug="host", name="Hosts", places=2)
        Role.objects.create(meeting=meeting, slug="guest", name="Guest", position=9)
        for name, role in [("Asha", "guest"), ("Ben", "host"), ("Chen", "harvester")]:
            RoleAssignment.objects.create(meeting=meeting, user=verified(name), role=role)

        raw = render([meeting])

        assert description_of(raw).split("\n\n")[0] == (
            "Roles:\nHarvester / note-taker: Chen\nHosts: Ben\nGuest: Asha"
        )
        assert [name for name, _ in ical.practice_of(meeting).holders] == [
            place.role.name for place in meeting_places(meeting) if place.holders
        ]

    def test_a_role_the_meeting_gives_no_places_is_left_out_with_its_holder(self, east):
        give_roles(east)
        meeting = MeetingFactory(series=east)
        Role.objects.create(meeting=meeting, slug="timekeeper", name="Timekeeper", places=0)
        RoleAssignment.objects.create(meeting=meeting, user=verified("Asha"), role="timekeeper")
        RoleAssignment.objects.create(meeting=meeting, user=verified("Ben"), role="host")

        raw = render([meeting])

        assert description_of(raw).split("\n\n")[0] == "Roles:\nHost: Ben"

    def test_a_holder_without_a_display_name_is_a_member_never_their_address(self, east):
        give_roles(east)
        meeting = MeetingFactory(series=east)
        nameless = verified("")
        RoleAssignment.objects.create(meeting=meeting, user=nameless, role="facilitator")
        agenda_item(meeting, nameless, "Check-in", 10, status="accepted")

        raw = render([meeting])

        assert description_of(raw).split("\n\n")[:2] == [
            "Roles:\nFacilitator: a member",
            "Agenda:\n1. Check-in (10 min, proposed by a member)",
        ]
        assert b"nameless" not in raw

    def test_without_holders_or_accepted_items_the_description_has_neither(self, east):
        give_roles(east)
        meeting = MeetingFactory(series=east)
        agenda_item(meeting, verified("Asha"), "Only proposed", 10)

        raw = render([meeting])

        assert description_of(raw) == (
            "Join: https://meet.example.org/copf\n\n"
            f"Details and your answer: https://copf.example.org/meetings/{meeting.pk}/"
        )

    @pytest.mark.parametrize(("payload", "saved"), INJECTED_TITLES)
    def test_role_names_holders_and_agenda_titles_cannot_add_properties_or_components(
        self, east, payload, saved
    ):
        meeting = MeetingFactory(series=east)
        Role.objects.create(series=east, slug="host", name=payload[:60])
        holder = verified("Asha")
        holder.display_name = payload[:100]
        holder.save()
        RoleAssignment.objects.create(meeting=meeting, user=holder, role="host")
        agenda_item(meeting, holder, payload[:120], 10, status="accepted")

        raw = render([meeting])

        parsed = TestInjection().parse(raw)
        assert parsed.vevent.description.value.split("\n\n")[:2] == [
            f"Roles:\n{saved[:60].strip()}: {saved[:100].strip()}",
            f"Agenda:\n1. {saved[:120].strip()} (10 min, proposed by {saved[:100].strip()})",
        ]
        assert sorted(names(events(raw)[0])) == sorted(EVENT_PROPERTIES)
        assert [name for name, _ in components(raw)] == ["VEVENT", "VCALENDAR"]

    def test_taking_a_role_changes_the_description_but_not_the_sequence_or_the_stamps(
        self, east, frozen_now
    ):
        give_roles(east)
        meeting = MeetingFactory(series=east, starts_at=datetime(2027, 1, 11, 14, tzinfo=UTC))
        before = events(render([Meeting.objects.get(pk=meeting.pk)]))[0]
        frozen_now.shift(timedelta(hours=1))

        take_role(user=verified("Asha"), meeting=meeting, role="facilitator")

        meeting.refresh_from_db()
        after = events(render([meeting]))[0]
        changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
        assert meeting.sequence == 0
        assert changed == [
            (
                line_of(before, "DESCRIPTION"),
                "DESCRIPTION:Roles:\\nFacilitator: Asha\\n\\n"
                "Join: https://meet.example.org/copf\\n\\n"
                f"Details and your answer: https://copf.example.org/meetings/{meeting.pk}/",
            )
        ]

    def test_the_practice_given_in_the_options_is_used_instead_of_the_meetings_own(self, east):
        meeting = MeetingFactory(series=east)
        practice = ical.Practice(
            holders=(("Facilitator", ("Asha",)),),
            agenda=(ical.AgendaLine(title="Check-in", minutes=10, proposer="Ben"),),
        )

        raw = render([meeting], default_options=ical.EventOptions(practice=practice))

        assert description_of(raw).split("\n\n")[:2] == [
            "Roles:\nFacilitator: Asha",
            "Agenda:\n1. Check-in (10 min, proposed by Ben)",
        ]
