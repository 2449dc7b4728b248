"""The session page with everything on it — both sides' feedback revealed, reflections, a goal
from the session before, consents, a recording with comments, notes, a care flag and timeline
events — runs at most 15 SQL queries for a trainee in the session, a supervisor and a programme
admin, and the same number with one of each thing or three."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roleplay.models import EventKind, NoteKind, Role
from roleplay.services import booking, feedback, periodic, record
from roleplay.services.events import event_record
from tests.factories import MembershipFactory, UserFactory
from tests.html import text_by_id
from tests.roleplay.booking_helpers import NOW, make_pairing
from tests.roleplay.feedback_helpers import START, answers_for, client_and_therapist_drafts
from tests.roleplay.record_helpers import wav_upload

pytestmark = pytest.mark.django_db

LIMIT = 15


def _both_submit(session, client_role, therapist_role):
    forms = client_and_therapist_drafts(session, client_role, therapist_role)
    for form, author in zip(forms, (client_role, therapist_role), strict=True):
        feedback.feedback_submit(response=form, author=author, answers=answers_for(form.template))


@pytest.fixture
def full(cohort, supervisor):
    """Ana (client role) and Ben (therapist role): an earlier session whose reflection set Ana a
    goal, then this session, recorded with consent, ended, both forms in and revealed."""
    ana = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ana")).user
    ben = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ben")).user
    with time_machine.travel(NOW, tick=False):
        before = booking.session_schedule_directly(
            pairing=make_pairing(cohort, ana, ben, name="Round A"),
            supervisor=supervisor,
            start=START - timedelta(days=1),
        )
        session = booking.session_schedule_directly(
            pairing=make_pairing(cohort, ana, ben, opens=before.end, name="Round B"),
            supervisor=supervisor,
            start=START,
        )
        for person in (ana, ben):
            record.consent_give(session=session, user=person)
        recording = record.recording_upload(session=session, user=ana, upload=wav_upload(65))
    with time_machine.travel(before.end + timedelta(hours=1), tick=False):
        periodic.sessions_complete()
        before.refresh_from_db()
        _both_submit(before, ana, ben)
        feedback.reflection_save(
            session=before, trainee=ana, usefulness=4, text="Earlier.", goal="Pause more"
        )
    clock = time_machine.travel(session.end + timedelta(hours=1), tick=False)
    clock.start()
    periodic.sessions_complete()
    session.refresh_from_db()
    _both_submit(session, ana, ben)
    for person, usefulness in ((ana, 4), (ben, 3)):
        feedback.reflection_save(
            session=session, trainee=person, usefulness=usefulness, text="Hm.", goal="Slow down"
        )
    yield session, recording, ana, ben
    clock.stop()


def _add_items(session, recording, ana, ben, supervisor, count: int) -> None:
    """`count` more of each thing that is listed on the page."""
    for i in range(count):
        record.comment_add(recording=recording, author=supervisor, at_seconds=i, text=f"C{i}")
        record.note_save(session=session, kind=NoteKind.SHARED, author=ana, text=f"Shared {i}")
        record.note_save(session=session, kind=NoteKind.PROCESS, author=ben, text=f"Mine {i}")
        record.care_flag_raise(session=session, user=ana, note=f"Flag {i}")
        event_record(
            session=session, kind=EventKind.REMINDER_SENT, data={"people": [ana.pk, ben.pk]}
        )


def _count(client, viewer, session) -> tuple[int, object]:
    client.force_login(viewer)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("session_detail", args=[session.pk]))
    assert page.status_code == 200
    return len(queries), page


def test_the_full_session_page_runs_at_most_15_queries_at_one_item_and_at_three(
    client, cohort, supervisor, full
):
    session, recording, ana, ben = full
    # An appointed supervisor (no "may create cohorts" flag) costs the menu one query more.
    sue = UserFactory(display_name="Sue Supervisor")
    MembershipFactory(cohort=cohort, user=sue, role=Role.SUPERVISOR)
    admin = UserFactory(display_name="Ada Admin", is_programme_admin=True)
    viewers = {"ana": ana, "ben": ben, "sue": sue, "admin": admin}

    _add_items(session, recording, ana, ben, supervisor, 1)
    small = {name: _count(client, user, session)[0] for name, user in viewers.items()}
    _add_items(session, recording, ana, ben, supervisor, 2)
    large, pages = {}, {}
    for name, user in viewers.items():
        large[name], pages[name] = _count(client, user, session)

    assert small == large
    assert max(large.values()) <= LIMIT, large
    ana_page = pages["ana"]
    assert text_by_id(ana_page, "goal").startswith("Your goal from last time Pause more")
    assert "Two perspectives" in ana_page.content.decode()
    assert text_by_id(ana_page, "comments").count("Sam Supervisor") == 3
    assert text_by_id(ana_page, "notes").count("Shared ") == 3
    assert text_by_id(ana_page, "care").count("asked for a check-in") == 3
    assert text_by_id(ana_page, "timeline").count("Reminder sent to Ana, Ben") == 3
    assert text_by_id(pages["ben"], "notes").count("Mine ") == 3
    sue_page = pages["sue"].content.decode()
    assert "feedback received rated 3 of 5 for usefulness" in sue_page
    assert text_by_id(pages["sue"], "notes").count("Mine ") == 3
