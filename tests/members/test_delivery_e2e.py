"""Deliveries end to end, with real components: Redis as the broker, a Celery worker
consuming from it (a real worker in a thread of this process, not eager mode), and an SMTP
server on loopback that records what it is sent and can refuse on demand.

Each test gets its own Celery app (configured from the project's CELERY_* settings) on its
own queue, so concurrent runs on one machine never take each other's tasks. Tests that stop
or freeze Redis run their own redis-server on a free port; the machine's Redis is only used
on DB 13 and never stopped or flushed. Rows must be committed for the worker's connection
to see them, hence `transaction=True`.

An answer's invite waits `plan.ANSWER_SETTLE_DELAY` for the member to change their mind, and
the beat's sweep sends it then; here the delay is cut to a second (`SETTLE`) so a test need
not wait two minutes, and the test runs the sweep as the beat would.

Without Redis, redis-server or aiosmtpd these tests skip, or fail under CI=true.
"""

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import redis
import vobject
from allauth.account.models import EmailAddress
from celery import Celery, signals
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.test import override_settings
from django.utils import timezone
from django.utils.html import escape

from copf.celery import app as project_app
from copf.lib import broker
from meetings import services as meeting_services
from meetings.models import Meeting
from meetings.permissions import ensure_organizers_group
from members import links
from members.deliveries import plan, send, sweep
from members.deliveries import queue as delivery_queue
from members.models import Delivery, Follow, Poll, Rsvp, User
from members.polls.services import PollDraft, create_poll
from members.tasks import send_delivery, send_due_reminders
from tests.factories import MeetingFactory, SeriesFactory, UserFactory
from tests.services import require

pytestmark = pytest.mark.django_db(transaction=True)

# Taken before any fixture swaps it for a recorder (conftest's `published_deliveries`).
REAL_PUBLISH = broker.publish
SHARED_REDIS_HOST, SHARED_REDIS_PORT, SHARED_REDIS_DB = "127.0.0.1", 6379, 13
# Long enough for a slow CI machine, short enough that a broken test fails rather than hangs.
DEADLINE = 30.0
# An RSVP must not wait on a dead or frozen broker for longer than this.
WEB_BUDGET = 3.0
# The settle delay of an answer's invite in these tests.
SETTLE = timedelta(seconds=1)
# A property whose value is one DATE-TIME: DTSTART, DTEND, DTSTAMP, CREATED, LAST-MODIFIED.
DATE_TIME_LINE = re.compile(rb"[A-Z-]+(;[^:]*)?:\d{8}T\d{6}Z?")
State = Delivery.State
Kind = Delivery.Kind
SINGLE_TASK, CHUNK_TASK = delivery_queue.SEND_TASK, delivery_queue.SEND_CHUNK_TASK


def wait_until(check: Callable[[], object], *, what: str, timeout: float = DEADLINE) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"Gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def state_of(delivery: Delivery) -> str:
    return Delivery.objects.values_list("state", flat=True).get(pk=delivery.pk)


# --- components ------------------------------------------------------------------------


@pytest.fixture
def sink(settings):
    """The SMTP server on loopback, with Django's SMTP backend pointed at it."""
    try:
        from tests.members.smtp_sink import SmtpSink
    except ImportError:
        require(False, "aiosmtpd is not installed (pip install -e '.[test]')")
    with SmtpSink() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        yield server


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    """A transient failure is retried after a second, not half a minute."""
    monkeypatch.setattr("members.deliveries.send.BACKOFF_BASE", timedelta(seconds=1))


@pytest.fixture(autouse=True)
def short_settle(monkeypatch):
    """An answer's invite settles for a second, not two minutes."""
    monkeypatch.setattr("members.deliveries.plan.ANSWER_SETTLE_DELAY", SETTLE)


@pytest.fixture
def no_settle(monkeypatch):
    """An answer's invite is due at once, so the answer itself publishes it, as a freed seat
    or an unfollow does: what the web does while the broker is down or frozen."""
    monkeypatch.setattr("members.deliveries.plan.ANSWER_SETTLE_DELAY", timedelta(0))


@pytest.fixture(autouse=True)
def real_broker(monkeypatch):
    """Publish for real, and forget any pause left by an earlier broker failure."""
    assert REAL_PUBLISH.__module__ == "copf.lib.broker"
    monkeypatch.setattr("copf.lib.broker.publish", REAL_PUBLISH)
    monkeypatch.setattr("copf.lib.broker._paused_until", 0.0)


