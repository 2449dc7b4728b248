"""The session record: the event log the booking services write, consent-gated recordings,
comments, notes with history, care flags and retention."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction

from roleplay.models import (
    Event,
    EventKind,
    FeedbackPurpose,
    Message,
    NoteKind,
    Recording,
    SessionStatus,
)
from roleplay.permissions import care_flags_visible_to, process_notes_visible_to
from roleplay.selectors.record import session_timeline
from roleplay.services import booking, feedback, notify, periodic, record
from tests.factories import MembershipFactory, UserFactory
from tests.roleplay.booking_helpers import NOW
from tests.roleplay.feedback_helpers import answers_for, client_and_therapist_drafts
from tests.roleplay.record_helpers import schedule, wav_bytes, wav_upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def kinds(session):
    return list(session.events.order_by("at", "pk").values_list("kind", "actor__display_name"))


@pytest.fixture
def session(pair, supervisor):
    pairing, _, _ = pair
    return schedule(pairing, supervisor)


@pytest.fixture
def consented(session, pair):
    _, ana, ben = pair
    record.consent_give(session=session, user=ana)
    record.consent_give(session=session, user=ben)
    return session


def stored(recording) -> bool:
    return recording.file.storage.exists(recording.file.name)


# --- the event log -----------------------------------------------------------------------------


def test_booking_writes_each_step_to_the_timeline(pair, supervisor):
    pairing, ana, ben = pair
    session = booking.session_propose(pairing=pairing, proposer=ana, start=NOW + timedelta(days=2))
    booking.session_confirm(session=session, user=ben)
    booking.session_reschedule(session=session, user=ben, start=NOW + timedelta(days=3))
    booking.session_confirm(session=session, user=ana)
    booking.session_cancel(session=session, user=ana, reason="Ill")

    assert kinds(session) == [
        ("proposed", "Ana"),
        ("confirmed", "Ben"),
        ("scheduled", "Ben"),
        ("rescheduled", "Ben"),
        ("confirmed", "Ana"),
        ("scheduled", "Ana"),
        ("cancelled", "Ana"),
    ]
    assert session.events.get(kind="rescheduled").data == {
        "start": (NOW + timedelta(days=3)).isoformat()
    }
    assert session.events.get(kind="cancelled").data == {"reason": "Ill", "late": False}


def test_check_in_no_show_and_the_end_are_recorded(pair, supervisor):
    pairing, ana, _ben = pair
    session = schedule(pairing, supervisor)
    with time_machine.travel(session.start, tick=False):
        booking.session_check_in(session=session, user=ana)
        booking.session_check_in(session=session, user=ana)  # a second click records nothing
    with time_machine.travel(session.end + timedelta(minutes=1), tick=False):
        periodic.sessions_complete()
        periodic.sessions_complete()  # a second tick records nothing

    assert kinds(session) == [
        ("scheduled", "Sam Supervisor"),
        ("checked_in", "Ana"),
        ("ended", None),
    ]


def test_a_no_show_marked_by_a_supervisor_names_who_did_not_come(pair, supervisor):
    pairing, _ana, ben = pair
    session = schedule(pairing, supervisor)
    booking.session_mark_no_show(session=session, supervisor=supervisor, absent=[ben])
    assert session.events.get(kind="no_show").data == {"people": [ben.pk]}
    no_show = [e for e in session_timeline(session) if e.kind == "no_show"]
    assert [e.people for e in no_show] == [["Ben"]]


def test_a_reminder_sent_is_recorded_and_other_messages_are_not(pair, supervisor):
    pairing, ana, _ben = pair
    session = schedule(pairing, supervisor)
    reminder = Message.objects.get(kind="reminder_24h", recipient=ana)
    confirmation = Message.objects.get(kind="session_confirmed", recipient=ana)
    notify.message_send(message_id=confirmation.pk)
    with time_machine.travel(reminder.due_at, tick=False):
        assert notify.message_send(message_id=reminder.pk)

    event = session.events.get(kind="reminder_sent")
    assert event.data == {"people": [ana.pk], "kind": "Reminder 24 hours before"}


def test_feedback_submitted_revealed_and_reviewed_are_in_the_timeline(session, pair, supervisor):
    _, ana, ben = pair
    with time_machine.travel(session.end + timedelta(minutes=1), tick=False):
        periodic.sessions_complete()
        session.refresh_from_db()
        for response in client_and_therapist_drafts(session, ana, ben):
            feedback.feedback_submit(
                response=response, author=response.author, answers=answers_for(response.template)
            )
        review = feedback.feedback_start(
            session=session, author=supervisor, about=ben, purpose=FeedbackPurpose.SUPERVISOR
        )
        feedback.feedback_submit(
            response=review, author=supervisor, answers=answers_for(review.template)
        )

    assert kinds(session)[-5:] == [
        ("ended", None),
        ("feedback_submitted", "Ana"),
        ("feedback_submitted", "Ben"),
        ("revealed", None),
        ("reviewed", "Sam Supervisor"),
    ]
    assert session.events.get(kind="revealed").data == {"by": "both_submitted"}


def test_events_are_never_edited(session):
    event = session.events.first()
    event.data = {"forged": True}
    with pytest.raises(ValueError, match="never edited"):
        event.save()
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(data={"forged": True})
    assert connection.vendor == "postgresql"


# --- consent and recordings --------------------------------------------------------------------


def test_no_upload_until_everyone_consents(session, pair):
    _, ana, _ben = pair
    record.consent_give(session=session, user=ana)
    with pytest.raises(record.RecordRefused) as refused:
        record.recording_upload(session=session, user=ana, upload=wav_upload())
    assert (refused.value.status, refused.value.reason) == (
        403,
        "Everyone in the session must consent to recording before a file can be uploaded.",
    )
    assert Recording.objects.count() == 0


def test_an_upload_after_both_consents_is_stored_with_its_length(consented, pair):
    _, ana, _ = pair
    recording = record.recording_upload(session=consented, user=ana, upload=wav_upload(seconds=5))

    assert (recording.content_type, recording.size) == ("audio/wav", len(wav_bytes(5)))
    assert recording.duration_seconds == pytest.approx(5.0)
    assert recording.file.read() == wav_bytes(5)
    assert kinds(consented)[-3:] == [
        ("consent_given", "Ana"),
        ("consent_given", "Ben"),
        ("recording_uploaded", "Ana"),
    ]


def test_withdrawing_consent_deletes_the_file_at_once(
    consented, pair, django_capture_on_commit_callbacks
):
    _, ana, ben = pair
    recording = record.recording_upload(session=consented, user=ana, upload=wav_upload())
    assert stored(recording)

    with django_capture_on_commit_callbacks(execute=True):  # the file goes when it commits
        assert record.consent_withdraw(session=consented, user=ben) is True
        recording.refresh_from_db()
        assert recording.deleted_because == "consent withdrawn"

    assert not stored(recording)
    assert kinds(consented)[-2:] == [("consent_withdrawn", "Ben"), ("recording_deleted", "Ben")]
    with pytest.raises(record.RecordRefused, match="Everyone in the session must consent"):
        record.recording_upload(session=consented, user=ana, upload=wav_upload())


def test_a_file_renamed_to_look_like_audio_is_refused_and_not_stored(consented, pair, tmp_path):
    _, ana, _ = pair
    fake = SimpleUploadedFile("session.mp3", b"This is a text file, not audio." * 10, "audio/mpeg")
    with pytest.raises(record.RecordRefused) as refused:
        record.recording_upload(session=consented, user=ana, upload=fake)
    assert refused.value.status == 415
    assert refused.value.reason.startswith("This file is not an audio or video recording")
    assert Recording.objects.count() == 0
    assert "recording_uploaded" not in [kind for kind, _ in kinds(consented)]


def test_a_file_over_the_limit_is_refused_with_the_limit_named(consented, pair, settings):
    _, ana, _ = pair
    settings.DYAD_RECORDING_MAX_BYTES = 2 * 2**20
    with pytest.raises(record.RecordRefused) as refused:
        record.recording_upload(
            session=consented, user=ana, upload=SimpleUploadedFile("big.wav", wav_bytes(300))
        )
    assert (refused.value.status, refused.value.reason) == (
        413,
        "The file is too large: recordings can be at most 2.0 MB. Shorten or compress it and "
        "try again.",
    )
    assert Recording.objects.count() == 0


def test_someone_outside_the_session_cannot_consent(session, cohort):
    stranger = MembershipFactory(cohort=cohort).user
    with pytest.raises(record.RecordRefused, match="Only the people in the session"):
        record.consent_give(session=session, user=stranger)


# --- comments and notes ------------------------------------------------------------------------


def test_a_comment_past_the_end_of_the_recording_is_refused(consented, pair, supervisor):
    _, ana, _ = pair
    recording = record.recording_upload(session=consented, user=ana, upload=wav_upload(65))
    record.comment_add(recording=recording, author=supervisor, at_seconds=62, text="Good pause")
    with pytest.raises(record.RecordRefused) as refused:
        record.comment_add(recording=recording, author=ana, at_seconds=70, text="Late")
    assert refused.value.reason == "The recording is only 1:05 long; choose a moment within it."
    assert [(c.timestamp, c.text) for c in recording.comments.all()] == [("1:02", "Good pause")]


def test_process_notes_are_the_therapists_and_the_supervisors_only(session, pair, supervisor):
    _, ana, ben = pair  # Ana plays the client, Ben the therapist
    record.note_save(session=session, kind=NoteKind.PROCESS, author=ben, text="First thoughts")
    record.note_save(session=session, kind=NoteKind.PROCESS, author=ben, text="Second thoughts")
    with pytest.raises(record.RecordRefused, match="therapist role"):
        record.note_save(session=session, kind=NoteKind.PROCESS, author=ana, text="Mine")

    def texts(user):
        return [n.text for n in process_notes_visible_to(user, session)]

    assert texts(ben) == ["Second thoughts", "First thoughts"]
    assert texts(supervisor) == ["Second thoughts", "First thoughts"]
    assert texts(ana) == []


def test_shared_notes_keep_every_version(session, pair, supervisor):
    _, ana, _ben = pair
    record.note_save(session=session, kind=NoteKind.SHARED, author=ana, text="We practised")
    record.note_save(session=session, kind=NoteKind.SHARED, author=supervisor, text="Well done")
    assert list(
        session.notes.filter(kind="shared").values_list("text", "author__display_name")
    ) == [
        ("Well done", "Sam Supervisor"),
        ("We practised", "Ana"),
    ]


# --- care flags --------------------------------------------------------------------------------


def test_a_care_flag_reaches_only_the_supervisors_at_once(session, pair, supervisor, cohort):
    _, ana, ben = pair
    other_supervisor = UserFactory(display_name="Sue")
    MembershipFactory(cohort=cohort, user=other_supervisor, role="supervisor")
    Message.objects.all().delete()
    events_before = session.events.count()

    flag = record.care_flag_raise(session=session, user=ana, note="My father")

    assert sorted(Message.objects.values_list("recipient__display_name", "subject")) == [
        ("Sam Supervisor", "Ana asks you to check in with them"),
        ("Sue", "Ana asks you to check in with them"),
    ]
    assert "My father" not in "".join(Message.objects.values_list("body", flat=True))
    assert session.events.count() == events_before  # nothing in the timeline the partner reads
    assert list(care_flags_visible_to(ben, session)) == []
    assert list(care_flags_visible_to(ana, session)) == [flag]
    assert list(care_flags_visible_to(supervisor, session)) == [flag]


def test_only_the_client_raises_and_only_a_supervisor_acknowledges(session, pair, supervisor):
    _, ana, ben = pair
    with pytest.raises(record.RecordRefused, match="client role"):
        record.care_flag_raise(session=session, user=ben)
    flag = record.care_flag_raise(session=session, user=ana)
    with pytest.raises(record.RecordRefused, match="supervisors acknowledge"):
        record.care_flag_acknowledge(flag=flag, supervisor=ana)
    flag = record.care_flag_acknowledge(flag=flag, supervisor=supervisor)
    assert (flag.acknowledged_by, flag.acknowledged_at) == (supervisor, NOW)


# --- retention ---------------------------------------------------------------------------------


def test_retention_deletes_recordings_after_the_cohorts_days(
    consented, pair, cohort, django_capture_on_commit_callbacks
):
    _, ana, _ = pair
    cohort.recording_retention_days = 10
    cohort.save()
    recording = record.recording_upload(session=consented, user=ana, upload=wav_upload())

    with time_machine.travel(NOW + timedelta(days=9, hours=23), tick=False):
        assert record.recordings_expire() == 0
    assert stored(recording)
    with time_machine.travel(NOW + timedelta(days=10), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert record.recordings_expire() == 1
        assert record.recordings_expire() == 0  # a second tick does nothing

    recording.refresh_from_db()
    assert recording.deleted_at == NOW + timedelta(days=10)
    assert not stored(recording)
    deleted = consented.events.get(kind=EventKind.RECORDING_DELETED)
    assert (deleted.actor, deleted.data) == (None, {"because": "kept 10 days"})


def test_retention_defaults_to_30_days(cohort):
    assert cohort.recording_retention_days == 30


def test_one_current_recording_per_session_in_the_database(consented, pair):
    _, ana, _ = pair
    recording = record.recording_upload(session=consented, user=ana, upload=wav_upload())
    with pytest.raises(IntegrityError), transaction.atomic():
        Recording.objects.create(
            session=consented,
            file=recording.file.name,
            content_type="audio/wav",
            size=1,
            uploaded_by=ana,
            uploaded_at=NOW,
        )
    assert consented.status == SessionStatus.SCHEDULED
