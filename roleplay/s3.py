"""Recordings in an S3-compatible store (AWS S3, MinIO, Ceph, Garage…), by django-storages.

Configured by the RECORDINGS_S3_* settings (config/settings/base.py, README "Configuration").
Objects are written private and never overwritten; Dyad never hands out their URL — the bytes
reach a browser only through the permission-checked recording view, which asks S3 for just the
byte range the player wants (`read_range`), so a seek in a long recording costs one small GET."""

from collections.abc import Iterator

from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class RecordingsS3Storage(S3Storage):
    default_acl = "private"
    file_overwrite = False
    querystring_auth = True

    def read_range(self, name: str, start: int, length: int, chunk: int) -> Iterator[bytes]:
        key = self._normalize_name(clean_name(name))
        body = self.bucket.Object(key).get(Range=f"bytes={start}-{start + length - 1}")["Body"]
        try:
            yield from body.iter_chunks(chunk)
        finally:
            body.close()
