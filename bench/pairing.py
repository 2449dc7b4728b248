"""Pairing benchmarks: how long "suggest pairings" takes for big cohorts.

Pure Python (``roleplay.services.pairing_algorithm`` has no Django imports); the database
part - saving a suggestion with bulk writes - belongs in ``save_suggestion`` below.
"""

import itertools
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence

from roleplay.services.pairing_algorithm import (
    Group,
    TraineeState,
    round_robin_schedule,
    suggest_groups,
)

Row = tuple[str, float, str]
REPEATS = 5  # each timing is the median of this many runs
SEED = 2024
SIZE = 2000  # issue 10: a 2,000-trainee programme present in one round
SIZE_HISTORY = 10
SIZE_TERM_ROUNDS = 40


def timed(action: Callable[[], object], repeats: int = REPEATS) -> tuple[float, object]:
    """Median seconds over ``repeats`` runs, and the last result."""
    seconds, _, result = timed_with_cpu(action, repeats)
    return seconds, result


def timed_with_cpu(
    action: Callable[[], object], repeats: int = REPEATS
) -> tuple[float, float, object]:
    """Median wall-clock and median CPU seconds of this process over ``repeats`` runs, and the
    last result. On a shared machine the CPU time is what the code itself costs."""
    times, cpu = [], []
    result = None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = action()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(times), statistics.median(cpu), result


def states(ids: Sequence[int], history: Sequence[Sequence[Group]]) -> list[TraineeState]:
    """Role counts before the next round, derived from history as the caller does."""
    client, therapist, observer = Counter(), Counter(), Counter()
    for groups in history:
        for g in groups:
            client[g.client] += 1
            therapist[g.therapist] += 1
            if g.observer is not None:
                observer[g.observer] += 1
    return [TraineeState(i, f"Trainee {i}", client[i], therapist[i], observer[i]) for i in ids]


def constrained_cohort(
    n: int, forbidden_share: float, rounds: int
) -> tuple[list[TraineeState], list[list[Group]], set[frozenset[int]]]:
    """``n`` trainees, ``forbidden_share`` of all pairs do-not-pair, and ``rounds`` earlier
    rounds made by accepting the algorithm's own suggestions."""
    rnd = random.Random(SEED)
    ids = list(range(1, n + 1))
    pairs = list(itertools.combinations(ids, 2))
    forbidden = {frozenset(p) for p in rnd.sample(pairs, round(len(pairs) * forbidden_share))}
    history: list[list[Group]] = []
    for _ in range(rounds):
        history.append(suggest_groups(states(ids, history), history, forbidden))
    return states(ids, history), history, forbidden


def bench_constrained(n: int, forbidden_share: float, rounds: int) -> tuple[Row, list[Group]]:
    present, history, forbidden = constrained_cohort(n, forbidden_share, rounds)
    seconds, groups = timed(lambda: suggest_groups(present, history, forbidden))
    triads = sum(1 for g in groups if g.observer is not None)
    note = (
        f"{len(forbidden)} do-not-pair pairs, {rounds} rounds of history; "
        f"{len(groups)} groups ({triads} triad), median of {REPEATS}"
    )
    return (f"suggest: {n} trainees, {forbidden_share:.0%} forbidden", seconds, note), groups


def bench_long_term(n: int, forbidden_share: float, rounds: int) -> Row:
    """Every round of a long term, each suggestion accepted: the slowest round counts.

    Late in the term never-met partners run out, and the sparse graph more often needs the
    denser retry or the dense solve."""
    rnd = random.Random(SEED)
    ids = list(range(1, n + 1))
    forbidden = _sampled_forbidden(rnd, ids, forbidden_share)
    history: list[list[Group]] = []
    times, cpu = [], []
    for _ in range(rounds):
        present = states(ids, history)
        start, start_cpu = time.perf_counter(), time.process_time()
        groups = suggest_groups(present, history, forbidden)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        history.append(groups)
    slowest = max(range(rounds), key=times.__getitem__)
    return (
        f"term: {n} trainees, {forbidden_share:.0%} forbidden, {rounds} rounds",
        times[slowest],
        f"slowest round ({slowest + 1}); median round {statistics.median(times):.4f} s; "
        f"CPU: slowest {max(cpu):.4f} s, median {statistics.median(cpu):.4f} s",
    )


