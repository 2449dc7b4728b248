"""The pairing page reads each thing once, however many sessions the pairing has had (issue 10:
the page grew from 12 to 20 queries on the bench's large seed, where its round is open for
booking and it offers times)."""

from datetime import time, timedelta

import pytest
from django.urls import reverse

from roleplay.models import WeeklyHours
from roleplay.services import booking
from tests.roleplay.booking_helpers import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

# Session, user, the two-factor check (shared with the navigation), pairing, members, who has
# left, sessions, the viewer's role, hours, time off, other sessions, the brief's check, the
# bell's count and the rooms.
TRAINEE_QUERIES = 14


def _cancelled_sessions(pairing, ana, count: int) -> None:
    for number in range(count):
        session = booking.session_propose(
            pairing=pairing, proposer=ana, start=NOW + timedelta(days=3 + number)
        )
        booking.session_cancel(session=session, user=ana, reason="Clash")


@pytest.mark.parametrize("sessions", [1, 3])
def test_the_bookable_pairing_page_reads_in_bounded_queries(
    client, settings, cohort, pair, sessions, django_assert_max_num_queries
):
    settings.DYAD_REQUIRE_MFA = True  # as in production: the middleware asks who supervises
    pairing, ana, ben = pair
    for person in (ana, ben):
        WeeklyHours.objects.create(user=person, weekday=1, start=time(9), end=time(17))
    WeeklyHours.objects.create(cohort=cohort, weekday=1, start=time(8), end=time(20))
    _cancelled_sessions(pairing, ana, sessions)
    client.force_login(ana)
    with django_assert_max_num_queries(TRAINEE_QUERIES):
        page = client.get(reverse("pairing_detail", args=[pairing.pk])).content.decode()
    assert "Times when everyone is free" in page
    assert page.count("— cancelled") == sessions


@pytest.mark.parametrize("sessions", [1, 3])
def test_the_supervisors_pairing_page_reads_in_bounded_queries(
    client, cohort, pair, supervisor, sessions, django_assert_max_num_queries
):
    pairing, ana, _ = pair
    _cancelled_sessions(pairing, ana, sessions)
    client.force_login(supervisor)
    # As the trainee's, less the two-factor check (off here) and with the same reads otherwise.
    with django_assert_max_num_queries(TRAINEE_QUERIES - 1):
        page = client.get(reverse("pairing_detail", args=[pairing.pk])).content.decode()
    assert "Schedule now, without asking for confirmations" in page
    assert page.count("— cancelled") == sessions
