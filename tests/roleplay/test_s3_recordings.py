"""Recordings in an S3-compatible store, against a real S3 server (moto's, started here on a free
port — no network beyond 127.0.0.1): the upload service writes a private object, the recording
view answers a range request with just those bytes (206), and withdrawing consent deletes the
object. Dyad never hands out the object's URL, and the store does not serve it to anyone else."""

import socket
import urllib.error
import urllib.request

import boto3
import pytest
from django.core.files.storage import storages
from django.urls import reverse
from moto.server import ThreadedMotoServer

from roleplay.models import Recording
from roleplay.services import record
from tests.factories import MembershipFactory, UserFactory
from tests.roleplay.booking_helpers import make_pairing
from tests.roleplay.record_helpers import schedule, wav_bytes, wav_upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
BUCKET = "dyad-recordings"
KEYS = {"aws_access_key_id": "dyad-test", "aws_secret_access_key": "dyad-test-secret"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint):
    s3 = boto3.resource("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **KEYS)
    bucket = s3.Bucket(BUCKET)
    bucket.create()
    yield bucket
    bucket.objects.all().delete()
    bucket.delete()


@pytest.fixture
def s3_recordings(bucket, s3_endpoint, settings, monkeypatch):
    """Recordings go to the S3 store, configured as config.settings.base does it when
    RECORDINGS_S3_BUCKET is set (tests/test_settings.py checks that part)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "recordings": {
            "BACKEND": "roleplay.s3.RecordingsS3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": KEYS["aws_access_key_id"],
                "secret_key": KEYS["aws_secret_access_key"],
                "location": "dyad",
                "default_acl": "private",
            },
        },
    }
    # The model field took its storage when the models loaded (under the test settings' local
    # folder); point it at the store configured now.
    monkeypatch.setattr(Recording._meta.get_field("file"), "storage", storages["recordings"])
    return bucket


@pytest.fixture
def consented(cohort, supervisor):
    ana = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ana")).user
    ben = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ben")).user
    session = schedule(make_pairing(cohort, ana, ben), supervisor)
    for person in (ana, ben):
        record.consent_give(session=session, user=person)
    return session, ana, ben


def test_a_recording_goes_to_s3_streams_by_range_and_goes_when_consent_is_withdrawn(
    client, s3_recordings, consented, django_capture_on_commit_callbacks
):
    session, ana, ben = consented
    audio = wav_bytes(3)

    recording = record.recording_upload(session=session, user=ana, upload=wav_upload(3))

    (stored,) = list(s3_recordings.objects.all())
    assert stored.key == f"dyad/{recording.file.name}"
    assert stored.key.startswith(f"dyad/sessions/{session.pk}/")
    assert stored.get()["Body"].read() == audio
    grants = stored.Acl().grants
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
    assert grants[0]["Grantee"]["Type"] == "CanonicalUser"  # the owner only: nothing public

    client.force_login(ben)
    url = reverse("recording_stream", args=[recording.pk])
    asked = []  # the Range of each GET Dyad sends to the store: only the bytes wanted
    storages["recordings"].connection.meta.client.meta.events.register(
        "before-send.s3.GetObject", lambda request, **_: asked.append(request.headers["Range"])
    )
    response = client.get(url, HTTP_RANGE="bytes=100-4195")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-4195/{len(audio)}"
    assert b"".join(response.streaming_content) == audio[100:4196]
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert (tail.status_code, b"".join(tail.streaming_content)) == (206, audio[-10:])
    whole = client.get(url)
    assert (whole.status_code, b"".join(whole.streaming_content)) == (200, audio)
    assert asked == [
        b"bytes=100-4195",
        f"bytes={len(audio) - 10}-{len(audio) - 1}".encode(),
        f"bytes=0-{len(audio) - 1}".encode(),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("session_consent", args=[session.pk]), {"consent": "withdraw"}, follow=True
        )

    assert "Consent withdrawn. The recording is deleted." in response.content.decode()
    assert list(s3_recordings.objects.all()) == []
    assert client.get(url, HTTP_RANGE="bytes=0-9").status_code == 404


def test_the_store_does_not_serve_a_recording_to_anyone_without_its_keys(
    s3_recordings, s3_endpoint, consented
):
    session, ana, _ = consented
    recording = record.recording_upload(session=session, user=ana, upload=wav_upload(1))
    public_url = f"{s3_endpoint}/{BUCKET}/dyad/{recording.file.name}"

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(public_url, timeout=10)

    assert refused.value.code == 403


def test_a_refused_upload_leaves_nothing_in_the_store(s3_recordings, consented):
    from django.core.files.uploadedfile import SimpleUploadedFile

    session, ana, _ = consented
    fake = SimpleUploadedFile("session.wav", b"not audio at all" * 100, content_type="audio/wav")

    with pytest.raises(record.RecordRefused):
        record.recording_upload(session=session, user=ana, upload=fake)

    assert list(s3_recordings.objects.all()) == []
