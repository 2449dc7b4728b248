from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from roleplay.models import Role
from roleplay.selectors.booking import upcoming_sessions
from roleplay.selectors.cohorts import cohorts_for_dashboard
from roleplay.selectors.overview import rounds_being_booked


@login_required
def dashboard(request):
    """One page per person, in sections for each role they hold."""
    user = request.user
    visible = list(cohorts_for_dashboard(user))
    roles = dict(user.memberships.active().values_list("cohort_id", "role"))
    context = {
        "programme_cohorts": visible if user.is_programme_admin else [],
        "supervised": [c for c in visible if roles.get(c.pk) == Role.SUPERVISOR],
        "training_in": [c for c in visible if roles.get(c.pk) == Role.TRAINEE],
        "sessions": upcoming_sessions(user),
        "rounds_being_booked": rounds_being_booked(user),
    }
    return render(request, "roleplay/dashboard.html", context)
