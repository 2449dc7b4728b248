"""The upload size limit, enforced while the body is read rather than after.

Django parses a multipart body the first time anything reads `request.POST` — the CSRF check does,
before any view runs — and spools files over 2.5 MB to a temporary file. This handler comes first
in FILE_UPLOAD_HANDLERS: when a file starts in a body larger than the limit (by its
Content-Length, or by counting when there is none) it stops the upload, so nothing past the limit
is kept anywhere, the temporary file is removed, and the view answers 413 with a message. The form
fields before the file (the CSRF token among them) are parsed as usual."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

# Room for the form fields (CSRF token, a name) that travel with the file in the same body.
FORM_FIELDS_ALLOWANCE = 64 * 1024


def upload_too_large(request) -> bool:
    return getattr(request, "upload_too_large", False)


class UploadSizeLimitHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.body_length = content_length or 0
        self.limit = settings.DYAD_RECORDING_MAX_BYTES

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.body_length > self.limit + FORM_FIELDS_ALLOWANCE:
            self._stop()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self._stop()
        return raw_data

    def file_complete(self, file_size):
        return None

    def _stop(self):
        self.request.upload_too_large = True
        # Read the rest of the body without keeping it, so the browser gets the 413 page rather
        # than a reset connection.
        raise StopUpload(connection_reset=False)