def celery_app(*, broker_url: str, queue: str) -> Celery:
    """An app configured as `copf.celery` is, on its own broker and queue."""
    app = Celery("copf", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url=broker_url,
        task_default_queue=queue,
        # Keep pytest's log capture, and stay deaf to other workers' broadcasts.
        worker_hijack_root_logger=False,
        worker_enable_remote_control=False,
    )
    return app


@contextmanager
def current(app: Celery) -> Iterator[Celery]:
    """Make `app` the one tasks are sent with (shared tasks follow the current app)."""
    app.set_current()
    app.set_default()
    try:
        yield app
    finally:
        project_app.set_current()
        project_app.set_default()
        app.close()


@dataclass
class TaskLog:
    """What the worker did with `members.send_delivery` and with chunks
    (`members.send_deliveries`): the result for each message, and retries."""

    results: list[object] = field(default_factory=list)
    retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_postrun(self, sender=None, retval=None, state=None, **kwargs) -> None:
        if sender is None or state != "SUCCESS":
            return
        with self.lock:
            if sender.name == SINGLE_TASK:
                self.results.append(retval)
            elif sender.name == CHUNK_TASK:
                self.results.extend(retval)

    def on_retry(self, sender=None, **kwargs) -> None:
        if sender is not None and sender.name in {SINGLE_TASK, CHUNK_TASK}:
            with self.lock:
                self.retries += 1


@pytest.fixture
def task_log() -> Iterator[TaskLog]:
    log = TaskLog()
    signals.task_postrun.connect(log.on_postrun, weak=False)
    signals.task_retry.connect(log.on_retry, weak=False)
    yield log
    signals.task_postrun.disconnect(log.on_postrun)
    signals.task_retry.disconnect(log.on_retry)


@contextmanager
def running_worker(app: Celery) -> Iterator[None]:
    """One real worker (solo pool, in a thread) consuming the app's queue."""
    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=30,
    ):
        yield


@pytest.fixture(scope="session")
def shared_redis_url() -> str:
    client = redis.Redis(
        host=SHARED_REDIS_HOST,
        port=SHARED_REDIS_PORT,
        db=SHARED_REDIS_DB,
        socket_timeout=1,
        socket_connect_timeout=1,
    )
    try:
        client.ping()
    except redis.RedisError:
        require(False, f"No Redis at {SHARED_REDIS_HOST}:{SHARED_REDIS_PORT}")
    finally:
        client.close()
    return f"redis://{SHARED_REDIS_HOST}:{SHARED_REDIS_PORT}/{SHARED_REDIS_DB}"


def unique_queue() -> str:
    return f"copf-e2e-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def worker(sink, task_log, shared_redis_url) -> Iterator[Celery]:
    """A worker on the machine's Redis (DB 13), on a queue of this test's own."""
    queue = unique_queue()
    app = celery_app(broker_url=shared_redis_url, queue=queue)
    with current(app), running_worker(app):
        yield app
    client = redis.Redis.from_url(shared_redis_url)
    keys = list(client.scan_iter(match=f"*{queue}*"))
    if keys:
        client.delete(*keys)
    client.close()


