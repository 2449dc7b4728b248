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
}
