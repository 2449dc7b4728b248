"""The pairing and session admins search people and rounds first, then rows by index (issue 10:
Django's own search joined 100,000 rows to every user and de-duplicated them, 2 to 5 s). The
result must be what Django's search gave: every row a matching member or round name finds,
each once."""

from datetime import timedelta

import pytest
from django.urls import reverse

from roleplay.services import booking
from tests.factories import MembershipFactory, UserFactory
from tests.roleplay.booking_helpers import NOW, make_pairing

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def world(cohort, supervisor):
    """Ana in two pairings (rounds "Spring" and "Summer"); Ben and Cleo in "Autumn"; a session
    for each pairing."""
    ana = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ana Findme")).user
    ben = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ben")).user
    cleo = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Cleo")).user
    pairings = {
        "spring": make_pairing(cohort, ana, ben, name="Spring"),
        "summer": make_pairing(cohort, ana, cleo, name="Summer"),
        "autumn": make_pairing(cohort, ben, cleo, name="Autumn"),
    }
    sessions = {
        name: booking.session_schedule_directly(
            pairing=pairing, supervisor=supervisor, start=NOW + timedelta(days=3 + number)
        )
        for number, (name, pairing) in enumerate(pairings.items())
    }
    return pairings, sessions


def _found(client, model: str, term: str) -> list[int]:
    response = client.get(reverse(f"admin:roleplay_{model}_changelist"), {"q": term})
    assert response.status_code == 200
    return sorted(row.pk for row in response.context["cl"].result_list)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("findme", ["spring", "summer"]),  # a member's name, both her pairings, each once
        ("AUTUMN", ["autumn"]),  # a round's name, any case
        ("Summer", ["summer"]),
        ("nobody", []),
    ],
)
def test_the_pairing_and_session_admins_find_by_member_and_round(
    client, admin_user, world, term, expected
):
    pairings, sessions = world
    client.force_login(admin_user)
    assert _found(client, "pairing", term) == sorted(pairings[name].pk for name in expected)
    assert _found(client, "session", term) == sorted(sessions[name].pk for name in expected)


def test_a_search_by_email_finds_the_persons_sessions(client, admin_user, world):
    pairings, sessions = world
    ben = pairings["autumn"].members.order_by("pk").first().trainee
    client.force_login(admin_user)
    assert _found(client, "session", ben.email) == sorted(
        sessions[name].pk for name in ("spring", "autumn")
    )


def test_the_feedback_admin_finds_forms_by_author_or_subject_each_once(client, admin_user, cohort):
    """Found through people first, as above: Ana's session holds a form by her and one about
    her, both listed once; Ben and Cleo's forms are not."""
    from roleplay.models import FeedbackResponse
    from tests.roleplay.progress_helpers import practised

    ana, ben, cleo = (
        MembershipFactory(cohort=cohort, user=UserFactory(display_name=name)).user
        for name in ("Ana Findme", "Ben", "Cleo")
    )
    practised(cohort, ana, ben, day=1, client_likert=4, self_likert=4)
    practised(cohort, ben, cleo, day=2, client_likert=4, self_likert=4)
    hers = sorted(
        FeedbackResponse.objects.filter(session__seats__user=ana).values_list("pk", flat=True)
    )
    assert len(hers) == 2
    client.force_login(admin_user)
    assert _found(client, "feedbackresponse", "findme") == hers
    assert _found(client, "feedbackresponse", ana.email.upper()) == hers
