"""A cohort's sessions and feedback as CSV rows, for its supervisors and programme admins.

Rows are produced lazily: each export walks its queryset with ``.iterator(chunk_size=…)`` (a
server-side cursor on PostgreSQL) and fetches the related rows (seats; answers and scores) one
chunk at a time, so the memory an export needs depends on the chunk sizes below, never on how
many rows the cohort has (``bench/exports.py`` measures it). The one thing kept between chunks is the name of each
person met so far, bounded by the people of the cohort, not by its sessions. Rows are read as
tuples (``values_list``), not model instances: at 100,000 sessions building instances was most of
the time.

What is in them goes through ``roleplay.permissions``: sessions the requester may see, feedback the
requester may read (``feedback_visible_to``), submitted responses only — a draft is not yet
anything. Care flags, notes, recordings, cancellation reasons and do-not-pair reasons are never
part of an export. People appear by the name Dyad shows, never by email.

Times are ISO 8601, once in UTC and once in the cohort's zone."""

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice

from django.db.models import Exists, OuterRef

from accounts.models import User
from roleplay.models import (
    Cohort,
    FeedbackAnswer,
    FeedbackItem,
    FeedbackResponse,
    FeedbackScore,
    ItemKind,
    PairingRole,
    ResponseState,
    SessionSeat,
    SessionStatus,
)
from roleplay.permissions import feedback_visible_to, sessions_visible_to

# Rows fetched at a time: sessions (each with two or three seats), or submitted forms (each with
# 15 to 30 answers and its scores, so a chunk of forms is some thousands of CSV rows).
SESSION_CHUNK = 500
FEEDBACK_CHUNK = 200
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


def _chunks(rows: Iterable, size: int) -> Iterator[list]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _Names:
    """The name Dyad shows for each person (User.name), fetched once per person."""

    def __init__(self):
        self.known: dict[int, str] = {}

    def fetch(self, ids: Iterable[int]) -> dict[int, str]:
        missing = set(ids) - self.known.keys()
        if missing:
            fields = ("pk", "display_name", "email", "deleted_at", "is_supervisor")
            for pk, *rest in User.objects.filter(pk__in=missing).values_list(*fields):
                self.known[pk] = User(**dict(zip(fields[1:], rest, strict=True))).name
        return self.known


def _attendance(no_show: bool, left_cohort: bool, checked_in_at) -> str:
    if left_cohort:
        return "left cohort"
    if no_show:
        return "no-show"
    if checked_in_at:
        return "checked in"
    return ""


def session_rows(cohort: Cohort, user: User) -> Iterator[list]:
    """One row per session of the cohort that `user` may see: the header first."""
    zone = zoneinfo.ZoneInfo(cohort.time_zone)
    statuses = dict(SessionStatus.choices)
    names = _Names()
    yield SESSION_COLUMNS
    sessions = (
        sessions_visible_to(user)
        .filter(pairing__round__cohort=cohort)
        .order_by("start", "pk")
        .values_list(
            "pk",
            "start",
            "end",
            "pairing__round__name",
            "pairing_id",
            "pairing__scenario__title",
            "status",
            "review__reviewed_at",
        )
    )
    for chunk in _chunks(sessions.iterator(chunk_size=SESSION_CHUNK), SESSION_CHUNK):
        seats = defaultdict(dict)
        for session_id, role, *seat in SessionSeat.objects.filter(
            session_id__in=[row[0] for row in chunk]
        ).values_list("session_id", "role", "user_id", "no_show", "left_cohort", "checked_in_at"):
            seats[session_id][role] = seat
        known = names.fetch(s[0] for by_role in seats.values() for s in by_role.values())
        for pk, start, end, round_name, pairing_id, scenario, status, reviewed_at in chunk:
            people = []
            for role in ROLES:
                seat = seats[pk].get(role)
                people += (
                    [known[seat[0]], seat[0], _attendance(*seat[1:])] if seat else ["", "", ""]
                )
            yield [
                pk,
                _utc(start),
                _utc(end),
                _local(start, zone),
                _local(end, zone),
                cohort.time_zone,
                round_name,
                pairing_id,
                scenario or "",
                statuses.get(status, status),
                *people,
                "yes" if reviewed_at else "no",
                _utc(reviewed_at),
            ]


class _Items:
    """Each item's key and kind, fetched once per template version."""

    def __init__(self):
        self.known: dict[int, tuple[str, str]] = {}
        self.templates: set[int] = set()

    def fetch(self, template_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        missing = set(template_ids) - self.templates
        if missing:
            for pk, key, kind in FeedbackItem.objects.filter(template_id__in=missing).values_list(
                "pk", "key", "kind"
            ):
                self.known[pk] = (key, kind)
            self.templates |= missing
        return self.known


def _answer_value(kind: str, value, text: str, is_na: bool) -> tuple:
    """(value, not applicable, text): a number for scored kinds, the words for the others."""
    if is_na:
        return "", "yes", ""
    if kind in (ItemKind.TEXT, ItemKind.CHOICE):
        return "", "no", text
    return ("" if value is None else value), "no", text


def feedback_rows(cohort: Cohort, user: User) -> Iterator[list]:
    """One row per answer of each submitted response of the cohort that `user` may read, each
    response's score rows (total and subscales) after its answers: the header first."""
    zone = zoneinfo.ZoneInfo(cohort.time_zone)
    names = _Names()
    items = _Items()
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
        .order_by("session__start", "session_id", "pk")
        .values_list(
            "pk",
            "session_id",
            "session__start",
            "session__pairing__round__name",
            "author_id",
            "about_id",
            "purpose",
            "template_id",
            "template__family",
            "template__version",
            "revision",
            "superseded",
            "submitted_at",
        )
    )
    for chunk in _chunks(responses.iterator(chunk_size=FEEDBACK_CHUNK), FEEDBACK_CHUNK):
        ids = [row[0] for row in chunk]
        answers, scores = defaultdict(list), defaultdict(list)
        for response_id, *answer in (
            FeedbackAnswer.objects.filter(response_id__in=ids)
            .order_by("response_id", "item__position", "pk")
            .values_list("response_id", "item_id", "value", "text", "is_na")
        ):
            answers[response_id].append(answer)
        for response_id, *score in (
            FeedbackScore.objects.filter(response_id__in=ids)
            .order_by("response_id", "-subscale")
            .values_list("response_id", "subscale", "value", "items_used", "imputed")
        ):
            scores[response_id].append(score)
        known = names.fetch(person for row in chunk for person in row[4:6])
        item_of = items.fetch(row[7] for row in chunk)
        for row in chunk:
            (pk, session_id, start, round_name, author_id, about_id, purpose) = row[:7]
            family, version, revision, superseded, submitted_at = row[8:]
            common = [
                pk,
                session_id,
                _utc(start),
                _local(start, zone),
                round_name,
                known[author_id],
                author_id,
                known[about_id],
                about_id,
                purpose,
                family,
                version,
                revision,
                "no" if superseded else "yes",
                _utc(submitted_at),
            ]
            for item_id, value, text, is_na in answers[pk]:
                key, kind = item_of[item_id]
                value, na, text = _answer_value(kind, value, text, is_na)
                yield ["answer", *common, key, kind, value, na, text, "", "", "", ""]
            for subscale, value, items_used, imputed in scores[pk]:
                shown = "not scorable" if value is None else value
                yield [
                    "score",
                    *common,
                    "",
                    "",
                    "",
                    "",
                    "",
                    subscale or "total",
                    shown,
                    items_used,
                    imputed,
                ]
