"""The supervisor's view of a whole cohort: who met whom and in which roles, each trainee's
sessions and feedback habits, how useful their feedback was to others, and who needs attention.

Every number is read from stored rows (scores stored at submit, seats, reflections, care flags):
nothing is re-scored. The page costs a fixed number of queries whatever the cohort's size or
history — each part below is one query (never a query per pair or per trainee): the seats are
read once, narrow rows counted in Python for both the matrix and the seat figures; feedback is
aggregated in the database. Covering indexes (`seat_session_cover`, `reflection_cover`,
`score_response_cover`) let PostgreSQL answer the per-session lookups from the index alone.

Definitions (the README repeats them for supervisors):

- *Met*: both sat in a completed session of this cohort and neither was a no-show. A cell counts
  those sessions and names the row trainee's role in them.
- *Feedback completion*: of the forms a trainee owed (one per completed session they came to, as
  `services.feedback.forms_owed` asks), those whose window has closed or which are submitted are
  *due*; completion is submitted ÷ due, on time is first submitted before the window closed ÷ due.
- *Usefulness received as an author*: the mean of the 1 to 5 usefulness ratings given in
  reflections by the trainees this trainee wrote feedback about (client, therapist and observer
  forms; each rating counts once for each trainee author of that session's feedback about them).
- *Client-rated score*: the client-role trainee's stored score, in the session the trainee was the
  therapist, on the client form's subscale whose items a therapist form mirrors (`parallel_key`:
  "felt understood" in the built-in forms); *self-rating*: the therapist's stored score on the
  mirrored subscale. The *perspective gap* is client-rated minus self-rated, as on a session page.

Attention rules (a trainee is listed once per rule met):

- *Falling client-rated scores*: at least three client-rated scores, and each of the last two is
  below the mean of the ones before them.
- *Widening perspective gap*: at least three sessions with both scores, and the size of the gap
  (ignoring its sign) in each of the last two is above the mean size of the ones before them.
- *Missed sessions*: one or more sessions they did not come to (marked a no-show) or cancelled
  inside the late-cancellation window.
- *Open care requests*: care flags they raised that no supervisor has acknowledged yet; counted
  and linked to their sessions, and shown only to the cohort's supervisors (as the flags are).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import (
    Avg,
    BooleanField,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Q,
    Value,
)
from django.utils import timezone

from accounts.models import User
from roleplay.models import (
    CareFlag,
    Cohort,
    FeedbackItem,
    FeedbackPurpose,
    FeedbackResponse,
    FeedbackScore,
    PairingRole,
    ResponseState,
    SessionSeat,
    SessionStatus,
)
from roleplay.selectors.cohorts import active_trainees

ROLE_LETTER = {PairingRole.CLIENT: "C", PairingRole.THERAPIST: "T", PairingRole.OBSERVER: "O"}
TRAINEE_PURPOSES = [FeedbackPurpose.CLIENT, FeedbackPurpose.THERAPIST, FeedbackPurpose.OBSERVER]
RECENT = 2  # the attention rules compare the last two sessions with the ones before


@dataclass
class Cell:
    """Row trainee by column trainee: how often they met, by the row trainee's role."""

    total: int = 0
    by_role: dict[str, int] = field(default_factory=dict)

    @property
    def roles(self) -> str:
        """ "1 C · 2 T": the row trainee was the client once and the therapist twice. Only
        numbers and the fixed letters, so the matrix's tag writes it unescaped."""
        return " · ".join(
            f"{n} {letter}" for role, letter in ROLE_LETTER.items() if (n := self.by_role.get(role))
        )


UNMET = Cell()  # shared by every pair that has not met (never changed)


@dataclass
class Attention:
    kind: str  # falling, gap, missed, care
    text: str
    session_ids: list[int] = field(default_factory=list)


