"""A cohort's sessions and feedback as CSV rows, for its supervisors and programme admins.

Rows are produced lazily: each export walks its queryset with ``.iterator(chunk_size=CHUNK)`` (a
server-side cursor on PostgreSQL), prefetching the related rows one chunk at a time, so the memory
an export needs depends on CHUNK, never on how many rows the cohort has (``bench/exports.py``
measures it). Nothing else is held between chunks.

What is in them goes through ``roleplay.permissions``: sessions the requester may see, feedback the
requester may read (``feedback_visible_to``), submitted responses only — a draft is not yet
anything. Care flags, notes, recordings, cancellation reasons and do-not-pair reasons are never
part of an export. People appear by the name Dyad shows, never by email.

Times are ISO 8601, once in UTC and once in the cohort's zone."""

import zoneinfo
from collections.abc import Iterator
from datetime import UTC, datetime

from django.db.models import Exists, OuterRef, Prefetch

from accounts.models import User
from roleplay.models import (
    Cohort,
    FeedbackAnswer,
    FeedbackResponse,
    ItemKind,
    PairingRole,
    ResponseState,
    SessionSeat,
)
from roleplay.permissions import feedback_visible_to, sessions_visible_to

CHUNK = 500
ROLES = [PairingRole.CLIENT, PairingRole.THERAPIST, PairingRole.OBSERVER]

SESSION_COLUMNS = [
    "session_id",
    "start_utc",
    "end_utc",
    "start_local",
    "end_local",
    "time_zone",
    "round",
    "pairing_id",
    "scenario",
    "status",
    *(f"{role}{part}" for role in ROLES for part in ("", "_id", "_attendance")),
    "reviewed",
    "reviewed_at_utc",
]

FEEDBACK_COLUMNS = [
    "row",
    "response_id",
    "session_id",
    "session_start_utc",
    "session_start_local",
    "round",
    "author",
    "author_id",
    "about",
    "about_id",
    "purpose",
    "template_family",
    "template_version",
    "revision",
    "latest_revision",
    "submitted_at_utc",
    "item_key",
    "item_kind",
    "value",
    "not_applicable",
    "text",
    "subscale",
    "score",
    "items_used",
    "imputed",
]


def _utc(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat() if moment else ""


def _local(moment: datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat() if moment else ""


def _attendance(seat: SessionSeat) -> str:
    if seat.left_cohort:
        return "left cohort"
    if seat.no_show:
        return "no-show"
    if seat.checked_in_at:
        return "checked in"
    return ""


def session_rows(cohort: Cohort, user: User) -> Iterator[list]:
    """One row per session of the cohort that `user` may see: the header first."""
    zone = zoneinfo.ZoneInfo(cohort.time_zone)
    yield SESSION_COLUMNS
    sessions = (
        sessions_visible_to(user)
        .filter(pairing__round__cohort=cohort)
        .select_related("pairing__round", "pairing__scenario", "review")
        .prefetch_related(
            Prefetch(
                "seats",
                queryset=SessionSeat.objects.select_related("user"),
            )
        )
        .order_by("start", "pk")
    )
    for session in sessions.iterator(chunk_size=CHUNK):
        by_role = {seat.role: seat for seat in session.seats.all()}
        people = []
        for role in ROLES:
            seat = by_role.get(role)
            people += [seat.user.name, seat.user_id, _attendance(seat)] if seat else ["", "", ""]
        review = getattr(session, "review", None)
        reviewed_at = review.reviewed_at if review else None
        scenario = session.pairing.scenario
        yield [
            session.pk,
            _utc(session.start),
            _utc(session.end),
            _local(session.start, zone),
            _local(session.end, zone),
            cohort.time_zone,
            session.pairing.round.name,
            session.pairing_id,
            scenario.title if scenario else "",
            session.get_status_display(),
            *people,
            "yes" if reviewed_at else "no",
            _utc(reviewed_at),
        ]


def _answer_value(answer: FeedbackAnswer) -> tuple:
    """(value, not applicable, text): a number for scored kinds, the words for the others."""
    if answer.is_na:
        return "", "yes", ""
    if answer.item.kind in (ItemKind.TEXT, ItemKind.CHOICE):
        return "", "no", answer.text
    return ("" if answer.value is None else answer.value), "no", answer.text


def feedback_rows(cohort: Cohort, user: User) -> Iterator[list]:
    """One row per answer of each submitted response of the cohort that `user` may read, each
    response's score rows (total and subscales) after its answers: the header first."""
    zone = zoneinfo.ZoneInfo(cohort.time_zone)
    yield FEEDBACK_COLUMNS
    newer = FeedbackResponse.objects.filter(
        session=OuterRef("session"),
        author=OuterRef("author"),
        about=OuterRef("about"),
        purpose=OuterRef("purpose"),
        state=ResponseState.SUBMITTED,
        revision__gt=OuterRef("revision"),
    )
    responses = (
        feedback_visible_to(user)
        .filter(session__pairing__round__cohort=cohort, state=ResponseState.SUBMITTED)
        .annotate(superseded=Exists(newer))
        .select_related("session__pairing__round", "author", "about", "template")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=FeedbackAnswer.objects.select_related("item").order_by(
                    "item__position", "pk"
                ),
            ),
            "scores",
        )
        .order_by("session__start", "session_id", "pk")
    )
    for response in responses.iterator(chunk_size=CHUNK):
        session = response.session
        common = [
            response.pk,
            session.pk,
            _utc(session.start),
            _local(session.start, zone),
            session.pairing.round.name,
            response.author.name,
            response.author_id,
            response.about.name,
            response.about_id,
            response.purpose,
            response.template.family,
            response.template.version,
            response.revision,
            "no" if response.superseded else "yes",
            _utc(response.submitted_at),
        ]
        for answer in response.answers.all():
            value, na, text = _answer_value(answer)
            yield [
                "answer",
                *common,
                answer.item.key,
                answer.item.kind,
                value,
                na,
                text,
                "",
                "",
                "",
                "",
            ]
        for score in response.scores.all():
            yield [
                "score",
                *common,
                "",
                "",
                "",
                "",
                "",
                score.subscale or "total",
                "not scorable" if score.value is None else score.value,
                score.items_used,
                score.imputed,
            ]
