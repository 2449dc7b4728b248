"""Invitation emails sent by a real Celery worker consuming from the real Redis broker."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from roleplay.models import Invitation
from roleplay.services.invitations import InviteRow, invitation_from_token, invitations_create
from roleplay.tasks import invitation_send, invitations_send_pending
from tests.factories import CohortFactory, InvitationFactory, UserFactory
from tests.integration.worker import WAIT_TIMEOUT, wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    # celery 5.7's Redis result backend calls a method redis-py 8 deprecates; not ours to fix.
    pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning"),
]


def _sent(invitation: Invitation) -> Invitation | None:
    return Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=False).first()


def test_created_invitation_is_sent_by_the_worker_after_commit(
    live_worker, published_tasks, settings
):
    settings.SITE_URL = "https://dyad.example.org/"
    supervisor = UserFactory(is_supervisor=True, display_name="Sam Supervisor")
    cohort = CohortFactory(created_by=supervisor, name="Spring 2026")

    with transaction.atomic():
        outcomes = invitations_create(
            cohort=cohort,
            invited_by=supervisor,
            rows=[InviteRow(line=1, email="Ada@Example.org", name="Ada Lovelace")],
        )
        invitation = Invitation.objects.get(cohort=cohort)
        assert published_tasks == [], "queued before the invitation was committed"
    assert [(o.email, o.invited) for o in outcomes] == [("ada@example.org", True)]
    assert published_tasks == [(invitation_send.name, (invitation.pk,))]

    sent = wait_for(lambda: _sent(invitation), what="the worker to mark the invitation sent")

    assert sent.send_attempts == 1
    assert sent.sending_since is None
    assert sent.last_error == ""
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["ada@example.org"]
    assert email.subject == "You're invited to join Spring 2026 on Dyad"
    assert "Hello Ada Lovelace," in email.body
    assert "Sam Supervisor has invited you to join Spring 2026" in email.body
    link = re.search(r"https://dyad\.example\.org/invitations/([^/\s]+)/", email.body)
    assert link, email.body
    assert invitation_from_token(link.group(1)).pk == invitation.pk
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert link.group(0) in html


def test_nothing_is_queued_or_sent_when_the_transaction_rolls_back(live_worker, published_tasks):
    supervisor = UserFactory(is_supervisor=True)
    cohort = CohortFactory(created_by=supervisor)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        invitations_create(
            cohort=cohort, invited_by=supervisor, rows=[InviteRow(line=1, email="gone@example.org")]
        )
        raise Abort
    invitations_create(
        cohort=cohort, invited_by=supervisor, rows=[InviteRow(line=1, email="kept@example.org")]
    )
    kept = Invitation.objects.get(cohort=cohort)

    # The solo worker takes the queue in order: once the committed invitation is sent, anything
    # queued before it has run too.
    wait_for(lambda: _sent(kept), what="the committed invitation to be sent")

    assert published_tasks == [(invitation_send.name, (kept.pk,))]
    assert [email.to for email in mail.outbox] == [["kept@example.org"]]


def test_sending_the_same_invitation_twice_sends_one_email(live_worker):
    invitation = InvitationFactory(email="twice@example.org")

    first = invitation_send.delay(invitation.pk)
    second = invitation_send.delay(invitation.pk)
    results = [first.get(timeout=WAIT_TIMEOUT), second.get(timeout=WAIT_TIMEOUT)]

    assert sorted(results) == [False, True]
    assert [email.to for email in mail.outbox] == [["twice@example.org"]]
    invitation.refresh_from_db()
    assert invitation.sent_at is not None
    assert invitation.send_attempts == 1


def test_sweep_sends_an_invitation_whose_task_was_never_queued(live_worker, published_tasks):
    now = timezone.now()
    lost = InvitationFactory(email="lost@example.org")  # created with the ORM: nothing was queued
    InvitationFactory(email="done@example.org", sent_at=now - timedelta(hours=1))
    InvitationFactory(email="expired@example.org", expires_at=now - timedelta(minutes=1))
    assert lost.sent_at is None

    assert invitations_send_pending.delay().get(timeout=WAIT_TIMEOUT) == 1
    wait_for(lambda: _sent(lost), what="the swept invitation to be sent")

    # A second sweep finds nothing due; the solo worker runs it after the send it queued, so any
    # duplicate email would be in the outbox by the time it answers.
    assert invitations_send_pending.delay().get(timeout=WAIT_TIMEOUT) == 0
    assert [email.to for email in mail.outbox] == [["lost@example.org"]]
    assert published_tasks.count((invitation_send.name, (lost.pk,))) == 1
    lost.refresh_from_db()
    assert lost.send_attempts == 1
