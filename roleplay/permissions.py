"""Who may see and do what. Every view goes through here.

Seeing is decided first: an object a user may not see does not exist for them (404), so a trainee
who guesses another cohort's id learns nothing. Only a visible object can answer 403 for an action."""

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from roleplay.models import Cohort, CohortMembership, Invitation, Role


class Action(StrEnum):
    VIEW = "view"
    MANAGE = "manage"  # edit, invite, remove members: the cohort's supervisors
    APPOINT = "appoint"  # appoint supervisors: programme admins


def cohorts_visible_to(user: User) -> QuerySet[Cohort]:
    if not user.is_authenticated:
        return Cohort.objects.none()
    if user.is_programme_admin:
        return Cohort.objects.all()
    return Cohort.objects.filter(
        memberships__user=user, memberships__ended_at__isnull=True
    ).distinct()


def _role_in(user: User, cohort: Cohort) -> str | None:
    membership = (
        CohortMembership.objects.active().filter(cohort=cohort, user=user).only("role").first()
    )
    return membership.role if membership else None


def may(user: User, action: Action, obj) -> bool:
    """May `user` do `action` to `obj`? The single answer every view and template relies on."""
    if not user.is_authenticated:
        return False
    if isinstance(obj, Invitation | CohortMembership):
        return may(user, Action.MANAGE, obj.cohort)
    if not isinstance(obj, Cohort):
        raise TypeError(f"No permission rule for {type(obj).__name__}")
    if user.is_programme_admin:
        return True
    role = _role_in(user, obj)
    if action == Action.VIEW:
        return role is not None
    if action == Action.MANAGE:
        return role == Role.SUPERVISOR
    return False


def may_create_cohort(user: User) -> bool:
    return user.is_authenticated and (user.is_programme_admin or user.is_supervisor)


def get_cohort_for(user: User, pk: int, action: Action = Action.VIEW) -> Cohort:
    """The cohort, or 404 if the user may not see it, or 403 if they may see it but not act."""
    cohort = cohorts_visible_to(user).filter(pk=pk).first()
    if cohort is None:
        raise Http404("No such cohort.")
    if action != Action.VIEW and not may(user, action, cohort):
        raise PermissionDenied
    return cohort
