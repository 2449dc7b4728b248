"""The term planner's pure parts: the local search over pairings, the fair triad rotation and
the roles given afterwards. Property tests on random cohorts; no database, no solver."""

import itertools
import random
import time
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roleplay.planning.local_search import RoundSpec, repeat_free_prefix
from roleplay.planning.roles import assign_roles
from roleplay.planning.triads import fair_triads

pytestmark = pytest.mark.no_cover  # see test_term_plan.py: tracing slows the search past its time


def bound(n: int) -> int:
    """Rounds an odd cohort of n can keep free of repeats at most: ⌊n(n-1)/(n+3)⌋."""
    return n * (n - 1) // (n + 3)


def specs_for(people, rounds, triads, absent=None):
    absent = absent or {}
    specs = []
    for r in range(rounds):
        present = [p for p in people if p not in absent.get(r, ())]
        fixed = [triads[r]] if r in triads else []
        specs.append(
            RoundSpec(fixed, [p for p in present if r not in triads or p not in triads[r]])
        )
    return specs


def assert_repeat_free(found, specs, met=(), forbidden=(), banned=None):
    seen = {frozenset(p) for p in met} | {frozenset(p) for p in forbidden}
    for r, (groups, spec) in enumerate(zip(found, specs, strict=False)):
        placed = sorted(p for g in groups for p in g)
        assert placed == sorted([*spec.free, *(p for g in spec.fixed for p in g)]), r
        for g in spec.fixed:
            assert tuple(g) in groups
        for g in groups:
            if len(g) == 2 and banned:
                assert frozenset(g) not in banned.get(r, ()), f"round {r}: banned {g}"
            for pair in map(frozenset, itertools.combinations(g, 2)):
                assert pair not in seen, f"round {r}: {sorted(pair)} again"
                seen.add(pair)


def triads_for(n: int, rounds: int, seed: int = 0, until=None):
    people = list(range(1, n + 1))
    return fair_triads(
        {r: people for r in range(rounds)}, {}, Counter(), (), (), (), seed=seed, until=until
    )


# --------------------------------------------------------------------------- local search


