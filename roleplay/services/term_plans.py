"""The term plan of a cohort: asking for one, solving it (in a Celery task), locking cells, and
the planned groups that "Suggest pairs" follows. The maths lives in roleplay.planning.term_plan;
this module reads and writes the database."""

from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from roleplay.models import (
    Cohort,
    DoNotPair,
    Pairing,
    PairingMember,
    PlanState,
    Round,
    RoundAbsence,
    TermPlan,
    TermPlanLock,
)
from roleplay.planning.term_plan import TermProblem, plan_term
from roleplay.selectors.cohorts import active_trainees
from roleplay.selectors.term_plans import draft_rounds, held_rounds

from .pairing_algorithm import Group, PairingImpossible
from .queue import enqueue_on_commit


def _row(group: Group) -> list[int | None]:
    return [group.client, group.therapist, group.observer]


def _group(row: list[int | None]) -> Group:
    return Group(client=row[0], therapist=row[1], observer=row[2])


def round_number(round_: Round) -> int:
    """The 0-based number of a draft round in the term: after every held round and the drafts
    that open before it."""
    cohort = round_.cohort
    return len(held_rounds(cohort)) + [r.pk for r in draft_rounds(cohort)].index(round_.pk)


def term_problem(*, cohort: Cohort, rounds: int, plan: TermPlan | None = None) -> TermProblem:
    """What the planner is given now: the held rounds, the absences and locked pairings of the
    draft rounds, do-not-pair, and the cells locked on ``plan``'s grid."""
    held = held_rounds(cohort)
    by_round: dict[int, dict[int, dict]] = defaultdict(lambda: defaultdict(dict))
    for member in PairingMember.objects.filter(round__in=held):
        by_round[member.round_id][member.pairing_id][member.role] = member.trainee_id
    history = [
        [
            Group(roles["client"], roles["therapist"], roles.get("observer"))
            for roles in by_round[r.pk].values()
        ]
        for r in held
        if by_round[r.pk]
    ]
    drafts = draft_rounds(cohort)
    first = len(history)
    absent: dict[int, set[int]] = defaultdict(set)
    for absence in RoundAbsence.objects.filter(round__in=drafts).values("round_id", "trainee_id"):
        number = first + [r.pk for r in drafts].index(absence["round_id"])
        absent[number].add(absence["trainee_id"])
    locked: dict[int, list[Group]] = defaultdict(list)
    members = PairingMember.objects.filter(round__in=drafts, pairing__locked=True)
    by_pairing: dict[int, dict] = defaultdict(dict)
    for member in members:
        by_pairing[member.pairing_id][member.role] = member.trainee_id
        by_pairing[member.pairing_id]["round"] = member.round_id
    for roles in by_pairing.values():
        number = first + [r.pk for r in drafts].index(roles["round"])
        locked[number].append(Group(roles["client"], roles["therapist"], roles.get("observer")))
    trainees = [(user.pk, user.name) for user in active_trainees(cohort).order_by("pk")]
    if plan is not None and plan.schedule:
        in_locked = {(r, m) for r, groups in locked.items() for g in groups for m in g.members()}
        for lock in plan.locks.all():
            offset = lock.round_number - plan.first_round
            if lock.round_number < first or not 0 <= offset < len(plan.schedule):
                continue
            for row in plan.schedule[offset]:
                group = _group(row)
                members_ = set(group.members())
                if lock.trainee_id not in members_:
                    continue
                present = {tid for tid, _ in trainees} - absent[lock.round_number]
                if members_ <= present and not any(
                    (lock.round_number, m) in in_locked for m in members_
                ):
                    locked[lock.round_number].append(group)
                    in_locked.update((lock.round_number, m) for m in members_)
    forbidden = {
        frozenset(pair)
        for pair in DoNotPair.objects.filter(cohort=cohort).values_list(
            "trainee_a_id", "trainee_b_id"
        )
    }
    return TermProblem(
        trainees=trainees,
        rounds=max(rounds, first + len(drafts)),
        held=history,
        absent=dict(absent),
        locked=dict(locked),
        forbidden=forbidden,
    )


def basis_of(problem: TermProblem) -> dict:
    """A JSON picture of the problem: a plan is out of date when the cohort's picture differs."""
    return {
        "trainees": [tid for tid, _ in problem.trainees],
        "rounds": problem.rounds,
        "held": [sorted(_row(g) for g in groups) for groups in problem.held],
        "absent": {str(r): sorted(ids) for r, ids in sorted(problem.absent.items()) if ids},
        "locked": {
            str(r): sorted(_row(g) for g in groups)
            for r, groups in sorted(problem.locked.items())
            if groups
        },
        "forbidden": sorted(sorted(pair) for pair in problem.forbidden),
    }


