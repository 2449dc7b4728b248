"""Each scenario's running totals (ScenarioTally) always equal a from-scratch recomputation:
after submits, amendments, a completed session turned no-show, a cancelled session and a
pairing's scenario changing — checked case by case and as a property over any sequence of
submits and amendments."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roleplay.models import (
    FeedbackPurpose,
    Pairing,
    ResponseState,
    RevealPolicy,
    ScenarioTally,
    SessionStatus,
)
from roleplay.selectors.review import scenarios_with_stats
from roleplay.services import booking, feedback, pairing, periodic
from roleplay.services.feedback import AnswerValue
from roleplay.services.scenario_totals import tallies_from_scratch
from tests.factories import MembershipFactory, ScenarioFactory, UserFactory
from tests.roleplay.booking_helpers import NOW, make_pairing
from tests.roleplay.feedback_helpers import START, answers_for
from tests.roleplay.review_helpers import finished

pytestmark = pytest.mark.django_db

FIELDS = [f.name for f in ScenarioTally._meta.concrete_fields if not f.primary_key]
CLIENT, THERAPIST = FeedbackPurpose.CLIENT, FeedbackPurpose.THERAPIST


def stored() -> dict[int, dict]:
    """The stored totals, leaving out rows that count nothing (as if they were not there)."""
    rows = {t.scenario_id: {f: getattr(t, f) for f in FIELDS} for t in ScenarioTally.objects.all()}
    return {pk: row for pk, row in rows.items() if any(row.values())}


def recomputed() -> dict[int, dict]:
    empty = {f: 0 for f in FIELDS}
    return {pk: empty | row for pk, row in tallies_from_scratch().items()}


def answers(template, *, likert=4, realism=None, na=0) -> dict[str, AnswerValue]:
    """A whole form at `likert`, with `realism` (therapist form) and the first `na` Likert items
    of the client form answered "not applicable"."""
    given_answers = answers_for(template, likert=likert)
    if realism is not None and "realism" in given_answers:
        given_answers["realism"] = AnswerValue(value=Decimal(realism))
    likerts = [i.key for i in template.items.all() if i.allow_na][:na]
    return given_answers | {key: AnswerValue(is_na=True) for key in likerts}


def submit_or_amend(session, author, about, purpose, **values):
    """Submit the form, or amend the submitted one and submit the new revision."""
    current = feedback.response_current(
        session=session, author=author, about=about, purpose=purpose
    )
    if current is not None and current.state == ResponseState.SUBMITTED:
        response = feedback.feedback_amend(response=current, author=author)
    else:
        response = feedback.feedback_start(
            session=session, author=author, about=about, purpose=purpose
        )
    return feedback.feedback_submit(
        response=response, author=author, answers=answers(response.template, **values)
    )


def test_submits_add_and_match_the_recomputation(cohort, supervisor):
    vignette = ScenarioFactory(owner=supervisor)
    finished(
        cohort, supervisor, 1, client={"likert": 4}, therapist={"likert": 4}, scenario=vignette
    )
    finished(cohort, supervisor, 2, client={"likert": 2}, therapist=None, scenario=vignette)
    finished(cohort, supervisor, 3, client=None, therapist=None, scenario=vignette)

    tally = ScenarioTally.objects.get(scenario=vignette)
    assert (tally.sessions_run, tally.client_n, tally.realism_n) == (3, 2, 1)
    assert stored() == recomputed()


def test_an_amendment_replaces_the_earlier_revision_never_adds_to_it(cohort, supervisor):
    cohort.reveal_policy = RevealPolicy.SUPERVISOR
    cohort.save()
    vignette = ScenarioFactory(owner=supervisor)
    session, ana, ben = finished(
        cohort, supervisor, 1, client={"likert": 2}, therapist={"likert": 3}, scenario=vignette
    )
    with time_machine.travel(session.end + timedelta(hours=3), tick=False):
        submit_or_amend(session, ana, ben, CLIENT, likert=5)
        submit_or_amend(session, ben, ana, THERAPIST, realism=5)
        submit_or_amend(session, ana, ben, CLIENT, likert=1)

    (stats,) = scenarios_with_stats(vignette.__class__.objects.filter(pk=vignette.pk))
    # The latest client form: nine items at 1, "not judged" reversed to 5, four sliders at 8.
    assert (stats.client_scores, stats.mean_client_score) == (1, Decimal("46.00"))
    assert stats.mean_realism == Decimal(5)
    assert stored() == recomputed()


def test_an_amendment_whose_total_is_not_scorable_takes_the_earlier_total_away(cohort, supervisor):
    cohort.reveal_policy = RevealPolicy.SUPERVISOR
    cohort.save()
    vignette = ScenarioFactory(owner=supervisor)
    session, ana, ben = finished(cohort, supervisor, 1, client={"likert": 4}, scenario=vignette)
    with time_machine.travel(session.end + timedelta(hours=3), tick=False):
        submit_or_amend(session, ana, ben, CLIENT, na=3)  # more N/A than the 2 imputed

    assert ScenarioTally.objects.get(scenario=vignette).client_n == 0
    assert stored() == recomputed()


def test_a_completed_session_marked_no_show_no_longer_counts_as_run(cohort, supervisor):
    vignette = ScenarioFactory(owner=supervisor)
    session, ana, _ = finished(cohort, supervisor, 1, scenario=vignette)
    assert ScenarioTally.objects.get(scenario=vignette).sessions_run == 1

    booking.session_mark_no_show(session=session, supervisor=supervisor, absent=[ana])

    assert ScenarioTally.objects.get(scenario=vignette).sessions_run == 0
    assert stored() == recomputed()


def test_a_cancelled_session_never_counts(cohort, supervisor):
    vignette = ScenarioFactory(owner=supervisor)
    ana, ben = (MembershipFactory(cohort=cohort, user=UserFactory()).user for _ in range(2))
    with time_machine.travel(NOW, tick=False):
        made = make_pairing(cohort, ana, ben)
        Pairing.objects.filter(pk=made.pk).update(scenario=vignette)
        made.refresh_from_db()
        session = booking.session_schedule_directly(
            pairing=made, supervisor=supervisor, start=START
        )
        booking.session_cancel(session=session, user=supervisor, reason="Room flooded.")
    with time_machine.travel(session.end + timedelta(hours=1), tick=False):
        periodic.sessions_complete()

    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert stored() == recomputed() == {}


def test_a_pairing_given_another_scenario_takes_its_sessions_along(cohort, supervisor):
    first, second = ScenarioFactory(owner=supervisor), ScenarioFactory(owner=supervisor)
    session, ana, _ = finished(
        cohort, supervisor, 1, client={"likert": 4}, therapist={"likert": 4}, scenario=first
    )
    made = session.pairing
    made.client_chooses = True
    made.save()
    made.round.scenarios.set([first, second])

    pairing.pairing_choose_scenario(pairing=made, trainee=ana, scenario=second)

    assert ScenarioTally.objects.get(scenario=first).sessions_run == 0
    assert ScenarioTally.objects.get(scenario=second).sessions_run == 1
    assert stored() == recomputed()


def test_the_backfill_rebuilds_totals_written_around_the_services(cohort, supervisor):
    from roleplay.services.scenario_totals import scenario_totals_rebuild

    vignette = ScenarioFactory(owner=supervisor)
    finished(
        cohort, supervisor, 1, client={"likert": 3}, therapist={"likert": 3}, scenario=vignette
    )
    expected = stored()
    ScenarioTally.objects.all().delete()

    scenario_totals_rebuild()

    assert stored() == expected


# --- any sequence ------------------------------------------------------------------------------


@pytest.fixture
def four_sessions(cohort, supervisor):
    """Four completed sessions without feedback, two on each of two scenarios; the cohort's
    feedback waits for a supervisor's release, so every form can be amended."""
    cohort.reveal_policy = RevealPolicy.SUPERVISOR
    cohort.save()
    scenarios = [ScenarioFactory(owner=supervisor) for _ in range(2)]
    return [finished(cohort, supervisor, n + 1, scenario=scenarios[n % 2]) for n in range(4)]


step = st.tuples(
    st.integers(0, 3),
    st.sampled_from([CLIENT, THERAPIST]),
    st.integers(1, 5),  # every Likert answer
    st.integers(1, 5),  # the realism answer
    st.integers(0, 4),  # client items answered N/A (over 2 makes the total not scorable)
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, max_size=8))
def test_any_sequence_of_submits_and_amendments_matches_the_recomputation(four_sessions, steps):
    with transaction.atomic():
        when = four_sessions[-1][0].end + timedelta(hours=2)
        with time_machine.travel(when, tick=False):
            for number, purpose, likert, realism, na in steps:
                session, ana, ben = four_sessions[number]
                author, about = (ana, ben) if purpose == CLIENT else (ben, ana)
                values = {"likert": likert, "realism": realism}
                if purpose == CLIENT:
                    values["na"] = na
                submit_or_amend(session, author, about, purpose, **values)
        assert stored() == recomputed()
        transaction.set_rollback(True)