@pytest.mark.parametrize("n", [9, 13, 17, 21, 25, 31, 41])
def test_local_search_reaches_the_counting_bound_for_odd_cohorts(n):
    """Today's round-by-round suggestion repeats in round 5 (9 trainees) to 17 (25 trainees); the
    counting bound is reached: every pair but a handful meets once before anyone meets twice."""
    people = list(range(1, n + 1))
    triads = triads_for(n, n, until=bound(n))
    specs = specs_for(people, bound(n), triads)
    found = repeat_free_prefix(people, specs, (), (), deadline=time.monotonic() + 60)
    assert len(found) == bound(n)
    assert_repeat_free(found, specs)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(4, 16),
    rounds=st.integers(1, 12),
    seed=st.integers(0, 10_000),
    absent_share=st.sampled_from([0.0, 0.1, 0.25]),
)
def test_local_search_rounds_never_repeat_and_place_everyone(n, rounds, seed, absent_share):
    """Whatever it returns holds no pair twice, no pair met before, no do-not-pair pair, no
    banned dyad; everyone present is placed once and the fixed groups are kept."""
    rnd = random.Random(seed)
    people = list(range(1, n + 1))
    pairs = [frozenset(p) for p in itertools.combinations(people, 2)]
    met = set(rnd.sample(pairs, len(pairs) // 10))
    forbidden = set(rnd.sample([p for p in pairs if p not in met], len(pairs) // 20))
    absent = {r: {p for p in people if rnd.random() < absent_share} for r in range(rounds)}
    specs, banned = [], {}
    for r in range(rounds):
        present = [p for p in people if p not in absent[r]]
        if len(present) % 2 and len(present) < 3:
            present = present[1:]
        fixed = []
        if len(present) % 2:
            triad = tuple(rnd.sample(present, 3))
            fixed.append(triad)
        free = [p for p in present if not any(p in g for g in fixed)]
        specs.append(RoundSpec(fixed, free))
        banned[r] = {frozenset(p) for p in itertools.combinations(free[:4], 2)}
    found = repeat_free_prefix(
        people, specs, met, forbidden, deadline=time.monotonic() + 2, seed=seed, banned=banned
    )
    assert_repeat_free(found, specs, met, forbidden, banned)


def test_local_search_follows_a_round_robin_seed():
    """Seeded with a round robin, an even cohort keeps it: n - 1 rounds, every pair once."""
    n = 12
    people = list(range(1, n + 1))
    m = n - 1
    robin = [
        [(n, 1 + i)] + [(1 + (i + j) % m, 1 + (i - j) % m) for j in range(1, n // 2)]
        for i in range(m)
    ]
    specs = [RoundSpec([], people) for _ in range(m)]
    found = repeat_free_prefix(
        people, specs, (), (), deadline=time.monotonic() + 5, seed_rounds=robin, stall=1
    )
    assert len(found) == m
    assert_repeat_free(found, specs)


# --------------------------------------------------------------------------- triads


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(11, 45).filter(lambda n: n % 2),
    rounds=st.integers(1, 45),
    seed=st.integers(0, 99),
)
def test_triad_rotation_is_fair_and_never_back_to_back(n, rounds, seed):
    """Stable odd cohort of 11 or more: triad turns within one of each other over the term, and
    nobody in the triad two rounds in a row. (With 7 or 9, keeping the triads' pairs apart for
    the horizon, which comes first, can force one back-to-back turn.)"""
    triads = triads_for(n, rounds, seed=seed, until=bound(n))
    turns = Counter()
    for r in range(rounds):
        turns.update(triads[r])
        assert len(set(triads[r])) == 3
        if r:
            assert not set(triads[r]) & set(triads[r - 1]), f"round {r}"
    counts = [turns[p] for p in range(1, n + 1)]
    assert max(counts) - min(counts) <= 1


def test_triad_rotation_keeps_locked_triads_and_do_not_pair():
    people = list(range(1, 10))
    forbidden = {frozenset((1, 2)), frozenset((1, 3)), frozenset((2, 3))}
    triads = fair_triads(
        {r: people for r in range(4)}, {2: [(7, 8, 9)]}, Counter(), (), (), forbidden
    )
    assert triads[2] == (7, 8, 9)
    for triad in triads.values():
        assert not any(frozenset(p) in forbidden for p in itertools.combinations(triad, 2))


# --------------------------------------------------------------------------- roles


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 15), rounds=st.integers(1, 12), seed=st.integers(0, 10_000))
def test_roles_keep_balance_within_one_from_a_fresh_term(n, rounds, seed):
    """From balance 0 roles always exist (roles.py says why), the most observer turns anyone
    has is as low as any choice of observers allows, and every member keeps client minus
    therapist turns within one after every round."""
    rnd = random.Random(seed)
    people = list(range(1, n + 1))
    schedule = []
    for _ in range(rounds):
        present = [p for p in people if rnd.random() > 0.1]
        rnd.shuffle(present)
        groups = []
        if len(present) % 2 and len(present) >= 3:
            groups.append(tuple(present[:3]))
            present = present[3:]
        elif len(present) % 2:
            present = present[1:]
        groups += [tuple(present[k : k + 2]) for k in range(0, len(present), 2)]
        schedule.append(groups)
    planned = assert_roles_valid(schedule, {}, {})
    assert planned is not None


def assert_roles_valid(schedule, balance, observed):
    planned = assign_roles(schedule, balance, observed)
    if planned is None:
        return None
    running = Counter(balance)
    observers = Counter(observed)
    for groups, with_roles in zip(schedule, planned, strict=True):
        assert sorted(map(sorted, groups)) == sorted(sorted(g.members()) for g in with_roles)
        for g in with_roles:
            running[g.client] += 1
            running[g.therapist] -= 1
            if g.observer is not None:
                observers[g.observer] += 1
        assert all(abs(v) <= 1 for v in running.values())
    triads = [g for groups in schedule for g in groups if len(g) == 3]
    if triads and len(triads) <= 7:  # brute force: no choice of observers has a lower maximum
        fewest = min(
            max((Counter(observed) + Counter(choice)).values())
            for choice in itertools.product(*triads)
        )
        assert max(observers.values()) == fewest
    return planned


def test_roles_pair_a_forced_client_with_a_forced_therapist():
    """After a held round everyone is ±1: the next round's dyads must join a +1 and a -1."""
    balance = {1: 1, 2: -1, 3: 1, 4: -1}
    assert assert_roles_valid([[(1, 2), (3, 4)]], balance, {}) is not None
    assert assign_roles([[(1, 3), (2, 4)]], balance, {}) is None


def test_local_search_is_deterministic_for_a_seed():
    """The same seed gives the same rounds when the deadline does not cut the search short."""
    n = 21
    people = list(range(1, n + 1))
    specs = specs_for(people, bound(n), triads_for(n, n, until=bound(n)))
    runs = [
        repeat_free_prefix(people, specs, (), (), deadline=time.monotonic() + 60, seed=7)
        for _ in range(2)
    ]
    assert runs[0] == runs[1] and len(runs[0]) == bound(n)
