"""The record part of the session page: what templates/roleplay/includes/session_record.html
needs, for the viewer (kept apart from views.sessions so both the session page and the record
views can use it)."""

from roleplay.forms import CareFlagForm, CommentForm, NoteForm, RecordingUploadForm
from roleplay.models import NoteKind, PairingRole
from roleplay.permissions import supervises_session
from roleplay.selectors import record as selectors
from roleplay.selectors.session_page import page_seats
from roleplay.services import record


def record_context(request, session, seats=None, **forms) -> dict:
    """What the record part of the session page (includes/session_record.html) needs. `seats`:
    the session's seats as selectors.session_page loads them (with `consents`), if at hand."""
    user = request.user
    seats = page_seats(session) if seats is None else seats
    present = [s for s in seats if not s.left_cohort]
    seat = next((s for s in present if s.user_id == user.pk), None)
    supervises = supervises_session(user, session)
    recording = selectors.current_recording(session)
    notes = selectors.notes_by_kind(session, user)
    return {
        "timeline": selectors.session_timeline(session, {s.user_id: s.user.name for s in seats}),
        "recording": recording,
        "comments": selectors.recording_comments(recording),
        "my_consent": seat is not None and seat.consents,
        "in_session": seat is not None,
        # Everyone still in the session consents (services.record.everyone_consents).
        "everyone_consents": all(s.consents for s in present),
        "may_upload": session.status in record.RECORDABLE and (seat is not None or supervises),
        "upload_form": forms.get("upload_form") or RecordingUploadForm(),
        "comment_form": forms.get("comment_form") or CommentForm(prefix="comment"),
        "shared_notes": notes[NoteKind.SHARED],
        "shared_note_form": forms.get("shared_note_form") or NoteForm(prefix="shared"),
        "writes_process_notes": seat is not None and seat.role == PairingRole.THERAPIST,
        "process_notes": notes[NoteKind.PROCESS],
        "process_note_form": forms.get("process_note_form") or NoteForm(prefix="process"),
        "care_flags": selectors.care_flags(session, user),
        "raises_care_flags": seat is not None and seat.role == PairingRole.CLIENT,
        "care_flag_form": forms.get("care_flag_form") or CareFlagForm(),
        "acknowledges_care_flags": supervises,
    }
