"""A trainee's dashboard says what to do next: set availability, book each pairing; and a
cancelled session stays on it, marked cancelled."""

import re
from datetime import time, timedelta

import pytest
from django.urls import reverse

from roleplay.models import Pairing, RoundStatus, WeeklyHours
from roleplay.services import booking
from tests.factories import MembershipFactory, UserFactory
from tests.roleplay.booking_helpers import NOW, make_pairing

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def section(page: str, heading: str) -> str:
    """The text of the <section> titled `heading`, tags removed and spaces collapsed."""
    match = re.search(
        rf"<section[^>]*>\s*<h2[^>]*>{re.escape(heading)}</h2>(.*?)</section>", page, re.S
    )
    assert match, f"no section {heading!r}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_a_trainee_without_availability_is_asked_to_set_it(client, cohort):
    ana = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ana")).user
    client.force_login(ana)
    page = client.get(reverse("dashboard")).content.decode()
    assert section(page, "Next: when are you usually free?").startswith(
        "Dyad suggests session times when everyone in a pairing is free."
    )
    assert (
        f'<a class="call-to-action" href="{reverse("my_availability")}">Set my availability</a>'
        in page
    )

    WeeklyHours.objects.create(user=ana, weekday=0, start=time(9), end=time(17))
    page = client.get(reverse("dashboard")).content.decode()
    assert "Next: when are you usually free?" not in page


def test_a_supervisor_is_not_asked_for_availability(client, supervisor):
    client.force_login(supervisor)
    assert (
        "Next: when are you usually free?" not in client.get(reverse("dashboard")).content.decode()
    )


def test_unbooked_pairings_are_listed_with_the_next_step(client, cohort, pair):
    pairing, ana, ben = pair
    client.force_login(ana)
    page = client.get(reverse("dashboard")).content.decode()
    assert section(page, "Sessions to book") == (
        "Round A: you are the client with Ben — book by Saturday 10 April, 10:00. Next: propose a time"
    )
    assert f'<a href="{reverse("pairing_detail", args=[pairing.pk])}">propose a time</a>' in page

    booking.session_propose(pairing=pairing, proposer=ben, start=NOW + timedelta(days=2))
    page = client.get(reverse("dashboard")).content.decode()
    assert "Sessions to book" not in page


def test_a_cancelled_session_stays_on_the_dashboard_marked_cancelled(client, pair):
    pairing, ana, ben = pair
    session = booking.session_propose(pairing=pairing, proposer=ben, start=NOW + timedelta(days=2))
    booking.session_cancel(session=session, user=ben, reason="Ill")
    client.force_login(ana)
    page = client.get(reverse("dashboard")).content.decode()
    assert section(page, "Your sessions") == (
        "Wednesday 3 March, 09:00 — Round A with Ben Cancelled"
    )
    # ...and the pairing needs booking again.
    assert section(page, "Sessions to book").startswith("Round A: you are the client with Ben")


def test_pairings_of_draft_or_closed_rounds_are_not_to_book(client, cohort, pair):
    pairing, ana, _ = pair
    pairing.round.status = RoundStatus.CLOSED
    pairing.round.save(update_fields=["status"])
    client.force_login(ana)
    assert "Sessions to book" not in client.get(reverse("dashboard")).content.decode()


@pytest.mark.parametrize("pairings", [1, 3])
def test_the_trainee_dashboard_takes_the_same_queries_for_any_number_of_pairings(
    client, cohort, pairings, django_assert_num_queries
):
    ana = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ana")).user
    for number in range(pairings):
        make_pairing(cohort, ana, MembershipFactory(cohort=cohort).user, name=f"Round {number}")
    client.force_login(ana)
    # The navigation asks once whether a trainee supervises anywhere (may_create_cohort).
    with django_assert_num_queries(10):
        page = client.get(reverse("dashboard")).content.decode()
    assert page.count("Next:</strong>") == pairings == Pairing.objects.count()
