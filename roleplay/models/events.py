"""The record of a session: one append-only log of what happened to it.

Services write an Event in the same transaction as the change it records (services.events), so
the timeline and the audit trail can never disagree with the data. Rows are never edited: the
model refuses a second save and PostgreSQL refuses any UPDATE (trigger of migration 0023)."""

from django.conf import settings
from django.db import models

from .sessions import Session


class EventKind(models.TextChoices):
    PROPOSED = "proposed", "Proposed a time"
    CONFIRMED = "confirmed", "Confirmed the time"
    SCHEDULED = "scheduled", "Scheduled"
    RESCHEDULED = "rescheduled", "Proposed a new time"
    CANCELLED = "cancelled", "Cancelled"
    REMINDER_SENT = "reminder_sent", "Reminder sent"
    CHECKED_IN = "checked_in", "Checked in"
    ENDED = "ended", "Session ended"
    NO_SHOW = "no_show", "Recorded as a no-show"
    FEEDBACK_SUBMITTED = "feedback_submitted", "Feedback submitted"
    REVEALED = "revealed", "Feedback revealed"
    REVIEWED = "reviewed", "Reviewed by a supervisor"
    CONSENT_GIVEN = "consent_given", "Consented to recording"
    CONSENT_WITHDRAWN = "consent_withdrawn", "Withdrew consent to recording"
    RECORDING_UPLOADED = "recording_uploaded", "Recording uploaded"
    RECORDING_DELETED = "recording_deleted", "Recording deleted"


class Event(models.Model):
    """One thing that happened to a session. `actor` is empty when the clock did it (a reminder,
    the end of a session, retention); `data` holds the details the sentence needs."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["session", "at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Events are never edited; record a new one.")
        super().save(*args, **kwargs)
