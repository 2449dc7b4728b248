from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.text import get_text_list
from django.views.decorators.http import require_POST

from roleplay.permissions import Action, get_pairing_for, get_round_for, may
from roleplay.selectors.overview import pairing_bookings
from roleplay.services.nudges import NudgeRefused, pairing_nudge


@login_required
def round_bookings(request, pk: int):
    """A round's booking overview for its supervisors: each pairing, where it stands, and what
    they can do about it."""
    round_ = get_round_for(request.user, pk)
    bookings = pairing_bookings(round_)
    context = {
        "round": round_,
        "bookings": bookings,
        "booked": sum(b.booked for b in bookings),
    }
    return render(request, "roleplay/round_bookings.html", context)


@login_required
@require_POST
def pairing_nudge_view(request, pk: int):
    pairing = get_pairing_for(request.user, pk)
    if not may(request.user, Action.MANAGE, pairing.round.cohort):
        raise PermissionDenied
    try:
        reminded = pairing_nudge(pairing=pairing, supervisor=request.user)
    except NudgeRefused as exc:
        messages.error(request, str(exc))
    else:
        names = get_text_list([m.trainee.name for m in pairing.members.order_by("role")], "and")
        if reminded:
            messages.success(
                request, f"Reminder queued for {names}; they get it in Dyad and by email."
            )
        else:
            messages.info(request, f"{names} were already reminded today.")
    return redirect("round_bookings", pk=pairing.round_id)
