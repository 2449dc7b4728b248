from datetime import datetime, timedelta

from django.db.models import Prefetch, Q
from django.utils import timezone

from roleplay.models import (
    Pairing,
    SessionSeat,
    SessionStatus,
    Unavailability,
    WeeklyHours,
)
from roleplay.permissions import seated_sessions_of
from roleplay.services.free_slots import Person, WeeklyBlock, free_slots

SUGGESTION_STEP = timedelta(minutes=30)
SUGGESTIONS_SHOWN = 9
SUGGESTIONS_PER_DAY = 3
SUGGESTION_GAP = timedelta(hours=2)


def _blocks(hours) -> list[WeeklyBlock]:
    return [WeeklyBlock(weekday=h.weekday, start=h.start, end=h.end) for h in hours]


def booking_suggestions(
    pairing: Pairing, *, now: datetime | None = None, members: list | None = None
) -> list[datetime]:
    """Starts (UTC) inside the booking window when every member is free, has no other session
    within the round's buffer, and the cohort allows sessions — in a bounded number of queries.
    `members` are the pairing's members with their trainees, when the caller has them already."""
    now = now or timezone.now()
    round_ = pairing.round
    if members is None:
        members = list(pairing.members.select_related("trainee"))
    members = [m.trainee for m in members]
    ids = [user.pk for user in members]
    # The members' own hours and the cohort's allowed hours in one read (a row has one or the other).
    every_hours = list(
        WeeklyHours.objects.filter(Q(user_id__in=ids) | Q(cohort_id=round_.cohort_id))
    )
    hours = [h for h in every_hours if h.user_id is not None]
    cohort_hours = [h for h in every_hours if h.user_id is None]
    away = Unavailability.objects.filter(user_id__in=ids, end__gt=now, start__lt=round_.closes)
    busy = SessionSeat.objects.filter(user_id__in=ids, active=True, end__gt=now)
    people = [
        Person(
            id=user.pk,
            time_zone=user.time_zone,
            weekly=_blocks(h for h in hours if h.user_id == user.pk),
            unavailable=[(a.start, a.end) for a in away if a.user_id == user.pk],
            busy=[(s.start, s.end) for s in busy if s.user_id == user.pk],
        )
        for user in members
    ]
    slots = free_slots(
        people,
        window=(round_.opens, round_.closes),
        duration=timedelta(minutes=round_.session_minutes),
        buffer=timedelta(minutes=round_.buffer_minutes),
        allowed=_blocks(cohort_hours),
        allowed_zone=round_.cohort.time_zone,
        step=SUGGESTION_STEP,
        not_before=now + timedelta(hours=round_.guard_hours),
    )
    return _spread(slots)


def _spread(slots: list[datetime]) -> list[datetime]:
    """A few choices across several days rather than every half hour of the first one."""
    chosen: list[datetime] = []
    for slot in slots:
        same_day = [c for c in chosen if c.date() == slot.date()]
        if len(same_day) < SUGGESTIONS_PER_DAY and all(
            slot - c >= SUGGESTION_GAP for c in same_day
        ):
            chosen.append(slot)
        if len(chosen) == SUGGESTIONS_SHOWN:
            break
    return chosen


def upcoming_sessions(user, *, now: datetime | None = None):
    """The sessions someone sits in that have not ended (proposed, scheduled, or cancelled, so
    that a cancellation stays visible rather than the session silently vanishing), soonest first,
    in the cohorts they still belong to."""
    now = now or timezone.now()
    return (
        seated_sessions_of(user)
        .filter(
            status__in=[
                SessionStatus.PROPOSED,
                SessionStatus.SCHEDULED,
                SessionStatus.CANCELLED,
            ],
            end__gt=now,
        )
        .select_related("pairing__round")
        .prefetch_related(Prefetch("seats", queryset=SessionSeat.objects.select_related("user")))
        .order_by("start")
    )
