"""Redis down while people use Dyad (issue 7, item 13): a request that queues work after commit
never waits for the broker. The first failed publish opens a circuit breaker; everything queued
while it is open is left to the sweep, which finds it in the database.

These tests run with the production broker settings from config/settings/base.py: the test
settings shorten no broker timeout. Connection attempts are counted with a Python audit hook on
`socket.connect`, which sees every real attempt without replacing any code."""

import sys
import time
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from roleplay.models import Invitation, Message, MessageKind, MessageState, SessionStatus
from roleplay.services import booking, notify
from tests.factories import MembershipFactory, UserFactory
from tests.roleplay.booking_helpers import make_pairing

pytestmark = pytest.mark.django_db(transaction=True)

_connects: list[tuple] = []
_recording = False


def _audit(event: str, args: tuple) -> None:
    if _recording and event == "socket.connect":
        _connects.append(args[1])


sys.addaudithook(_audit)  # hooks cannot be removed; this one records only while a test asks


@pytest.fixture
def broker_connects():
    """A function returning how many times this process tried to connect to the broker's address
    since the test started."""
    global _recording
    _connects.clear()
    _recording = True

    def attempts() -> int:
        address = app.conf.broker_url.split("//")[1].split("/")[0]
        host, port = address.split(":")
        return sum(1 for connected in _connects if connected == (host, int(port)))

    yield attempts
    _recording = False


def queue_messages(recipient, count: int, prefix: str = "outage") -> float:
    """Record `count` due messages in one transaction, as a request would; returns the seconds it
    took, commit (and so publishing) included."""
    started = time.monotonic()
    with transaction.atomic():
        for n in range(count):
            notify.message_queue(
                kind=MessageKind.SESSION_CONFIRMED,
                recipient=recipient,
                dedupe_key=f"{prefix}:{n}",
                subject="Confirmed",
                body="See you then.",
            )
    return time.monotonic() - started


def test_the_production_settings_try_the_broker_once_with_a_short_timeout():
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert (options["max_retries"], options["socket_connect_timeout"]) == (0, 1.0)
    assert settings.BROKER_RETRY_AFTER_SECONDS == 30


def test_eight_messages_with_the_broker_refusing_cost_one_attempt(
    cohort, dead_broker, broker_connects
):
    elapsed = queue_messages(cohort.created_by, 8)

    assert broker_connects() == 1
    assert elapsed < 2  # was 6 s per message
    assert Message.objects.filter(state=MessageState.PENDING).count() == 8
    assert len(notify.messages_due()) == 8  # the sweep finds every one


def test_eight_messages_with_the_broker_blackholed_cost_one_short_timeout(
    cohort, blackholed_broker, broker_connects
):
    elapsed = queue_messages(cohort.created_by, 8)

    assert broker_connects() == 1
    assert elapsed < 3  # one 1 s connect timeout; was at least 4 s per message
    assert len(notify.messages_due()) == 8


def test_eight_messages_with_the_broker_hung_cost_one_read_timeout(
    cohort, hung_broker, broker_connects
):
    elapsed = queue_messages(cohort.created_by, 8)

    assert broker_connects() == 1
    assert elapsed < 8  # one 5 s read timeout; without one, the request would wait for ever
    assert len(notify.messages_due()) == 8


def test_the_broker_is_tried_again_after_the_pause(cohort, dead_broker, broker_connects):
    queue_messages(cohort.created_by, 2, prefix="first")
    with time_machine.travel(timezone.now() + timedelta(seconds=29)):
        queue_messages(cohort.created_by, 2, prefix="paused")
    assert broker_connects() == 1
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        queue_messages(cohort.created_by, 2, prefix="again")
    assert broker_connects() == 2


def test_inviting_eight_people_with_redis_down_answers_quickly_and_says_queued(
    client, supervisor, cohort, dead_broker, broker_connects
):
    client.force_login(supervisor)
    emails = "\n".join(f"invitee{n}@example.org" for n in range(8))

    started = time.monotonic()
    response = client.post(reverse("cohort_invite", args=[cohort.pk]), {"emails": emails})
    elapsed = time.monotonic() - started

    assert "8 invitation(s) queued to be emailed." in response.content.decode()
    assert "Invitation queued for invitee0@example.org." in response.content.decode()
    assert elapsed < 2  # was 48 s: past gunicorn's 30 s timeout, a 500 though all were saved
    assert broker_connects() == 1
    assert Invitation.objects.filter(cohort=cohort, sent_at__isnull=True).count() == 8


def test_confirming_with_redis_down_answers_quickly(client, cohort, dead_broker, broker_connects):
    now = timezone.now()
    ana, ben = (
        MembershipFactory(cohort=cohort, user=UserFactory(time_zone="UTC")).user for _ in "ab"
    )
    pairing = make_pairing(cohort, ana, ben, opens=now, closes=now + timedelta(days=10))
    session = booking.session_propose(pairing=pairing, proposer=ana, start=now + timedelta(days=3))
    client.force_login(ben)

    started = time.monotonic()
    response = client.post(reverse("session_confirm", args=[session.pk]), follow=True)
    elapsed = time.monotonic() - started

    assert "Everyone has confirmed: the session is scheduled." in response.content.decode()
    assert elapsed < 2  # was 12 s
    assert broker_connects() == 1
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED
