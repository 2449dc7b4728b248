import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone

from accounts.models import User
from roleplay import formats
from roleplay.models import CohortMembership, Invitation, Role
from roleplay.permissions import may_create_cohort
from roleplay.services import invitations as svc
from roleplay.services.cohorts import membership_add, membership_end
from roleplay.services.invitations import InviteRow
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- parsing ---------------------------------------------------------------------------------


def test_rows_from_text_reads_each_supported_shape():
    text = "\n".join(
        [
            "ada@example.org",
            "ben@example.org, Ben Carter",
            "Chloé Martin, chloe@example.org",
            "Dev Patel <dev@example.org>",
            "",
            "   ",
            "not-an-email",
            "eve@example.org\tEve Adams",
        ]
    )
    assert svc.rows_from_text(text) == [
        InviteRow(1, "ada@example.org", ""),
        InviteRow(2, "ben@example.org", "Ben Carter"),
        InviteRow(3, "chloe@example.org", "Chloé Martin"),
        InviteRow(4, "dev@example.org", "Dev Patel"),
        InviteRow(7, "not-an-email", ""),
        InviteRow(8, "eve@example.org", "Eve Adams"),
    ]


def test_rows_from_csv_with_header_in_any_column_order():
    data = b"name,email\nAda Lovelace,ada@example.org\n,\nBen,ben@example.org\n"
    assert svc.rows_from_csv(data) == [
        InviteRow(2, "ada@example.org", "Ada Lovelace"),
        InviteRow(4, "ben@example.org", "Ben"),
    ]


def test_rows_from_csv_without_header_and_with_bom():
    data = "\ufeffada@example.org,Ada\nben@example.org\n".encode()
    assert svc.rows_from_csv(data) == [
        InviteRow(1, "ada@example.org", "Ada"),
        InviteRow(2, "ben@example.org", ""),
    ]


def test_rows_from_csv_refuses_a_file_that_is_not_utf8():
    with pytest.raises(ValueError, match="not UTF-8"):
        svc.rows_from_csv("ada@example.org,Zoë".encode("utf-16"))


# --- creating --------------------------------------------------------------------------------


def test_invitations_create_reports_every_row_and_keeps_the_valid_ones(cohort, supervisor, trainee):
    InvitationFactory(cohort=cohort, email="open@example.org")
    rows = [
        InviteRow(1, "Ada@Example.org", "Ada"),
        InviteRow(2, "broken@", "Broken"),
        InviteRow(3, "ada@example.org", "Ada again"),
        InviteRow(4, trainee.email, "Already here"),
        InviteRow(5, "open@example.org", ""),
        InviteRow(6, "ben@example.org", "x" * 121),
        InviteRow(7, "ben@example.org", "Ben"),
    ]

    outcomes = svc.invitations_create(cohort=cohort, invited_by=supervisor, rows=rows)

    assert [(o.line, o.invited) for o in outcomes] == [
        (1, True),
        (2, False),
        (3, False),
        (4, False),
        (5, False),
        (6, False),
        (7, True),
    ]
    messages = [o.message for o in outcomes]
    assert messages[1] == "“broken@” is not a valid email address."
    assert messages[2] == "ada@example.org appears more than once; it was invited from line 1."
    assert messages[3] == f"{trainee.email} is already a member of Year 1."
    assert messages[4].startswith("open@example.org already has an open invitation")
    assert messages[5] == "The name is longer than 120 characters."
    assert sorted(cohort.invitations.pending().values_list("email", flat=True)) == [
        "ada@example.org",
        "ben@example.org",
        "open@example.org",
    ]


def test_invitations_create_replaces_an_expired_invitation(cohort, supervisor):
    old = InvitationFactory(cohort=cohort, email="late@example.org")
    Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))

    (outcome,) = svc.invitations_create(
        cohort=cohort, invited_by=supervisor, rows=[InviteRow(1, "late@example.org")]
    )

    old.refresh_from_db()
    assert outcome.invited
    assert old.revoked_at is not None
    assert cohort.invitations.usable().get().email == "late@example.org"


