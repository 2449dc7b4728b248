"""Helpers for progress tests: a trainee's completed sessions, built directly (a round and a
pairing per session) with feedback submitted through the feedback service, so scores are the
ones stored at submit."""

from datetime import UTC, datetime, timedelta

import time_machine

from roleplay.models import (
    FeedbackPurpose,
    Pairing,
    PairingMember,
    PairingRole,
    RoundStatus,
    Session,
    SessionSeat,
    SessionStatus,
)
from roleplay.services import feedback
from tests.factories import RoundFactory
from tests.roleplay.feedback_helpers import answers_for

BASE = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)


def practised(
    cohort,
    trainee,
    partner,
    *,
    day: int,
    role: str = PairingRole.THERAPIST,
    minutes: int = 50,
    client_likert: int | None = None,
    self_likert: int | None = None,
    scenario=None,
    status: str = SessionStatus.COMPLETED,
) -> Session:
    """A session on day `day` after BASE where `trainee` sits in `role` and `partner` in the
    other of client/therapist; the client's form (about the therapist) and the therapist's
    self-rating are submitted an hour after the end with the given Likert values."""
    other = PairingRole.CLIENT if role == PairingRole.THERAPIST else PairingRole.THERAPIST
    if role == PairingRole.OBSERVER:
        raise ValueError("use observed() for the observer role")
    start = BASE + timedelta(days=day)
    round_ = RoundFactory(
        cohort=cohort,
        name=f"Round {day}",
        opens=start - timedelta(days=1),
        closes=start + timedelta(days=1),
        status=RoundStatus.PUBLISHED,
        session_minutes=max(minutes, 10),
    )
    pairing = Pairing.objects.create(round=round_, scenario=scenario)
    for user, seat_role in ((trainee, role), (partner, other)):
        PairingMember.objects.create(pairing=pairing, round=round_, trainee=user, role=seat_role)
    session = Session.objects.create(
        pairing=pairing,
        start=start,
        end=start + timedelta(minutes=minutes),
        status=status,
        proposed_by=trainee,
    )
    for user, seat_role in ((trainee, role), (partner, other)):
        SessionSeat.objects.create(
            session=session, user=user, role=seat_role, start=session.start, end=session.end
        )
    client, therapist = (partner, trainee) if role == PairingRole.THERAPIST else (trainee, partner)
    with time_machine.travel(session.end + timedelta(hours=1), tick=False):
        if client_likert is not None:
            submit(session, client, therapist, FeedbackPurpose.CLIENT, client_likert)
        if self_likert is not None:
            submit(session, therapist, client, FeedbackPurpose.THERAPIST, self_likert)
    return session


def submit(session, author, about, purpose, likert):
    response = feedback.feedback_start(session=session, author=author, about=about, purpose=purpose)
    return feedback.feedback_submit(
        response=response, author=author, answers=answers_for(response.template, likert=likert)
    )
