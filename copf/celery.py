import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "copf.settings")

app = Celery("copf")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic job lives here; each is idempotent and also a management command.
app.conf.beat_schedule = {
    # Plan due messages and hand them to workers (`manage.py send_due_reminders`).
    "send-due-reminders-every-minute": {
        "task": "members.send_due_reminders",
        "schedule": 60.0,
    },
    # Keep meeting rows a full horizon ahead (`manage.py materialize_meetings`).
    "materialize-meetings-daily": {
        "task": "meetings.materialize_all_series",
        "schedule": crontab(minute=17, hour=3),
    },
}
