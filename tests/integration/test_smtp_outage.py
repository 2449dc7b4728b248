"""The mail server refusing (issue 7, item 15): each message is retried with growing pauses, then
marked failed, and admins see which and why. A real SMTP conversation with a local server that
answers every connection with 554, through Django's SMTP backend; nothing of ours is replaced."""

import socket
import threading
from datetime import timedelta
from smtplib import SMTPConnectError

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from roleplay import tasks
from roleplay.models import MessageKind, MessageState
from roleplay.services import invitations, notify
from tests.factories import InvitationFactory, UserFactory

pytestmark = [pytest.mark.faults, pytest.mark.django_db]

REFUSAL = "554 5.3.2 No service here"


class RefusingSmtpServer:
    """Answers every connection with a 554 greeting and hangs up; counts the connections."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            with client:
                client.sendall(f"{REFUSAL}\r\n".encode())

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()


@pytest.fixture
def refusing_smtp(settings):
    server = RefusingSmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.close()


def test_a_refused_message_backs_off_then_fails_visibly_to_admins(
    refusing_smtp, client, admin_user
):
    message = notify.message_queue(
        kind=MessageKind.SESSION_CONFIRMED,
        recipient=UserFactory(email="dana@example.org"),
        dedupe_key="smtp-outage",
        subject="Confirmed: Tuesday 10:00",
        body="See you then.",
    )
    pauses = []
    clock = timezone.now()
    for _ in range(notify.MAX_ATTEMPTS):
        with time_machine.travel(clock, tick=False):
            assert notify.messages_due() == [message.pk]  # what beat's sweep would queue
            assert tasks.message_send(message.pk) is False
            assert notify.messages_due() == []  # not again before its pause is over
        message.refresh_from_db()
        pauses.append(message.due_at - clock)
        clock = message.due_at

    assert pauses[:-1] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert message.state == MessageState.FAILED
    assert refusing_smtp.connections == notify.MAX_ATTEMPTS
    with time_machine.travel(clock + timedelta(days=1)):
        assert notify.messages_due() == []  # failed stays failed: no endless retries

    client.force_login(admin_user)
    page = client.get(
        reverse("admin:roleplay_message_changelist"), {"state__exact": "failed"}
    ).content.decode()
    assert "Confirmed: Tuesday 10:00" in page
    assert f"SMTPConnectError: (554, b&#x27;{REFUSAL[4:]}&#x27;)" in page


def test_a_refused_invitation_is_marked_failed_for_admins_and_supervisors(
    refusing_smtp, client, admin_user, cohort, supervisor
):
    invitation = InvitationFactory(cohort=cohort, email="ivy@example.org")
    for _ in range(invitations.MAX_SEND_ATTEMPTS):
        assert invitations.invitations_due() == [invitation.pk]
        with pytest.raises(SMTPConnectError):
            invitations.invitation_send(invitation_id=invitation.pk)

    assert invitations.invitations_due() == []
    invitation.refresh_from_db()
    assert invitation.status == "failed"
    client.force_login(admin_user)
    page = client.get(reverse("admin:roleplay_invitation_changelist")).content.decode()
    assert "ivy@example.org" in page
    assert "failed" in page
    assert f"(554, b&#x27;{REFUSAL[4:]}&#x27;)" in page
    client.force_login(supervisor)
    page = client.get(reverse("cohort_detail", args=[cohort.pk])).content.decode()
    assert '<span class="badge">failed</span>' in page
