"""Consents, recordings, comments, notes and care flags: the session's record beside feedback.

A recording may exist only while every participant's consent stands. Withdrawing one deletes the
file at once: the row is marked deleted in the transaction (so no view serves it from that
moment) and the file is removed from storage when that transaction commits. Retention deletes in
the same way, after the cohort's number of days."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from roleplay.media_types import HEAD_BYTES, duration_of, media_type_of
from roleplay.models import (
    CareFlag,
    Cohort,
    CohortMembership,
    Consent,
    EventKind,
    MessageKind,
    Note,
    NoteKind,
    PairingRole,
    Recording,
    RecordingComment,
    Role,
    Session,
    SessionStatus,
)
from roleplay.permissions import Action, may

from . import notify
from .events import event_record

RECORDABLE = (SessionStatus.SCHEDULED, SessionStatus.COMPLETED)


class RecordRefused(Exception):
    """`reason` in words for the person; `status` the HTTP answer a view gives with it."""

    def __init__(self, reason: str, *, status: int = 400, field: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.field = field


def _locked(session: Session) -> Session:
    return (
        Session.objects.select_for_update(of=("self",))
        .select_related("pairing__round__cohort")
        .get(pk=session.pk)
    )


def participants_of(session: Session) -> list[User]:
    """Who sits in the session (not counting anyone who left the cohort before it)."""
    return [
        seat.user
        for seat in session.seats.filter(left_cohort=False).select_related("user").order_by("pk")
    ]


def _seat_role(session: Session, user: User) -> str | None:
    seat = session.seats.filter(user=user, left_cohort=False).first()
    return seat.role if seat else None


def _supervises(user: User, session: Session) -> bool:
    return may(user, Action.MANAGE, session.pairing.round.cohort)


# --- consent ---------------------------------------------------------------------------------


def consent_standing(session: Session, user: User) -> bool:
    return session.consents.filter(user=user, withdrawn_at__isnull=True).exists()


def everyone_consents(session: Session) -> bool:
    consenting = set(
        session.consents.filter(withdrawn_at__isnull=True).values_list("user_id", flat=True)
    )
    return all(person.pk in consenting for person in participants_of(session))


@transaction.atomic
def consent_give(*, session: Session, user: User) -> Consent:
    session = _locked(session)
    if _seat_role(session, user) is None:
        raise RecordRefused("Only the people in the session give consent.", status=403)
    current = session.consents.filter(user=user, withdrawn_at__isnull=True).first()
    if current is not None:
        return current
    consent = Consent.objects.create(session=session, user=user, given_at=timezone.now())
    event_record(session=session, kind=EventKind.CONSENT_GIVEN, actor=user)
    return consent


@transaction.atomic
def consent_withdraw(*, session: Session, user: User) -> bool:
    """Withdraw consent; the session's recording, if any, is deleted at once. Returns whether a
    recording was deleted."""
    session = _locked(session)
    withdrawn = session.consents.filter(user=user, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )
    if not withdrawn:
        raise RecordRefused("You have not consented to recording this session.")
    event_record(session=session, kind=EventKind.CONSENT_WITHDRAWN, actor=user)
    recording = session.recordings.filter(deleted_at__isnull=True).first()
    if recording is None:
        return False
    _delete(recording, actor=user, because="consent withdrawn")
    return True


# --- recordings ------------------------------------------------------------------------------


def _delete(recording: Recording, *, actor: User | None, because: str) -> bool:
    """Mark deleted (claimed by a conditional update, so it happens once), record it, and remove
    the file once the transaction has committed."""
    claimed = Recording.objects.filter(pk=recording.pk, deleted_at__isnull=True).update(
        deleted_at=timezone.now(), deleted_because=because
    )
    if not claimed:
        return False
    event_record(
        session=recording.session,
        kind=EventKind.RECORDING_DELETED,
        actor=actor,
        data={"because": because},
    )
    storage, name = recording.file.storage, recording.file.name
    transaction.on_commit(lambda: storage.delete(name))
    return True


def too_large_message() -> str:
    return (
        "The file is too large: recordings can be at most "
        f"{filesizeformat(settings.DYAD_RECORDING_MAX_BYTES)}. Shorten or compress it and try again."
    )


def _check_upload(upload: UploadedFile) -> tuple[str, float | None]:
    if upload.size > settings.DYAD_RECORDING_MAX_BYTES:
        raise RecordRefused(too_large_message(), status=413, field="file")
    upload.seek(0)
    media_type = media_type_of(upload.read(HEAD_BYTES))
    if media_type is None:
        raise RecordRefused(
            "This file is not an audio or video recording Dyad can play (WAV, MP3, OGG, FLAC, "
            "MP4/M4A or WebM), whatever its name says.",
            status=415,
            field="file",
        )
    return media_type, duration_of(upload)


@transaction.atomic
def recording_upload(*, session: Session, user: User, upload: UploadedFile) -> Recording:
    """Store a recording of the session: only once everyone in it has consented, only a real
    audio or video file (by its content), and within the size limit. The file goes to storage
    after every check has passed, so a refused upload leaves nothing behind."""
    session = _locked(session)
    if _seat_role(session, user) is None and not _supervises(user, session):
        raise RecordRefused(
            "Only the people in the session and its supervisors upload recordings.", status=403
        )
    if session.status not in RECORDABLE:
        raise RecordRefused("A recording belongs to a scheduled or completed session.")
    if not everyone_consents(session):
        raise RecordRefused(
            "Everyone in the session must consent to recording before a file can be uploaded.",
            status=403,
            field="file",
        )
    if session.recordings.filter(deleted_at__isnull=True).exists():
        raise RecordRefused("This session has a recording already; delete it first.", field="file")
    media_type, duration = _check_upload(upload)
    now = timezone.now()
    recording = Recording(
        session=session,
        content_type=media_type,
        size=upload.size,
        duration_seconds=duration,
        uploaded_by=user,
        uploaded_at=now,
    )
    upload.seek(0)
    recording.file.save(upload.name or "recording", upload, save=False)
    name = recording.file.name
    storage = recording.file.storage
    try:  # the row and its event, or no file
        recording.save()
        event_record(
            session=session,
            kind=EventKind.RECORDING_UPLOADED,
            actor=user,
            data={"size": upload.size, "type": media_type},
        )
    except Exception:
        storage.delete(name)
        raise
    return recording


@transaction.atomic
def recording_delete(*, recording: Recording, user: User) -> None:
    session = _locked(recording.session)
    if recording.uploaded_by_id != user.pk and not _supervises(user, session):
        raise RecordRefused(
            "Only whoever uploaded the recording and the supervisors delete it.", status=403
        )
    _delete(recording, actor=user, because="deleted")


def recordings_expire(*, now: datetime | None = None) -> int:
    """Delete recordings older than their cohort's retention setting, each recorded in its
    session's timeline. Safe to run twice: a recording is claimed before it is deleted."""
    now = now or timezone.now()
    expired = 0
    for days in Cohort.objects.values_list("recording_retention_days", flat=True).distinct():
        due = Recording.objects.filter(
            deleted_at__isnull=True,
            session__pairing__round__cohort__recording_retention_days=days,
            uploaded_at__lte=now - timedelta(days=days),
        ).select_related("session")
        for recording in due:
            with transaction.atomic():
                expired += _delete(recording, actor=None, because=f"kept {days} days")
    return expired


