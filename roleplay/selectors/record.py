"""Reads for the record part of the session page: the timeline, the recording with its
comments, notes with their history and care flags — each as the viewer may see it."""

from accounts.models import User
from roleplay.models import Event, Note, NoteKind, Recording, Session
from roleplay.permissions import care_flags_visible_to, process_notes_visible_to


def session_timeline(session: Session) -> list[Event]:
    return list(session.events.select_related("actor").order_by("at", "pk"))


def current_recording(session: Session) -> Recording | None:
    return (
        session.recordings.filter(deleted_at__isnull=True)
        .select_related("uploaded_by")
        .prefetch_related("comments__author")
        .first()
    )


def shared_notes(session: Session) -> list[Note]:
    """Newest first: the first is the note, the rest its history."""
    return list(session.notes.filter(kind=NoteKind.SHARED).select_related("author"))


def process_notes(session: Session, user: User) -> list[Note]:
    return list(process_notes_visible_to(user, session).select_related("author"))


def care_flags(session: Session, user: User):
    return list(care_flags_visible_to(user, session).select_related("raised_by", "acknowledged_by"))
