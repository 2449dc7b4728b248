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
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    StdDev,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
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


def _closes_at() -> ExpressionWrapper:
    return ExpressionWrapper(
        F("end") + F("pairing__round__cohort__feedback_window_days") * Value(timedelta(days=1)),
        output_field=DateTimeField(),
    )


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


def scenarios_with_stats(scenarios: QuerySet[Scenario]) -> QuerySet[Scenario]:
    """Per scenario: sessions run, mean portrayal realism (the therapist-role trainees' answer
    to the "realism" item), mean client-rated score and its spread (standard deviation of the
    client-role totals stored at submit; it needs two). Each figure counts the latest submitted revision only;
    all of it in the one query that lists the scenarios."""
    run = (
        Session.objects.filter(pairing__scenario=OuterRef("pk"), status=SessionStatus.COMPLETED)
        .order_by()
        .values("pairing__scenario")
        .annotate(n=Count("pk"))
        .values("n")
    )
    scores = (
        FeedbackScore.objects.filter(
            subscale="",
            value__isnull=False,
            response__purpose=FeedbackPurpose.CLIENT,
            response__state=ResponseState.SUBMITTED,
            response__session__pairing__scenario=OuterRef("pk"),
        )
        .exclude(_superseded("response__"))
        .order_by()
        .values("response__session__pairing__scenario")
    )
    realism = (
        FeedbackAnswer.objects.filter(
            item__key=REALISM_KEY,
            value__isnull=False,
            is_na=False,
            response__purpose=FeedbackPurpose.THERAPIST,
            response__state=ResponseState.SUBMITTED,
            response__session__pairing__scenario=OuterRef("pk"),
        )
        .exclude(_superseded("response__"))
        .order_by()
        .values("response__session__pairing__scenario")
    )
    decimal = DecimalField(max_digits=8, decimal_places=2)
    return scenarios.annotate(
        sessions_run=Coalesce(Subquery(run, output_field=IntegerField()), 0),
        mean_realism=Subquery(realism.annotate(m=Avg("value")).values("m"), output_field=decimal),
        mean_client_score=Subquery(
            scores.annotate(m=Avg("value")).values("m"), output_field=decimal
        ),
        client_score_spread=Subquery(
            scores.annotate(s=StdDev("value", sample=True)).values("s"), output_field=decimal
        ),
        client_scores=Coalesce(
            Subquery(scores.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0
        ),
    )


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
