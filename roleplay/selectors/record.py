"""Reads for the record part of the session page: the timeline, the recording with its
comments, notes with their history and care flags — each as the viewer may see it."""

from accounts.models import User
from roleplay.models import Event, Note, NoteKind, Recording, Session
from roleplay.permissions import care_flags_visible_to, process_notes_visible_to


def session_timeline(session: Session) -> list[Event]:
    """The events, oldest first, each with `people`: the names of those its data names by id
    (who did not come, whom a reminder went to), as they are now."""
    events = list(session.events.select_related("actor").order_by("at", "pk"))
    ids = {pk for event in events for pk in event.data.get("people", [])}
    names = {user.pk: user.name for user in User.objects.filter(pk__in=ids)} if ids else {}
    for event in events:
        event.people = [names[pk] for pk in event.data.get("people", []) if pk in names]
    return events


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
