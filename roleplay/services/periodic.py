"""What the clock causes, run by Celery beat. Each function is safe to run twice or late: it
writes outbox rows with dedupe keys (so a repeated tick adds nothing) or moves rows with
conditional updates, and it looks at the database, never at what the broker delivered."""

import zoneinfo
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from roleplay.formats import WHEN_TOKEN
from roleplay.models import (
    ACTIVE_SESSION,
    CohortMembership,
    Event,
    EventKind,
    MessageKind,
    Pairing,
    PairingMember,
    Role,
    RoundStatus,
    Session,
    SessionSeat,
    SessionStatus,
)

from . import feedback, notify
from .scenario_totals import scenario_totals_sessions_completed

TRAINEE_NUDGE_BEFORE = timedelta(days=3)
SUPERVISOR_NUDGE_BEFORE = timedelta(days=1)
DIGEST_WEEKDAY = 0  # Monday
DIGEST_HOUR = 8


@transaction.atomic
def sessions_complete(*, now: datetime | None = None) -> int:
    """Scheduled sessions whose end has passed are closed: a no-show when someone checked in and
    someone else did not (the one left behind may ask for a re-match), otherwise completed — and
    then each trainee is asked for their feedback. Each gets its "ended" event in the same
    transaction; the rows are locked (skipping any another tick holds), so two ticks never
    close, or record, one session twice."""
    now = now or timezone.now()
    ended_ids = list(
        Session.objects.select_for_update(skip_locked=True)
        .filter(status=SessionStatus.SCHEDULED, end__lte=now)
        .values_list("pk", flat=True)
    )
    ended = Session.objects.filter(pk__in=ended_ids, status=SessionStatus.SCHEDULED)
    Event.objects.bulk_create(
        Event(session_id=pk, kind=EventKind.ENDED, at=timezone.now()) for pk in ended_ids
    )
    checked_in = SessionSeat.objects.filter(session=OuterRef("pk"), checked_in_at__isnull=False)
    missing = SessionSeat.objects.filter(session=OuterRef("pk"), checked_in_at__isnull=True)
    no_shows = list(ended.filter(Exists(checked_in), Exists(missing)).values_list("pk", flat=True))
    SessionSeat.objects.filter(session_id__in=no_shows, checked_in_at__isnull=True).update(
        no_show=True
    )
    SessionSeat.objects.filter(session_id__in=no_shows).update(active=False)
    ended.filter(pk__in=no_shows).update(status=SessionStatus.NO_SHOW)
    completed = list(ended.values_list("pk", flat=True))
    # The conditional update claims them, so a second tick at once asks nobody twice (and the
    # dedupe keys would catch it if it did).
    claimed = Session.objects.filter(pk__in=completed, status=SessionStatus.SCHEDULED).update(
        status=SessionStatus.COMPLETED
    )
    scenario_totals_sessions_completed(session_ids=completed)
    for session in Session.objects.filter(pk__in=completed).select_related(
        "pairing__round__cohort"
    ):
        feedback.feedback_requests_queue(session=session)
    return claimed + len(no_shows)


def feedback_reveals_due(*, now: datetime | None = None) -> int:
    return feedback.feedback_reveals_due(now=now)


def _unbooked_pairings(now: datetime, before: timedelta):
    """Published pairings not booked yet, with their members who still belong to the cohort."""
    booked = Session.objects.filter(pairing=OuterRef("pk"), status__in=ACTIVE_SESSION)
    still_in = CohortMembership.objects.active().filter(
        cohort=OuterRef("round__cohort"), user=OuterRef("trainee")
    )
    return (
        Pairing.objects.filter(
            round__status=RoundStatus.PUBLISHED,
            round__closes__gt=now,
            round__closes__lte=now + before,
        )
        .exclude(Exists(booked))
        .select_related("round__cohort")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=PairingMember.objects.filter(Exists(still_in)).select_related("trainee"),
            )
        )
    )


def unbooked_nudges_queue(*, now: datetime | None = None) -> int:
    """A pair still unbooked 3 days before the window closes hears about it; their supervisors
    hear at 1 day. One message per pairing, person and stage, however often this runs."""
    now = now or timezone.now()
    queued = 0
    for pairing in _unbooked_pairings(now, TRAINEE_NUDGE_BEFORE):
        for member in pairing.members.all():
            queued += _nudge(pairing, member.trainee, "3d", now)
    for pairing in _unbooked_pairings(now, SUPERVISOR_NUDGE_BEFORE):
        for supervisor in _supervisors(pairing.round.cohort_id):
            queued += _nudge(pairing, supervisor, "1d", now)
    return queued


