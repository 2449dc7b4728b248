from collections.abc import Iterable
from datetime import time

from django.db import IntegrityError, transaction

from accounts.models import User
from roleplay.models import Cohort, Room, Unavailability, WeeklyHours


class AvailabilityRefused(Exception):
    pass


@transaction.atomic
def weekly_hours_add(
    *, owner: User | Cohort, weekdays: Iterable[int], start: time, end: time
) -> list[WeeklyHours]:
    """The same block on each of `weekdays` (say Monday to Friday, 09:00 to 17:00) in a trainee's
    weekly availability, or in a cohort's allowed hours: all of them or, if one is invalid, none."""
    key = {"user": owner} if isinstance(owner, User) else {"cohort": owner}
    added = []
    for weekday in sorted(set(weekdays)):
        hours = WeeklyHours(weekday=weekday, start=start, end=end, **key)
        hours.full_clean()
        hours.save()
        added.append(hours)
    return added


def weekly_hours_change(*, hours: WeeklyHours, weekday: int, start: time, end: time) -> WeeklyHours:
    """Move or resize one weekly block (a trainee's or a cohort's)."""
    hours.weekday, hours.start, hours.end = weekday, start, end
    hours.full_clean()
    hours.save(update_fields=["weekday", "start", "end"])
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
