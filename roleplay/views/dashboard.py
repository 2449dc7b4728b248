from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from roleplay.models import Role, WeeklyHours
from roleplay.selectors.booking import upcoming_sessions
from roleplay.selectors.cohorts import cohorts_for_dashboard
from roleplay.selectors.overview import rounds_being_booked
from roleplay.selectors.rounds import unbooked_pairings_for_trainee


@login_required
def dashboard(request):
    """One page per person, in sections for each role they hold."""
    user = request.user
    visible = list(cohorts_for_dashboard(user))
    roles = dict(user.memberships.active().values_list("cohort_id", "role"))
    training_in = [c for c in visible if roles.get(c.pk) == Role.TRAINEE]
    context = {
        "programme_cohorts": visible if user.is_programme_admin else [],
        "supervised": [c for c in visible if roles.get(c.pk) == Role.SUPERVISOR],
        "training_in": training_in,
        "sessions": upcoming_sessions(user),
        "rounds_being_booked": rounds_being_booked(user),
        **(_trainee_next_steps(user) if training_in else {}),
    }
    return render(request, "roleplay/dashboard.html", context)


def _trainee_next_steps(user) -> dict:
    """What a trainee still has to do: say when they are free, and book each pairing."""
    unbooked = list(unbooked_pairings_for_trainee(user))
    for pairing in unbooked:
        members = pairing.members.all()
        pairing.mine = next(m for m in members if m.trainee_id == user.pk)
        pairing.partners = [m for m in members if m.trainee_id != user.pk]
    return {
        "needs_availability": not WeeklyHours.objects.filter(user=user).exists(),
        "unbooked": unbooked,
    }
