"""Helpers for tests of the session record: a scheduled session and real audio files."""

import io
import wave
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from roleplay.services import booking
from tests.roleplay.booking_helpers import NOW


def wav_bytes(seconds: float = 3.0, rate: int = 8000) -> bytes:
    """A real, silent mono WAV file of `seconds`, written with Python's `wave` module."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(1)
        audio.setframerate(rate)
        audio.writeframes(b"\x80" * int(seconds * rate))
    return buffer.getvalue()


def wav_upload(seconds: float = 3.0, name: str = "session.wav") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, wav_bytes(seconds), content_type="audio/wav")


def schedule(pairing, supervisor, start=NOW + timedelta(days=2)):
    return booking.session_schedule_directly(pairing=pairing, supervisor=supervisor, start=start)
