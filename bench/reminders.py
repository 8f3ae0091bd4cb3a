"""How fast do reminders go out? Run as `.venv/bin/python bench/reminders.py [--members 5000]`
(`--members 20000` for the large run, `--database postgres` for PostgreSQL).

N members all answered yes to one meeting that starts in an hour, so the hour-before reminder
is due now. As on a live site, the beat's sweep a minute before planned the N rows
(`plan.REMINDER_LOOKAHEAD`), timed apart as "planning"; the sweep at the due time hands
them out (with `--plan-at-due`, one sweep at the due time does both), and real
Celery workers (`celery -A copf worker --concurrency 1`, subprocesses, first ONE then TWO)
render and send them over SMTP to a sink on loopback. The sweep hands them out in chunks
(`queue.CHUNK_SIZE` ids a task), each claimed, loaded and sent over one SMTP connection.
For each run it prints the time from due until the sink holds all N, the rate, and how late
the first and last reminder arrived. Beside it, the ceiling: plain `smtplib` (in a separate
process) sending the very same messages, as the sink received them, to the same sink.
The sink offers PIPELINING, as Postfix and Exim do, so the workers send the envelope and
DATA together (`copf.lib.smtp`); plain `smtplib.sendmail` never pipelines, so the ceiling
waits for each reply in turn, as a simple client would.

Everything is throwaway and on loopback: a SQLite file under var/bench/ (or, with
`--database postgres`, a PostgreSQL database `copf_bench`, or the one `--postgres-name`
names), the broker on Redis DB 12 with a queue of its own, and the sink in this process.
Every run has a deadline, and everything started or created is stopped and removed at the
end.
"""

import argparse
import os
import secrets
import signal
import smtplib
import subprocess
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from datetime import time as clock_time
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
WORKDIR = ROOT / "var" / "bench"
BROKER = "redis://127.0.0.1:6379/12"
POSTGRES_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
ZONES = ["UTC", "Europe/Berlin", "Asia/Kolkata", "America/New_York", "Australia/Sydney"]
WORKER_START_TIMEOUT = 60.0
WORKER_STOP_TIMEOUT = 30.0
RENDER_SAMPLE = 200


