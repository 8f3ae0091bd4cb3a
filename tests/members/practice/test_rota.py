"""The rota page, /series/<slug>/rota/: the next meetings × roles, open places taken in
place, and for organizers who held what and who might take each open place."""

import html
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from meetings.models import Meeting, Series
from meetings.permissions import ensure_organizers_group
from members.models import Role, RoleAssignment, Rsvp, User
from members.practice.roles import give_default_roles
from tests.factories import MeetingFactory, SeriesFactory
from tests.members.deliveries.support import NOW, START, member

URL = "/series/cop-f-east/rota/"
TAKE = "/series/cop-f-east/rota/take/"
SLUGS = ["facilitator", "co-facilitator", "timekeeper", "harvester", "host"]
ROLES = ["Facilitator", "Co-facilitator", "Timekeeper", "Harvester / note-taker", "Host"]
GRID = "Roles in the coming meetings"
HISTORY = "How often each member held each role in the last 12 months"
OPEN_ROW = ["Open", "Open", "Open", "Open", "Open"]


@pytest.fixture(autouse=True)
def frozen(clock):
    """A week before CoP-F East of Monday 11 January 2027 (tests/members/conftest.py)."""
    return clock


@pytest.fixture
def series(db) -> Series:
    series = SeriesFactory(slug="cop-f-east", name="CoP-F East")
    give_default_roles(series=series)
    return series


def meeting(series: Series, weeks: int = 0, **fields) -> Meeting:
    """A meeting of the series `weeks` after Monday 11 January 2027 (before it if < 0)."""
    return MeetingFactory(series=series, starts_at=START + timedelta(weeks=weeks), **fields)


def verified(name: str, zone: str = "UTC", **fields) -> User:
    user = member(name, zone, **fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def organizer(name: str = "Olu") -> User:
    user = verified(name)
    user.groups.add(ensure_organizers_group())
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def hold(user: User, meeting: Meeting, role: str) -> RoleAssignment:
    """A place held as the rows say, without the service's checks: for past meetings."""
    return RoleAssignment.objects.create(meeting=meeting, role=role, user=user)


def say_yes(users: list[User], meeting: Meeting) -> None:
    Rsvp.objects.bulk_create(
        Rsvp(meeting=meeting, user=user, response=Rsvp.Response.YES) for user in users
    )


class Tables(HTMLParser):
    """Each table's rows by its caption: the text of every cell, whitespace folded."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.caption: str | None = None
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.caption, self.rows = "", []
        elif tag == "caption":
            self.in_caption = True
        elif tag == "tr":
            self.rows.append([])
        elif tag in {"td", "th"}:
            self.cell = []
        elif tag in {"p", "ul", "li", "br", "form"} and self.cell is not None:
            self.cell.append(" ")

    def handle_endtag(self, tag):
        if tag == "caption":
            self.in_caption = False
        elif tag in {"td", "th"}:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table":
            self.tables[self.caption.strip()] = self.rows

    def handle_data(self, data):
        if self.in_caption:
            self.caption += data
        elif self.cell is not None:
            self.cell.append(data)


def tables_of(response) -> dict[str, list[list[str]]]:
    reader = Tables()
    reader.feed(response.content.decode())
    return reader.tables


def grid_of(response, roles: list[str] = ROLES) -> list[list[str]]:
    """The rota's rows under its header: the meeting, then each role's cell."""
    header, *rows = tables_of(response)[GRID]
    assert header == ["Meeting", *roles]
    return rows


def open_to_take(day: str) -> list[str]:
    """A row's cells with every place open to the member viewing it."""
    return [f"Open Take it: {role}, {day}" for role in ROLES]


def text_of(response) -> str:
    page = re.sub(
        r"<(select|script|style|title).*?</\1>", " ", response.content.decode(), flags=re.S
    )
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def messages_on(response) -> list[str]:
    found = re.search(r'<ul class="messages">(.*?)</ul>', response.content.decode(), re.S)
    items = re.findall(r"<li[^>]*>([^<]*)</li>", found.group(1)) if found else []
    return [html.unescape(item) for item in items]


def refusals_on(response) -> list[str]:
    page = response.content.decode()
    found = re.findall(r'<p class="notice notice-warn" role="alert">(.*?)</p>', page)
    return [html.unescape(item) for item in found]


def take_forms(response) -> list[tuple[str, str]]:
    """(meeting id, role slug) of each Take it button, in page order."""
    return re.findall(
        r'<form method="post" action="/series/cop-f-east/rota/take/" class="inline-form">'
        r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]+">'
        r'<input type="hidden" name="meeting" value="(\d+)">'
        r'<input type="hidden" name="role" value="([a-z-]+)">',
        response.content.decode(),
    )


