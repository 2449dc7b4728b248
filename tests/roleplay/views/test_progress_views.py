"""The trainee progress page, the hours log (page and CSV) and the PDF report."""

import csv
import io
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from roleplay.models import (
    CareFlag,
    CohortMembership,
    FeedbackPurpose,
    FeedbackResponse,
    PairingRole,
    Reflection,
    Role,
    SessionReview,
    SessionSeat,
    SessionStatus,
)
from roleplay.services.cohorts import membership_end
from tests.factories import CohortFactory, MembershipFactory, ScenarioFactory, UserFactory
from tests.roleplay.progress_helpers import BASE, practised, submit

pytestmark = pytest.mark.django_db
LATER = BASE + timedelta(days=60)  # every feedback window has closed


@pytest.fixture
def tess(cohort):
    return MembershipFactory(cohort=cohort, user=UserFactory(display_name="Tess Trainee")).user


@pytest.fixture
def pat(cohort):
    return MembershipFactory(cohort=cohort, user=UserFactory(display_name="Pat Partner")).user


def progress_url(cohort, trainee, name="trainee_progress"):
    return reverse(name, kwargs={"pk": cohort.pk, "user_id": trainee.pk})


def get(client, user, url, *, at=LATER):
    """GET as `user` at `at` (signed in then: a session made today would have expired)."""
    with time_machine.travel(at, tick=False):
        client.force_login(user)
        return client.get(url)


# --- who may open it -------------------------------------------------------------------------

PAGES = ["trainee_progress", "trainee_hours", "trainee_hours_csv", "trainee_report_pdf"]


@pytest.mark.parametrize("name", PAGES)
def test_progress_pages_open_to_trainee_supervisor_and_admin_only(
    client, cohort, supervisor, admin_user, tess, pat, name
):
    practised(cohort, tess, pat, day=1, client_likert=4, self_likert=4)
    elsewhere = CohortFactory(name="Year 9")
    other_supervisor = MembershipFactory(cohort=elsewhere, role=Role.SUPERVISOR).user
    url = progress_url(cohort, tess, name)
    statuses = {
        who.display_name: get(client, who, url).status_code
        for who in (tess, supervisor, admin_user, pat, other_supervisor)
    }
    assert statuses == {
        "Tess Trainee": 200,
        "Sam Supervisor": 200,
        admin_user.display_name: 200,
        "Pat Partner": 404,
        other_supervisor.display_name: 404,
    }


def test_progress_of_a_trainee_who_left_is_for_supervisors_not_themself(
    client, cohort, supervisor, tess
):
    membership_end(
        membership=CohortMembership.objects.get(cohort=cohort, user=tess), ended_by=supervisor
    )
    url = progress_url(cohort, tess)
    assert get(client, tess, url).status_code == 404
    assert get(client, supervisor, url).status_code == 200


def test_progress_of_a_supervisor_is_not_a_page(client, cohort, supervisor, admin_user):
    assert get(client, admin_user, progress_url(cohort, supervisor)).status_code == 404


def test_my_progress_redirects_a_trainee_of_one_cohort(client, cohort, tess):
    response = get(client, tess, reverse("my_progress"))
    assert response.status_code == 302
    assert response["Location"] == progress_url(cohort, tess)


def test_my_progress_lists_cohorts_of_a_trainee_in_two(client, cohort, tess):
    second = CohortFactory(name="Summer school")
    MembershipFactory(cohort=second, user=tess)
    response = get(client, tess, reverse("my_progress"))
    body = response.content.decode()
    assert response.status_code == 200
    assert progress_url(cohort, tess) in body
    assert progress_url(second, tess) in body


def test_my_progress_says_so_to_someone_training_nowhere(client, supervisor):
    body = get(client, supervisor, reverse("my_progress")).content.decode()
    assert "not a trainee in any cohort" in body


# --- the plots -------------------------------------------------------------------------------


def test_progress_with_no_feedback_says_so_and_draws_no_chart(client, cohort, tess, pat):
    practised(cohort, tess, pat, day=1)  # practised, but no form was submitted
    body = get(client, tess, progress_url(cohort, tess)).content.decode()
    assert body.count("No sessions with feedback yet.") == 2
    assert '<svg class="chart"' not in body


def test_progress_with_one_session_draws_single_points(client, cohort, tess, pat):
    practised(cohort, tess, pat, day=1, client_likert=4, self_likert=3)
    body = get(client, tess, progress_url(cohort, tess)).content.decode()
    empathy = _svg(body, "chart-empathy")
    # A dot for each side and no line: one session has nothing to join.
    assert empathy.count('<circle class="marker"') == 2  # the point and its legend
    assert empathy.count('<rect class="marker"') == 2
    assert "<polyline" not in empathy
    assert "One session so far" in body
    # Client 9×4 + reversed "judged" (2) = 38; own 9×3 + 3 = 30; the gap is client − own.
    assert _table(body, "table-empathy") == [["2 Mar 2027", "38.00", "30.00", "8.00"]]


