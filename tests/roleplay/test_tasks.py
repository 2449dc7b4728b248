import logging
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends import locmem
from django.db import transaction
from django.utils import timezone

from roleplay import tasks
from roleplay.models import MessageKind, MessageState, SessionStatus
from roleplay.services import booking, notify
from roleplay.services.invitations import InviteRow, invitations_create, invitations_due
from tests.factories import InvitationFactory, MembershipFactory
from tests.roleplay.booking_helpers import make_pairing

pytestmark = pytest.mark.django_db(transaction=True)


def test_inviting_works_with_the_broker_down_and_the_sweep_finds_it(cohort, dead_broker, caplog):
    with caplog.at_level(logging.WARNING), transaction.atomic():
        (outcome,) = invitations_create(
            cohort=cohort, invited_by=cohort.created_by, rows=[InviteRow(1, "lost@example.org")]
        )

    assert outcome.invited
    assert "Broker unavailable; roleplay.tasks.invitation_send" in caplog.text
    assert mail.outbox == []
    (invitation_id,) = invitations_due()
    assert tasks.invitation_send(invitation_id) is True
    assert tasks.invitation_send(invitation_id) is False
    assert [m.to for m in mail.outbox] == [["lost@example.org"]]


def test_invitation_send_task_is_idempotent(cohort):
    invitation = InvitationFactory(cohort=cohort)
    assert tasks.invitation_send(invitation.pk) is True
    assert tasks.invitation_send(invitation.pk) is False
    assert len(mail.outbox) == 1


def test_booking_works_with_the_broker_down_and_the_sweep_sends_it_later(
    cohort, supervisor, dead_broker, caplog
):
    """The broker is not the source of truth: with Redis unreachable the booking still commits,
    and once it is back the sweep sends everything due, once."""
    ana, ben = (MembershipFactory(cohort=cohort).user for _ in range(2))
    now = timezone.now()
    pairing = make_pairing(cohort, ana, ben, opens=now, closes=now + timedelta(days=10))
    with caplog.at_level(logging.WARNING), transaction.atomic():
        session = booking.session_schedule_directly(
            pairing=pairing, supervisor=supervisor, start=now + timedelta(days=2)
        )
    assert "Broker unavailable; roleplay.tasks.message_send" in caplog.text
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED
    assert mail.outbox == []

    due = notify.messages_due()  # what beat's sweep finds, broker or no broker
    assert len(due) == 2  # the two confirmations; reminders are not due yet
    for message_id in due + due:  # a replayed sweep sends nothing twice
        tasks.message_send(message_id)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([ana.email, ben.email])


class Crash(BaseException):
    """The process dies: not an error the sender could catch and record."""


class CrashAfterSendingBackend(locmem.EmailBackend):
    def send_messages(self, messages):
        super().send_messages(messages)
        raise Crash


def test_a_worker_killed_after_sending_before_marking_sends_again_after_the_timeout(
    settings, cohort
):
    """The chosen policy, at least once: the claim left by the dead worker blocks any resend for
    STUCK_AFTER, then the sweep hands the row back and it is sent (a second time) and marked."""
    message = notify.message_queue(
        kind=MessageKind.SESSION_CONFIRMED,
        recipient=cohort.created_by,
        dedupe_key="crash",
        subject="Confirmed",
        body="b",
    )
    settings.EMAIL_BACKEND = f"{__name__}.CrashAfterSendingBackend"
    with pytest.raises(Crash):
        notify.message_send(message_id=message.pk)
    message.refresh_from_db()
    assert message.state == MessageState.SENDING and len(mail.outbox) == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notify.messages_due() == []
    assert notify.message_send(message_id=message.pk) is False
    with time_machine.travel(timezone.now() + notify.STUCK_AFTER + timedelta(seconds=1)):
        assert notify.messages_due() == [message.pk]
        assert notify.message_send(message_id=message.pk) is True
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert len(mail.outbox) == 2
    assert notify.messages_due() == []
