"""The outbox: writing messages beside the change that causes them, and sending each email once.

Policy: at least once, deduplicated by `Message.dedupe_key`. A send claims its row (pending →
sending) with a conditional update, so a duplicated or retried task does nothing. A worker killed
after sending but before marking leaves the row in "sending"; the sweep hands it back after
STUCK_AFTER, so the email is never lost (and, in that rare case only, may arrive twice). A failure
puts the row back with a later `due_at` (exponential backoff) until MAX_ATTEMPTS, then "failed",
visible in the admin.
"""

import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from accounts.validators import one_line
from roleplay.models import OPTIONAL_KINDS, EmailPreferences, Message, MessageState

from .queue import enqueue_on_commit

STUCK_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(minutes=1)
SWEEP_BATCH = 500


def message_queue(
    *,
    kind: str,
    recipient: User,
    dedupe_key: str,
    subject: str,
    body: str,
    link: str = "",
    due_at: datetime | None = None,
    when: datetime | None = None,
) -> Message | None:
    """Record a message in the caller's transaction; returns None if this key was recorded before,
    or if the recipient's account is deleted (it stays in old pairings but hears nothing more).

    A message about a moment writes `formats.WHEN_TOKEN` in its subject and body and passes the
    moment as `when`: it is formatted when read, in the reader's zone (see Message.title)."""
    if recipient.deleted_at:
        return None
    due_at = due_at or timezone.now()
    message, created = Message.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "kind": kind,
            "recipient": recipient,
            "subject": subject,
            "body": body,
            "link": link,
            "due_at": due_at,
            "when": when,
        },
    )
    if not created:
        return None
    if due_at <= timezone.now():
        from roleplay.tasks import message_send

        enqueue_on_commit(message_send, message.pk)
    return message


def message_send(*, message_id: int) -> bool:
    """Email one message unless it was sent (or is being sent) already. Returns whether it sent."""
    now = timezone.now()
    claimed = Message.objects.filter(
        pk=message_id, state=MessageState.PENDING, due_at__lte=now
    ).update(state=MessageState.SENDING, sending_since=now, attempts=F("attempts") + 1)
    if not claimed:
        return False
    message = Message.objects.select_related("recipient").get(pk=message_id)
    if _email_muted(message):
        Message.objects.filter(pk=message_id).update(
            state=MessageState.IN_APP, sent_at=timezone.now(), sending_since=None
        )
        return False
    try:
        _email(message).send()
    except Exception as exc:
        failed = message.attempts >= MAX_ATTEMPTS
        Message.objects.filter(pk=message_id).update(
            state=MessageState.FAILED if failed else MessageState.PENDING,
            sending_since=None,
            last_error=f"{type(exc).__name__}: {exc}",
            due_at=now + BACKOFF_BASE * 2 ** (message.attempts - 1),
        )
        return False
    Message.objects.filter(pk=message_id).update(
        state=MessageState.SENT, sent_at=timezone.now(), sending_since=None, last_error=""
    )
    return True


def _email_muted(message: Message) -> bool:
    if message.kind not in OPTIONAL_KINDS:
        return False
    preferences = EmailPreferences.objects.filter(user_id=message.recipient_id).first()
    return preferences is not None and message.kind in preferences.muted_kinds


def email_preferences_set(*, user: User, muted_kinds: list[str]) -> EmailPreferences:
    """Turn optional emails off (or on again); essential ones cannot be muted."""
    preferences, _ = EmailPreferences.objects.get_or_create(user=user)
    preferences.muted_kinds = sorted(set(muted_kinds) & set(OPTIONAL_KINDS))
    preferences.save(update_fields=["muted_kinds"])
    return preferences


def _email(message: Message) -> EmailMultiAlternatives:
    """The email, its times written in the recipient's own zone (and saying which)."""
    context = {
        "message": message,
        "url": settings.SITE_URL.rstrip("/") + message.link if message.link else "",
    }
    with timezone.override(zoneinfo.ZoneInfo(message.recipient.time_zone)):
        email = EmailMultiAlternatives(
            subject=one_line(f"[Dyad] {message.title}"),
            body=render_to_string("emails/message.txt", context),
            to=[message.recipient.email],
        )
        email.attach_alternative(render_to_string("emails/message.html", context), "text/html")
    return email


@transaction.atomic
def messages_due() -> list[int]:
    """The sweep's work: hand back rows stuck in "sending", then return ids of due rows.

    Rows are locked with SKIP LOCKED so two sweeps running at once split the work, not repeat it."""
    now = timezone.now()
    Message.objects.filter(state=MessageState.SENDING, sending_since__lt=now - STUCK_AFTER).update(
        state=MessageState.PENDING, sending_since=None
    )
    return list(
        Message.objects.select_for_update(skip_locked=True)
        .filter(state=MessageState.PENDING, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def messages_withdraw(*, dedupe_key_prefix: str) -> int:
    """Withdraw messages not yet sent whose cause has gone (a pairing changed again, say)."""
    return Message.objects.filter(
        dedupe_key__startswith=dedupe_key_prefix, state=MessageState.PENDING
    ).update(state=MessageState.WITHDRAWN)


def messages_withdraw_for(*, recipient: User, dedupe_key_prefixes: list[str]) -> int:
    """Withdraw the messages not yet sent to `recipient` about the given causes (someone who left
    a cohort is told nothing more about it)."""
    if not dedupe_key_prefixes:
        return 0
    about = Q()
    for prefix in dedupe_key_prefixes:
        about |= Q(dedupe_key__startswith=prefix)
    return Message.objects.filter(about, recipient=recipient, state=MessageState.PENDING).update(
        state=MessageState.WITHDRAWN
    )


def messages_mark_read(*, recipient: User) -> int:
    """Mark what the person can see as read; a reminder not yet due stays unread for later."""
    return (
        Message.objects.filter(recipient=recipient, read_at__isnull=True)
        .in_app()
        .update(read_at=timezone.now())
    )