def test_invitations_create_queues_the_email_after_commit(
    cohort, supervisor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        svc.invitations_create(
            cohort=cohort, invited_by=supervisor, rows=[InviteRow(1, "ada@example.org")]
        )
    assert len(callbacks) == 1


# --- sending ---------------------------------------------------------------------------------


def test_invitation_send_sends_once_however_often_it_runs(cohort, settings):
    settings.SITE_URL = "https://dyad.example.org"
    invitation = InvitationFactory(cohort=cohort, name="Ada")

    assert svc.invitation_send(invitation_id=invitation.pk) is True
    assert svc.invitation_send(invitation_id=invitation.pk) is False

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [invitation.email]
    assert message.subject == "You're invited to join Year 1 on Dyad"
    token = svc.invitation_token(invitation)
    assert f"https://dyad.example.org/invitations/{token}/" in message.body
    assert "Hello Ada," in message.body
    expires = formats.when(invitation.expires_at, cohort.time_zone)
    assert f"The link works once and expires on {expires} ({cohort.time_zone})." in message.body
    assert re.fullmatch(r"\w+day \d{1,2} \w+( \d{4})?, \d\d:\d\d", expires)
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f"/invitations/{token}/" in html
    invitation.refresh_from_db()
    assert invitation.sent_at is not None
    assert invitation.send_attempts == 1


def test_invitation_send_records_a_mail_failure_and_lets_it_retry(cohort, monkeypatch):
    invitation = InvitationFactory(cohort=cohort)

    def refuse(self, fail_silently=False):
        raise ConnectionError("mail server said no")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    with pytest.raises(ConnectionError):
        svc.invitation_send(invitation_id=invitation.pk)

    invitation.refresh_from_db()
    assert invitation.sent_at is None
    assert invitation.sending_since is None
    assert invitation.last_error == "mail server said no"
    assert svc.invitations_due() == [invitation.pk]


def test_a_sender_that_died_mid_send_is_retried_by_the_sweep_after_the_timeout(cohort):
    """At least once: a claim left by a dead worker blocks a duplicate for STUCK_AFTER, then the
    sweep takes the invitation up again."""
    invitation = InvitationFactory(cohort=cohort)
    Invitation.objects.filter(pk=invitation.pk).update(sending_since=timezone.now())

    assert svc.invitations_due() == []
    assert svc.invitation_send(invitation_id=invitation.pk) is False

    with time_machine.travel(timezone.now() + svc.STUCK_AFTER + timedelta(seconds=1)):
        assert svc.invitations_due() == [invitation.pk]
        assert svc.invitation_send(invitation_id=invitation.pk) is True
    assert len(mail.outbox) == 1


def test_invitations_due_skips_sent_expired_revoked_and_exhausted(cohort):
    due = InvitationFactory(cohort=cohort)
    InvitationFactory(cohort=cohort, sent_at=timezone.now())
    InvitationFactory(cohort=cohort, expires_at=timezone.now() - timedelta(minutes=1))
    InvitationFactory(cohort=cohort, revoked_at=timezone.now())
    InvitationFactory(cohort=cohort, send_attempts=svc.MAX_SEND_ATTEMPTS)
    assert svc.invitations_due() == [due.pk]


def test_invitation_resend_renews_the_expiry_and_sends_again(cohort):
    invitation = InvitationFactory(cohort=cohort)
    svc.invitation_send(invitation_id=invitation.pk)

    with time_machine.travel(timezone.now() + timedelta(days=10)):
        svc.invitation_resend(invitation=invitation)
        svc.invitation_send(invitation_id=invitation.pk)
        invitation.refresh_from_db()
        assert invitation.expires_at > timezone.now() + timedelta(days=13)
    assert len(mail.outbox) == 2


# --- accepting -------------------------------------------------------------------------------


def test_a_token_that_was_tampered_with_is_refused():
    with pytest.raises(svc.InvitationUnusable, match="not valid"):
        svc.invitation_from_token("1:forged:signature")


def test_an_expired_invitation_is_refused(cohort):
    invitation = InvitationFactory(cohort=cohort)
    token = svc.invitation_token(invitation)
    with (
        time_machine.travel(invitation.expires_at + timedelta(seconds=1)),
        pytest.raises(svc.InvitationUnusable, match="expired"),
    ):
        svc.invitation_from_token(token)


def test_a_revoked_invitation_is_refused(cohort):
    invitation = InvitationFactory(cohort=cohort)
    svc.invitation_revoke(invitation=invitation)
    with pytest.raises(svc.InvitationUnusable, match="withdrawn"):
        svc.invitation_from_token(svc.invitation_token(invitation))


def test_accepting_with_a_new_account_creates_a_verified_member_and_works_once(cohort):
    invitation = InvitationFactory(cohort=cohort, email="new@example.org")

    user = svc.invitation_accept_with_new_account(
        invitation=invitation,
        display_name="New Person",
        time_zone="Asia/Tokyo",
        password="s3cret-pass",
    )

    assert user.check_password("s3cret-pass")
    assert (user.display_name, user.time_zone) == ("New Person", "Asia/Tokyo")
    assert EmailAddress.objects.get(user=user).verified
    assert CohortMembership.objects.get(cohort=cohort, user=user).role == Role.TRAINEE
    with pytest.raises(svc.InvitationUnusable, match="already used"):
        svc.invitation_from_token(svc.invitation_token(invitation))


def test_accepting_links_an_existing_account_and_verifies_its_email(cohort):
    user = UserFactory(email="known@example.org")
    EmailAddress.objects.filter(user=user).update(verified=False)
    invitation = InvitationFactory(cohort=cohort, email="known@example.org")

    membership = svc.invitation_accept(invitation=invitation, user=user)

    assert membership.cohort == cohort
    assert EmailAddress.objects.get(user=user).verified


def test_accepting_as_someone_else_is_refused(cohort):
    invitation = InvitationFactory(cohort=cohort, email="meant@example.org")
    with pytest.raises(svc.InvitationUnusable, match=r"meant@example\.org"):
        svc.invitation_accept(invitation=invitation, user=UserFactory())
    assert not CohortMembership.objects.filter(cohort=cohort, role=Role.TRAINEE).exists()


def test_a_supervisor_invitation_makes_a_supervisor(cohort):
    invitation = InvitationFactory(cohort=cohort, role=Role.SUPERVISOR, email="sup@example.org")
    user = svc.invitation_accept_with_new_account(
        invitation=invitation, display_name="Sup", time_zone="UTC", password="s3cret-pass"
    )
    assert may_create_cohort(User.objects.get(pk=user.pk))
    assert CohortMembership.objects.get(cohort=cohort, user=user).role == Role.SUPERVISOR


def test_a_new_account_for_an_email_that_already_has_one_is_refused(cohort):
    UserFactory(email="taken@example.org")
    invitation = InvitationFactory(cohort=cohort, email="taken@example.org")
    with pytest.raises(svc.InvitationUnusable, match="already exists"):
        svc.invitation_accept_with_new_account(
            invitation=invitation, display_name="X", time_zone="UTC", password="s3cret-pass"
        )


def test_rejoining_after_removal_starts_a_new_membership_and_keeps_the_old(cohort, supervisor):
    membership = MembershipFactory(cohort=cohort)

    membership_end(membership=membership, ended_by=supervisor)
    again = membership_add(cohort=cohort, user=membership.user, role=Role.TRAINEE)

    assert again.pk != membership.pk
    assert CohortMembership.objects.filter(cohort=cohort, user=membership.user).count() == 2


def test_an_invitation_has_one_stable_link(cohort):
    invitation = InvitationFactory(cohort=cohort)
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        later = svc.invitation_token(invitation)
    assert svc.invitation_token(invitation) == later
    assert svc.invitation_from_token(later) == invitation
