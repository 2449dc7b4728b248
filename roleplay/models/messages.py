from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from roleplay.formats import fill_when


class MessageKind(models.TextChoices):
    PAIRING_PUBLISHED = "pairing_published", "Pairing published"
    PAIRING_CHANGED = "pairing_changed", "Pairing changed"
    PROPOSAL_WAITING = "proposal_waiting", "A proposed time waits for you"
    SESSION_CONFIRMED = "session_confirmed", "Session confirmed"
    SESSION_RESCHEDULED = "session_rescheduled", "Session rescheduled"
    SESSION_CANCELLED = "session_cancelled", "Session cancelled"
    LATE_CANCELLATION = "late_cancellation", "Late cancellation (to supervisors)"
    REMINDER_24H = "reminder_24h", "Reminder 24 hours before"
    REMINDER_1H = "reminder_1h", "Reminder 1 hour before"
    SESSION_ENDED = "session_ended", "Session ended"
    UNBOOKED_NUDGE = "unbooked_nudge", "Pairing not booked yet"
    WEEKLY_DIGEST = "weekly_digest", "Weekly digest (supervisors)"
    FEEDBACK_NUDGE = "feedback_nudge", "Feedback still to write"
    FEEDBACK_CLOSING = "feedback_closing", "Feedback window closes in 24 hours"
    FEEDBACK_REVEALED = "feedback_revealed", "Feedback about you can be read"


OPTIONAL_KINDS = [
    MessageKind.REMINDER_24H,
    MessageKind.REMINDER_1H,
    MessageKind.SESSION_ENDED,
    MessageKind.UNBOOKED_NUDGE,
    MessageKind.WEEKLY_DIGEST,
    MessageKind.FEEDBACK_NUDGE,
]


class MessageState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    IN_APP = "in_app", "In the app only (email turned off)"
    FAILED = "failed", "Failed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class MessageQuerySet(models.QuerySet):
    def in_app(self, now=None) -> "MessageQuerySet":
        """What the bell and the notification list show: messages that are due (sent or not yet,
        whatever became of the email) and not withdrawn. A reminder written when a session was
        booked stays out of sight until its time, and is gone for good if the session moves.

        A failed email attempt moves `due_at` on for the retry; `attempts` keeps such a message
        in sight, since it was due once already."""
        due = Q(due_at__lte=now or timezone.now()) | Q(attempts__gt=0)
        return self.filter(due).exclude(state=MessageState.WITHDRAWN)


class Message(models.Model):
    """The outbox: one row per message to one person, written in the same transaction as its cause.

    The same row is the email (sent once, claimed by a conditional update) and the in-app
    notification (read_at). `dedupe_key` makes a second row for the same cause impossible."""

    kind = models.CharField(max_length=40, choices=MessageKind.choices)
    # No index of its own: the (recipient, read_at) index below serves lookups by recipient.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,
    )
    dedupe_key = models.CharField(max_length=200, unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True)
    when = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The moment the subject and body speak of, written into them when shown, "
        "in the reader's zone.",
    )
    due_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(
        max_length=12, choices=MessageState.choices, default=MessageState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sending_since = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The sweep reads only due, unsent rows; this keeps it from scanning the sent ones.
            models.Index(
                fields=["due_at"],
                condition=Q(state="pending"),
                name="message_pending_due",
            ),
            # ...and hands back rows stuck in "sending" without reading the rest either.
            models.Index(
                fields=["sending_since"],
                condition=Q(state="sending"),
                name="message_sending_since",
            ),
            models.Index(fields=["recipient", "read_at"]),
            # The admin's outbox lists the newest first (pk breaks ties) among millions of rows.
            models.Index(fields=["-created_at", "-id"], name="message_newest_first"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient}"

    @property
    def title(self) -> str:
        """The subject as the reader sees it, its moment in the active time zone."""
        return fill_when(self.subject, self.when)

    @property
    def text(self) -> str:
        return fill_when(self.body, self.when)


class EmailPreferences(models.Model):
    """Which optional messages someone wants by email; they always appear in the app."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preferences"
    )
    muted_kinds = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name_plural = "email preferences"

    def __str__(self) -> str:
        return f"Email preferences of {self.user}"
