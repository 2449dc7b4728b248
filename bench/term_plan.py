"""Term planner benchmarks: the first repeat a plan reaches against the counting bound and
against today's round-by-round suggestion, and the seconds each plan takes (wall and CPU: the
machine is shared, so wall time alone says little; CPU counts both solver threads).

Pure Python (``roleplay.planning.term_plan``). The full run (the default) takes about 40 minutes:
every odd n from 5 to 41 (``BENCH_PLANNER_SECONDS`` per plan, default 30, as
``PLANNER_TIME_LIMIT_SECONDS``), even cohorts of 10-40 stable, with the first round edited and
with one trainee absent in round 1 (3 seeds each, ``BENCH_PLANNER_EVEN_SECONDS``, default 10),
and 200 random terms (``BENCH_PLANNER_RANDOM_SECONDS``, default 5). ``BENCH_PLANNER_QUICK=1``
runs a few of each in a few minutes. A plan runs to its time limit unless it reaches the
fewest repeats possible; "horizon at" is when it had its first repeat where it ends up.
"""

import itertools
import os
import random
import statistics
import time

from roleplay.planning.term_plan import (
    TermProblem,
    counting_bound,
    first_repeat,
    plan_back_to_back,
    plan_term,
    round_by_round,
)
from roleplay.services.pairing_algorithm import Group, PairingImpossible

Row = tuple[str, float, str]
# The fewest back-to-back triad turns (someone in the triad two rounds running) an odd cohort's
# term of n rounds can have at the planner's first repeat and repeat count with triad turns
# within one: 5 by counting, 7 and 9 proven by CP-SAT in tests/roleplay/planning/
# test_back_to_back.py; 0 from 11 on, which the plans reach.
FEWEST_BACK_TO_BACK = {5: 4, 7: 3, 9: 1}
FULL = os.environ.get("BENCH_PLANNER_QUICK") != "1"
SECONDS = float(os.environ.get("BENCH_PLANNER_SECONDS", "30"))
EVEN_SECONDS = float(os.environ.get("BENCH_PLANNER_EVEN_SECONDS", "10"))
RANDOM_SECONDS = float(os.environ.get("BENCH_PLANNER_RANDOM_SECONDS", "5"))
SEED = 2024
details: dict = {}


def cohort(n: int) -> list[tuple[int, str]]:
    return [(i, f"Trainee {i}") for i in range(1, n + 1)]


def shown(found: int | None) -> str:
    return "none" if found is None else str(found)


def timed_plan(problem: TermProblem, seconds: float = SECONDS):
    """(wall seconds, plan); the CPU seconds of the last plan are in ``LAST_CPU[0]``."""
    start, cpu = time.perf_counter(), time.process_time()
    plan = plan_term(problem, time_limit=seconds)
    LAST_CPU[0] = time.process_time() - cpu
    return time.perf_counter() - start, plan


LAST_CPU = [0.0]


def bench_odd(n: int) -> Row:
    """A stable odd cohort over a term of n rounds."""
    problem = TermProblem(trainees=cohort(n), rounds=n)
    today = first_repeat(round_by_round(problem))
    seconds, plan = timed_plan(problem)
    triads = [plan.triad_turns.get(tid, 0) for tid, _ in problem.trainees]
    observers = [plan.observer_turns.get(tid, 0) for tid, _ in problem.trainees]
    again = plan_back_to_back(problem, plan)
    fewest = FEWEST_BACK_TO_BACK.get(n, 0)
    note = (
        f"first repeat {shown(plan.first_repeat)} (bound {counting_bound(problem) + 1}, "
        f"today {shown(today)}){' proven' if plan.proven_horizon else ''}; "
        f"horizon at {plan.horizon_seconds or 0:.1f} s; CPU {LAST_CPU[0]:.1f} s; "
        f"repeats {plan.repeats}; "
        f"triad turns {min(triads)}-{max(triads)}, back-to-back triad turns {again} "
        f"(fewest possible {fewest}); "
        f"observer turns {min(observers)}-{max(observers)}; {plan.source}"
    )
    details.setdefault("odd", {})[n] = {
        "first_repeat": plan.first_repeat,
        "bound": counting_bound(problem) + 1,
        "today": today,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(LAST_CPU[0], 2),
        "horizon_seconds": round(plan.horizon_seconds or 0, 2),
        "repeats": plan.repeats,
        "triad_turns": [min(triads), max(triads)],
        "back_to_back_triad_turns": again,
        "fewest_back_to_back": fewest,
        "observer_turns": [min(observers), max(observers)],
    }
    return f"odd cohort: {n} trainees, {n} rounds", seconds, note


def bench_even_stable(n: int) -> Row:
    problem = TermProblem(trainees=cohort(n), rounds=n - 1)
    seconds, plan = timed_plan(problem, EVEN_SECONDS)
    note = (
        f"first repeat {shown(plan.first_repeat)}, repeats {plan.repeats}; "
        f"CPU {LAST_CPU[0]:.1f} s; {plan.source}"
    )
    details.setdefault("even_stable", {})[n] = {
        "first_repeat": plan.first_repeat,
        "repeats": plan.repeats,
        "seconds": round(seconds, 2),
    }
    return f"even stable: {n} trainees, {n - 1} rounds", seconds, note


