"""Suggested groups for one role-play round: pure Python, no Django.

A round puts every trainee present into a *dyad* (client + therapist) or, when the number
present is odd, exactly one *triad* (client + therapist + observer). ``suggest_groups`` is
what the supervisor's "suggest pairings" button calls; the view layer turns database rows
into ``TraineeState``/``Group`` values and back.

Terms used below. A trainee's *balance* is ``client_turns - therapist_turns`` before this
round. Two trainees have *met* when they were in the same group (dyad or triad) in an
earlier round of ``history``. A *repeat pair* is two members of one suggested group who
have met before (a triad holds three pairs). A trainee's *level* is how many more observer
turns they have had than the least-observed trainee present.

Guarantees of ``suggest_groups`` (each is property-tested in
``tests/roleplay/services/test_pairing_algorithm.py``):

1. **Everyone is placed.** Every trainee in ``present`` is in exactly one returned group;
   there are no byes. An even number present gives only dyads, an odd number exactly one
   triad. No one present gives ``[]``; one person present raises ``PairingImpossible``
   (one person cannot form a group; the message suggests adding them to a locked pairing
   as observer, or marking them absent).
2. **Do-not-pair is never broken.** No group contains a ``forbidden`` pair (a triad's
   observer included). When no grouping of everyone present avoids them all,
   ``PairingImpossible`` is raised. It is raised *only* when no valid grouping exists: the
   search for a valid grouping is complete at every size (brute-force checked up to 8
   present). Its ``.message`` names the people and the constraint(s) in plain words, e.g.
   "Ada and Ben may not be paired (do-not-pair), and they are the only two present."
   (Above ``_EXPLAIN_EXACT_MAX`` present, a case that is neither "too many who must be
   therapist/client" nor "someone nobody may be grouped with" gets a general message.)
3. **Role balance is kept.** A trainee with balance > 0 is never client, one with
   balance < 0 is never therapist, so ``|balance| <= 1`` after the round whenever it held
   before (and a larger imbalance never grows). Within a group the member with the higher
   balance ("has been client more") is therapist; on a tie the one with fewer therapist
   turns is therapist, then the later one in ``cohort_order``. The triad's observer has the
   fewest observer turns of anyone present for whom a valid grouping exists. When balance
   cannot be kept together with do-not-pair, ``PairingImpossible`` explains which people
   (e.g. "Ada and Ben have both been client one more time than therapist") - again only
   when no valid grouping exists.
4. **Repeats are minimised.** Among valid groupings the suggestion minimises, in this
   order: the observer's level; the number of repeat pairs; the total number of earlier
   meetings of its pairs; how recently its pairs met. This is exact

   - in all four, for an even number below ``SPARSE_MIN_NODES`` (one dense blossom solve);
   - in the first two (level, repeat pairs), for an odd number below
     ``TRIAD_SEARCH_MAX_NODES`` (branch and bound over the triad, within
     ``TRIAD_SEARCH_BUDGET`` matchings - always enough for up to 7 present, where it is
     brute-force checked); the last two are then best effort;
   - for larger cohorts, see "Scale".

   For an even cohort that is stable (everyone in ``cohort_order`` present, no locked
   groups, each suggestion accepted, no do-not-pair pair falling in the next round) the
   rounds follow the circle-method round robin over ``cohort_order``: rounds 1..n-1 meet
   every pair exactly once, and roles are 2-coloured per pair of rounds so balance holds
   at every step (rounds 2, 4, ... pair a +1 with a -1). The round robin is recognised by
   ``history`` being exactly the construction's first rounds (as member sets). Anything
   else (absences, joiners, odd numbers, constraints, locks) is solved round by round with
   weighted matching and no look-ahead, so "everyone meets everyone before anyone meets
   someone twice" then holds as long as each round *can* avoid repeats, not always for the
   whole term (see ``bench/pairing.py``). With a triad it cannot always hold at all: for 5
   trainees, the pairs unmet after round 1 form K(3,2), which has no triangle for a triad.
5. **Deterministic.** The same input gives the same output; the order of ``present`` and
   of ``forbidden`` does not matter.

Scale. Matching is networkx's blossom ``max_weight_matching`` with exact integer weights
encoding the objective above; an odd number adds an "observer slot" vertex, and the trainee
matched to it observes the matched pair they met least. From ``SPARSE_MIN_NODES`` present
the graph is first sparsified: each trainee keeps ``SPARSE_DEGREE`` never-met allowed
partners (taken round the cohort order among those whose role balance fits, see
``sparse_edges``) and their ``SPARSE_DEGREE`` cheapest met ones, then
``SPARSE_REFINE_DEGREE`` of each. When the never-met pairs of the sparse graph alone group
everyone (and, odd, the observer has the fewest observer turns and has met neither partner),
that grouping costs nothing, so it is optimal in all four terms: it is found with an
unweighted blossom search from a greedy start (``_perfect_matching``), far faster than the
weighted solve. Otherwise a sparse answer is kept when it meets a lower bound: of the
whole objective (half the sum of each trainee's cheapest allowed pair: in practice, everyone
still has a never-met partner and no pair repeats), or of the level and repeat count (half
the number present minus a maximum matching of never-met allowed pairs, and for an odd number
plus what the observer can add; the last two terms are then best effort). Otherwise an even number is solved on the dense graph,
exactly, up to ``DENSE_EXACT_MAX`` present, and beyond that the better sparse answer is
kept; an odd number from ``TRIAD_SEARCH_MAX_NODES`` keeps the better sparse answer if its
observer has the fewest observer turns. A sparse graph without a valid grouping always falls
back to the dense one, so guarantees 1-3 never depend on sparsification.

Measured on a 2-core machine (``python -m bench``): 200 trainees with 5% of pairs
do-not-pair and 10 rounds of history take about 0.01 s; late in a long term, once never-met
partners run out, up to about 0.8 s (200) or 0.5 s (201). A 1,000-trainee round-robin round
takes about 1 ms, and recognising 998 rounds of round-robin history about 0.1 s. 2,000 or
2,001 present with 1% of pairs do-not-pair take 0.1-0.3 s of CPU, also 40 rounds into a term
(``bench/results.json`` has the latest numbers).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import networkx as nx

__all__ = [
    "Group",
    "PairingImpossible",
    "TraineeState",
    "round_robin_round",
    "round_robin_schedule",
    "suggest_groups",
]

SPARSE_MIN_NODES = 64
SPARSE_DEGREE = 8
SPARSE_REFINE_DEGREE = 24
DENSE_EXACT_MAX = 250
TRIAD_SEARCH_MAX_NODES = 40
TRIAD_SEARCH_BUDGET = 300
_EXPLAIN_EXACT_MAX = 120  # exact Gallai-Edmonds explanation up to this many present
_NAMES_SHOWN = 8
_REASONS_SHOWN = 5


@dataclass(frozen=True)
class TraineeState:
    """One trainee's standing before this round."""

    id: int
    name: str
    client_turns: int = 0
    therapist_turns: int = 0
    observer_turns: int = 0

    @property
    def balance(self) -> int:
        """``client_turns - therapist_turns``: > 0 means they must not be client this round."""
        return self.client_turns - self.therapist_turns


