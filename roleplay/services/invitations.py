"""Inviting people into a cohort: parsing what a supervisor pastes or uploads, creating the
invitations row by row, sending each email once, and accepting an invitation.

Sending policy: at least once, deduplicated. An invitation is claimed by a conditional update
(`sending_since`) before its email is sent and marked `sent_at` after. A worker that dies between
sending and marking leaves the claim behind; the sweep re-claims it after STUCK_AFTER, so the email
may (rarely) arrive twice but is never lost.
"""

import csv
import io
import logging
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.validators import one_line, validate_single_line
from roleplay import formats
from roleplay.models import Cohort, CohortMembership, Invitation, Role
from roleplay.models.cohorts import INVITATION_MAX_SEND_ATTEMPTS

from .cohorts import membership_add
from .queue import enqueue_on_commit

logger = logging.getLogger(__name__)

TOKEN_SALT = "dyad.invitation"
STUCK_AFTER = timedelta(minutes=10)
MAX_SEND_ATTEMPTS = INVITATION_MAX_SEND_ATTEMPTS
MAX_ROWS = 500
MAX_NAME_LENGTH = 120


@dataclass(frozen=True)
class InviteRow:
    line: int
    email: str
    name: str = ""


@dataclass(frozen=True)
class RowOutcome:
    line: int
    email: str
    name: str
    invited: bool
    message: str


class InvitationUnusable(Exception):
    """The invitation cannot be accepted; `reason` says why in words for the person holding it."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- Reading what the supervisor gave us ---------------------------------------------------------


def _row_from_cells(line: int, cells: list[str]) -> InviteRow | None:
    cells = [cell.strip() for cell in cells if cell and cell.strip()]
    if not cells:
        return None
    email_cells = [cell for cell in cells if "@" in cell]
    if len(cells) == 1 and "<" in cells[0] and ">" in cells[0]:
        name, email = parseaddr(cells[0])
        return InviteRow(line=line, email=email or cells[0], name=name)
    if not email_cells:
        return InviteRow(line=line, email=cells[0], name=" ".join(cells[1:]))
    email = email_cells[0]
    name = " ".join(cell for cell in cells if cell is not email)
    return InviteRow(line=line, email=email, name=name)


def rows_from_text(text: str) -> list[InviteRow]:
    """One person per line: `email`, `email, name`, `name, email` or `Name <email>`."""
    rows = []
    for number, raw in enumerate(text.splitlines(), start=1):
        cells = raw.split(",") if "<" not in raw else [raw]
        if len(cells) == 1 and "\t" in raw:
            cells = raw.split("\t")
        row = _row_from_cells(number, cells)
        if row:
            rows.append(row)
    return rows


def rows_from_csv(data: bytes) -> list[InviteRow]:
    """A CSV file with the columns email and name, with or without a header row.

    Raises ValueError with a sentence for the supervisor when the file cannot be read at all."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."
        ) from exc
    if "\x00" in text:
        raise ValueError(
            "The file contains NUL characters, so it is not plain UTF-8 text. "
            "Save it as “CSV UTF-8” and try again."
        )
    try:
        records = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ValueError(f"The file is not valid CSV ({exc}).") from exc
    rows = []
    header = [cell.strip().lower() for cell in records[0]] if records else []
    has_header = "email" in header and not any("@" in cell for cell in header)
    for number, cells in enumerate(records, start=1):
        if has_header and number == 1:
            continue
        if has_header:
            by_name = dict(zip(header, cells, strict=False))
            cells = [by_name.get("email", ""), by_name.get("name", "")]
        row = _row_from_cells(number, cells)
        if row:
            rows.append(row)
    return rows


# --- Creating invitations ------------------------------------------------------------------------


def _check_row(row: InviteRow, seen: dict[str, int]) -> tuple[str, str | None]:
    email = row.email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        return email, f"“{row.email}” is not a valid email address."
    if len(row.name) > MAX_NAME_LENGTH:
        return email, f"The name is longer than {MAX_NAME_LENGTH} characters."
    try:
        validate_single_line(row.name)
    except ValidationError as exc:
        return email, f"The name: {exc.messages[0]}"
    if email in seen:
        return email, f"{email} appears more than once; it was invited from line {seen[email]}."
    return email, None


