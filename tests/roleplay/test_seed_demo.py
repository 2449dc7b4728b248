import pytest
from django.core.management import call_command

from accounts.models import User
from roleplay.models import (
    Cohort,
    FeedbackPurpose,
    FeedbackResponse,
    PairingMember,
    Reflection,
    RevealPolicy,
    Role,
    RoundStatus,
    SessionReview,
)
from roleplay.selectors.review import review_queue

pytestmark = pytest.mark.django_db


def test_demo_data_loads_once_and_its_logins_work(client, capsys):
    call_command("seed_demo")
    call_command("seed_demo")

    output = capsys.readouterr().out
    assert "Demo data is already loaded." in output
    assert "every password: practise-empathy" in output
    assert User.objects.filter(is_programme_admin=True).count() == 1
    assert User.objects.filter(is_supervisor=True).count() == 2
    cohort = Cohort.objects.get(name="Counselling Skills — Year 1")
    assert cohort.memberships.filter(role=Role.TRAINEE).count() == 9
    round_ = cohort.rounds.get(status=RoundStatus.PUBLISHED)
    assert PairingMember.objects.filter(round=round_).count() == 9
    assert not round_.pairings.filter(scenario=None).exists()

    response = client.post(
        "/accounts/login/",
        {"login": "trainee1@dyad.test", "password": "practise-empathy"},
        follow=True,
    )
    assert cohort.name in response.content.decode()


def _state(session) -> str:
    return ", ".join(
        f"{r.author.display_name.split()[0]} {r.purpose} r{r.revision}"
        for r in FeedbackResponse.objects.filter(session=session, state="submitted")
        .select_related("author")
        .order_by("author__display_name", "purpose", "revision")
    )


def test_demo_has_an_earlier_round_with_feedback_in_every_state():
    call_command("seed_demo")
    year1 = Cohort.objects.get(name="Counselling Skills — Year 1")
    year2 = Cohort.objects.get(name="Supervision Practice — Year 2")
    earlier = year1.rounds.get(status=RoundStatus.CLOSED)
    sessions = list(earlier.pairings.all().order_by("pk"))
    rows = [
        (
            _state(pairing.sessions.get()),
            hasattr(pairing.sessions.get(), "reveal"),
            pairing.sessions.get().review.flagged,
            pairing.sessions.get().review.reviewed_at is not None,
        )
        for pairing in sessions
    ]

    assert sorted(rows) == sorted(
        [
            ("Aisha client r1, Ben therapist r1", True, False, False),
            ("Chloé client r1, Chloé client r2", False, False, False),
            (
                "Elena client r1, Finn therapist r1, Grace observer r1",
                True,
                True,
                False,
            ),
            (
                "Hamid client r1, Ines therapist r1, Sam supervisor r1, Sam supervisor r1",
                True,
                False,
                True,
            ),
        ]
    )
    assert Reflection.objects.get().goal == "Leave a silence before my next question."
    pending = year2.rounds.get().pairings.get().sessions.get()
    assert (year2.reveal_policy, hasattr(pending, "reveal")) == (RevealPolicy.SUPERVISOR, False)
    assert _state(pending) == "Grace client r1, Hamid therapist r1"

    sam = User.objects.get(email="supervisor1@dyad.test")
    queue = [(row.session.pairing.round.name, bool(row.flags)) for row in review_queue(sam)]
    assert queue == [
        ("Round 0 (practice)", True),
        ("Round 0 (practice)", False),
        ("Practice round", False),
    ]
    assert SessionReview.objects.filter(reviewed_at__isnull=False).count() == 1
    assert FeedbackResponse.objects.filter(purpose=FeedbackPurpose.SUPERVISOR).count() == 2
