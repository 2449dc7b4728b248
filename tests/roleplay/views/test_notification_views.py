"""The bell and the notification list show a message once it is due, never once withdrawn; titles
use the same date format as the pages, in the reader's zone."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from roleplay.models import Message, MessageKind
from roleplay.services import booking, notify, periodic
from tests.roleplay.booking_helpers import NOW

pytestmark = pytest.mark.django_db

START = NOW + timedelta(days=4)  # Friday 5 March 2027, 09:00 UTC


def text_of(response) -> str:
    return response.content.decode()


def bell(client) -> str:
    """What the navigation's bell says, from any page. (Log in after each time travel: a session
    made at the real time would have expired.)"""
    page = text_of(client.get(reverse("my_availability")))
    return page.split('aria-label="Notifications, ')[1].split('"')[0]


def titles(client) -> list[str]:
    page = text_of(client.get(reverse("notifications")))
    return re.findall(r'<strong><a href="[^"]*">([^<]*)</a></strong>', page)


@pytest.fixture
def booked(pair, supervisor):
    """Confirmed four days ahead: the supervisor schedules Ana (London) and Ben (New York)."""
    pairing, ana, ben = pair
    with time_machine.travel(NOW, tick=False):
        session = booking.session_schedule_directly(
            pairing=pairing, supervisor=supervisor, start=START
        )
    return session, ana, ben


def test_straight_after_confirming_only_the_confirmation_shows(client, booked):
    _, ana, _ = booked
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        client.force_login(ana)
        assert bell(client) == "1 unread"
        assert titles(client) == ["Confirmed: Friday 5 March, 09:00"]
        assert bell(client) == "0 unread"


def test_the_reminder_appears_when_due_in_the_readers_zone(client, booked):
    _, _, ben = booked
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        client.force_login(ben)
        titles(client)  # read the confirmation
    with time_machine.travel(START - timedelta(hours=24), tick=False):
        client.force_login(ben)
        assert bell(client) == "1 unread"
        assert titles(client) == [
            "Reminder: Friday 5 March, 04:00",
            "Confirmed: Friday 5 March, 04:00",
        ]
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        periodic.sessions_complete()  # the session ended: its feedback is asked for
        client.force_login(ben)
        assert bell(client) == "2 unread"
        assert titles(client)[:2] == [
            "How did it go? Your feedback is waiting",
            "Reminder: Friday 5 March, 04:00",
        ]


@pytest.mark.parametrize("change", ["reschedule", "cancel"])
def test_withdrawn_reminders_never_show(client, booked, change, supervisor):
    session, ana, _ = booked
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        if change == "cancel":
            booking.session_cancel(session=session, user=supervisor, reason="Room flooded")
        else:
            booking.session_reschedule(
                session=session, user=supervisor, start=START + timedelta(days=2)
            )
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        client.force_login(ana)
        shown = titles(client)
    assert not [t for t in shown if t.startswith(("Reminder", "How did it go"))]
    assert shown[0] == {
        "cancel": "Friday 5 March, 09:00 is cancelled",
        "reschedule": "Supervisor moved your session to Sunday 7 March, 09:00",
    }[change].replace("Supervisor", supervisor.name)


def test_the_supervisors_empty_list_speaks_to_supervisors(client, supervisor):
    client.force_login(supervisor)
    page = text_of(client.get(reverse("notifications")))
    assert (
        "Nothing yet. Late cancellations in your cohorts, pairings still unbooked near the end "
        "of a round and your weekly digest will appear here." in page
    )
    assert "you will find your pairing here" not in page


def test_a_message_whose_email_failed_stays_in_sight_while_it_is_retried(
    client, booked, monkeypatch
):
    _, ana, _ = booked

    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    confirmation = Message.objects.get(recipient=ana, kind=MessageKind.SESSION_CONFIRMED)
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        notify.message_send(message_id=confirmation.pk)
        confirmation.refresh_from_db()
        assert confirmation.due_at > timezone.now()  # retried later
        client.force_login(ana)
        assert titles(client) == ["Confirmed: Friday 5 March, 09:00"]