class OwnRedis:
    """A redis-server of the test's own, to stop, freeze and start again on one port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (a fixed argument list)
            [
                shutil.which("redis-server") or "redis-server",
                *("--bind", "127.0.0.1", "--port", str(self.port)),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)
        wait_until(lambda: self._answers(client), what="redis-server to start", timeout=10)
        client.close()

    def _answers(self, client: redis.Redis) -> bool:
        assert self.process is not None
        assert self.process.poll() is None, "redis-server died"
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGCONT)  # a frozen server cannot exit
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def own_redis(sink) -> Iterator[OwnRedis]:
    require(shutil.which("redis-server") is not None, "The redis-server binary is not installed")
    from tests.members.smtp_sink import free_port

    server = OwnRedis(free_port())
    server.start()
    yield server
    server.stop()


# --- data ------------------------------------------------------------------------------


def verified_member(**fields: object) -> User:
    user = UserFactory(**fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def future_meeting(**fields: object):
    starts_at = timezone.now().replace(second=0, microsecond=0) + timedelta(days=3)
    return MeetingFactory(starts_at=starts_at, **fields)


def planned_invite(*, user: User | None = None, meeting=None) -> Delivery:
    """A pending invite, due now and never enqueued, as an answer that has settled plans it."""
    rsvp = Rsvp.objects.create(
        meeting=meeting or future_meeting(), user=user or verified_member(), response="yes"
    )
    delivery = plan.plan_answer(rsvp=rsvp, now=timezone.now() - plan.ANSWER_SETTLE_DELAY)
    assert delivery is not None
    return delivery


def answer_over_http(client, *, user: User, meeting, response: str = "yes"):
    client.force_login(user)
    started = time.monotonic()
    reply = client.post(f"/meetings/{meeting.pk}/rsvp/", {"response": response})
    return reply, time.monotonic() - started


def drained(broker_url: str, app: Celery) -> bool:
    """Nothing waiting in the app's queue and nothing taken but not yet acknowledged, twice
    in a row (a message is in neither for an instant between being taken and recorded)."""
    client = redis.Redis.from_url(broker_url)
    queue = app.conf.task_default_queue
    try:
        for look in range(2):
            if look:
                time.sleep(0.2)
            if client.llen(queue) or client.hlen("unacked"):
                return False
        return True
    finally:
        client.close()


def calendar_lines(ics: bytes) -> list[bytes]:
    return ics.split(b"\r\n")[:-1] if ics.endswith(b"\r\n") else ics.split(b"\r\n")


# --- the tests -------------------------------------------------------------------------


def invite_sent_over_http(client, sink) -> tuple[User, Meeting, Delivery, EmailMessage]:
    """A verified member answers yes through the web; the worker mails the invite."""
    # Non-ASCII text long enough to be folded, so a fold could land inside a character.
    member = verified_member(
        display_name="Asha Ñuñez-Ångström Þórsdóttir Łukasiewicz", timezone="Asia/Kolkata"
    )
    meeting = future_meeting(title="CoP-F East — Facilitación, diálogo y círculos de práctica")

    reply, _ = answer_over_http(client, user=member, meeting=meeting)

    assert reply.status_code == 302
    delivery = Delivery.objects.get(meeting=meeting, user=member)
    assert delivery.kind == Delivery.Kind.INVITE
    sweep_once_settled(delivery)
    wait_until(
        lambda: sink.count == 1 and state_of(delivery) == State.SENT, what="the invite to be sent"
    )
    [received] = sink.messages
    assert received.rcpt_tos == [member.email]
    return member, meeting, delivery, received.parse()


def sweep_once_settled(delivery: Delivery) -> None:
    """Wait out the settle delay, then sweep as the beat would."""
    delivery.refresh_from_db()
    time.sleep(max((delivery.due_at - timezone.now()).total_seconds(), 0) + 0.05)
    assert send_due_reminders() == 1


def parts_of(message: EmailMessage) -> tuple[EmailMessage, ...]:
    """(text, html, calendar, attachment): multipart/mixed holding the alternatives and the
    invite.ics attachment."""
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    text, html, calendar_part = alternative.get_payload()
    return text, html, calendar_part, attachment


def test_rsvp_yes_over_http_delivers_one_invite_with_a_valid_calendar(client, sink, worker):
    member, meeting, delivery, message = invite_sent_over_http(client, sink)

    from_address = parseaddr(str(message["From"]))[1]
    assert from_address == parseaddr(django_settings.DEFAULT_FROM_EMAIL)[1]
    assert str(message["To"]) == member.email
    assert str(message["Message-ID"]) == delivery.message_id
    text, html, calendar_part, _ = parts_of(message)
    assert [text.get_content_type(), html.get_content_type()] == ["text/plain", "text/html"]
    assert calendar_part.get_content_type() == "text/calendar"
    assert calendar_part.get_param("method") == "REQUEST"
    assert calendar_part.get_content_charset() == "utf-8"
    ics = calendar_part.get_payload(decode=True)

    lines = calendar_lines(ics)
    assert ics.endswith(b"\r\n")
    assert b"\n" not in b"".join(lines), "every line ends in CRLF"
    assert [line for line in lines if len(line) > 75] == []
    for line in lines:
        line.decode("utf-8")  # folding never splits a character
    assert b"METHOD:REQUEST" in lines

    parsed = vobject.readOne(ics.decode(), validate=True)
    event = parsed.vevent
    host = urlsplit(django_settings.SITE_URL).hostname
    assert parsed.method.value == "REQUEST"
    assert event.uid.value == f"copf-meeting-{meeting.pk}@{host}"
    assert event.organizer.value.lower() == f"mailto:{from_address}".lower()
    assert event.attendee.value.lower() == f"mailto:{member.email}".lower()
    assert event.attendee.params["PARTSTAT"] == ["ACCEPTED"]
    assert event.attendee.params["RSVP"] == ["TRUE"]
    assert event.attendee.params["CN"] == [member.display_name]
    assert event.summary.value == meeting.title
    assert event.dtstart.value == meeting.starts_at
    assert event.dtend.value == meeting.ends_at
    date_times = [line for line in lines if DATE_TIME_LINE.fullmatch(line)]
    assert len(date_times) >= 3  # DTSTART, DTEND, DTSTAMP at least
    assert [line for line in date_times if not line.endswith(b"Z")] == []
    assert b"TZID" not in ics

    body = text.get_content()
    kolkata = ZoneInfo("Asia/Kolkata")
    local_start, local_end = (
        meeting.starts_at.astimezone(kolkata),
        meeting.ends_at.astimezone(kolkata),
    )
    assert f"{local_start:%H:%M}–{local_end:%H:%M} IST (Asia/Kolkata)" in body
    assert f"In UTC: {meeting.starts_at:%H:%M}–{meeting.ends_at:%H:%M} UTC" in body

    feed = client.get(f"/meetings/{meeting.pk}/calendar.ics")
    feed_uids = [line for line in calendar_lines(feed.content) if line.startswith(b"UID:")]
    assert feed_uids == [f"UID:{event.uid.value}".encode()]


def test_the_invite_ics_attachment_is_the_same_calendar_as_the_calendar_part(client, sink, worker):
    _, _, _, message = invite_sent_over_http(client, sink)

    _, _, calendar_part, attachment = parts_of(message)

    assert attachment.get_filename() == "invite.ics"
    # Line by line, so a difference shows where it is.
    assert calendar_lines(attachment.get_payload(decode=True)) == calendar_lines(
        calendar_part.get_payload(decode=True)
    )


def test_yes_maybe_yes_over_http_within_the_settle_delay_delivers_one_invite(
    client, sink, worker, monkeypatch
):
    # Long enough for three answers to arrive while the invite waits.
    monkeypatch.setattr("members.deliveries.plan.ANSWER_SETTLE_DELAY", timedelta(seconds=3))
    member = verified_member()
    meeting = future_meeting()

    replies = [
        answer_over_http(client, user=member, meeting=meeting, response=response)[0].status_code
        for response in ("yes", "maybe", "yes")
    ]

    [delivery] = Delivery.objects.filter(meeting=meeting, user=member)
    sweep_once_settled(delivery)
    wait_until(lambda: sink.count == 1 and state_of(delivery) == State.SENT, what="the invite")
    assert replies == [302, 302, 302]
    assert send_due_reminders() == 0
    [received] = sink.messages
    calendar = parts_of(received.parse())[2].get_payload(decode=True).decode()
    assert vobject.readOne(calendar).vevent.attendee.params["PARTSTAT"] == ["ACCEPTED"]


def test_the_same_task_delivered_twice_sends_one_email(sink, worker, task_log):
    delivery = planned_invite()

    send_delivery.apply_async(args=[delivery.pk])
    send_delivery.apply_async(args=[delivery.pk])

    wait_until(lambda: len(task_log.results) == 2, what="both tasks to run")
    assert task_log.results == [State.SENT, "not claimed"]
    assert sink.count == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (State.SENT, 1)


def test_a_421_is_retried_and_the_message_arrives_once(sink, worker, task_log):
    delivery = planned_invite()
    sink.refuse_next("421 4.3.2 Too busy, try again later")

    delivery_queue.enqueue([delivery.pk])

    wait_until(lambda: state_of(delivery) == State.SENT, what="the retried send")
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == (State.SENT, 2, "")
    assert (sink.attempts, sink.count) == (2, 1)
    assert task_log.retries == 1
    [received] = sink.messages
    assert str(received.parse()["Message-ID"]) == delivery.message_id


def test_a_550_fails_the_row_with_its_reason_and_is_never_retried(sink, worker, task_log):
    delivery = planned_invite()
    sink.refuse_next("550 5.1.1 No such mailbox")

    delivery_queue.enqueue([delivery.pk])

    wait_until(lambda: state_of(delivery) == State.FAILED, what="the send to fail")
    # A retry would come after a second (fast_backoff); give it three.
    time.sleep(3)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (State.FAILED, 1)
    assert "550" in delivery.last_error
    assert "No such mailbox" in delivery.last_error
    assert (sink.attempts, sink.count) == (1, 0)
    assert (task_log.results, task_log.retries) == ([State.FAILED], 0)
    assert sweep.sweep(enqueue=delivery_queue.enqueue).due == []


def test_rsvp_with_redis_down_answers_at_once_and_the_sweep_sends_later(
    client, sink, own_redis, task_log, no_settle
):
    app = celery_app(broker_url=own_redis.url, queue=unique_queue())
    member = verified_member()
    meeting = future_meeting()
    with current(app):
        own_redis.stop()

        reply, elapsed = answer_over_http(client, user=member, meeting=meeting)

        assert reply.status_code == 302
        assert elapsed < WEB_BUDGET
        delivery = Delivery.objects.get(meeting=meeting, user=member)
        assert (delivery.state, delivery.enqueued_at) == (State.PENDING, None)
        assert Rsvp.objects.get(meeting=meeting, user=member).response == "yes"

        own_redis.start()
        broker._paused_until = 0.0  # as if the pause after the failure had run out
        with running_worker(app):
            assert send_due_reminders() == 1
            wait_until(
                lambda: sink.count == 1 and state_of(delivery) == State.SENT,
                what="the sweep's invite to be sent",
            )
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (State.SENT, 1)
    [received] = sink.messages
    assert received.rcpt_tos == [member.email]


def test_rsvp_with_redis_frozen_answers_within_budget_and_the_sweep_sends_later(
    client, sink, own_redis, task_log, no_settle
):
    app = celery_app(broker_url=own_redis.url, queue=unique_queue())
    member = verified_member()
    first, second = future_meeting(title="First"), future_meeting(title="Second")
    with current(app):
        # An answer while Redis is up leaves a live connection in the pool, as in production.
        answer_over_http(client, user=member, meeting=first)
        own_redis.freeze()

        reply, elapsed = answer_over_http(client, user=member, meeting=second)

        assert reply.status_code == 302
        assert elapsed < WEB_BUDGET
        frozen = Delivery.objects.get(meeting=second, user=member)
        assert (frozen.state, frozen.enqueued_at) == (State.PENDING, None)

        own_redis.thaw()
        broker._paused_until = 0.0
        with running_worker(app):
            send_due_reminders()
            wait_until(
                lambda: (
                    sink.count == 2
                    and set(Delivery.objects.values_list("state", flat=True)) == {State.SENT}
                ),
                what="both invites to be sent",
            )
            # A publish that timed out may still have reached Redis once it thawed; such a
            # duplicate task must be a no-op. Let the worker drain the queue before counting.
            wait_until(lambda: drained(own_redis.url, app), what="the queue to drain")
    subjects = sorted(str(received.parse()["Subject"]).split(",")[0] for received in sink.messages)
    assert subjects == ["Invitation: First", "Invitation: Second"]
    frozen.refresh_from_db()
    assert (frozen.state, frozen.attempts) == (State.SENT, 1)


def test_a_claim_left_by_a_killed_worker_is_resent_with_the_same_message_id(sink, worker):
    delivery = planned_invite()
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        state=State.SENDING, attempts=1, claimed_at=now - timedelta(minutes=1), enqueued_at=now
    )
    assert sweep.sweep(enqueue=delivery_queue.enqueue).due == []  # still someone else's claim

    stale = now - send.CLAIM_TIMEOUT - timedelta(minutes=1)
    Delivery.objects.filter(pk=delivery.pk).update(claimed_at=stale, enqueued_at=stale)
    assert sweep.sweep(enqueue=delivery_queue.enqueue).due == [delivery.pk]

    wait_until(lambda: sink.count == 1 and state_of(delivery) == State.SENT, what="the re-send")
    [received] = sink.messages
    assert str(received.parse()["Message-ID"]) == delivery.message_id
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (State.SENT, 2)


# --- issue 8: the server refusing us, one address refused, a meeting that disappears ----


def mail_state(client) -> dict[str, object]:
    with override_settings(HEALTHZ_TOKEN="e2e-monitor"):
        return client.get("/healthz", headers={"Authorization": "Bearer e2e-monitor"}).json()[
            "mail"
        ]


def test_a_refused_login_pauses_sending_and_fails_nothing_until_the_server_lets_us_in(
    client, settings, monkeypatch, sink, worker
):
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "copf", "wrong password"
    monkeypatch.setattr("members.deliveries.outage.PAUSE_BASE", timedelta(seconds=1))
    sink.refuse_logins()
    meeting = future_meeting()
    first, second = planned_invite(meeting=meeting), planned_invite(meeting=meeting)

    delivery_queue.enqueue([first.pk, second.pk])

    wait_until(lambda: mail_state(client)["state"] == "failing", what="mail to be failing")
    wait_until(lambda: drained(worker.conf.broker_url, worker), what="both tasks to run")
    state = mail_state(client)
    assert state["reason"].startswith("SMTP 535")
    assert list(Delivery.objects.order_by("pk").values_list("state", "attempts")) == [
        (State.PENDING, 0),
        (State.PENDING, 0),
    ]
    assert sink.count == 0

    sink.refuse_logins(False)
    time.sleep(1.1)  # the pause runs out
    send_due_reminders()

    wait_until(lambda: sink.count == 2, what="both invites once the log-in works")
    wait_until(lambda: mail_state(client) == {"state": "ok"}, what="mail to be ok again")
    assert set(Delivery.objects.values_list("state", flat=True)) == {State.SENT}


def test_a_550_for_one_address_fails_that_message_only_and_the_others_go(sink, worker):
    meeting = future_meeting()
    refused, welcome = planned_invite(meeting=meeting), planned_invite(meeting=meeting)
    sink.refuse_recipient(refused.user.email)

    delivery_queue.enqueue([refused.pk, welcome.pk])

    wait_until(
        lambda: {state_of(refused), state_of(welcome)} == {State.FAILED, State.SENT},
        what="one failure and one invite",
    )
    refused.refresh_from_db()
    assert refused.last_error == f"Recipient refused: {refused.user.email}: 550 5.1.1 No such user"
    assert [received.rcpt_tos for received in sink.messages] == [[welcome.user.email]]
    assert Delivery.objects.filter(state=State.PENDING).count() == 0


def the_reminder(user: User) -> Delivery:
    return Delivery.objects.get(user=user, kind=Kind.REMINDER_HOUR)


def test_reminders_sent_in_one_chunk_arrive_each_with_the_members_own_name_and_links(sink, worker):
    starts_at = timezone.now().replace(microsecond=0) + plan.REMINDER_OFFSETS[Kind.REMINDER_HOUR]
    meeting = MeetingFactory(starts_at=starts_at)
    members = [
        verified_member(display_name=name, timezone="Europe/Lisbon")
        for name in ["Zoë & <Zed>", "Ana"]
    ]
    for user in members:
        Rsvp.objects.create(meeting=meeting, user=user, response="yes")
    # They answered yesterday.
    Rsvp.objects.update(updated_at=timezone.now() - timedelta(days=1))
    plan.plan_deliveries()

    sweep.sweep(enqueue=delivery_queue.enqueue)
    # The day-before reminders, an hour before the meeting, are too late to be useful.
    wait_until(
        lambda: (
            sorted(Delivery.objects.values_list("kind", "state"))
            == [(Kind.REMINDER_DAY, State.SKIPPED)] * 2 + [(Kind.REMINDER_HOUR, State.SENT)] * 2
        ),
        what="both hour-before reminders",
    )

    received = {message.rcpt_tos[0]: message.parse() for message in sink.messages}
    for user in members:
        message = received[user.email]
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        # The links are signed with the second the worker made them: read them back.
        unsubscribe = message["List-Unsubscribe"].strip("<>")
        [yes] = [
            link
            for link in re.findall(r"\S+/rsvp/[^/\s]+/", text)
            if links.read_rsvp_token(link.rstrip("/").rsplit("/", 1)[1])
            == links.RsvpLink(user_id=user.pk, meeting_id=meeting.pk, response="yes")
        ]
        assert message["To"] == user.email
        assert links.read_unsubscribe_token(unsubscribe.rstrip("/").rsplit("/", 1)[1]) == user.pk
        assert text.splitlines()[0] == f"Hello {user.display_name},"
        assert f"Hello {escape(user.display_name)},<br>" in html
        assert html.count(f'href="{escape(yes)}"') == 1
        assert message["Message-ID"] == the_reminder(user).message_id


def test_a_meeting_the_rule_no_longer_makes_reaches_its_follower_as_a_cancel(sink, worker):
    tomorrow = timezone.now().date() + timedelta(days=1)
    series = SeriesFactory(name="CoP-F East", rrule="FREQ=WEEKLY", start_date=tomorrow)
    horizon = timezone.now() + timedelta(days=10)
    meeting_services.materialize_series(series=series, until=horizon)
    first, dropped = series.meetings.order_by("starts_at")
    follower = verified_member()
    Follow.objects.create(user=follower, series=series)
    send_due_reminders()
    wait_until(lambda: sink.count == 2, what="an invite to each meeting")

    series.rrule = "FREQ=WEEKLY;INTERVAL=2"
    series.save()
    meeting_services.materialize_series(series=series, until=horizon)
    send_due_reminders()

    wait_until(lambda: sink.count == 3, what="the cancellation")
    calendars = [
        vobject.readOne(parts_of(received.parse())[2].get_payload(decode=True).decode())
        for received in sink.messages
    ]
    [invitation] = [
        c
        for c in calendars
        if c.vevent.uid.value.startswith(f"copf-meeting-{dropped.pk}@")
        and c.method.value == "REQUEST"
    ]
    [cancellation] = [c for c in calendars if c.method.value == "CANCEL"]
    assert cancellation.vevent.status.value == "CANCELLED"
    assert cancellation.vevent.uid.value == invitation.vevent.uid.value
    assert int(cancellation.vevent.sequence.value) > int(invitation.vevent.sequence.value)
    dropped.refresh_from_db()
    first.refresh_from_db()
    assert (dropped.status, first.status) == (Meeting.Status.CANCELLED, Meeting.Status.SCHEDULED)


# --- polls ---------------------------------------------------------------------------


def test_creating_a_poll_delivers_one_invitation_to_each_invited_member(sink, worker):
    maker = verified_member(display_name="Olu")
    maker.groups.add(ensure_organizers_group())
    asha = verified_member(display_name="Asha", timezone="Asia/Kolkata")
    UserFactory(display_name="Unconfirmed")  # no confirmed address: not asked
    soon = timezone.now().replace(second=0, microsecond=0) + timedelta(days=3)
    draft = PollDraft(
        title="CoP-F South",
        description="",
        length=timedelta(minutes=90),
        kind=Poll.Kind.ONE_OFF,
        frequency="",
        audience=Poll.Audience.MEMBERS,
        series=None,
        zone=ZoneInfo("UTC"),
        join_url="",
        deadline=soon - timedelta(days=1),
        slots=[soon, soon + timedelta(hours=6)],
    )

    poll = create_poll(by=maker, draft=draft)

    invitations = Delivery.objects.filter(poll=poll, kind=Kind.POLL_INVITE)
    wait_until(
        lambda: sink.count == 2 and {state_of(row) for row in invitations} == {State.SENT},
        what="an invitation to each confirmed member",
    )
    time.sleep(0.5)  # nothing else arrives: each went once
    received = {message.rcpt_tos[0]: message.parse() for message in sink.messages}
    assert sorted(received) == sorted([maker.email, asha.email])
    assert {str(message["Message-ID"]) for message in received.values()} == set(
        invitations.values_list("message_id", flat=True)
    )
    text = received[asha.email].get_body(("plain",)).get_content()
    assert f"{django_settings.SITE_URL}/polls/{poll.pk}/" in text.splitlines()
    # The reminders wait in the database for their time, not in Redis.
    assert set(
        Delivery.objects.filter(poll=poll, kind=Kind.POLL_REMINDER).values_list("state", flat=True)
    ) == {State.PENDING}


# --- issue 11: a worker killed in the middle of a chunk -------------------------------


class StallingHandler:
    """Wraps the sink's handler: accepts `accept` messages, then holds the next one until
    released, and refuses it then (the connection was lost before it was accepted)."""

    def __init__(self, handler, *, accept: int) -> None:
        self.handler = handler
        self.accept = accept
        self.stalled = threading.Event()
        self.released = threading.Event()

    def __getattr__(self, name: str) -> object:
        return getattr(self.handler, name)

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.handler.lock:
            stall = len(self.handler.arrivals) >= self.accept and not self.released.is_set()
        if not stall:
            return await self.handler.handle_DATA(server, session, envelope)
        self.stalled.set()
        while not self.released.is_set():
            await asyncio.sleep(0.05)
        return "451 4.4.2 Connection lost before the message was accepted"


# The worker runs on this process's clock (a test may run it days ahead): `celery` started
# with time-machine travelling to the instant given, ticking from there.
WORKER_ON_OUR_CLOCK = """
import sys, time_machine
time_machine.travel(float(sys.argv.pop(1)), tick=True).start()
from celery.__main__ import main
sys.argv[0] = "celery"
sys.exit(main())
"""


class WorkerProcess:
    """`celery -A copf worker`, a process of its own (in its own session, so that kill -9
    takes the worker and nothing else), on this test's database, broker queue and sink."""

    def __init__(self, *, env: dict[str, str], queue: str, log: Path) -> None:
        self.env, self.queue, self.log = env, queue, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log.unlink(missing_ok=True)
        self.process = subprocess.Popen(  # noqa: S603 (a fixed argument list)
            [
                sys.executable,
                "-c",
                WORKER_ON_OUR_CLOCK,
                str(timezone.now().timestamp()),
                *("-A", "copf", "worker", "--pool", "solo", "--concurrency", "1"),
                *("--queues", self.queue, "--hostname", f"e2e-{uuid.uuid4().hex[:8]}@%h"),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                *("--loglevel", "INFO", "--logfile", str(self.log)),
            ],
            cwd=django_settings.BASE_DIR,
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(
            lambda: (
                self.process.poll() is not None
                or (self.log.exists() and " ready." in self.log.read_text(errors="replace"))
            ),
            what="the worker process to start",
        )
        assert self.process.poll() is None, self.log.read_text(errors="replace")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=DEADLINE)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.kill()


