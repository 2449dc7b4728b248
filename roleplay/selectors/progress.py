"""Reads for a trainee's progress page, hours log and printable report.

Everything comes from stored rows: completed sessions and their seats (the hours), the trainee's
own responses (on time or not), stored scores (FeedbackScore, computed once at submit — nothing
is re-scored here) and reflections (goals). Feedback goes through permissions.feedback_visible_to,
so a trainee sees what others wrote about them only after the reveal. Care flags are never read.

The page costs a fixed number of queries whatever the number of sessions."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from roleplay.models import (
    Cohort,
    FeedbackItem,
    FeedbackPurpose,
    FeedbackResponse,
    FeedbackScore,
    PairingRole,
    Reflection,
    ResponseState,
    SessionSeat,
    SessionStatus,
)
from roleplay.permissions import feedback_visible_to

ROLES = [PairingRole.CLIENT, PairingRole.THERAPIST, PairingRole.OBSERVER]


@dataclass
class HoursRow:
    """One practised session in the hours log."""

    session_id: int
    start: datetime
    end: datetime
    role: str
    role_label: str
    minutes: int
    scenario: str
    reviewed: bool
    owes_form: bool = False


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


def practised_seats(cohort: Cohort, trainee: User) -> QuerySet:
    """The trainee's seats in the cohort's completed sessions they came to, oldest first: what
    counts as practice (a no-show, cancelled or future session does not). Plain rows, not model
    instances: a year of sessions is read and shown, and building objects for it was most of the
    page's time. `has_client`/`has_therapist`: whether those seats were filled by someone who came
    (everyone present owes a form then, as services.feedback.forms_owed says)."""
    present = SessionSeat.objects.filter(session=OuterRef("session_id"), no_show=False)
    return (
        SessionSeat.objects.filter(
            user=trainee,
            no_show=False,
            session__status=SessionStatus.COMPLETED,
            session__pairing__round__cohort=cohort,
        )
        .annotate(
            has_client=Exists(present.filter(role=PairingRole.CLIENT)),
            has_therapist=Exists(present.filter(role=PairingRole.THERAPIST)),
        )
        .order_by("session__start", "session_id")
        .values(
            "session_id",
            "role",
            "session__start",
            "session__end",
            "session__pairing__scenario__title",
            "session__review__reviewed_at",
            "has_client",
            "has_therapist",
        )
    )


def hours_rows(seats) -> list[HoursRow]:
    labels = dict(PairingRole.choices)
    return [
        HoursRow(
            session_id=seat["session_id"],
            start=seat["session__start"],
            end=seat["session__end"],
            role=seat["role"],
            role_label=labels.get(seat["role"], seat["role"]),
            minutes=int((seat["session__end"] - seat["session__start"]).total_seconds() // 60),
            scenario=seat["session__pairing__scenario__title"] or "",
            reviewed=seat["session__review__reviewed_at"] is not None,
            owes_form=seat["has_client"] and seat["has_therapist"],
        )
        for seat in seats
    ]


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


def on_time(rows: list[HoursRow], cohort: Cohort, trainee: User, *, now: datetime) -> OnTime:
    """Each practised session's form by the trainee: its window closes `feedback_window_days`
    after the session ends (services.feedback.window_closes_at; every session here is the
    cohort's). The first submitted revision counts."""
    owed = [row for row in rows if row.owes_form]
    submitted: dict[int, datetime] = {}
    for session_id, at in FeedbackResponse.objects.filter(
        author=trainee,
        session_id__in=[row.session_id for row in owed],
        state=ResponseState.SUBMITTED,
        purpose__in=[PairingRole.CLIENT, PairingRole.THERAPIST, PairingRole.OBSERVER],
    ).values_list("session_id", "submitted_at"):
        submitted[session_id] = min(at, submitted.get(session_id, at))
    window = timedelta(days=cohort.feedback_window_days)
    result = OnTime()
    for row in owed:
        closes = row.end + window
        at = submitted.get(row.session_id)
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


@dataclass
class _Response:
    """What the plots need of one submitted response, read as plain values."""

    id: int
    session_id: int
    start: datetime
    author_id: int
    about_id: int
    purpose: str
    revision: int
    template_id: int
    aggregate: str
    template_name: str
    family: str
    scores: dict[str, Decimal | None] = field(default_factory=dict)


def _latest(rows) -> list[_Response]:
    """The latest submitted revision of each (session, author, about, purpose)."""
    latest: dict[tuple, _Response] = {}
    for row in rows:
        r = _Response(*row)
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
        .values_list(
            "id",
            "session_id",
            "session__start",
            "author_id",
            "about_id",
            "purpose",
            "revision",
            "template_id",
            "template__aggregate",
            "template__name",
            "template__family",
        )
    )
    by_id = {r.id: r for r in responses}
    for response_id, subscale, value in FeedbackScore.objects.filter(
        response_id__in=list(by_id)
    ).values_list("response_id", "subscale", "value"):
        by_id[response_id].scores[subscale] = value
    items_by_template: dict[int, list[FeedbackItem]] = defaultdict(list)
    for item in FeedbackItem.objects.filter(
        template_id__in={r.template_id for r in responses}
    ).only(
        "template_id", "key", "kind", "subscale", "parallel_key", "minimum", "maximum", "scored"
    ):
        items_by_template[item.template_id].append(item)
    responses.sort(key=lambda r: (r.start, r.session_id))
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
        result.empathy.append(GapPoint(r.session_id, r.start, client_value, self_value))
        if client is not None and client_subscale is not None:
            result.empathy_label = result.empathy_label or _label(client_subscale)
            span = _range(
                _subscale_items(items_by_template[client.template_id], client_subscale),
                client.aggregate,
            )
            ranges.append(span)
        if own is not None and self_subscale is not None:
            ranges.append(
                _range(
                    _subscale_items(items_by_template[own.template_id], self_subscale),
                    own.aggregate,
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


def _score(response: _Response | None, subscale: str | None) -> Decimal | None:
    if response is None or subscale is None:
        return None
    return response.scores.get(subscale)  # None when not scorable: a gap in the line, never 0


def _subscales(result: Plots, responses, items_by_template, trainee: User) -> None:
    series: dict[tuple, ScoreSeries] = {}
    purposes = dict(FeedbackPurpose.choices)
    for r in responses:
        if r.about_id != trainee.pk or r.purpose not in RECEIVED:
            continue
        items = items_by_template[r.template_id]
        has_named = any(i.subscale for i in items if i.counts_in_score)
        for subscale, value in sorted(r.scores.items()):
            if has_named and not subscale:
                continue  # the total of a form with subscales repeats them
            key = (r.purpose, subscale or r.family)
            if key not in series:
                name = _label(subscale) if subscale else r.template_name
                series[key] = ScoreSeries(
                    key=f"{r.purpose}-{subscale or 'total'}",
                    label=f"{purposes.get(r.purpose, r.purpose)}: {name}",
                    points=[],
                    y_range=_range(_subscale_items(items, subscale), r.aggregate),
                )
            series[key].points.append(ScorePoint(r.session_id, r.start, value))
    result.subscales = sorted(series.values(), key=lambda s: s.label)


# --- the whole page ------------------------------------------------------------------------------


@dataclass
class Progress:
    hours: HoursLog
    on_time: OnTime
    goals: Goals
    plots: Plots


def trainee_progress(cohort: Cohort, trainee: User, viewer: User, *, now: datetime) -> Progress:
    """Everything of the progress page, in a fixed number of queries (six)."""
    rows = hours_rows(practised_seats(cohort, trainee))
    return Progress(
        hours=HoursLog(rows=rows, totals=role_totals(rows)),
        on_time=on_time(rows, cohort, trainee, now=now),
        goals=goals(cohort, trainee),
        plots=plots(cohort, trainee, viewer),
    )