@transaction.atomic
def invitations_create(
    *, cohort: Cohort, invited_by: User, rows: list[InviteRow], role: str = Role.TRAINEE
) -> list[RowOutcome]:
    """Invite every valid row; report every row, valid or not, so that nothing is silently lost.

    An invitation that is still open is not sent again (the supervisor can resend it from the
    cohort page); an expired one is replaced by a fresh one."""
    members = set(
        CohortMembership.objects.active()
        .filter(cohort=cohort)
        .values_list("user__email", flat=True)
    )
    open_invites = {
        invite.email: invite
        for invite in Invitation.objects.select_for_update().filter(cohort=cohort).pending()
    }
    now = timezone.now()
    seen: dict[str, int] = {}
    outcomes = []
    for row in rows:
        email, error = _check_row(row, seen)
        if error is None and email in members:
            error = f"{email} is already a member of {cohort.name}."
        existing = open_invites.get(email)
        if error is None and existing is not None and existing.expires_at > now:
            error = f"{email} already has an open invitation (until {formats.day(existing.expires_at)})."
        if error:
            outcomes.append(RowOutcome(row.line, row.email, row.name, False, error))
            continue
        seen[email] = row.line
        if existing is not None:
            existing.revoked_at = now
            existing.save(update_fields=["revoked_at"])
        invitation = Invitation.objects.create(
            cohort=cohort,
            email=email,
            name=row.name,
            role=role,
            invited_by=invited_by,
            expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
        _queue_send(invitation)
        outcomes.append(
            RowOutcome(row.line, email, row.name, True, f"Invitation queued for {email}.")
        )
    return outcomes


def _queue_send(invitation: Invitation) -> None:
    from roleplay.tasks import invitation_send

    enqueue_on_commit(invitation_send, invitation.pk)


def invitation_resend(*, invitation: Invitation) -> Invitation:
    """Give an open invitation a fresh expiry and send it again (the old link keeps working)."""
    if invitation.accepted_at or invitation.revoked_at:
        raise InvitationUnusable("This invitation was already accepted or withdrawn.")
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
        sent_at=None,
        sending_since=None,
        send_attempts=0,
        last_error="",
    )
    invitation.refresh_from_db()
    _queue_send(invitation)
    return invitation


def invitation_revoke(*, invitation: Invitation) -> Invitation:
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


# --- Sending -------------------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    """The same link every time for one invitation: expiry and single use live in the row."""
    return signing.Signer(salt=TOKEN_SALT).sign_object(invitation.pk)


def invitation_url(invitation: Invitation) -> str:
    path = reverse("invitation_accept", args=[invitation_token(invitation)])
    return settings.SITE_URL.rstrip("/") + path


def invitations_due() -> list[int]:
    """Ids of invitations that should have been sent and were not (or whose sender died)."""
    now = timezone.now()
    return list(
        Invitation.objects.usable()
        .filter(sent_at__isnull=True, send_attempts__lt=MAX_SEND_ATTEMPTS)
        .filter(Q(sending_since__isnull=True) | Q(sending_since__lt=now - STUCK_AFTER))
        .values_list("pk", flat=True)
    )


def invitation_send(*, invitation_id: int) -> bool:
    """Send one invitation email unless it was sent already. Returns whether this call sent it.

    Exceptions from the mail server propagate after being recorded, so the task can retry."""
    now = timezone.now()
    claimed = (
        Invitation.objects.usable()
        .filter(pk=invitation_id, sent_at__isnull=True)
        .filter(Q(sending_since__isnull=True) | Q(sending_since__lt=now - STUCK_AFTER))
        .update(sending_since=now, send_attempts=F("send_attempts") + 1)
    )
    if not claimed:
        return False
    invitation = Invitation.objects.select_related("cohort", "invited_by").get(pk=invitation_id)
    try:
        _invitation_email(invitation).send()
    except Exception as exc:
        Invitation.objects.filter(pk=invitation_id).update(sending_since=None, last_error=str(exc))
        raise
    Invitation.objects.filter(pk=invitation_id).update(
        sent_at=timezone.now(), sending_since=None, last_error=""
    )
    return True


def _invitation_email(invitation: Invitation) -> EmailMultiAlternatives:
    context = {
        "invitation": invitation,
        "url": invitation_url(invitation),
        "expires": formats.when(invitation.expires_at, invitation.cohort.time_zone),
    }
    subject = one_line(render_to_string("emails/invitation_subject.txt", context))
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/invitation.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("emails/invitation.html", context), "text/html")
    return message


# --- Accepting -----------------------------------------------------------------------------------


def invitation_from_token(token: str) -> Invitation:
    """The invitation a link points at, if it can still be used; otherwise InvitationUnusable."""
    try:
        pk = signing.Signer(salt=TOKEN_SALT).unsign_object(token)
        invitation = Invitation.objects.select_related("cohort", "invited_by").get(pk=pk)
    except (signing.BadSignature, Invitation.DoesNotExist, TypeError, ValueError) as exc:
        raise InvitationUnusable("This invitation link is not valid.") from exc
    _check_usable(invitation)
    return invitation


def _check_usable(invitation: Invitation) -> None:
    reasons = {
        "accepted": "This invitation was already used.",
        "revoked": "This invitation was withdrawn.",
        "expired": "This invitation has expired.",
    }
    if invitation.status in reasons:
        raise InvitationUnusable(reasons[invitation.status])


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> CohortMembership:
    """Join the invited person's account to the cohort; the link works once."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _check_usable(invitation)
    if user.email.lower() != invitation.email:
        raise InvitationUnusable(
            f"This invitation is for {invitation.email}, but you are signed in as {user.email}."
        )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    EmailAddress.objects.filter(user=user, email__iexact=user.email).update(verified=True)
    return membership_add(cohort=invitation.cohort, user=user, role=invitation.role)


@transaction.atomic
def invitation_accept_with_new_account(
    *, invitation: Invitation, display_name: str, time_zone: str, password: str
) -> User:
    """Create the invited person's account and join them. Following the emailed link proves they
    own the address, so it is stored as verified."""
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=invitation.email,
                password=password,
                display_name=display_name,
                time_zone=time_zone,
            )
    except IntegrityError as exc:
        raise InvitationUnusable(
            f"An account for {invitation.email} already exists. Sign in to accept."
        ) from exc
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    invitation_accept(invitation=invitation, user=user)
    return user


def account_exists(email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists()
