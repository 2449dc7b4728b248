"""Reads for supervisors: the review queue and what each scenario's sessions said about it.

Both read stored values only (flags worked out at submit, scores stored at submit, answers as
given) and each is a fixed number of queries whatever the data size."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    StdDev,
    Value,
    When,
)
from django.utils import timezone

from accounts.models import User
from roleplay.models import (
    CohortMembership,
    FeedbackAnswer,
    FeedbackPurpose,
    FeedbackResponse,
    FeedbackScore,
    ResponseState,
    Role,
    Scenario,
    Session,
    SessionStatus,
)

QUEUE_PAGE = 50
REALISM_KEY = "realism"


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
    complete or whose window has closed; flagged first, then oldest first. One query."""
    now = now or timezone.now()
    sessions = (
        Session.objects.filter(_cohorts_reviewed_by(user), status=SessionStatus.COMPLETED)
        .filter(Q(review__isnull=True) | Q(review__reviewed_at__isnull=True))
        .annotate(closes_at=_closes_at())
        .annotate(
            window_closed=Case(
                When(closes_at__lte=now, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .filter(Q(review__complete=True) | Q(window_closed=True))
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
        .select_related("pairing__round__cohort", "pairing__scenario", "review", "reveal")
        .order_by("flag_first", "end", "pk")[:QUEUE_PAGE]
    )
    rows = []
    for session in sessions:
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


def _superseded(prefix: str) -> Q:
    """A submitted response with a later submitted revision of the same form."""
    later = FeedbackResponse.objects.filter(
        session=OuterRef(f"{prefix}session"),
        author=OuterRef(f"{prefix}author"),
        about=OuterRef(f"{prefix}about"),
        purpose=OuterRef(f"{prefix}purpose"),
        state=ResponseState.SUBMITTED,
        revision__gt=OuterRef(f"{prefix}revision"),
    )
    return Q(Exists(later))


def scenarios_with_stats(scenarios: QuerySet[Scenario]) -> list[Scenario]:
    """The scenarios, each with: sessions run, mean portrayal realism (the therapist-role
    trainees' answer to the "realism" item), mean client-rated score (the client-role totals
    stored at submit), its spread (their sample standard deviation; it needs two) and how many
    sessions that rests on. Only each form's latest submitted revision counts.

    Four queries whatever the library's size: the list, then three aggregates grouped by
    scenario — sessions, stored client totals, realism answers — each one pass over its rows
    (per-scenario correlated subqueries would read every row once per scenario)."""
    listed = list(scenarios)
    ids = [s.pk for s in listed]
    run = dict(
        Session.objects.filter(pairing__scenario__in=ids, status=SessionStatus.COMPLETED)
        .order_by()
        .values("pairing__scenario")
        .annotate(n=Count("pk"))
        .values_list("pairing__scenario", "n")
    )
    scores = {
        row["response__session__pairing__scenario"]: row
        for row in FeedbackScore.objects.filter(
            subscale="",
            value__isnull=False,
            response__purpose=FeedbackPurpose.CLIENT,
            response__state=ResponseState.SUBMITTED,
            response__session__pairing__scenario__in=ids,
        )
        .exclude(_superseded("response__"))
        .order_by()
        .values("response__session__pairing__scenario")
        .annotate(mean=Avg("value"), spread=StdDev("value", sample=True), n=Count("pk"))
    }
    realism = dict(
        FeedbackAnswer.objects.filter(
            item__key=REALISM_KEY,
            value__isnull=False,
            is_na=False,
            response__purpose=FeedbackPurpose.THERAPIST,
            response__state=ResponseState.SUBMITTED,
            response__session__pairing__scenario__in=ids,
        )
        .exclude(_superseded("response__"))
        .order_by()
        .values("response__session__pairing__scenario")
        .annotate(mean=Avg("value"))
        .values_list("response__session__pairing__scenario", "mean")
    )
    for scenario in listed:
        score = scores.get(scenario.pk, {})
        scenario.sessions_run = run.get(scenario.pk, 0)
        scenario.mean_realism = realism.get(scenario.pk)
        scenario.mean_client_score = score.get("mean")
        scenario.client_score_spread = score.get("spread")
        scenario.client_scores = score.get("n", 0)
    return listed
