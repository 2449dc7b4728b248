"""What a session leaves behind besides feedback: consents, recordings and comments on them,
notes (with every earlier version kept) and care flags.

A recording exists only while every participant's consent stands: withdrawing one deletes the file
at once (services.record). Recordings are served only through a view that checks permission on
every request; their files live in the "recordings" storage, never under a public URL."""

import secrets

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q

from .sessions import Session


class Consent(models.Model):
    """A participant's consent to this session being recorded; withdrawing keeps the row."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="consents")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    given_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["given_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user"],
                condition=Q(withdrawn_at__isnull=True),
                name="consent_one_standing_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"Consent {self.pk} to session {self.session_id}"


def recording_path(recording: "Recording", filename: str) -> str:
    """A name that says nothing about the people in it: the session and a random part."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"sessions/{recording.session_id}/{secrets.token_hex(16)}.{extension}"


def _recordings_storage():
    return storages["recordings"]


class Recording(models.Model):
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="recordings")
    file = models.FileField(upload_to=recording_path, storage=_recordings_storage, max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveBigIntegerField()
    duration_seconds = models.FloatField(
        null=True, blank=True, help_text="Read from the file; empty if its format does not say."
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_because = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["uploaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(deleted_at__isnull=True),
                name="recording_one_current_per_session",
            )
        ]
        indexes = [models.Index(fields=["deleted_at", "uploaded_at"])]

    def __str__(self) -> str:
        return f"Recording {self.pk} of session {self.session_id}"


class RecordingComment(models.Model):
    """ "12:34 — good reflection of feeling": a remark pinned to a moment of the recording."""

    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at_seconds = models.PositiveIntegerField()
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at_seconds", "pk"]

    def __str__(self) -> str:
        return f"Comment at {self.at_seconds} s"

    @property
    def timestamp(self) -> str:
        minutes, seconds = divmod(self.at_seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


class NoteKind(models.TextChoices):
    PROCESS = "process", "My process notes (private: you and your supervisors)"
    SHARED = "shared", "Session notes (everyone in the session)"


class Note(models.Model):
    """A version of a note. Saving a note adds a version; the newest is the note, the earlier
    ones its history. Process notes belong to the therapist-role trainee who wrote them."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=10, choices=NoteKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Whose private process notes these are; empty for shared session notes.",
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=20000)
    written_at = models.DateTimeField()

    class Meta:
        ordering = ["-written_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="process", owner__isnull=False)
                | Q(kind="shared", owner__isnull=True),
                name="note_process_has_owner",
            )
        ]
        indexes = [models.Index(fields=["session", "kind", "written_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.written_at:%Y-%m-%d %H:%M}"


class CareFlag(models.Model):
    """ "This touched something personal — please check in with me": raised privately by the
    client-role trainee, seen only by them and the cohort's supervisors, and never part of an
    event, export or aggregate."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="care_flags")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(max_length=2000, blank=True)
    raised_at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]

    def __str__(self) -> str:
        return f"Care flag {self.pk}"
