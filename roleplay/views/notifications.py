from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from roleplay.forms import EmailPreferencesForm
from roleplay.models import OPTIONAL_KINDS, EmailPreferences
from roleplay.selectors.notifications import notifications_for
from roleplay.services.notify import email_preferences_set, messages_mark_read


@login_required
def notification_list(request):
    """In-app notifications: the same outbox rows that were emailed, once due. Opening the list
    reads them."""
    notifications = list(notifications_for(request.user)[:100])
    messages_mark_read(recipient=request.user)
    return render(request, "roleplay/notifications.html", {"notifications": notifications})


@login_required
def email_preferences(request):
    """Which optional messages also come by email. Essential ones (pairings, bookings,
    cancellations) always do."""
    current = EmailPreferences.objects.filter(user=request.user).first()
    muted = set(current.muted_kinds) if current else set()
    form = EmailPreferencesForm(
        request.POST or None, initial={"emailed": [k for k in OPTIONAL_KINDS if k not in muted]}
    )
    if request.method == "POST" and form.is_valid():
        emailed = set(form.cleaned_data["emailed"])
        email_preferences_set(
            user=request.user, muted_kinds=[k for k in OPTIONAL_KINDS if k not in emailed]
        )
        messages.success(request, "Saved.")
        return redirect("email_preferences")
    return render(request, "roleplay/email_preferences.html", {"form": form})