def database_url() -> str:
    """The test database, as a URL a worker process can open."""
    from django.db import connection

    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    return (
        f"postgres://{database['USER']}{password}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )


@pytest.fixture
def worker_processes(sink, shared_redis_url, tmp_path) -> Iterator[Callable[[], WorkerProcess]]:
    """Start worker processes on a queue of this test's own; all stopped at the end."""
    require(shutil.which("celery", path=str(Path(sys.executable).parent)) is not None, "No celery")
    queue = unique_queue()
    app = celery_app(broker_url=shared_redis_url, queue=queue)
    env = {
        "DJANGO_SETTINGS_MODULE": "copf.settings",
        "DATABASE_URL": database_url(),
        "CONN_MAX_AGE": "0",
        "REDIS_URL": shared_redis_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "EMAIL_TIMEOUT": "5",
        "SITE_URL": django_settings.SITE_URL,
        "SECRET_KEY": django_settings.SECRET_KEY,
        "DEFAULT_FROM_EMAIL": django_settings.DEFAULT_FROM_EMAIL,
        "LOG_LEVEL": "WARNING",
    }
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        process = WorkerProcess(env=env, queue=queue, log=tmp_path / f"worker{len(started)}.log")
        started.append(process)
        process.start()
        return process

    with current(app):
        yield start
    for process in started:
        process.stop()
    client = redis.Redis.from_url(shared_redis_url)
    keys = list(client.scan_iter(match=f"*{queue}*"))
    if keys:
        client.delete(*keys)
    # A killed worker leaves its task unacknowledged (acks late), in hashes all queues
    # share, for the visibility timeout: forget ours, or `drained` waits on it.
    for tag, entry in client.hgetall("unacked").items():
        if json.loads(entry)[2] == queue:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)
    client.close()


