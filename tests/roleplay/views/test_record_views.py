"""The record part of the session page, and the recording's own view: what each person sees, and
the clear answers to bad input (403, 404, 413, 415, 416) with nothing stored."""

import os
import re

import pytest
from django.core.files.storage import storages
from django.urls import reverse

from roleplay.models import Message, Recording
from roleplay.services import record
from tests.factories import MembershipFactory
from tests.html import alerts, text_by_id
from tests.roleplay.record_helpers import schedule, wav_bytes, wav_upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


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


@pytest.fixture
def recording(consented, pair):
    _, ana, _ = pair
    return record.recording_upload(session=consented, user=ana, upload=wav_upload(seconds=65))


def stored_files() -> list[str]:
    root = storages["recordings"].location
    return [name for _, _, names in os.walk(root) for name in names]


def page(client, session):
    return client.get(reverse("session_detail", args=[session.pk]))


def upload(client, session, content: bytes, name="session.wav"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("recording_upload", args=[session.pk]),
        {"file": SimpleUploadedFile(name, content, "audio/wav")},
    )


# --- timeline ----------------------------------------------------------------------------------


def test_the_timeline_shows_each_step_in_the_viewers_zone(client, pair, consented):
    _, ana, ben = pair  # Ana in London, Ben in New York
    client.force_login(ben)
    assert text_by_id(page(client, consented), "timeline") == (
        "Timeline 1 Mar 2027, 04:00 — Scheduled for Wednesday 3 March, 04:00 · Sam Supervisor "
        "1 Mar 2027, 04:00 — Consented to recording · Ana "
        "1 Mar 2027, 04:00 — Consented to recording · Ben"
    )
    client.force_login(ana)
    assert "Scheduled for Wednesday 3 March, 09:00" in text_by_id(
        page(client, consented), "timeline"
    )


# --- consent and upload ------------------------------------------------------------------------


def test_consent_is_given_and_withdrawn_from_the_page(client, pair, session):
    _, ana, _ = pair
    client.force_login(ana)
    response = client.post(
        reverse("session_consent", args=[session.pk]), {"consent": "give"}, follow=True
    )
    assert "Withdraw my consent" in text_by_id(response, "recording-section")
    response = client.post(
        reverse("session_consent", args=[session.pk]), {"consent": "withdraw"}, follow=True
    )
    assert text_by_id(response, "recording-section").startswith(
        "Recording A recording can be uploaded only once everyone in the session consents."
    )


def test_an_upload_without_every_consent_is_403_with_the_reason(client, pair, session):
    _, ana, _ = pair
    record.consent_give(session=session, user=ana)
    client.force_login(ana)
    before = stored_files()
    response = upload(client, session, wav_bytes())
    assert response.status_code == 403
    assert (
        "Everyone in the session must consent to recording before a file can be uploaded."
        in text_by_id(response, "recording-section")
    )
    assert Recording.objects.count() == 0
    assert stored_files() == before


def test_an_upload_after_both_consents_plays_on_the_page(client, pair, consented):
    _, ana, ben = pair
    client.force_login(ana)
    response = upload(client, consented, wav_bytes(2))
    recording = Recording.objects.get()
    assert response.status_code == 302
    client.force_login(ben)
    html = page(client, consented).content.decode()
    assert f'src="{reverse("recording_stream", args=[recording.pk])}"' in html
    assert "Uploaded by Ana on 1 March, 04:00; kept 30 days." in html


def test_a_text_file_named_like_audio_is_415_and_not_stored(client, pair, consented):
    _, ana, _ = pair
    client.force_login(ana)
    before = stored_files()
    response = upload(client, consented, b"not audio at all\n" * 100, name="talk.mp3")
    assert response.status_code == 415
    assert alerts(response.content.decode())["id_file_errors"].strip() == (
        "This file is not an audio or video recording Dyad can play (WAV, MP3, OGG, FLAC, "
        "MP4/M4A or WebM), whatever its name says."
    )
    assert Recording.objects.count() == 0
    assert stored_files() == before


def test_a_file_over_the_limit_is_413_before_it_is_read(client, pair, consented, settings):
    _, ana, _ = pair
    settings.DYAD_RECORDING_MAX_BYTES = 100_000
    client.force_login(ana)
    before = stored_files()
    response = upload(client, consented, wav_bytes(seconds=60))  # 480 KB
    assert response.status_code == 413
    assert alerts(response.content.decode())["id_file_errors"].strip() == (
        "The file is too large: recordings can be at most 97.7 KB. Shorten or compress it and "
        "try again."
    )
    assert Recording.objects.count() == 0
    assert stored_files() == before


