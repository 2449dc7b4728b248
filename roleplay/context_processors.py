from roleplay.permissions import may_create_cohort
from roleplay.services.notify import shown_messages


def navigation(request) -> dict:
    """What the navigation bar offers depends on who is looking; the bell shows unread messages."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_may_create_cohort": may_create_cohort(user),
        "nav_unread": shown_messages(user).filter(read_at__isnull=True).count(),
    }
