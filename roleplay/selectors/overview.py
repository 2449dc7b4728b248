"""The supervisor's view of a round's bookings: where each pairing stands, in bounded queries."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.query import QuerySet

from accounts.models import User
from roleplay.models import (
    ACTIVE_SESSION,
    CohortMembership,
    Pairing,
    PairingMember,
    Role,
    Round,
    RoundStatus,
    Session,
    SessionStatus,
)

# A pairing counts as booked once a time is agreed (or the session was held); a proposal still
# waits for someone, and a no-show or cancellation leaves the pairing to book again.
BOOKED = [SessionStatus.SCHEDULED, SessionStatus.COMPLETED]
# Statuses after which a supervisor may schedule a new session or nudge the pairing.
REBOOKABLE = {"unbooked", SessionStatus.NO_SHOW, SessionStatus.CANCELLED}

STATUS_LABELS = {
    "unbooked": "Unbooked",
    SessionStatus.PROPOSED: "Proposed",
    SessionStatus.SCHEDULED: "Scheduled",
    SessionStatus.COMPLETED: "Done",
    SessionStatus.NO_SHOW: "No-show",
    SessionStatus.CANCELLED: "Cancelled",
}


@dataclass(frozen=True)
class PairingBooking:
    pairing: Pairing
    status: str
    session_id: int | None
    start: datetime | None

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def booked(self) -> bool:
        return self.status in BOOKED

    @property
    def may_schedule(self) -> bool:
        return self.status in REBOOKABLE

    @property
    def may_nudge(self) -> bool:
        return not self.booked


def _current_session(pairing_ref: str = "pk") -> QuerySet[Session]:
    """The session that says where a pairing stands: its open or held one if it has one (a
    pairing has at most one), else the latest cancelled or missed one."""
    return Session.objects.filter(pairing=OuterRef(pairing_ref)).order_by(
        Case(
            When(status__in=ACTIVE_SESSION, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        "-start",
        "-pk",
    )


def pairing_bookings(round_: Round) -> list[PairingBooking]:
    """Each pairing of the round with its booking status and session time, in two queries."""
    current = _current_session()
    pairings = (
        Pairing.objects.filter(round=round_)
        .annotate(
            session_id=Subquery(current.values("pk")[:1]),
            session_status=Subquery(current.values("status")[:1]),
            session_start=Subquery(current.values("start")[:1]),
        )
        .prefetch_related(
            Prefetch(
                "members", queryset=PairingMember.objects.select_related("trainee").order_by("role")
            )
        )
        .order_by("pk")
    )
    return [
        PairingBooking(
            pairing=pairing,
            status=pairing.session_status or "unbooked",
            session_id=pairing.session_id,
            start=pairing.session_start,
        )
        for pairing in pairings
    ]


def rounds_being_booked(user: User) -> QuerySet[Round]:
    """Published rounds of the cohorts a user supervises, with how many pairings have booked."""
    supervised = CohortMembership.objects.active().filter(user=user, role=Role.SUPERVISOR)
    return (
        Round.objects.filter(
            status=RoundStatus.PUBLISHED, cohort__in=supervised.values("cohort_id")
        )
        .select_related("cohort")
        .annotate(
            pairing_count=Count("pairings", distinct=True),
            booked_count=Count(
                "pairings", filter=Q(pairings__sessions__status__in=BOOKED), distinct=True
            ),
        )
        .order_by("closes")
    )
