"""Reading a byte range of a stored recording, whatever the storage: constant time and memory.

Django's storage API has no ranged read. On local disk, seeking an open file and reading the
bytes asked for is enough. An S3 file opened through the storage API is downloaded whole before
the first byte is read (django-storages' S3File), so a storage that can do better offers
``read_range`` (``roleplay.s3.RecordingsS3Storage`` asks S3 for just those bytes)."""

from collections.abc import Iterator

CHUNK = 64 * 1024


def read_range(storage, name: str, start: int, length: int) -> Iterator[bytes]:
    """The `length` bytes of `name` from `start`, a chunk at a time."""
    if length <= 0:
        return
    ranged = getattr(storage, "read_range", None)
    if ranged is not None:
        yield from ranged(name, start, length, CHUNK)
        return
    with storage.open(name, "rb") as handle:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