def what_changed() -> tuple[list[tuple[int, str, int]], list[tuple[int, int, str]]]:
    return (
        list(RoleAssignment.objects.order_by("pk").values_list("meeting", "role", "user")),
        list(Rsvp.objects.order_by("pk").values_list("meeting", "user", "response")),
    )


# --- the grid ----------------------------------------------------------------------------


def test_a_visitor_sees_the_coming_meetings_by_roles_with_open_places_and_no_forms(client, series):
    first, second = meeting(series), meeting(series, weeks=1)
    hold(verified("Asha"), first, "facilitator")
    hold(verified("Ben"), second, "host")

    response = client.get(URL)

    assert response.status_code == 200
    assert grid_of(response) == [
        ["Mon 11 Jan 2027 14:00–15:30 UTC", "Asha", "Open", "Open", "Open", "Open"],
        ["Mon 18 Jan 2027 14:00–15:30 UTC", "Open", "Open", "Open", "Open", "Ben"],
    ]
    assert take_forms(response) == []
    assert '<a href="/accounts/login/?next=/series/cop-f-east/rota/">Log in to take a role</a>' in (
        response.content.decode()
    )


def test_each_meeting_shows_in_the_viewers_zone_with_utc_beside_it(client, series):
    meeting(series)

    kolkata = client.get(URL, {"tz": "Asia/Kolkata"})
    auckland = client.get(URL, {"tz": "Pacific/Auckland"})

    assert grid_of(kolkata)[0][0] == "Mon 11 Jan 2027 19:30–21:00 IST (14:00–15:30 UTC)"
    assert grid_of(auckland)[0][0] == (
        "Tue 12 Jan 2027 03:00–04:30 NZDT (Mon 11 Jan 2027, 14:00–15:30 UTC)"
    )


def test_shows_the_next_eight_meetings_that_have_not_started(client, series, clock):
    for weeks in range(10):
        meeting(series, weeks=weeks)
    clock.move_to(START + timedelta(minutes=10))  # the first is under way

    rows = grid_of(client.get(URL))

    assert [row[0] for row in rows] == [
        "Mon 18 Jan 2027 14:00–15:30 UTC",
        "Mon 25 Jan 2027 14:00–15:30 UTC",
        "Mon 1 Feb 2027 14:00–15:30 UTC",
        "Mon 8 Feb 2027 14:00–15:30 UTC",
        "Mon 15 Feb 2027 14:00–15:30 UTC",
        "Mon 22 Feb 2027 14:00–15:30 UTC",
        "Mon 1 Mar 2027 14:00–15:30 UTC",
        "Mon 8 Mar 2027 14:00–15:30 UTC",
    ]


def test_shows_no_meetings_of_another_series(client, series):
    meeting(series)
    MeetingFactory(series=SeriesFactory(slug="cop-f-west"), starts_at=START + timedelta(days=1))

    rows = grid_of(client.get(URL))

    assert [row[0] for row in rows] == ["Mon 11 Jan 2027 14:00–15:30 UTC"]


def test_a_cancelled_meeting_is_marked_cancelled_and_offers_no_place(series):
    meeting(series, status=Meeting.Status.CANCELLED)
    kept = meeting(series, weeks=1)

    response = signed_in(verified("Asha")).get(URL)

    assert grid_of(response) == [
        ["Mon 11 Jan 2027 14:00–15:30 UTC", "Cancelled: this meeting takes no roles."],
        ["Mon 18 Jan 2027 14:00–15:30 UTC", *open_to_take("Mon 18 Jan 2027")],
    ]
    assert {meeting_id for meeting_id, _ in take_forms(response)} == {str(kept.pk)}


def test_a_meeting_can_change_a_role_for_itself_or_do_without_one(client, series):
    changed = meeting(series)
    Role.objects.create(meeting=changed, slug="host", name="Hosts", places=3, position=4)
    Role.objects.create(meeting=changed, slug="timekeeper", name="Timekeeper", places=0)
    hold(verified("Asha"), changed, "host")

    rows = grid_of(client.get(URL))

    assert rows == [
        ["Mon 11 Jan 2027 14:00–15:30 UTC", "Open", "Open", "Not in this meeting", "Open",
         "Asha 2 open"],
    ]  # fmt: skip


