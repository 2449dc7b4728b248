from datetime import time, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import connection, transaction
from django.db.utils import DatabaseError

from accounts.models import AuditEvent, AuditLogIsAppendOnly, User
from roleplay.models import (
    CalendarFeed,
    CohortMembership,
    DoNotPair,
    EmailPreferences,
    Invitation,
    Message,
    MessageKind,
    MessageState,
    SessionStatus,
    Unavailability,
    WeeklyHours,
)
from roleplay.services import booking, calendar, periodic
from roleplay.services.accounts import AccountDeletionRefused, account_delete, account_export
from tests.factories import CohortFactory, InvitationFactory, UserFactory
from tests.roleplay.booking_helpers import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def test_deleting_an_account_cancels_sessions_ahead_and_tells_the_partner(pair, supervisor):
    pairing, ana, ben = pair
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=NOW + timedelta(hours=3)
    )
    Message.objects.all().delete()

    account_delete(user=ana, by=ana)

    session.refresh_from_db()
    assert (session.status, session.cancel_reason) == (
        SessionStatus.CANCELLED,
        "A former trainee has left Year 1.",
    )
    assert not session.seats.filter(active=True).exists()
    (told,) = Message.objects.filter(recipient=ben)
    assert (told.kind, told.body) == (
        MessageKind.SESSION_CANCELLED,
        "A former trainee has left Year 1, so your session is cancelled. "
        "Open it in Dyad to practise with another trainee of the round instead.",
    )
    assert booking.rematch_offered_to(session, ben) is True
    assert AuditEvent.objects.get().data["sessions_cancelled"] == 1


def test_deleting_an_account_removes_personal_data_and_ends_memberships(cohort, pair, supervisor):
    pairing, ana, ben = pair
    WeeklyHours.objects.create(user=ana, weekday=1, start=time(9), end=time(12))
    Unavailability.objects.create(user=ana, start=NOW, end=NOW + timedelta(days=1), note="Dentist")
    calendar.calendar_feed_create(user=ana)
    EmailPreferences.objects.create(user=ana, muted_kinds=[MessageKind.REMINDER_1H])
    Authenticator.objects.create(user=ana, type=Authenticator.Type.TOTP, data={"secret": "S"})
    DoNotPair.objects.create(
        cohort=cohort,
        trainee_a=min(ana, ben, key=lambda u: u.pk),
        trainee_b=max(ana, ben, key=lambda u: u.pk),
        reason="Housemates",
        created_by=supervisor,
    )
    other_cohort = CohortFactory()
    InvitationFactory(cohort=other_cohort, email=ana.email)
    unsent = Message.objects.create(
        kind=MessageKind.REMINDER_1H, recipient=ana, dedupe_key="a", subject="s", body="b"
    )
    sent = Message.objects.create(
        kind=MessageKind.REMINDER_1H,
        recipient=ana,
        dedupe_key="b",
        subject="s",
        body="b",
        state=MessageState.SENT,
    )

    account_delete(user=ana, by=ana)

    for model in (
        WeeklyHours,
        Unavailability,
        CalendarFeed,
        EmailPreferences,
        EmailAddress,
        Authenticator,
    ):
        assert not model.objects.filter(user=ana).exists(), model.__name__
    assert not DoNotPair.objects.exists()
    assert not Invitation.objects.filter(cohort=other_cohort).exists()
    assert list(Message.objects.filter(recipient=ana).values_list("pk", flat=True)) == [sent.pk]
    assert not Message.objects.filter(pk=unsent.pk).exists()
    membership = CohortMembership.objects.get(user=ana)
    assert (membership.ended_at, membership.ended_by) == (NOW, ana)
    assert ben.pairing_memberships.get().pairing == pairing  # the partner's record stays whole

    ana.refresh_from_db()
    assert (ana.email, ana.display_name, ana.time_zone, ana.is_active, ana.deleted_at) == (
        f"deleted-{ana.pk}@deleted.invalid",
        "",
        "UTC",
        False,
        NOW,
    )
    assert not ana.has_usable_password()
    assert ana.name == "a former trainee"


def test_the_deleted_email_and_name_are_gone_from_every_table(client, cohort, pair):
    _pairing, ana, _ben = pair
    User.objects.filter(pk=ana.pk).update(display_name="Zerelda Quist")
    InvitationFactory(cohort=cohort, email=ana.email, name="Zerelda Quist")
    client.force_login(ana)  # a browser session to be ended too
    accepted = InvitationFactory(cohort=CohortFactory(), email=ana.email, name="Zerelda Quist")
    Invitation.objects.filter(pk=accepted.pk).update(accepted_at=NOW, accepted_by=ana)
    email = ana.email

    account_delete(user=ana, by=ana)

    with connection.cursor() as cursor:
        found = []
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            rows = repr(cursor.fetchall())
            found += [(table, text) for text in (email, "Zerelda") if text in rows]
    assert found == []
    assert not CohortMembership.objects.filter(user__email=email).exists()


def test_a_deleted_supervisor_is_a_former_supervisor(cohort, supervisor, admin_user):
    account_delete(user=supervisor, by=admin_user)
    supervisor.refresh_from_db()
    assert supervisor.name == "a former supervisor"


def test_only_admins_delete_other_peoples_accounts_and_only_superusers_delete_superusers(
    cohort, trainee, supervisor, admin_user
):
    with pytest.raises(AccountDeletionRefused):
        account_delete(user=trainee, by=supervisor)
    programme_admin = UserFactory(is_programme_admin=True, is_staff=True)
    with pytest.raises(AccountDeletionRefused):
        account_delete(user=admin_user, by=programme_admin)
    account_delete(user=trainee, by=programme_admin)
    with pytest.raises(AccountDeletionRefused):
        account_delete(user=trainee, by=programme_admin)  # already gone
    assert User.objects.filter(deleted_at__isnull=False).count() == 1


def test_deletion_and_export_are_in_the_audit_log_without_personal_data(
    cohort, trainee, admin_user
):
    email = trainee.email
    account_export(user=trainee)
    account_delete(user=trainee, by=admin_user)

    deleted, exported = AuditEvent.objects.all()
    assert (exported.action, exported.actor, exported.at) == (
        AuditEvent.Action.DATA_EXPORTED,
        trainee,
        NOW,
    )
    assert (deleted.action, deleted.actor, deleted.actor_label, deleted.subject_label) == (
        AuditEvent.Action.ACCOUNT_DELETED,
        admin_user,
        f"#{admin_user.pk} (admin)",
        f"#{trainee.pk} (deleted account)",
    )
    assert deleted.data["memberships_ended"] == 1
    assert deleted.data["by_themselves"] is False
    assert email not in repr(list(AuditEvent.objects.values()))


def test_the_audit_log_is_append_only(trainee):
    account_export(user=trainee)
    event = AuditEvent.objects.get()
    event.subject_label = "someone else"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.update(subject_label="someone else")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()
    for statement in (
        "UPDATE accounts_auditevent SET subject_label = 'x'",
        "DELETE FROM accounts_auditevent",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert AuditEvent.objects.get().subject_label == f"#{trainee.pk} (user)"


def test_a_deleted_account_is_sent_nothing_more(pair, admin_user):
    pairing, ana, ben = pair
    account_delete(user=ana, by=admin_user)
    with time_machine.travel(pairing.round.closes - timedelta(days=2), tick=False):
        periodic.unbooked_nudges_queue()
    assert list(Message.objects.values_list("recipient", flat=True)) == [ben.pk]
