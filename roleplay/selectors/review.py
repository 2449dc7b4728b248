"""Reads for supervisors: the review queue and what each scenario's sessions said about it.

Both read stored values only (flags worked out at submit, scores stored at submit, answers as
given) and each is a fixed number of queries whatever the data size."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from accounts.models import User
from roleplay.models import (
    CohortMembership,
    Role,
    Scenario,
    ScenarioTally,
    Session,
    SessionStatus,
)

QUEUE_PAGE = 50


def _closes_at(vendor: str | None = None) -> ExpressionWrapper:
    """When each session's feedback window closes (its cohort's days after its end). SQLite
    (`make run`) cannot multiply a duration and keeps durations as microseconds, so there the
    days are multiplied into microseconds instead."""
    from django.db import connection
    from django.db.models import DurationField

    days = F("pairing__round__cohort__feedback_window_days")
    if (vendor or connection.vendor) == "sqlite":
        window = ExpressionWrapper(days * Value(86_400_000_000), output_field=DurationField())
    else:
        window = days * Value(timedelta(days=1))
    return ExpressionWrapper(F("end") + window, output_field=DateTimeField())


def _cohorts_reviewed_by(user: User) -> Q:
    if user.is_programme_admin:
        return Q()
    supervised = CohortMembership.objects.active().filter(user=user, role=Role.SUPERVISOR)
    return Q(pairing__round__cohort__in=supervised.values("cohort_id"))


@dataclass
class QueueRow:
    session: Session
    flags: list[str]
    complete: bool
    closes_at: datetime
    release_pending: bool


def review_queue(user: User, *, now: datetime | None = None) -> list[QueueRow]:
    """Completed sessions of the cohorts the user supervises, not yet reviewed, whose feedback is
    complete or whose window has closed; flagged first, then oldest first. One query.

    Its candidates come from the partial index of completed sessions still awaiting review
    (`session_to_review_idx`), so its time follows the sessions left to review, not every
    session stored: before, it left-joined every completed session of the cohort to its review
    to find the unreviewed ones."""
    now = now or timezone.now()
    rows = []
    for session in queue_sessions(user, now=now):
        review = getattr(session, "review", None)
        flags = [flag["label"] for flag in review.flags] if review else []
        if session.missing:
            flags.append("A form is still missing and the window has closed")
        rows.append(
            QueueRow(
                session=session,
                flags=flags,
                complete=bool(review and review.complete),
                closes_at=session.closes_at,
                release_pending=getattr(session, "reveal", None) is None,
            )
        )
    return rows


def _ordered(sessions: QuerySet[Session], now: datetime) -> QuerySet[Session]:
    """The queue's annotations (when the window closes, whether a form is missing past it,
    whether to list it first) and its order: flagged first, then oldest first."""
    return (
        sessions.annotate(closes_at=_closes_at())
        .annotate(
            window_closed=Case(
                When(closes_at__lte=now, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .annotate(
            missing=Case(
                When(Q(window_closed=True) & ~Q(review__complete=True), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            flag_first=Case(
                When(Q(review__flagged=True) | Q(missing=1), then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .order_by("flag_first", "end", "pk")
    )


def queue_sessions(user: User, *, now: datetime) -> QuerySet[Session]:
    """The queue's one query (see review_queue). Its inner part picks the page's ids from the
    sessions awaiting review, joining only what the choice and the order need (cohort, review);
    the outer part joins the rest (scenario, reveal, round names) for those 50 only."""
    awaiting = Session.objects.filter(
        _cohorts_reviewed_by(user), status=SessionStatus.COMPLETED, awaiting_review=True
    ).filter(Q(review__isnull=True) | Q(review__reviewed_at__isnull=True))
    page = (
        _ordered(awaiting, now)
        .filter(Q(review__complete=True) | Q(window_closed=True))
        .values("pk")[:QUEUE_PAGE]
    )
    return _ordered(Session.objects.filter(pk__in=page), now).select_related(
        "pairing__round__cohort", "pairing__scenario", "review", "reveal"
    )


def _mean(total: Decimal, n: int) -> Decimal | None:
    return total / n if n else None


def _sample_spread(n: int, total: Decimal, squares: Decimal) -> Decimal | None:
    """Sample standard deviation from count, sum and sum of squares: √((nΣx² - (Σx)²) / n(n-1)),
    the numerator exact in decimals (no cancellation error); None below two values."""
    if n < 2:
        return None
    return (max(n * squares - total * total, Decimal(0)) / (n * (n - 1))).sqrt()


def scenarios_with_stats(scenarios: QuerySet[Scenario]) -> list[Scenario]:
    """The scenarios, each with: sessions run, mean portrayal realism (the therapist-role
    trainees' answer to the "realism" item), mean client-rated score (the client-role totals
    stored at submit), its spread (their sample standard deviation; it needs two) and how many
    sessions that rests on — only each form's latest submitted revision counting.

    One query whatever the feedback stored: each scenario's running totals (ScenarioTally, kept
    by services.scenario_totals) come joined to it."""
    listed = list(scenarios.select_related("tally"))
    for scenario in listed:
        tally = getattr(scenario, "tally", None) or ScenarioTally()
        scenario.sessions_run = tally.sessions_run
        scenario.mean_realism = _mean(tally.realism_sum, tally.realism_n)
        scenario.mean_client_score = _mean(tally.client_sum, tally.client_n)
        scenario.client_score_spread = _sample_spread(
            tally.client_n, tally.client_sum, tally.client_sum_sq
        )
        scenario.client_scores = tally.client_n
    return listed
