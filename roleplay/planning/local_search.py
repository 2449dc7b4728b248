"""A fast local search for the term planner's first objective: as many rounds as possible, from
the next one on, in which no two people meet who met before. Pure Python, no Django, no roles
(``roles.py`` gives them afterwards).

Why a hand-written search beside CP-SAT: above about 21 trainees CP-SAT does not find a schedule
near the counting bound in 30 s, while a min-conflicts tabu search over pairings does (the
numbers are in the README's term-planner table). CP-SAT still proves small cases impossible and
polishes the rest of the term.

The search holds the rounds ``0..k-1`` to come. In each round some groups are *fixed* (locked
groups and the triad the rotation chose); the other people present form dyads, and only those
dyads move. A *conflict* is a pair in more groups than one (a pair met before, or a do-not-pair
pair, counts as already in one). A move swaps partners between two dyads of one round
(``ab, cd -> ac, bd`` or ``ad, bc``), chosen to remove a conflict with the best change in the
total; recently removed pairs are tabu for a few moves. Whenever the total is zero the k rounds
are recorded and round k is added (seeded from ``seed_rounds`` when given, e.g. a round robin),
until ``max_rounds``, the deadline, or ``stall`` moves without a better total.

Deterministic for a seed, except where the deadline cuts it short.
"""

from __future__ import annotations

import random
import time
from collections.abc import Collection, Sequence

__all__ = ["RoundSpec", "fewest_repeats", "repeat_free_prefix"]


class RoundSpec:
    """One round to come: ``fixed`` groups (tuples of ids) and the ``free`` people to pair
    (an even number)."""

    __slots__ = ("fixed", "free")

    def __init__(self, fixed: Sequence[tuple[int, ...]], free: Sequence[int]):
        self.fixed = [tuple(g) for g in fixed]
        self.free = list(free)


class _Round:
    __slots__ = ("fixed", "pairs", "where")

    def __init__(self, fixed, pairs, n):
        self.fixed = fixed
        self.pairs = pairs  # list of [a, b] (indices)
        self.where = [-1] * n
        for i, (a, b) in enumerate(pairs):
            self.where[a] = i
            self.where[b] = i


def repeat_free_prefix(
    people: Sequence[int],
    specs: Sequence[RoundSpec],
    met: Collection[frozenset[int]],
    forbidden: Collection[frozenset[int]],
    *,
    deadline: float,
    seed: int = 0,
    stall: int = 40_000,
    seed_rounds: Sequence[Sequence[tuple[int, int]]] = (),
    banned: dict[int, Collection[frozenset[int]]] | None = None,
) -> list[list[tuple[int, ...]]]:
    """The longest run of rounds found (from ``specs[0]``) with no conflict: each round a list
    of groups (the fixed ones first, then dyads). ``[]`` when even the first round conflicts.
    ``banned``: round -> pairs that may not be a dyad in it (two people whose next role is
    forced to be the same); each such dyad counts as a conflict."""
    index = {p: i for i, p in enumerate(people)}
    n = len(people)
    rng = random.Random(seed)
    cnt = [[0] * n for _ in range(n)]
    for pair in [*met, *forbidden]:
        a, b = (index[x] for x in pair)
        cnt[a][b] += 1
        cnt[b][a] += 1
    state = _State(n, cnt, rng)
    for r, pairs in (banned or {}).items():
        keys = set()
        for pair in pairs:
            a, b = (index[x] for x in pair)
            keys.add(state._key(a, b))
        state.banned[r] = keys
    best: list[list[tuple[int, ...]]] = []
    for k, spec in enumerate(specs):
        fixed = [tuple(index[x] for x in g) for g in spec.fixed]
        free = [index[x] for x in spec.free]
        hint = [(index[a], index[b]) for a, b in seed_rounds[k]] if k < len(seed_rounds) else []
        if not state.add_round(fixed, free, hint):
            break  # the fixed groups themselves repeat: no later round can be free of it
        if not state.solve(deadline, stall):
            break
        best = [
            [tuple(people[x] for x in g) for g in r.fixed]
            + [(people[a], people[b]) for a, b in r.pairs]
            for r in state.rounds
        ]
        if time.monotonic() >= deadline:
            break
    return best


