from datetime import date

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from roleplay.models import Cohort, CohortMembership, RevealPolicy, Role


@transaction.atomic
def cohort_create(
    *,
    created_by: User,
    name: str,
    term_start: date,
    term_end: date,
    time_zone: str,
    feedback_window_days: int = 7,
    reveal_policy: str = RevealPolicy.AUTO,
) -> Cohort:
    """A supervisor who creates a cohort supervises it; an admin appoints supervisors after."""
    cohort = Cohort(
        name=name,
        term_start=term_start,
        term_end=term_end,
        time_zone=time_zone,
        feedback_window_days=feedback_window_days,
        reveal_policy=reveal_policy,
        created_by=created_by,
    )
    cohort.full_clean()
    cohort.save()
    if created_by.is_supervisor:
        CohortMembership.objects.create(cohort=cohort, user=created_by, role=Role.SUPERVISOR)
    return cohort


def cohort_update(*, cohort: Cohort, **fields) -> Cohort:
    for name, value in fields.items():
        setattr(cohort, name, value)
    cohort.full_clean()
    cohort.save()
    return cohort


@transaction.atomic
def membership_add(*, cohort: Cohort, user: User, role: str) -> CohortMembership:
    """Join `user` to `cohort` in `role`; joining again while already a member changes nothing.

    Supervisors are granted the programme-wide capability to create cohorts of their own."""
    membership = (
        CohortMembership.objects.select_for_update()
        .filter(cohort=cohort, user=user)
        .active()
        .first()
    )
    if membership is None:
        membership = CohortMembership.objects.create(cohort=cohort, user=user, role=role)
    if role == Role.SUPERVISOR and not user.is_supervisor:
        user.is_supervisor = True
        user.save(update_fields=["is_supervisor"])
    return membership


def membership_end(*, membership: CohortMembership, ended_by: User) -> CohortMembership:
    """Take someone out of a cohort. The row stays, so their past sessions and feedback stay too."""
    if membership.ended_at is None:
        membership.ended_at = timezone.now()
        membership.ended_by = ended_by
        membership.save(update_fields=["ended_at", "ended_by"])
    return membership


class AppointmentRefused(Exception):
    pass


def supervisor_appoint(*, cohort: Cohort, email: str, name: str, appointed_by: User) -> str:
    """Make someone a supervisor of `cohort`: at once if they have an account, else by invitation.

    Returns a sentence saying what happened."""
    from .invitations import InviteRow, invitations_create

    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        (outcome,) = invitations_create(
            cohort=cohort,
            invited_by=appointed_by,
            rows=[InviteRow(line=1, email=email, name=name)],
            role=Role.SUPERVISOR,
        )
        if not outcome.invited:
            raise AppointmentRefused(outcome.message)
        return (
            f"{email} has no account yet: an invitation to supervise {cohort.name} is on its way."
        )
    current = CohortMembership.objects.active().filter(cohort=cohort, user=user).first()
    if current and current.role == Role.TRAINEE:
        raise AppointmentRefused(
            f"{user.name} is a trainee in {cohort.name}; remove them as a trainee first."
        )
    if current:
        raise AppointmentRefused(f"{user.name} already supervises {cohort.name}.")
    membership_add(cohort=cohort, user=user, role=Role.SUPERVISOR)
    return f"{user.name} now supervises {cohort.name}."
