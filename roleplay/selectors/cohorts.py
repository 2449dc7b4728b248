from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import User
from roleplay.models import Cohort, CohortMembership, Invitation, Role
from roleplay.permissions import cohorts_visible_to

_active = Q(memberships__ended_at__isnull=True)


def cohorts_for_dashboard(user: User) -> QuerySet[Cohort]:
    """The cohorts a user sees on their dashboard, with head counts, in one query.

    Visibility is a subquery so that the counts see every membership, not only the viewer's."""
    visible = Cohort.objects.filter(pk__in=cohorts_visible_to(user).values("pk"))
    return visible.annotate(
        trainee_count=Count(
            "memberships", filter=_active & Q(memberships__role=Role.TRAINEE), distinct=True
        ),
        supervisor_count=Count(
            "memberships", filter=_active & Q(memberships__role=Role.SUPERVISOR), distinct=True
        ),
        open_invitation_count=Count(
            "invitations",
            filter=Q(invitations__accepted_at__isnull=True, invitations__revoked_at__isnull=True),
            distinct=True,
        ),
    )


def cohort_with_members(cohort_id: int) -> Cohort:
    """A cohort with its active members (and their users) prefetched for the cohort page."""
    members = (
        CohortMembership.objects.active()
        .select_related("user")
        .annotate(
            no_show_count=Count(
                "user__seats",
                filter=Q(
                    user__seats__no_show=True,
                    user__seats__session__pairing__round__cohort_id=cohort_id,
                ),
            )
        )
        .order_by("user__display_name", "user__email")
    )
    return Cohort.objects.prefetch_related(
        Prefetch("memberships", queryset=members, to_attr="active_members")
    ).get(pk=cohort_id)


def members_by_role(cohort: Cohort) -> dict[str, list[CohortMembership]]:
    grouped: dict[str, list[CohortMembership]] = {Role.SUPERVISOR: [], Role.TRAINEE: []}
    for membership in cohort.active_members:
        grouped[membership.role].append(membership)
    return grouped


def open_invitations(cohort: Cohort) -> QuerySet[Invitation]:
    return cohort.invitations.pending().select_related("invited_by").order_by("email")


def active_trainees(cohort: Cohort) -> QuerySet[User]:
    """The cohort's current trainees (removed ones are not), by name."""
    return User.objects.filter(
        memberships__cohort=cohort,
        memberships__role=Role.TRAINEE,
        memberships__ended_at__isnull=True,
    ).order_by("display_name", "email")