def _supervisors(cohort_id: int):
    return User.objects.filter(
        memberships__cohort_id=cohort_id,
        memberships__role=Role.SUPERVISOR,
        memberships__ended_at__isnull=True,
    )


def _nudge(pairing: Pairing, user: User, stage: str, now: datetime) -> int:
    round_ = pairing.round
    names = ", ".join(m.trainee.name for m in pairing.members.all())
    is_member = any(m.trainee_id == user.pk for m in pairing.members.all())
    message = notify.message_queue(
        kind=MessageKind.UNBOOKED_NUDGE,
        recipient=user,
        dedupe_key=f"unbooked:{pairing.pk}:{stage}:{user.pk}",
        subject=f"{round_.name}: not booked yet",
        body=(
            f"Your pairing has not booked a session, and booking closes {WHEN_TOKEN}."
            if is_member
            else f"{names} have not booked their {round_.name} session; booking closes "
            f"{WHEN_TOKEN}."
        ),
        link=reverse("pairing_detail", args=[pairing.pk]),
        due_at=now,
        when=round_.closes,
    )
    return int(message is not None)


def supervisor_digests_queue(*, now: datetime | None = None) -> int:
    """Each supervisor's weekly digest, due Monday 08:00 in their own zone. Beat runs this hourly;
    the dedupe key (supervisor, ISO week) makes the hour it lands in the only one that writes."""
    now = now or timezone.now()
    queued = 0
    supervisors = User.objects.filter(
        memberships__role=Role.SUPERVISOR, memberships__ended_at__isnull=True
    ).distinct()
    for supervisor in supervisors:
        local = timezone.localtime(now, zoneinfo.ZoneInfo(supervisor.time_zone))
        if local.weekday() != DIGEST_WEEKDAY or local.hour < DIGEST_HOUR:
            continue
        year, week, _ = local.isocalendar()
        message = notify.message_queue(
            kind=MessageKind.WEEKLY_DIGEST,
            recipient=supervisor,
            dedupe_key=f"digest:{supervisor.pk}:{year}-W{week:02d}",
            subject=f"Your week in Dyad (week {week})",
            body=_digest_body(supervisor, now),
            link=reverse("dashboard"),
            due_at=now,
        )
        queued += int(message is not None)
    return queued


def _digest_body(supervisor: User, now: datetime) -> str:
    cohorts = supervisor.memberships.active().filter(role=Role.SUPERVISOR).values("cohort_id")
    week_ago = now - timedelta(days=7)
    sessions = Session.objects.filter(pairing__round__cohort__in=cohorts)
    counts = sessions.aggregate(
        held=Count("pk", filter=Q(status=SessionStatus.COMPLETED, end__gte=week_ago)),
        cancelled=Count("pk", filter=Q(status=SessionStatus.CANCELLED, cancelled_at__gte=week_ago)),
        late=Count(
            "pk",
            filter=Q(
                status=SessionStatus.CANCELLED, late_cancellation=True, cancelled_at__gte=week_ago
            ),
        ),
        no_shows=Count("pk", filter=Q(status=SessionStatus.NO_SHOW, end__gte=week_ago)),
        coming=Count(
            "pk",
            filter=Q(
                status=SessionStatus.SCHEDULED, start__gte=now, start__lt=now + timedelta(days=7)
            ),
        ),
    )
    booked = Session.objects.filter(pairing=OuterRef("pk"), status__in=ACTIVE_SESSION)
    behind = (
        Pairing.objects.filter(
            round__cohort__in=cohorts, round__status=RoundStatus.PUBLISHED, round__closes__gt=now
        )
        .exclude(Exists(booked))
        .prefetch_related("members__trainee")
        .select_related("round")
    )
    lines = [
        "Last week:",
        f"- {counts['held']} sessions held",
        f"- {counts['cancelled']} cancelled ({counts['late']} within 24 hours of the start)",
        f"- {counts['no_shows']} no-shows",
        f"Coming week: {counts['coming']} sessions scheduled.",
    ]
    if behind:
        lines.append("Not booked yet:")
        lines += [
            f"- {p.round.name}: " + ", ".join(m.trainee.name for m in p.members.all())
            for p in behind
        ]
    else:
        lines.append("Every pairing in an open round has booked.")
    return "\n".join(lines)