def edited_first_round(n: int, seed: int) -> TermProblem:
    """An even cohort whose supervisor arranged the first round by hand (a random matching)."""
    rnd = random.Random(seed)
    ids = [tid for tid, _ in cohort(n)]
    rnd.shuffle(ids)
    held = [[Group(client=ids[k], therapist=ids[k + 1]) for k in range(0, n, 2)]]
    return TermProblem(trainees=cohort(n), rounds=n, held=held)


def one_absent_first_round(n: int, seed: int) -> TermProblem:
    """An even cohort where one trainee missed round 1 (held, chosen by today's suggestion)."""
    rnd = random.Random(seed)
    away = rnd.randint(1, n)
    first = TermProblem(trainees=cohort(n), rounds=1, absent={0: {away}})
    held = round_by_round(first)
    return TermProblem(trainees=cohort(n), rounds=n, held=held)


def bench_disturbed(kind: str, n: int, seeds: range) -> Row:
    make = edited_first_round if kind == "first round edited" else one_absent_first_round
    plans, todays, times, cpus = [], [], [], []
    for seed in seeds:
        problem = make(n, seed)
        todays.append(first_repeat([*problem.held, *round_by_round(problem)]))
        seconds, plan = timed_plan(problem, EVEN_SECONDS)
        times.append(seconds)
        cpus.append(LAST_CPU[0])
        plans.append(plan.first_repeat)
    note = (
        f"first repeat (seeds {seeds.start}-{seeds.stop - 1}): plan "
        f"{', '.join(map(shown, plans))}; today {', '.join(map(shown, todays))}; "
        f"most possible {n if kind == 'first round edited' else n - 1}; "
        f"{EVEN_SECONDS:.0f} s limit, CPU up to {max(cpus):.1f} s"
    )
    details.setdefault("disturbed", {}).setdefault(kind, {})[n] = {
        "plan": plans,
        "today": todays,
        "seconds": [round(t, 2) for t in times],
    }
    return f"{kind}: {n} trainees, {n} rounds", max(times), note + "; slowest plan"


def random_term(rnd: random.Random) -> TermProblem:
    """10 % random absences per round, 5 % of pairs do-not-pair."""
    n = rnd.randint(6, 20)
    ids = list(range(1, n + 1))
    pairs = list(itertools.combinations(ids, 2))
    forbidden = {frozenset(p) for p in rnd.sample(pairs, round(len(pairs) * 0.05))}
    rounds = rnd.randint(n // 2, n)
    absent = {r: {i for i in ids if rnd.random() < 0.1} for r in range(rounds)}
    return TermProblem(trainees=cohort(n), rounds=rounds, absent=absent, forbidden=forbidden)


def bench_random_terms(count: int, seconds: float) -> Row:
    rnd = random.Random(SEED)
    plan_horizons, today_horizons, times = [], [], []
    earlier = 0
    for _ in range(count):
        problem = random_term(rnd)
        try:
            today = round_by_round(problem)
        except PairingImpossible:  # no valid round for today's suggestion: nothing to compare
            continue
        spent, plan = timed_plan(problem, seconds)
        times.append(spent)
        a = plan.first_repeat or problem.rounds + 1
        b = first_repeat(today) or problem.rounds + 1
        plan_horizons.append(a)
        today_horizons.append(b)
        earlier += a < b
    details["random_terms"] = {
        "terms": len(times),
        "mean_plan": round(statistics.mean(plan_horizons), 3),
        "mean_today": round(statistics.mean(today_horizons), 3),
        "earlier": earlier,
        "later": sum(a > b for a, b in zip(plan_horizons, today_horizons, strict=True)),
        "seconds_limit": seconds,
    }
    note = (
        f"{len(times)} terms (6-20 trainees): mean first repeat plan "
        f"{statistics.mean(plan_horizons):.2f} vs today {statistics.mean(today_horizons):.2f} "
        f"(no repeat counted as rounds+1); plan earlier than today in {earlier}; "
        f"later in {sum(a > b for a, b in zip(plan_horizons, today_horizons, strict=True))}; "
        f"{seconds:.0f} s limit, slowest plan"
    )
    return f"random terms: 10% absent, 5% do-not-pair, x{count}", max(times), note


def run() -> list[Row]:
    odd = range(5, 42, 2) if FULL else (5, 7, 9, 21, 41)
    rows = [bench_odd(n) for n in odd]
    for n in (10, 20, 30, 40) if FULL else (10,):
        rows.append(bench_even_stable(n))
    seeds = range(3) if FULL else range(1)
    for n in (10, 20, 30, 40) if FULL else (10, 40):
        rows.append(bench_disturbed("first round edited", n, seeds))
        rows.append(bench_disturbed("one absent in round 1", n, seeds))
    rows.append(bench_random_terms(200 if FULL else 10, RANDOM_SECONDS))
    return rows
