"""Reads of feedback for pages: what a viewer may see of a session's feedback, the perspective
gap, reflections and a trainee's goal from last time. Everything goes through
permissions.feedback_visible_to and reflections_visible_to, and reads stored scores: nothing is
re-scored on a page view."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import User
from roleplay.models import (
    ACTIVE_SESSION,
    FeedbackAnswer,
    FeedbackPurpose,
    FeedbackResponse,
    FeedbackReveal,
    ItemKind,
    PairingRole,
    Reflection,
    ResponseState,
    Session,
    SessionSeat,
    SessionStatus,
)
from roleplay.permissions import feedback_visible_to, reflections_visible_to
from roleplay.services.feedback import (
    OwedForm,
    forms_owed,
    number_text,
    present_seats,
    window_closes_at,
)


def with_details(responses: QuerySet[FeedbackResponse]) -> QuerySet[FeedbackResponse]:
    """Responses with everything a page shows of them, in a fixed number of queries."""
    return responses.select_related("author", "about", "template").prefetch_related(
        Prefetch("answers", queryset=FeedbackAnswer.objects.select_related("item")),
        "scores",
        "template__items",
    )


@dataclass
class AnswerRow:
    prompt: str
    shown: str
    key: str


def answer_rows(response: FeedbackResponse) -> list[AnswerRow]:
    """Each item of the response's own template version, with its answer as words."""
    answers = {a.item_id: a for a in response.answers.all()}
    rows = []
    for item in response.template.items.all():
        answer = answers.get(item.pk)
        if answer is None or not (answer.is_na or answer.value is not None or answer.text):
            shown = "—"
        elif answer.is_na:
            shown = "Not applicable"
        elif item.kind == ItemKind.YES_NO:
            shown = "Yes" if answer.value else "No"
        elif item.kind == ItemKind.LIKERT:
            value = int(answer.value)
            low = int(item.minimum)
            label = (
                f" ({item.anchors[value - low]})"
                if len(item.anchors) == int(item.maximum) - low + 1
                else ""
            )
            shown = f"{value} of {number_text(item.maximum)}{label}"
        elif item.kind == ItemKind.SLIDER:
            shown = f"{number_text(answer.value)} of {number_text(item.maximum)}"
        elif item.kind == ItemKind.COUNT:
            shown = f"{number_text(answer.value)}"
        else:
            shown = answer.text
        rows.append(AnswerRow(prompt=item.prompt, shown=shown, key=item.key))
    return rows


@dataclass
class GapRow:
    prompt: str
    client: Decimal | None
    therapist: Decimal | None

    @property
    def gap(self) -> Decimal | None:
        if self.client is None or self.therapist is None:
            return None
        return self.client - self.therapist


@dataclass
class PerspectiveGap:
    """How understood the client felt vs how well the therapist believed they understood."""

    rows: list[GapRow] = field(default_factory=list)
    client_score: Decimal | None = None
    therapist_score: Decimal | None = None

    @property
    def gap(self) -> Decimal | None:
        if self.client_score is None or self.therapist_score is None:
            return None
        return self.client_score - self.therapist_score


def _value(answer: FeedbackAnswer | None) -> Decimal | None:
    if answer is None or answer.is_na or answer.value is None:
        return None
    item = answer.item
    return item.minimum + item.maximum - answer.value if item.reverse else answer.value


def perspective_gap(
    client: FeedbackResponse | None, therapist: FeedbackResponse | None
) -> PerspectiveGap | None:
    """Pairs each therapist item linked (parallel_key) to a client item; the headline compares the
    stored scores of the subscales those items belong to. Reverse-scored items are compared the
    right way round."""
    if client is None or therapist is None:
        return None
    client_answers = {a.item.key: a for a in client.answers.all()}
    client_items = {item.key: item for item in client.template.items.all()}
    therapist_answers = {a.item.key: a for a in therapist.answers.all()}
    gap = PerspectiveGap()
    client_subscales, therapist_subscales = set(), set()
    for item in therapist.template.items.all():
        if not item.parallel_key or item.parallel_key not in client_items:
            continue
        client_item = client_items[item.parallel_key]
        client_subscales.add(client_item.subscale)
        therapist_subscales.add(item.subscale)
        gap.rows.append(
            GapRow(
                prompt=client_item.prompt,
                client=_value(client_answers.get(client_item.key)),
                therapist=_value(therapist_answers.get(item.key)),
            )
        )
    if not gap.rows:
        return None
    if len(client_subscales) == 1 and len(therapist_subscales) == 1:
        client_scores = {s.subscale: s.value for s in client.scores.all()}
        therapist_scores = {s.subscale: s.value for s in therapist.scores.all()}
        gap.client_score = client_scores.get(client_subscales.pop())
        gap.therapist_score = therapist_scores.get(therapist_subscales.pop())
    return gap


