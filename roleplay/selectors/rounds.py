from django.db.models import Prefetch, QuerySet

from accounts.models import User
from roleplay.models import Pairing, PairingMember, Round, RoundStatus


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
    """A trainee's pairings in published or closed rounds of the cohorts they still belong to,
    newest first, with partners."""
    return (
        Pairing.objects.filter(
            members__trainee=user,
            round__status__in=[RoundStatus.PUBLISHED, RoundStatus.CLOSED],
            round__cohort__memberships__user=user,
            round__cohort__memberships__ended_at__isnull=True,
        )
        .select_related("round__cohort", "scenario")
        .prefetch_related(Prefetch("members", queryset=_members()))
        .order_by("-round__opens")
    )