@dataclass
class TraineeRow:
    user: User
    cells: list[Cell | None]  # one per column trainee; None on the diagonal
    completed: int = 0
    completed_by_role: dict[str, int] = field(default_factory=dict)
    due: int = 0
    submitted: int = 0
    on_time: int = 0
    usefulness: Decimal | None = None
    usefulness_ratings: int = 0
    client_scores: list[Decimal] = field(default_factory=list)
    gaps: list[Decimal] = field(default_factory=list)
    no_shows: int = 0
    late_cancellations: int = 0
    attention: list[Attention] = field(default_factory=list)

    @property
    def partners_met(self) -> int:
        return sum(1 for cell in self.cells if cell is not None and cell.total)

    @property
    def completion(self) -> int | None:
        """Percent of due forms submitted; None when nothing is due yet."""
        return round(100 * self.submitted / self.due) if self.due else None

    @property
    def on_time_share(self) -> int | None:
        return round(100 * self.on_time / self.due) if self.due else None

    @property
    def roles_completed(self) -> str:
        order = [PairingRole.CLIENT, PairingRole.THERAPIST, PairingRole.OBSERVER]
        return " · ".join(
            f"{self.completed_by_role[r]} {ROLE_LETTER[r]}"
            for r in order
            if self.completed_by_role.get(r)
        )


@dataclass
class CohortProgress:
    cohort: Cohort
    rows: list[TraineeRow]
    shows_care: bool

    @property
    def attention(self) -> list[TraineeRow]:
        return [row for row in self.rows if row.attention]


# --- the rules, pure so tests can check them by hand -----------------------------------------