@dataclass
class FormStatus:
    form: OwedForm
    state: str  # "not started", "draft", "submitted"
    submitted_at: datetime | None = None


@dataclass
class SessionFeedback:
    """What the session page shows of feedback to one viewer."""

    active: bool
    closes_at: datetime | None
    revealed: FeedbackReveal | None
    policy: str
    my_forms: list[FormStatus]
    about_me: list[FeedbackResponse]  # submitted by others and readable by the viewer
    everything: list[FeedbackResponse]  # supervisors: every revision, drafts included
    gap: PerspectiveGap | None
    reflection: Reflection | None  # the viewer's own
    reflections: list[Reflection]  # others' the viewer may read (supervisors: the trainees')
    supervisor_forms: list[FormStatus]
    manages: bool
    portrayal_form: FormStatus | None = None


def _latest_submitted(responses) -> dict[tuple, FeedbackResponse]:
    latest = {}
    for response in responses:
        if response.state != ResponseState.SUBMITTED:
            continue
        key = (response.author_id, response.about_id, response.purpose)
        if key not in latest or latest[key].revision < response.revision:
            latest[key] = response
    return latest


def _status(form: OwedForm, mine: list[FeedbackResponse]) -> FormStatus:
    own = [
        r
        for r in mine
        if (r.author_id, r.about_id, r.purpose) == (form.author.pk, form.about.pk, form.purpose)
    ]
    submitted = [r for r in own if r.state == ResponseState.SUBMITTED]
    if any(r.state == ResponseState.DRAFT for r in own):
        return FormStatus(form, "draft")
    if submitted:
        return FormStatus(form, "submitted", max(r.submitted_at for r in submitted))
    return FormStatus(form, "not started")


def _reveal_of(session: Session) -> FeedbackReveal | None:
    """The session's reveal: from the session when its page loaded it, else read."""
    try:
        return session.reveal
    except FeedbackReveal.DoesNotExist:
        return None


def _goal_before(session: Session, trainee: User) -> Q:
    """Matches the goal `trainee` set after their previous session, if `session` is the next one
    they sit in: the newest earlier reflection with a goal, unless another session of theirs
    started in between (then that one was "next", and the goal is not carried further)."""
    newest = (
        Reflection.objects.filter(trainee=trainee, session__end__lte=session.start)
        .exclude(goal="")
        .exclude(session=session)
        .order_by("-session__end")
        .values("pk")[:1]
    )
    in_between = SessionSeat.objects.filter(
        user=trainee,
        session__start__gte=OuterRef("session__end"),
        session__start__lt=session.start,
        session__status__in=[*ACTIVE_SESSION],
    ).exclude(session=session)
    return Q(pk=Subquery(newest)) & ~Q(Exists(in_between))


@dataclass
class PageReflections:
    own: Reflection | None  # the viewer's reflection on this session (their form shows it)
    others: list[Reflection]  # everyone else's on this session that the viewer may read
    goal: Reflection | None  # the viewer's goal from their previous session


def page_reflections(session: Session, viewer: User, *, seated: bool) -> PageReflections:
    """The reflections the session page shows, read through permissions.reflections_visible_to
    in one query: this session's, and (for a viewer with a seat) their goal from last time."""
    wanted = Q(session=session)
    if seated:
        wanted |= _goal_before(session, viewer)
    rows = list(
        reflections_visible_to(viewer)
        .filter(wanted)
        .select_related("trainee", "session")
        .order_by("trainee_id")
    )
    here = [r for r in rows if r.session_id == session.pk]
    return PageReflections(
        own=next((r for r in here if r.trainee_id == viewer.pk), None),
        others=[r for r in here if r.trainee_id != viewer.pk],
        goal=next((r for r in rows if r.session_id != session.pk), None),
    )


