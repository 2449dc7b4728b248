"""Cohort CSV exports at size: peak memory must not grow with the rows.

Seeds a throwaway database (``bench.throwaway``) with bulk writes: 2,000 trainees in one cohort,
1,000 sessions a round, each with its two seats and its review; for the feedback CSV, client-role
responses with every answer of the built-in client form and its stored scores. Both exports are
measured at SMALL (10,000 sessions; 10,000 answers) and again after growing the same cohort to
LARGE (100,000 sessions; 100,000 answers): each is requested through the view (Django's test
client, every middleware; a streamed response is consumed chunk by chunk, as a WSGI server does)
three times — timed; with its queries counted; under ``tracemalloc`` for the peak of Python memory
allocated while it streams (tracing slows Python, so only the first pass is timed). ``BENCH_EXPORTS_LARGE`` changes the
large size (e.g. 20000 for a quick run).

The claim (issue 11): the peak stays within a bound that does not depend on the number of rows —
it is set by ``selectors.exports.SESSION_CHUNK``/``FEEDBACK_CHUNK`` (rows fetched at a time) and
``csv_stream.CHUNK_BYTES``. The rows report each peak; ``details`` the ratio large/small.
"""

import os
import time
import tracemalloc
from datetime import timedelta
from decimal import Decimal

from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from bench.throwaway import create_throwaway_database

N_TRAINEES = 2_000
PER_ROUND = N_TRAINEES // 2
SMALL = 10_000
LARGE = int(os.environ.get("BENCH_EXPORTS_LARGE", "100000"))
BATCH = 5_000
details: dict = {}


class Seeder:
    """Grows one cohort round by round (sessions) and response by response (answers)."""

    def __init__(self):
        from accounts.models import User
        from roleplay.models import Cohort, CohortMembership, FeedbackTemplate, Role

        self.now = timezone.now().replace(microsecond=0)
        self.supervisor = User.objects.create_user(
            email="bench-exports@example.org", password="x", display_name="Bench Supervisor"
        )
        self.cohort = Cohort.objects.create(
            name="Bench export cohort",
            term_start=(self.now - timedelta(days=800)).date(),
            term_end=(self.now + timedelta(days=30)).date(),
            time_zone="Europe/London",
            created_by=self.supervisor,
        )
        self.trainees = User.objects.bulk_create(
            User(email=f"export{i}@example.org", display_name=f"Trainee {i}", password="!")
            for i in range(N_TRAINEES)
        )
        CohortMembership.objects.bulk_create(
            [CohortMembership(cohort=self.cohort, user=self.supervisor, role=Role.SUPERVISOR)]
            + [
                CohortMembership(cohort=self.cohort, user=t, role=Role.TRAINEE)
                for t in self.trainees
            ]
        )
        self.template = FeedbackTemplate.objects.get(family="builtin-client", is_current=True)
        self.items = list(self.template.items.all())
        self.rounds = 0
        self.sessions: list[tuple[int, object, object]] = []  # (session id, client, therapist)
        self.answered = 0  # sessions with a client response

    def grow_sessions(self, total: int) -> None:
        from roleplay.models import (
            Pairing,
            PairingMember,
            PairingRole,
            Round,
            RoundStatus,
            Session,
            SessionReview,
            SessionSeat,
            SessionStatus,
        )

        while len(self.sessions) < total:
            r = self.rounds
            day = self.now - timedelta(days=800) + timedelta(days=r * 3)
            round_ = Round.objects.create(
                cohort=self.cohort,
                name=f"Round {r + 1}",
                opens=day - timedelta(days=7),
                closes=day + timedelta(days=1),
                status=RoundStatus.CLOSED,
            )
            pairings = Pairing.objects.bulk_create(Pairing(round=round_) for _ in range(PER_ROUND))
            pairs = [
                (
                    self.trainees[(i + r) % N_TRAINEES],
                    self.trainees[(i + r + PER_ROUND) % N_TRAINEES],
                )
                for i in range(PER_ROUND)
            ]
            PairingMember.objects.bulk_create(
                (
                    m
                    for p, (c, t) in zip(pairings, pairs, strict=True)
                    for m in (
                        PairingMember(pairing=p, round=round_, trainee=c, role=PairingRole.CLIENT),
                        PairingMember(
                            pairing=p, round=round_, trainee=t, role=PairingRole.THERAPIST
                        ),
                    )
                ),
                batch_size=BATCH,
            )
            start = day.replace(hour=10, minute=0, second=0)
            end = start + timedelta(minutes=50)
            sessions = Session.objects.bulk_create(
                (
                    Session(
                        pairing=p,
                        start=start,
                        end=end,
                        status=SessionStatus.COMPLETED,
                        proposed_by=self.supervisor,
                    )
                    for p in pairings
                ),
                batch_size=BATCH,
            )
            SessionSeat.objects.bulk_create(
                (
                    seat
                    for s, (c, t) in zip(sessions, pairs, strict=True)
                    for seat in (
                        SessionSeat(
                            session=s,
                            user=c,
                            role=PairingRole.CLIENT,
                            start=start,
                            end=end,
                            checked_in_at=start,
                        ),
                        SessionSeat(
                            session=s,
                            user=t,
                            role=PairingRole.THERAPIST,
                            start=start,
                            end=end,
                            checked_in_at=start,
                        ),
                    )
                ),
                batch_size=BATCH,
            )
            SessionReview.objects.bulk_create(
                (
                    SessionReview(
                        session=s, complete=True, reviewed_by=self.supervisor, reviewed_at=end
                    )
                    for s in sessions
                ),
                batch_size=BATCH,
            )
            self.sessions += [(s.pk, c, t) for s, (c, t) in zip(sessions, pairs, strict=True)]
            self.rounds += 1

    def grow_answers(self, total: int) -> None:
        from roleplay.models import (
            FeedbackAnswer,
            FeedbackResponse,
            FeedbackScore,
            ItemKind,
            ResponseState,
        )

        wanted = -(-total // len(self.items))  # responses needed, rounded up
        todo = self.sessions[self.answered : wanted]
        if not todo:
            return
        responses = FeedbackResponse.objects.bulk_create(
            (
                FeedbackResponse(
                    session_id=pk,
                    author=client,
                    about=therapist,
                    purpose="client",
                    template=self.template,
                    state=ResponseState.SUBMITTED,
                    submitted_at=self.now,
                )
                for pk, client, therapist in todo
            ),
            batch_size=BATCH,
        )

        def answer(response, item):
            if item.kind in (ItemKind.TEXT, ItemKind.CHOICE):
                text = item.choices[0] if item.choices else "=What I noticed, typed as a formula"
                return FeedbackAnswer(response=response, item=item, text=text)
            return FeedbackAnswer(response=response, item=item, value=item.maximum or Decimal(1))

        FeedbackAnswer.objects.bulk_create(
            (answer(r, item) for r in responses for item in self.items), batch_size=BATCH
        )
        FeedbackScore.objects.bulk_create(
            (
                FeedbackScore(response=r, subscale=sub, value=Decimal(40), items_used=10)
                for r in responses
                for sub in ("", "felt_understood")
            ),
            batch_size=BATCH,
        )
        self.answered += len(todo)


def _stream(client: Client, url: str) -> tuple[int, int, int]:
    """(bytes, rows, queries) of one export, consumed chunk by chunk."""
    reset_queries()
    size = rows = 0
    response = client.post(url)
    assert response.status_code == 200, (url, response.status_code)
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")
    return size, rows - 1, len(connection.queries)


def _measure(client: Client, url: str) -> dict:
    began = time.perf_counter()
    size, rows, _ = _stream(client, url)
    seconds = time.perf_counter() - began
    with override_settings(DEBUG=True):
        _, _, queries = _stream(client, url)
    tracemalloc.start()
    tracemalloc.reset_peak()
    _stream(client, url)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "rows": rows,
        "bytes": size,
        "seconds": seconds,
        "peak_kb": peak / 1024,
        "queries": queries,
    }