def test_a_worker_killed_in_the_middle_of_a_chunk_leaves_every_message_sent_exactly_once(
    sink, worker_processes
):
    meeting = future_meeting()
    invites = [planned_invite(meeting=meeting) for _ in range(10)]
    stalling = StallingHandler(sink.handler, accept=4)
    sink.controller.handler = stalling  # the sink's next connection talks to it
    first = worker_processes()

    assert sweep.sweep(enqueue=delivery_queue.enqueue).due == [invite.pk for invite in invites]
    wait_until(stalling.stalled.is_set, what="the fifth message to reach the sink")
    first.kill()  # kill -9, in the middle of its one chunk of ten

    by_state = dict(Delivery.objects.values_list("pk", "state"))
    assert [by_state[invite.pk] for invite in invites] == [State.SENT] * 4 + [State.SENDING] * 6
    assert sink.count == 4
    # Ten minutes on: the claims the killed worker left are taken again.
    stale = timezone.now() - send.CLAIM_TIMEOUT - timedelta(minutes=1)
    Delivery.objects.filter(state=State.SENDING).update(claimed_at=stale, enqueued_at=stale)
    stalling.released.set()
    worker_processes()

    assert sweep.sweep(enqueue=delivery_queue.enqueue).due == [invite.pk for invite in invites[4:]]
    wait_until(
        lambda: set(Delivery.objects.values_list("state", flat=True)) == {State.SENT},
        what="every invite to be sent",
    )
    received = sorted(str(message.parse()["Message-ID"]) for message in sink.messages)
    assert received == sorted(invite.message_id for invite in invites)
    assert (
        list(Delivery.objects.order_by("pk").values_list("attempts", flat=True))
        == [1] * 4 + [2] * 6
    )
    assert sweep.sweep(enqueue=delivery_queue.enqueue).due == []
