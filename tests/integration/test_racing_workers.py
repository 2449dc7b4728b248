"""Two Celery worker processes and overlapping sweeps racing over the same due messages (issue 7,
item 15): every message is emailed exactly once.

The workers are real `celery -A config worker` processes on the test Redis, each with two
threads; they write email with Django's file-based backend, so the test counts what was really
handed to the mail backend by any process (tests/integration/process_settings.py). Every message
is queued three ways at once: its own task after commit, sweeps run by the workers as beat would
start them, and a sweep run here while the workers are busy."""

import email
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction

from config.celery import app
from roleplay.models import Message, MessageKind, MessageState
from roleplay.services import notify
from roleplay.tasks import messages_send_due
from tests.factories import UserFactory
from tests.integration.processes import running
from tests.integration.worker import purge_broker, wait_for

pytestmark = [
    pytest.mark.faults,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning"),
]

MESSAGES = 50
SWEEPS = 3


def recipients_emailed(mail_dir: Path) -> list[str]:
    """The To: of every email any process wrote, one entry per email."""
    separator = b"\n" + b"-" * 79 + b"\n"
    found = []
    for path in mail_dir.glob("*.log"):
        for chunk in path.read_bytes().split(separator):
            if chunk.strip():
                found.append(email.message_from_bytes(chunk)["To"])
    return found


def broker_idle() -> bool:
    """Nothing waiting in the queue and nothing delivered but unfinished (tasks ack late)."""
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        client = channel.client
        return client.llen("celery") == 0 and client.hlen(channel.unacked_key) == 0


def worker(name: str) -> list[str]:
    return [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "config",
        "worker",
        "--pool=threads",
        "--concurrency=2",
        f"--hostname={name}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
    ]


def test_two_workers_and_overlapping_sweeps_send_each_message_once(tmp_path):
    db = connection.settings_dict
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.integration.process_settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}",
        "DYAD_TEST_MAIL_DIR": str(mail_dir),
    }
    people = UserFactory.create_batch(MESSAGES)
    purge_broker()
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    try:
        with (
            running(worker("w1"), env=env, log=logs[0]),
            running(worker("w2"), env=env, log=logs[1]),
        ):
            for log in logs:
                wait_for(lambda log=log: b" ready." in log.read_bytes(), what=f"{log.stem} ready")

            with transaction.atomic():  # each message's own task is published on commit
                for person in people:
                    notify.message_queue(
                        kind=MessageKind.SESSION_CONFIRMED,
                        recipient=person,
                        dedupe_key=f"race:{person.pk}",
                        subject="Confirmed: Tuesday 10:00",
                        body="See you then.",
                    )
            for _ in range(SWEEPS):
                messages_send_due.delay()  # as beat would, ticks overlapping
            messages_send_due()  # and one more sweep from this process, mid-race

            wait_for(
                lambda: (
                    not Message.objects.exclude(state=MessageState.SENT).exists() and broker_idle()
                ),
                what="every message sent and every queued task done",
                timeout=60,
            )
    finally:
        purge_broker()

    assert sorted(recipients_emailed(mail_dir)) == sorted(person.email for person in people)
    assert set(Message.objects.values_list("attempts", flat=True)) == {1}
    assert all(b" succeeded in " in log.read_bytes() for log in logs), "both workers took part"