def _mean(values: list[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values)


def scores_falling(scores: list[Decimal]) -> bool:
    """Each of the last two scores below the mean of the earlier ones (needs three or more)."""
    if len(scores) < RECENT + 1:
        return False
    earlier = _mean(scores[:-RECENT])
    return all(score < earlier for score in scores[-RECENT:])


def gap_widening(gaps: list[Decimal]) -> bool:
    """Each of the last two gaps larger (in size) than the mean size before them (three or more)."""
    sizes = [abs(gap) for gap in gaps]
    if len(sizes) < RECENT + 1:
        return False
    earlier = _mean(sizes[:-RECENT])
    return all(size > earlier for size in sizes[-RECENT:])


def _number(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.1")).normalize(), "f")


# --- the queries -----------------------------------------------------------------------------


def _in_cohort(cohort: Cohort, prefix: str = "") -> Q:
    return Q(**{f"{prefix}session__pairing__round__cohort": cohort})


@dataclass
class SeatFigures:
    """What one walk over a cohort's seats gives: the who-met-whom cells, and per trainee the
    figures their seats decide (completed by role, closed windows, no-shows, late cancellations)."""

    cells: dict[int, dict[int, Cell]]
    counts: dict[int, dict[str, int]]


def _seat_figures(cohort: Cohort, now: datetime) -> SeatFigures:
    """One query: every seat of the cohort's sessions with its session's status, end and
    cancellation (a few thousand narrow rows a year, read through the covering index
    `seat_session_cover`), counted here. It replaces a self-join of seats for the matrix and a
    second grouped walk for the counts: both walked the same sessions, which at a year's size
    cost more than reading the rows once."""
    rows = (
        SessionSeat.objects.filter(_in_cohort(cohort))
        .annotate(closes_at=_closes_at(cohort))
        # A boolean, not the session's end: turning thousands of timestamps into aware
        # datetimes costs more than the whole query (measured on the bench seed).
        .annotate(closed=ExpressionWrapper(Q(closes_at__lte=now), output_field=BooleanField()))
        .order_by("session_id")
        .values_list(
            "session_id",
            "user_id",
            "role",
            "no_show",
            "session__status",
            "closed",
            "session__late_cancellation",
            "session__cancelled_by_id",
        )
    )
    cells: dict[int, dict[int, Cell]] = defaultdict(dict)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    came: list[tuple[int, str]] = []  # the current completed session's seats that were kept
    current = None

    def meet(seats: list[tuple[int, str]]) -> None:
        for user_id, role in seats:
            for partner, _ in seats:
                if partner != user_id:
                    cell = cells[user_id].setdefault(partner, Cell())
                    cell.total += 1
                    cell.by_role[role] = cell.by_role.get(role, 0) + 1

    for session_id, user_id, role, no_show, status, closed, late, cancelled_by in rows:
        if session_id != current:
            meet(came)
            came, current = [], session_id
        mine = counts[user_id]
        if no_show:
            mine["no_shows"] += 1
        elif status == SessionStatus.COMPLETED:
            came.append((user_id, role))
            mine["completed"] += 1
            mine[role] += 1
            if closed:
                mine["window_closed"] += 1
        if status == SessionStatus.CANCELLED and late and cancelled_by == user_id:
            mine["late"] += 1
    meet(came)
    return SeatFigures(cells=cells, counts=counts)


def _closes_at(cohort: Cohort) -> ExpressionWrapper:
    """When a session's feedback window closes. Every session here is of `cohort`, so its window
    is a constant (which SQLite, under `make run`, can add to a time; it cannot multiply one)."""
    return ExpressionWrapper(
        F("session__end")
        + Value(timedelta(days=cohort.feedback_window_days), output_field=DurationField()),
        output_field=DateTimeField(),
    )


def _authored(cohort: Cohort, now: datetime) -> dict[int, dict]:
    """Per trainee author: forms submitted (first submissions of client, therapist and observer
    forms), of them on time and still inside their window, and the usefulness ratings the
    trainees they wrote about gave in their reflections — one grouped query joining each form to
    the one reflection of the trainee it is about (a filtered join, so no row counts twice; no
    correlated subqueries: at a term's size they cost more than the page may)."""
    rows = (
        FeedbackResponse.objects.annotate(
            their_reflection=FilteredRelation(
                "session__reflections", condition=Q(session__reflections__trainee=F("about"))
            )
        )
        .filter(
            _in_cohort(cohort),
            state=ResponseState.SUBMITTED,
            revision=1,
            purpose__in=TRAINEE_PURPOSES,
            session__status=SessionStatus.COMPLETED,
        )
        .annotate(closes_at=_closes_at(cohort))
        .order_by()
        .values("author_id")
        .annotate(
            submitted=Count("pk"),
            on_time=Count("pk", filter=Q(submitted_at__lte=F("closes_at"))),
            window_open=Count("pk", filter=Q(closes_at__gt=now)),
            usefulness=Avg("their_reflection__usefulness"),
            ratings=Count("their_reflection__usefulness"),
        )
    )
    return {row["author_id"]: row for row in rows}


def _mirrored_subscales() -> Q:
    """Which stored scores are the mirrored ones: (template version, subscale) of the client
    items some therapist item mirrors, and of the therapist items that mirror one. Read from the
    handful of form versions, so the score query below filters on plain columns."""
    mirrored_keys = (
        FeedbackItem.objects.filter(template__purpose=FeedbackPurpose.THERAPIST)
        .exclude(parallel_key="")
        .values("parallel_key")
    )
    pairs = FeedbackItem.objects.filter(
        Q(template__purpose=FeedbackPurpose.THERAPIST) & ~Q(parallel_key="")
        | Q(template__purpose=FeedbackPurpose.CLIENT, key__in=mirrored_keys)
    ).exclude(subscale="")
    found = Q(pk__in=[])
    for template_id, subscale in set(pairs.order_by().values_list("template_id", "subscale")):
        found |= Q(response__template_id=template_id, subscale=subscale)
    return found


def _mirrored_scores(cohort: Cohort) -> list[tuple[int, str, int, int, Decimal]]:
    """(session, purpose, author, about, value) of the submitted client and therapist forms'
    scores on mirrored subscales, oldest session first and, within a session, the latest
    revision of a form first (the one to read: an amendment replaces the earlier answer)."""
    return list(
        FeedbackScore.objects.filter(
            _mirrored_subscales(),
            _in_cohort(cohort, "response__"),
            response__state=ResponseState.SUBMITTED,
            response__purpose__in=[FeedbackPurpose.CLIENT, FeedbackPurpose.THERAPIST],
            value__isnull=False,
        )
        .order_by("response__session__start", "response__session_id", "-response__revision")
        .values_list(
            "response__session_id",
            "response__purpose",
            "response__author_id",
            "response__about_id",
            "value",
        )
    )


def _open_care_flags(cohort: Cohort) -> dict[int, list[int]]:
    """Raiser → the sessions of their unacknowledged care flags (no note is read)."""
    flags = defaultdict(list)
    for raiser, session_id in (
        CareFlag.objects.filter(_in_cohort(cohort), acknowledged_at__isnull=True)
        .order_by("raised_at")
        .values_list("raised_by_id", "session_id")
    ):
        if session_id not in flags[raiser]:
            flags[raiser].append(session_id)
    return flags


def _scores_by_therapist(cohort: Cohort) -> tuple[dict, dict]:
    """Therapist → client-rated scores in session order, and → perspective gaps likewise."""
    client: dict[int, dict[int, Decimal]] = defaultdict(dict)
    own: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for session_id, purpose, author, about, value in _mirrored_scores(cohort):
        if purpose == FeedbackPurpose.CLIENT:
            client[about].setdefault(session_id, value)
        else:
            own[author].setdefault(session_id, value)
    scores = {therapist: list(by_session.values()) for therapist, by_session in client.items()}
    gaps = {
        therapist: [
            by_session[s] - own[therapist][s] for s in by_session if s in own.get(therapist, {})
        ]
        for therapist, by_session in client.items()
    }
    return scores, gaps


# --- the page --------------------------------------------------------------------------------


def _attention(row: TraineeRow, care_sessions: list[int]) -> list[Attention]:
    found = []
    if scores_falling(row.client_scores):
        last = ", ".join(_number(s) for s in row.client_scores[-RECENT:])
        earlier = _number(_mean(row.client_scores[:-RECENT]))
        found.append(
            Attention("falling", f"Client-rated scores falling: last two {last}, before {earlier}")
        )
    if gap_widening(row.gaps):
        last = ", ".join(_number(g) for g in row.gaps[-RECENT:])
        earlier = _number(_mean([abs(g) for g in row.gaps[:-RECENT]]))
        found.append(
            Attention(
                "gap", f"Perspective gap widening: last two {last}, before ±{earlier} on average"
            )
        )
    if row.no_shows or row.late_cancellations:
        parts = []
        if row.no_shows:
            parts.append(f"{row.no_shows} no-show{'s' if row.no_shows != 1 else ''}")
        if row.late_cancellations:
            n = row.late_cancellations
            parts.append(f"{n} late cancellation{'s' if n != 1 else ''}")
        found.append(Attention("missed", "Missed sessions: " + " and ".join(parts)))
    if care_sessions:
        n = len(care_sessions)
        found.append(
            Attention(
                "care",
                f"{n} open care request{'s' if n != 1 else ''} to acknowledge",
                care_sessions,
            )
        )
    return found


def cohort_progress(
    cohort: Cohort, *, shows_care: bool, now: datetime | None = None
) -> CohortProgress:
    """Everything the cohort view shows, in six queries (five without care flags) whatever
    the number of trainees, sessions and answers. `shows_care`: the viewer supervises the cohort."""
    now = now or timezone.now()
    trainees = list(active_trainees(cohort))
    seats = _seat_figures(cohort, now)
    cells, counts = seats.cells, seats.counts
    authored = _authored(cohort, now)
    scores, gaps = _scores_by_therapist(cohort)
    care = _open_care_flags(cohort) if shows_care else {}
    rows = []
    for user in trainees:
        mine = cells.get(user.pk, {})
        c = counts.get(user.pk, {})
        a = authored.get(user.pk, {})
        row = TraineeRow(
            user=user,
            cells=[
                None if other.pk == user.pk else mine.get(other.pk, UNMET) for other in trainees
            ],
            completed=c.get("completed", 0),
            completed_by_role={role: c.get(role, 0) for role in ROLE_LETTER},
            due=c.get("window_closed", 0) + a.get("window_open", 0),
            submitted=a.get("submitted", 0),
            on_time=a.get("on_time", 0),
            usefulness=None if a.get("usefulness") is None else Decimal(a["usefulness"]),
            usefulness_ratings=a.get("ratings", 0),
            client_scores=scores.get(user.pk, []),
            gaps=gaps.get(user.pk, []),
            no_shows=c.get("no_shows", 0),
            late_cancellations=c.get("late", 0),
        )
        row.attention = _attention(row, care.get(user.pk, []))
        rows.append(row)
    return CohortProgress(cohort=cohort, rows=rows, shows_care=shows_care)
