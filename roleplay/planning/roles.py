"""Roles for planned groups: who is client, therapist and observer, keeping everyone's role
balance within one round after round. Pure Python.

Why it always works from a balance within one: a trainee's balance (client minus therapist
turns) stays within one exactly when their active (non-observer) turns alternate in pairs —
turns 1-2, 3-4, ... have opposite roles (from balance 0), or turn 1 is forced back to 0 and then
2-3, 4-5, ... are opposite (from balance +1 or -1). In a group the two active members have
opposite roles. So every "opposite" link joins a person's turn to either their partner's turn or
their own paired turn, each turn has at most one link of each kind, every cycle alternates the
two kinds and is even, and the links can always be 2-coloured. Only the forced first turns
(balance ±1 before the plan) and locked roles can clash; then ``None`` is returned and the
caller uses the solver's roles.

Observers are chosen first, for all triads at once: each triad gives one member the turn so that
the most observer turns anyone has (held rounds counted) is as small as it can be (a bipartite
matching of triads to members, ``_observers``). Greedy round by round can leave someone on 0 and
someone on 2 where 1 each was possible.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from roleplay.services.pairing_algorithm import Group

__all__ = ["assign_roles"]

_CLIENT, _THERAPIST = 1, 0


def assign_roles(
    rounds: Sequence[Sequence[tuple[int, ...]]],
    balance: Mapping[int, int],
    observed: Mapping[int, int],
    locked: Mapping[int, Sequence[Group]] = {},
) -> list[list[Group]] | None:
    """``rounds``: groups as member tuples; ``balance``/``observed``: client minus therapist
    turns and observer turns before them; ``locked``: round offset -> groups whose roles are
    given. The groups with roles, or None when the forced roles clash."""
    if any(abs(v) > 1 for v in balance.values()):
        return None
    observed = Counter(observed)
    parent: list[int] = [0]  # node 0 is "therapist" (colour 0)
    parity: list[int] = [0]
    node_of: dict[tuple[int, int], int] = {}
    turns: Counter = Counter()

    def find(u: int) -> tuple[int, int]:
        p = 0
        while parent[u] != u:
            p ^= parity[u]
            u = parent[u]
        return u, p

    def link(u: int, v: int, differ: int) -> bool:
        (ru, pu), (rv, pv) = find(u), find(v)
        if ru == rv:
            return (pu ^ pv) == differ
        if ru == 0:  # keep node 0 a root, so colours are read against it
            ru, rv, pu, pv = rv, ru, pv, pu
        parent[ru] = rv
        parity[ru] = pu ^ pv ^ differ
        return True

    def turn(person: int) -> int:
        t = turns[person]
        turns[person] += 1
        u = len(parent)
        parent.append(u)
        parity.append(0)
        node_of[person, t] = u
        start = balance.get(person, 0)
        if start == 0 and t % 2 == 1:
            ok = link(u, node_of[person, t - 1], 1)
        elif start != 0 and t == 0:
            ok = link(u, 0, _THERAPIST if start > 0 else _CLIENT)
        elif start != 0 and t % 2 == 0:
            ok = link(u, node_of[person, t - 1], 1)
        else:
            ok = True
        if not ok:
            raise _Clash
        return u

    planned: list[list[tuple[int, int, int | None, int, int]]] = []
    triads = []
    for offset, groups in enumerate(rounds):
        given = {frozenset(g.members()): g for g in locked.get(offset, ())}
        for members in groups:
            fixed = given.get(frozenset(members))
            if fixed is not None and fixed.observer is not None:
                observed[fixed.observer] += 1
            elif fixed is None and len(members) == 3:
                triads.append(tuple(members))
    chosen = iter(_observers(triads, observed))
    try:
        for offset, groups in enumerate(rounds):
            given = {frozenset(g.members()): g for g in locked.get(offset, ())}
            this_round = []
            for members in groups:
                fixed = given.get(frozenset(members))
                if fixed is not None:
                    observer = fixed.observer
                elif len(members) == 3:
                    observer = next(chosen)
                else:
                    observer = None
                a, b = (p for p in members if p != observer)
                u, v = turn(a), turn(b)
                if not link(u, v, 1):
                    raise _Clash
                if fixed is not None and not link(u, 0, int(fixed.client == a)):
                    raise _Clash
                this_round.append((a, b, observer, u, v))
            planned.append(this_round)
    except _Clash:
        return None
    result = []
    for this_round in planned:
        groups = []
        for a, b, observer, u, _ in this_round:
            _, p = find(u)  # a free component's root is a therapist turn
            a_is_client = p == _CLIENT
            client, therapist = (a, b) if a_is_client else (b, a)
            groups.append(Group(client=client, therapist=therapist, observer=observer))
        result.append(groups)
    return result


class _Clash(Exception):
    pass


def _observers(triads: Sequence[tuple[int, ...]], observed: Counter) -> list[int]:
    """One member of each triad to observe, so that max(observed + chosen) is smallest: the
    lowest cap under which every triad can be matched to a member below it (augmenting paths)."""
    if not triads:
        return []
    cap = min(observed[p] for t in triads for p in t)
    while True:
        matching = _CappedMatching(triads, observed, cap)
        if all(matching.augment(k, set()) for k in range(len(triads))):
            return matching.choice
        cap += 1


class _CappedMatching:
    """Triads matched to members, each member to fewer than ``cap - observed`` triads."""

    def __init__(self, triads, observed: Counter, cap: int):
        self.triads, self.observed, self.cap = triads, observed, cap
        self.owner: dict[int, list[int]] = {}  # person -> triads they observe
        self.choice: list[int] = [0] * len(triads)

    def augment(self, k: int, seen: set[int]) -> bool:
        for p in sorted(self.triads[k], key=lambda p: (self.observed[p], p)):
            if p in seen:
                continue
            seen.add(p)
            mine = self.owner.setdefault(p, [])
            if self.observed[p] + len(mine) < self.cap:
                mine.append(k)
                self.choice[k] = p
                return True
            for other in list(mine):
                if self.augment(other, seen):
                    mine.remove(other)
                    mine.append(k)
                    self.choice[k] = p
                    return True
        return False
