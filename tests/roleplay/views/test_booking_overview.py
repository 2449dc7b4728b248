"""Supervisors see and steer a round's bookings: an overview per round, linked from the round
page and the dashboard, with each pairing's status, its time in the viewer's zone, and actions."""

import re
import zoneinfo
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from roleplay.models import Message, MessageKind, PairingRole, Role, Session, SessionStatus
from roleplay.services import booking
from roleplay.services.pairing import Arrangement, round_arrange, round_publish
from tests.factories import MembershipFactory, RoundFactory, UserFactory
from tests.roleplay.booking_helpers import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def text_of(response) -> str:
    return response.content.decode()


def rows(page: str) -> list[str]:
    """The overview's table rows as text, one line each."""
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


@transaction.atomic
def published_round(cohort, pairs: int, name="Round A"):
    """A published round of `pairs` dyads of new trainees, without its notifications."""
    round_ = RoundFactory(cohort=cohort, name=name, opens=NOW, closes=NOW + timedelta(days=40))
    members = {}
    for n in range(pairs):
        for role, letter in ((PairingRole.CLIENT, "C"), (PairingRole.THERAPIST, "T")):
            user = MembershipFactory(
                cohort=cohort,
                role=Role.TRAINEE,
                user=UserFactory(display_name=f"{letter}{n + 1}", time_zone="Europe/London"),
            ).user
            members[user.pk] = (f"p{n}", role)
    round_arrange(round_=round_, arrangement=Arrangement(members=members))
    round_publish(round_=round_)
    Message.objects.all().delete()
    round_.refresh_from_db()
    return round_, list(round_.pairings.order_by("pk"))


@pytest.fixture
def six(cohort, supervisor):
    """Six pairings: unbooked, proposed, scheduled, done, no-show, cancelled."""
    round_, pairings = published_round(cohort, 6)
    start = NOW + timedelta(days=3)
    client_of = [p.members.get(role=PairingRole.CLIENT).trainee for p in pairings]
    booking.session_propose(pairing=pairings[1], proposer=client_of[1], start=start)
    for n in (2, 3, 4, 5):
        booking.session_schedule_directly(
            pairing=pairings[n], supervisor=supervisor, start=start + timedelta(hours=n)
        )
    Session.objects.filter(pairing=pairings[3]).update(status=SessionStatus.COMPLETED)
    Session.objects.filter(pairing=pairings[4]).update(status=SessionStatus.NO_SHOW)
    booking.session_cancel(session=pairings[5].sessions.get(), user=supervisor, reason="Illness")
    return round_, pairings


def test_the_overview_lists_each_pairing_with_status_time_and_actions(client, supervisor, six):
    round_, pairings = six
    supervisor.time_zone = "America/New_York"
    supervisor.save()
    client.force_login(supervisor)
    page = text_of(client.get(reverse("round_bookings", args=[round_.pk])))
    assert "<h1>Bookings: Round A</h1>" in page
    assert "2 of 6 booked" in page
    assert rows(page) == [
        "C1 (client), T1 (therapist) Unbooked — Open Schedule now Nudge",
        "C2 (client), T2 (therapist) Proposed Thursday 4 March, 04:00 Open Nudge",
        "C3 (client), T3 (therapist) Scheduled Thursday 4 March, 06:00 Open",
        "C4 (client), T4 (therapist) Done Thursday 4 March, 07:00 Open",
        "C5 (client), T5 (therapist) No-show Thursday 4 March, 08:00 Open Schedule now Nudge",
        "C6 (client), T6 (therapist) Cancelled Thursday 4 March, 09:00 Open Schedule now Nudge",
    ]
    first = pairings[0].pk
    assert f'href="{reverse("pairing_detail", args=[first])}#book"' in page
    assert f'action="{reverse("pairing_nudge", args=[first])}"' in page


def test_the_round_page_and_the_dashboard_link_to_the_overview(client, supervisor, six):
    round_, _ = six
    client.force_login(supervisor)
    url = reverse("round_bookings", args=[round_.pk])
    assert f'<a href="{url}">Bookings</a>' in text_of(
        client.get(reverse("round_detail", args=[round_.pk]))
    )
    dashboard = text_of(client.get(reverse("dashboard")))
    assert f'<a href="{url}">Round A</a> (Year 1): 2 of 6 booked' in dashboard


@pytest.mark.parametrize("pairs", [1, 3])
def test_the_overview_query_count_does_not_grow(
    client, supervisor, cohort, pairs, django_assert_num_queries
):
    round_, pairings = published_round(cohort, pairs)
    for pairing in pairings:
        booking.session_schedule_directly(
            pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3)
        )
    client.force_login(supervisor)
    with django_assert_num_queries(7):
        page = text_of(client.get(reverse("round_bookings", args=[round_.pk])))
    assert len(rows(page)) == pairs


def test_nudging_queues_one_message_per_member_per_day(client, supervisor, six):
    _, pairings = six
    client.force_login(supervisor)
    url = reverse("pairing_nudge", args=[pairings[0].pk])
    response = client.post(url, follow=True)
    assert "Reminder queued for C1 and T1; they get it in Dyad and by email." in text_of(response)
    nudges = Message.objects.filter(kind=MessageKind.UNBOOKED_NUDGE)
    assert sorted(nudges.values_list("recipient__display_name", flat=True)) == ["C1", "T1"]
    to_c1 = nudges.get(recipient__display_name="C1")
    assert to_c1.title == "Round A: please book your session"
    with timezone.override(zoneinfo.ZoneInfo("Europe/London")):
        assert to_c1.text == (
            "Sam Supervisor asks you to book your Round A session with T1. "
            "Booking closes Saturday 10 April, 10:00."
        )
    response = client.post(url, follow=True)
    assert "C1 and T1 were already reminded today." in text_of(response)
    assert nudges.count() == 2
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        client.force_login(supervisor)
        response = client.post(url, follow=True)
    assert "Reminder queued for C1 and T1" in text_of(response)
    assert nudges.count() == 4


def test_a_booked_pairing_is_not_nudged(client, supervisor, six):
    _, pairings = six
    client.force_login(supervisor)
    response = client.post(reverse("pairing_nudge", args=[pairings[2].pk]), follow=True)
    assert "This pairing has booked its session; there is nothing to remind them of." in (
        text_of(response)
    )
    assert not Message.objects.filter(kind=MessageKind.UNBOOKED_NUDGE).exists()


def test_trainees_and_outsiders_cannot_see_the_overview_or_nudge(client, six, outsider):
    round_, pairings = six
    member = pairings[0].members.first().trainee
    for user, nudge_status in ((member, 403), (outsider, 404)):
        client.force_login(user)
        assert client.get(reverse("round_bookings", args=[round_.pk])).status_code == 404
        assert client.post(reverse("pairing_nudge", args=[pairings[0].pk])).status_code == (
            nudge_status
        )
    assert not Message.objects.filter(kind=MessageKind.UNBOOKED_NUDGE).exists()
