from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from roleplay.formats import WHEN_TOKEN
from roleplay.models import Message, MessageKind, MessageState
from roleplay.services import notify
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def queue(recipient, key="k1", **extra):
    return notify.message_queue(
        kind=MessageKind.PAIRING_PUBLISHED,
        recipient=recipient,
        dedupe_key=key,
        subject="Round A: you are the client",
        body="Your pairing is published.",
        link="/pairings/1/",
        **extra,
    )


def test_a_cause_recorded_twice_makes_one_message():
    user = UserFactory()
    assert queue(user) is not None
    assert queue(user) is None
    assert Message.objects.count() == 1


def test_sending_is_once_and_the_email_carries_the_link(settings):
    settings.SITE_URL = "https://dyad.example.org"
    user = UserFactory(display_name="Ada")
    message = queue(user)

    assert notify.message_send(message_id=message.pk) is True
    assert notify.message_send(message_id=message.pk) is False

    (email,) = mail.outbox
    assert email.subject == "[Dyad] Round A: you are the client"
    assert "Hello Ada," in email.body
    assert "https://dyad.example.org/pairings/1/" in email.body
    message.refresh_from_db()
    assert message.state == MessageState.SENT and message.sent_at is not None


def test_a_message_due_later_is_not_sent_early():
    message = queue(UserFactory(), due_at=timezone.now() + timedelta(hours=1))
    assert notify.message_send(message_id=message.pk) is False
    assert notify.messages_due() == []
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        assert notify.messages_due() == [message.pk]


def test_failures_back_off_then_fail_visibly(monkeypatch):
    message = queue(UserFactory())

    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    now = timezone.now()
    for attempt in range(1, notify.MAX_ATTEMPTS + 1):
        with time_machine.travel(now + timedelta(hours=attempt * 24), tick=False):
            assert notify.message_send(message_id=message.pk) is False
            message.refresh_from_db()
            if attempt < notify.MAX_ATTEMPTS:
                assert message.state == MessageState.PENDING
                assert message.due_at == timezone.now() + notify.BACKOFF_BASE * 2 ** (attempt - 1)
    assert message.state == MessageState.FAILED
    assert message.last_error == "ConnectionRefusedError: smtp down"
    assert mail.outbox == []


def test_a_send_that_died_is_handed_back_by_the_sweep_after_the_timeout():
    message = queue(UserFactory())
    Message.objects.filter(pk=message.pk).update(
        state=MessageState.SENDING, sending_since=timezone.now()
    )
    assert notify.messages_due() == []
    with time_machine.travel(timezone.now() + notify.STUCK_AFTER + timedelta(seconds=1)):
        assert notify.messages_due() == [message.pk]
        assert notify.message_send(message_id=message.pk) is True
    assert len(mail.outbox) == 1


def test_withdrawn_messages_are_never_sent():
    message = queue(UserFactory(), key="reminder:1:2")
    assert notify.messages_withdraw(dedupe_key_prefix="reminder:1:") == 1
    assert notify.message_send(message_id=message.pk) is False
    assert mail.outbox == []


def test_notification_list_shows_and_reads_messages(client):
    user = UserFactory()
    queue(user)
    client.force_login(user)
    assert 'aria-label="Notifications, 1 unread"' in client.get("/").content.decode()
    page = client.get("/notifications/").content.decode()
    assert "Round A: you are the client" in page
    assert 'aria-label="Notifications, 0 unread"' in client.get("/").content.decode()


def test_optional_messages_can_stay_in_the_app(client):
    user = UserFactory()
    client.force_login(user)
    client.post("/notifications/email/", {"emailed": [MessageKind.WEEKLY_DIGEST]})
    reminder = notify.message_queue(
        kind=MessageKind.REMINDER_1H, recipient=user, dedupe_key="r", subject="Soon", body="b"
    )
    digest = notify.message_queue(
        kind=MessageKind.WEEKLY_DIGEST, recipient=user, dedupe_key="d", subject="Week", body="b"
    )
    essential = queue(user, key="e")
    for message in (reminder, digest, essential):
        notify.message_send(message_id=message.pk)
    assert sorted(m.subject for m in mail.outbox) == [
        "[Dyad] Round A: you are the client",
        "[Dyad] Week",
    ]
    reminder.refresh_from_db()
    assert reminder.state == MessageState.IN_APP
    assert "Soon" in client.get("/notifications/").content.decode()


def test_essential_messages_cannot_be_muted():
    user = UserFactory()
    preferences = notify.email_preferences_set(
        user=user, muted_kinds=[MessageKind.PAIRING_PUBLISHED, MessageKind.REMINDER_24H]
    )
    assert preferences.muted_kinds == [MessageKind.REMINDER_24H]


@time_machine.travel(datetime(2027, 3, 1, tzinfo=UTC), tick=False)
def test_an_email_writes_its_moment_in_the_recipients_zone():
    user = UserFactory(display_name="Ada", time_zone="Asia/Tokyo")
    message = notify.message_queue(
        kind=MessageKind.REMINDER_24H,
        recipient=user,
        dedupe_key="k-when",
        subject=f"Reminder: {WHEN_TOKEN}",
        body=f"Your session starts {WHEN_TOKEN}.",
        when=datetime(2027, 12, 1, 14, 5, tzinfo=UTC),
    )
    notify.message_send(message_id=message.pk)
    (email,) = mail.outbox
    assert email.subject == "[Dyad] Reminder: Wednesday 1 December, 23:05"
    assert (
        "Your session starts Wednesday 1 December, 23:05.\nTimes are in Asia/Tokyo." in email.body
    )
