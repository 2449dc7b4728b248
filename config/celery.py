"""The Celery app. Every periodic schedule is declared here, each with why it runs that often;
django-celery-beat's DatabaseScheduler copies them into the database, where admins can see them."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("dyad")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # The broker is not the source of truth: invitations whose task was lost (broker down, worker
    # killed) are found in the database and sent. Every few minutes keeps a lost invitation late by
    # minutes, not hours.
    "invitations-send-pending": {
        "task": "roleplay.tasks.invitations_send_pending",
        "schedule": 300.0,
    },
    # The outbox sweep: sends messages that are due (and retries failed ones after their backoff).
    # Every minute, so a message whose task the broker lost is at most a minute late.
    "messages-send-due": {
        "task": "roleplay.tasks.messages_send_due",
        "schedule": 60.0,
    },
    # Scheduled sessions whose end has passed become completed; every 5 minutes keeps the
    # "session ended" state close to the real end without busy work.
    "sessions-complete": {
        "task": "roleplay.tasks.sessions_complete",
        "schedule": 300.0,
    },
    # Sessions whose feedback window has closed are revealed. Hourly: a window is days long, so
    # an hour late is unnoticeable, and the one-per-session reveal makes a repeated tick a no-op.
    "feedback-reveals": {
        "task": "roleplay.tasks.feedback_reveals",
        "schedule": 3600.0,
    },
    # Unbooked pairs 3 days (trainees) and 1 day (supervisors) before booking closes. Hourly: a
    # window can close at any hour, and the dedupe keys make every later tick a no-op.
    "unbooked-nudges": {
        "task": "roleplay.tasks.unbooked_nudges",
        "schedule": 3600.0,
    },
    # Weekly digests are due Monday 08:00 in each supervisor's own zone; zones differ by hours
    # (and by 30 or 45 minutes), so beat asks every 15 minutes whose Monday morning it is.
    "supervisor-digests": {
        "task": "roleplay.tasks.supervisor_digests",
        "schedule": 900.0,
    },
}
