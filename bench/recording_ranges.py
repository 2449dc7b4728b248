"""Range requests on a 200 MB recording: each answers in constant time.

The issue: the player seeks by asking for byte ranges; answering one must cost the same whatever
the file's size and wherever the range lies, i.e. seek and read only those bytes. This times the
recording view's range answer (`views.record._ranged`, the whole response body consumed) for
64 KB ranges at the start, the middle and the end of a 200 MB file and of a 2 MB one, on a
throwaway folder of the local-disk storage. The 200 MB file is sparse, so the bench costs no disk.
"""

import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from django.core.files.storage import FileSystemStorage

from roleplay.views.record import _ranged

MB = 2**20
RANGE = 64 * 1024
REPEAT = 200


def _recording(storage: FileSystemStorage, name: str, size: int) -> SimpleNamespace:
    """What `_ranged` reads of a Recording row: its size, type and file."""
    with open(Path(storage.location) / name, "wb") as handle:
        handle.truncate(size)
    return SimpleNamespace(
        size=size,
        content_type="audio/wav",
        file=SimpleNamespace(storage=storage, name=name),
    )


def _per_request(recording, start: int) -> float:
    header = f"bytes={start}-{start + RANGE - 1}"
    began = time.perf_counter()
    for _ in range(REPEAT):
        response = _ranged(recording, header)
        assert response.status_code == 206
        assert sum(len(chunk) for chunk in response.streaming_content) == RANGE
    return (time.perf_counter() - began) / REPEAT


def run():
    rows = []
    with tempfile.TemporaryDirectory(prefix="dyad-bench-") as folder:
        storage = FileSystemStorage(location=folder)
        for label, size in (("2 MB", 2 * MB), ("200 MB", 200 * MB)):
            recording = _recording(storage, f"{label.replace(' ', '')}.wav", size)
            for where, start in (("start", 0), ("middle", size // 2), ("end", size - RANGE)):
                rows.append(
                    (
                        f"64 KB range at the {where} of {label}",
                        _per_request(recording, start),
                        f"per request, mean of {REPEAT}",
                    )
                )
    return rows
