"""The term planner: every remaining round of a cohort's term laid out at once. Pure Python, no
Django. A local search (``local_search.py``, over a fair triad rotation from ``triads.py``, roles
from ``roles.py``) finds the repeat-free rounds; OR-tools CP-SAT proves small cases and polishes
the rest of the term.

``plan_term`` takes the cohort's trainees (in cohort order), the number of rounds in the term, the
rounds already held (fixed), the known absences and locked groups of the rounds to come and the
do-not-pair pairs, and returns a ``TermPlan``: one list of ``Group`` per remaining round.

Guarantees (tested in ``tests/roleplay/planning/test_term_plan.py``: 1 and 3a against brute
force for up to 7 trainees and 4 rounds with absences and do-not-pair, 2 on random messy terms):

1. **Today's hard rules hold in every planned round**, as ``suggest_groups`` keeps them:
   everyone present is in one group; one triad exactly when the number present is odd;
   no do-not-pair pair in a group (observer included); role balance (client turns minus
   therapist turns) stays within one, round after round, for everyone whose balance was within
   one, and a larger imbalance never grows; locked groups are kept as they are (a locked dyad
   stays a dyad).
2. **Never worse than today's suggestion.** The round-by-round suggestion (``suggest_groups``
   accepted round after round, ``round_by_round``) is computed first and is the solver's
   starting point; a solver plan is returned only if its first repeat is no earlier and, at the
   same first repeat, it has no more repeat pairs. Otherwise, or when the solver finds nothing
   in its time, that suggestion *is* the plan (``source == "fallback"``).
3. **Objectives, in this order** (a repeat pair is two members of one group who were in one
   group before, in a held or planned round):

   a. the latest first repeat. The *horizon* (rounds from the start of the term before the
      first repeat) is searched first, up to the counting bound (each round holds n/2 pairs,
      or (n+3)/2 with a triad, from the never-met allowed pairs; everyone needs a never-met
      partner each round). First the local search adds rounds one by one, repairing repeats
      by swapping partners, seeded with a round robin laid on the last round held; it reaches
      the bound for every odd cohort from 9 to 41 and for even ones after an edit or an
      absence in well under a second (README). If it falls short (5 and 7 trainees, where the
      bound cannot be reached, or heavy constraints), CP-SAT searches from the bound down: a
      model of the rounds up to the target minimises their repeats and stops at zero; a proof
      that zero is impossible lowers the target, within ``_HORIZON_SHARE`` of the time.
      ``proven_horizon`` says no schedule can do better;
   b. the fewest repeat pairs over the whole term, and no pair meeting in two rounds in a row;
   c. triad turns shared: max - min triad turns over the term ≤ 1 where the counts allow it,
      and nobody in the triad two rounds in a row when someone else could be. A fair *triad
      rotation* (who sits in each round's triad: fewest turns first, no two of them together
      in two triads within the bound, see ``triads.py``) is chosen first and fixed in the
      searches above; if CP-SAT finds it rules out the target horizon, the triads are set free
      again (with 5 and 7 trainees, where the triad must then repeat back to back);
   d. observer turns even (max - min as small as possible).

   Then a stage of its own for (c)'s second half (``_fewer_back_to_back``, up to
   ``_TRIAD_SHARE`` of the time, only when some round is odd): CP-SAT with the first repeat,
   the repeat count, the pairs meeting two rounds running (repeats as far apart, part of (b))
   and the triad spread of the plan held as hard rules minimises back-to-back triad turns, then
   pairs meeting two rounds running, then the observer spread. (b) outranks (c), as the issue
   orders them: 7 trainees keep 6 back-to-back turns, since the fewest possible, 3, needs six
   pairs meeting two rounds running (tests/roleplay/planning/test_back_to_back.py).

   b-d are one weighted sum over the whole term with the horizon as a hard rule, weighted so
   that one repeat pair costs more than any triad or observer unfairness; they are *best
   effort* within the time left, stopping early at the repeat count's lower bound.
4. **Not deterministic when the time limit cuts the search short**: the local search is
   deterministic for its ``seed`` and CP-SAT has a fixed seed, but two workers share the time,
   so a busy machine can change what is found by then. A search that reaches the bound (or
   proves a target impossible) gives the same horizon every time.

Absences and joiners are both ``absent`` entries (a joiner is absent from the rounds before they
joined). A trainee who has left is simply not in ``trainees``.

Measured results (counting bound reached, seconds per plan) are in the README's "Term planner"
section and come from ``python -m bench bench.term_plan``.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from roleplay.planning.local_search import RoundSpec, fewest_repeats, repeat_free_prefix
from roleplay.planning.roles import assign_roles
from roleplay.planning.triads import back_to_back, back_to_back_floor, fair_triads
from roleplay.services.pairing_algorithm import (
    Group,
    PairingImpossible,
    TraineeState,
    suggest_groups,
)

__all__ = ["TermPlan", "TermProblem", "counting_bound", "first_repeat", "plan_term"]

# Objective weights (objective 3b-3d): one repeat pair outweighs any unfairness below it.
_W_REPEAT = 10_000
_W_CLOSE = 100  # a pair meeting again within _CLOSE_WINDOW rounds
_CLOSE_WINDOW = 1
_W_TRIAD_SPREAD = 200
_W_TRIAD_AGAIN = 50
_W_OBSERVER_SPREAD = 20
_HORIZON_SHARE = 0.6  # of the time limit spent on the horizon, the rest on the whole term
_TRIAD_SHARE = 0.3  # of the time limit kept for the back-to-back triad stage (odd rounds only)
_WORKERS = 2  # the machine has two cores; more workers only take turns


@dataclass(frozen=True)
class TermProblem:
    """What the planner needs to know. Rounds are numbered from 0 for the first of the term.

    ``trainees``: everyone in the cohort now, in cohort order (id, name). ``rounds``: how many
    rounds the term has, held ones included. ``held``: the groups of the rounds already held,
    oldest first. ``absent``: round number → ids absent from it (only rounds to come matter).
    ``locked``: round number → groups fixed in it. ``forbidden``: do-not-pair pairs of ids.
    """

    trainees: Sequence[tuple[int, str]]
    rounds: int
    held: Sequence[Sequence[Group]] = ()
    absent: Mapping[int, Collection[int]] = field(default_factory=dict)
    locked: Mapping[int, Sequence[Group]] = field(default_factory=dict)
    forbidden: Collection[frozenset[int]] = ()

    def present(self, r: int) -> list[int]:
        away = set(self.absent.get(r, ()))
        return [tid for tid, _ in self.trainees if tid not in away]


@dataclass(frozen=True)
class TermPlan:
    """The planned rounds (``rounds[0]`` is the next round to hold) and what they reach.

    ``first_repeat``: 1-based number of the term's round with the first repeat pair (held rounds
    counted), or None if none. ``repeats``: repeat pairs in the planned rounds. ``source``:
    "solver", or "fallback" when the round-by-round suggestion is used instead.
    ``proven_horizon``: no schedule has a later first repeat.
    """

    rounds: list[list[Group]]
    first_repeat: int | None
    repeats: int
    triad_turns: dict[int, int]
    observer_turns: dict[int, int]
    source: str
    proven_horizon: bool = False
    horizon_seconds: float | None = None  # when the search reached the plan's horizon


# --------------------------------------------------------------------------- measures


def _pairs(group: Group) -> list[frozenset[int]]:
    return [frozenset(p) for p in itertools.combinations(group.members(), 2)]


def meetings_running(rounds: Sequence[Sequence[Group]]) -> int:
    """How many times a pair meets in two rounds running (in any group): the closest repeats."""
    met = [{pair for group in groups for pair in _pairs(group)} for groups in rounds]
    return sum(len(a & b) for a, b in itertools.pairwise(met))


def first_repeat(schedule: Sequence[Sequence[Group]]) -> int | None:
    """1-based number of the first round holding a pair that met in an earlier round."""
    met: set[frozenset[int]] = set()
    for number, groups in enumerate(schedule, start=1):
        pairs = [p for g in groups for p in _pairs(g)]
        if any(p in met for p in pairs):
            return number
        met.update(pairs)
    return None


def repeat_count(schedule: Sequence[Sequence[Group]], start: int = 0) -> int:
    """Repeat pairs in rounds ``start``.. of ``schedule`` (a pair's k-th meeting counts k-1)."""
    met: Counter = Counter()
    repeats = 0
    for number, groups in enumerate(schedule):
        for group in groups:
            for pair in _pairs(group):
                if number >= start and met[pair]:
                    repeats += 1
                met[pair] += 1
    return repeats


def counting_bound(problem: TermProblem) -> int:
    """An upper bound on the horizon: the number of rounds from the start of the term (held ones
    included) that any schedule could keep free of repeats.

    Each round to come uses n/2 pairs, or (n+3)/2 with a triad, all of them never met and
    allowed; and everyone present needs a never-met allowed partner each round.
    """
    held = list(problem.held)
    repeat = first_repeat(held)
    if repeat is not None:
        return repeat - 1
    met = {p for groups in held for g in groups for p in _pairs(g)}
    forbidden = {frozenset(p) for p in problem.forbidden}
    ids = [tid for tid, _ in problem.trainees]
    unmet = [
        pair
        for pair in map(frozenset, itertools.combinations(ids, 2))
        if pair not in met and pair not in forbidden
    ]
    partners = Counter(x for pair in unmet for x in pair)
    available = len(unmet)
    rounds_present: Counter = Counter()
    horizon = len(held)
    for r in range(len(held), problem.rounds):
        present = problem.present(r)
        n = len(present)
        available -= n // 2 if n % 2 == 0 else (n + 3) // 2
        rounds_present.update(present)
        if n == 1 or available < 0 or any(rounds_present[t] > partners[t] for t in present):
            break
        horizon = r + 1
    return horizon


def _turns(schedule: Sequence[Sequence[Group]], attr: str) -> Counter:
    return Counter(
        getattr(g, attr) for groups in schedule for g in groups if getattr(g, attr) is not None
    )


def _triad_turns(schedule: Sequence[Sequence[Group]]) -> Counter:
    return Counter(
        m for groups in schedule for g in groups if g.observer is not None for m in g.members()
    )


def _states(ids: Sequence[int], names: Mapping[int, str], history) -> list[TraineeState]:
    client, therapist, observer = (
        _turns(history, "client"),
        _turns(history, "therapist"),
        _turns(history, "observer"),
    )
    return [TraineeState(i, names[i], client[i], therapist[i], observer[i]) for i in ids]


# --------------------------------------------------------------------------- today's suggestion


def round_by_round(
    problem: TermProblem, rotation: Mapping[int, Collection[int]] | None = None
) -> list[list[Group]]:
    """Today's suggestion accepted round after round: the fallback and the solver's start.

    With a triad ``rotation``, each round's triad is locked to it first (roles chosen to keep
    balance), so the result can start a search whose triads are fixed. Raises
    ``PairingImpossible`` (with the round's explanation) if some round has no valid grouping
    after the earlier ones."""
    names = dict(problem.trainees)
    order = [tid for tid, _ in problem.trainees]
    history = [list(groups) for groups in problem.held]
    planned = []
    for r in range(len(history), problem.rounds):
        locked = list(problem.locked.get(r, ()))
        in_locked = {m for g in locked for m in g.members()}
        if rotation and r in rotation and not in_locked & set(rotation[r]):
            triad = _triad_with_roles(rotation[r], history)
            if triad is not None:
                locked.append(triad)
                in_locked.update(triad.members())
        present = [tid for tid in problem.present(r) if tid not in in_locked]
        groups = suggest_groups(
            _states(present, names, history),
            history,
            problem.forbidden,
            locked=locked,
            cohort_order=order,
        )
        round_groups = [*locked, *groups]
        planned.append(round_groups)
        history.append(round_groups)
    return planned


def _triad_with_roles(members: Collection[int], history) -> Group | None:
    """Roles for a triad that keep everyone's balance within one: the observer is the one with
    the fewest observer turns who can be spared."""
    client, therapist = _turns(history, "client"), _turns(history, "therapist")
    observed = _turns(history, "observer")
    options = []
    for c, t, o in itertools.permutations(sorted(members)):
        if client[c] - therapist[c] <= 0 and client[t] - therapist[t] >= 0:
            options.append((observed[o], o, Group(client=c, therapist=t, observer=o)))
    return min(options, key=lambda option: option[:2])[2] if options else None


def _plan_of(
    problem: TermProblem,
    planned: list[list[Group]],
    source: str,
    proven: bool,
    horizon_seconds: float | None = None,
):
    whole = [*problem.held, *planned]
    return TermPlan(
        rounds=planned,
        first_repeat=first_repeat(whole),
        repeats=repeat_count(whole, start=len(problem.held)),
        triad_turns=dict(_triad_turns(whole)),
        observer_turns=dict(_turns(whole, "observer")),
        source=source,
        proven_horizon=proven,
        horizon_seconds=horizon_seconds,
    )


def _score(plan: TermPlan, rounds: int) -> tuple[int, int]:
    """(later first repeat is better, fewer repeats is better) as one sortable key."""
    horizon = rounds if plan.first_repeat is None else plan.first_repeat - 1
    return (-horizon, plan.repeats)


# --------------------------------------------------------------------------- the model


class _Model:
    """CP-SAT variables for rounds ``first``..``last - 1`` (absolute numbers)."""

    def __init__(self, problem: TermProblem, last: int, triads: Mapping[int, Collection[int]] = {}):
        self.p = problem
        self.fixed_triads = triads
        self.m = cp_model.CpModel()
        self.first = len(problem.held)
        self.last = last
        self.forbidden = {frozenset(p) for p in problem.forbidden}
        self.met: Counter = Counter(p for groups in problem.held for g in groups for p in _pairs(g))
        self.x: dict[tuple[int, frozenset[int]], cp_model.IntVar] = {}
        self.triad: dict[tuple[int, int], cp_model.IntVar] = {}
        self.role: dict[tuple[int, int, str], cp_model.IntVar] = {}
        self.build()

    def rounds(self) -> range:
        return range(self.first, self.last)

    def build(self) -> None:
        m, p = self.m, self.p
        balance = Counter(_turns(p.held, "client"))
        balance.subtract(_turns(p.held, "therapist"))
        running: dict[int, list] = {tid: [] for tid, _ in p.trainees}
        for r in self.rounds():
            present = p.present(r)
            if len(present) == 1:
                raise PairingImpossible(
                    "Only one trainee is present in a round to come; one person cannot form a "
                    "group.",
                    people=present,
                )
            odd = len(present) % 2 == 1
            roles = ("client", "therapist", "observer") if odd else ("client", "therapist")
            partners_of: dict[int, list] = {tid: [] for tid in present}
            for a, b in itertools.combinations(present, 2):
                pair = frozenset((a, b))
                if pair not in self.forbidden:
                    self.x[r, pair] = v = m.NewBoolVar(f"x{r}_{a}_{b}")
                    partners_of[a].append(v)
                    partners_of[b].append(v)
            for tid in present:
                for role in roles:
                    self.role[r, tid, role] = m.NewBoolVar(f"{role[0]}{r}_{tid}")
                m.AddExactlyOne(self.role[r, tid, role] for role in roles)
                partners = partners_of[tid]
                if odd:
                    self.triad[r, tid] = t = m.NewBoolVar(f"t{r}_{tid}")
                    if r in self.fixed_triads:
                        m.Add(t == int(tid in self.fixed_triads[r]))
                    m.AddImplication(self.role[r, tid, "observer"], t)
                    m.Add(sum(partners) == 1 + t)
                else:
                    m.Add(sum(partners) == 1)
            if odd:
                m.Add(sum(self.triad[r, tid] for tid in present) == 3)
                m.Add(sum(self.role[r, tid, "observer"] for tid in present) == 1)
            for pair in map(frozenset, itertools.combinations(present, 2)):
                v = self.x.get((r, pair))
                if v is None:
                    continue
                a, b = sorted(pair)
                if odd:
                    # A triad member's partners are triad members: the three form a triangle.
                    m.AddBoolOr([v.Not(), self.triad[r, a].Not(), self.triad[r, b]])
                    m.AddBoolOr([v.Not(), self.triad[r, b].Not(), self.triad[r, a]])
                for role in roles:  # one of each role in a group
                    m.AddBoolOr([v.Not(), self.role[r, a, role].Not(), self.role[r, b, role].Not()])
            for tid in present:
                running[tid].append(self.role[r, tid, "client"])
                running[tid].append(-self.role[r, tid, "therapist"])
                start = balance[tid]
                m.Add(start + sum(running[tid]) <= max(1, start))
                m.Add(start + sum(running[tid]) >= min(-1, start))
            for group in p.locked.get(r, ()):
                for pair in _pairs(group):
                    m.Add(self.x[r, pair] == 1)
                if odd:  # a locked dyad stays a dyad, a locked triad a triad
                    for tid in group.members():
                        m.Add(self.triad[r, tid] == int(group.observer is not None))
                m.Add(self.role[r, group.client, "client"] == 1)
                m.Add(self.role[r, group.therapist, "therapist"] == 1)
                if group.observer is not None:
                    m.Add(self.role[r, group.observer, "observer"] == 1)

    def pairs_by_pair(self) -> dict[frozenset[int], list[tuple[int, cp_model.IntVar]]]:
        by_pair: dict[frozenset[int], list] = {}
        for (r, pair), v in self.x.items():
            by_pair.setdefault(pair, []).append((r, v))
        return by_pair

    def hint(self, schedule: Sequence[Sequence[Group]]) -> None:
        """Start the search from ``schedule`` (rounds from ``first`` on)."""
        chosen = set()
        roles = {}
        for offset, groups in enumerate(schedule):
            r = self.first + offset
            if r >= self.last:
                break
            for group in groups:
                chosen.update((r, pair) for pair in _pairs(group))
                roles[r, group.client] = "client"
                roles[r, group.therapist] = "therapist"
                if group.observer is not None:
                    roles[r, group.observer] = "observer"
                    for tid in group.members():
                        roles[r, tid, "triad"] = True
        for key, v in self.x.items():
            self.m.AddHint(v, key in chosen)
        for (r, tid, role), v in self.role.items():
            self.m.AddHint(v, roles.get((r, tid)) == role)
        for (r, tid), v in self.triad.items():
            self.m.AddHint(v, bool(roles.get((r, tid, "triad"))))

    def read(self, solver: cp_model.CpSolver) -> list[list[Group]]:
        planned = []
        for r in self.rounds():
            present = self.p.present(r)
            role_of = {}
            for tid in present:
                for role in ("client", "therapist", "observer"):
                    v = self.role.get((r, tid, role))
                    if v is not None and solver.Value(v):
                        role_of[tid] = role
            mates: dict[int, set[int]] = {tid: {tid} for tid in present}
            for (rr, pair), v in self.x.items():
                if rr == r and solver.Value(v):
                    a, b = pair
                    mates[a].add(b)
                    mates[b].add(a)
            groups, seen = [], set()
            position = {tid: k for k, tid in enumerate(present)}
            for tid in present:
                if tid in seen:
                    continue
                members = sorted(mates[tid], key=position.__getitem__)
                seen.update(members)
                by_role = {role_of[x]: x for x in members}
                groups.append(
                    Group(
                        client=by_role["client"],
                        therapist=by_role["therapist"],
                        observer=by_role.get("observer"),
                    )
                )
            planned.append(groups)
        return planned


def _solver(seconds: float, stop_at: int | None = None) -> tuple[cp_model.CpSolver, object]:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.1)
    solver.parameters.num_workers = _WORKERS
    solver.parameters.random_seed = 0
    # Symmetry detection costs seconds on these models and the hints break symmetry anyway.
    solver.parameters.symmetry_level = 0

    class StopAtBound(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            if stop_at is not None and self.ObjectiveValue() <= stop_at:
                self.StopSearch()

    return solver, StopAtBound()


# --------------------------------------------------------------------------- the search


def plan_term(problem: TermProblem, time_limit: float = 30.0, seed: int = 0) -> TermPlan:
    """Lay out every remaining round (see the module docstring). ``time_limit`` in seconds bounds
    the search; the best plan found by then is used. ``seed`` seeds the local search."""
    started = time.monotonic()
    final = started + time_limit
    deadline = final
    if any(len(problem.present(r)) % 2 for r in range(len(problem.held), problem.rounds)):
        deadline -= time_limit * _TRIAD_SHARE  # kept for ``_fewer_back_to_back``
    first = len(problem.held)
    if first >= problem.rounds:
        return _plan_of(problem, [], "solver", True)
    fallback_error: PairingImpossible | None = None
    try:
        baseline = round_by_round(problem)
    except PairingImpossible as error:
        baseline, fallback_error = None, error
    best = _plan_of(problem, baseline, "fallback", False) if baseline is not None else None
    horizon = first
    if best is not None:
        horizon = problem.rounds if best.first_repeat is None else best.first_repeat - 1

    # (a) The horizon. First the local search (``local_search.py``) over a fair triad rotation,
    # up to the counting bound; it usually gets there in well under a second.
    target = counting_bound(problem)
    rotation = _rotation(problem, seed)
    prefix: list[list[Group]] | None = None
    # It needs under 2 s of CPU up to 41 trainees; the share leaves room for a busy machine.
    found = _local_prefix(problem, target, rotation, seed, started + time_limit * 0.6)
    reached_at = 0.0
    if found and first + len(found) >= horizon:  # at a tie, the rotation's fair triads
        horizon, prefix = first + len(found), found
        reached_at = time.monotonic() - started
    rotated = None
    if rotation and target > horizon:
        rotated = _rotated_start(problem, rotation)
    # Then CP-SAT, from the bound down, when the local search fell short: a model of the rounds
    # up to the target minimises their repeats and stops at zero; a proof that zero is
    # impossible lowers the target (this settles small cohorts, e.g. 5 and 7). The triads follow
    # the rotation first; if that rules the target out, they are set free.
    phase_end = started + (deadline - started) * _HORIZON_SHARE
    while target > horizon and time.monotonic() < phase_end:
        # With a rotation, half the phase: the other half is kept for free triads.
        seconds = (phase_end - time.monotonic()) / (2 if rotation else 1)
        result = _horizon_search(problem, target, rotation, rotated or baseline, seconds)
        if result == "impossible" and not rotation:
            target -= 1  # no schedule of valid rounds reaches this far: the bound drops
            continue
        if isinstance(result, list):
            reached = first_repeat([*problem.held, *result])
            reached = target if reached is None else reached - 1
            if reached > horizon:
                horizon, prefix = reached, result[: reached - first]
                reached_at = time.monotonic() - started
            if reached == target:
                break
        if not rotation:
            break
        rotation, rotated = {}, None
    proven = horizon >= target  # target is still an upper bound
    if prefix is None:
        rotation, rotated = {}, None  # nothing found with the rotation: it is not used below

    # (b-d) The whole term, with the horizon held as a hard rule.
    candidates = []
    start = _start(problem, prefix, rotated or baseline, rotation)
    searched = None
    if prefix is not None and rotation:
        tail_end = max(started + time_limit * 0.75, time.monotonic() + time_limit * 0.05)
        searched = _searched_tail(problem, prefix, rotation, seed, tail_end)
    if searched is not None:
        current = _plan_of(problem, start, "solver", proven) if start is not None else None
        if current is None or _score(searched, problem.rounds) <= _score(current, problem.rounds):
            start = searched.rounds  # the solver starts from the better of the two
    for triads in (rotation, {}) if rotation else ({},):
        if searched is not None and searched.repeats <= _repeats_lower_bound(problem):
            break  # the search's plan has the fewest repeats possible: nothing to polish
        if deadline - time.monotonic() < 2 * _build_seconds(problem):
            break  # no time left to build the model and search it

        model = _Model(problem, problem.rounds, triads=triads)
        _whole_term_objective(model, horizon)
        if start is not None:
            model.hint(start)
        seconds = max(deadline - time.monotonic(), 0.5)
        solver, stop = _solver(seconds, stop_at=_W_REPEAT * _repeats_lower_bound(problem))
        status = solver.Solve(model.m, stop)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            planned = model.read(solver)
            candidates.append(_plan_of(problem, planned, "solver", proven, reached_at))
            break
    if searched is not None:
        candidates.append(_plan_of(problem, searched.rounds, "solver", proven, reached_at))
    if start is not None and prefix is not None:
        candidates.append(_plan_of(problem, start, "solver", proven, reached_at))

    # The best candidate; on a tie the fairer triads (31 trainees over 21 rounds: the solver's
    # plan had triad turns 1-4 where the rotation's had 2-3), then the solver's.
    def fairness(plan: TermPlan) -> tuple[int, int]:
        turns = [plan.triad_turns.get(tid, 0) for tid, _ in problem.trainees] or [0]
        return max(0, max(turns) - min(turns) - 1), plan_back_to_back(problem, plan)

    for plan in sorted(candidates, key=lambda plan: (_score(plan, problem.rounds), fairness(plan))):
        if best is None or _score(plan, problem.rounds) <= _score(best, problem.rounds):
            return _fewer_back_to_back(problem, plan, final, time_limit * _TRIAD_SHARE)
    if best is None:
        raise fallback_error or PairingImpossible("No valid plan exists for the term.")
    return best


def _rotation(problem: TermProblem, seed: int) -> dict[int, tuple[int, ...]]:
    """The fair triad rotation (``triads.py``) for the rounds to come."""
    held = list(problem.held)
    last = _triad_turns(held[-1:]) if held else Counter()
    return fair_triads(
        {r: problem.present(r) for r in range(len(held), problem.rounds)},
        {r: [g.members() for g in groups] for r, groups in problem.locked.items()},
        _triad_turns(held),
        set(last),
        {p for groups in held for g in groups for p in _pairs(g)},
        problem.forbidden,
        seed=seed,
        until=counting_bound(problem),
    )


def _local_prefix(problem: TermProblem, target: int, rotation, seed: int, deadline: float):
    """The longest repeat-free run of rounds to come (up to ``target``) the local search finds,
    with roles, or None. Stops at the first round it cannot model (an odd number present and
    no triad chosen)."""
    first = len(problem.held)
    met = {p for groups in problem.held for g in groups for p in _pairs(g)}
    specs = []
    for r in range(first, target):
        fixed = [g.members() for g in problem.locked.get(r, ())]
        if r in rotation and not any(len(g) == 3 for g in fixed):
            fixed.append(tuple(rotation[r]))
        taken = {x for g in fixed for x in g}
        free = [x for x in problem.present(r) if x not in taken]
        if len(free) % 2 or taken - set(problem.present(r)):
            break
        specs.append(RoundSpec(fixed, free))
    if not specs:
        return None
    balance = Counter(_turns(problem.held, "client"))
    balance.subtract(_turns(problem.held, "therapist"))
    found = repeat_free_prefix(
        [tid for tid, _ in problem.trainees],
        specs,
        met,
        {frozenset(p) for p in problem.forbidden},
        deadline=deadline,
        seed=seed,
        seed_rounds=_round_robin_seed(problem, len(specs)),
        banned=_forced_clashes(specs, balance),
    )
    locked = {r - first: groups for r, groups in problem.locked.items() if r >= first}
    observed = _turns(problem.held, "observer")
    # Roles nearly always follow (see roles.py); if a forced role clashes, a shorter run may not.
    for length in range(len(found), 0, -1):
        with_roles = assign_roles(found[:length], balance, observed, locked)
        if with_roles is not None:
            return with_roles
    return None


def _forced_clashes(specs: Sequence[RoundSpec], balance: Counter) -> dict[int, set]:
    """offset -> pairs of people whose first turn there is forced to the same role (both have
    been client once more than therapist, or both therapist): they cannot be a dyad in it."""
    first_free: dict[int, int] = {}
    seen: set[int] = set()
    for offset, spec in enumerate(specs):
        for group in spec.fixed:
            seen.update(group)
        for tid in spec.free:
            if tid not in seen:
                first_free[tid] = offset
        seen.update(spec.free)
    banned: dict[int, set] = {}
    by_round: dict[tuple[int, int], list[int]] = {}
    for tid, offset in first_free.items():
        if balance[tid] in (1, -1):
            by_round.setdefault((offset, balance[tid]), []).append(tid)
    for (offset, _), people in by_round.items():
        pairs = banned.setdefault(offset, set())
        pairs.update(frozenset(p) for p in itertools.combinations(people, 2))
    return banned


def _horizon_search(problem: TermProblem, target: int, rotation, start, seconds: float):
    """Rounds up to ``target`` with the fewest repeats found in ``seconds``: a list of rounds,
    "impossible" when none can be free of repeats, or None when nothing was found."""
    model = _Model(problem, target, triads=rotation)
    excess = []
    for pair, meetings in model.pairs_by_pair().items():
        extra = model.m.NewIntVar(0, len(meetings), "")
        model.m.Add(extra >= model.met[pair] + sum(v for _, v in meetings) - 1)
        excess.append(extra)
    model.m.Minimize(sum(excess))
    if start is not None:
        model.hint(start)
    solver, stop = _solver(seconds, stop_at=0)
    status = solver.Solve(model.m, stop)
    if status == cp_model.INFEASIBLE or (
        status == cp_model.OPTIMAL and solver.ObjectiveValue() > 0
    ):
        return "impossible"
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return model.read(solver)
    return None


def _repeats_lower_bound(problem: TermProblem) -> int:
    """Repeat pairs any plan must have: the pairs its rounds hold beyond the never-met ones."""
    met = {p for groups in problem.held for g in groups for p in _pairs(g)}
    forbidden = {frozenset(p) for p in problem.forbidden}
    ids = [tid for tid, _ in problem.trainees]
    unmet = sum(
        1
        for pair in map(frozenset, itertools.combinations(ids, 2))
        if pair not in met and pair not in forbidden
    )
    used = 0
    for r in range(len(problem.held), problem.rounds):
        n = len(problem.present(r))
        used += n // 2 if n % 2 == 0 else (n + 3) // 2
    return max(0, used - unmet)


def _rotated_start(problem: TermProblem, rotation) -> list[list[Group]] | None:
    try:
        return round_by_round(problem, rotation)
    except PairingImpossible:
        return None


def _start(problem: TermProblem, prefix, baseline, rotation) -> list[list[Group]] | None:
    """The solver's starting plan: the horizon found, continued round by round."""
    if prefix is None:
        return baseline
    rest = TermProblem(
        trainees=problem.trainees,
        rounds=problem.rounds,
        held=[*problem.held, *prefix],
        absent=problem.absent,
        locked=problem.locked,
        forbidden=problem.forbidden,
    )
    try:
        return [*prefix, *round_by_round(rest, rotation)]
    except PairingImpossible:
        return baseline


def _build_seconds(problem: TermProblem) -> float:
    """About how long building the whole-term model takes (measured: some 3 s for 41 trainees
    and 41 rounds on the 2-core machine)."""
    rounds = problem.rounds - len(problem.held)
    return rounds * len(problem.trainees) ** 2 / 25_000


def _searched_tail(problem: TermProblem, prefix, rotation, seed: int, deadline: float):
    """The horizon found, then the rounds after it from the same local search (fewest repeats,
    the rotation's triads), with roles for the whole plan: a ``TermPlan``, or None when a round
    cannot be modelled, a do-not-pair pair is left or the roles clash."""
    first = len(problem.held)
    met = {p for groups in [*problem.held, *prefix] for g in groups for p in _pairs(g)}
    specs = []
    for r in range(first + len(prefix), problem.rounds):
        fixed = [g.members() for g in problem.locked.get(r, ())]
        if r in rotation and not any(len(g) == 3 for g in fixed):
            fixed.append(tuple(rotation[r]))
        taken = {x for g in fixed for x in g}
        free = [x for x in problem.present(r) if x not in taken]
        if len(free) % 2 or taken - set(problem.present(r)):
            return None
        specs.append(RoundSpec(fixed, free))
    tail = fewest_repeats(
        [tid for tid, _ in problem.trainees],
        specs,
        met,
        {frozenset(p) for p in problem.forbidden},
        deadline=deadline,
        seed=seed,
    )
    if tail is None:
        return None
    balance = Counter(_turns(problem.held, "client"))
    balance.subtract(_turns(problem.held, "therapist"))
    locked = {r - first: groups for r, groups in problem.locked.items() if r >= first}
    whole = [[g.members() for g in groups] for groups in prefix] + tail
    planned = assign_roles(whole, balance, _turns(problem.held, "observer"), locked)
    if planned is None:
        return None
    return _plan_of(problem, planned, "solver", False)


def _whole_term_objective(model: _Model, horizon: int) -> None:
    m, p = model.m, model.p
    terms = []
    for pair, meetings in model.pairs_by_pair().items():
        early = [v for r, v in meetings if r < horizon]
        if early:
            m.Add(model.met[pair] + sum(early) <= 1)
        excess = m.NewIntVar(0, len(meetings), "")
        m.Add(excess >= model.met[pair] + sum(v for _, v in meetings) - 1)
        terms.append(_W_REPEAT * excess)
        # Meetings close together: the same pair within the window.
        by_round = dict(meetings)
        for r, v in meetings:
            if r + _CLOSE_WINDOW < horizon:
                continue  # no repeat can fall before the horizon
            near = [by_round[s] for s in range(r + 1, r + 1 + _CLOSE_WINDOW) if s in by_round]
            for w in near:
                close = m.NewBoolVar("")
                m.AddBoolOr([v.Not(), w.Not(), close])
                terms.append(_W_CLOSE * close)
    if model.triad:
        held_triads = _triad_turns(p.held)
        counts = {}
        for tid, _ in p.trainees:
            future = [v for (r, t), v in model.triad.items() if t == tid]
            counts[tid] = held_triads[tid] + sum(future)
        _spread(m, counts, _W_TRIAD_SPREAD, terms, slack=1)
        last_held = _triad_turns(p.held[-1:])
        for (r, tid), v in model.triad.items():
            before = model.triad.get((r - 1, tid))
            if before is None and not (r == model.first and tid in last_held):
                continue
            again = m.NewBoolVar("")
            if before is None:  # in the triad in the last round held
                m.AddImplication(v, again)
            else:
                m.AddBoolOr([v.Not(), before.Not(), again])
            terms.append(_W_TRIAD_AGAIN * again)
        held_observer = _turns(p.held, "observer")
        observer = {}
        for tid, _ in p.trainees:
            future = [
                v for (r, t, role), v in model.role.items() if t == tid and role == "observer"
            ]
            observer[tid] = held_observer[tid] + sum(future)
        _spread(m, observer, _W_OBSERVER_SPREAD, terms, slack=0)
    m.Minimize(sum(terms))


def _spread(m: cp_model.CpModel, counts: dict, weight: int, terms: list, slack: int) -> None:
    """Add weight * (max - min - slack, at least 0) of ``counts`` to ``terms``."""
    top = m.NewIntVar(0, 10_000, "")
    bottom = m.NewIntVar(0, 10_000, "")
    for value in counts.values():
        m.Add(top >= value)
        m.Add(bottom <= value)
    over = m.NewIntVar(0, 10_000, "")
    m.Add(over >= top - bottom - slack)
    terms.append(weight * over)


def _round_robin_seed(problem: TermProblem, count: int) -> list[list[tuple[int, int]]]:
    """Dyads to start the local search's rounds from: the circle-method round robin over the
    cohort (with a stand-in when odd), its first round laid on the last round held (its dyads,
    a triad's first two members, everyone else paired in cohort order) so that an even cohort
    whose first round was edited continues as a round robin. Pairs with the stand-in are left
    out; the search pairs the rest itself."""
    ids: list[int | None] = [tid for tid, _ in problem.trainees]
    if len(ids) % 2:
        ids.append(None)
    size = len(ids)
    if size < 4:
        return []
    if problem.held:
        pairs: list[tuple[int | None, int | None]] = []
        placed: set[int | None] = set()
        for g in problem.held[-1]:
            a, b = g.client, g.therapist
            if a in ids and b in ids:
                pairs.append((a, b))
                placed.update((a, b))
        rest = [x for x in ids if x not in placed]
        pairs += list(zip(rest[::2], rest[1::2], strict=True))
    else:
        pairs = [(ids[-1], ids[0])] + [(ids[k], ids[size - 1 - k]) for k in range(1, size // 2)]
    # Position p of the circle holds label[p]; position size - 1 is the fixed one.
    label: list[int | None] = [None] * size
    label[size - 1], label[0] = pairs[0]
    for k, (a, b) in enumerate(pairs[1:], start=1):
        label[k], label[size - 1 - k] = a, b
    m = size - 1
    rounds = []
    for offset in range(count):
        i = (offset + (1 if problem.held else 0)) % m
        factor = [(label[size - 1], label[i])]
        factor += [(label[(i + j) % m], label[(i - j) % m]) for j in range(1, size // 2)]
        rounds.append([(a, b) for a, b in factor if a is not None and b is not None])
    return rounds


# --------------------------------------------------------------------------- triads back to back


def _triads_of(schedule: Sequence[Sequence[Group]]) -> list[set[int]]:
    return [
        {m for g in groups if g.observer is not None for m in g.members()} for groups in schedule
    ]


def plan_back_to_back(problem: TermProblem, plan: TermPlan) -> int:
    """Back-to-back triad turns of ``plan``, counting the last round held before it."""
    return back_to_back(_triads_of([*problem.held[-1:], *plan.rounds]))


def _back_to_back_floor(problem: TermProblem) -> int:
    present = [g_members for g_members in [_present_of(problem.held[-1:])] if g_members]
    present += [problem.present(r) for r in range(len(problem.held), problem.rounds)]
    return back_to_back_floor(present)


def _present_of(rounds: Sequence[Sequence[Group]]) -> list[int]:
    return [m for groups in rounds for g in groups for m in g.members()]


def _fewer_back_to_back(
    problem: TermProblem, plan: TermPlan, deadline: float, share: float
) -> TermPlan:
    """Objective (c), second half, as its own lexicographic stage: the same term with the first
    repeat no earlier, no more repeat pairs, no more pairs meeting two rounds running (repeats
    as far apart, which the issue ranks above the triad's spread) and triad turns no less even
    than ``plan`` (hard rules), and the fewest back-to-back triad turns, then the fewest pairs
    meeting two rounds running, then observer turns as even as possible. ``plan`` is the hint, so the result is
    never worse; it stops early when the back-to-back turns reach their floor (or are proven
    fewest). Returns ``plan`` itself when nothing better is found by ``deadline``."""
    held = list(problem.held)
    if not plan.rounds or time.monotonic() + _build_seconds(problem) >= deadline:
        return plan
    before = plan_back_to_back(problem, plan)
    floor = _back_to_back_floor(problem)
    if before <= floor:
        return plan
    whole = [*held, *plan.rounds]
    repeat = first_repeat(whole)
    horizon = problem.rounds if repeat is None else repeat - 1
    model = _Model(problem, problem.rounds)
    m = model.m
    excess, close = [], []
    for pair, meetings in model.pairs_by_pair().items():
        met = model.met[pair]
        early = [v for r, v in meetings if r < horizon]
        if early:
            m.Add(met + sum(early) <= 1)
        extra = m.NewIntVar(0, len(meetings), "")
        m.Add(extra >= sum(v for _, v in meetings) - (0 if met else 1))
        excess.append(extra)
        by_round = dict(meetings)
        for r, v in meetings:
            w = by_round.get(r + 1)
            if w is not None:
                both = m.NewBoolVar("")
                m.AddBoolOr([v.Not(), w.Not(), both])
                close.append(both)
    m.Add(sum(excess) <= plan.repeats)
    m.Add(sum(close) <= meetings_running(plan.rounds))
    counts = Counter(_triad_turns(held))
    turns = {
        tid: counts[tid] + sum(v for (r, t), v in model.triad.items() if t == tid)
        for tid, _ in problem.trainees
    }
    spread = max(plan.triad_turns.get(t, 0) for t, _ in problem.trainees) - min(
        plan.triad_turns.get(t, 0) for t, _ in problem.trainees
    )
    top, bottom = m.NewIntVar(0, 10_000, ""), m.NewIntVar(0, 10_000, "")
    for value in turns.values():
        m.Add(top >= value)
        m.Add(bottom <= value)
    m.Add(top - bottom <= max(1, spread))
    again = []
    last_held = set(_triads_of(held[-1:])[0]) if held else set()
    for (r, tid), v in model.triad.items():
        previous = model.triad.get((r - 1, tid))
        if previous is None and not (r == model.first and tid in last_held):
            continue
        both = m.NewBoolVar("")
        if previous is None:
            m.Add(both == v)
        else:
            m.AddBoolOr([v.Not(), previous.Not(), both])
            m.AddImplication(both, v)
            m.AddImplication(both, previous)
        again.append(both)
    observed = _turns(held, "observer")
    observer = {
        tid: observed[tid]
        + sum(v for (r, t, role), v in model.role.items() if t == tid and role == "observer")
        for tid, _ in problem.trainees
    }
    terms: list = []
    _spread(m, observer, 1, terms, slack=0)
    m.Minimize(10_000 * sum(again) + 100 * sum(close) + sum(terms))
    model.hint(plan.rounds)

    class StopAtFloor(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            if sum(self.Value(a) for a in again) <= floor:
                self.StopSearch()

    # At most its share of the time: the floor is not always reachable (9 trainees: 1, not 0)
    # and a proof of that takes CP-SAT longer than the whole limit.
    seconds = min(deadline - time.monotonic(), share)
    solver, _ = _solver(max(seconds, 0.1))
    status = solver.Solve(m, StopAtFloor())
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return plan
    found = _plan_of(
        problem, model.read(solver), plan.source, plan.proven_horizon, plan.horizon_seconds
    )
    if _score(found, problem.rounds) > _score(plan, problem.rounds):
        return plan  # cannot happen with the rules above; kept as a guard
    return found if plan_back_to_back(problem, found) < before else plan
