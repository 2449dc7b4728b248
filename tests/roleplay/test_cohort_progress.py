"""The supervisor's cohort view: who may open it, the figures and attention rules worked out by
hand on a three-trainee cohort, and its query count pinned at one and three trainees."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from roleplay.models import (
    FeedbackPurpose,
    Pairing,
    PairingMember,
    PairingRole,
    Role,
    Session,
    SessionSeat,
    SessionStatus,
)
from roleplay.selectors.cohort_progress import cohort_progress, gap_widening, scores_falling
from roleplay.services import feedback, record
from tests.factories import MembershipFactory, RoundFactory, UserFactory
from tests.roleplay.feedback_helpers import answers_for

pytestmark = pytest.mark.django_db
D = Decimal
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


# --- the rules, by hand ------------------------------------------------------------------------


def test_scores_fall_when_each_of_the_last_two_is_below_the_earlier_mean():
    assert scores_falling([D(40), D(42), D(38), D(35)])  # earlier mean 41
    assert not scores_falling([D(40), D(30), D(41), D(34)])  # earlier mean 35: 41 is not below
    assert not scores_falling([D(40), D(30), D(34), D(35)])  # earlier mean 35: 35 is not below
    assert scores_falling([D(46), D(30), D(22)])  # three scores are enough
    assert not scores_falling([D(46), D(22)])  # two are not: nothing earlier to compare


def test_gap_widens_when_each_of_the_last_two_is_larger_than_the_earlier_mean_size():
    assert gap_widening([D(-2), D(2), D(-5), D(4)])  # sizes 2, 2 then 5, 4
    assert not gap_widening([D(-2), D(6), D(-5), D(4)])  # earlier size 4: 4 is not above
    assert gap_widening([D(0), D(0), D(-16), D(-24)])
    assert not gap_widening([D(0), D(-16)])


# --- a small cohort, worked by hand ------------------------------------------------------------


def _trainee(cohort, name):
    return MembershipFactory(cohort=cohort, user=UserFactory(display_name=name)).user


def _session(cohort, supervisor, seats, start, *, status=SessionStatus.COMPLETED, absent=()):
    """A session of its own round and pairing; `seats` is [(person, role)]."""
    round_ = RoundFactory(cohort=cohort, opens=start - timedelta(days=7), closes=start)
    pairing = Pairing.objects.create(round=round_)
    for person, role in seats:
        PairingMember.objects.create(pairing=pairing, round=round_, trainee=person, role=role)
    session = Session.objects.create(
        pairing=pairing,
        start=start,
        end=start + timedelta(hours=1),
        status=status,
        proposed_by=supervisor,
    )
    for person, role in seats:
        SessionSeat.objects.create(
            session=session,
            user=person,
            role=role,
            start=session.start,
            end=session.end,
            active=status == SessionStatus.COMPLETED,
            no_show=person in absent,
        )
    return session


def _submit(session, author, about, purpose, likert):
    """Submitted an hour after the session ends (well inside the window)."""
    with time_machine.travel(session.end + timedelta(hours=1), tick=False):
        response = feedback.feedback_start(
            session=session, author=author, about=about, purpose=purpose
        )
        feedback.feedback_submit(
            response=response, author=author, answers=answers_for(response.template, likert=likert)
        )


def _both(session, client, therapist, *, client_likert, therapist_likert):
    _submit(session, client, therapist, FeedbackPurpose.CLIENT, client_likert)
    _submit(session, therapist, client, FeedbackPurpose.THERAPIST, therapist_likert)


def _reflect(session, trainee, usefulness):
    with time_machine.travel(session.end + timedelta(hours=2), tick=False):
        feedback.reflection_save(
            session=session, trainee=trainee, usefulness=usefulness, text="", goal=""
        )


@pytest.fixture
def three(cohort, supervisor):
    """Ana is the therapist four times, her clients feeling less understood while she rates
    herself as high as ever; Ben missed a session; Cem asked for a check-in.

    Built-in forms, all ten "felt understood" items at the same answer (one reverse-scored):
    answering 5 stores 46, 3 stores 30, 2 stores 22. Ana always answers 5 about herself (46)."""
    ana, ben, cem = (_trainee(cohort, n) for n in ("Ana", "Ben", "Cem"))
    C, T = PairingRole.CLIENT, PairingRole.THERAPIST
    day = timedelta(days=1)
    s1 = _session(cohort, supervisor, [(ben, C), (ana, T)], NOW - 40 * day)
    s2 = _session(cohort, supervisor, [(cem, C), (ana, T)], NOW - 30 * day)
    s3 = _session(cohort, supervisor, [(ben, C), (ana, T)], NOW - 20 * day)
    s4 = _session(cohort, supervisor, [(cem, C), (ana, T)], NOW - 10 * day)
    # Ben did not come; and in a session of their own, nobody wrote anything.
    _session(
        cohort, supervisor, [(ben, C), (cem, T)], NOW - 15 * day, status="no_show", absent=[ben]
    )
    s6 = _session(cohort, supervisor, [(cem, C), (ben, T)], NOW - 12 * day)
    _both(s1, ben, ana, client_likert=5, therapist_likert=5)
    _both(s2, cem, ana, client_likert=5, therapist_likert=5)
    _both(s3, ben, ana, client_likert=3, therapist_likert=5)
    _both(s4, cem, ana, client_likert=2, therapist_likert=5)
    _reflect(s1, ben, 4)
    _reflect(s3, ben, 2)
    _reflect(s2, cem, 5)
    _reflect(s1, ana, 3)  # on Ben's feedback
    with time_machine.travel(s4.end + timedelta(hours=3), tick=False):
        record.care_flag_raise(session=s4, user=cem, note="PRIVATE-NOTE")
    return {"ana": ana, "ben": ben, "cem": cem, "s4": s4, "s6": s6}


def _figures(row):
    return (
        row.user.display_name,
        row.completed,
        row.roles_completed,
        row.submitted,
        row.due,
        row.on_time,
        None if row.usefulness is None else round(row.usefulness, 2),
        row.usefulness_ratings,
        row.partners_met,
    )


def test_figures_of_each_trainee_worked_by_hand(cohort, three):
    progress = cohort_progress(cohort, shows_care=True, now=NOW)

    assert [_figures(row) for row in progress.rows] == [
        # Ana: four forms in four sessions; rated 4, 2 (Ben) and 5 (Cem) → 3.67.
        ("Ana", 4, "4 T", 4, 4, 4, D("3.67"), 3, 2),
        # Ben: his form for session 6 is missing (its window has closed); Ana rated his 3.
        ("Ben", 3, "2 C · 1 T", 2, 3, 2, D("3.00"), 1, 2),
        # Cem: likewise missing his session-6 form; nobody rated his feedback.
        ("Cem", 3, "3 C", 2, 3, 2, None, 0, 2),
    ]


def test_matrix_counts_completed_sessions_by_the_row_trainees_role(cohort, three):
    rows = cohort_progress(cohort, shows_care=True, now=NOW).rows
    matrix = [[None if c is None else (c.total, c.roles) for c in row.cells] for row in rows]

    assert matrix == [
        [None, (2, "2 T"), (2, "2 T")],  # Ana
        [(2, "2 C"), None, (1, "1 T")],  # Ben: the no-show session is not a meeting
        [(2, "2 C"), (1, "1 C"), None],  # Cem
    ]


def test_attention_list_names_each_rule_met(cohort, three):
    progress = cohort_progress(cohort, shows_care=True, now=NOW)
    attention = {
        row.user.display_name: [(a.kind, a.text, a.session_ids) for a in row.attention]
        for row in progress.attention
    }

    assert attention == {
        "Ana": [
            ("falling", "Client-rated scores falling: last two 30, 22, before 46", []),
            ("gap", "Perspective gap widening: last two -16, -24, before ±0 on average", []),
        ],
        "Ben": [("missed", "Missed sessions: 1 no-show", [])],
        "Cem": [("care", "1 open care request to acknowledge", [three["s4"].pk])],
    }


def test_acknowledged_care_requests_and_viewers_who_do_not_supervise_see_none(
    cohort, three, supervisor
):
    assert [r.user.display_name for r in cohort_progress(cohort, shows_care=False).attention] == [
        "Ana",
        "Ben",
    ]
    flag = three["s4"].care_flags.get()
    record.care_flag_acknowledge(flag=flag, supervisor=supervisor)
    assert "Cem" not in [
        r.user.display_name for r in cohort_progress(cohort, shows_care=True).attention
    ]


def test_a_shortened_window_counts_earlier_submissions_as_late(cohort, three):
    """On time is measured against the window as it is now: forms submitted an hour after the
    session stay on time, so only a window under an hour would make them late."""
    cohort.feedback_window_days = 1
    cohort.save()
    rows = cohort_progress(cohort, shows_care=True, now=NOW).rows
    assert [(r.submitted, r.on_time) for r in rows] == [(4, 4), (2, 2), (2, 2)]


# --- the page ---------------------------------------------------------------------------------


def test_supervisor_sees_the_page_with_links_to_each_progress_page(
    client, cohort, three, supervisor
):
    client.force_login(supervisor)
    page = client.get(reverse("cohort_progress", args=[cohort.pk])).content.decode()

    ana = three["ana"]
    assert reverse("trainee_progress", args=[cohort.pk, ana.pk]) in page
    assert "Client-rated scores falling: last two 30, 22, before 46" in page
    assert "1 open care request to acknowledge" in page
    assert reverse("session_detail", args=[three["s4"].pk]) in page
    assert "PRIVATE-NOTE" not in page
    assert "3.7 of 5" in page
    assert "2 T" in page


def test_cohort_page_links_to_the_view_for_supervisors_only(client, cohort, three, supervisor):
    url = reverse("cohort_progress", args=[cohort.pk])
    client.force_login(supervisor)
    assert url in client.get(reverse("cohort_detail", args=[cohort.pk])).content.decode()
    client.force_login(three["ana"])
    assert url not in client.get(reverse("cohort_detail", args=[cohort.pk])).content.decode()


def test_admin_who_does_not_supervise_sees_figures_but_no_care_requests(
    client, cohort, three, admin_user
):
    client.force_login(admin_user)
    page = client.get(reverse("cohort_progress", args=[cohort.pk])).content.decode()
    assert "Client-rated scores falling" in page
    assert "care request" not in page


@pytest.mark.parametrize("who", ["ana", "other_supervisor", "outsider"])
def test_trainees_and_other_supervisors_are_told_it_does_not_exist(client, cohort, three, who):
    if who == "ana":
        viewer = three["ana"]
    elif who == "other_supervisor":
        viewer = MembershipFactory(role=Role.SUPERVISOR).user
    else:
        viewer = MembershipFactory(role=Role.TRAINEE).user
    client.force_login(viewer)
    assert client.get(reverse("cohort_progress", args=[cohort.pk])).status_code == 404


def _many(cohort, supervisor, n):
    """n trainees, each the therapist once with the next as client, both forms in, rated."""
    people = [_trainee(cohort, f"T{i}") for i in range(n)]
    for i, person in enumerate(people):
        client = people[(i + 1) % n] if n > 1 else _trainee(cohort, "Partner")
        s = _session(
            cohort,
            supervisor,
            [(client, PairingRole.CLIENT), (person, PairingRole.THERAPIST)],
            NOW - timedelta(days=10 + i),
        )
        _both(s, client, person, client_likert=4, therapist_likert=4)
        _reflect(s, client, 4)
        with time_machine.travel(s.end + timedelta(hours=3), tick=False):
            record.care_flag_raise(session=s, user=client, note="")
    return people


@pytest.mark.parametrize("n", [1, 3])
def test_page_queries_do_not_grow_with_trainees_or_sessions(
    client, cohort, supervisor, django_assert_num_queries, n
):
    _many(cohort, supervisor, n)
    client.force_login(supervisor)
    url = reverse("cohort_progress", args=[cohort.pk])
    with django_assert_num_queries(12):
        response = client.get(url)
    assert response.content.decode().count("open care request to acknowledge") == n


def test_an_amended_form_is_read_as_amended(cohort, supervisor):
    """Ben rated Ana low, then amended his form before the reveal: the amendment is his rating."""
    ana, ben = _trainee(cohort, "Ana"), _trainee(cohort, "Ben")
    s = _session(cohort, supervisor, [(ben, PairingRole.CLIENT), (ana, PairingRole.THERAPIST)], NOW)
    _submit(s, ben, ana, FeedbackPurpose.CLIENT, 2)
    with time_machine.travel(s.end + timedelta(hours=1, minutes=5), tick=False):
        first = s.feedback.get(author=ben)
        draft = feedback.feedback_amend(response=first, author=ben)
        feedback.feedback_submit(
            response=draft, author=ben, answers=answers_for(draft.template, likert=5)
        )
    _submit(s, ana, ben, FeedbackPurpose.THERAPIST, 5)

    row = next(r for r in cohort_progress(cohort, shows_care=True, now=NOW).rows if r.user == ana)
    assert (row.client_scores, row.gaps) == ([D(46)], [D(0)])
    ben_row = next(
        r for r in cohort_progress(cohort, shows_care=True, now=NOW).rows if r.user == ben
    )
    assert (ben_row.submitted, ben_row.due) == (1, 1)  # one form, whatever its revisions


def test_a_cohort_without_trainees_says_so(client, cohort, supervisor):
    client.force_login(supervisor)
    page = client.get(reverse("cohort_progress", args=[cohort.pk])).content.decode()
    assert "No trainees have joined yet." in page
    assert "Nobody needs attention now." in page


def sqlite_connection():
    """A SQLite connection (never opened) to compile queries for, as `make run` uses SQLite."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    settings = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "OPTIONS": {},
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {},
    }
    return DatabaseWrapper(settings, alias="sqlite_compile_check")