def test_a_role_one_meeting_adds_has_its_own_column(client, series):
    meeting(series)
    extended = meeting(series, weeks=1)
    Role.objects.create(meeting=extended, slug="interpreter", name="Interpreter", position=9)

    rows = grid_of(client.get(URL), roles=[*ROLES, "Interpreter"])

    assert rows == [
        ["Mon 11 Jan 2027 14:00–15:30 UTC", *OPEN_ROW, "Not in this meeting"],
        ["Mon 18 Jan 2027 14:00–15:30 UTC", *OPEN_ROW, "Open"],
    ]


def test_a_member_without_a_display_name_shows_as_a_member_never_their_address(client, series):
    first = meeting(series)
    asha = verified("Asha")
    User.objects.filter(pk=asha.pk).update(display_name="")
    hold(asha, first, "facilitator")

    response = client.get(URL)

    assert grid_of(response)[0][1] == "a member"
    assert "asha" not in response.content.decode()


def test_there_is_a_clear_line_when_no_meeting_is_coming(client, series):
    response = client.get(URL)

    assert response.status_code == 200
    assert GRID not in tables_of(response)
    assert "No coming meetings." in text_of(response)


def test_an_unknown_series_has_no_rota(client, series):
    assert client.get("/series/no-such-series/rota/").status_code == 404


def test_the_series_page_links_to_its_rota(client, series):
    response = client.get("/series/cop-f-east/")

    assert (
        '<a href="/series/cop-f-east/rota/">'
        "Who does what: the rota of roles in the coming meetings</a>"
    ) in response.content.decode()


# --- taking a place ----------------------------------------------------------------------


def test_a_member_can_take_each_open_place_they_do_not_hold(series):
    asha = verified("Asha")
    first, second = meeting(series), meeting(series, weeks=1)
    hold(asha, first, "facilitator")
    hold(verified("Ben"), first, "host")

    response = signed_in(asha).get(URL)

    assert grid_of(response)[0] == [
        "Mon 11 Jan 2027 14:00–15:30 UTC",
        "Asha (you)",
        "Open Take it: Co-facilitator, Mon 11 Jan 2027",
        "Open Take it: Timekeeper, Mon 11 Jan 2027",
        "Open Take it: Harvester / note-taker, Mon 11 Jan 2027",
        "Ben",
    ]
    assert take_forms(response) == [
        (str(first.pk), "co-facilitator"),
        (str(first.pk), "timekeeper"),
        (str(first.pk), "harvester"),
        *[(str(second.pk), slug) for slug in SLUGS],
    ]


def test_a_member_who_has_not_confirmed_their_address_is_told_to_and_sees_no_button(series):
    meeting(series)

    response = signed_in(member("Asha")).get(URL)

    assert take_forms(response) == []
    assert grid_of(response)[0][1:] == OPEN_ROW
    assert "Confirm your e-mail address to take a role." in text_of(response)


def test_taking_an_open_place_holds_it_answers_yes_and_says_thank_you(series):
    asha = verified("Asha", zone="Asia/Kolkata")
    first = meeting(series)
    client = signed_in(asha)

    response = client.post(TAKE, {"meeting": first.pk, "role": "harvester"})

    assert (response.status_code, response["Location"]) == (302, URL)
    assert what_changed() == (
        [(first.pk, "harvester", asha.pk)],
        [(first.pk, asha.pk, Rsvp.Response.YES)],
    )
    page = client.get(URL)
    assert messages_on(page) == [
        "You are now Harvester / note-taker for CoP-F East on Mon 11 Jan 2027. Thank you!"
    ]
    assert grid_of(page)[0][4] == "Asha (you)"


def test_taking_the_place_someone_just_took_is_refused_with_the_rota_again(series):
    first = meeting(series)
    hold(verified("Ben"), first, "facilitator")
    before = what_changed()

    response = signed_in(verified("Asha")).post(TAKE, {"meeting": first.pk, "role": "facilitator"})

    assert response.status_code == 409
    assert refusals_on(response) == [
        "The last place as Facilitator was taken just before you. Try another role."
    ]
    assert grid_of(response)[0][1] == "Ben"
    assert what_changed() == before


