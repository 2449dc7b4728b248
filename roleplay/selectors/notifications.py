from django.db.models import QuerySet

from accounts.models import User
from roleplay.models import Message


def notifications_for(user: User) -> QuerySet[Message]:
    """A person's in-app notifications, newest first: only what is due and not withdrawn.

    The bell's unread count is this queryset's unread part, so the two never disagree."""
    return Message.objects.filter(recipient=user).in_app().order_by("-due_at", "-pk")


def unread_count(user: User) -> int:
    return notifications_for(user).filter(read_at__isnull=True).count()