# --- comments --------------------------------------------------------------------------------


def comment_add(
    *, recording: Recording, author: User, at_seconds: int, text: str
) -> RecordingComment:
    if not text.strip():
        raise RecordRefused("Write a comment.", field="text")
    if recording.duration_seconds is not None and at_seconds > recording.duration_seconds:
        length = int(recording.duration_seconds)
        raise RecordRefused(
            f"The recording is only {length // 60}:{length % 60:02} long; "
            "choose a moment within it.",
            field="at",
        )
    return RecordingComment.objects.create(
        recording=recording, author=author, at_seconds=at_seconds, text=text.strip()
    )


# --- notes -----------------------------------------------------------------------------------


def note_save(*, session: Session, kind: str, author: User, text: str) -> Note:
    """A new version of a note. Process notes are the therapist-role trainee's own; shared notes
    are written by anyone in the session and its supervisors."""
    if kind == NoteKind.PROCESS:
        if _seat_role(session, author) != PairingRole.THERAPIST:
            raise RecordRefused(
                "Process notes are for the trainee in the therapist role.", status=403
            )
        owner = author
    else:
        if _seat_role(session, author) is None and not _supervises(author, session):
            raise RecordRefused("Only the people in the session write its notes.", status=403)
        owner = None
    if not text.strip():
        raise RecordRefused("Write something to save.", field="text")
    return Note.objects.create(
        session=session,
        kind=kind,
        owner=owner,
        author=author,
        text=text.strip(),
        written_at=timezone.now(),
    )


# --- care ------------------------------------------------------------------------------------


def supervisors_of(session: Session):
    return User.objects.filter(
        pk__in=CohortMembership.objects.active()
        .filter(cohort_id=session.pairing.round.cohort_id, role=Role.SUPERVISOR)
        .values("user_id")
    )


@transaction.atomic
def care_flag_raise(*, session: Session, user: User, note: str = "") -> CareFlag:
    """The client-role trainee asks their supervisors to check in with them. Only the cohort's
    supervisors are told (at once, through the outbox); no event is recorded, so nothing of it
    reaches the partner."""
    if _seat_role(session, user) != PairingRole.CLIENT:
        raise RecordRefused("This is for the trainee in the client role.", status=403)
    flag = CareFlag.objects.create(
        session=session, raised_by=user, note=note.strip(), raised_at=timezone.now()
    )
    for supervisor in supervisors_of(session):
        notify.message_queue(
            kind=MessageKind.CARE_FLAG,
            recipient=supervisor,
            dedupe_key=f"care:{flag.pk}:{supervisor.pk}",
            subject=f"{user.name} asks you to check in with them",
            body=(
                f"{user.name} says a role-play touched something personal and asks you to "
                "check in with them. Only the cohort's supervisors see this. Open Dyad to read "
                "it and mark it acknowledged."
            ),
            link=reverse("session_detail", args=[session.pk]),
        )
    return flag


@transaction.atomic
def care_flag_acknowledge(*, flag: CareFlag, supervisor: User) -> CareFlag:
    if not supervisors_of(flag.session).filter(pk=supervisor.pk).exists():
        raise RecordRefused("Only the cohort's supervisors acknowledge this.", status=403)
    CareFlag.objects.filter(pk=flag.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=supervisor, acknowledged_at=timezone.now()
    )
    flag.refresh_from_db()
    return flag