def test_a_member_who_has_not_confirmed_their_address_cannot_take_a_place(series):
    first = meeting(series)

    response = signed_in(member("Asha")).post(TAKE, {"meeting": first.pk, "role": "facilitator"})

    assert response.status_code == 403
    assert "Confirm your e-mail address to take a role." in text_of(response)
    assert what_changed() == ([], [])


def test_a_visitor_who_takes_a_place_is_asked_to_log_in_and_nothing_changes(client, series):
    first = meeting(series)

    response = client.post(TAKE, {"meeting": first.pk, "role": "facilitator"})

    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/login/?next=/series/cop-f-east/rota/",
    )
    assert what_changed() == ([], [])


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"role": "facilitator"}, 400, "Choose an open place on the rota."),
        ({"meeting": "first", "role": "facilitator"}, 400, "Choose an open place on the rota."),
        ({"meeting": "-1", "role": "facilitator"}, 400, "Choose an open place on the rota."),
        ({"meeting": "9" * 30, "role": "facilitator"}, 400, "Choose an open place on the rota."),
        ({"meeting": "FIRST"}, 400, "Choose an open place on the rota."),
        ({"meeting": "FIRST", "role": "<script>"}, 400, "Choose an open place on the rota."),
        ({"meeting": "FIRST", "role": "f" * 41}, 400, "Choose an open place on the rota."),
        ({"meeting": "FIRST", "role": "chair"}, 400, "This meeting has no such role."),
        ({"meeting": "CANCELLED", "role": "host"}, 409,
         "This meeting was cancelled, so it takes no roles."),
        ({"meeting": "STARTED", "role": "host"}, 409, "Roles closed when this meeting started."),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_a_clear_message_and_changes_nothing(
    series, data, status, message
):
    started = MeetingFactory(series=series, starts_at=NOW - timedelta(minutes=10))
    ids = {
        "FIRST": meeting(series).pk,
        "CANCELLED": meeting(series, weeks=1, status=Meeting.Status.CANCELLED).pk,
        "STARTED": started.pk,
    }
    data = {name: str(ids.get(value, value)) for name, value in data.items()}

    response = signed_in(verified("Asha")).post(TAKE, data)

    assert response.status_code == status
    assert refusals_on(response) == [message]
    assert what_changed() == ([], [])


@pytest.mark.parametrize(
    "path",
    [
        TAKE,  # a meeting of another series
        "/series/no-such-series/rota/take/",
    ],
)
def test_a_meeting_or_series_that_is_not_there_is_not_found(series, path):
    other = MeetingFactory(series=SeriesFactory(slug="cop-f-west"))
    give_default_roles(series=other.series)

    response = signed_in(verified("Asha")).post(path, {"meeting": other.pk, "role": "host"})

    assert response.status_code == 404
    assert what_changed() == ([], [])


def test_an_unknown_meeting_id_is_not_found(series):
    response = signed_in(verified("Asha")).post(TAKE, {"meeting": 424242, "role": "host"})

    assert response.status_code == 404
    assert what_changed() == ([], [])


def test_taking_a_place_needs_a_post_with_the_pages_csrf_token(series):
    first = meeting(series)
    client = Client(enforce_csrf_checks=True)
    client.force_login(verified("Asha"))

    read = client.get(TAKE, {"meeting": first.pk, "role": "host"})
    forged = client.post(TAKE, {"meeting": first.pk, "role": "host"})

    assert (read.status_code, forged.status_code) == (405, 403)
    assert what_changed() == ([], [])


# --- for organizers ----------------------------------------------------------------------


@pytest.fixture
def practised(series):
    """Four members coming to the next meeting, with what they held before: Asha
    facilitated twice, Ben once, Chen never, Dara was timekeeper. Eli hosted once and is
    not coming; Fay's role is more than 12 months old; Gus's meeting was cancelled."""
    asha, ben, chen, dara, eli, fay, gus = (
        verified(name) for name in ["Asha", "Ben", "Chen", "Dara", "Eli", "Fay", "Gus"]
    )
    december, november = meeting(series, weeks=-4), meeting(series, weeks=-9)
    hold(asha, december, "facilitator")
    hold(asha, november, "facilitator")
    hold(ben, meeting(series, weeks=-50), "facilitator")
    hold(dara, december, "timekeeper")
    hold(eli, november, "host")
    hold(fay, meeting(series, weeks=-54), "facilitator")
    hold(gus, meeting(series, weeks=-2, status=Meeting.Status.CANCELLED), "host")
    first = meeting(series)
    say_yes([asha, ben, chen, dara], first)
    return {"asha": asha, "ben": ben, "chen": chen, "dara": dara, "first": first}


