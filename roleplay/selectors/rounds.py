from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from roleplay.models import (
    BriefRead,
    Pairing,
    PairingMember,
    PairingRole,
    Round,
    RoundStatus,
    Scenario,
    Session,
    SessionStatus,
)

SHOWN_TO_TRAINEES = [RoundStatus.PUBLISHED, RoundStatus.CLOSED]


def _members():
    return PairingMember.objects.select_related("trainee").order_by("role")


def round_with_pairings(round_id: int) -> Round:
    """A round with its pairings, their members and scenarios, for the round page."""
    pairings = Pairing.objects.select_related("scenario").prefetch_related(
        Prefetch("members", queryset=_members())
    )
    return (
        Round.objects.select_related("cohort")
        .prefetch_related(
            Prefetch("pairings", queryset=pairings),
            "scenarios",
            "absences__trainee",
        )
        .get(pk=round_id)
    )


def scenario_choices(round_: Round) -> QuerySet[Scenario]:
    """What the editor offers each pairing: the round's set, plus any scenario a pairing already
    has (given before it left the set), so that saving the page does not silently drop it."""
    in_use = Pairing.objects.filter(round=round_, scenario__isnull=False).values("scenario_id")
    return (
        Scenario.objects.filter(Q(pk__in=round_.scenarios.values("pk")) | Q(pk__in=in_use))
        .defer("client_brief")
        .order_by("title", "pk")
    )


def briefs_read(
    *, trainee_ids: Iterable[int], scenario_ids: Iterable[int]
) -> dict[tuple[int, int], list[str]]:
    """(trainee id, scenario id) -> the roles ("client", "observer") in which the trainee was
    shown that scenario's client brief, in one query for a whole round.

    Shown means a client or observer seat in a pairing of a published or closed round (trainees
    never see drafts), in any cohort — this round's own earlier arrangement and later rounds
    included — as recorded when it happened (BriefRead, kept whatever the pairing became since).
    Not knowing whether the page was opened, Dyad assumes it was."""
    rows = (
        BriefRead.objects.filter(
            trainee_id__in=list(trainee_ids), scenario_id__in=list(scenario_ids)
        )
        .values_list("trainee_id", "scenario_id", "role")
        .order_by()
    )
    read: dict[tuple[int, int], set[str]] = defaultdict(set)
    for trainee_id, scenario_id, role in rows:
        read[trainee_id, scenario_id].add(role)
    order = [PairingRole.CLIENT, PairingRole.OBSERVER]
    return {key: [str(role) for role in order if role in roles] for key, roles in read.items()}


def rounds_of_cohort(cohort_id: int) -> QuerySet[Round]:
    return Round.objects.filter(cohort_id=cohort_id).order_by("-opens")


def pairings_for_trainee(user: User) -> QuerySet[Pairing]:
    """A trainee's pairings in published or closed rounds of the cohorts they still belong to,
    newest first, with partners."""
    return (
        Pairing.objects.filter(
            members__trainee=user,
            round__status__in=SHOWN_TO_TRAINEES,
            round__cohort__memberships__user=user,
            round__cohort__memberships__ended_at__isnull=True,
        )
        .select_related("round__cohort", "scenario")
        .prefetch_related(Prefetch("members", queryset=_members()))
        .order_by("-round__opens")
    )


def unbooked_pairings_for_trainee(user: User, *, now: datetime | None = None) -> QuerySet[Pairing]:
    """A trainee's pairings that still need a session: in a published round whose booking window
    has not closed, with no session other than cancelled ones. Soonest-closing first."""
    now = now or timezone.now()
    booked = Session.objects.filter(pairing=OuterRef("pk")).exclude(status=SessionStatus.CANCELLED)
    return (
        pairings_for_trainee(user)
        .filter(round__status=RoundStatus.PUBLISHED, round__closes__gt=now)
        .exclude(Exists(booked))
        .order_by("round__closes", "pk")
    )