@dataclass
class Run:
    label: str
    expected: int
    delivered: int
    seconds: float  # from due until the sink held all (or until the deadline)
    first_late: float | None = None
    last_late: float | None = None
    sweep_seconds: float | None = None
    planning_seconds: float | None = None  # the sweep a minute before, planning the rows
    publish_seconds: float | None = None
    tasks: int = 0

    @property
    def rate(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0

    @property
    def complete(self) -> bool:
        return self.delivered == self.expected


# --- set-up ----------------------------------------------------------------------------


def environment(args: argparse.Namespace, *, smtp_port: int) -> dict[str, str]:
    """The environment this process and the workers share: same database, broker, mail."""
    if args.database == "postgres":
        database_url = f"{POSTGRES_SERVER}/{args.postgres_name}"
    else:
        database_url = f"sqlite:///{WORKDIR / f'reminders-{os.getpid()}.sqlite3'}"
    return {
        "DJANGO_SETTINGS_MODULE": "copf.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": BROKER,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "EMAIL_TIMEOUT": "10",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "LOG_LEVEL": "WARNING",
    }


def create_postgres_database(name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_postgres_database(name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def setup_django(env: dict[str, str], queue: str) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from copf.celery import app

    app.conf.task_default_queue = queue


def create_members_and_meeting(members: int):
    """N members with a yes to one meeting; no invites planned (the rows are bulk-made)."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone

    from meetings.models import Meeting, Series
    from members.models import Rsvp, User

    call_command("migrate", verbosity=0)
    series = Series.objects.create(
        slug="bench",
        name="CoP-F Bench",
        rrule="FREQ=MONTHLY;BYDAY=2MO",
        start_date=date(2023, 5, 8),
        start_time=clock_time(14, 0),
        duration=timedelta(minutes=90),
        join_url="https://meet.example.org/copf",
    )
    starts_at = timezone.now().replace(microsecond=0) + timedelta(days=7)
    meeting = Meeting.objects.create(
        series=series,
        title="CoP-F Bench",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=90),
        original_start=starts_at,
    )
    unusable = make_password(None)  # no hashing cost, and nobody can sign in with it
    users = User.objects.bulk_create(
        [
            User(
                email=f"member{n}@bench.example.org",
                display_name=f"Member {n}",
                timezone=ZONES[n % len(ZONES)],
                password=unusable,
            )
            for n in range(members)
        ],
        batch_size=1000,
    )
    Rsvp.objects.bulk_create(
        [Rsvp(meeting=meeting, user=user, response="yes") for user in users], batch_size=1000
    )
    return meeting


# --- workers ---------------------------------------------------------------------------


def start_workers(count: int, *, env: dict[str, str], queue: str, tag: str):
    workers = []
    for n in range(1, count + 1):
        log = WORKDIR / f"reminders-{os.getpid()}-{tag}-worker{n}.log"
        log.unlink(missing_ok=True)
        process = subprocess.Popen(
            [
                str(VENV_BIN / "celery"),
                *("-A", "copf", "worker", "--concurrency", "1"),
                *("--queues", queue, "--hostname", f"bench{n}-{queue}@%h"),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                *("--loglevel", "INFO", "--logfile", str(log)),
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        workers.append((process, log))
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    for process, log in workers:
        while not (log.exists() and " ready." in log.read_text(errors="replace")):
            if process.poll() is not None:
                raise RuntimeError(f"A worker exited with {process.returncode}; see {log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"A worker did not start in {WORKER_START_TIMEOUT:.0f} s")
            time.sleep(0.1)
    return workers


def stop_workers(workers) -> None:
    for process, _ in workers:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # warm shutdown
    for process, log in workers:
        try:
            process.wait(timeout=WORKER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: the worker and its child
            process.wait(timeout=10)
        log.unlink(missing_ok=True)


def clear_queue(queue: str) -> None:
    import redis

    client = redis.Redis.from_url(BROKER)
    keys = list(client.scan_iter(match=f"*{queue}*"))
    if keys:
        client.delete(*keys)
    client.close()


# --- one measured run ------------------------------------------------------------------


def measured_run(
    label: str, *, meeting, members: int, sink, timeout: float, plan_at_due: bool
) -> Run:
    """Make the hour-before reminder fall due now, sweep once, wait for the sink."""
    from django.db import connection
    from django.utils import timezone

    from meetings.models import Meeting
    from members.deliveries import plan, queue, sweep
    from members.models import Delivery

    offset = plan.REMINDER_OFFSETS[Delivery.Kind.REMINDER_HOUR]
    Delivery.objects.all().delete()
    sink.reset()

    def meeting_starts(starts_at) -> None:
        Meeting.objects.filter(pk=meeting.pk).update(
            starts_at=starts_at, ends_at=starts_at + timedelta(minutes=90)
        )

    planning = None
    if not plan_at_due:
        # The sweep a minute before the due time plans the rows; then the clock reaches it.
        planned_for = timezone.now()
        meeting_starts(planned_for + offset)
        began = time.perf_counter()
        plan.plan_deliveries(now=planned_for - plan.REMINDER_LOOKAHEAD)
        planning = time.perf_counter() - began
        if connection.vendor == "postgresql":
            # As autovacuum would have by then on a live site.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    due_at = timezone.now()
    meeting_starts(due_at + offset)
    Delivery.objects.update(due_at=due_at)
    due = due_at.timestamp()
    publishing = []
    tasks = []

    def enqueue(delivery_ids: list[int]) -> None:
        began = time.perf_counter()
        queue.enqueue(delivery_ids)
        publishing.append(time.perf_counter() - began)
        tasks.append(len(queue.chunks(list(delivery_ids))))

    swept = time.time()
    enqueued = 0
    while True:  # SWEEP_BATCH rows per sweep; more members take more sweeps
        result = sweep.sweep(enqueue=enqueue)
        if not result.due:
            break
        enqueued += len(result.due)
    sweep_seconds = time.time() - swept
    planned = Delivery.objects.filter(kind=Delivery.Kind.REMINDER_HOUR).count()
    if (planned, enqueued) != (members, members):
        raise RuntimeError(f"Planned {planned} and enqueued {enqueued}, not {members}")
    deadline = time.monotonic() + timeout
    while sink.count < members and time.monotonic() < deadline:
        time.sleep(0.05)
    arrivals = sink.arrivals
    done = max(arrivals) if len(arrivals) == members else time.time()
    return Run(
        label=label,
        expected=members,
        delivered=len(arrivals),
        seconds=done - due,
        first_late=min(arrivals) - due if arrivals else None,
        last_late=max(arrivals) - due if arrivals else None,
        sweep_seconds=sweep_seconds,
        planning_seconds=planning,
        publish_seconds=sum(publishing),
        tasks=sum(tasks),
    )


def sent_states() -> dict[str, int]:
    from django.db.models import Count

    from members.models import Delivery

    return dict(Delivery.objects.values_list("state").annotate(n=Count("pk")).order_by("state"))


# --- the ceiling -----------------------------------------------------------------------


def replay(port: int, messages: list[tuple[str, list[str], bytes]], per_message: bool) -> float:
    """Send pre-rendered messages with plain smtplib; seconds taken. Runs in its own process,
    so it does not share this one's interpreter with the sink."""
    began = time.perf_counter()
    if per_message:
        for mail_from, rcpt_tos, data in messages:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                smtp.sendmail(mail_from, rcpt_tos, data)
    else:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            for mail_from, rcpt_tos, data in messages:
                smtp.sendmail(mail_from, rcpt_tos, data)
    return time.perf_counter() - began


def ceiling(label: str, *, sink, messages, per_message: bool, pool) -> Run:
    sink.reset()
    seconds = pool.submit(replay, sink.port, messages, per_message).result(timeout=900)
    return Run(label=label, expected=len(messages), delivered=sink.count, seconds=seconds)


def render_rate(sample: int) -> float:
    """Messages per second that `build_message` renders in this process, into the bytes
    SMTP sends, the way a worker renders a chunk (the meeting's shared parts built once, the
    answers loaded with the rows), without the database and without sending."""
    from django.utils import timezone

    from members.deliveries import render
    from members.models import Delivery, Rsvp

    deliveries = list(
        Delivery.objects.select_related("meeting", "meeting__series", "user").order_by("pk")[
            :sample
        ]
    )
    answers = {
        (answer.meeting_id, answer.user_id): answer
        for answer in Rsvp.objects.filter(user__in=[delivery.user for delivery in deliveries])
    }
    parts = render.SharedParts()
    began = time.perf_counter()
    for delivery in deliveries:
        answer = answers.get((delivery.meeting_id, delivery.user_id))
        message, _ = render.build_message(
            delivery, now=timezone.now(), answer=answer, parts=parts.of(delivery.meeting)
        )
        message.wire or message.message().as_bytes()
    return len(deliveries) / (time.perf_counter() - began)


# --- report ----------------------------------------------------------------------------


def seconds_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def report(runs: list[Run], ceilings: list[Run], render: float) -> None:
    best = max(ceilings, key=lambda run: run.rate)
    print()
    print(
        f"{'':40} {'delivered':>11} {'due → all':>11} {'rate':>10} {'of ceiling':>11} "
        f"{'first late':>11} {'last late':>11}"
    )
    for run in runs:
        print(
            f"{run.label:40} {run.delivered:>5}/{run.expected:<5} {run.seconds:9.1f} s "
            f"{run.rate:8.1f}/s {run.rate / best.rate:10.1%} "
            f"{seconds_text(run.first_late):>11} {seconds_text(run.last_late):>11}"
            + ("" if run.complete else "   INCOMPLETE (deadline)")
        )
    for run in ceilings:
        print(
            f"{run.label:40} {run.delivered:>5}/{run.expected:<5} {run.seconds:9.1f} s "
            f"{run.rate:8.1f}/s {run.rate / best.rate:10.1%}"
        )
    print(f"{'render only (build_message, this process)':40} {'':11} {'':11} {render:8.1f}/s")
    if len(runs) >= 2 and runs[0].rate:
        # Close to twice needs a CPU for each worker besides the sink and the database.
        print(f"\ntwo workers vs one: {runs[1].rate / runs[0].rate:.2f}×")
    for run in runs:
        planning = (
            ""
            if run.planning_seconds is None
            else f"; the sweep a minute before planned them in {run.planning_seconds:.2f} s"
        )
        print(
            f"{run.label}: the sweep took {run.sweep_seconds:.2f} s, of which publishing "
            f"{run.expected} ids in {run.tasks} tasks to Redis {run.publish_seconds:.2f} s"
            + planning
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--postgres-name",
        default="copf_bench",
        help="The throwaway PostgreSQL database (created, then dropped) with --database postgres.",
    )
    parser.add_argument(
        "--timeout", type=float, default=900, help="Seconds each run may take at most."
    )
    parser.add_argument(
        "--plan-at-due",
        action="store_true",
        help="Plan the rows in the sweep at the due time too, not in the one a minute before.",
    )
    args = parser.parse_args()
    WORKDIR.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    from tests.members.smtp_sink import SmtpSink

    queue = f"copf-bench-{uuid.uuid4().hex[:12]}"
    workers = []
    began = time.perf_counter()
    with SmtpSink() as sink:
        env = environment(args, smtp_port=sink.port)
        if args.database == "postgres":
            create_postgres_database(args.postgres_name)
        try:
            setup_django(env, queue)
            from django.db import connections

            meeting = create_members_and_meeting(args.members)
            connections.close_all()
            print(
                f"reminders bench: {args.members} members answered yes to one meeting; "
                f"database {args.database}; broker {BROKER} (queue {queue}); "
                f"SMTP sink 127.0.0.1:{sink.port}; {os.cpu_count()} CPUs\n"
                f"set-up (migrate, members, answers) took {time.perf_counter() - began:.1f} s"
            )
            runs = []
            for count in (1, 2):
                label = f"{count} worker{'s' if count > 1 else ''} (--concurrency 1 each)"
                workers = start_workers(count, env=env, queue=queue, tag=f"{count}w")
                runs.append(
                    measured_run(
                        label,
                        meeting=meeting,
                        members=args.members,
                        sink=sink,
                        timeout=args.timeout,
                        plan_at_due=args.plan_at_due,
                    )
                )
                stop_workers(workers)
                workers = []
                states = sent_states()
                print(f"{label}: rows by state afterwards {states}")
            messages = [(m.mail_from, m.rcpt_tos, m.data) for m in sink.messages]
            render = render_rate(RENDER_SAMPLE)
            with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
                ceilings = [
                    ceiling(
                        "smtplib, one connection (ceiling)",
                        sink=sink,
                        messages=messages,
                        per_message=False,
                        pool=pool,
                    ),
                    ceiling(
                        "smtplib, a connection per message",
                        sink=sink,
                        messages=messages,
                        per_message=True,
                        pool=pool,
                    ),
                ]
            report(runs, ceilings, render)
        finally:
            stop_workers(workers)
            clear_queue(queue)
            if "django" in sys.modules:
                from django.db import connections

                connections.close_all()
            if args.database == "postgres":
                drop_postgres_database(args.postgres_name)
            else:
                database = Path(env["DATABASE_URL"].removeprefix("sqlite:///"))
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{database}{suffix}").unlink(missing_ok=True)
    print(f"\ntotal {time.perf_counter() - began:.0f} s; workers, sink and database are gone")
    return 0 if all(run.complete for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