def session_feedback(
    session: Session,
    viewer: User,
    *,
    manages: bool,
    reflections: PageReflections | None = None,
) -> SessionFeedback:
    """Everything of a session's feedback the viewer may see, in a bounded number of queries.
    `manages`: whether the viewer supervises the session's cohort (the page knows already).

    What is shown is exactly what permissions.feedback_visible_to and reflections_visible_to
    return — no further filtering by the reveal here — so a fault in either rule shows on the
    page, where the privacy sweep finds it."""
    active = session.status == SessionStatus.COMPLETED
    revealed = _reveal_of(session)
    visible = list(
        with_details(feedback_visible_to(viewer).filter(session=session)).order_by(
            "purpose", "revision"
        )
    )
    latest = _latest_submitted(visible)
    seats = present_seats(session)
    owed = forms_owed(session, seats)
    mine = [r for r in visible if r.author_id == viewer.pk]
    my_forms = [_status(f, mine) for f in owed if f.author.pk == viewer.pk]
    # Everything submitted by others that the rule lets this viewer read: for a trainee, what
    # was written about them once revealed.
    received = [r for r in latest.values() if r.author_id != viewer.pk]
    by_purpose = {r.purpose: r for r in latest.values()}
    gap = perspective_gap(
        by_purpose.get(FeedbackPurpose.CLIENT), by_purpose.get(FeedbackPurpose.THERAPIST)
    )
    supervisor_forms, portrayal_form = [], None
    if manages and owed:
        supervisor_forms = [
            _status(OwedForm(viewer, seat.user, FeedbackPurpose.SUPERVISOR), mine)
            for seat in seats.values()
        ]
    # The optional portrayal note (the same rule as services.feedback.form_allowed).
    therapist = seats.get(PairingRole.THERAPIST)
    if owed and (manages or (therapist and therapist.user_id == viewer.pk)):
        client = seats[PairingRole.CLIENT].user
        portrayal_form = _status(OwedForm(viewer, client, FeedbackPurpose.PORTRAYAL), mine)
    if reflections is None:
        reflections = page_reflections(session, viewer, seated=False)
    return SessionFeedback(
        active=active,
        closes_at=window_closes_at(session) if active else None,
        revealed=revealed,
        policy=session.pairing.round.cohort.reveal_policy,
        my_forms=my_forms,
        about_me=received,
        everything=visible if manages else [],
        gap=gap,
        reflection=reflections.own,
        reflections=reflections.others,
        supervisor_forms=supervisor_forms,
        manages=manages,
        portrayal_form=portrayal_form,
    )


def goal_question_due(session: Session) -> bool:
    return timezone.now() >= session.start


@dataclass
class FeedbackOverview:
    """One session's feedback at a glance, for lists such as a supervisor's review queue."""

    session: Session
    latest: list[FeedbackResponse]  # the latest submitted revision of each form
    owed: int  # how many trainee forms the session asks for
    revealed: bool
    closes_at: datetime
    gap: PerspectiveGap | None
    flags: list[str]
    client_score: Decimal | None  # the client's "felt understood" score (parallel subscale)

    @property
    def complete(self) -> bool:
        submitted = {(r.author_id, r.about_id, r.purpose) for r in self.latest}
        return self.owed > 0 and all(
            (f.author.pk, f.about.pk, f.purpose) in submitted for f in forms_owed(self.session)
        )

    @property
    def missing_after_window(self) -> bool:
        return not self.complete and timezone.now() >= self.closes_at


def feedback_overview(sessions: QuerySet[Session]) -> list[FeedbackOverview]:
    """The overview of each session, in a fixed number of queries whatever their number."""
    sessions = list(
        sessions.select_related("pairing__round__cohort", "reveal").prefetch_related(
            "seats__user",
            Prefetch(
                "feedback",
                queryset=with_details(
                    FeedbackResponse.objects.filter(state=ResponseState.SUBMITTED)
                ),
            ),
        )
    )
    overviews = []
    for session in sessions:
        latest = list(_latest_submitted(session.feedback.all()).values())
        by_purpose = {r.purpose: r for r in latest}
        gap = perspective_gap(
            by_purpose.get(FeedbackPurpose.CLIENT), by_purpose.get(FeedbackPurpose.THERAPIST)
        )
        overviews.append(
            FeedbackOverview(
                session=session,
                latest=latest,
                owed=len(forms_owed(session)),
                revealed=hasattr(session, "reveal"),
                closes_at=window_closes_at(session),
                gap=gap,
                flags=[flag for r in latest for flag in r.flags],
                client_score=gap.client_score if gap else None,
            )
        )
    return overviews
