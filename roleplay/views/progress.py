"""A trainee's progress: the page, the practice hours log (page and CSV) and the printable report.

Every view fetches the cohort and trainee through permissions.get_trainee_progress_for: the
trainee themself, the cohort's supervisors and programme admins; anyone else gets 404."""

import csv

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from roleplay.charts.progress import empathy_chart, subscale_chart
from roleplay.permissions import get_trainee_progress_for, progress_cohorts_of
from roleplay.reports.progress_pdf import progress_pdf
from roleplay.selectors import progress as selectors


def _context(request, pk: int, user_id: int) -> dict:
    cohort, trainee = get_trainee_progress_for(request.user, pk, user_id)
    progress = selectors.trainee_progress(cohort, trainee, request.user, now=timezone.now())
    plots = progress.plots
    return {
        "cohort": cohort,
        "trainee": trainee,
        "is_self": trainee.pk == request.user.pk,
        "progress": progress,
        "hours": progress.hours,
        "empathy": empathy_chart(plots.empathy, plots.empathy_label, plots.empathy_range),
        "subscale_charts": [subscale_chart(s) for s in plots.subscales],
    }


@login_required
@require_GET
def trainee_progress(request, pk: int, user_id: int):
    return render(request, "roleplay/progress.html", _context(request, pk, user_id))


@login_required
@require_GET
def my_progress(request):
    """A trainee's own progress: straight to it when they train in one cohort, else a list."""
    cohorts = list(progress_cohorts_of(request.user))
    if len(cohorts) == 1:
        return redirect("trainee_progress", pk=cohorts[0].pk, user_id=request.user.pk)
    return render(request, "roleplay/my_progress.html", {"cohorts": cohorts})


@login_required
@require_GET
def trainee_hours(request, pk: int, user_id: int):
    cohort, trainee = get_trainee_progress_for(request.user, pk, user_id)
    context = {
        "cohort": cohort,
        "trainee": trainee,
        "hours": selectors.hours_log(cohort, trainee),
    }
    return render(request, "roleplay/progress_hours.html", context)


class _Echo:
    """csv.writer writes into this and gets the line back, so each row is yielded at once."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _hours_csv_lines(cohort, trainee, zone):
    """Runs while the response streams: the viewer's zone is passed in, not read then."""
    writer = csv.writer(_Echo())
    yield writer.writerow(["date", "start", "role", "minutes", "scenario", "supervisor_reviewed"])
    totals = selectors.role_totals([])
    by_role = {t.role: t for t in totals}
    for row in selectors.hours_rows(selectors.practised_seats(cohort, trainee).iterator(500)):
        local = timezone.localtime(row.start, zone)
        yield writer.writerow(
            [
                local.date().isoformat(),
                local.strftime("%H:%M"),
                row.role_label,
                row.minutes,
                _cell(row.scenario),
                "yes" if row.reviewed else "no",
            ]
        )
        total = by_role.get(row.role)
        if total is not None:
            total.sessions += 1
            total.minutes += row.minutes
    for total in totals:
        yield writer.writerow(["total", "", total.label, total.minutes, "", ""])
    yield writer.writerow(["total", "", "all roles", sum(t.minutes for t in totals), "", ""])


@login_required
@require_GET
def trainee_hours_csv(request, pk: int, user_id: int):
    """The hours log as CSV, streamed row by row (memory does not grow with the rows); times in
    the viewer's zone, totals per role at the end."""
    cohort, trainee = get_trainee_progress_for(request.user, pk, user_id)
    response = StreamingHttpResponse(
        _hours_csv_lines(cohort, trainee, timezone.get_current_timezone()),
        content_type="text/csv; charset=utf-8",
    )
    name = slugify(f"practice-hours-{trainee.name}-{cohort.name}") or "practice-hours"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@login_required
@require_GET
def trainee_report_pdf(request, pk: int, user_id: int):
    """The printable progress report as a PDF, for supervision meetings."""
    context = _context(request, pk, user_id)
    pdf = progress_pdf(
        cohort=context["cohort"],
        trainee=context["trainee"],
        progress=context["progress"],
        generated_at=timezone.localtime(),
        charts=(context["empathy"], context["subscale_charts"]),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = slugify(f"progress-{context['trainee'].name}-{context['cohort'].name}") or "progress"
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response
