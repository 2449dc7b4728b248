"""Reads for a trainee's progress page, hours log and printable report.

Everything comes from stored rows: completed sessions and their seats (the hours), the trainee's
own responses (on time or not), stored scores (FeedbackScore, computed once at submit — nothing
is re-scored here) and reflections (goals). Feedback goes through permissions.feedback_visible_to,
so a trainee sees what others wrote about them only after the reveal. Care flags are never read.

The page costs a fixed number of queries whatever the number of sessions."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Q, QuerySet

from accounts.models import User
from roleplay.models import (
    Cohort,
    FeedbackItem,
    FeedbackPurpose,
    FeedbackResponse,
    PairingRole,
    Reflection,
    ResponseState,
    Session,
    SessionSeat,
    SessionStatus,
)
from roleplay.permissions import feedback_visible_to
from roleplay.services.feedback import window_closes_at

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
        .select_related(
            "session__pairing__scenario", "session__pairing__round__cohort", "session__review"
        )
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


# --- feedback on time ----------------------------------------------------------------------------


@dataclass
class OnTime:
    """The trainee's own forms in sessions they practised: submitted before the window closed,
    after it, missed, or still open (not counted in the share)."""

    on_time: int = 0
    late: int = 0
    missed: int = 0
    open: int = 0

    @property
    def due(self) -> int:
        return self.on_time + self.late + self.missed

    @property
    def share(self) -> int | None:
        """Per cent on time of the forms due, or None when none are due yet."""
        if not self.due:
            return None
        return round(100 * self.on_time / self.due)


def _owes_form(session: Session) -> bool:
    """The rule of services.feedback.forms_owed, read from prefetched seats: everyone present
    owes a form when both the client and the therapist came."""
    present = {seat.role for seat in session.seats.all() if not seat.no_show}
    return {PairingRole.CLIENT, PairingRole.THERAPIST} <= present


def on_time(seats, trainee: User, *, now: datetime) -> OnTime:
    sessions = [seat.session for seat in seats if _owes_form(seat.session)]
    submitted: dict[int, datetime] = {}
    for session_id, at in FeedbackResponse.objects.filter(
        author=trainee,
        session_id__in=[s.pk for s in sessions],
        state=ResponseState.SUBMITTED,
        purpose__in=[PairingRole.CLIENT, PairingRole.THERAPIST, PairingRole.OBSERVER],
    ).values_list("session_id", "submitted_at"):
        submitted[session_id] = min(at, submitted.get(session_id, at))
    result = OnTime()
    for session in sessions:
        closes = window_closes_at(session)
        at = submitted.get(session.pk)
        if at is not None:
            if at <= closes:
                result.on_time += 1
            else:
                result.late += 1
        elif closes <= now:
            result.missed += 1
        else:
            result.open += 1
    return result


# --- goals ---------------------------------------------------------------------------------------


@dataclass
class Goals:
    current: Reflection | None
    earlier: list[Reflection]

    @property
    def tried(self) -> int:
        return sum(1 for r in self.earlier if r.goal_tried in ("yes", "partly"))


def goals(cohort: Cohort, trainee: User) -> Goals:
    """The goal set after the latest reflection, and the earlier ones with whether they were
    tried. Only goals: a reflection's own text is private to its trainee."""
    reflections = list(
        Reflection.objects.filter(trainee=trainee, session__pairing__round__cohort=cohort)
        .exclude(goal="")
        .select_related("session")
        .only("goal", "goal_tried", "goal_tried_note", "session__start", "trainee_id")
        .order_by("session__start", "session_id")
    )
    if not reflections:
        return Goals(current=None, earlier=[])
    return Goals(current=reflections[-1], earlier=reflections[:-1][::-1])


# --- scores over time ----------------------------------------------------------------------------


@dataclass
class ScorePoint:
    session_id: int
    start: datetime
    value: Decimal | None


@dataclass
class GapPoint:
    session_id: int
    start: datetime
    client: Decimal | None
    self_rating: Decimal | None

    @property
    def gap(self) -> Decimal | None:
        if self.client is None or self.self_rating is None:
            return None
        return self.client - self.self_rating