def test_an_organizer_sees_how_often_each_member_held_each_role_in_the_last_12_months(
    practised,
):
    response = signed_in(organizer()).get(URL)

    assert tables_of(response)[HISTORY] == [
        ["Member", *ROLES],
        ["Asha", "2", "0", "0", "0", "0"],
        ["Ben", "1", "0", "0", "0", "0"],
        ["Chen", "0", "0", "0", "0", "0"],
        ["Dara", "0", "0", "1", "0", "0"],
        ["Eli", "0", "0", "0", "0", "1"],
    ]


def test_an_organizer_sees_up_to_three_suggestions_under_each_open_place(practised):
    response = signed_in(organizer()).get(URL)

    assert grid_of(response)[0][1] == (
        "Open Take it: Facilitator, Mon 11 Jan 2027 Suggested: "
        "Chen: never held it Dara: never held it Ben: held it 1 time"
    )
    assert grid_of(response)[0][3] == (
        "Open Take it: Timekeeper, Mon 11 Jan 2027 Suggested: "
        "Asha: never held it Ben: never held it Chen: never held it"
    )


def test_a_first_time_facilitator_is_paired_with_members_who_have_facilitated(practised):
    chen = practised["chen"]
    RoleAssignment.objects.create(meeting=practised["first"], role="facilitator", user=chen)

    response = signed_in(organizer()).get(URL)

    assert grid_of(response)[0][1:3] == [
        "Chen",
        "Open Take it: Co-facilitator, Mon 11 Jan 2027 Suggested: "
        "Asha: has facilitated 2 times: a partner for a first-time facilitator "
        "Ben: has facilitated 1 time: a partner for a first-time facilitator",
    ]


@pytest.mark.parametrize("viewer", ["visitor", "member", "unconfirmed"])
def test_only_organizers_see_the_history_and_the_suggestions(client, practised, viewer):
    if viewer != "visitor":
        client.force_login(practised["asha"] if viewer == "member" else member("Hana"))

    response = client.get(URL)

    assert list(tables_of(response)) == [GRID]
    page = text_of(response)
    assert [
        phrase for phrase in ["Suggested:", "held it", "in the last 12 months"] if phrase in page
    ] == []
    assert response.context["history"] is None


# --- queries -----------------------------------------------------------------------------


def many(series: Series) -> None:
    """Ten coming meetings (eight shown) with places held, 30 members saying yes to each,
    and 30 more with a role in the past year."""
    coming = [verified(f"Yes {number:02}") for number in range(30)]
    past = [verified(f"Past {number:02}") for number in range(30)]
    for weeks in range(10):
        upcoming = meeting(series, weeks=weeks)
        say_yes(coming, upcoming)
        hold(coming[weeks], upcoming, "facilitator")
        hold(coming[weeks + 1], upcoming, "host")
    for number, user in enumerate(past):
        hold(user, meeting(series, weeks=-2 - number), "timekeeper")


def one(series: Series) -> None:
    asha = verified("Yes")
    first = meeting(series)
    say_yes([asha], first)
    hold(asha, first, "facilitator")
    hold(verified("Past"), meeting(series, weeks=-2), "timekeeper")


# Visitor: the series, its meetings, its roles, the meetings' roles, their holders. A
# member adds the session, themselves, their confirmed address and their permissions (none,
# directly or through a group); an organizer then the yes answers, the counts and the
# members with a past role who are not coming.
@pytest.mark.parametrize(("viewer", "queries"), [("visitor", 5), ("member", 10), ("organizer", 13)])
@pytest.mark.parametrize("rows", [one, many])
def test_the_rota_takes_the_same_queries_for_one_meeting_or_many(
    client, series, django_assert_num_queries, viewer, queries, rows
):
    rows(series)
    if viewer != "visitor":
        client.force_login(verified("Viewer") if viewer == "member" else organizer())

    with django_assert_num_queries(queries):
        response = client.get(URL)

    assert len(grid_of(response)) == (1 if rows is one else 8)
    if viewer == "organizer":
        assert len(tables_of(response)[HISTORY]) == (1 + 2 if rows is one else 1 + 60)