def test_progress_with_many_sessions_plots_the_gap_narrowing(client, cohort, tess, pat):
    for day, (client_likert, self_likert) in enumerate([(2, 5), (3, 4), (4, 4)], start=1):
        practised(cohort, tess, pat, day=day, client_likert=client_likert, self_likert=self_likert)
    body = get(client, supervisor_of(cohort), progress_url(cohort, tess)).content.decode()
    assert _table(body, "table-empathy") == [
        ["2 Mar 2027", "22.00", "46.00", "-24.00"],
        ["3 Mar 2027", "30.00", "38.00", "-8.00"],
        ["4 Mar 2027", "38.00", "38.00", "0.00"],
    ]
    empathy = _svg(body, "chart-empathy")
    assert empathy.count("<polyline") == 2  # the client's line and the own line
    # The client's subscales over time, each with its own chart and table.
    assert 'id="chart-client-felt_understood"' in body
    assert _table(body, "table-client-session_rating") == [
        ["2 Mar 2027", "32.00"],
        ["3 Mar 2027", "32.00"],
        ["4 Mar 2027", "32.00"],
    ]


def test_progress_hides_the_clients_rating_from_the_trainee_until_the_reveal(
    client, cohort, supervisor, tess, pat
):
    """Only the client has submitted, so nothing is revealed: the trainee's page shows no
    client rating (invariant 3), while the supervisor's shows it."""
    session = practised(cohort, tess, pat, day=1, client_likert=4)
    assert not hasattr(session, "reveal") or session.reveal is None
    trainee_body = get(client, tess, progress_url(cohort, tess)).content.decode()
    assert "No sessions with feedback yet." in trainee_body
    assert "38.00" not in trainee_body
    supervisor_body = get(client, supervisor, progress_url(cohort, tess)).content.decode()
    assert _table(supervisor_body, "table-empathy") == [["2 Mar 2027", "38.00", "—", "—"]]


def test_progress_reads_stored_scores_not_the_answers(client, cohort, tess, pat):
    """A score is what was stored at submit: change the stored score and the page follows."""
    session = practised(cohort, tess, pat, day=1, client_likert=4, self_likert=4)
    response = FeedbackResponse.objects.get(session=session, purpose=FeedbackPurpose.CLIENT)
    response.scores.filter(subscale="felt_understood").update(value=41)
    body = get(client, tess, progress_url(cohort, tess)).content.decode()
    assert _table(body, "table-empathy") == [["2 Mar 2027", "41.00", "38.00", "3.00"]]


# --- practice, on time, goals -----------------------------------------------------------------


def test_progress_totals_hours_per_role(client, cohort, tess, pat):
    practised(cohort, tess, pat, day=1, role=PairingRole.THERAPIST, minutes=50)
    practised(cohort, tess, pat, day=2, role=PairingRole.CLIENT, minutes=45)
    practised(cohort, tess, pat, day=3, role=PairingRole.THERAPIST, minutes=60)
    practised(cohort, tess, pat, day=4, minutes=50, status=SessionStatus.CANCELLED)
    missed = practised(cohort, tess, pat, day=5, minutes=50, status=SessionStatus.NO_SHOW)
    SessionSeat.objects.filter(session=missed, user=tess).update(no_show=True)
    body = get(client, tess, progress_url(cohort, tess, "trainee_hours")).content.decode()
    # Therapist 50 + 60 = 110 minutes = 1.8 h; client 45 = 0.8 h; all 155 = 2.6 h.
    assert _table(body, "progress-totals", by="class") == [
        ["Client", "1", "45", "0.8"],
        ["Therapist", "2", "110", "1.8"],
        ["Observer", "0", "0", "0.0"],
        ["All roles", "3", "155", "2.6"],
    ]


def test_progress_counts_feedback_given_on_time(client, cohort, tess, pat):
    on_time = practised(cohort, tess, pat, day=1, self_likert=4)
    late = practised(cohort, tess, pat, day=2, self_likert=4)
    FeedbackResponse.objects.filter(session=late, author=tess).update(
        submitted_at=late.end + timedelta(days=cohort.feedback_window_days, hours=1)
    )
    practised(cohort, tess, pat, day=3)  # missed: nothing written, window closed
    assert on_time.pk
    # Day 30: the three windows (7 days) have closed; a session on day 29 is still open.
    practised(cohort, tess, pat, day=29)
    body = get(client, tess, progress_url(cohort, tess), at=BASE + timedelta(days=30))
    body = body.content.decode()
    assert "<strong>33%</strong> on time: 1 of 3 forms due" in body
    assert "1 late, 1 missed; 1 still open." in body


