import logging

import pytest
from django.core import mail
from django.db import transaction

from roleplay import tasks
from roleplay.services.invitations import InviteRow, invitations_create, invitations_due
from tests.factories import InvitationFactory

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
