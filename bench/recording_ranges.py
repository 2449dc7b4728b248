"""Range requests on a 200 MB recording: each answers in constant time.

The issue: the player seeks by asking for byte ranges; answering one must cost the same whatever
the file's size and wherever the range lies, i.e. seek and read only those bytes. This times the
recording view's range answer (`views.record._ranged`, the whole response body consumed) for
64 KB ranges at the start, the middle and the end of a 200 MB file and of a 2 MB one (the
median of each; ``details`` gives the slowest 200 MB case over the slowest 2 MB one), on a
throwaway folder of the local-disk storage. The 200 MB file is sparse, so the bench costs no disk.
"""

import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from django.core.files.storage import FileSystemStorage

from roleplay.views.record import _ranged

MB = 2**20
details: dict = {}
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
    """The median of REPEAT requests, after one not counted (the first read of a sparse file's
    pages costs the kernel more than any later one)."""
    header = f"bytes={start}-{start + RANGE - 1}"
    times = []
    for _ in range(REPEAT + 1):
        began = time.perf_counter()
        response = _ranged(recording, header)
        assert response.status_code == 206
        assert sum(len(chunk) for chunk in response.streaming_content) == RANGE
        times.append(time.perf_counter() - began)
    return statistics.median(times[1:])


def run():
    rows, means = [], {}
    with tempfile.TemporaryDirectory(prefix="dyad-bench-") as folder:
        storage = FileSystemStorage(location=folder)
        for label, size in (("2 MB", 2 * MB), ("200 MB", 200 * MB)):
            recording = _recording(storage, f"{label.replace(' ', '')}.wav", size)
            for where, start in (("start", 0), ("middle", size // 2), ("end", size - RANGE)):
                seconds = _per_request(recording, start)
                means[f"{where} of {label}"] = round(seconds * 1e6, 1)
                rows.append(
                    (
                        f"64 KB range at the {where} of {label}",
                        seconds,
                        f"per request, median of {REPEAT}",
                    )
                )
    # The claim, in one number: the slowest range of the 200 MB file against the slowest of the
    # 2 MB one (1.0 is "the same"; a cost growing with the file's size would be ~100).
    slowest = {
        label: max(v for k, v in means.items() if k.endswith(f"of {label}"))
        for label in ("2 MB", "200 MB")
    }
    details["median_microseconds_per_request"] = means
    details["slowest_200MB_over_slowest_2MB"] = round(slowest["200 MB"] / slowest["2 MB"], 2)
    return rows
