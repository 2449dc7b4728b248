"""Reads for the record part of the session page: the timeline, the recording with its
comments, notes with their history and care flags — each as the viewer may see it."""

from accounts.models import User
from roleplay.models import Event, Note, NoteKind, Recording, RecordingComment, Session
from roleplay.permissions import care_flags_visible_to, notes_visible_to


def session_timeline(session: Session, known: dict[int, str] | None = None) -> list[Event]:
    """The events, oldest first, each with `people`: the names of those its data names by id
    (who did not come, whom a reminder went to), as they are now. `known` maps ids to names the
    caller has loaded already (the session's seats); only others are read."""
    known = known or {}
    events = list(session.events.select_related("actor").order_by("at", "pk"))
    ids = {pk for event in events for pk in event.data.get("people", [])} - set(known)
    names = dict(known)
    if ids:
        names.update((user.pk, user.name) for user in User.objects.filter(pk__in=ids))
    for event in events:
        event.people = [names[pk] for pk in event.data.get("people", []) if pk in names]
    return events


def current_recording(session: Session) -> Recording | None:
    """The recording not deleted, with its uploader — taken from the session when its page
    loaded it (selectors.session_page), else read."""
    if "current_recording" in session.__dict__:
        return session.current_recording
    return session.recordings.filter(deleted_at__isnull=True).select_related("uploaded_by").first()


def recording_comments(recording: Recording | None) -> list[RecordingComment]:
    if recording is None:
        return []
    return list(recording.comments.select_related("author"))


def notes_by_kind(session: Session, user: User) -> dict[str, list[Note]]:
    """The shared notes and the process notes `user` may see, in one query; each list newest
    first: the first is the note, the rest its history."""
    notes = {NoteKind.SHARED: [], NoteKind.PROCESS: []}
    for note in notes_visible_to(user, session).select_related("author"):
        notes[note.kind].append(note)
    return notes


def care_flags(session: Session, user: User):
    return list(care_flags_visible_to(user, session).select_related("raised_by", "acknowledged_by"))
