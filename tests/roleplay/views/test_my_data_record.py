"""The own-data download holds the person's part of their sessions' record — notes they may read,
comments and uploads they made, consents, what they did in the timeline —
and nothing of a partner's private data."""

import json

import pytest
from django.urls import reverse

from roleplay.models import FeedbackPurpose, NoteKind
from roleplay.services import feedback, record
from tests.factories import MembershipFactory, UserFactory
from tests.roleplay.booking_helpers import make_pairing
from tests.roleplay.feedback_helpers import answers_for
from tests.roleplay.record_helpers import schedule, wav_upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def world(cohort, supervisor):
    """Ana (client) and Ben (therapist) consent; Ana uploads the recording; both comment on it;
    Ben writes process notes, Ana a shared note; Ana asks for a check-in; then Ben withdraws his
    consent, which deletes the recording. Cai and Dee have a session of their own, with notes."""
    ana = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ana")).user
    ben = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ben")).user
    session = schedule(make_pairing(cohort, ana, ben), supervisor)
    for person in (ana, ben):
        record.consent_give(session=session, user=person)
    recording = record.recording_upload(session=session, user=ana, upload=wav_upload(3))
    record.comment_add(recording=recording, author=ana, at_seconds=1, text="ANA-COMMENT")
    record.comment_add(recording=recording, author=ben, at_seconds=2, text="BEN-COMMENT")
    record.note_save(session=session, kind=NoteKind.PROCESS, author=ben, text="BEN-PROCESS-v1")
    record.note_save(session=session, kind=NoteKind.PROCESS, author=ben, text="BEN-PROCESS-v2")
    record.note_save(session=session, kind=NoteKind.SHARED, author=ana, text="SHARED-BY-ANA")
    record.note_save(
        session=session, kind=NoteKind.SHARED, author=supervisor, text="SHARED-BY-SUPERVISOR"
    )
    record.care_flag_raise(session=session, user=ana, note="ANA-CARE")
    record.consent_withdraw(session=session, user=ben)

    cai = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Cai")).user
    dee = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Dee")).user
    theirs = schedule(make_pairing(cohort, cai, dee, name="Round B"), supervisor)
    record.note_save(session=theirs, kind=NoteKind.SHARED, author=cai, text="OTHER-SHARED")
    record.note_save(session=theirs, kind=NoteKind.PROCESS, author=dee, text="OTHER-PROCESS")
    return {"ana": ana, "ben": ben, "session": session}


def download(client, user) -> dict:
    client.force_login(user)
    return json.loads(client.post(reverse("profile_export")).content)


def test_my_data_holds_my_process_notes_and_the_shared_notes_of_my_sessions_with_history(
    client, world
):
    ben = download(client, world["ben"])

    assert [(n["kind"], n["written_by"], n["text"]) for n in ben["notes"]] == [
        ("My process notes (private: you and your supervisors)", "Ben", "BEN-PROCESS-v1"),
        ("My process notes (private: you and your supervisors)", "Ben", "BEN-PROCESS-v2"),
        ("Session notes (everyone in the session)", "Ana", "SHARED-BY-ANA"),
        ("Session notes (everyone in the session)", "Sam Supervisor", "SHARED-BY-SUPERVISOR"),
    ]
    assert ben["notes"][0]["session_start"] == "2027-03-03T09:00:00Z"


def test_my_data_never_holds_my_partners_process_notes(client, world):
    ana = download(client, world["ana"])

    assert [n["text"] for n in ana["notes"]] == ["SHARED-BY-ANA", "SHARED-BY-SUPERVISOR"]
    assert "BEN-PROCESS" not in json.dumps(ana)


def test_my_data_holds_the_recording_comments_and_uploads_i_made(client, world):
    ana = download(client, world["ana"])

    assert [(c["at"], c["text"]) for c in ana["recording_comments"]] == [("0:01", "ANA-COMMENT")]
    (upload,) = ana["recordings_uploaded"]
    assert (upload["type"], upload["deleted_because"], upload["deleted_at"]) == (
        "audio/wav",
        "consent withdrawn",
        "2027-03-01T09:00:00Z",
    )
    assert "BEN-COMMENT" not in json.dumps(ana)


def test_my_data_holds_my_consents_given_and_withdrawn(client, world):
    ben = download(client, world["ben"])
    ana = download(client, world["ana"])

    assert ben["recording_consents"] == [
        {
            "session_start": "2027-03-03T09:00:00Z",
            "given_at": "2027-03-01T09:00:00Z",
            "withdrawn_at": "2027-03-01T09:00:00Z",
        }
    ]
    assert ana["recording_consents"][0]["withdrawn_at"] is None


def test_no_care_request_is_in_anyones_download_not_even_their_own(client, world):
    """A care request reaches the supervisors only: never an export (issue 11), so a download
    a trainee passes on cannot carry it either."""
    for person in ("ana", "ben"):
        data = download(client, world[person])
        assert "care_requests" not in data
        assert "ANA-CARE" not in json.dumps(data)


def test_my_data_holds_what_i_did_in_my_sessions_timeline(client, world):
    ben = download(client, world["ben"])

    assert [e["what"] for e in ben["session_events"]] == [
        "Consented to recording",
        "Withdrew consent to recording",
        "Recording deleted",
    ]


def test_my_data_holds_nothing_of_a_session_i_was_not_in(client, world):
    for person in ("ana", "ben"):
        text = json.dumps(download(client, world[person]))
        assert "OTHER-SHARED" not in text
        assert "OTHER-PROCESS" not in text


def test_feedback_about_me_comes_only_once_revealed(client, world, supervisor):
    """The partner's feedback, written after a completed session, is not in my download until
    the reveal; then it is."""
    from datetime import timedelta

    import time_machine

    from roleplay.services import periodic

    session, ana, ben = world["session"], world["ana"], world["ben"]
    with time_machine.travel(session.end + timedelta(hours=1), tick=False):
        periodic.sessions_complete()
        session.refresh_from_db()
        response = feedback.feedback_start(
            session=session, author=ana, about=ben, purpose=FeedbackPurpose.CLIENT
        )
        feedback.feedback_submit(
            response=response, author=ana, answers=answers_for(response.template, text="ANA-SAYS")
        )
        assert "ANA-SAYS" not in json.dumps(download(client, ben))
        assert "ANA-SAYS" in json.dumps(download(client, ana)["feedback_written"])
        feedback.feedback_release(session=session, supervisor=supervisor)

        received = download(client, ben)["feedback_received"]

    assert "ANA-SAYS" in json.dumps(received)