def test_progress_shows_current_goal_and_whether_earlier_ones_were_tried(client, cohort, tess, pat):
    first = practised(cohort, tess, pat, day=1)
    second = practised(cohort, tess, pat, day=2)
    third = practised(cohort, tess, pat, day=3)
    Reflection.objects.create(session=first, trainee=tess, goal="Slow down", goal_tried="yes")
    Reflection.objects.create(session=second, trainee=tess, goal="Name feelings", goal_tried="no")
    Reflection.objects.create(
        session=third, trainee=tess, goal="Summarise more", text="PRIVATE-REFLECTION"
    )
    body = get(client, supervisor_of(cohort), progress_url(cohort, tess)).content.decode()
    assert "<strong>Summarise more</strong>" in body
    assert "1 of 2 earlier goals tried." in body
    assert _table(body, "goals", by="class") == [
        ["3 Mar 2027", "Name feelings", "Not yet"],
        ["2 Mar 2027", "Slow down", "Yes"],
    ]
    assert "PRIVATE-REFLECTION" not in body


def test_progress_hours_and_report_never_show_care_flags(client, cohort, supervisor, tess, pat):
    session = practised(cohort, tess, pat, day=1, role=PairingRole.CLIENT, client_likert=4)
    CareFlag.objects.create(
        session=session, raised_by=tess, note="PRIVATE-CARE", raised_at=session.start
    )
    for name in PAGES:
        response = get(client, supervisor, progress_url(cohort, tess, name))
        content = _content(response)
        assert "PRIVATE-CARE" not in content, name
        assert "touched something personal" not in content, name


# --- the hours log -----------------------------------------------------------------------------


def test_hours_log_lists_each_session_with_scenario_and_review(
    client, cohort, supervisor, tess, pat
):
    scenario = ScenarioFactory(title="Grief at work")
    reviewed = practised(cohort, tess, pat, day=1, scenario=scenario)
    SessionReview.objects.create(session=reviewed, reviewed_by=supervisor, reviewed_at=LATER)
    practised(cohort, tess, pat, day=2, role=PairingRole.CLIENT, minutes=45)
    body = get(client, tess, progress_url(cohort, tess, "trainee_hours")).content.decode()
    # Tess is in London: 10:00 UTC on 2 March is 10:00 GMT.
    assert _table(body, "hours-log", by="class") == [
        ["2 Mar 2027, 10:00", "Therapist", "50", "Grief at work", "Yes"],
        ["3 Mar 2027, 10:00", "Client", "45", "—", "Not yet"],
    ]


def test_hours_csv_is_streamed_with_totals_per_role(client, cohort, tess, pat):
    practised(cohort, tess, pat, day=1, scenario=ScenarioFactory(title="=HYPERLINK(evil)"))
    practised(cohort, tess, pat, day=2, role=PairingRole.CLIENT, minutes=45)
    practised(cohort, tess, pat, day=3, minutes=60)
    tess.time_zone = "America/New_York"
    tess.save(update_fields=["time_zone"])
    response = get(client, tess, progress_url(cohort, tess, "trainee_hours_csv"))
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="practice-hours-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [
        ["date", "start", "role", "minutes", "scenario", "supervisor_reviewed"],
        # 10:00 UTC is 05:00 in New York (before the clocks change on 14 March).
        ["2027-03-02", "05:00", "Therapist", "50", "'=HYPERLINK(evil)", "no"],
        ["2027-03-03", "05:00", "Client", "45", "", "no"],
        ["2027-03-04", "05:00", "Therapist", "60", "", "no"],
        ["total", "", "Client", "45", "", ""],
        ["total", "", "Therapist", "110", "", ""],
        ["total", "", "Observer", "0", "", ""],
        ["total", "", "all roles", "155", "", ""],
    ]


# --- the report ------------------------------------------------------------------------------


def test_report_pdf_is_a_pdf_with_the_trainees_name_and_figures(client, cohort, tess, pat, caplog):
    practised(cohort, tess, pat, day=1, client_likert=2, self_likert=5)
    practised(cohort, tess, pat, day=2, client_likert=4, self_likert=4)
    response = get(client, supervisor_of(cohort), progress_url(cohort, tess, "trainee_report_pdf"))
    assert "unsupported SVG" not in caplog.text  # the charts are drawn whole
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Progress report: Tess Trainee" in text
    assert "Year 1" in text
    assert "22" in text and "46" in text and "-24" in text  # the first session's gap
    assert "100% on time: 2 of 2 forms due" in text


