from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce

from accounts.models import User
from roleplay.models import Cohort, CohortMembership, Invitation, Role, SessionSeat
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


def cohort_with_members(cohort: Cohort) -> Cohort:
    """The cohort with its active members (and their users) as ``active_members``, each with
    ``no_show_count``, the seats they missed in this cohort's sessions — for the cohort page.

    The count is a subquery per member (one index probe by user) rather than a join of every
    member's seats to their sessions, pairings and rounds: the join made PostgreSQL scan the
    session and pairing tables whole, 70 ms for a 200-trainee cohort on the bench's large seed."""
    missed = (
        SessionSeat.objects.filter(
            user_id=OuterRef("user_id"),
            no_show=True,
            session__pairing__round__cohort_id=cohort.pk,
        )
        .order_by()
        .values("user_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    members = (
        CohortMembership.objects.active()
        .select_related("user")
        .annotate(no_show_count=Coalesce(Subquery(missed, output_field=IntegerField()), 0))
        .order_by("user__display_name", "user__email")
    )
    prefetch_related_objects(
        [cohort], Prefetch("memberships", queryset=members, to_attr="active_members")
    )
    return cohort


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
