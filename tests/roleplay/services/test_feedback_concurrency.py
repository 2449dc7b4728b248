"""Two submissions at the same instant, on real PostgreSQL row locks (each thread has its own
database connection): one stored submission, and one reveal telling each trainee once."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction

from roleplay.models import FeedbackResponse, FeedbackReveal, Message, MessageKind, ResponseState
from roleplay.services import booking, feedback, periodic
from roleplay.services.feedback import FeedbackRefused
from tests.factories import MembershipFactory
from tests.roleplay.booking_helpers import NOW, make_pairing
from tests.roleplay.feedback_helpers import (
    START,
    answers_for,
    client_and_therapist_drafts,
    ensure_builtin_templates,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ended(cohort, supervisor):
    ensure_builtin_templates()
    ana, ben = (MembershipFactory(cohort=cohort).user for _ in range(2))
    with time_machine.travel(NOW, tick=False):
        pairing = make_pairing(cohort, ana, ben)
        session = booking.session_schedule_directly(
            pairing=pairing, supervisor=supervisor, start=START
        )
    with time_machine.travel(session.end + timedelta(hours=1), tick=False):
        periodic.sessions_complete()
        session.refresh_from_db()
        yield session, ana, ben


def _waits_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def overlapping(first, second):
    """The worst interleaving, made deterministic: `first` runs in a transaction that stays open
    until `second` (in another thread and connection) has either finished or is waiting on one
    of first's locks; then first commits. Returns both outcomes (a result or the refusal)."""
    outcomes, pids = {}, {}
    first_done, second_started, release = threading.Event(), threading.Event(), threading.Event()

    def run(name, call, hold):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids[name] = cursor.fetchone()[0]
            if not hold:
                second_started.set()
            with transaction.atomic():
                outcomes[name] = call()
                if hold:
                    first_done.set()
                    release.wait()
        except FeedbackRefused as exc:
            outcomes[name] = exc
        finally:
            first_done.set()
            connection.close()

    a = threading.Thread(target=run, args=("first", first, True))
    a.start()
    first_done.wait()
    b = threading.Thread(target=run, args=("second", second, False))
    b.start()
    second_started.wait()
    while b.is_alive() and not _waits_on_a_lock(pids["second"]):
        b.join(0.02)
    release.set()
    a.join()
    b.join()
    return outcomes["first"], outcomes["second"]


def test_two_tabs_submitting_the_same_form_store_one_submission(ended):
    session, ana, ben = ended
    client, _ = client_and_therapist_drafts(session, ana, ben)

    def submit(likert):
        return lambda: feedback.feedback_submit(
            response=client, author=ana, answers=answers_for(client.template, likert=likert)
        )

    first, second = overlapping(submit(2), submit(5))
    assert isinstance(first, FeedbackResponse)
    assert second.reason == "This form has been submitted already; it is locked."
    stored = FeedbackResponse.objects.get(pk=client.pk)
    assert stored.state == ResponseState.SUBMITTED
    assert stored.scores.get(subscale="felt_understood").value == Decimal(
        "22.00"
    )  # the first tab's answers


def test_both_partners_submitting_at_once_make_one_reveal_and_tell_each_once(ended):
    session, ana, ben = ended
    client, therapist = client_and_therapist_drafts(session, ana, ben)
    outcomes = overlapping(
        lambda: feedback.feedback_submit(
            response=client, author=ana, answers=answers_for(client.template)
        ),
        lambda: feedback.feedback_submit(
            response=therapist, author=ben, answers=answers_for(therapist.template)
        ),
    )
    assert all(isinstance(o, FeedbackResponse) for o in outcomes)
    assert FeedbackReveal.objects.filter(session=session).count() == 1
    told = Message.objects.filter(kind=MessageKind.FEEDBACK_REVEALED)
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted([ana.pk, ben.pk])
