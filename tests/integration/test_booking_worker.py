"""Booking through the real Celery worker on the real Redis broker: the confirmation goes out as
soon as the booking commits, the reminder when its time comes, each exactly once."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from roleplay.models import Message, MessageKind, MessageState, Role
from roleplay.services import booking
from roleplay.tasks import messages_send_due
from tests.factories import MembershipFactory, UserFactory
from tests.integration.worker import WAIT_TIMEOUT, wait_for
from tests.roleplay.booking_helpers import make_pairing

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning"),
]


def subjects() -> list[str]:
    return sorted(message.subject for message in mail.outbox)


def test_booking_sends_the_confirmation_now_and_the_reminder_later(live_worker, cohort):
    now = timezone.now()
    ana = MembershipFactory(
        cohort=cohort, role=Role.TRAINEE, user=UserFactory(display_name="Ana", time_zone="UTC")
    ).user
    ben = MembershipFactory(
        cohort=cohort, role=Role.TRAINEE, user=UserFactory(display_name="Ben", time_zone="UTC")
    ).user
    pairing = make_pairing(cohort, ana, ben, opens=now, closes=now + timedelta(days=10))
    start = (now + timedelta(days=3)).replace(second=0, microsecond=0)

    with transaction.atomic():
        session = booking.session_propose(pairing=pairing, proposer=ana, start=start)
    wait_for(lambda: len(mail.outbox) == 1, what="the proposal email")
    with transaction.atomic():
        booking.session_confirm(session=session, user=ben)

    wait_for(lambda: len(mail.outbox) == 3, what="two confirmation emails")
    when = f"{start:%A} {start.day} {start:%B}, {start:%H:%M}"  # the users are in UTC
    assert subjects() == sorted(
        [f"[Dyad] Ana proposes {when}", f"[Dyad] Confirmed: {when}", f"[Dyad] Confirmed: {when}"]
    )

    # A day later nothing else is due; 24 hours before the start, both reminders are.
    assert messages_send_due.delay().get(timeout=WAIT_TIMEOUT) == 0
    with time_machine.travel(start - timedelta(hours=24, seconds=-1)):
        assert messages_send_due.delay().get(timeout=WAIT_TIMEOUT) == 2
        wait_for(lambda: len(mail.outbox) == 5, what="two reminder emails")
        assert messages_send_due.delay().get(timeout=WAIT_TIMEOUT) == 0  # a repeated tick

    reminders = Message.objects.filter(kind=MessageKind.REMINDER_24H)
    assert set(reminders.values_list("state", flat=True)) == {MessageState.SENT}
    assert subjects().count(f"[Dyad] Reminder: {when}") == 2