def run() -> list[tuple[str, float, str]]:
    old_name = create_throwaway_database()
    rows, measured = [], {}
    try:
        seeder = Seeder()
        client = Client()
        client.force_login(seeder.supervisor)
        urls = {
            "sessions": reverse("cohort_export_sessions", args=[seeder.cohort.pk]),
            "feedback": reverse("cohort_export_feedback", args=[seeder.cohort.pk]),
        }
        with override_settings(DYAD_REQUIRE_MFA=False):
            for size in (SMALL, LARGE):
                began = time.perf_counter()
                seeder.grow_sessions(size)
                seeder.grow_answers(size)
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
                rows.append(
                    (
                        f"seed to {len(seeder.sessions):,} sessions, "
                        f"{seeder.answered * len(seeder.items):,} answers",
                        time.perf_counter() - began,
                        "bulk writes",
                    )
                )
                for kind, url in urls.items():
                    m = _measure(client, url)
                    measured[(kind, size)] = m
                    rows.append(
                        (
                            f"{kind} CSV, {m['rows']:,} rows ({m['bytes'] / 2**20:.1f} MB)",
                            m["seconds"],
                            f"peak Python memory {m['peak_kb']:,.0f} KB (tracemalloc), "
                            f"{m['queries']} queries",
                        )
                    )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    for kind in ("sessions", "feedback"):
        small, large = measured[(kind, SMALL)], measured[(kind, LARGE)]
        details[f"{kind}_peak_kb"] = {
            f"{small['rows']} rows": round(small["peak_kb"]),
            f"{large['rows']} rows": round(large["peak_kb"]),
            "large/small": round(large["peak_kb"] / small["peak_kb"], 2),
        }
    return rows