@dataclass
class ScoreSeries:
    """One stored subscale over time, of the feedback the trainee received."""

    key: str
    label: str
    points: list[ScorePoint]
    y_range: tuple[float, float] | None  # the subscale's possible range, when it has one


@dataclass
class Plots:
    empathy: list[GapPoint] = field(default_factory=list)
    empathy_label: str = ""
    empathy_range: tuple[float, float] | None = None
    subscales: list[ScoreSeries] = field(default_factory=list)


def _latest(responses) -> list[FeedbackResponse]:
    """The latest submitted revision of each (session, author, about, purpose)."""
    latest: dict[tuple, FeedbackResponse] = {}
    for r in responses:
        key = (r.session_id, r.author_id, r.about_id, r.purpose)
        if key not in latest or latest[key].revision < r.revision:
            latest[key] = r
    return list(latest.values())


def _range(items: list[FeedbackItem], aggregate: str) -> tuple[float, float] | None:
    """What a subscale's stored score can be, from its items' bounds (not from any answer)."""
    counted = [i for i in items if i.counts_in_score]
    if not counted or any(
        i.minimum is None or i.maximum is None or i.kind == "count" for i in counted
    ):
        return None
    lows, highs = [float(i.minimum) for i in counted], [float(i.maximum) for i in counted]
    if aggregate == "sum":
        return (sum(lows), sum(highs))
    return (min(lows), max(highs))


def _label(name: str) -> str:
    return name.replace("_", " ").replace("-", " ").capitalize()


SELF_RATED = FeedbackPurpose.THERAPIST
RECEIVED = [
    FeedbackPurpose.CLIENT,
    FeedbackPurpose.OBSERVER,
    FeedbackPurpose.SUPERVISOR,
    FeedbackPurpose.PORTRAYAL,
]


def plots(cohort: Cohort, trainee: User, viewer: User) -> Plots:
    """The perspective gap over time and each received subscale over time, from stored scores
    (three queries). What the viewer may not read (feedback about the trainee before its reveal,
    for the trainee) is left out by permissions.feedback_visible_to."""
    responses = _latest(
        feedback_visible_to(viewer)
        .filter(
            Q(about=trainee, purpose__in=RECEIVED) | Q(author=trainee, purpose=SELF_RATED),
            session__pairing__round__cohort=cohort,
            session__status=SessionStatus.COMPLETED,
            state=ResponseState.SUBMITTED,
        )
        .select_related("session", "template")
        .prefetch_related("scores")
        .only(
            "session__start",
            "session_id",
            "author_id",
            "about_id",
            "purpose",
            "revision",
            "template__aggregate",
            "template__purpose",
            "template__name",
            "template__family",
        )
    )
    items_by_template: dict[int, list[FeedbackItem]] = defaultdict(list)
    for item in FeedbackItem.objects.filter(
        template_id__in={r.template_id for r in responses}
    ).only(
        "template_id", "key", "kind", "subscale", "parallel_key", "minimum", "maximum", "scored"
    ):
        items_by_template[item.template_id].append(item)
    responses.sort(key=lambda r: (r.session.start, r.session_id))
    result = Plots()
    _empathy(result, responses, items_by_template, trainee)
    _subscales(result, responses, items_by_template, trainee)
    return result


def _subscale_items(items: list[FeedbackItem], subscale: str) -> list[FeedbackItem]:
    return [i for i in items if i.subscale == subscale] if subscale else items


