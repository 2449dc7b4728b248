"""Who sits in each round's triad: a fair rotation chosen before the pairings. Pure Python.

Round by round, the triad takes three of the people present with the fewest triad turns so far
(held rounds counted), preferring those who were not in the previous round's triad, and three
who have not met and may be paired (do-not-pair) and no two of whom already shared a triad.
Taking the fewest turns each time keeps max - min triad turns within one over the term when
nobody is away; nobody sits in the triad twice in a row while three others with no more turns
could. A locked triad is kept as it is; people in locked dyads are not chosen.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Collection, Mapping, Sequence

__all__ = ["back_to_back", "back_to_back_floor", "fair_triads"]

_CANDIDATES = 9  # the triad is chosen among this many of the fewest-turns people


def fair_triads(
    present: Mapping[int, Sequence[int]],
    locked: Mapping[int, Sequence[tuple[int, ...]]],
    turns: Counter,
    last: Collection[int],
    met: Collection[frozenset[int]],
    forbidden: Collection[frozenset[int]],
    seed: int = 0,
    until: int | None = None,
) -> dict[int, tuple[int, ...]]:
    """round -> the triad's members, for each round in ``present`` (in order) with an odd number
    present. ``turns``: triad turns so far; ``last``: the triad of the last round held. Before
    round ``until`` (the counting bound: rounds that may be free of repeats) a triad whose
    members met or shared a triad is taken only when no other is possible; from it on, the
    fewest turns come first."""
    tries = [
        _rotation(present, locked, turns, last, met, forbidden, seed, until, fair_first)
        for fair_first in (False, True)
    ]
    return min(tries, key=lambda tried: _cost(tried, turns, present, met, until))[0]


def _cost(tried, turns, present, met, until) -> tuple[int, int, int]:
    """(pairs that met or shared a triad before ``until``, spread of triad turns beyond one,
    back-to-back turns) of a rotation: clashes cost the horizon, so they count first."""
    chosen, clashes = tried
    counts = Counter(turns)
    for triad in chosen.values():
        counts.update(triad)
    everyone = {p for people in present.values() for p in people}
    values = [counts[p] for p in everyone] or [0]
    spread = max(0, max(values) - min(values) - 1)
    again = sum(len(set(chosen[r]) & set(chosen.get(r - 1, ()))) for r in chosen if r - 1 in chosen)
    return clashes, spread, again


def _rotation(present, locked, turns, last, met, forbidden, seed, until, fair_first):
    """One greedy rotation: (round -> triad, clashes before ``until``). ``fair_first``: the
    fewest turns possible come before avoiding clashes (31 trainees over 21 rounds: triad turns
    1-4 without it, 2-3 with it); otherwise after, which the horizon needs for 21 trainees."""
    rng = random.Random(seed)
    clashes = 0
    turns = Counter(turns)
    forbidden = {frozenset(p) for p in forbidden}
    avoid = {frozenset(p) for p in met}
    shared: set[frozenset[int]] = set()
    previous = set(last)
    chosen: dict[int, tuple[int, ...]] = {}
    for r in sorted(present):
        people = list(present[r])
        if len(people) % 2 == 0:
            previous = set()
            continue
        groups = [tuple(g) for g in locked.get(r, ())]
        triad = next((g for g in groups if len(g) == 3), None)
        if triad is None:
            taken = {x for g in groups for x in g}
            free = [p for p in people if p not in taken]
            order = {p: rng.random() for p in free}
            free.sort(key=lambda p: (turns[p], p in previous, order[p]))
            strict = until is None or r < until
            # Everyone with the fewest turns is a candidate (at least _CANDIDATES people), so
            # that a triad without clashes is found among them when one exists.
            least = sum(turns[p] == turns[free[0]] for p in free) if free else 0
            pool = free[: max(_CANDIDATES, least if fair_first else 0)]
            triad = _pick(pool, avoid | shared, forbidden, turns, previous, strict, fair_first)
            if triad is None:  # do-not-pair rules out these: the solver chooses this triad
                previous = set()
                continue
        if until is None or r < until:
            clashes += sum(
                frozenset(p) in avoid or frozenset(p) in shared
                for p in itertools.combinations(triad, 2)
            )
        for p in triad:
            turns[p] += 1
        shared.update(frozenset(p) for p in itertools.combinations(triad, 2))
        chosen[r] = triad
        previous = set(triad)
    return chosen, clashes


def _pick(candidates, avoid, forbidden, turns, previous, strict, fair_first=False):
    """The best three of ``candidates`` (already in order of preference) with no do-not-pair
    pair. ``strict``: the fewest turns possible, then fewest pairs in ``avoid``, then fewest
    turns, then fewest in the previous triad; otherwise fewest turns first. None when every three has a do-not-pair pair."""
    best, best_key = None, None
    # The fewest turns three people could have: a triad above it lets the spread of triad turns
    # grow past one (31 trainees, 21 rounds: 1-4 when clashes came first), so it comes first.
    fewest = sum(sorted(turns[p] for p in candidates)[:3])
    for triad in itertools.combinations(candidates, 3):
        pairs = [frozenset(p) for p in itertools.combinations(triad, 2)]
        if any(p in forbidden for p in pairs):
            continue
        clash = sum(p in avoid for p in pairs)
        load = sum(turns[p] for p in triad)
        again = sum(p in previous for p in triad)
        key = (fair_first and load > fewest, clash, load, again) if strict else (load, again, clash)
        if best_key is None or key < best_key:
            best, best_key = triad, key
    return best


def back_to_back(triads: Sequence[Collection[int]]) -> int:
    """Back-to-back triad turns: people in the triad of one round and of the next, summed over
    each two rounds in a row (``triads``: each round's triad members, empty for a round with no
    triad)."""
    return sum(len(set(a) & set(b)) for a, b in itertools.pairwise(triads))


def back_to_back_floor(present: Sequence[Collection[int]], odd_only: bool = True) -> int:
    """A lower bound on ``back_to_back`` for rounds with these people present: two triads drawn
    from u people share at least 6 - u of them (with 5 trainees, one each round)."""
    floor = 0
    for a, b in itertools.pairwise(present):
        if odd_only and (len(a) % 2 == 0 or len(b) % 2 == 0):
            continue
        floor += max(0, 6 - len(set(a) | set(b)))
    return floor
