"""Triad fairness, second half: nobody in the triad two rounds running when it can be avoided.

The least number of back-to-back triad turns is decided exactly here (CP-SAT over the planner's
own model, or counting), *given* the planner's higher objectives: the latest first repeat, the
fewest repeat pairs and triad turns within one of each other:

* 5 trainees: two triads of 3 among 5 share someone, so 4 turns in 5 rounds (counting);
* 7 trainees: 3 (CP-SAT proves 2 impossible);
* 9 trainees: 1 (CP-SAT proves 0 impossible: the 6 repeat-free rounds hold every pair once).

The planner ranks repeats as far apart as possible above the triad (issue 12's order of
objectives): it never buys a back-to-back turn fewer with a pair meeting two rounds running. So
it reaches 1 for 9 trainees but leaves 8 for 5 and 6 for 7, where those minimums need closer
repeats (KEPT_APART below).

No database. A solve that runs out of time fails the test rather than passing it.
"""

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from roleplay.planning.term_plan import (
    TermProblem,
    _Model,
    first_repeat,
    meetings_running,
    plan_back_to_back,
    plan_term,
)
from roleplay.planning.triads import back_to_back, back_to_back_floor

pytestmark = pytest.mark.no_cover  # see test_term_plan.py: the planner is timed

# Per odd cohort: (first repeat, fewest repeat pairs) the planner reaches (README table).
HIGHER = {5: (2, 10), 7: (4, 14), 9: (7, 18)}


def cohort(n: int) -> list[tuple[int, str]]:
    return [(i, f"T{i}") for i in range(1, n + 1)]


def fewest_back_to_back(n: int, seconds: float, below: int | None = None):
    """CP-SAT status and value: the fewest back-to-back triad turns over a term of n rounds for
    n trainees with the first repeat and repeat count of ``HIGHER`` and triad turns within one.
    With ``below``: only whether a plan with fewer than ``below`` turns exists.

    Round 1 is fixed as {1,2,3} + (4,5), (6,7), ... : any plan can be renamed to start so, which
    makes the proofs quick."""
    first, repeats = HIGHER[n]
    problem = TermProblem(trainees=cohort(n), rounds=n)
    model = _Model(problem, n)
    m = model.m
    excess = []
    for _pair, meetings in model.pairs_by_pair().items():
        m.Add(sum(v for r, v in meetings if r < first - 1) <= 1)
        extra = m.NewIntVar(0, len(meetings), "")
        m.Add(extra >= sum(v for _, v in meetings) - 1)
        excess.append(extra)
    m.Add(sum(excess) <= repeats)
    turns = [sum(v for (r, t), v in model.triad.items() if t == tid) for tid in range(1, n + 1)]
    for a, b in itertools.permutations(turns, 2):
        m.Add(a - b <= 1)
    again = []
    for (r, tid), v in model.triad.items():
        if (r - 1, tid) in model.triad:
            both = m.NewBoolVar("")
            m.AddMultiplicationEquality(both, [v, model.triad[r - 1, tid]])
            again.append(both)
    for pair in [(1, 2), (1, 3), (2, 3)] + [(k, k + 1) for k in range(4, n, 2)]:
        m.Add(model.x[0, frozenset(pair)] == 1)
    if below is None:
        m.Minimize(sum(again))
    else:
        m.Add(sum(again) < below)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    status = solver.Solve(m)
    value = solver.ObjectiveValue() if below is None and status == cp_model.OPTIMAL else None
    return status, value


@settings(max_examples=200, deadline=None)
@given(st.integers(5, 12), st.integers(2, 8), st.randoms(use_true_random=False))
def test_the_floor_never_exceeds_the_back_to_back_turns_of_any_triads(n, rounds, rnd):
    present = [
        sorted(rnd.sample(range(n), rnd.choice([k for k in (3, 5, 7, 9, 11) if k <= n])))
        for _ in range(rounds)
    ]
    triads = [rnd.sample(p, 3) for p in present]
    assert back_to_back_floor(present) <= back_to_back(triads)


def test_back_to_back_counts_people_in_two_triads_running():
    assert back_to_back([{1, 2, 3}, {3, 4, 5}, {3, 4, 6}, set(), {3, 4, 6}]) == 1 + 2
    assert back_to_back_floor([range(5)] * 5) == 4  # 5 trainees: one shared every round
    assert back_to_back_floor([range(7)] * 7) == 0


def test_seven_cannot_do_with_fewer_than_three_back_to_back_turns():
    status, value = fewest_back_to_back(7, seconds=60)
    assert status == cp_model.OPTIMAL
    assert value == 3


def test_nine_cannot_do_without_a_back_to_back_turn():
    status, _ = fewest_back_to_back(9, seconds=60, below=1)
    assert status == cp_model.INFEASIBLE


# (most back-to-back triad turns, most pairs meeting two rounds running) the planner may leave.
# Repeats as far apart as possible rank above the triad's spread (issue 12's order), so the
# triad stage may not buy fewer back-to-back turns with closer repeats: with 7 trainees 3 turns
# are possible only if six pairs meet two rounds running; the planner keeps none and gives 6.
KEPT_APART = {5: (8, 4), 7: (6, 0), 9: (1, 3)}


@pytest.mark.parametrize("n", [5, 7, 9])
def test_plan_term_keeps_repeats_apart_then_seats_the_triad_fairly(n):
    problem = TermProblem(trainees=cohort(n), rounds=n)
    plan = plan_term(problem, time_limit=30)
    assert (plan.first_repeat, plan.repeats) == HIGHER[n]  # the higher objectives kept
    turns = plan.triad_turns.values()
    assert max(turns) - min(turns) <= 1
    most_back_to_back, most_running = KEPT_APART[n]
    assert meetings_running(plan.rounds) <= most_running
    assert plan_back_to_back(problem, plan) <= most_back_to_back


def test_plan_term_shares_the_triad_within_one_when_todays_suggestion_has_no_repeat_either():
    """31 trainees over 21 rounds: today's suggestion also has no repeat, and the plan used to be
    it, with triad turns 1-4; the rotation's 2-3 is as good on repeats and fairer."""
    problem = TermProblem(trainees=cohort(31), rounds=21)
    plan = plan_term(problem, time_limit=10)
    assert plan.first_repeat is None
    turns = [plan.triad_turns.get(tid, 0) for tid, _ in problem.trainees]
    assert (min(turns), max(turns)) == (2, 3)
    assert plan_back_to_back(problem, plan) == 0


@pytest.mark.parametrize("seed", range(4))
def test_plan_term_keeps_the_triad_within_one_and_never_twice_running_for_larger_cohorts(seed):
    rnd = random.Random(seed)
    n = rnd.choice([11, 13, 15, 21, 31])
    problem = TermProblem(trainees=cohort(n), rounds=rnd.randint(n // 2, n + 3))
    plan = plan_term(problem, time_limit=5)
    turns = [plan.triad_turns.get(tid, 0) for tid, _ in problem.trainees]
    assert max(turns) - min(turns) <= 1
    assert plan_back_to_back(problem, plan) == 0
    assert first_repeat(plan.rounds) is None or first_repeat(plan.rounds) > 1
