"""Booked practice sessions, the people in them, and where and when they can happen.

Invariant 1 (nobody and no room in two overlapping active sessions) is enforced by PostgreSQL
exclusion constraints over time ranges, added by migration 0005 on PostgreSQL only; on SQLite
(`make run`) the booking service checks inside an IMMEDIATE transaction, which serialises writers.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts.validators import validate_sane_date, validate_single_line

from .cohorts import Cohort
from .rounds import Pairing, PairingRole


class Room(models.Model):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=80, validators=[validate_single_line])

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["cohort", "name"], name="room_name_once")]

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WeeklyHours(models.Model):
    """A recurring block of wall-clock time: a trainee's availability (in their own zone) or,
    with `cohort` set, the hours a cohort allows sessions in (in the cohort's zone)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="availability",
    )
    cohort = models.ForeignKey(
        Cohort, on_delete=models.CASCADE, null=True, blank=True, related_name="allowed_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="hours_end_after_start"),
            models.CheckConstraint(
                condition=Q(user__isnull=False, cohort__isnull=True)
                | Q(user__isnull=True, cohort__isnull=False),
                name="hours_belong_to_user_or_cohort",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class Unavailability(models.Model):
    """A one-off exception to someone's weekly availability (stored in UTC)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unavailability"
    )
    start = models.DateTimeField(validators=[validate_sane_date])
    end = models.DateTimeField(validators=[validate_sane_date])
    note = models.CharField(max_length=120, blank=True, validators=[validate_single_line])

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="unavailability_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} away {self.start:%Y-%m-%d %H:%M}"


class SessionStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


ACTIVE_SESSION = [SessionStatus.PROPOSED, SessionStatus.SCHEDULED, SessionStatus.COMPLETED]


class Session(models.Model):
    """One practice session of a pairing. While proposed, `start`/`end` are the time on the
    table; `sequence` rises with every change (iCalendar SEQUENCE) and confirmations count
    only for the current sequence."""

    pairing = models.ForeignKey(Pairing, on_delete=models.PROTECT, related_name="sessions")
    start = models.DateTimeField()
    end = models.DateTimeField()
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions"
    )
    video_url = models.URLField(blank=True)
    status = models.CharField(
        max_length=12, choices=SessionStatus.choices, default=SessionStatus.PROPOSED
    )
    sequence = models.PositiveIntegerField(default=0)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    cancel_reason = models.TextField(blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    late_cancellation = models.BooleanField(default=False)
    rematch_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rematches",
        help_text="The no-show session this one replaces, with another partner.",
    )
    awaiting_review = models.BooleanField(
        default=True,
        help_text="Not reviewed by a supervisor yet (cleared by services.review.session_review "
        "in the review's transaction). The review queue reads completed sessions through a "
        "partial index on it, so it never walks the reviewed ones.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="session_end_after_start"),
            models.UniqueConstraint(
                fields=["pairing"],
                condition=Q(status__in=ACTIVE_SESSION),
                name="session_one_active_per_pairing",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "start"]),
            # The admin's session list, newest first, at 100,000 sessions (issue 10).
            models.Index(fields=["start"], name="session_start_idx"),
            # The review queue's candidates: completed sessions no supervisor has reviewed yet
            # (a small set, whatever the sessions stored; issue 9).
            models.Index(
                fields=["end"],
                condition=Q(status=SessionStatus.COMPLETED, awaiting_review=True),
                name="session_to_review_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Session {self.pk} ({self.get_status_display()}) {self.start:%Y-%m-%d %H:%M}"


class SessionSeat(models.Model):
    """A participant's place in a session. Active seats of one person never overlap in time —
    the database refuses it (exclusion constraint `seat_no_overlap` on PostgreSQL)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="seats")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="seats"
    )
    role = models.CharField(max_length=12, choices=PairingRole.choices)
    start = models.DateTimeField()
    end = models.DateTimeField()
    active = models.BooleanField(default=False)
    confirmed_sequence = models.IntegerField(
        null=True, blank=True, help_text="The session sequence this person agreed to."
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    no_show = models.BooleanField(default=False)
    left_cohort = models.BooleanField(
        default=False,
        help_text="Removed from the cohort while this session was open; the others may re-match.",
    )

    class Meta:
        ordering = ["session", "role"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="seat_once_per_session"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="seat_end_after_start"),
        ]
        indexes = [
            models.Index(fields=["user", "active", "start"]),
            # The cohort view reads every seat of a cohort's sessions: covered, index-only.
            models.Index(
                fields=["session"], include=["user", "role", "no_show"], name="seat_session_cover"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.session}"