def fewest_repeats(
    people: Sequence[int],
    specs: Sequence[RoundSpec],
    met: Collection[frozenset[int]],
    forbidden: Collection[frozenset[int]],
    *,
    deadline: float,
    seed: int = 0,
    stall: int = 20_000,
) -> list[list[tuple[int, ...]]] | None:
    """Every round of ``specs`` (the rounds after the repeat-free ones), with as few conflicts
    (repeat pairs) as the same search finds by the deadline or ``stall``. None when the best
    found still holds a do-not-pair pair."""
    index = {p: i for i, p in enumerate(people)}
    n = len(people)
    cnt = [[0] * n for _ in range(n)]
    for pair in [*met, *forbidden]:
        a, b = (index[x] for x in pair)
        cnt[a][b] += 1
        cnt[b][a] += 1
    state = _State(n, cnt, random.Random(seed))
    for spec in specs:
        fixed = [tuple(index[x] for x in g) for g in spec.fixed]
        state.add_round(fixed, [index[x] for x in spec.free], [], strict=False)
    best = state.solve(deadline, stall, keep_best=True)
    found = [
        [tuple(people[x] for x in g) for g in fixed] + [(people[a], people[b]) for a, b in pairs]
        for fixed, pairs in best
    ]
    bad = {frozenset(p) for p in forbidden}
    if any(frozenset(p) in bad for groups in found for g in groups for p in _pairs_of(g)):
        return None
    return found


def _pairs_of(group: tuple[int, ...]):
    return [(group[i], group[j]) for i in range(len(group)) for j in range(i + 1, len(group))]