# --- streaming ---------------------------------------------------------------------------------


def stream(client, recording, **headers):
    response = client.get(reverse("recording_stream", args=[recording.pk]), headers=headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def test_the_whole_recording_without_a_range(client, pair, recording):
    _, _, ben = pair
    client.force_login(ben)
    response, body = stream(client, recording)
    assert (response.status_code, body) == (200, wav_bytes(65))
    assert (response["Content-Type"], response["Accept-Ranges"]) == ("audio/wav", "bytes")
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("header", "expected_range", "expected_body"),
    [
        ("bytes=0-3", "bytes 0-3/520044", b"RIFF"),
        ("bytes=8-11", "bytes 8-11/520044", b"WAVE"),
        ("bytes=520040-", "bytes 520040-520043/520044", b"\x80" * 4),
        ("bytes=-2", "bytes 520042-520043/520044", b"\x80" * 2),
        ("bytes=520040-999999", "bytes 520040-520043/520044", b"\x80" * 4),
    ],
)
def test_a_range_is_answered_206_with_those_bytes(
    client, pair, recording, header, expected_range, expected_body
):
    _, ana, _ = pair
    client.force_login(ana)
    response, body = stream(client, recording, Range=header)
    assert (response.status_code, response["Content-Range"], body) == (
        206,
        expected_range,
        expected_body,
    )
    assert response["Content-Length"] == str(len(expected_body))


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("bytes=520044-", "The range is outside the recording's 520044 bytes."),
        ("bytes=10-5", "The range is outside the recording's 520044 bytes."),
        ("bytes=abc", "The Range header must be one byte range, bytes=a-b."),
        ("bytes=0-1,5-6", "The Range header must be one byte range, bytes=a-b."),
        ("bytes=-", "The Range header must be one byte range, bytes=a-b."),
    ],
)
def test_a_bad_range_is_416_with_the_size(client, pair, recording, header, message):
    _, ana, _ = pair
    client.force_login(ana)
    response, body = stream(client, recording, Range=header)
    assert (response.status_code, response["Content-Range"], body.decode()) == (
        416,
        "bytes */520044",
        message,
    )


def test_nobody_outside_the_session_streams_it(client, recording, outsider, cohort):
    other_trainee = MembershipFactory(cohort=cohort).user
    for person in (outsider, other_trainee):
        client.force_login(person)
        assert stream(client, recording)[0].status_code == 404


def test_after_consent_is_withdrawn_the_file_is_gone(
    client, pair, recording, django_capture_on_commit_callbacks
):
    _, _ana, ben = pair
    client.force_login(ben)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("session_consent", args=[recording.session_id]),
            {"consent": "withdraw"},
            follow=True,
        )
    assert "Consent withdrawn. The recording is deleted." in response.content.decode()
    assert "Recording deleted (consent withdrawn) · Ben" in text_by_id(response, "timeline")
    assert "<audio" not in response.content.decode()
    assert stream(client, recording)[0].status_code == 404
    assert not storages["recordings"].exists(recording.file.name)


# --- comments ----------------------------------------------------------------------------------


def test_a_comment_is_a_button_that_seeks_the_player(client, pair, recording, supervisor):
    client.force_login(supervisor)
    response = client.post(
        reverse("recording_comment", args=[recording.pk]),
        {"comment-at": "1:02", "comment-text": "Good reflection of feeling"},
        follow=True,
    )
    assert text_by_id(response, "comments") == "1:02 — Good reflection of feeling Sam Supervisor"
    assert '<button type="button" class="seek outline" data-seek="62">1:02</button>' in (
        response.content.decode()
    )


def test_a_comment_past_the_end_is_refused_in_the_page(client, pair, recording):
    _, ana, _ = pair
    client.force_login(ana)
    response = client.post(
        reverse("recording_comment", args=[recording.pk]),
        {"comment-at": "2:00", "comment-text": "Too late"},
    )
    assert response.status_code == 400
    assert alerts(response.content.decode())["id_comment-at_errors"].strip() == (
        "The recording is only 1:05 long; choose a moment within it."
    )
    assert recording.comments.count() == 0


# --- notes and care ----------------------------------------------------------------------------


