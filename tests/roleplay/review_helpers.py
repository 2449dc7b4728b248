"""Helpers for review tests: finished sessions with feedback written, each at its own time."""

from datetime import timedelta

import time_machine

from roleplay.models import FeedbackPurpose, Pairing, Session
from roleplay.services import booking, feedback, periodic
from tests.factories import MembershipFactory, UserFactory
from tests.roleplay.booking_helpers import NOW, make_pairing
from tests.roleplay.feedback_helpers import START, answers_for


def finished(
    cohort,
    supervisor,
    n: int,
    *,
    client: dict | None = None,
    therapist: dict | None = None,
    scenario=None,
) -> tuple[Session, object, object]:
    """Session number `n` of the cohort (day n after START), completed, with the client's and the
    therapist's forms submitted an hour after its end with the given answer values (None: that
    form is left unwritten). Returns the session, the client-role and the therapist-role trainee."""
    ana = MembershipFactory(cohort=cohort, user=UserFactory(display_name=f"Ana {n}")).user
    ben = MembershipFactory(cohort=cohort, user=UserFactory(display_name=f"Ben {n}")).user
    with time_machine.travel(NOW, tick=False):
        pairing = make_pairing(cohort, ana, ben, name=f"Round {n}")
        if scenario is not None:
            Pairing.objects.filter(pk=pairing.pk).update(scenario=scenario)
            pairing.refresh_from_db()
        session = booking.session_schedule_directly(
            pairing=pairing, supervisor=supervisor, start=START + timedelta(days=n)
        )
    with time_machine.travel(session.end + timedelta(hours=1), tick=False):
        periodic.sessions_complete()
        session.refresh_from_db()
        for author, about, purpose, values in (
            (ana, ben, FeedbackPurpose.CLIENT, client),
            (ben, ana, FeedbackPurpose.THERAPIST, therapist),
        ):
            if values is None:
                continue
            response = feedback.feedback_start(
                session=session, author=author, about=about, purpose=purpose
            )
            feedback.feedback_submit(
                response=response,
                author=author,
                answers=answers_for(response.template, **values),
            )
    return session, ana, ben


def rate_as_supervisor(session, supervisor, trainee, likert=4) -> None:
    response = feedback.feedback_start(
        session=session, author=supervisor, about=trainee, purpose=FeedbackPurpose.SUPERVISOR
    )
    feedback.feedback_submit(
        response=response,
        author=supervisor,
        answers=answers_for(response.template, likert=likert),
    )