def _empathy(result: Plots, responses, items_by_template, trainee: User) -> None:
    """Sessions where the trainee was the therapist: the client's stored score on the subscale
    holding the parallel items, beside the trainee's own stored score on theirs."""
    by_session: dict[int, dict[str, FeedbackResponse]] = defaultdict(dict)
    for r in responses:
        if r.purpose == FeedbackPurpose.CLIENT and r.about_id == trainee.pk:
            by_session[r.session_id]["client"] = r
        elif r.purpose == SELF_RATED and r.author_id == trainee.pk:
            by_session[r.session_id]["self"] = r
    ranges = []
    seen = set()
    for r in responses:
        if r.session_id in seen or r.session_id not in by_session:
            continue
        seen.add(r.session_id)
        pair = by_session[r.session_id]
        client, own = pair.get("client"), pair.get("self")
        client_subscale, self_subscale = _parallel_subscales(
            client and items_by_template[client.template_id],
            own and items_by_template[own.template_id],
        )
        if client_subscale is None and self_subscale is None:
            continue
        client_value = _score(client, client_subscale)
        self_value = _score(own, self_subscale)
        if client_value is None and self_value is None:
            continue
        result.empathy.append(GapPoint(r.session_id, r.session.start, client_value, self_value))
        if client is not None and client_subscale is not None:
            result.empathy_label = result.empathy_label or _label(client_subscale)
            span = _range(
                _subscale_items(items_by_template[client.template_id], client_subscale),
                client.template.aggregate,
            )
            ranges.append(span)
        if own is not None and self_subscale is not None:
            ranges.append(
                _range(
                    _subscale_items(items_by_template[own.template_id], self_subscale),
                    own.template.aggregate,
                )
            )
    known = [span for span in ranges if span is not None]
    if known:
        result.empathy_range = (min(s[0] for s in known), max(s[1] for s in known))


def _parallel_subscales(client_items, self_items) -> tuple[str | None, str | None]:
    """The client subscale and the self-rating subscale the parallel items belong to. With only
    one side submitted, that side's linked subscale (the other template's items are not needed:
    a therapist item's parallel_key names the client item)."""
    linked_self = [i for i in self_items or [] if i.parallel_key]
    self_subscale = linked_self[0].subscale if linked_self else None
    if client_items:
        keys = {i.parallel_key for i in linked_self}
        linked = [i for i in client_items if i.key in keys] if keys else []
        if not linked:
            # No self-rating to link from: the client subscale of the built-in pairing's shape,
            # the first subscale with items of the client form.
            linked = [i for i in client_items if i.subscale and i.counts_in_score]
        return (linked[0].subscale if linked else None), self_subscale
    return None, self_subscale


def _score(response: FeedbackResponse | None, subscale: str | None) -> Decimal | None:
    if response is None or subscale is None:
        return None
    for score in response.scores.all():
        if score.subscale == subscale:
            return score.value  # None when not scorable: a gap in the line, never 0
    return None


def _subscales(result: Plots, responses, items_by_template, trainee: User) -> None:
    series: dict[tuple, ScoreSeries] = {}
    purposes = dict(FeedbackPurpose.choices)
    for r in responses:
        if r.about_id != trainee.pk or r.purpose not in RECEIVED:
            continue
        items = items_by_template[r.template_id]
        has_named = any(i.subscale for i in items if i.counts_in_score)
        for score in r.scores.all():
            if has_named and not score.subscale:
                continue  # the total of a form with subscales repeats them
            key = (r.purpose, score.subscale or r.template.family)
            if key not in series:
                name = _label(score.subscale) if score.subscale else r.template.name
                series[key] = ScoreSeries(
                    key=f"{r.purpose}-{score.subscale or 'total'}",
                    label=f"{purposes.get(r.purpose, r.purpose)}: {name}",
                    points=[],
                    y_range=_range(_subscale_items(items, score.subscale), r.template.aggregate),
                )
            series[key].points.append(ScorePoint(r.session_id, r.session.start, score.value))
    result.subscales = sorted(series.values(), key=lambda s: s.label)


# --- the whole page ------------------------------------------------------------------------------


@dataclass
class Progress:
    hours: HoursLog
    on_time: OnTime
    goals: Goals
    plots: Plots


def trainee_progress(cohort: Cohort, trainee: User, viewer: User, *, now: datetime) -> Progress:
    """Everything of the progress page, in a fixed number of queries (seven)."""
    seats = list(practised_seats(cohort, trainee).prefetch_related("session__seats"))
    rows = hours_rows(seats)
    return Progress(
        hours=HoursLog(rows=rows, totals=role_totals(rows)),
        on_time=on_time(seats, trainee, now=now),
        goals=goals(cohort, trainee),
        plots=plots(cohort, trainee, viewer),
    )
