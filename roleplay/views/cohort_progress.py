"""The supervisor's cohort view: the who-met-whom matrix, each trainee's figures and the
attention list (selectors.cohort_progress says what each number means)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from roleplay.permissions import get_cohort_supervised_by, supervises_cohort
from roleplay.selectors.cohort_progress import cohort_progress


@login_required
@require_GET
def cohort_progress_page(request, pk: int):
    cohort = get_cohort_supervised_by(request.user, pk)
    progress = cohort_progress(cohort, shows_care=supervises_cohort(request.user, cohort))
    return render(
        request, "roleplay/cohort_progress.html", {"cohort": cohort, "progress": progress}
    )
