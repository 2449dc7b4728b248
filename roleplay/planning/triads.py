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
    rng = random.Random(seed)
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
            triad = _pick(free[:_CANDIDATES], avoid | shared, forbidden, turns, previous, strict)
            if triad is None:  # do-not-pair rules out these: the solver chooses this triad
                previous = set()
                continue
        for p in triad:
            turns[p] += 1
        shared.update(frozenset(p) for p in itertools.combinations(triad, 2))
        chosen[r] = triad
        previous = set(triad)
    return chosen


def _pick(candidates, avoid, forbidden, turns, previous, strict) -> tuple[int, ...] | None:
    """The best three of ``candidates`` (already in order of preference) with no do-not-pair
    pair. ``strict``: fewest pairs in ``avoid``, then fewest turns, then fewest in the previous
    triad; otherwise fewest turns first. None when every three has a do-not-pair pair."""
    best, best_key = None, None
    for triad in itertools.combinations(candidates, 3):
        pairs = [frozenset(p) for p in itertools.combinations(triad, 2)]
        if any(p in forbidden for p in pairs):
            continue
        clash = sum(p in avoid for p in pairs)
        load = sum(turns[p] for p in triad)
        again = sum(p in previous for p in triad)
        key = (clash, load, again) if strict else (load, again, clash)
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
