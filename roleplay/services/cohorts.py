from datetime import date

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from roleplay.models import (
    Cohort,
    CohortMembership,
    MessageKind,
    PairingMember,
    RevealPolicy,
    Role,
    RoundStatus,
    Session,
)

from . import notify
from .booking import sessions_free_for_departure
from .pairing import pairing_remove_trainee


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
    """Whoever creates a cohort supervises it, except a programme admin (without the supervisor
    grant), who appoints its supervisors after."""
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
    if created_by.is_supervisor or not created_by.is_programme_admin:
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

    A supervisor may create cohorts and use the library because of this membership (see
    permissions.may_create_cohort); no flag is set, so the capability ends with the membership."""
    membership = (
        CohortMembership.objects.select_for_update()
        .filter(cohort=cohort, user=user)
        .active()
        .first()
    )
    if membership is None:
        membership = CohortMembership.objects.create(cohort=cohort, user=user, role=role)
    return membership


@transaction.atomic
def membership_end(*, membership: CohortMembership, ended_by: User) -> CohortMembership:
    """Take someone out of a cohort. The row stays, so their past sessions and feedback stay too.

    From that moment the permissions (which read active memberships) hide the cohort's pairings,
    sessions and calendar entries from them. A removed trainee also leaves the draft rounds'
    pairings, their proposals and future sessions are cancelled (partners told and offered a
    re-match), and messages still queued for them about the cohort are withdrawn. Someone removed
    from the last cohort they supervise loses the supervisor grant (see may_create_cohort)."""
    membership = CohortMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.ended_at is not None:
        return membership
    membership.ended_at = timezone.now()
    membership.ended_by = ended_by
    membership.save(update_fields=["ended_at", "ended_by"])
    user, cohort = membership.user, membership.cohort
    if membership.role == Role.TRAINEE:
        _trainee_leave(cohort=cohort, trainee=user, by=ended_by)
    elif not CohortMembership.objects.active().filter(user=user, role=Role.SUPERVISOR).exists():
        User.objects.filter(pk=user.pk).update(is_supervisor=False)
    return membership


def _trainee_leave(*, cohort: Cohort, trainee: User, by: User) -> None:
    for round_ in cohort.rounds.filter(status=RoundStatus.DRAFT):
        pairing_remove_trainee(round_=round_, trainee=trainee)
    sessions_free_for_departure(cohort=cohort, departed=trainee, by=by)
    session_ids = Session.objects.filter(
        pairing__round__cohort=cohort, seats__user=trainee
    ).values_list("pk", flat=True)
    round_ids = cohort.rounds.values_list("pk", flat=True)
    pairing_ids = PairingMember.objects.filter(round__cohort=cohort, trainee=trainee).values_list(
        "pairing_id", flat=True
    )
    notify.messages_withdraw_for(
        recipient=trainee,
        dedupe_key_prefixes=[f"session:{pk}:" for pk in session_ids]
        + [
            f"{kind}:{pk}:{trainee.pk}:"
            for pk in round_ids
            for kind in (MessageKind.PAIRING_PUBLISHED, MessageKind.PAIRING_CHANGED)
        ]
        + [f"unbooked:{pk}:" for pk in pairing_ids]
        + [f"feedback:{pk}:" for pk in session_ids],
    )


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
        return f"{email} has no account yet: an invitation to supervise {cohort.name} is queued."
    current = CohortMembership.objects.active().filter(cohort=cohort, user=user).first()
    if current and current.role == Role.TRAINEE:
        raise AppointmentRefused(
            f"{user.name} is a trainee in {cohort.name}; remove them as a trainee first."
        )
    if current:
        raise AppointmentRefused(f"{user.name} already supervises {cohort.name}.")
    membership_add(cohort=cohort, user=user, role=Role.SUPERVISOR)
    return f"{user.name} now supervises {cohort.name}."
