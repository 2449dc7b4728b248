from django.db import IntegrityError, transaction

from accounts.models import User
from roleplay.models import Cohort, Room, Unavailability, WeeklyHours


class AvailabilityRefused(Exception):
    pass


def weekly_hours_add(*, owner: User | Cohort, weekday: int, start, end) -> WeeklyHours:
    """A block of a trainee's weekly availability, or of a cohort's allowed hours."""
    key = {"user": owner} if isinstance(owner, User) else {"cohort": owner}
    hours = WeeklyHours(weekday=weekday, start=start, end=end, **key)
    hours.full_clean()
    hours.save()
    return hours


def unavailability_add(*, user: User, start, end, note: str = "") -> Unavailability:
    away = Unavailability(user=user, start=start, end=end, note=note)
    away.full_clean()
    away.save()
    return away


def room_add(*, cohort: Cohort, name: str) -> Room:
    try:
        with transaction.atomic():
            return Room.objects.create(cohort=cohort, name=name.strip())
    except IntegrityError as exc:
        raise AvailabilityRefused(f"{cohort.name} already has a room called {name}.") from exc