def bench_rotation(n: int) -> list[Row]:
    order = list(range(1, n + 1))
    fresh = states(order, [])
    one, groups = timed(lambda: suggest_groups(fresh, [], [], cohort_order=order))
    schedule_seconds, schedule = timed(lambda: round_robin_schedule(order), repeats=1)
    met = Counter(frozenset(g.members()) for r in schedule for g in r)
    perfect = len(met) == n * (n - 1) // 2 and set(met.values()) == {1}
    last_history = schedule[:-1]
    last_present = states(order, last_history)
    last, last_groups = timed(
        lambda: suggest_groups(last_present, last_history, [], cohort_order=order), repeats=1
    )
    return [
        (
            f"round robin: round 1 for {n} trainees",
            one,
            f"{len(groups)} dyads, circle method, no matching; median of {REPEATS}",
        ),
        (
            f"round robin: all {n - 1} rounds for {n}",
            schedule_seconds,
            f"every pair meets exactly once: {perfect}",
        ),
        (
            f"round robin: round {n - 1} given {n - 2} rounds",
            last,
            "includes recognising the history; same as the schedule: "
            f"{last_groups == schedule[-1]}",
        ),
    ]


def _sampled_forbidden(rnd: random.Random, ids: Sequence[int], share: float) -> set[frozenset[int]]:
    """``share`` of all pairs, drawn without listing every pair (two million at 2,000)."""
    wanted = round(len(ids) * (len(ids) - 1) / 2 * share)
    forbidden: set[frozenset[int]] = set()
    while len(forbidden) < wanted:
        forbidden.add(frozenset(rnd.sample(ids, 2)))
    return forbidden


def bench_at_size() -> list[Row]:
    """Issue 10: 2,000 present in under a second in every case, odd and late in a term
    included. Each case is the median of ``REPEATS`` runs; the terms give their slowest round."""
    rows = []
    order = list(range(1, SIZE + 1))
    seconds, cpu, _ = timed_with_cpu(
        lambda: suggest_groups(states(order, []), [], [], cohort_order=order)
    )
    rows.append((f"size: {SIZE} present, first round", seconds, f"round robin; CPU {cpu:.4f} s"))
    for n, share in ((SIZE, 0.0), (SIZE, 0.01), (SIZE + 1, 0.0), (SIZE + 1, 0.01)):
        rnd = random.Random(SEED)
        ids = list(range(1, n + 1))
        forbidden = _sampled_forbidden(rnd, ids, share)
        history: list[list[Group]] = []
        for _ in range(SIZE_HISTORY):
            history.append(suggest_groups(states(ids, history), history, forbidden))
        present = states(ids, history)
        seconds, cpu, groups = timed_with_cpu(
            lambda: suggest_groups(present, history, forbidden)  # noqa: B023
        )
        triads = sum(1 for g in groups if g.observer is not None)
        rows.append(
            (
                f"size: {n} present, {share:.0%} forbidden, {SIZE_HISTORY} rounds before",
                seconds,
                f"{len(forbidden)} do-not-pair pairs; {len(groups)} groups ({triads} triad); "
                f"median of {REPEATS}; CPU {cpu:.4f} s; target < 1 s",
            )
        )
    # Late in a term, those who must be therapist this round (client once more than
    # therapist) can sit together in the cohort order: the sparse graph used to give them all
    # the same few partners, find no grouping, and fall back to the dense solve (15 s).
    half = SIZE // 2
    blocked = [
        TraineeState(i, f"Trainee {i}", 6 if i <= half else 5, 5 if i <= half else 6)
        for i in range(1, SIZE + 1)
    ]
    history = [[Group(client=2 * i + 1, therapist=2 * i + 2) for i in range(half)]]
    seconds, cpu, _ = timed_with_cpu(lambda: suggest_groups(blocked, history, []))
    rows.append(
        (
            f"size: {SIZE} present, those who must be therapist seated together",
            seconds,
            f"the sparse graph's old failure case; median of {REPEATS}; CPU {cpu:.4f} s; "
            "target < 1 s",
        )
    )
    for n in (SIZE, SIZE + 1):
        what, slowest, note = bench_long_term(n, 0.01, SIZE_TERM_ROUNDS)
        rows.append((what, slowest, note + "; target < 1 s"))
    return rows


def save_suggestion(groups: list[Group]) -> list[Row]:
    """Extension point for the database part: time saving ``groups`` (the 200-trainee
    suggestion) with bulk writes and return rows like the others. Nothing yet."""
    return []


def run() -> list[Row]:
    rows = []
    row, groups = bench_constrained(200, 0.05, 10)
    rows.append(row)
    rows.append(bench_constrained(201, 0.05, 10)[0])
    rows.extend(bench_rotation(1000))
    rows.append(bench_long_term(200, 0.05, 200))
    rows.append(bench_long_term(201, 0.05, 200))
    rows.extend(save_suggestion(groups))
    rows.extend(bench_at_size())
    return rows
