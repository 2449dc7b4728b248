"""What kind of recording a file is, judged by its first bytes ("magic numbers"), never by its name
or the type the browser claims: a text file renamed to .mp3 is not audio. Pure functions."""

import mutagen

# The longest prefix any check below reads.
HEAD_BYTES = 16


def media_type_of(head: bytes) -> str | None:
    """The MIME type of an audio or video file from its first HEAD_BYTES bytes, or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head[:4] == b"OggS":
        return "audio/ogg"
    if head[:4] == b"fLaC":
        return "audio/flac"
    if head[4:8] == b"ftyp":
        return "audio/mp4" if head[8:12] in (b"M4A ", b"M4B ") else "video/mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm"
    return None


def duration_of(fileobj) -> float | None:
    """The length in seconds as the file's own headers give it (mutagen reads only what it
    needs), or None when the format does not say."""
    fileobj.seek(0)
    try:
        parsed = mutagen.File(fileobj)
    except mutagen.MutagenError:
        return None
    finally:
        fileobj.seek(0)
    length = getattr(getattr(parsed, "info", None), "length", None)
    return float(length) if length else None
