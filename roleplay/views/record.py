"""The record of a session: consent, recordings (upload, stream, delete), time-stamped comments,
notes and care flags. Each view fetches through the permission helpers and calls one service; a
refusal re-renders the session page with the message beside its form and the fitting status."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from roleplay.forms import CareFlagForm, CommentForm, NoteForm, RecordingUploadForm
from roleplay.models import NoteKind
from roleplay.permissions import (
    get_care_flag_for,
    get_recording_for,
    get_session_for,
)
from roleplay.recording_files import read_range
from roleplay.services import record
from roleplay.uploads import upload_too_large
from roleplay.views.sessions import session_page

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _refused(request, session, exc: record.RecordRefused, form=None, form_name=None):
    if form is not None and form_name is not None:
        form.add_error(exc.field if exc.field in form.fields else None, exc.reason)
        return session_page(request, session, status=exc.status, record_forms={form_name: form})
    messages.error(request, exc.reason)
    return session_page(request, session, status=exc.status)


@login_required
@require_POST
def session_consent(request, pk: int):
    session = get_session_for(request.user, pk)
    try:
        if request.POST.get("consent") == "withdraw":
            deleted = record.consent_withdraw(session=session, user=request.user)
            messages.success(
                request,
                "Consent withdrawn. The recording is deleted."
                if deleted
                else "Consent withdrawn; nothing can be recorded.",
            )
        else:
            record.consent_give(session=session, user=request.user)
            messages.success(request, "Thank you: you consent to this session being recorded.")
    except record.RecordRefused as exc:
        return _refused(request, session, exc)
    return redirect("session_detail", pk=pk)


@login_required
@require_POST
def recording_upload(request, pk: int):
    session = get_session_for(request.user, pk)
    if upload_too_large(request):  # the file was never read in full (roleplay.uploads)
        form = RecordingUploadForm(request.POST, {})
        form.is_valid()
        form.errors["file"] = form.error_class([record.too_large_message()])
        return session_page(request, session, status=413, record_forms={"upload_form": form})
    form = RecordingUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return session_page(request, session, record_forms={"upload_form": form})
    try:
        record.recording_upload(
            session=session, user=request.user, upload=form.cleaned_data["file"]
        )
    except record.RecordRefused as exc:
        return _refused(request, session, exc, form, "upload_form")
    messages.success(request, "The recording is uploaded.")
    return redirect("session_detail", pk=pk)


@login_required
@require_POST
def recording_delete(request, pk: int):
    recording = get_recording_for(request.user, pk)
    try:
        record.recording_delete(recording=recording, user=request.user)
    except record.RecordRefused as exc:
        return _refused(request, recording.session, exc)
    messages.success(request, "The recording is deleted.")
    return redirect("session_detail", pk=recording.session_id)


@login_required
@require_POST
def recording_comment(request, pk: int):
    recording = get_recording_for(request.user, pk)
    form = CommentForm(request.POST, prefix="comment")
    if not form.is_valid():
        return session_page(request, recording.session, record_forms={"comment_form": form})
    try:
        record.comment_add(
            recording=recording,
            author=request.user,
            at_seconds=form.cleaned_data["at"],
            text=form.cleaned_data["text"],
        )
    except record.RecordRefused as exc:
        return _refused(request, recording.session, exc, form, "comment_form")
    return redirect("session_detail", pk=recording.session_id)


def _ranged(recording, header: str | None):
    """The response for a Range header (one byte range) or for none: 206, 416 or 200."""
    size = recording.size
    if header is None:
        start, end, status = 0, size - 1, 200
    else:
        match = RANGE.match(header.strip())
        if match is None or match.groups() == ("", ""):
            return _unsatisfiable(size, "The Range header must be one byte range, bytes=a-b.")
        first, last = match.groups()
        if first == "":  # the last N bytes
            start, end = max(size - int(last), 0), size - 1
        else:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
        if start >= size or end < start:
            return _unsatisfiable(size, f"The range is outside the recording's {size} bytes.")
        status = 206
    response = StreamingHttpResponse(
        _read(recording, start, end - start + 1),
        status=status,
        content_type=recording.content_type,
    )
    response["Content-Length"] = str(end - start + 1)
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response


def _unsatisfiable(size: int, message: str) -> HttpResponse:
    response = HttpResponse(message, status=416, content_type="text/plain; charset=utf-8")
    response["Content-Range"] = f"bytes */{size}"
    return response


def _read(recording, start: int, length: int):
    """Read only the bytes asked for, a chunk at a time: constant time and memory per request
    whatever the file's size and wherever it is stored (roleplay.recording_files)."""
    return read_range(recording.file.storage, recording.file.name, start, length)


@login_required
@require_GET
def recording_stream(request, pk: int):
    """The recording's bytes, for the player. Permission is checked on every request (each
    seek is one), so withdrawn consent or a removed membership stops playback at once."""
    recording = get_recording_for(request.user, pk)
    response = _ranged(recording, request.headers.get("Range"))
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    return response


@login_required
@require_POST
def session_note(request, pk: int, kind: str):
    session = get_session_for(request.user, pk)
    if kind not in NoteKind.values:
        raise Http404("No such notes.")
    form = NoteForm(request.POST, prefix=kind)
    form_name = f"{kind}_note_form"
    if not form.is_valid():
        return session_page(request, session, record_forms={form_name: form})
    try:
        record.note_save(
            session=session, kind=kind, author=request.user, text=form.cleaned_data["text"]
        )
    except record.RecordRefused as exc:
        return _refused(request, session, exc, form, form_name)
    messages.success(request, "Note saved; earlier versions are kept below it.")
    return redirect("session_detail", pk=pk)


@login_required
@require_POST
def care_flag_raise(request, pk: int):
    session = get_session_for(request.user, pk)
    form = CareFlagForm(request.POST)
    if not form.is_valid():
        return session_page(request, session, record_forms={"care_flag_form": form})
    try:
        record.care_flag_raise(session=session, user=request.user, note=form.cleaned_data["note"])
    except record.RecordRefused as exc:
        return _refused(request, session, exc, form, "care_flag_form")
    messages.success(
        request, "Your supervisors have been asked to check in with you. Only they can see this."
    )
    return redirect("session_detail", pk=pk)


@login_required
@require_POST
def care_flag_acknowledge(request, pk: int):
    flag = get_care_flag_for(request.user, pk)
    try:
        record.care_flag_acknowledge(flag=flag, supervisor=request.user)
    except record.RecordRefused as exc:
        return _refused(request, flag.session, exc)
    messages.success(request, "Acknowledged.")
    return redirect("session_detail", pk=flag.session_id)
