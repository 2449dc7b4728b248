from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from roleplay.services.notify import messages_mark_read


@login_required
def notification_list(request):
    """In-app notifications: the same outbox rows that were emailed. Opening the list reads them."""
    notifications = list(request.user.messages.order_by("-created_at")[:100])
    messages_mark_read(recipient=request.user)
    return render(request, "roleplay/notifications.html", {"notifications": notifications})
