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
from django.utils import timezone

from accounts.models import User
from roleplay.models import (
    CohortMembership,
    FeedbackAnswer,
    FeedbackPurpose,
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


def _latest(model, purpose: str):
    """`model` rows of the session's latest submitted revision of the `purpose` form."""
    return model.objects.filter(
        response__session=OuterRef("pk"),
        response__purpose=purpose,
        response__state=ResponseState.SUBMITTED,
    ).order_by("-response__revision")


def scenarios_with_stats(scenarios: QuerySet[Scenario]) -> list[Scenario]:
    """The scenarios, each with: sessions run, mean portrayal realism (the therapist-role
    trainees' answer to the "realism" item), mean client-rated score (the client-role totals
    stored at submit), its spread (their sample standard deviation; it needs two) and how many
    sessions that rests on. Each session counts its forms' latest submitted revision only.

    Two queries whatever the library's size: the list, and one aggregate over the listed
    scenarios' completed sessions, grouped by scenario (each session's figures are found
    through the indexes on its responses, not by scanning every answer per scenario)."""
    listed = list(scenarios)
    decimal = DecimalField(max_digits=8, decimal_places=2)
    client_total = Subquery(
        _latest(FeedbackScore, FeedbackPurpose.CLIENT).filter(subscale="").values("value")[:1],
        output_field=decimal,
    )
    realism = Subquery(
        _latest(FeedbackAnswer, FeedbackPurpose.THERAPIST)
        .filter(item__key=REALISM_KEY)
        .values("value")[:1],
        output_field=decimal,
    )
    figures = {
        row["pairing__scenario"]: row
        for row in Session.objects.filter(
            pairing__scenario__in=[s.pk for s in listed], status=SessionStatus.COMPLETED
        )
        .annotate(client_total=client_total, realism=realism)
        .order_by()
        .values("pairing__scenario")
        .annotate(
            sessions_run=Count("pk"),
            mean_realism=Avg("realism"),
            mean_client_score=Avg("client_total"),
            client_score_spread=StdDev("client_total", sample=True),
            client_scores=Count("client_total"),
        )
    }
    empty = {
        "sessions_run": 0,
        "mean_realism": None,
        "mean_client_score": None,
        "client_score_spread": None,
        "client_scores": 0,
    }
    for scenario in listed:
        row = figures.get(scenario.pk, empty)
        for name in empty:
            setattr(scenario, name, row[name])
    return listed
