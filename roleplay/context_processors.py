from roleplay.permissions import may_create_cohort_in
from roleplay.selectors.notifications import unread_count


def navigation(request) -> dict:
    """What the navigation bar offers depends on who is looking; the bell shows unread messages."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_may_create_cohort": may_create_cohort_in(request),
        "nav_unread": unread_count(user),
    }
