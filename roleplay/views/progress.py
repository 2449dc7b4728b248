"""A trainee's progress: the page, the practice hours log (page and CSV) and the printable report.

Every view fetches the cohort and trainee through permissions.get_trainee_progress_for: the
trainee themself, the cohort's supervisors and programme admins; anyone else gets 404."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from roleplay.permissions import get_trainee_progress_for, progress_cohorts_of
from roleplay.selectors.progress import hours_log


@login_required
@require_GET
def trainee_progress(request, pk: int, user_id: int):
    cohort, trainee = get_trainee_progress_for(request.user, pk, user_id)
    context = {"cohort": cohort, "trainee": trainee, "hours": hours_log(cohort, trainee)}
    return render(request, "roleplay/progress.html", context)


@login_required
@require_GET
def my_progress(request):
    """A trainee's own progress: straight to it when they train in one cohort, else a list."""
    cohorts = list(progress_cohorts_of(request.user))
    if len(cohorts) == 1:
        return redirect("trainee_progress", pk=cohorts[0].pk, user_id=request.user.pk)
    return render(request, "roleplay/my_progress.html", {"cohorts": cohorts})
