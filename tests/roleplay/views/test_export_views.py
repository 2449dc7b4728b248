"""Cohort exports: the sessions CSV and the feedback CSV, for the cohort's supervisors and
programme admins, streamed, guarded against spreadsheet formulas and never holding care flags,
notes or feedback the requester may not read."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from roleplay.csv_stream import csv_chunks, safe_cell
from roleplay.models import (
    CareFlag,
    FeedbackPurpose,
    FeedbackResponse,
    Note,
    NoteKind,
    PairingRole,
    Role,
    Session,
    SessionStatus,
)
from roleplay.selectors.exports import FEEDBACK_COLUMNS, SESSION_COLUMNS
from roleplay.services import feedback, review
from tests.factories import CohortFactory, MembershipFactory, UserFactory
from tests.roleplay.booking_helpers import NOW, make_pairing
from tests.roleplay.feedback_helpers import answers_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def rows_of(response) -> list[dict]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def completed_session(pairing, client, therapist, start):
    session = Session.objects.create(
        pairing=pairing,
        start=start,
        end=start + timedelta(minutes=50),
        status=SessionStatus.COMPLETED,
        proposed_by=client,
    )
    for person, role in ((client, PairingRole.CLIENT), (therapist, PairingRole.THERAPIST)):
        session.seats.create(user=person, role=role, start=session.start, end=session.end)
    return session


def write(session, author, about, purpose, text):
    response = feedback.feedback_start(session=session, author=author, about=about, purpose=purpose)
    feedback.feedback_submit(
        response=response, author=author, answers=answers_for(response.template, text=text)
    )
    return response


@pytest.fixture
def world(cohort, supervisor):
    """Ana (client) and Ben (therapist) practised yesterday; both wrote feedback (Ana's text is a
    spreadsheet formula), so it is revealed; the supervisor wrote theirs and reviewed it. Ana raised a care flag
    and Ben wrote process notes. Another cohort has a session of its own."""
    ana = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ana")).user
    ben = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ben")).user
    pairing = make_pairing(cohort, ana, ben)
    session = completed_session(pairing, ana, ben, NOW - timedelta(days=1))
    write(session, ana, ben, FeedbackPurpose.CLIENT, '=HYPERLINK("http://evil","x")')
    write(session, ben, ana, FeedbackPurpose.THERAPIST, "Ben thinks it went well")
    for trainee in (ana, ben):
        write(session, supervisor, trainee, FeedbackPurpose.SUPERVISOR, "Supervisor's view")
    review.session_review(session=session, supervisor=supervisor)
    CareFlag.objects.create(
        session=session, raised_by=ana, note="CARE-SECRET", raised_at=timezone.now()
    )
    Note.objects.create(
        session=session,
        kind=NoteKind.PROCESS,
        owner=ben,
        author=ben,
        text="PROCESS-SECRET",
        written_at=timezone.now(),
    )
    other = CohortFactory(name="Elsewhere")
    cai = MembershipFactory(cohort=other, user=UserFactory(display_name="Cai")).user
    dee = MembershipFactory(cohort=other, user=UserFactory(display_name="Dee")).user
    elsewhere = completed_session(make_pairing(other, cai, dee), cai, dee, NOW - timedelta(days=2))
    write(elsewhere, cai, dee, FeedbackPurpose.CLIENT, "OTHER-COHORT-SECRET")
    return {"session": session, "ana": ana, "ben": ben, "pairing": pairing}


def test_the_sessions_csv_has_one_row_per_session_with_times_people_and_review(
    client, cohort, supervisor, world
):
    client.force_login(supervisor)
    response = client.post(reverse("cohort_export_sessions", args=[cohort.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="dyad-cohort-{cohort.pk}-sessions-2027-03-01.csv"'
    )
    rows = rows_of(response)
    session = world["session"]
    assert rows == [
        {
            "session_id": str(session.pk),
            "start_utc": "2027-02-28T09:00:00+00:00",
            "end_utc": "2027-02-28T09:50:00+00:00",
            "start_local": "2027-02-28T09:00:00+00:00",
            "end_local": "2027-02-28T09:50:00+00:00",
            "time_zone": "Europe/London",
            "round": "Round A",
            "pairing_id": str(world["pairing"].pk),
            "scenario": "",
            "status": "Completed",
            "client": "Ana",
            "client_id": str(world["ana"].pk),
            "client_attendance": "",
            "therapist": "Ben",
            "therapist_id": str(world["ben"].pk),
            "therapist_attendance": "",
            "observer": "",
            "observer_id": "",
            "observer_attendance": "",
            "reviewed": "yes",
            "reviewed_at_utc": "2027-03-01T09:00:00+00:00",
        }
    ]
    assert list(rows[0]) == SESSION_COLUMNS


def test_the_sessions_csv_gives_local_times_in_the_cohort_zone(client, supervisor, world):
    cohort = world["pairing"].round.cohort
    cohort.time_zone = "America/New_York"
    cohort.save()
    client.force_login(supervisor)

    rows = rows_of(client.post(reverse("cohort_export_sessions", args=[cohort.pk])))

    assert (rows[0]["start_utc"], rows[0]["start_local"], rows[0]["time_zone"]) == (
        "2027-02-28T09:00:00+00:00",
        "2027-02-28T04:00:00-05:00",
        "America/New_York",
    )


def test_the_feedback_csv_has_a_row_per_answer_and_per_score_with_the_template_version(
    client, cohort, supervisor, world
):
    client.force_login(supervisor)

    rows = rows_of(client.post(reverse("cohort_export_feedback", args=[cohort.pk])))

    responses = FeedbackResponse.objects.filter(session=world["session"])
    expected_answers = sum(r.answers.count() for r in responses)
    expected_scores = sum(r.scores.count() for r in responses)
    assert len([r for r in rows if r["row"] == "answer"]) == expected_answers > 10
    assert len([r for r in rows if r["row"] == "score"]) == expected_scores >= 2
    assert list(rows[0]) == FEEDBACK_COLUMNS
    client_form = responses.get(purpose="client")
    likert = next(
        r for r in rows if r["response_id"] == str(client_form.pk) and r["item_kind"] == "likert"
    )
    assert likert | {"item_key": "?"} == {
        "row": "answer",
        "response_id": str(client_form.pk),
        "session_id": str(world["session"].pk),
        "session_start_utc": "2027-02-28T09:00:00+00:00",
        "session_start_local": "2027-02-28T09:00:00+00:00",
        "round": "Round A",
        "author": "Ana",
        "author_id": str(world["ana"].pk),
        "about": "Ben",
        "about_id": str(world["ben"].pk),
        "purpose": "client",
        "template_family": client_form.template.family,
        "template_version": str(client_form.template.version),
        "revision": "1",
        "latest_revision": "yes",
        "submitted_at_utc": "2027-03-01T09:00:00+00:00",
        "item_key": "?",
        "item_kind": "likert",
        "value": "4.0",
        "not_applicable": "no",
        "text": "",
        "subscale": "",
        "score": "",
        "items_used": "",
        "imputed": "",
    }
    total = next(
        r
        for r in rows
        if r["response_id"] == str(client_form.pk)
        and r["row"] == "score"
        and r["subscale"] == "total"
    )
    stored = client_form.scores.get(subscale="")
    assert (total["score"], total["items_used"], total["imputed"]) == (
        str(stored.value),
        str(stored.items_used),
        str(stored.imputed),
    )


def test_the_feedback_csv_guards_against_spreadsheet_formulas(client, cohort, supervisor, world):
    client.force_login(supervisor)

    rows = rows_of(client.post(reverse("cohort_export_feedback", args=[cohort.pk])))

    texts = {r["text"] for r in rows if r["author"] == "Ana" and r["item_kind"] == "text"}
    assert texts == {'\'=HYPERLINK("http://evil","x")'}


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("fine = ok", "fine = ok"),
        ("", ""),
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_gets_a_leading_quote(typed, written):
    assert safe_cell(typed) == written


def test_numbers_dyad_writes_itself_stay_numbers():
    text = "".join(csv_chunks([["score"], [-2], ["-2"]]))
    assert text == "\ufeffscore\r\n-2\r\n'-2\r\n"


def test_exports_never_hold_care_flags_notes_or_another_cohort(client, cohort, supervisor, world):
    client.force_login(supervisor)
    for name in ("cohort_export_sessions", "cohort_export_feedback"):
        response = client.post(reverse(name, args=[cohort.pk]))
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        assert "CARE-SECRET" not in body
        assert "PROCESS-SECRET" not in body
        assert "OTHER-COHORT-SECRET" not in body
        assert "Cai" not in body


def test_drafts_are_not_exported_and_an_amended_form_says_which_revision_is_latest(
    client, cohort, supervisor, world
):
    eve = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Eve")).user
    fay = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Fay")).user
    session = completed_session(
        make_pairing(cohort, eve, fay, name="Round B"), eve, fay, NOW - timedelta(hours=3)
    )
    first = write(session, eve, fay, FeedbackPurpose.CLIENT, "First go")
    amended = feedback.feedback_amend(response=first, author=eve)
    feedback.feedback_submit(
        response=amended, author=eve, answers=answers_for(amended.template, text="Second go")
    )
    draft = feedback.feedback_start(
        session=session, author=fay, about=eve, purpose=FeedbackPurpose.THERAPIST
    )
    feedback.feedback_save_draft(
        response=draft, author=fay, answers=answers_for(draft.template, text="FAY-DRAFT")
    )
    client.force_login(supervisor)

    rows = rows_of(client.post(reverse("cohort_export_feedback", args=[cohort.pk])))

    eves = {(r["revision"], r["latest_revision"], r["text"]) for r in rows if r["author"] == "Eve"}
    assert eves >= {("1", "no", "First go"), ("2", "yes", "Second go")}
    assert "Fay" not in {r["author"] for r in rows}
    assert "FAY-DRAFT" not in {r["text"] for r in rows}


def test_a_programme_admin_exports_any_cohort(client, cohort, admin_user, world):
    client.force_login(admin_user)

    rows = rows_of(client.post(reverse("cohort_export_feedback", args=[cohort.pk])))

    assert {r["author"] for r in rows} == {"Ana", "Ben", "Sam Supervisor"}


def test_trainees_are_refused_and_outsiders_told_nothing_exists(client, cohort, world, outsider):
    client.force_login(world["ana"])
    assert client.post(reverse("cohort_export_feedback", args=[cohort.pk])).status_code == 403
    client.force_login(outsider)
    assert client.post(reverse("cohort_export_sessions", args=[cohort.pk])).status_code == 404


def test_a_former_supervisor_gets_nothing(client, cohort, world):
    from roleplay.services.cohorts import membership_add, membership_end

    former = UserFactory()
    membership = membership_add(cohort=cohort, user=former, role=Role.SUPERVISOR)
    membership_end(membership=membership, ended_by=former)
    client.force_login(former)

    assert client.post(reverse("cohort_export_feedback", args=[cohort.pk])).status_code == 404


def test_each_download_is_written_to_the_audit_log(client, cohort, supervisor, world):
    client.force_login(supervisor)

    client.post(reverse("cohort_export_feedback", args=[cohort.pk]))

    event = AuditEvent.objects.get(action=AuditEvent.Action.DATA_EXPORTED)
    assert (event.actor, event.subject_label, event.data) == (
        supervisor,
        f"cohort {cohort.pk}",
        {"export": "feedback"},
    )


def test_the_cohort_page_offers_both_downloads_to_supervisors_only(
    client, cohort, supervisor, world
):
    client.force_login(supervisor)
    page = client.get(reverse("cohort_detail", args=[cohort.pk])).content.decode()
    assert f'action="/cohorts/{cohort.pk}/export/sessions.csv"' in page
    assert f'action="/cohorts/{cohort.pk}/export/feedback.csv"' in page
    client.force_login(world["ana"])
    page = client.get(reverse("cohort_detail", args=[cohort.pk])).content.decode()
    assert "export/" not in page


def _more_sessions(cohort, supervisor, count):
    for i in range(count):
        a = MembershipFactory(cohort=cohort, user=UserFactory()).user
        b = MembershipFactory(cohort=cohort, user=UserFactory()).user
        session = completed_session(
            make_pairing(cohort, a, b, name=f"Round {i}"), a, b, NOW - timedelta(hours=5 + i * 2)
        )
        write(session, a, b, FeedbackPurpose.CLIENT, "More")


@pytest.mark.parametrize("name", ["cohort_export_sessions", "cohort_export_feedback"])
def test_an_export_costs_the_same_queries_for_one_session_and_for_three(
    client, cohort, supervisor, world, name, django_assert_num_queries
):
    client.force_login(supervisor)

    def queries_for_export() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            response = client.post(reverse(name, args=[cohort.pk]))
            rows_of(response)
        return len(captured)

    one = queries_for_export()
    _more_sessions(cohort, supervisor, 2)
    with django_assert_num_queries(one):
        response = client.post(reverse(name, args=[cohort.pk]))
        rows = rows_of(response)
    assert len({r["session_id"] for r in rows}) == 3


def test_the_sessions_csv_says_who_came_and_names_a_deleted_account_as_dyad_does(
    client, cohort, supervisor, world
):
    session = world["session"]
    session.seats.filter(user=world["ana"]).update(checked_in_at=session.start)
    session.seats.filter(user=world["ben"]).update(no_show=True)
    obi = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Obi")).user
    session.seats.create(
        user=obi, role=PairingRole.OBSERVER, start=session.start, end=session.end, left_cohort=True
    )
    world["ana"].deleted_at = timezone.now()
    world["ana"].save()
    client.force_login(supervisor)

    (row,) = rows_of(client.post(reverse("cohort_export_sessions", args=[cohort.pk])))

    assert [
        row[f"{role}{part}"]
        for role in ("client", "therapist", "observer")
        for part in ("", "_attendance")
    ] == [
        "a former trainee",
        "checked in",
        "Ben",
        "no-show",
        "Obi",
        "left cohort",
    ]
