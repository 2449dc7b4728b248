"""The term plan in the database: solving (claimed once), "Suggest pairs" following a current
plan, re-planning when reality diverges, locks, and the page."""

import itertools
from datetime import timedelta

import pytest

from roleplay.models import PlanState, Role, RoundStatus, TermPlan, TermPlanLock
from roleplay.planning.term_plan import first_repeat, round_by_round
from roleplay.services.pairing import pairings_accept, pairings_suggest, round_publish
from roleplay.services.pairing_algorithm import Group
from roleplay.services.rounds import absence_set
from roleplay.services.term_plans import (
    plan_is_current,
    term_plan_lock_toggle,
    term_plan_request,
    term_plan_solve,
    term_problem,
)
from tests.factories import MembershipFactory, RoundFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _short_solver(settings):
    settings.PLANNER_TIME_LIMIT_SECONDS = 3


@pytest.fixture
def nine(cohort):
    names = ["Ada", "Ben", "Cy", "Dee", "Eve", "Finn", "Gus", "Hal", "Ivy"]
    return [
        MembershipFactory(cohort=cohort, role=Role.TRAINEE, user=UserFactory(display_name=n)).user
        for n in names
    ]


def planned(plan: TermPlan, offset: int) -> list[Group]:
    return [Group(*row) for row in plan.schedule[offset]]


def test_term_plan_solve_makes_the_plan_and_suggest_pairs_follows_it(cohort, nine):
    round_ = RoundFactory(cohort=cohort)
    plan = term_plan_request(cohort=cohort, rounds=10)
    assert term_plan_solve(plan_id=plan.pk) is True
    plan.refresh_from_db()
    assert (plan.state, plan.first_round, len(plan.schedule)) == (PlanState.READY, 0, 10)
    assert pairings_suggest(round_=round_) == planned(plan, 0)


def test_term_plan_solve_twice_solves_once(cohort, nine):
    plan = term_plan_request(cohort=cohort, rounds=4)
    assert [term_plan_solve(plan_id=plan.pk), term_plan_solve(plan_id=plan.pk)] == [True, False]


def test_an_absence_makes_the_plan_out_of_date_and_suggest_pairs_uses_todays(cohort, nine):
    """Reality diverges: until re-planned, the suggestion is today's round-by-round one, which
    leaves the absent trainee out; the re-plan leaves them out too."""
    round_ = RoundFactory(cohort=cohort)
    plan = term_plan_request(cohort=cohort, rounds=6)
    term_plan_solve(plan_id=plan.pk)
    ada = nine[0]
    absence_set(round_=round_, trainee=ada, absent=True)
    plan.refresh_from_db()
    assert plan_is_current(plan) is False
    suggestion = pairings_suggest(round_=round_)
    assert ada.pk not in [m for g in suggestion for m in g.members()]
    assert suggestion != planned(plan, 0)
    term_plan_request(cohort=cohort, rounds=6)
    term_plan_solve(plan_id=plan.pk)
    plan.refresh_from_db()
    assert plan_is_current(plan) is True
    assert ada.pk not in [m for row in plan.schedule[0] for m in row]
    assert pairings_suggest(round_=round_) == planned(plan, 0)


def test_a_published_round_is_kept_and_the_plan_continues_from_it(cohort, nine):
    first = RoundFactory(cohort=cohort, name="Week 1")
    second = RoundFactory(
        cohort=cohort,
        name="Week 2",
        opens=first.opens + timedelta(days=7),
        closes=first.closes + timedelta(days=7),
    )
    plan = term_plan_request(cohort=cohort, rounds=6)
    term_plan_solve(plan_id=plan.pk)
    plan.refresh_from_db()
    pairings_accept(round_=first, groups=pairings_suggest(round_=first))
    round_publish(round_=first)
    first.refresh_from_db()
    assert first.status == RoundStatus.PUBLISHED
    assert plan_is_current(plan) is True  # held exactly as planned: still current
    assert pairings_suggest(round_=second) == planned(plan, 1)


def test_a_locked_cell_is_kept_on_replan(cohort, nine):
    plan = term_plan_request(cohort=cohort, rounds=5)
    term_plan_solve(plan_id=plan.pk)
    plan.refresh_from_db()
    group = planned(plan, 3)[0]
    trainee = next(u for u in nine if u.pk == group.client)
    assert term_plan_lock_toggle(plan=plan, round_number=3, trainee=trainee) is True
    assert term_problem(cohort=cohort, rounds=5, plan=plan).locked == {3: [group]}
    term_plan_request(cohort=cohort, rounds=5)
    term_plan_solve(plan_id=plan.pk)
    plan.refresh_from_db()
    assert group in planned(plan, 3)
    assert TermPlanLock.objects.count() == 1


def test_a_plan_is_never_worse_than_todays_suggestion_for_a_database_cohort(cohort, nine):
    plan = term_plan_request(cohort=cohort, rounds=9)
    term_plan_solve(plan_id=plan.pk)
    plan.refresh_from_db()
    problem = term_problem(cohort=cohort, rounds=9)
    today = first_repeat(round_by_round(problem))
    assert plan.first_repeat >= today
    met = [
        frozenset(p)
        for rows in plan.schedule
        for row in rows
        for p in itertools.combinations([m for m in row if m], 2)
    ]
    assert len(met) - len(set(met)) <= 9 * 2  # the repeats a 9-round term must have, at most