def test_process_notes_never_show_to_the_client(client, pair, session, supervisor):
    _, ana, ben = pair
    client.force_login(ben)
    client.post(reverse("session_note", args=[session.pk, "process"]), {"process-text": "I rushed"})
    client.post(
        reverse("session_note", args=[session.pk, "process"]), {"process-text": "I rushed less"}
    )
    client.force_login(supervisor)
    notes = text_by_id(page(client, session), "notes")
    assert notes.startswith(
        "Notes Process notes (private: the therapist and the supervisors) I rushed less Ben, "
        "1 March 2027, 09:00 Earlier versions (1) I rushed Ben, 1 March 2027, 09:00"
    )
    client.force_login(ana)
    assert "I rushed" not in page(client, session).content.decode()


def test_a_care_flag_is_seen_by_supervisors_never_by_the_partner(client, pair, session, supervisor):
    _, ana, ben = pair
    client.force_login(ana)
    response = client.post(
        reverse("care_flag_raise", args=[session.pk]), {"note": "It was close to home"}, follow=True
    )
    assert "Your supervisors have been asked to check in with you." in response.content.decode()
    assert Message.objects.filter(kind="care_flag").get().recipient == supervisor

    client.force_login(ben)
    assert "close to home" not in page(client, session).content.decode()
    assert "check in" not in text_by_id(page(client, session), "timeline")

    client.force_login(supervisor)
    assert text_by_id(page(client, session), "care").startswith(
        "Care Ana asked for a check-in on 1 March, 09:00: “It was close to home” Mark acknowledged"
    )
    flag = session.care_flags.get()
    response = client.post(reverse("care_flag_acknowledge", args=[flag.pk]), follow=True)
    assert "Acknowledged by Sam Supervisor, 1 March, 09:00" in text_by_id(response, "care")

    client.force_login(ben)
    assert client.post(reverse("care_flag_acknowledge", args=[flag.pk])).status_code == 404


# --- the page's code and policy ----------------------------------------------------------------


def test_the_page_has_no_inline_script_and_its_policy_allows_our_media(client, pair, recording):
    _, ana, _ = pair
    client.force_login(ana)
    response = page(client, recording.session)
    html = response.content.decode()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert 'style="' not in html
    assert "media-src 'self'" in response["Content-Security-Policy"]
    assert '<script src="/static/js/recording.js" defer></script>' in html


def test_the_session_page_reads_a_bounded_number_of_queries(
    client, pair, recording, supervisor, django_assert_max_num_queries
):
    for second in range(30):
        record.comment_add(recording=recording, author=supervisor, at_seconds=second, text="Ok")
    client.force_login(supervisor)
    with django_assert_max_num_queries(15):
        response = page(client, recording.session)
    assert text_by_id(response, "comments").count("Sam Supervisor") == 30


def test_retention_is_a_cohort_setting(client, cohort, supervisor):
    client.force_login(supervisor)
    response = client.get(reverse("cohort_edit", args=[cohort.pk]))
    assert 'name="recording_retention_days" value="30"' in response.content.decode()


def test_an_over_large_body_is_never_kept_even_in_a_temporary_file(rf, settings, trainee):
    """The CSRF check reads request.POST before any view; the limit handler makes that read stop
    at the file, keeping the form fields and nothing of the file."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DYAD_RECORDING_MAX_BYTES = 100_000
    request = rf.post(
        "/sessions/1/recording/",
        {"csrfmiddlewaretoken": "token", "file": SimpleUploadedFile("a.wav", wav_bytes(60))},
    )
    assert (dict(request.POST), dict(request.FILES)) == ({"csrfmiddlewaretoken": ["token"]}, {})
    assert request.upload_too_large is True


def test_a_supervisor_sets_the_cohorts_retention(client, cohort, supervisor):
    client.force_login(supervisor)
    fields = {
        "name": "Year 1",
        "term_start": cohort.term_start.isoformat(),
        "term_end": cohort.term_end.isoformat(),
        "time_zone": "Europe/London",
    }
    client.post(reverse("cohort_edit", args=[cohort.pk]), fields | {"recording_retention_days": 7})
    cohort.refresh_from_db()
    assert cohort.recording_retention_days == 7
    client.post(reverse("cohort_edit", args=[cohort.pk]), fields)  # left empty: kept
    cohort.refresh_from_db()
    assert cohort.recording_retention_days == 7
