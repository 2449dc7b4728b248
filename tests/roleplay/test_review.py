"""The supervisor's review queue (flags, order, who sees it), the review itself (template 4 first,
marked reviewed, trainees told once) and the scenario library's figures from feedback."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction
from django.urls import reverse

from roleplay.models import (
    FeedbackPurpose,
    FeedbackResponse,
    FeedbackReveal,
    Message,
    MessageKind,
    RevealPolicy,
    Role,
    Session,
    SessionReview,
)
from roleplay.selectors.review import queue_sessions, review_queue, scenarios_with_stats
from roleplay.services import feedback, review
from roleplay.services.feedback import AnswerValue, FeedbackRefused
from tests.factories import CohortFactory, MembershipFactory, ScenarioFactory, UserFactory
from tests.roleplay.feedback_helpers import START
from tests.roleplay.review_helpers import finished, rate_as_supervisor

pytestmark = pytest.mark.django_db

GOOD = {"likert": 4, "slider": "9.5"}
LOW = {"likert": 2, "slider": "2.0"}
LATER = START + timedelta(days=30)


def flashed(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def queue_titles(user, now=LATER):
    return [(row.session.pairing.round.name, row.flags) for row in review_queue(user, now=now)]


def test_queue_lists_complete_sessions_flagged_first(cohort, supervisor):
    finished(cohort, supervisor, 1, client=GOOD, therapist=GOOD)
    finished(cohort, supervisor, 2, client=LOW, therapist=GOOD)
    finished(cohort, supervisor, 3, client=GOOD, therapist={"likert": 1})

    assert queue_titles(supervisor) == [
        (
            "Round 2",
            [
                "Low client-rated score: 30 (on 14 items)",
                "Large self-vs-client gap: the client felt less understood than the therapist "
                "believed (-16 over 10 items)",
                "Session rating 36 or less: discuss in supervision (default rule)",
                "Felt unsafe (2 or less): check in with both (default rule)",
            ],
        ),
        (
            "Round 3",
            [
                "Large self-vs-client gap: the client felt more understood than the therapist "
                "believed (24 over 10 items)"
            ],
        ),
        ("Round 1", []),
    ]


def test_queue_waits_for_complete_feedback_or_the_closed_window(cohort, supervisor):
    session, _, _ = finished(cohort, supervisor, 1, client=GOOD, therapist=None)
    closes = feedback.window_closes_at(session)

    assert queue_titles(supervisor, now=closes - timedelta(minutes=1)) == []
    assert queue_titles(supervisor, now=closes) == [
        ("Round 1", ["A form is still missing and the window has closed"])
    ]


def test_a_missing_form_past_the_window_comes_before_unflagged_sessions(cohort, supervisor):
    finished(cohort, supervisor, 1, client=GOOD, therapist=GOOD)
    finished(cohort, supervisor, 2, client=None, therapist=None)

    assert [name for name, _ in queue_titles(supervisor)] == ["Round 2", "Round 1"]


def test_queue_shows_only_the_supervisors_own_cohorts(cohort, supervisor):
    finished(cohort, supervisor, 1, client=GOOD, therapist=GOOD)
    other = UserFactory(is_supervisor=True)
    MembershipFactory(cohort=CohortFactory(), user=other, role=Role.SUPERVISOR)
    ended_supervisor = UserFactory(is_supervisor=True)
    membership = MembershipFactory(cohort=cohort, user=ended_supervisor, role=Role.SUPERVISOR)
    membership.ended_at = START
    membership.save()

    assert queue_titles(other) == []
    assert queue_titles(ended_supervisor) == []
    assert [name for name, _ in queue_titles(UserFactory(is_programme_admin=True))] == ["Round 1"]


def test_an_amendment_refreshes_the_flags(cohort, supervisor):
    session, ana, ben = finished(cohort, supervisor, 1, client=LOW, therapist=None)
    assert SessionReview.objects.get(session=session).flagged is True
    with time_machine.travel(session.end + timedelta(hours=2), tick=False):
        current = feedback.response_current(
            session=session, author=ana, about=ben, purpose=FeedbackPurpose.CLIENT
        )
        draft = feedback.feedback_amend(response=current, author=ana)
        answers = {a.item.key: AnswerValue(value=Decimal(5)) for a in draft.answers.all()}
        answers |= {
            key: AnswerValue(value=Decimal(10))
            for key in ("rating_heard", "rating_goals", "rating_approach", "rating_overall")
        }
        answers |= {a.item.key: AnswerValue(text=a.text) for a in draft.answers.all() if a.text}
        feedback.feedback_submit(response=draft, author=ana, answers=answers)

    assert SessionReview.objects.get(session=session).flags == []


def test_review_needs_template_4_for_each_trainee_first(cohort, supervisor):
    session, ana, _ = finished(cohort, supervisor, 1, client=GOOD, therapist=GOOD)
    rate_as_supervisor(session, supervisor, ana)

    with pytest.raises(FeedbackRefused) as refused:
        review.session_review(session=session, supervisor=supervisor)

    assert refused.value.reason == "Add your supervisor feedback about Ben 1 first."
    assert SessionReview.objects.get(session=session).reviewed_at is None


def test_review_marks_reviewed_and_tells_each_trainee_once(cohort, supervisor):
    session, ana, ben = finished(cohort, supervisor, 1, client=GOOD, therapist=GOOD)
    with time_machine.travel(LATER, tick=False):
        rate_as_supervisor(session, supervisor, ana)
        rate_as_supervisor(session, supervisor, ben)
        review.session_review(session=session, supervisor=supervisor)
        with pytest.raises(FeedbackRefused):
            review.session_review(session=session, supervisor=supervisor)

    stored = SessionReview.objects.get(session=session)
    assert (stored.reviewed_by, stored.reviewed_at) == (supervisor, LATER)
    told = Message.objects.filter(kind=MessageKind.FEEDBACK_REVIEWED).order_by("recipient_id")
    assert [(m.recipient.name, m.subject) for m in told] == [
        ("Ana 1", "Your supervisor has reviewed your session"),
        ("Ben 1", "Your supervisor has reviewed your session"),
    ]
    assert queue_titles(supervisor) == []


def test_review_under_supervisor_release_releases_the_feedback(cohort, supervisor):
    cohort.reveal_policy = RevealPolicy.SUPERVISOR
    cohort.save()
    session, ana, ben = finished(cohort, supervisor, 1, client=GOOD, therapist=GOOD)
    assert [row.release_pending for row in review_queue(supervisor, now=LATER)] == [True]
    rate_as_supervisor(session, supervisor, ana)
    rate_as_supervisor(session, supervisor, ben)

    review.session_review(session=session, supervisor=supervisor)

    assert FeedbackReveal.objects.get(session=session).released_by == supervisor


def test_queue_page_and_review_page_for_the_supervisor(client, cohort, supervisor):
    session, ana, ben = finished(cohort, supervisor, 1, client=LOW, therapist=GOOD)
    with time_machine.travel(LATER, tick=False):
        client.force_login(supervisor)
        page = client.get(reverse("review_queue")).content.decode()
        assert "Low client-rated score: 30 (on 14 items)" in page
        assert reverse("session_review", args=[session.pk]) in page

        refused = client.post(reverse("session_review", args=[session.pk]), follow=True)
        assert flashed(refused) == ["Add your supervisor feedback about Ana 1 and Ben 1 first."]
        rate_as_supervisor(session, supervisor, ana)
        rate_as_supervisor(session, supervisor, ben)
        done = client.post(reverse("session_review", args=[session.pk]), follow=True)

    assert flashed(done) == ["Reviewed. The trainees have been told."]
    assert "Nothing to review." in done.content.decode()


def test_trainees_and_other_supervisors_get_404(client, cohort, supervisor, outsider):
    session, ana, _ = finished(cohort, supervisor, 1, client=GOOD, therapist=GOOD)
    stranger = UserFactory(is_supervisor=True)
    MembershipFactory(cohort=CohortFactory(), user=stranger, role=Role.SUPERVISOR)
    for user in (ana, outsider, stranger):
        client.force_login(user)
        review_page = client.get(reverse("session_review", args=[session.pk]))
        post = client.post(reverse("session_review", args=[session.pk]))
        assert (review_page.status_code, post.status_code) == (404, 404)
    for user in (ana, outsider):
        client.force_login(user)
        assert client.get(reverse("review_queue")).status_code == 404
    assert SessionReview.objects.get(session=session).reviewed_at is None


def test_review_clears_awaiting_review_and_the_queue_reads_only_that(cohort, supervisor):
    session, ana, ben = finished(cohort, supervisor, 1, client=GOOD, therapist=GOOD)
    other, _, _ = finished(cohort, supervisor, 2, client=GOOD, therapist=GOOD)
    assert (session.awaiting_review, other.awaiting_review) == (True, True)
    rate_as_supervisor(session, supervisor, ana)
    rate_as_supervisor(session, supervisor, ben)

    review.session_review(session=session, supervisor=supervisor)

    session.refresh_from_db()
    assert session.awaiting_review is False
    # The queue's candidates are the sessions awaiting review, whatever their review row says.
    Session.objects.filter(pk=other.pk).update(awaiting_review=False)
    assert queue_titles(supervisor) == []


def test_the_queue_query_starts_from_the_to_review_index(cohort, supervisor):
    """At 2,000,000 answers the queue took 23x a minimal view: it walked every completed session
    of the cohort to find the unreviewed ones. Its candidates now come from a partial index of
    the completed sessions awaiting review (with sequential scans off, so the plan shows whether
    the query can use it at all on this small data)."""
    finished(cohort, supervisor, 1, client=GOOD, therapist=GOOD)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queue_sessions(supervisor, now=LATER).explain()
    assert "session_to_review_idx" in plan


@pytest.mark.parametrize("n", [1, 3])
def test_queue_page_queries_do_not_grow(client, cohort, supervisor, n, django_assert_num_queries):
    for i in range(n):
        finished(cohort, supervisor, i + 1, client=LOW if i % 2 else GOOD, therapist=GOOD)
    with time_machine.travel(LATER, tick=False):
        client.force_login(supervisor)
        with django_assert_num_queries(5):
            page = client.get(reverse("review_queue")).content.decode()
    assert page.count('class="flags"') + page.count('<span class="muted">None</span>') == n


# --- scenarios learn from feedback -----------------------------------------------------------


def test_scenario_figures_from_stored_scores(cohort, supervisor):
    vignette = ScenarioFactory(title="Vignette", owner=supervisor)
    unused = ScenarioFactory(title="Unused", owner=supervisor)
    finished(cohort, supervisor, 1, client=GOOD, therapist={"likert": 4}, scenario=vignette)
    finished(cohort, supervisor, 2, client=LOW, therapist={"likert": 2}, scenario=vignette)
    finished(cohort, supervisor, 3, client=None, therapist=None, scenario=vignette)

    stats = {
        s.title: (s.sessions_run, s.mean_realism, s.mean_client_score, s.client_score_spread)
        for s in scenarios_with_stats(
            vignette.__class__.objects.filter(pk__in=[vignette.pk, unused.pk])
        )
    }

    # Client totals ("not judged" is reverse-scored): 9 × 4 + 2 + 4 × 9.5 = 76 and
    # 9 × 2 + 4 + 4 × 2 = 30; the spread is their sample standard deviation, 46 / √2.
    assert stats["Vignette"][:3] == (3, Decimal("3.00"), Decimal("53.00"))
    assert round(stats["Vignette"][3], 2) == Decimal("32.53")
    assert stats["Unused"] == (0, None, None, None)


def test_scenario_figures_count_the_latest_revision_only(cohort, supervisor):
    vignette = ScenarioFactory(title="Vignette", owner=supervisor)
    session, ana, ben = finished(
        cohort, supervisor, 1, client=LOW, therapist=None, scenario=vignette
    )
    with time_machine.travel(session.end + timedelta(hours=2), tick=False):
        current = feedback.response_current(
            session=session, author=ana, about=ben, purpose=FeedbackPurpose.CLIENT
        )
        draft = feedback.feedback_amend(response=current, author=ana)
        answers = {a.item.key: AnswerValue(value=a.value, text=a.text) for a in draft.answers.all()}
        answers["rating_overall"] = AnswerValue(value=Decimal("10.0"))
        feedback.feedback_submit(response=draft, author=ana, answers=answers)

    assert FeedbackResponse.objects.filter(session=session, purpose="client").count() == 2
    (stats,) = scenarios_with_stats(vignette.__class__.objects.filter(pk=vignette.pk))
    assert (stats.mean_client_score, stats.client_scores) == (Decimal("38.00"), 1)


def test_scenario_library_shows_the_figures(client, cohort, supervisor):
    vignette = ScenarioFactory(title="Vignette", owner=supervisor)
    finished(cohort, supervisor, 1, client=GOOD, therapist={"likert": 4}, scenario=vignette)
    client.force_login(supervisor)

    page = client.get(reverse("scenario_list")).content.decode()

    assert "<td>1</td>" in page
    assert "4.0 of 5" in page
    assert "mean 76.0" in page


@pytest.mark.parametrize("n", [1, 3])
def test_scenario_library_queries_do_not_grow(
    client, cohort, supervisor, n, django_assert_num_queries
):
    for i in range(n):
        scenario = ScenarioFactory(owner=supervisor)
        finished(cohort, supervisor, i + 1, client=GOOD, therapist=GOOD, scenario=scenario)
    client.force_login(supervisor)
    client.get(reverse("scenario_list"))
    # Session, user, the library check and the scenarios with their running totals joined.
    with django_assert_num_queries(4):
        page = client.get(reverse("scenario_list")).content.decode()
    assert page.count("mean 76.0") == n
