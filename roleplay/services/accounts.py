"""A person's rights over their own data: deleting their account and downloading what Dyad holds.

Deletion anonymises the user row in place instead of deleting it. A session, a pairing, a
membership and (later) feedback belong to two or three people: the partner who practised with
someone keeps that record, and it must still say "a former trainee" rather than vanish or break.
Every such record points at the user row (most with PROTECT), so the row stays as an anonymous
anchor — no email, no name, no password, no time zone, no way to sign in — while everything that
is only about the person (availability, calendar link, email addresses, unsent messages, pending
invitations, second factors, do-not-pair notes, absence reasons, browser sessions) is deleted outright.
"""

from allauth.mfa.models import Authenticator
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session as BrowserSession
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import AuditEvent, User
from roleplay.models import (
    CalendarFeed,
    CohortMembership,
    DoNotPair,
    EmailPreferences,
    Invitation,
    Message,
    MessageState,
    Role,
    RoundAbsence,
    Session,
    SessionStatus,
    Unavailability,
    WeeklyHours,
)
from roleplay.selectors.accounts import personal_data

from .cohorts import membership_end

# Messages that nobody has received yet; sent and in-app ones stay as the record of what was said.
UNSENT = [MessageState.PENDING, MessageState.SENDING, MessageState.FAILED, MessageState.WITHDRAWN]


class AccountDeletionRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def user_label(user: User) -> str:
    """How the audit log names someone: by account number and standing, never by email or name,
    so the log keeps nothing that deleting the account removes."""
    if user.is_superuser or user.is_programme_admin:
        standing = "admin"
    elif user.deleted_at:
        standing = "deleted account"
    else:
        standing = "user"
    return f"#{user.pk} ({standing})"


def account_deletion_refusal(*, user: User, by: User) -> str | None:
    """Why `by` may not delete `user`'s account, or None if they may. Anyone may delete their own
    account; programme admins (and superusers) anyone else's, except that only a superuser
    deletes a superuser, and the last superuser stays so that someone can still run the admin."""
    if user.deleted_at:
        return "This account is already deleted."
    if user.pk != by.pk and not (by.is_active and (by.is_superuser or by.is_programme_admin)):
        return "Only programme admins delete other people's accounts."
    if user.is_superuser and not by.is_superuser:
        return "Only a superuser deletes a superuser's account."
    if (
        user.is_superuser
        and not User.objects.filter(is_superuser=True, is_active=True).exclude(pk=user.pk).exists()
    ):
        return "This is the last superuser: make someone else a superuser first."
    return None


def may_delete_account(*, user: User, by: User) -> bool:
    return account_deletion_refusal(user=user, by=by) is None


def placeholder_email(user: User) -> str:
    # .invalid is reserved (RFC 2606): no mail can ever go there, and the pk keeps it unique.
    return f"deleted-{user.pk}@deleted.invalid"


@transaction.atomic
def account_delete(*, user: User, by: User) -> AuditEvent:
    """Delete `user`'s account on the request of `by` (themselves or an admin).

    Deletes their personal data, anonymises the row (see the module docstring for why it stays),
    ends their memberships as a removal would (sessions ahead cancelled, partners told and offered
    a re-match) and records it in the audit log, all in one transaction."""
    user = User.objects.select_for_update().get(pk=user.pk)
    refusal = account_deletion_refusal(user=user, by=by)
    if refusal:
        raise AccountDeletionRefused(refusal)
    was_supervisor = (
        user.is_supervisor
        or CohortMembership.objects.filter(user=user, role=Role.SUPERVISOR).exists()
    )
    old_email = user.email
    deleted = {
        "weekly_hours": WeeklyHours.objects.filter(user=user).delete()[0],
        "unavailability": Unavailability.objects.filter(user=user).delete()[0],
        "calendar_feed": CalendarFeed.objects.filter(user=user).delete()[0],
        "email_preferences": EmailPreferences.objects.filter(user=user).delete()[0],
        "email_addresses": user.emailaddress_set.all().delete()[0],
        "second_factors": Authenticator.objects.filter(user=user).delete()[0],
        "unsent_messages": Message.objects.filter(recipient=user, state__in=UNSENT).delete()[0],
        "pending_invitations": Invitation.objects.pending()
        .filter(email__iexact=old_email)
        .delete()[0],
        "do_not_pair": DoNotPair.objects.filter(Q(trainee_a=user) | Q(trainee_b=user)).delete()[0],
        "browser_sessions": _browser_sessions_delete(user),
    }
    placeholder = placeholder_email(user)
    Invitation.objects.filter(Q(accepted_by=user) | Q(email__iexact=old_email)).update(
        email=placeholder, name=""
    )
    RoundAbsence.objects.filter(trainee=user).update(reason="")
    # Django's admin history names an object by its string; it would keep the person's name.
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).update(object_repr=placeholder)

    user.email = placeholder
    user.display_name = ""
    user.set_unusable_password()
    user.time_zone = "UTC"
    user.last_login = None
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.is_programme_admin = False
    user.is_supervisor = was_supervisor
    user.deleted_at = timezone.now()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()

    # Leaving each cohort the way a supervisor's removal does: draft pairings left, sessions
    # ahead cancelled, partners told and offered a re-match. After anonymising, so what the
    # partners are told names "a former trainee".
    memberships = list(CohortMembership.objects.active().filter(user=user))
    for membership in memberships:
        membership_end(membership=membership, ended_by=by)
    cancelled = Session.objects.filter(
        seats__user=user, status=SessionStatus.CANCELLED, cancelled_at__gte=user.deleted_at
    ).count()
    # Ending the last supervising membership takes the grant back; the account can no longer sign
    # in, so here the flag only makes it show as "a former supervisor".
    User.objects.filter(pk=user.pk).update(is_supervisor=was_supervisor)
    return AuditEvent.objects.create(
        actor=by,
        actor_label=user_label(by) if by.pk != user.pk else user_label(user),
        action=AuditEvent.Action.ACCOUNT_DELETED,
        subject_label=user_label(user),
        data={
            "by_themselves": by.pk == user.pk,
            "memberships_ended": len(memberships),
            "sessions_cancelled": cancelled,
            "deleted": deleted,
        },
    )


def _browser_sessions_delete(user: User) -> int:
    """Sign the person out everywhere. Sessions are stored encoded, so each live one is read;
    deletions are rare enough for that. (The unusable password would end them anyway.)"""
    doomed = [
        session.pk
        for session in BrowserSession.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    return BrowserSession.objects.filter(pk__in=doomed).delete()[0]


@transaction.atomic
def account_export(*, user: User) -> dict:
    """Everything Dyad holds about `user`, for them to download, recorded in the audit log."""
    data = personal_data(user)
    AuditEvent.objects.create(
        actor=user,
        actor_label=user_label(user),
        action=AuditEvent.Action.DATA_EXPORTED,
        subject_label=user_label(user),
        data={"sections": sorted(data)},
    )
    return data
