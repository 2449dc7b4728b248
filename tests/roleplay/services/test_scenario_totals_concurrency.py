"""Two submits on sessions of the same scenario at the same instant, each in its own thread and
database connection, the first holding its transaction open until the second waits on its lock:
the scenario's totals count both (no lost update), whether or not its totals row existed yet."""

from datetime import timedelta

import pytest
import time_machine

from roleplay.models import ScenarioTally
from roleplay.services import feedback
from roleplay.services.scenario_totals import scenario_totals_rebuild, tallies_from_scratch
from tests.factories import ScenarioFactory
from tests.roleplay.feedback_helpers import (
    answers_for,
    client_and_therapist_drafts,
    ensure_builtin_templates,
)
from tests.roleplay.review_helpers import finished
from tests.roleplay.services.test_feedback_concurrency import overlapping

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("row_exists", [True, False])
def test_two_submits_on_one_scenario_at_once_both_count(cohort, supervisor, row_exists):
    ensure_builtin_templates()
    vignette = ScenarioFactory(owner=supervisor)
    ended = [finished(cohort, supervisor, n, scenario=vignette) for n in (1, 2)]
    if not row_exists:
        ScenarioTally.objects.filter(scenario=vignette).delete()
    with time_machine.travel(ended[1][0].end + timedelta(hours=1), tick=False):
        drafts = [client_and_therapist_drafts(s, ana, ben)[0] for s, ana, ben in ended]

        def submit(draft, likert):
            return lambda: feedback.feedback_submit(
                response=draft,
                author=draft.author,
                answers=answers_for(draft.template, likert=likert),
            )

        overlapping(submit(drafts[0], 2), submit(drafts[1], 5))

    tally = ScenarioTally.objects.get(scenario=vignette)
    fresh = tallies_from_scratch()[vignette.pk]
    assert tally.client_n == fresh["client_n"] == 2
    assert (tally.client_sum, tally.client_sum_sq) == (fresh["client_sum"], fresh["client_sum_sq"])


def test_a_rebuild_outside_any_transaction_takes_its_own(cohort, supervisor):
    # The benchmark's seed calls it with no transaction open (autocommit), where its row locks
    # need one of their own.
    ensure_builtin_templates()
    vignette = ScenarioFactory(owner=supervisor)
    finished(cohort, supervisor, 1, client={"likert": 3}, scenario=vignette)
    ScenarioTally.objects.all().delete()

    assert scenario_totals_rebuild() >= 1

    tally = ScenarioTally.objects.get(scenario=vignette)
    assert (tally.sessions_run, tally.client_n) == (1, 1)