class _State:
    def __init__(self, n: int, cnt: list[list[int]], rng: random.Random):
        self.n = n
        self.cnt = cnt
        self.rng = rng
        self.rounds: list[_Round] = []
        self.tabu: list[dict[int, int]] = []
        self.excess = 0
        self.conflicts: list[int] = []  # pair keys a * n + b (a < b) with count >= 2
        self.slot: dict[int, int] = {}
        self.occ: dict[int, set[int]] = {}  # key -> rounds where it is a movable dyad
        self.it = 0
        self.banned: dict[int, set[int]] = {}
        self.bad: list[tuple[int, int]] = []  # (round, key) of banned dyads placed
        # Pairs no move can undo: met before, do-not-pair, and the fixed groups' pairs.
        self.pinned = {a * n + b for a in range(n) for b in range(a + 1, n) if cnt[a][b]}

    # -- counts
    def _add(self, a: int, b: int) -> None:
        c = self.cnt[a][b]
        self.cnt[a][b] = self.cnt[b][a] = c + 1
        if c >= 1:
            self.excess += 1
            if c == 1:
                key = a * self.n + b if a < b else b * self.n + a
                self.slot[key] = len(self.conflicts)
                self.conflicts.append(key)

    def _remove(self, a: int, b: int) -> None:
        c = self.cnt[a][b]
        self.cnt[a][b] = self.cnt[b][a] = c - 1
        if c >= 2:
            self.excess -= 1
            if c == 2:
                key = a * self.n + b if a < b else b * self.n + a
                i = self.slot.pop(key)
                last = self.conflicts.pop()
                if last != key:
                    self.conflicts[i] = last
                    self.slot[last] = i

    def _key(self, a: int, b: int) -> int:
        return a * self.n + b if a < b else b * self.n + a

    def _place(self, r: int, a: int, b: int) -> None:
        self._add(a, b)
        key = self._key(a, b)
        self.occ.setdefault(key, set()).add(r)
        if key in self.banned.get(r, ()):
            self.excess += 1
            self.bad.append((r, key))

    def _unplace(self, r: int, a: int, b: int) -> None:
        self._remove(a, b)
        key = self._key(a, b)
        self.occ[key].discard(r)
        if key in self.banned.get(r, ()):
            self.excess -= 1
            self.bad.remove((r, key))

    # -- rounds
    def add_round(self, fixed, free, hint, strict: bool = True) -> bool:
        """Add a round; with ``strict``, refuse (False) one whose fixed groups repeat a pair no
        move can undo."""
        r = len(self.rounds)
        pinned = [self._key(g[i], g[j]) for g in fixed for i in range(len(g)) for j in range(i)]
        if strict and any(key in self.pinned for key in pinned):
            return False
        self.pinned.update(pinned)
        for g in fixed:
            for i in range(len(g)):
                for j in range(i + 1, len(g)):
                    self._add(g[i], g[j])
        # Seed: the hinted dyads among the free people, then the rest greedily (fewest meetings).
        left = set(free)
        pairs = []
        for a, b in hint:
            if a in left and b in left:
                pairs.append([a, b])
                left -= {a, b}
        rest = sorted(left)
        self.rng.shuffle(rest)
        ban = self.banned.get(r, ())
        while rest:
            a = rest.pop()
            b = min(rest, key=lambda x: self.cnt[a][x] + (self._key(a, x) in ban))
            rest.remove(b)
            pairs.append([a, b])
        self.rounds.append(_Round(fixed, pairs, self.n))
        self.tabu.append({})
        for a, b in pairs:
            self._place(r, a, b)
        return True

    def snapshot(self):
        return [(list(rd.fixed), [list(p) for p in rd.pairs]) for rd in self.rounds]

    def solve(self, deadline: float, stall: int, keep_best: bool = False):
        """Moves until no conflict (True), or the deadline or ``stall`` moves without a new
        best total (False). With ``keep_best``, the rounds at the best total instead."""
        best = self.excess
        kept = self.snapshot() if keep_best else None
        since = 0
        rng = self.rng
        cnt = self.cnt
        n = self.n
        while self.excess:
            self.it += 1
            since += 1
            if since > stall or (self.it & 255 == 0 and time.monotonic() >= deadline):
                return kept if keep_best else False
            if self.bad and (not self.conflicts or rng.random() < 0.5):
                r, key = self.bad[rng.randrange(len(self.bad))]
            else:
                key = self.conflicts[rng.randrange(len(self.conflicts))]
                rounds = self.occ.get(key)
                if not rounds:
                    # Only fixed groups hold this pair: it cannot move. Try another conflict.
                    if not self.bad and all(not self.occ.get(k) for k in self.conflicts):
                        return kept if keep_best else False
                    continue
                r = rng.choice(tuple(rounds))
            a, b = divmod(key, n)
            rd = self.rounds[r]
            tabu = self.tabu[r]
            ban = self.banned.get(r)
            i = rd.where[a]
            ca, cb = cnt[a], cnt[b]
            it = self.it
            best_delta = 1 << 30
            choices: list[tuple[int, int, int]] = []
            gone = -(ca[b] >= 2) - (ban is not None and key in ban)
            for j, (c, d) in enumerate(rd.pairs):
                if j == i:
                    continue
                base = gone - (cnt[c][d] >= 2)
                if ban:
                    base -= (c * n + d if c < d else d * n + c) in ban
                for x, y in ((c, d), (d, c)):
                    delta = base + (ca[x] >= 1) + (cb[y] >= 1)
                    if ban:
                        delta += (a * n + x if a < x else x * n + a) in ban
                        delta += (b * n + y if b < y else y * n + b) in ban
                    if delta > best_delta:
                        continue
                    if (
                        tabu.get(a * n + x if a < x else x * n + a, 0) > it
                        or tabu.get(b * n + y if b < y else y * n + b, 0) > it
                    ) and self.excess + delta >= best:
                        continue
                    if delta < best_delta:
                        best_delta, choices = delta, [(j, x, y)]
                    else:
                        choices.append((j, x, y))
            if not choices:
                continue
            j, x, y = choices[rng.randrange(len(choices))]
            c, d = rd.pairs[j]
            self._unplace(r, a, b)
            self._unplace(r, c, d)
            self._place(r, a, x)
            self._place(r, b, y)
            rd.pairs[i] = [a, x]
            rd.pairs[j] = [b, y]
            rd.where[a] = rd.where[x] = i
            rd.where[b] = rd.where[y] = j
            tenure = 7 + rng.randrange(8)
            tabu[key] = it + tenure
            tabu[self._key(c, d)] = it + tenure
            if self.excess < best:
                best, since = self.excess, 0
                if keep_best:
                    kept = self.snapshot()
        return self.snapshot() if keep_best else True
