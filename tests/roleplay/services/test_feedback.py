"""Feedback services: forms owed, messages, drafts, submit, scores, versions, reveal, reflection."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roleplay.models import (
    CohortMembership,
    FeedbackPurpose,
    FeedbackResponse,
    FeedbackReveal,
    FeedbackTemplate,
    Message,
    MessageKind,
    MessageState,
    ResponseState,
    RevealPolicy,
    Role,
    Session,
    SessionStatus,
)
from roleplay.permissions import feedback_visible_to, reflections_visible_to
from roleplay.selectors.accounts import personal_data
from roleplay.selectors.feedback import feedback_overview, perspective_gap, with_details
from roleplay.services import booking, feedback, periodic
from roleplay.services.cohorts import membership_end
from roleplay.services.feedback import AnswerValue, FeedbackRefused
from tests.factories import MembershipFactory, UserFactory
from tests.roleplay.booking_helpers import NOW, make_pairing
from tests.roleplay.feedback_helpers import START, answers_for, client_and_therapist_drafts

pytestmark = pytest.mark.django_db


@pytest.fixture
def ended(cohort, supervisor):
    """Ana (client role) and Ben (therapist role) have just finished a session; the clock stands
    one hour after its end."""
    ana = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ana")).user
    ben = MembershipFactory(cohort=cohort, user=UserFactory(display_name="Ben")).user
    with time_machine.travel(NOW, tick=False):
        pairing = make_pairing(cohort, ana, ben)
        session = booking.session_schedule_directly(
            pairing=pairing, supervisor=supervisor, start=START
        )
    clock = time_machine.travel(session.end + timedelta(hours=1), tick=False)
    clock.start()
    periodic.sessions_complete()
    session.refresh_from_db()
    yield session, ana, ben
    clock.stop()


def submit(response, author, **values):
    return feedback.feedback_submit(
        response=response, author=author, answers=answers_for(response.template, **values)
    )


def submit_both(session, ana, ben, **values):
    client, therapist = client_and_therapist_drafts(session, ana, ben)
    submit(client, ana, **values)
    submit(therapist, ben, **values)
    return client, therapist


def feedback_messages(user):
    return Message.objects.filter(recipient=user, dedupe_key__startswith="feedback:")


# --- templates --------------------------------------------------------------------------------


def test_builtin_templates_ship_five_forms_with_their_licence_note():
    current = FeedbackTemplate.objects.filter(is_current=True, family__startswith="builtin-")
    assert sorted(current.values_list("purpose", flat=True)) == sorted(FeedbackPurpose.values)
    assert all("Written for Dyad" in t.licence_note for t in current)
    client = current.get(purpose=FeedbackPurpose.CLIENT)
    kinds = list(client.items.values_list("kind", "subscale", "allow_na"))
    assert kinds.count(("likert", "felt_understood", True)) == 10
    assert [k for k, s, _ in kinds].count("slider") == 4
    assert client.items.get(key="more_warmth").kind == "choice"
    therapist = current.get(purpose=FeedbackPurpose.THERAPIST)
    parallel = set(therapist.items.exclude(parallel_key="").values_list("parallel_key", flat=True))
    assert parallel == set(
        client.items.filter(subscale="felt_understood").values_list("key", flat=True)
    )


# --- who writes what, and the messages ----------------------------------------------------------


def test_session_end_asks_each_trainee_for_their_own_form(ended):
    session, ana, ben = ended
    request = feedback_messages(ana).get(kind=MessageKind.SESSION_ENDED)
    assert request.subject == "How did it go? Your feedback is waiting"
    assert request.link == f"/sessions/{session.pk}/feedback/client/{ben.pk}/"
    assert feedback_messages(ben).get(kind=MessageKind.SESSION_ENDED).link == (
        f"/sessions/{session.pk}/feedback/therapist/{ana.pk}/"
    )
    due = {m.dedupe_key.rsplit(":", 1)[1]: m.due_at for m in feedback_messages(ana)}
    assert due == {
        "request": session.end,
        "24h": session.end + timedelta(hours=24),
        "72h": session.end + timedelta(hours=72),
        "closing": session.end + timedelta(days=7) - timedelta(hours=24),
    }
    periodic.sessions_complete()  # a second tick asks nobody twice
    assert feedback_messages(ana).count() == 4


def test_a_cancelled_session_asks_for_no_feedback(cohort, supervisor):
    ana, ben = (MembershipFactory(cohort=cohort).user for _ in range(2))
    with time_machine.travel(NOW, tick=False):
        pairing = make_pairing(cohort, ana, ben)
        session = booking.session_schedule_directly(
            pairing=pairing, supervisor=supervisor, start=START
        )
        booking.session_cancel(session=session, user=supervisor, reason="Room flooded")
    with time_machine.travel(session.end + timedelta(hours=1), tick=False):
        periodic.sessions_complete()
    assert not Message.objects.filter(dedupe_key__startswith="feedback:").exists()
    assert feedback.forms_owed(session) == []


def test_a_no_show_asks_for_no_feedback(cohort, supervisor):
    ana, ben = (MembershipFactory(cohort=cohort).user for _ in range(2))
    with time_machine.travel(NOW, tick=False):
        pairing = make_pairing(cohort, ana, ben)
        session = booking.session_schedule_directly(
            pairing=pairing, supervisor=supervisor, start=START
        )
    with time_machine.travel(session.start, tick=False):
        booking.session_check_in(session=session, user=ana)
    with time_machine.travel(session.end + timedelta(hours=1), tick=False):
        periodic.sessions_complete()
    session.refresh_from_db()
    assert session.status == SessionStatus.NO_SHOW
    assert not Message.objects.filter(dedupe_key__startswith="feedback:").exists()


def test_a_no_show_recorded_later_withdraws_the_requests(ended, supervisor):
    session, ana, ben = ended
    booking.session_mark_no_show(session=session, supervisor=supervisor, absent=[ben])
    assert set(feedback_messages(ana).values_list("state", flat=True)) == {MessageState.WITHDRAWN}
    with pytest.raises(FeedbackRefused, match="not yours"):
        feedback.feedback_start(
            session=session, author=ana, about=ben, purpose=FeedbackPurpose.CLIENT
        )


def test_submitting_withdraws_only_the_authors_nudges(ended):
    session, ana, ben = ended
    client, _ = client_and_therapist_drafts(session, ana, ben)
    submit(client, ana)
    states = dict(feedback_messages(ana).values_list("dedupe_key", "state"))
    assert states[f"feedback:{session.pk}:{ana.pk}:24h"] == MessageState.WITHDRAWN
    assert states[f"feedback:{session.pk}:{ana.pk}:closing"] == MessageState.WITHDRAWN
    assert set(feedback_messages(ben).values_list("state", flat=True)) == {MessageState.PENDING}


# --- drafts and submit --------------------------------------------------------------------------


def test_a_draft_keeps_what_is_valid_and_names_what_it_could_not_keep(ended):
    session, ana, ben = ended
    client, _ = client_and_therapist_drafts(session, ana, ben)
    errors = feedback.feedback_save_draft(
        response=client,
        author=ana,
        answers={
            "heard": AnswerValue(value=Decimal(4)),
            "rating_overall": AnswerValue(value=Decimal("11")),
            "note": AnswerValue(text="Half a thought"),
        },
    )
    assert errors == {"rating_overall": "Give a value from 0 to 10."}
    saved = {a.item.key: (a.value, a.text) for a in client.answers.select_related("item")}
    assert saved == {"heard": (Decimal("4.0"), ""), "note": (None, "Half a thought")}


def test_submit_with_a_missing_required_item_names_it_and_saves_nothing(ended):
    session, ana, ben = ended
    client, _ = client_and_therapist_drafts(session, ana, ben)
    answers = answers_for(client.template)
    del answers["understood"]
    with pytest.raises(FeedbackRefused) as refused:
        feedback.feedback_submit(response=client, author=ana, answers=answers)
    assert refused.value.errors == {"understood": "Please answer this item."}
    client.refresh_from_db()
    assert client.state == ResponseState.DRAFT
    assert client.answers.count() == 0
    assert client.scores.count() == 0


@pytest.mark.parametrize(
    ("key", "answer", "message"),
    [
        ("heard", AnswerValue(value=Decimal(6)), "Give a value from 1 to 5."),
        ("rating_heard", AnswerValue(value=Decimal("7.25")), "Use at most one decimal place."),
        ("more_warmth", AnswerValue(text="Hugs"), "Choose one of the options listed."),
        ("note", AnswerValue(text="x" * 2001), "Keep this to 2000 characters (it has 2001)."),
        ("rating_goals", AnswerValue(is_na=True), "“Not applicable” is not offered for this item."),
    ],
)
def test_bad_answers_are_refused_beside_their_item(ended, key, answer, message):
    session, ana, ben = ended
    client, _ = client_and_therapist_drafts(session, ana, ben)
    answers = answers_for(client.template) | {key: answer}
    with pytest.raises(FeedbackRefused) as refused:
        feedback.feedback_submit(response=client, author=ana, answers=answers)
    assert refused.value.errors == {key: message}
    assert client.answers.count() == 0


def test_a_second_submit_of_the_same_form_is_refused(ended):
    session, ana, ben = ended
    client, _ = client_and_therapist_drafts(session, ana, ben)
    submit(client, ana)
    with pytest.raises(FeedbackRefused, match="submitted already"):
        submit(client, ana, likert=1)
    assert FeedbackResponse.objects.filter(author=ana, state=ResponseState.SUBMITTED).count() == 1


def test_a_submission_after_the_window_is_refused(ended):
    session, ana, ben = ended
    client, _ = client_and_therapist_drafts(session, ana, ben)
    with (
        time_machine.travel(session.end + timedelta(days=7, seconds=1), tick=False),
        pytest.raises(FeedbackRefused, match="window for this session has closed"),
    ):
        submit(client, ana)


def test_a_form_for_someone_else_or_another_role_is_refused(ended, outsider):
    session, ana, ben = ended
    with pytest.raises(FeedbackRefused, match="not yours"):
        feedback.feedback_start(
            session=session, author=ben, about=ana, purpose=FeedbackPurpose.CLIENT
        )
    with pytest.raises(FeedbackRefused, match="not yours"):
        feedback.feedback_start(
            session=session, author=outsider, about=ben, purpose=FeedbackPurpose.CLIENT
        )
    client, _ = client_and_therapist_drafts(session, ana, ben)
    with pytest.raises(FeedbackRefused, match="not yours"):
        submit(client, ben)


# --- scores ---------------------------------------------------------------------------------


def test_scores_are_stored_at_submit_with_the_items_they_rest_on(ended):
    session, ana, ben = ended
    client, _ = client_and_therapist_drafts(session, ana, ben)
    answers = answers_for(client.template, likert=4, slider="8.5")
    answers["judged"] = AnswerValue(value=Decimal(2))  # reverse-scored: counts as 4
    answers["pace"] = AnswerValue(is_na=True)  # one N/A within k=2: the subscale's mean fills in
    submit_response = feedback.feedback_submit(response=client, author=ana, answers=answers)
    scores = {s.subscale: (s.value, s.items_used, s.imputed) for s in submit_response.scores.all()}
    assert scores == {
        "felt_understood": (Decimal("40.00"), 9, 1),
        "session_rating": (Decimal("34.00"), 4, 0),
        "": (Decimal("74.00"), 13, 1),
    }
    # The default rule on the session rating (≤ 36) is met.
    assert submit_response.flags == [
        "Session rating 36 or less: discuss in supervision (default rule)"
    ]


def test_too_many_not_applicable_items_make_a_score_not_scorable_never_zero(ended):
    session, ana, ben = ended
    client, _ = client_and_therapist_drafts(session, ana, ben)
    answers = answers_for(client.template)
    for key in ("heard", "pace", "checked"):  # three N/As, one more than k=2
        answers[key] = AnswerValue(is_na=True)
    response = feedback.feedback_submit(response=client, author=ana, answers=answers)
    score = response.scores.get(subscale="felt_understood")
    assert score.value is None
    assert score.items_used == 7


def test_editing_a_template_mid_round_keeps_old_responses_on_their_version(ended, admin_user):
    session, ana, ben = ended
    client, _ = client_and_therapist_drafts(session, ana, ben)
    submit(client, ana, likert=4)
    old = client.template
    items = feedback.template_items_as_dicts(old)
    items = [i for i in items if i["key"] != "go_on"]  # drop an item
    new = feedback.template_edit(
        template=old, user=admin_user, changes={"name": "Client role v2"}, items=items
    )
    old.refresh_from_db()
    assert (old.version, old.is_current, new.version, new.is_current) == (1, False, 2, True)
    assert new.items.count() == old.items.count() - 1
    client.refresh_from_db()
    assert client.template_id == old.pk
    assert client.scores.get(subscale="felt_understood").value == Decimal("38.00")
    assert feedback.template_for(session, FeedbackPurpose.CLIENT) == new


def test_a_template_without_responses_is_edited_in_place(admin_user):
    template = FeedbackTemplate.objects.get(family="builtin-observer", is_current=True)
    items = feedback.template_items_as_dicts(template)[:2]
    edited = feedback.template_edit(template=template, user=admin_user, changes={}, items=items)
    assert (edited.pk, edited.version, edited.items.count()) == (template.pk, 1, 2)


def test_only_an_owner_or_admin_edits_a_template(trainee):
    template = FeedbackTemplate.objects.get(family="builtin-observer", is_current=True)
    with pytest.raises(FeedbackRefused, match="owner"):
        feedback.template_edit(template=template, user=trainee, changes={}, items=[])


# --- the reveal ----------------------------------------------------------------------------


def test_partners_read_each_other_only_when_both_have_submitted(ended):
    session, ana, ben = ended
    client, therapist = client_and_therapist_drafts(session, ana, ben)
    submit(client, ana)
    assert list(feedback_visible_to(ben).filter(author=ana)) == []
    assert not FeedbackReveal.objects.exists()
    submit(therapist, ben)
    reveal = FeedbackReveal.objects.get()
    assert reveal.reason == "both_submitted"
    assert list(feedback_visible_to(ben).filter(author=ana)) == [client]
    assert list(feedback_visible_to(ana).filter(author=ben)) == [therapist]
    for person in (ana, ben):
        told = Message.objects.filter(recipient=person, kind=MessageKind.FEEDBACK_REVEALED)
        assert list(told.values_list("subject", flat=True)) == [
            "Your partner's feedback is ready to read"
        ]


def test_the_window_closing_reveals_what_was_written(ended):
    session, ana, ben = ended
    client, _ = client_and_therapist_drafts(session, ana, ben)
    submit(client, ana)
    assert feedback.feedback_reveals_due() == 0
    with time_machine.travel(session.end + timedelta(days=7), tick=False):
        assert feedback.feedback_reveals_due() == 1
        assert feedback.feedback_reveals_due() == 0
    assert FeedbackReveal.objects.get().reason == "window_closed"
    assert list(feedback_visible_to(ben).filter(author=ana)) == [client]
    assert list(feedback_visible_to(ana).filter(author=ben)) == []  # Ben's draft stays his


def test_supervisor_release_cohort_waits_for_the_supervisor(ended, supervisor, cohort):
    cohort.reveal_policy = RevealPolicy.SUPERVISOR
    cohort.save()
    session, ana, ben = ended
    session.refresh_from_db()
    submit_both(session, ana, ben)
    with time_machine.travel(session.end + timedelta(days=8), tick=False):
        assert feedback.feedback_reveals_due() == 0
    assert list(feedback_visible_to(ben).filter(author=ana)) == []
    with pytest.raises(FeedbackRefused, match="Only the cohort's supervisors"):
        feedback.feedback_release(session=session, supervisor=ana)
    feedback.feedback_release(session=session, supervisor=supervisor)
    assert FeedbackReveal.objects.get().released_by == supervisor
    assert feedback_visible_to(ben).filter(author=ana).count() == 1
    with pytest.raises(FeedbackRefused, match="released already"):
        feedback.feedback_release(session=session, supervisor=supervisor)


def test_supervisors_see_everything_as_it_arrives(ended, supervisor):
    session, ana, ben = ended
    client, _ = client_and_therapist_drafts(session, ana, ben)
    assert client in feedback_visible_to(supervisor)
    assert client not in feedback_visible_to(ben)


def test_a_reflection_is_read_by_its_writer_the_cohorts_supervisors_and_admins_only(
    ended, supervisor, cohort
):
    session, ana, ben = ended
    submit_both(session, ana, ben)
    mine = feedback.reflection_save(
        session=session, trainee=ana, usefulness=2, text="I froze.", goal="Breathe"
    )
    admin = UserFactory(is_programme_admin=True)
    elsewhere = UserFactory()
    MembershipFactory(user=elsewhere, role=Role.SUPERVISOR)  # supervises another cohort
    former = MembershipFactory(cohort=cohort, user=UserFactory(), role=Role.SUPERVISOR)
    membership_end(membership=former, ended_by=supervisor)

    readers = {
        name: mine in reflections_visible_to(user)
        for name, user in {
            "ana": ana,
            "ben (her partner)": ben,
            "supervisor": supervisor,
            "admin": admin,
            "supervisor elsewhere": elsewhere,
            "former supervisor": former.user,
        }.items()
    }

    assert readers == {
        "ana": True,
        "ben (her partner)": False,
        "supervisor": True,
        "admin": True,
        "supervisor elsewhere": False,
        "former supervisor": False,
    }


# --- amendments ------------------------------------------------------------------------------


def test_an_amendment_within_24_hours_is_a_new_revision(ended):
    session, ana, ben = ended
    client, _ = client_and_therapist_drafts(session, ana, ben)
    submit(client, ana, likert=2)
    draft = feedback.feedback_amend(response=client, author=ana)
    assert (draft.revision, draft.state, draft.answers.count()) == (
        2,
        ResponseState.DRAFT,
        client.answers.count(),
    )
    submit(draft, ana, likert=5)
    client.refresh_from_db()
    # all 2s but the reverse-worded item (2 → 4): 9 × 2 + 4; then all 5s: 9 × 5 + 1
    assert client.scores.get(subscale="felt_understood").value == Decimal("22.00")
    assert draft.scores.get(subscale="felt_understood").value == Decimal("46.00")


def test_an_amendment_after_24_hours_or_after_the_reveal_is_refused(ended):
    session, ana, ben = ended
    client, therapist = client_and_therapist_drafts(session, ana, ben)
    submit(client, ana)
    with (
        time_machine.travel(session.end + timedelta(hours=26), tick=False),
        pytest.raises(FeedbackRefused, match="within 24 hours"),
    ):
        feedback.feedback_amend(response=client, author=ana)
    submit(therapist, ben)
    with pytest.raises(FeedbackRefused, match="revealed"):
        feedback.feedback_amend(response=therapist, author=ben)


# --- after the reveal ------------------------------------------------------------------------


def test_reflection_waits_for_the_reveal_then_keeps_usefulness_and_goal(ended):
    session, ana, ben = ended
    with pytest.raises(FeedbackRefused, match="once the feedback has been revealed"):
        feedback.reflection_save(session=session, trainee=ana, usefulness=4, text="", goal="x")
    submit_both(session, ana, ben)
    reflection = feedback.reflection_save(
        session=session, trainee=ana, usefulness=4, text="  I rushed.  ", goal="Pause longer"
    )
    assert (reflection.usefulness, reflection.text, reflection.goal) == (
        4,
        "I rushed.",
        "Pause longer",
    )
    with pytest.raises(FeedbackRefused, match="1 to 5"):
        feedback.reflection_save(session=session, trainee=ana, usefulness=6, text="", goal="")


def test_perspective_gap_compares_the_parallel_items(ended):
    session, ana, ben = ended
    submit_both(session, ana, ben, likert=4)
    loaded = {r.purpose: r for r in with_details(FeedbackResponse.objects.all())}
    gap = perspective_gap(loaded["client"], loaded["therapist"])
    assert len(gap.rows) == 10
    assert (gap.client_score, gap.therapist_score, gap.gap) == (
        Decimal("38.00"),
        Decimal("38.00"),
        Decimal("0.00"),
    )
    judged = next(r for r in gap.rows if r.prompt.startswith("At moments"))
    assert (judged.client, judged.therapist, judged.gap) == (Decimal(2), Decimal(2), Decimal(0))


# --- the overview the review queue reads ----------------------------------------------------


def _another_completed_session(cohort, supervisor, start):
    ana, ben = (MembershipFactory(cohort=cohort).user for _ in range(2))
    with time_machine.travel(NOW, tick=False):
        pairing = make_pairing(cohort, ana, ben, name=f"Round {start:%d%H}")
        session = booking.session_schedule_directly(
            pairing=pairing, supervisor=supervisor, start=start
        )
    session.status = SessionStatus.COMPLETED
    session.save()
    client, therapist = client_and_therapist_drafts(session, ana, ben)
    submit(client, ana, likert=2)
    submit(therapist, ben, likert=5)
    return session


def test_feedback_overview_reads_stored_scores_in_flat_queries(ended, cohort, supervisor):
    session, ana, ben = ended
    client, _ = client_and_therapist_drafts(session, ana, ben)
    submit(client, ana, likert=2, slider="3.0")
    counts = []
    for extra in range(3):
        if extra:
            _another_completed_session(cohort, supervisor, START + timedelta(hours=2 * extra))
        with CaptureQueriesContext(connection) as queries:
            overviews = feedback_overview(Session.objects.filter(status=SessionStatus.COMPLETED))
        counts.append(len(queries))
        if extra == 0:
            (first,) = overviews
            assert (first.complete, first.revealed, first.owed) == (False, False, 2)
            assert first.flags == [
                "Session rating 36 or less: discuss in supervision (default rule)",
                "Felt unsafe (2 or less): check in with both (default rule)",
            ]
            assert first.gap is None  # the therapist has not submitted
    assert counts[0] == counts[2]
    later = {o.session.pk: o for o in overviews}
    other = next(o for pk, o in later.items() if pk != session.pk)
    assert (other.complete, other.revealed) == (True, True)
    # client all 2s (the reverse item counts 4): 22; therapist all 5s (reverse 1): 46
    assert (other.client_score, other.gap.therapist_score, other.gap.gap) == (
        Decimal("22.00"),
        Decimal("46.00"),
        Decimal("-24.00"),
    )


def test_a_trainee_who_leaves_the_cohort_is_asked_for_no_more_feedback(ended, supervisor, cohort):
    _, ana, ben = ended
    membership_end(
        membership=CohortMembership.objects.active().get(cohort=cohort, user=ana),
        ended_by=supervisor,
    )
    pending = feedback_messages(ana).filter(state=MessageState.PENDING)
    assert list(pending) == []
    assert feedback_messages(ben).filter(state=MessageState.PENDING).count() == 4


def test_my_data_holds_what_i_wrote_and_what_was_written_about_me_only_after_the_reveal(ended):
    session, ana, ben = ended
    client, therapist = client_and_therapist_drafts(session, ana, ben)
    submit(therapist, ben, text="Ben's words about Ana")
    mine = personal_data(ana)
    assert mine["feedback_received"] == []
    assert mine["feedback_written"][0]["state"] == "Draft"
    submit(client, ana)
    received = personal_data(ana)["feedback_received"]
    assert [(r["author"], r["answers"]["What I learned from my client"]) for r in received] == [
        ("Ben", "Ben's words about Ana")
    ]
