"""`manage.py send_due_reminders`: one sweep by hand, as the beat runs it."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from members.deliveries import sweep
from members.models import Delivery
from tests.members.deliveries.support import (
    NOW,
    answer,
    east,
    follow,
    member,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_settings", "clock")]

# --- the sweep command -----------------------------------------------------------------


def test_send_due_reminders_dry_run_says_what_it_would_do_and_changes_nothing(
    django_capture_on_commit_callbacks, published_deliveries
):
    meeting = east()
    answer(member("Asha"), meeting, "yes")
    follow(member("Ben"), meeting.series)
    before = list(Delivery.objects.values_list("pk", "state", "enqueued_at"))
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_due_reminders", "--dry-run", stdout=out)

    assert out.getvalue() == "Would plan 1 and send 2 deliveries (dry run: nothing changed).\n"
    assert list(Delivery.objects.values_list("pk", "state", "enqueued_at")) == before
    assert published_deliveries == []
    assert mail.outbox == []


def test_send_due_reminders_plans_and_enqueues_due_rows(
    django_capture_on_commit_callbacks, published_deliveries
):
    meeting = east()
    answer(member("Asha"), meeting, "yes")
    follow(member("Ben"), meeting.series)
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_due_reminders", stdout=out)

    ids = list(Delivery.objects.order_by("pk").values_list("pk", flat=True))
    assert out.getvalue() == "Planned 1 and enqueued 2 deliveries.\n"
    assert published_deliveries == ids
    assert list(Delivery.objects.order_by("pk").values_list("state", "enqueued_at")) == [
        ("pending", NOW),
        ("pending", NOW),
    ]


def test_a_row_just_enqueued_is_not_enqueued_again_by_the_next_sweep(
    clock, django_capture_on_commit_callbacks, published_deliveries
):
    answer(member(), east(), "yes")
    with django_capture_on_commit_callbacks(execute=True):
        sweep.sweep(enqueue=published_deliveries.extend)
    clock.shift(timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=True):
        result = sweep.sweep(enqueue=published_deliveries.extend)

    assert result.due == []
    assert published_deliveries == list(Delivery.objects.values_list("pk", flat=True))
