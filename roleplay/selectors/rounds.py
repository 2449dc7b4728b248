from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User
from roleplay.models import Pairing, PairingMember, Round, RoundStatus, Session, SessionStatus


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


def rounds_of_cohort(cohort_id: int) -> QuerySet[Round]:
    return Round.objects.filter(cohort_id=cohort_id).order_by("-opens")


def pairings_for_trainee(user: User) -> QuerySet[Pairing]:
    """A trainee's pairings in published or closed rounds, newest first, with partners."""
    return (
        Pairing.objects.filter(
            members__trainee=user,
            round__status__in=[RoundStatus.PUBLISHED, RoundStatus.CLOSED],
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