@dataclass(frozen=True)
class Group:
    """One pairing: a dyad, or a triad when ``observer`` is set."""

    client: int
    therapist: int
    observer: int | None = None

    def members(self) -> tuple[int, ...]:
        if self.observer is None:
            return (self.client, self.therapist)
        return (self.client, self.therapist, self.observer)


class PairingImpossible(Exception):
    """No valid grouping exists; ``.message`` says why in plain words for a supervisor.

    ``.people`` holds the ids of the trainees the explanation is about.
    """

    def __init__(self, message: str, people: Iterable[int] = ()):
        super().__init__(message)
        self.message = message
        self.people = tuple(people)


# --------------------------------------------------------------------------- round robin


def round_robin_round(cohort_order: Sequence[int], r: int) -> list[tuple[int, int]]:
    """Pairs of round ``r`` (0-based, taken modulo n-1) of the circle-method round robin.

    The last id in ``cohort_order`` stays put; the others rotate. Over rounds 0..n-2 every
    pair of the (even) cohort meets exactly once.
    """
    n = len(cohort_order)
    if n < 2 or n % 2:
        raise ValueError("the round robin needs an even number of trainees, at least two")
    k = n - 1
    r %= k
    pairs = [(cohort_order[r], cohort_order[k])]
    for i in range(1, n // 2):
        pairs.append((cohort_order[(r + i) % k], cohort_order[(r - i) % k]))
    return pairs


def _block_colouring(cohort_order: Sequence[int], g: int) -> dict[int, int]:
    """2-colouring of the union of the two rounds of the block holding global round ``g``.

    Blocks are rounds (0,1), (2,3), ...: the union of two perfect matchings is a set of even
    alternating cycles, coloured alternately starting from the earliest trainee of each
    cycle. Every pair of both rounds then joins the two colours.
    """
    base = g - g % 2
    first = dict(_mates(round_robin_round(cohort_order, base)))
    second = dict(_mates(round_robin_round(cohort_order, base + 1)))
    colour: dict[int, int] = {}
    for start in cohort_order:
        if start in colour:
            continue
        colour[start] = 0
        current = start
        while True:
            partner = first[current]
            colour[partner] = 1
            current = second[partner]
            if current == start:
                break
            colour[current] = 0
    return colour


def _mates(pairs: Iterable[tuple[int, int]]) -> Iterable[tuple[int, int]]:
    for a, b in pairs:
        yield a, b
        yield b, a


def _round_robin_groups(
    cohort_order: Sequence[int],
    g: int,
    balance: dict[int, int],
    forbidden: Collection[frozenset[int]],
    position: dict[int, int] | None = None,
    colours: dict[int, dict[int, int]] | None = None,
) -> list[Group] | None:
    """Global round ``g`` of the round robin with roles, or None if it breaks a hard rule.

    ``position`` and ``colours`` (block colourings by first round) are caches for callers
    computing many rounds.
    """
    if position is None:
        position = {tid: p for p, tid in enumerate(cohort_order)}
    if colours is None:
        colours = {}
    groups = []
    for x, y in round_robin_round(cohort_order, g):
        if forbidden and frozenset((x, y)) in forbidden:
            return None
        bx, by = balance[x], balance[y]
        if (bx > 0 and by > 0) or (bx < 0 and by < 0):
            return None
        if bx != by:
            therapist = x if bx > by else y
        else:
            # Both balanced: the block colouring decides, so that the next round's pairs
            # each join a +1 with a -1. In the first round of a block colour 0 is client,
            # in the second (where ties are not expected) colour 0 is therapist.
            base = g - g % 2
            if base not in colours:
                colours[base] = _block_colouring(cohort_order, base)
            zero = x if colours[base][x] == 0 else y
            other = y if zero == x else x
            therapist = other if g % 2 == 0 else zero
        client = y if therapist == x else x
        groups.append((min(position[x], position[y]), Group(client=client, therapist=therapist)))
    groups.sort(key=lambda item: item[0])
    return [group for _, group in groups]


def round_robin_schedule(cohort_order: Sequence[int]) -> list[list[Group]]:
    """All n-1 rounds of the round robin with roles, as ``suggest_groups`` suggests them to a
    stable, even, unconstrained cohort that starts balanced and accepts each round."""
    order = list(cohort_order)
    position = {tid: p for p, tid in enumerate(order)}
    balance = dict.fromkeys(order, 0)
    rounds = []
    colours: dict[int, dict[int, int]] = {}
    for g in range(len(order) - 1):
        groups = _round_robin_groups(order, g, balance, (), position, colours)
        assert groups is not None  # balanced start: every round keeps the balance
        for group in groups:
            balance[group.client] += 1
            balance[group.therapist] -= 1
        rounds.append(groups)
    return rounds


def _history_is_round_robin(history: Sequence[Sequence[Group]], order: Sequence[int]) -> bool:
    n = len(order)
    for g, groups in enumerate(history):
        mate: dict[int, int] = {}
        for group in groups:
            if group.observer is not None:
                return False
            mate[group.client] = group.therapist
            mate[group.therapist] = group.client
        if len(mate) != n:
            return False
        for x, y in round_robin_round(order, g):
            if mate.get(x) != y:
                return False
    return True


# --------------------------------------------------------------------------- entry point


def suggest_groups(
    present: Sequence[TraineeState],
    history: Sequence[Sequence[Group]],
    forbidden: Collection[frozenset[int]],
    locked: Sequence[Group] = (),
    cohort_order: Sequence[int] | None = None,
) -> list[Group]:
    """Groups for everyone in ``present`` this round (locked groups are not returned).

    ``present``: trainees present and not in a locked group, with role counts *before* this
    round. ``history``: earlier rounds, oldest first. ``forbidden``: do-not-pair pairs of
    ids. ``locked``: groups the supervisor fixed this round. ``cohort_order``: a stable
    ordering of all the cohort's trainee ids (defaults to ascending ids).
    Raises ``PairingImpossible`` when no valid grouping exists (see the module docstring).
    """
    states = list(present)
    ids = [s.id for s in states]
    if len(set(ids)) != len(ids):
        raise ValueError("a trainee is listed more than once in `present`")
    locked_ids = {m for group in locked for m in group.members()}
    if locked_ids & set(ids):
        raise ValueError("members of a locked group must not be in `present`")
    forbidden_pairs: set[frozenset[int]] = set()
    for pair in forbidden:
        pair = frozenset(pair)
        if len(pair) != 2:
            raise ValueError(f"a do-not-pair constraint must name two trainees, got {set(pair)}")
        forbidden_pairs.add(pair)
    if not states:
        return []
    if len(states) == 1:
        raise _alone(states[0], locked)

    position = {tid: p for p, tid in enumerate(cohort_order or ())}
    tail = len(position)
    ordered = sorted(states, key=lambda s: (position.get(s.id, tail), s.id))

    if not locked and len(states) % 2 == 0:
        order = list(cohort_order) if cohort_order is not None else sorted(ids)
        if (
            len(order) == len(states)
            and set(order) == set(ids)
            and _history_is_round_robin(history, order)
        ):
            balance = {s.id: s.balance for s in states}
            groups = _round_robin_groups(order, len(history), balance, forbidden_pairs)
            if groups is not None:
                return groups

    return _Round(ordered, history, forbidden_pairs).solve()


def _alone(state: TraineeState, locked: Sequence[Group]) -> PairingImpossible:
    if locked:
        advice = (
            f"Add {state.name} to one of the locked pairings as observer, "
            f"or mark {state.name} absent for this round."
        )
    else:
        advice = f"Mark {state.name} absent for this round, or add another trainee."
    return PairingImpossible(
        f"{state.name} is the only trainee left to group this round, "
        f"and one person cannot form a group on their own. {advice}",
        people=[state.id],
    )


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class _Solution:
    cost: int
    pairs: tuple[tuple[int, int], ...]  # dyads, plus the triad's client-therapist pair
    observer: int | None = None
    triad_pair: tuple[int, int] | None = None


_INFINITY = float("inf")


class _Round:
    """One round's problem, on indices 0..n-1 in cohort order."""

    def __init__(
        self,
        ordered: Sequence[TraineeState],
        history: Sequence[Sequence[Group]],
        forbidden: set[frozenset[int]],
    ):
        self.ids = [s.id for s in ordered]
        self.names = [s.name for s in ordered]
        self.balance = [s.balance for s in ordered]
        self.therapist_turns = [s.therapist_turns for s in ordered]
        n = self.n = len(ordered)
        index = {tid: i for i, tid in enumerate(self.ids)}
        self.forbidden = set()
        for pair in forbidden:
            a, b = pair
            if a in index and b in index:
                self.forbidden.add(_key(index[a], index[b]))

        met: dict[tuple[int, int], tuple[int, int]] = {}
        for r, groups in enumerate(history):
            seen: set[tuple[int, int]] = set()
            for group in groups:
                members = [index[m] for m in group.members() if m in index]
                for x in range(len(members)):
                    for y in range(x + 1, len(members)):
                        key = _key(members[x], members[y])
                        if key in seen:
                            continue
                        seen.add(key)
                        met[key] = (met.get(key, (0, 0))[0] + 1, r)
        self.met = met
        self.met_with: list[list[int]] = [[] for _ in range(n)]
        for a, b in met:
            self.met_with[a].append(b)
            self.met_with[b].append(a)

        # Integer weights encoding the lexicographic objective: each term outweighs the sum,
        # over a whole solution (at most n + 2 pairs), of all the terms after it.
        rounds = len(history)
        pairs_bound = n + 2
        self.w_times = pairs_bound * rounds + 1
        self.w_repeat = pairs_bound * rounds * (self.w_times + 1) + 1
        # A multiple of w_repeat, so that cost // w_repeat ranks (level, repeats) exactly.
        self.w_level = self.w_repeat * (pairs_bound + 1)
        least = min(s.observer_turns for s in ordered)
        self.level = [s.observer_turns - least for s in ordered]
        self.top = self.w_level * (max(self.level) + 1) + 1
        self._dense: dict[tuple[int, int], int] | None = None
        self._unmet_matching_size: int | None = None

    # -- pair properties

    def cost(self, a: int, b: int) -> int:
        record = self.met.get(_key(a, b))
        if record is None:
            return 0
        times, last = record
        return self.w_repeat + self.w_times * times + last + 1

    def may_group(self, a: int, b: int) -> bool:
        return _key(a, b) not in self.forbidden

    def role_clash(self, a: int, b: int) -> bool:
        ba, bb = self.balance[a], self.balance[b]
        return (ba > 0 and bb > 0) or (ba < 0 and bb < 0)

    def may_pair(self, a: int, b: int) -> bool:
        return self.may_group(a, b) and not self.role_clash(a, b)

    # -- graphs

    def dense_edges(self) -> dict[tuple[int, int], int]:
        if self._dense is None:
            edges = {}
            met, forbidden, balance = self.met, self.forbidden, self.balance
            w_repeat, w_times = self.w_repeat, self.w_times
            for a in range(self.n):
                ba = balance[a]
                for b in range(a + 1, self.n):
                    bb = balance[b]
                    if (a, b) in forbidden or (ba > 0 and bb > 0) or (ba < 0 and bb < 0):
                        continue
                    record = met.get((a, b))
                    edges[(a, b)] = (
                        0 if record is None else w_repeat + w_times * record[0] + record[1] + 1
                    )
            self._dense = edges
        return self._dense

    def sparse_edges(self, degree: int) -> tuple[dict[tuple[int, int], int], list[float]]:
        """A sparse graph: for each trainee up to ``degree`` never-met allowed partners plus
        their ``degree`` cheapest allowed partners among those met; and each trainee's
        cheapest allowed cost.

        Never-met partners are taken round the cohort order among those whose role balance
        fits: a balanced trainee starts just after themselves; one who must not be client
        (or therapist) starts at the same share of the way through the partners who fit them
        as they are through their own kind. So when, late in a term, those who must be
        therapist sit together in the cohort order, each still gets partners of their own
        rather than all sharing the first few who fit - a graph that has no grouping at all
        and used to send a big cohort to the dense solve."""
        n = self.n
        edges: dict[tuple[int, int], int] = {}
        cheapest: list[float] = []
        balance = self.balance
        kinds = {
            sign: [v for v in range(n) if (balance[v] > 0) - (balance[v] < 0) == sign]
            for sign in (-1, 0, 1)
        }
        rank = {v: r for members in kinds.values() for r, v in enumerate(members)}
        fitting = {
            1: sorted(kinds[0] + kinds[-1]),
            -1: sorted(kinds[0] + kinds[1]),
            0: list(range(n)),
        }
        for a in range(n):
            unmet = 0
            sign = (balance[a] > 0) - (balance[a] < 0)
            partners = fitting[sign]
            count = len(partners)
            first = a + 1 if sign == 0 else rank[a] * count // len(kinds[sign])
            for step in range(count):
                b = partners[(first + step) % count]
                key = _key(a, b)
                if b == a or key in self.met or not self.may_pair(a, b):
                    continue
                edges[key] = 0
                unmet += 1
                if unmet >= degree:
                    break
            known = sorted(
                (self.cost(a, b), (b - a) % n, b) for b in self.met_with[a] if self.may_pair(a, b)
            )
            for c, _, b in known[:degree]:
                edges[_key(a, b)] = c
            cheapest.append(0 if unmet else known[0][0] if known else _INFINITY)
        return edges, cheapest

    def unmet_company(self, o: int) -> int:
        """How many present trainees ``o`` has never met and may be grouped with."""
        met = set(self.met_with[o])
        return sum(1 for v in range(self.n) if v != o and v not in met and self.may_group(o, v))

    def unmet_matching_size(self) -> int:
        """Most pairs of never-met, allowed partners that can meet at once."""
        if self._unmet_matching_size is None:
            graph = nx.Graph()
            graph.add_nodes_from(range(self.n))
            graph.add_edges_from(k for k, c in self.dense_edges().items() if c == 0)
            self._unmet_matching_size = len(nx.max_weight_matching(graph, maxcardinality=True))
        return self._unmet_matching_size

    def match(
        self, nodes: Iterable[int], edges: dict[tuple[int, int], int]
    ) -> dict[int, int] | None:
        """Minimum-cost perfect matching of ``nodes`` over ``edges``, or None if none exists."""
        graph = nx.Graph()
        graph.add_nodes_from(nodes)
        top = self.top
        graph.add_weighted_edges_from((a, b, top - c) for (a, b), c in edges.items())
        mate = {}
        for a, b in nx.max_weight_matching(graph, maxcardinality=True):
            mate[a] = b
            mate[b] = a
        return mate if len(mate) == graph.number_of_nodes() else None

    # -- solving

    def solve(self) -> list[Group]:
        solution = self.solve_even() if self.n % 2 == 0 else self.solve_odd()
        return self.groups(solution)

    def solve_even(self) -> _Solution:
        nodes = range(self.n)
        best: _Solution | None = None
        if self.n >= SPARSE_MIN_NODES:
            for degree in (SPARSE_DEGREE, SPARSE_REFINE_DEGREE):
                edges, cheapest = self.sparse_edges(degree)
                free = _perfect_matching(nodes, [k for k, c in edges.items() if c == 0])
                if free is not None:
                    return _pairs_solution(free, edges)  # costs nothing at all: optimal
                mate = self.match(nodes, edges)
                if mate is None:
                    continue
                found = _pairs_solution(mate, edges)
                if best is None or found.cost < best.cost:
                    best = found
                if 2 * found.cost == sum(cheapest):
                    return found  # equals a lower bound of the dense problem: optimal
                if self.key(found.cost) == self.n // 2 - self.unmet_matching_size():
                    return found  # fewest repeats for sure (the rest is best effort)
            if best is not None and self.n > DENSE_EXACT_MAX:
                return best
        edges = self.dense_edges()
        mate = self.match(nodes, edges)
        if mate is None:
            raise self.explain_no_matching()
        return _pairs_solution(mate, edges)

    def observer_edges(self, z: int) -> dict[tuple[int, int], int]:
        return {(v, z): self.w_level * self.level[v] for v in range(self.n)}

    def key(self, cost: float) -> int:
        """The (observer level, repeat pairs) part of a cost, as one comparable integer."""
        return int(cost // self.w_repeat)

    def solve_odd(self) -> _Solution:
        n = z = self.n
        nodes = range(n + 1)
        best: _Solution | None = None
        if n >= SPARSE_MIN_NODES:
            for degree in (SPARSE_DEGREE, SPARSE_REFINE_DEGREE):
                edges, cheapest = self.sparse_edges(degree)
                edges.update(self.observer_edges(z))
                free = _perfect_matching(nodes, [k for k, c in edges.items() if c == 0])
                found = None if free is None else self.attach(free, edges)
                if found is not None and found.cost == 0:
                    return found  # costs nothing at all, the observer's meetings included
                mate = self.match(nodes, edges)
                found = None if mate is None else self.attach(mate, edges)
                if found is None:
                    continue
                if best is None or found.cost < best.cost:
                    best = found
                # Half the sum of each trainee's cheapest edge bounds any grouping; so does
                # this: unmet pairs are at most a matching of unmet allowed pairs plus what
                # the observer adds (and level 0 is the least possible).
                twice = sum(
                    min(c, self.w_level * lv) for c, lv in zip(cheapest, self.level, strict=True)
                )
                if self.key(found.cost) == self.key(-(-twice // 2)):
                    return found
                pairs = (n - 1) // 2 + 2
                observer_new = max(min(2, self.unmet_company(o)) for o in range(n))
                if self.key(found.cost) == pairs - self.unmet_matching_size() - observer_new:
                    return found
            fairest = best is not None and self.level[best.observer] == 0
            if fairest and n >= TRIAD_SEARCH_MAX_NODES:
                return best  # no exact search at this size: best effort
        dense = self.dense_edges()
        edges = dict(dense)
        edges.update(self.observer_edges(z))
        mate = self.match(nodes, edges)
        if mate is None:
            raise self.explain_no_matching()
        # Every grouping is a perfect matching of the graph plus an observer slot, so this
        # optimum bounds them all from below.
        lower = sum(edges[_key(a, b)] for a, b in mate.items() if a < b)
        found = self.attach(mate, edges)
        if found is not None and (best is None or found.cost < best.cost):
            best = found
        if best is not None and self.key(best.cost) == self.key(lower):
            return best
        if best is None or n < TRIAD_SEARCH_MAX_NODES:
            best = self.triad_search(dense, lower, best)
        if best is None:
            raise self.explain_no_triad()
        return best

    def attach(self, mate: dict[int, int], edges: dict[tuple[int, int], int]) -> _Solution | None:
        """Make the trainee matched to the observer slot observe the pair they met least."""
        z = self.n
        pairs = sorted(_key(a, b) for a, b in mate.items() if a < b and b != z)
        return self.attach_to(mate[z], pairs, sum(edges[p] for p in pairs))

    def attach_to(
        self, observer: int, pairs: Sequence[tuple[int, int]], pairs_cost: int
    ) -> _Solution | None:
        choice = None
        for a, b in pairs:
            if self.may_group(observer, a) and self.may_group(observer, b):
                extra = self.cost(observer, a) + self.cost(observer, b)
                if choice is None or extra < choice[0]:
                    choice = (extra, (a, b))
        if choice is None:
            return None
        cost = self.w_level * self.level[observer] + pairs_cost + choice[0]
        return _Solution(cost, tuple(pairs), observer, choice[1])

    def triad_search(
        self, dense: dict[tuple[int, int], int], lower: int, best: _Solution | None
    ) -> _Solution | None:
        """Branch and bound over the triad's client-therapist pair.

        For a fixed pair (a, b) the best grouping is exact with one matching: the others
        plus an observer slot, where observing costs the observer's level plus what they
        add by meeting a and b. A grouping with pair (a, b) and observer o costs at least
        what o adds plus each of: ``lower``; o's level plus the pair's own cost; and, when
        many pairs remain, o's level plus the best matching of everyone but o. Pairs are
        tried cheapest bound first until the bound's (level, repeats) reaches the best
        grouping found. Complete until a valid grouping is known, then limited to
        ``TRIAD_SEARCH_BUDGET`` matchings.
        """
        n = z = self.n
        level_cost = [self.w_level * lv for lv in self.level]
        observer_bound: dict[int, int] = {}

        def candidates() -> list[tuple[int, int, int]]:
            found = []
            for (a, b), c in dense.items():
                bound = None
                for o in range(n):
                    if o in (a, b) or not (self.may_group(o, a) and self.may_group(o, b)):
                        continue
                    extra = self.cost(o, a) + self.cost(o, b)
                    here = max(lower, level_cost[o] + c, observer_bound.get(o, 0)) + extra
                    if bound is None or here < bound:
                        bound = here
                if bound is not None and (best is None or self.key(bound) < self.key(best.cost)):
                    found.append((bound, a, b))
            return sorted(found)

        todo = candidates()
        if best is not None and len(todo) > n // 2:
            # Tighten the bounds with each possible observer's own best matching (which,
            # with them attached to their least-met pair, may also improve the best).
            for o in range(n):
                if self.key(level_cost[o]) > self.key(best.cost):
                    observer_bound[o] = level_cost[o]
                    continue
                rest = {k: c for k, c in dense.items() if o not in k}
                mate = self.match((v for v in range(n) if v != o), rest)
                if mate is None:
                    observer_bound[o] = self.top * n  # cannot observe: rules o out
                    continue
                pairs = sorted(_key(x, y) for x, y in mate.items() if x < y)
                pairs_cost = sum(rest[p] for p in pairs)
                observer_bound[o] = level_cost[o] + pairs_cost
                found = self.attach_to(o, pairs, pairs_cost)
                if found is not None and found.cost < best.cost:
                    best = found
            todo = candidates()

        budget = TRIAD_SEARCH_BUDGET
        for bound, a, b in todo:
            if best is not None:
                if self.key(bound) >= self.key(best.cost) or budget <= 0:
                    break
                budget -= 1
            rest = {k: c for k, c in dense.items() if a not in k and b not in k}
            for o in range(n):
                if o not in (a, b) and self.may_group(o, a) and self.may_group(o, b):
                    rest[(o, z)] = level_cost[o] + self.cost(o, a) + self.cost(o, b)
            mate = self.match((v for v in range(n + 1) if v not in (a, b)), rest)
            if mate is None:
                continue
            cost = dense[(a, b)] + sum(rest[_key(x, y)] for x, y in mate.items() if x < y)
            if best is None or cost < best.cost:
                pairs = sorted(_key(x, y) for x, y in mate.items() if x < y and y != z)
                best = _Solution(cost, (*pairs, (a, b)), mate[z], (a, b))
        return best

    def groups(self, solution: _Solution) -> list[Group]:
        out = []
        for a, b in solution.pairs:
            client, therapist = self.roles(a, b)
            observer = solution.observer if (a, b) == solution.triad_pair else None
            first = min(a, b) if observer is None else min(a, b, observer)
            out.append((first, client, therapist, observer))
        out.sort()
        ids = self.ids
        return [
            Group(
                client=ids[c],
                therapist=ids[t],
                observer=None if o is None else ids[o],
            )
            for _, c, t, o in out
        ]

    def roles(self, a: int, b: int) -> tuple[int, int]:
        """(client, therapist): the one who has been client more is therapist."""
        ba, bb = self.balance[a], self.balance[b]
        if ba != bb:
            therapist = a if ba > bb else b
        elif self.therapist_turns[a] != self.therapist_turns[b]:
            therapist = a if self.therapist_turns[a] < self.therapist_turns[b] else b
        else:
            therapist = max(a, b)
        return (b if therapist == a else a), therapist

    # -- explanations (only built when nothing valid exists)

    def explain_no_matching(self) -> PairingImpossible:
        return _Explainer(self).no_matching()

    def explain_no_triad(self) -> PairingImpossible:
        return _Explainer(self).no_triad()


def _key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _pairs_solution(mate: dict[int, int], edges: dict[tuple[int, int], int]) -> _Solution:
    pairs = tuple(sorted((a, b) for a, b in mate.items() if a < b))
    return _Solution(sum(edges[p] for p in pairs), pairs)


def _perfect_matching(
    nodes: Iterable[int], edges: Sequence[tuple[int, int]]
) -> dict[int, int] | None:
    """A perfect matching of ``nodes`` over unweighted ``edges``, or None if none exists.

    Where every edge costs nothing, any perfect matching is a cheapest one, and this finds one
    far faster than a weighted blossom solve: a greedy matching (fewest partners first, then
    cohort order, so the answer is deterministic) leaves few people out, and each is then
    matched along an augmenting path (Edmonds' blossom algorithm, unweighted). A person with
    no augmenting path is left out of every maximum matching, so none is perfect.
    """
    order = list(nodes)
    index = {v: i for i, v in enumerate(order)}
    size = len(order)
    adjacent: list[list[int]] = [[] for _ in range(size)]
    for a, b in edges:
        adjacent[index[a]].append(index[b])
        adjacent[index[b]].append(index[a])
    for partners in adjacent:
        partners.sort()
    match = [-1] * size
    for v in sorted(range(size), key=lambda v: (len(adjacent[v]), v)):
        if match[v] == -1:
            for w in sorted(adjacent[v], key=lambda w: (len(adjacent[w]), w)):
                if match[w] == -1:
                    match[v], match[w] = w, v
                    break
    for root in range(size):
        if match[root] == -1 and not _augment(root, adjacent, match):
            return None
    return {order[v]: order[w] for v, w in enumerate(match)}


def _augment(root: int, adjacent: list[list[int]], match: list[int]) -> bool:
    """Grow alternating trees from ``root``, shrinking odd cycles (blossoms) into their base;
    on reaching an unmatched person, flip the path so that ``root`` is matched too."""
    size = len(match)
    base = list(range(size))
    parent = [-1] * size
    in_tree = [False] * size
    in_tree[root] = True
    queue = deque([root])
    reached = [root]  # everyone in the tree: only their bases can be inside a blossom

    def common_base(a: int, b: int) -> int:
        seen = [False] * size
        while True:
            a = base[a]
            seen[a] = True
            if match[a] == -1:
                break
            a = parent[match[a]]
        while True:
            b = base[b]
            if seen[b]:
                return b
            b = parent[match[b]]

    def mark(v: int, stop: int, child: int, blossom: list[bool]) -> None:
        while base[v] != stop:
            blossom[base[v]] = blossom[base[match[v]]] = True
            parent[v] = child
            child = match[v]
            v = parent[match[v]]

    while queue:
        v = queue.popleft()
        for w in adjacent[v]:
            if base[v] == base[w] or match[v] == w:
                continue
            if w == root or (match[w] != -1 and parent[match[w]] != -1):
                stop = common_base(v, w)
                blossom = [False] * size
                mark(v, stop, w, blossom)
                mark(w, stop, v, blossom)
                for u in reached:
                    if blossom[base[u]]:
                        base[u] = stop
                        if not in_tree[u]:
                            in_tree[u] = True
                            queue.append(u)
            elif parent[w] == -1:
                parent[w] = v
                if match[w] == -1:
                    while w != -1:  # flip the path back to the root
                        v = parent[w]
                        after = match[v]
                        match[w], match[v] = v, w
                        w = after
                    return True
                in_tree[match[w]] = True
                queue.append(match[w])
                reached += (w, match[w])
    return False


# --------------------------------------------------------------------------- explanations


def _join(words: Sequence[str], conjunction: str = "and") -> str:
    words = list(words)
    if len(words) > _NAMES_SHOWN:
        words = [*words[: _NAMES_SHOWN - 1], f"{len(words) - _NAMES_SHOWN + 1} others"]
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def _clauses(parts: Sequence[str]) -> str:
    if len(parts) <= 2:
        return ", and ".join(parts)
    return "; ".join(parts[:-1]) + "; and " + parts[-1]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class _Explainer:
    """Plain-words reasons why no valid grouping exists, for a supervisor."""

    def __init__(self, problem: _Round):
        self.p = problem
        self.n = problem.n

    def who(self, people: Iterable[int], conjunction: str = "and") -> str:
        return _join([self.p.names[i] for i in people], conjunction)

    def fail(self, message: str, people: Iterable[int]) -> PairingImpossible:
        return PairingImpossible(message, people=[self.p.ids[i] for i in sorted(set(people))])

    def imbalance(self, people: Sequence[int], sign: int) -> str:
        more, less = ("client", "therapist") if sign > 0 else ("therapist", "client")
        how = "one more time" if all(abs(self.p.balance[i]) == 1 for i in people) else "more often"
        if len(people) == 2:
            return f"{self.who(people)} have both been {more} {how} than {less}, so neither can be {more}"
        return f"{self.who(people)} have each been {more} {how} than {less}, so none of them can be {more}"

    def reasons(self, blocked: Iterable[tuple[int, int]], roles: bool = True) -> list[str]:
        """Why each pair in ``blocked`` may not be a client-therapist pair, summarised."""
        p = self.p
        blocked = sorted(set(blocked))
        forbidden = [k for k in blocked if k in p.forbidden]
        plus = sorted({x for k in blocked if p.role_clash(*k) and p.balance[k[0]] > 0 for x in k})
        minus = sorted({x for k in blocked if p.role_clash(*k) and p.balance[k[0]] < 0 for x in k})
        parts = []
        remaining = list(forbidden)
        while remaining and len(parts) < _REASONS_SHOWN:
            counts: dict[int, int] = {}
            for a, b in remaining:
                counts[a] = counts.get(a, 0) + 1
                counts[b] = counts.get(b, 0) + 1
            hub = min(counts, key=lambda i: (-counts[i], i))
            if counts[hub] > 1:
                partners = [b if a == hub else a for a, b in remaining if hub in (a, b)]
                remaining = [k for k in remaining if hub not in k]
                parts.append(
                    f"{p.names[hub]} may not be paired with {self.who(partners, 'or')} (do-not-pair)"
                )
            else:
                a, b = remaining.pop(0)
                parts.append(f"{p.names[a]} and {p.names[b]} may not be paired (do-not-pair)")
        if remaining:
            parts.append(f"{_plural(len(remaining), 'more do-not-pair constraint')} apply")
        if plus and roles:
            parts.append(self.imbalance(plus, +1))
        if minus and roles:
            parts.append(self.imbalance(minus, -1))
        return parts

    # -- the cases

    def no_matching(self) -> PairingImpossible:
        p, n = self.p, self.n
        odd = n % 2 == 1
        everyone = range(n)
        if n == 2:
            return self.fail(
                f"{_clauses(self.reasons([(0, 1)]))}, and they are the only two present.",
                everyone,
            )
        for sign in (1, -1):
            crowd = [i for i in everyone if sign * p.balance[i] > 0]
            if 2 * len(crowd) > (n + 1 if odd else n):
                return self.too_many(crowd, sign)
        loners = [i for i in everyone if not any(p.may_group(i, j) for j in everyone if j != i)]
        if loners:
            i = loners[0]
            return self.fail(
                f"{p.names[i]} cannot be in a group with anyone present: "
                f"{_clauses(self.reasons(_key(i, j) for j in everyone if j != i))}.",
                [i],
            )
        if not odd:
            isolated = [
                i for i in everyone if not any(p.may_pair(i, j) for j in everyone if j != i)
            ]
            if isolated:
                i = isolated[0]
                return self.fail(
                    f"{p.names[i]} cannot be paired with anyone present: "
                    f"{_clauses(self.reasons(_key(i, j) for j in everyone if j != i))}.",
                    [i],
                )
        if n <= _EXPLAIN_EXACT_MAX:
            return self.gallai_edmonds()
        count = len(p.forbidden)
        return self.fail(
            f"No way exists to group all {n} trainees present: the "
            f"{_plural(count, 'do-not-pair constraint')} among them and the role balance rule "
            "(nobody is client or therapist twice more than the other) rule out every "
            "arrangement. Remove a do-not-pair constraint or mark someone absent.",
            [],
        )

    def too_many(self, crowd: Sequence[int], sign: int) -> PairingImpossible:
        p, n = self.p, self.n
        more, less = ("client", "therapist") if sign > 0 else ("therapist", "client")
        others = [i for i in range(n) if i not in crowd]
        how = "one more time" if all(abs(p.balance[i]) == 1 for i in crowd) else "more often"
        role = f"{less} or the observer of the one group of three" if n % 2 else less
        if others:
            supply = f"only {self.who(others)} can be {more} for them"
        else:
            supply = f"nobody else present can be {more} for them"
        return self.fail(
            f"{self.who(crowd)} have each been {more} {how} than {less}, so each of them must "
            f"be {role} this round, with a partner who can be {more}; {supply}.",
            crowd,
        )

    def gallai_edmonds(self) -> PairingImpossible:
        """Explain with the Gallai-Edmonds decomposition of the pairing graph.

        D = trainees left out by some maximum matching; A = their other partners. The
        groups of D can pair only within themselves or with A, and there are more such
        groups than people in A (plus the one observer slot when the number is odd).
        """
        p, n = self.p, self.n
        odd = n % 2 == 1
        z = n
        graph = nx.Graph()
        graph.add_nodes_from(range(n))
        graph.add_edges_from(p.dense_edges())
        if odd:
            graph.add_edges_from((v, z) for v in range(n))
        matching = nx.max_weight_matching(graph, maxcardinality=True)
        size = len(matching)
        matched = {v for edge in matching for v in edge}
        nodes = set(graph)

        def sometimes_left_out(v: int) -> bool:
            if v not in matched:
                return True
            rest = graph.subgraph(nodes - {v})
            return len(nx.max_weight_matching(rest, maxcardinality=True)) == size

        stuck = {v for v in graph if sometimes_left_out(v)}
        barrier = {u for v in stuck for u in graph[v]} - stuck
        components = [sorted(c) for c in nx.connected_components(graph.subgraph(stuck))]
        components.sort()
        component_of = {v: k for k, c in enumerate(components) for v in c}
        short = len(components) - len(barrier)
        people = sorted(v for v in stuck if v != z)
        partners = sorted(v for v in barrier if v != z)
        blocked = set()
        for s in people:
            for v in range(n):
                if v != s and v not in barrier and component_of.get(v) != component_of[s]:
                    blocked.add(_key(s, v))
        if all(len(c) == 1 for c in components):
            lead = (
                f"{self.who(people)} can only be paired with {self.who(partners, 'or')}"
                if partners
                else f"{self.who(people)} cannot be paired with anyone present"
            )
        else:
            groups = [self.who(c) for c in components if len(c) > 1]
            within = (
                "with one another"
                if len(components) == 1
                else "within their own group (" + "; ".join(groups) + ")"
            )
            lead = f"{self.who(people)} can only be paired {within}"
            if partners:
                lead += f" or with {self.who(partners, 'or')}"
        reasons = self.reasons(blocked)
        message = lead + (f": {_clauses(reasons)}." if reasons else ".")
        left = f"{_plural(short, 'trainee')} would be left without a partner"
        if partners:
            message += f" {self.who(partners)} can partner only {len(partners)} of them"
            message += (
                f", and even with one of them observing a group of three, {left}."
                if odd
                else f", which leaves {left.replace(' would be left', '')}."
            )
        else:
            message += (
                f" Even with one of them observing a group of three, {left}."
                if odd
                else f" That leaves {left.replace(' would be left', '')}."
            )
        return self.fail(message, people)

    def no_triad(self) -> PairingImpossible:
        p, n = self.p, self.n
        constraints = sorted(p.forbidden)
        reasons = _clauses(self.reasons(constraints, roles=False))
        if n == 3:
            return self.fail(
                f"With only three present, all three must form one group, but {reasons}.",
                range(n),
            )
        return self.fail(
            f"With {n} present, one group must have three people, but every group of three "
            "that would leave the others able to pair includes two people who may not be "
            f"grouped: {reasons}.",
            {x for k in constraints for x in k},
        )