def default_rounds(cohort: Cohort) -> int:
    """One round a week over the term, and never fewer than the rounds that exist."""
    weeks = max(1, ((cohort.term_end - cohort.term_start).days + 6) // 7)
    return max(weeks, cohort.rounds.count())


@transaction.atomic
def term_plan_request(*, cohort: Cohort, rounds: int) -> TermPlan:
    """Ask for a (new) plan of the term; the solver runs in a Celery task after commit."""
    from roleplay.tasks import term_plan_solve  # tasks import services; this is the one way back

    plan, _ = TermPlan.objects.select_for_update().get_or_create(
        cohort=cohort, defaults={"rounds": rounds, "requested_at": timezone.now()}
    )
    plan.rounds = rounds
    plan.state = PlanState.QUEUED
    plan.requested_at = timezone.now()
    plan.message = ""
    plan.save(update_fields=["rounds", "state", "requested_at", "message"])
    enqueue_on_commit(term_plan_solve, plan.pk)
    return plan


def term_plan_solve(*, plan_id: int) -> bool:
    """Solve a queued plan: claimed first, so a task delivered twice solves it once."""
    if not TermPlan.objects.filter(pk=plan_id, state=PlanState.QUEUED).update(
        state=PlanState.SOLVING
    ):
        return False
    plan = TermPlan.objects.select_related("cohort").get(pk=plan_id)
    problem = term_problem(cohort=plan.cohort, rounds=plan.rounds, plan=plan)
    basis = basis_of(problem)
    try:
        result = plan_term(problem, time_limit=settings.PLANNER_TIME_LIMIT_SECONDS)
    except PairingImpossible as error:
        TermPlan.objects.filter(pk=plan_id, state=PlanState.SOLVING).update(
            state=PlanState.FAILED, message=error.message, basis=basis, finished_at=timezone.now()
        )
        return True
    TermPlan.objects.filter(pk=plan_id, state=PlanState.SOLVING).update(
        state=PlanState.READY,
        source=result.source,
        first_round=len(problem.held),
        schedule=[[_row(g) for g in groups] for groups in result.rounds],
        basis=basis,
        first_repeat=result.first_repeat,
        proven=result.proven_horizon,
        message="",
        finished_at=timezone.now(),
    )
    return True


def plan_is_current(plan: TermPlan) -> bool:
    """The plan was made from the cohort as it is now (nothing held, absent, locked or
    forbidden has changed since)."""
    if plan.state != PlanState.READY:
        return False
    now = basis_of(term_problem(cohort=plan.cohort, rounds=plan.rounds, plan=plan))
    then = dict(plan.basis)
    # Rounds held since the plan was made count as "as planned" when they match it exactly.
    expected = [*then["held"], *(sorted(rows) for rows in plan.schedule)]
    held = len(now["held"])
    if now["held"] != expected[:held]:
        return False
    for key in ("absent", "locked"):
        then[key] = {r: v for r, v in then[key].items() if int(r) >= held}
    then["held"] = now["held"]
    return now == then


def planned_groups(*, round_: Round) -> list[Group] | None:
    """The current plan's groups for a draft round, without its locked pairings' groups; None
    when there is no current plan covering it (then today's suggestion is used)."""
    plan = TermPlan.objects.filter(cohort=round_.cohort).first()
    if plan is None or not round_.is_draft or not plan_is_current(plan):
        return None
    offset = round_number(round_) - plan.first_round
    if not 0 <= offset < len(plan.schedule):
        return None
    in_locked = set(
        PairingMember.objects.filter(
            pairing__in=Pairing.objects.filter(round=round_, locked=True)
        ).values_list("trainee_id", flat=True)
    )
    return [
        group
        for group in map(_group, plan.schedule[offset])
        if not set(group.members()) & in_locked
    ]


@transaction.atomic
def term_plan_lock_toggle(*, plan: TermPlan, round_number: int, trainee: User) -> bool:
    """Lock or unlock one grid cell; True when it is now locked. Takes effect on re-plan."""
    lock = TermPlanLock.objects.filter(plan=plan, round_number=round_number, trainee=trainee)
    if lock.exists():
        lock.delete()
        return False
    TermPlanLock.objects.create(plan=plan, round_number=round_number, trainee=trainee)
    return True
