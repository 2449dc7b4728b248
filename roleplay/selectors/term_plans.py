"""Reads for the term plan page: the grid of rounds by trainees."""

from collections import Counter
from dataclasses import dataclass

from roleplay.models import Cohort, PairingMember, Round, RoundStatus, TermPlan
from roleplay.selectors.cohorts import active_trainees


def held_rounds(cohort: Cohort) -> list[Round]:
    """Published and closed rounds, oldest first: a plan keeps them as they are."""
    return list(cohort.rounds.exclude(status=RoundStatus.DRAFT).order_by("opens", "pk"))


def draft_rounds(cohort: Cohort) -> list[Round]:
    return list(cohort.rounds.filter(status=RoundStatus.DRAFT).order_by("opens", "pk"))


@dataclass
class Cell:
    """One trainee in one round: who with and in which role. ``held`` rounds are fixed."""

    round_number: int
    partners: str = ""
    role: str = ""
    held: bool = False
    locked: bool = False


@dataclass
class GridRow:
    trainee_id: int
    name: str
    cells: list[Cell]
    triad_turns: int


def term_plan_grid(cohort: Cohort, plan: TermPlan | None) -> tuple[list[int], list[GridRow]]:
    """(round numbers 0-based, one row per trainee) for the held rounds and the plan's."""
    trainees = list(active_trainees(cohort).order_by("pk"))
    names = {user.pk: user.name for user in trainees}
    held = held_rounds(cohort)
    groups_by_round: list[list[dict[str, int]]] = []
    members = PairingMember.objects.filter(round__in=held).order_by("round__opens", "pairing_id")
    by_pairing: dict[int, dict] = {}
    for member in members:
        by_pairing.setdefault(member.pairing_id, {"round": member.round_id})[member.role] = (
            member.trainee_id
        )
    for round_ in held:
        groups_by_round.append(
            [
                {k: v for k, v in roles.items() if k != "round"}
                for roles in by_pairing.values()
                if roles["round"] == round_.pk
            ]
        )
    held_count = len(groups_by_round)
    locks = set()
    if plan is not None and plan.schedule:
        locks = set(plan.locks.values_list("round_number", "trainee_id"))
        for number, rows in enumerate(plan.schedule, start=plan.first_round):
            if number < held_count:
                continue
            while len(groups_by_round) < number:
                groups_by_round.append([])
            groups_by_round.append(
                [
                    {
                        role: tid
                        for role, tid in zip(("client", "therapist", "observer"), row, strict=True)
                        if tid is not None
                    }
                    for row in rows
                ]
            )
    triads: Counter = Counter()
    rows = []
    cells: dict[int, list[Cell]] = {user.pk: [] for user in trainees}
    for number, groups in enumerate(groups_by_round):
        seen = set()
        for group in groups:
            if "observer" in group:
                triads.update(group.values())
            for role, tid in group.items():
                if tid not in cells:
                    continue
                others = [names.get(o, "a former trainee") for r, o in group.items() if o != tid]
                cells[tid].append(
                    Cell(
                        round_number=number,
                        partners=" & ".join(others),
                        role=role,
                        held=number < held_count,
                        locked=(number, tid) in locks,
                    )
                )
                seen.add(tid)
        for tid, row in cells.items():
            if tid not in seen:
                row.append(Cell(round_number=number, held=number < held_count))
    for user in trainees:
        rows.append(GridRow(user.pk, user.name, cells[user.pk], triads[user.pk]))
    return list(range(len(groups_by_round))), rows