def test_report_pdf_draws_its_charts_itself_with_their_legends(
    client, cohort, tess, pat, monkeypatch
):
    """Parsing each chart's SVG back through fpdf2 made a 95-session report 50x a minimal
    page's time (issue 10): the charts are drawn with fpdf2's lines and shapes, never as an
    image, and still carry their legend and axis labels."""
    from fpdf import FPDF

    def no_images(*args, **kwargs):
        raise AssertionError("a chart was drawn through fpdf2's image()")

    monkeypatch.setattr(FPDF, "image", no_images)
    practised(cohort, tess, pat, day=1, client_likert=2, self_likert=5)
    practised(cohort, tess, pat, day=2, client_likert=4, self_likert=4)
    response = get(client, supervisor_of(cohort), progress_url(cohort, tess, "trainee_report_pdf"))
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Client's rating" in text and "Own rating" in text  # the empathy chart's legend
    assert text.count("Session") >= 2  # its table follows it


def test_report_pdf_embeds_a_font_only_for_letters_outside_latin_1(client, cohort, tess, pat):
    practised(cohort, tess, pat, day=1, client_likert=4, self_likert=4)
    supervisor = supervisor_of(cohort)
    url = progress_url(cohort, tess, "trainee_report_pdf")
    plain = get(client, supervisor, url).content
    assert b"DejaVu" not in plain and b"Helvetica" in plain
    tess.display_name = "Zofia Łukasiewicz"
    tess.save(update_fields=["display_name"])
    embedded = get(client, supervisor, url).content
    assert b"DejaVu" in embedded
    text = PdfReader(io.BytesIO(embedded)).pages[0].extract_text()
    assert "Progress report: Zofia Łukasiewicz" in text


def test_progress_page_has_a_print_stylesheet(client, cohort, tess):
    body = get(client, tess, progress_url(cohort, tess)).content.decode()
    assert "css/progress.css" in body
    from django.contrib.staticfiles import finders

    with open(finders.find("css/progress.css")) as sheet:
        assert "@media print" in sheet.read()


# --- queries ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["trainee_progress", "trainee_hours"])
def test_progress_queries_do_not_grow_with_sessions(
    client, cohort, tess, pat, django_assert_max_num_queries, name
):
    supervisor = supervisor_of(cohort)
    url = progress_url(cohort, tess, name)

    def count() -> int:
        with time_machine.travel(LATER, tick=False):
            client.force_login(supervisor)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    _full_session(cohort, supervisor, tess, pat, day=1)
    one = count()
    for day in (2, 3):
        _full_session(cohort, supervisor, tess, pat, day=day)
    with time_machine.travel(LATER, tick=False):
        client.force_login(supervisor)
        with django_assert_max_num_queries(15):
            assert client.get(url).status_code == 200
    assert count() == one


# --- helpers ---------------------------------------------------------------------------------


def supervisor_of(cohort):
    return CohortMembership.objects.get(cohort=cohort, role=Role.SUPERVISOR).user


def _full_session(cohort, supervisor, tess, pat, *, day):
    """A session with every kind of feedback and a goal: all that the page reads."""
    session = practised(
        cohort, tess, pat, day=day, client_likert=4, self_likert=3, scenario=ScenarioFactory()
    )
    with time_machine.travel(session.end + timedelta(hours=2), tick=False):
        submit(session, supervisor, tess, FeedbackPurpose.SUPERVISOR, 4)
    Reflection.objects.create(session=session, trainee=tess, goal=f"Goal {day}", goal_tried="yes")
    SessionReview.objects.update_or_create(
        session=session, defaults={"reviewed_by": supervisor, "reviewed_at": LATER}
    )


def _svg(body: str, chart_id: str) -> str:
    start = body.index(f'id="{chart_id}"')
    return body[start : body.index("</svg>", start)]


def _content(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    if response["Content-Type"] == "application/pdf":
        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    return response.content.decode()


class _TableReader(HTMLParser):
    """The body rows (tbody and tfoot, not the headings) of the first table whose `by`
    attribute is `ident`, each cell's text with spaces squeezed."""

    def __init__(self, ident: str, by: str):
        super().__init__()
        self.ident, self.by = ident, by
        self.inside = self.done = self.in_head = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and not self.done and self.ident in (attrs.get(self.by) or "").split():
            self.inside = True
        elif self.inside and tag == "thead":
            self.in_head = True
        elif self.inside and not self.in_head and tag == "tr":
            self.rows.append([])
        elif self.inside and not self.in_head and tag in ("td", "th") and self.rows:
            self.cell = []

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "thead":
            self.in_head = False
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table":
            self.inside, self.done = False, True

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def _table(body: str, ident: str, *, by: str = "id") -> list[list[str]]:
    reader = _TableReader(ident, by)
    reader.feed(body)
    assert reader.done, f"no table with {by} {ident}"
    return reader.rows
