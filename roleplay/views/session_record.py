"""The record part of the session page: what templates/roleplay/includes/session_record.html
needs, for the viewer (kept apart from views.sessions so both the session page and the record
views can use it)."""

from roleplay.forms import CareFlagForm, CommentForm, NoteForm, RecordingUploadForm
from roleplay.models import PairingRole
from roleplay.permissions import supervises_session
from roleplay.selectors import record as selectors
from roleplay.services import record


def record_context(request, session, **forms) -> dict:
    """What the record part of the session page (includes/session_record.html) needs."""
    user = request.user
    seat = session.seats.filter(user=user, left_cohort=False).first()
    recording = selectors.current_recording(session)
    return {
        "timeline": selectors.session_timeline(session),
        "recording": recording,
        "my_consent": seat is not None and record.consent_standing(session, user),
        "in_session": seat is not None,
        "everyone_consents": record.everyone_consents(session),
        "may_upload": session.status in record.RECORDABLE
        and (seat is not None or supervises_session(user, session)),
        "upload_form": forms.get("upload_form") or RecordingUploadForm(),
        "comment_form": forms.get("comment_form") or CommentForm(prefix="comment"),
        "shared_notes": selectors.shared_notes(session),
        "shared_note_form": forms.get("shared_note_form") or NoteForm(prefix="shared"),
        "writes_process_notes": seat is not None and seat.role == PairingRole.THERAPIST,
        "process_notes": selectors.process_notes(session, user),
        "process_note_form": forms.get("process_note_form") or NoteForm(prefix="process"),
        "care_flags": selectors.care_flags(session, user),
        "raises_care_flags": seat is not None and seat.role == PairingRole.CLIENT,
        "care_flag_form": forms.get("care_flag_form") or CareFlagForm(),
        "acknowledges_care_flags": supervises_session(user, session),
    }
