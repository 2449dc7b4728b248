from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from roleplay.forms import RoomForm, UnavailabilityForm, WeeklyHoursChangeForm, WeeklyHoursForm
from roleplay.models import Room, Unavailability, WeeklyHours
from roleplay.permissions import Action, get_cohort_for
from roleplay.services import availability as services


@login_required
def my_availability(request):
    """A trainee's weekly free time (in their own zone) and one-off times away. The two forms
    share a page, so each has a prefix: their fields' ids (and so their labels) stay apart."""
    user = request.user
    weekly_form = WeeklyHoursForm(
        request.POST if "weekly" in request.POST else None, prefix="weekly"
    )
    away_form = UnavailabilityForm(request.POST if "away" in request.POST else None, prefix="away")
    if request.method == "POST":
        if "weekly" in request.POST and weekly_form.is_valid():
            added = services.weekly_hours_add(owner=user, **weekly_form.cleaned_data)
            messages.success(
                request, f"Added to your weekly availability: {', '.join(map(str, added))}."
            )
            return redirect("my_availability")
        if "away" in request.POST and away_form.is_valid():
            services.unavailability_add(user=user, **away_form.cleaned_data)
            messages.success(request, "Saved. Nobody will be offered that time with you.")
            return redirect("my_availability")
    context = {
        "weekly": WeeklyHours.objects.filter(user=user),
        "away": Unavailability.objects.filter(user=user).order_by("start"),
        "weekly_form": weekly_form,
        "away_form": away_form,
    }
    return render(request, "roleplay/availability.html", context)


@login_required
def weekly_hours_change(request, pk: int):
    """Move or resize one block of someone's own weekly availability."""
    hours = get_object_or_404(WeeklyHours, pk=pk, user=request.user)
    form = WeeklyHoursChangeForm(request.POST or None, instance=hours)
    if request.method == "POST" and form.is_valid():
        changed = services.weekly_hours_change(hours=hours, **form.cleaned_data)
        messages.success(request, f"Changed to {changed}.")
        return redirect("my_availability")
    return render(request, "roleplay/weekly_hours_change.html", {"form": form})


@login_required
@require_POST
def availability_delete(request, kind: str, pk: int):
    model = WeeklyHours if kind == "weekly" else Unavailability
    get_object_or_404(model, pk=pk, user=request.user).delete()
    messages.success(request, "Removed.")
    return redirect("my_availability")


@login_required
def cohort_booking_settings(request, pk: int):
    """A cohort's rooms and the hours in which sessions may be booked (in the cohort's zone)."""
    cohort = get_cohort_for(request.user, pk, Action.MANAGE)
    room_form = RoomForm(request.POST if "room" in request.POST else None)
    hours_form = WeeklyHoursForm(request.POST if "hours" in request.POST else None)
    if request.method == "POST":
        if "room" in request.POST and room_form.is_valid():
            try:
                services.room_add(cohort=cohort, name=room_form.cleaned_data["name"])
            except services.AvailabilityRefused as exc:
                room_form.add_error("name", str(exc))
            else:
                messages.success(request, "Room added.")
                return redirect("cohort_booking_settings", pk=pk)
        if "hours" in request.POST and hours_form.is_valid():
            services.weekly_hours_add(owner=cohort, **hours_form.cleaned_data)
            messages.success(request, "Allowed hours added.")
            return redirect("cohort_booking_settings", pk=pk)
    context = {
        "cohort": cohort,
        "rooms": Room.objects.filter(cohort=cohort),
        "hours": WeeklyHours.objects.filter(cohort=cohort),
        "room_form": room_form,
        "hours_form": hours_form,
    }
    return render(request, "roleplay/cohort_booking_settings.html", context)


@login_required
@require_POST
def cohort_booking_delete(request, pk: int, kind: str, item_id: int):
    cohort = get_cohort_for(request.user, pk, Action.MANAGE)
    model = Room if kind == "room" else WeeklyHours
    item = get_object_or_404(model, pk=item_id, cohort=cohort)
    with transaction.atomic():
        if kind == "room" and item.sessions.exists():
            messages.error(request, "That room has sessions booked in it; it stays.")
            return redirect("cohort_booking_settings", pk=pk)
        item.delete()
    messages.success(request, "Removed.")
    return redirect("cohort_booking_settings", pk=pk)
