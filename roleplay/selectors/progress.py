"""Reads for a trainee's progress page, hours log and printable report.

Everything comes from stored rows: completed sessions and their seats (the hours), the trainee's
own responses (on time or not), stored scores (FeedbackScore, computed once at submit — nothing
is re-scored here) and reflections (goals). Feedback goes through permissions.feedback_visible_to,
so a trainee sees what others wrote about them only after the reveal. Care flags are never read.

The page costs a fixed number of queries whatever the number of sessions."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import QuerySet

from accounts.models import User
from roleplay.models import (
    Cohort,
    PairingRole,
    Session,
    SessionSeat,
    SessionStatus,
)

ROLES = [PairingRole.CLIENT, PairingRole.THERAPIST, PairingRole.OBSERVER]


@dataclass
class HoursRow:
    """One practised session in the hours log."""

    session_id: int
    start: datetime
    role: str
    role_label: str
    minutes: int
    scenario: str
    reviewed: bool


@dataclass
class RoleTotal:
    role: str
    label: str
    sessions: int = 0
    minutes: int = 0

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.1"))


@dataclass
class HoursLog:
    rows: list[HoursRow]
    totals: list[RoleTotal]

    @property
    def sessions(self) -> int:
        return sum(t.sessions for t in self.totals)

    @property
    def minutes(self) -> int:
        return sum(t.minutes for t in self.totals)

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.1"))


def practised_seats(cohort: Cohort, trainee: User) -> QuerySet[SessionSeat]:
    """The trainee's seats in the cohort's completed sessions they came to, oldest first: what
    counts as practice (a no-show, cancelled or future session does not)."""
    return (
        SessionSeat.objects.filter(
            user=trainee,
            no_show=False,
            session__status=SessionStatus.COMPLETED,
            session__pairing__round__cohort=cohort,
        )
        .select_related("session__pairing__scenario", "session__review")
        .order_by("session__start", "session_id")
    )


def _is_reviewed(session: Session) -> bool:
    review = getattr(session, "review", None)
    return review is not None and review.reviewed_at is not None


def hours_rows(seats) -> list[HoursRow]:
    labels = dict(PairingRole.choices)
    rows = []
    for seat in seats:
        session = seat.session
        scenario = session.pairing.scenario
        rows.append(
            HoursRow(
                session_id=session.pk,
                start=session.start,
                role=seat.role,
                role_label=labels.get(seat.role, seat.role),
                minutes=int((session.end - session.start).total_seconds() // 60),
                scenario=scenario.title if scenario else "",
                reviewed=_is_reviewed(session),
            )
        )
    return rows


def role_totals(rows: list[HoursRow]) -> list[RoleTotal]:
    labels = dict(PairingRole.choices)
    totals = {role: RoleTotal(role=role, label=labels[role]) for role in ROLES}
    for row in rows:
        total = totals.setdefault(row.role, RoleTotal(role=row.role, label=row.role_label))
        total.sessions += 1
        total.minutes += row.minutes
    return list(totals.values())


def hours_log(cohort: Cohort, trainee: User) -> HoursLog:
    """The practice hours log (one query)."""
    rows = hours_rows(practised_seats(cohort, trainee))
    return HoursLog(rows=rows, totals=role_totals(rows))