def test_feedback_window_compiles_for_sqlite_as_make_run_uses(cohort):
    """SQLite cannot multiply a duration: the window (days times one day) made the page fail under
    `make run` with "Invalid arguments for operator *"; it is the cohort's constant now."""
    from roleplay.selectors.cohort_progress import _closes_at

    seats = SessionSeat.objects.annotate(closes_at=_closes_at(cohort)).filter(closes_at__lte=NOW)
    sql, _ = seats.query.get_compiler(connection=sqlite_connection()).as_sql()
    assert "django_format_dtdelta" in sql


def test_review_queue_window_compiles_for_sqlite_as_make_run_uses():
    """The review queue (which the demo sends a supervisor to) failed under `make run` with
    "Invalid arguments for operator *", as the cohort view did."""
    from roleplay.selectors.review import _closes_at

    sessions = Session.objects.annotate(closes_at=_closes_at("sqlite")).filter(closes_at__lte=NOW)
    sql, _ = sessions.query.get_compiler(connection=sqlite_connection()).as_sql()
    assert "django_format_dtdelta" in sql


def test_only_the_trainee_who_cancelled_late_has_a_late_cancellation(cohort, supervisor):
    """Dee cancelled one session late and one in good time; Eli, her partner both times, cancelled
    nothing. Neither cancelled session is a meeting or a completed session for either of them."""
    dee, eli = _trainee(cohort, "Dee"), _trainee(cohort, "Eli")
    seats = [(dee, PairingRole.CLIENT), (eli, PairingRole.THERAPIST)]
    for days, late in ((20, True), (10, False)):
        session = _session(
            cohort, supervisor, seats, NOW - timedelta(days=days), status=SessionStatus.CANCELLED
        )
        Session.objects.filter(pk=session.pk).update(cancelled_by=dee, late_cancellation=late)

    rows = {r.user.display_name: r for r in cohort_progress(cohort, shows_care=True, now=NOW).rows}

    assert [(n, r.late_cancellations, r.no_shows, r.completed) for n, r in rows.items()] == [
        ("Dee", 1, 0, 0),
        ("Eli", 0, 0, 0),
    ]
    assert [a.text for a in rows["Dee"].attention] == ["Missed sessions: 1 late cancellation"]
    assert rows["Dee"].partners_met == rows["Eli"].partners_met == 0
