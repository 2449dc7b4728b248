from collections import Counter
from datetime import timedelta
from decimal import Decimal as D
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from roleplay.models import (
    CareFlag,
    Cohort,
    FeedbackPurpose,
    FeedbackResponse,
    PairingMember,
    Recording,
    Reflection,
    RevealPolicy,
    Role,
    RoundStatus,
    Session,
    SessionReview,
    SessionStatus,
)
from roleplay.selectors.cohort_progress import cohort_progress
from roleplay.selectors.record import care_flags, session_timeline
from roleplay.selectors.review import review_queue
from roleplay.services.pairing import pairings_suggest
from roleplay.services.rounds import round_create

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
    earlier = year1.rounds.get(name="Round 0 (practice)")
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
    assert (
        Reflection.objects.get(session__pairing__round=earlier).goal
        == "Leave a silence before my next question."
    )
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
    reviewed = SessionReview.objects.filter(
        reviewed_at__isnull=False, session__pairing__round=earlier
    )
    assert reviewed.count() == 1
    assert FeedbackResponse.objects.filter(purpose=FeedbackPurpose.SUPERVISOR).count() == 2


def test_demo_has_a_term_of_progress_a_recording_and_an_open_care_request():
    call_command("seed_demo")
    year1 = Cohort.objects.get(name="Counselling Skills — Year 1")
    aisha = User.objects.get(email="trainee1@dyad.test")
    sam = User.objects.get(email="supervisor1@dyad.test")

    # A term: eight weekly rounds, Aisha the therapist in four, every session's feedback in.
    weeks = list(year1.rounds.filter(name__startswith="Week ").order_by("opens"))
    assert [r.name for r in weeks] == [f"Week {n}" for n in range(1, 9)]
    starts = [r.pairings.get(members__trainee=aisha).sessions.get().start for r in weeks]
    assert all(abs(b - a - timedelta(days=7)) < timedelta(hours=12) for a, b in pairwise(starts))
    progress = cohort_progress(year1, shows_care=True)
    row = next(r for r in progress.rows if r.user == aisha)
    # Her clients felt more understood (answers 2, 3, 4, 5), her gap closing to 0.
    assert row.client_scores == [D(22), D(30), D(38), D(46)]
    assert row.gaps == [D(-24), D(-16), D(0), D(0)]
    assert (row.submitted, row.due, row.on_time) == (9, 9, 9)
    tried = Reflection.objects.filter(trainee=aisha).exclude(goal_tried="")
    assert tried.count() == 7  # each week's goal asked about at the next week's session
    assert not Session.objects.filter(
        pairing__round__in=weeks, status=SessionStatus.COMPLETED, reveal__isnull=True
    ).exists()

    # The cohort view lists Grace (falling, widening), Hamid (no-show), Elena (care request).
    attention = {r.user.display_name: [a.kind for a in r.attention] for r in progress.attention}
    assert attention == {
        "Grace Liu": ["falling", "gap"],
        "Hamid Karimi": ["missed"],
        "Elena Rossi": ["care"],
    }

    # A recording with both consents, two comments, and the steps in the session's timeline.
    recording = Recording.objects.get(deleted_at__isnull=True)
    assert recording.file.read(12)[8:12] == b"WAVE"
    assert round(recording.duration_seconds) == 6
    session = recording.session
    assert set(session.consents.values_list("user__email", flat=True)) == {
        "trainee1@dyad.test",
        "trainee2@dyad.test",
    }
    assert [(c.timestamp, c.text) for c in recording.comments.all()] == [
        ("0:02", "Good reflection of feeling."),
        ("0:04", "Here I jumped to advice."),
    ]
    kinds = [e.kind for e in session_timeline(session)]
    for kind in ("ended", "feedback_submitted", "revealed", "consent_given", "recording_uploaded"):
        assert kind in kinds
    flag = CareFlag.objects.get()
    assert (flag.raised_by.email, flag.acknowledged_at) == ("trainee5@dyad.test", None)
    assert care_flags(flag.session, sam)

    call_command("seed_demo")
    assert Recording.objects.count() == 1
    assert year1.rounds.filter(name__startswith="Week ").count() == 8


def test_the_demo_cohort_can_be_paired_for_its_next_round():
    """The demo's history keeps every trainee's client and therapist turns within one, as Dyad's
    own pairing does, so a newcomer's "Suggest pairs" on a new round has an answer."""
    call_command("seed_demo")
    year1 = Cohort.objects.get(name="Counselling Skills — Year 1")
    turns = Counter(
        PairingMember.objects.filter(round__cohort=year1).values_list("trainee_id", "role")
    )
    trainees = year1.memberships.filter(role=Role.TRAINEE).values_list("user_id", flat=True)
    for user_id in trainees:
        assert abs(turns[user_id, "client"] - turns[user_id, "therapist"]) <= 1, user_id
    now = timezone.now()
    next_round = round_create(
        cohort=year1,
        name="Round 2",
        opens=now + timedelta(days=22),
        closes=now + timedelta(days=43),
    )
    groups = pairings_suggest(round_=next_round)
    assert sorted(m for group in groups for m in group.members()) == sorted(trainees)
