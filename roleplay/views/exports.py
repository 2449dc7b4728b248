"""A cohort's sessions and feedback as CSV files, for its supervisors and programme admins.

Each download is a POST (a button on the cohort page), because each is written to the audit log:
who took which cohort's data, and when. The file is streamed (roleplay.csv_stream) from rows read
a chunk at a time (roleplay.selectors.exports), so memory stays flat however many rows there are."""

from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from roleplay.csv_stream import csv_chunks
from roleplay.permissions import Action, get_cohort_for
from roleplay.selectors.exports import feedback_rows, session_rows
from roleplay.services.exports import cohort_export_record


def _export(request, pk: int, kind: str, rows):
    cohort = get_cohort_for(request.user, pk, Action.MANAGE)
    cohort_export_record(cohort=cohort, user=request.user, kind=kind)
    response = StreamingHttpResponse(
        csv_chunks(rows(cohort, request.user)), content_type="text/csv; charset=utf-8"
    )
    filename = f"dyad-cohort-{cohort.pk}-{kind}-{timezone.now():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
@never_cache
def cohort_export_sessions(request, pk: int):
    return _export(request, pk, "sessions", session_rows)


@login_required
@require_POST
@never_cache
def cohort_export_feedback(request, pk: int):
    return _export(request, pk, "feedback", feedback_rows)
