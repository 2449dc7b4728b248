"""Feedback pages at size: the feedback form, the session page with both sides revealed (with
every record part: notes, a recording with comments, events, consents, reflections and a goal
from the session before; for the trainee and for the supervisor), the review queue and the
scenario library, each timed against a floor view in the same run.

Seeds a database of its own, ``<BENCH_DATABASE>_feedback_<rounds>``, kept and reused by the next
run with the same rounds while its ``bench_feedback_seed`` row holds this SEED_VERSION and no
migration has come since (BENCH_RESEED=1 seeds again). The seed is bulk writes:
2,000 trainees in one cohort, paired 1,000 sessions a round, each session with the client's and
the therapist's submitted responses, their answers (29 a session), stored scores, the reveal and
the review flags and the scenarios' running totals — the way `feedback_submit` leaves them. The
default run seeds BENCH_FEEDBACK_ROUNDS=7 rounds (about 200,000 answers, a few minutes);
BENCH_FEEDBACK_FULL=1 seeds 69 rounds, about 2,000,000 answers (the issue's size; its bulk
writes took 15 minutes with the 2 cores' load average near 11, too long for every `make bench`);
BENCH_FEEDBACK_ROUNDS=1 (about 29,000 answers) gives the small size to compare query counts.

Each page is requested through Django's test client (every middleware, no network)
BENCH_REQUESTS times (default 30), alternating with the floor — the smallest signed-in view,
which renders nothing — so both see the same machine load. Queries are counted on one extra
request. Targets (issue 9): at most 15 queries each, and a median within 10x the floor's.
"""

import json
import os
import statistics
import time
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

N_TRAINEES = 2_000
FULL_ROUNDS = 69
ROUNDS = (
    FULL_ROUNDS
    if os.environ.get("BENCH_FEEDBACK_FULL")
    else int(os.environ.get("BENCH_FEEDBACK_ROUNDS", "7"))
)
REQUESTS = max(5, int(os.environ.get("BENCH_REQUESTS", "30")))
N_SCENARIOS = 20
MAX_QUERIES = 15
TARGET_X = 10
BATCH = 10_000


def _answers_for(items, response, *, low: bool):
    from roleplay.models import FeedbackAnswer, ItemKind

    for item in items:
        if item.kind == ItemKind.LIKERT:
            yield FeedbackAnswer(response=response, item=item, value=Decimal(2 if low else 4))
        elif item.kind == ItemKind.SLIDER:
            yield FeedbackAnswer(response=response, item=item, value=Decimal("3" if low else "9.5"))
        elif item.kind == ItemKind.CHOICE:
            yield FeedbackAnswer(response=response, item=item, text=item.choices[0])
        else:
            yield FeedbackAnswer(
                response=response, item=item, text="What I noticed in the session."
            )


def _scores_for(response, *, purpose: str, low: bool):
    from roleplay.models import FeedbackScore

    # What roleplay.scoring stores for these answers (one reverse-scored item in ten).
    if purpose == "client":
        felt = Decimal(9 * 2 + 4) if low else Decimal(9 * 4 + 2)
        rating = Decimal(12) if low else Decimal(38)
        parts = [("felt_understood", felt, 10), ("session_rating", rating, 4)]
        parts.append(("", felt + rating, 14))
    else:
        parts = [("understood_self", Decimal(38), 10), ("", Decimal(38), 10)]
    for subscale, value, used in parts:
        yield FeedbackScore(response=response, subscale=subscale, value=value, items_used=used)


def seed() -> dict:
    """Bulk writes only; returns the ids the pages need."""
    from accounts.models import User
    from roleplay.models import (
        Cohort,
        CohortMembership,
        FeedbackResponse,
        FeedbackReveal,
        FeedbackTemplate,
        Pairing,
        PairingMember,
        PairingRole,
        RevealReason,
        Role,
        Round,
        RoundStatus,
        Scenario,
        Session,
        SessionReview,
        SessionSeat,
        SessionStatus,
    )
    from roleplay.services.scenario_totals import scenario_totals_rebuild

    now = timezone.now().replace(microsecond=0)
    supervisor = User.objects.create_user(
        email="bench-supervisor@example.org", password="x", display_name="Bench Supervisor"
    )
    supervisor.is_supervisor = True
    supervisor.save(update_fields=["is_supervisor"])
    cohort = Cohort.objects.create(
        name="Bench cohort",
        term_start=(now - timedelta(days=400)).date(),
        term_end=(now + timedelta(days=30)).date(),
        time_zone="Europe/London",
        created_by=supervisor,
    )
    trainees = User.objects.bulk_create(
        User(email=f"bench{i}@example.org", display_name=f"Trainee {i}", password="!")
        for i in range(N_TRAINEES)
    )
    CohortMembership.objects.bulk_create(
        [CohortMembership(cohort=cohort, user=supervisor, role=Role.SUPERVISOR)]
        + [CohortMembership(cohort=cohort, user=t, role=Role.TRAINEE) for t in trainees]
    )
    scenarios = Scenario.objects.bulk_create(
        Scenario(
            owner=supervisor,
            title=f"Bench scenario {i}",
            presenting_concern="Low mood",
            difficulty=1 + i % 3,
            skills=["open_questions"],
            intake_summary="Intake.",
            client_brief="Brief.",
        )
        for i in range(N_SCENARIOS)
    )
    templates = {
        t.purpose: t
        for t in FeedbackTemplate.objects.filter(
            family__in=["builtin-client", "builtin-therapist"], is_current=True
        ).prefetch_related("items")
    }
    items = {purpose: list(t.items.all()) for purpose, t in templates.items()}
    half = N_TRAINEES // 2
    last = {}
    for r in range(ROUNDS):
        day = now - timedelta(days=3 * (ROUNDS - r))
        round_ = Round.objects.create(
            cohort=cohort,
            name=f"Round {r + 1}",
            opens=day - timedelta(days=7),
            closes=day + timedelta(days=1),
            status=RoundStatus.CLOSED if r < ROUNDS - 1 else RoundStatus.PUBLISHED,
        )
        pairings = Pairing.objects.bulk_create(
            Pairing(round=round_, scenario=scenarios[i % N_SCENARIOS]) for i in range(half)
        )
        pairs = [
            (trainees[(i + r) % N_TRAINEES], trainees[(i + r + half) % N_TRAINEES])
            for i in range(half)
        ]
        if r % 2:
            pairs = [(b, a) for a, b in pairs]
        PairingMember.objects.bulk_create(
            member
            for pairing, (client, therapist) in zip(pairings, pairs, strict=True)
            for member in (
                PairingMember(
                    pairing=pairing, round=round_, trainee=client, role=PairingRole.CLIENT
                ),
                PairingMember(
                    pairing=pairing, round=round_, trainee=therapist, role=PairingRole.THERAPIST
                ),
            )
        )
        start = day.replace(hour=10, minute=0, second=0)
        end = start + timedelta(minutes=50)
        reviewed = r < ROUNDS - 2
        sessions = Session.objects.bulk_create(
            Session(
                pairing=p,
                start=start,
                end=end,
                status=SessionStatus.COMPLETED,
                proposed_by=supervisor,
                awaiting_review=not reviewed,  # as session_review leaves it
            )
            for p in pairings
        )
        SessionSeat.objects.bulk_create(
            (
                seat
                for session, (client, therapist) in zip(sessions, pairs, strict=True)
                for seat in (
                    SessionSeat(
                        session=session, user=client, role=PairingRole.CLIENT, start=start, end=end
                    ),
                    SessionSeat(
                        session=session,
                        user=therapist,
                        role=PairingRole.THERAPIST,
                        start=start,
                        end=end,
                    ),
                )
            ),
            batch_size=BATCH,
        )
        # The last round's first session is left unwritten: the form page opens it.
        written = sessions[1:] if r == ROUNDS - 1 else sessions
        submitted_at = end + timedelta(hours=2)
        responses = FeedbackResponse.objects.bulk_create(
            (
                response
                for session, (client, therapist) in zip(sessions, pairs, strict=True)
                if session in written
                for response in (
                    FeedbackResponse(
                        session=session,
                        author=client,
                        about=therapist,
                        purpose="client",
                        template=templates["client"],
                        state="submitted",
                        submitted_at=submitted_at,
                    ),
                    FeedbackResponse(
                        session=session,
                        author=therapist,
                        about=client,
                        purpose="therapist",
                        template=templates["therapist"],
                        state="submitted",
                        submitted_at=submitted_at,
                    ),
                )
            ),
            batch_size=BATCH,
        )
        low = {s.pk for s in written[::10]}
        from roleplay.models import FeedbackAnswer, FeedbackScore

        FeedbackAnswer.objects.bulk_create(
            (
                answer
                for response in responses
                for answer in _answers_for(
                    items[response.purpose], response, low=response.session_id in low
                )
            ),
            batch_size=BATCH,
        )
        FeedbackScore.objects.bulk_create(
            (
                score
                for response in responses
                for score in _scores_for(
                    response, purpose=response.purpose, low=response.session_id in low
                )
            ),
            batch_size=BATCH,
        )
        FeedbackReveal.objects.bulk_create(
            FeedbackReveal(session=s, revealed_at=submitted_at, reason=RevealReason.BOTH_SUBMITTED)
            for s in written
        )
        SessionReview.objects.bulk_create(
            SessionReview(
                session=s,
                complete=True,
                flagged=s.pk in low,
                flags=[{"kind": "low_score", "label": "Low client-rated score"}]
                if s.pk in low
                else [],
                reviewed_by=supervisor if reviewed else None,
                reviewed_at=submitted_at if reviewed else None,
            )
            for s in written
        )
        last = {"open": (sessions[0], pairs[0]), "revealed": (sessions[1], pairs[1])}
    # The scenarios' running totals, as feedback_submit and sessions_complete would have left
    # them (the data migration's backfill, over everything seeded).
    scenario_totals_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    open_session, (open_client, open_therapist) = last["open"]
    revealed, (revealed_client, revealed_therapist) = last["revealed"]
    _record_parts(revealed, revealed_client, revealed_therapist, supervisor, now)
    return {
        "supervisor": supervisor,
        "form_user": open_client,
        "form_url": reverse("feedback_form", args=[open_session.pk, "client", open_therapist.pk]),
        "session_user": revealed_client,
        "session_url": reverse("session_detail", args=[revealed.pk]),
        "answers": FeedbackAnswer.objects.count(),
    }


def _record_parts(session, client_role, therapist_role, supervisor, now) -> None:
    """Everything else the session page shows, three of each: notes (shared and process),
    consents, a recording (its row: the page never reads the file) with comments, timeline
    events, both trainees' reflections, and the client's goal set after their session before."""
    from roleplay.models import (
        Consent,
        Event,
        EventKind,
        Note,
        NoteKind,
        Recording,
        RecordingComment,
        Reflection,
        Session,
    )

    people = [client_role, therapist_role]
    Consent.objects.bulk_create(Consent(session=session, user=u, given_at=now) for u in people)
    recording = Recording.objects.create(
        session=session,
        file=f"sessions/{session.pk}/bench.wav",
        content_type="audio/wav",
        size=1000,
        duration_seconds=600,
        uploaded_by=client_role,
        uploaded_at=now,
    )
    for i in range(3):
        RecordingComment.objects.create(
            recording=recording, author=supervisor, at_seconds=i * 60, text=f"Moment {i}"
        )
        Note.objects.create(
            session=session,
            kind=NoteKind.SHARED,
            author=client_role,
            text=f"Shared {i}",
            written_at=now,
        )
        Note.objects.create(
            session=session,
            kind=NoteKind.PROCESS,
            owner=therapist_role,
            author=therapist_role,
            text=f"Process {i}",
            written_at=now,
        )
        Event.objects.create(
            session=session,
            kind=EventKind.REMINDER_SENT,
            data={"people": [u.pk for u in people]},
            at=now,
        )
    Reflection.objects.bulk_create(
        Reflection(session=session, trainee=u, usefulness=4, text="Reflected.", goal="A goal")
        for u in people
    )
    before = (
        Session.objects.filter(seats__user=client_role, end__lte=session.start)
        .order_by("-end")
        .first()
    )
    if before is not None:
        Reflection.objects.get_or_create(
            session=before, trainee=client_role, defaults={"goal": "Pause before asking"}
        )


def _measure(client: Client, url: str) -> tuple[float, float, int]:
    floor_url = reverse("bench_floor")
    for _ in range(2):
        client.get(url)
        client.get(floor_url)
    page, floor_times = [], []
    for _ in range(REQUESTS):
        began = time.perf_counter()
        response = client.get(url)
        page.append(time.perf_counter() - began)
        began = time.perf_counter()
        client.get(floor_url)
        floor_times.append(time.perf_counter() - began)
    assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(page), statistics.median(floor_times), len(queries)


SEED_VERSION = 1  # bump when seed() writes something different


def _database_name() -> str:
    base = os.environ.get("BENCH_DATABASE", "dyad_bench")
    return f"{base}_feedback_{ROUNDS}"


def _existing(name: str) -> dict | None:
    """The ids recorded by an earlier seed of ``name`` when it holds this seed version and no
    migration has come since (then it is reused); None otherwise."""
    from django.db.migrations.executor import MigrationExecutor

    from bench.seed import _server, use_database

    with _server() as server:
        if not server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return None
    with _server(name) as db:
        if db.execute("SELECT to_regclass('bench_feedback_seed')").fetchone()[0] is None:
            return None
        row = db.execute("SELECT version, rounds, seeded FROM bench_feedback_seed").fetchone()
    if not row or row[0] != SEED_VERSION or row[1] != ROUNDS:
        return None
    use_database(name)
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return None  # a migration has come since: seed again rather than migrate old data
    recorded = json.loads(row[2])
    _keep_windows_as_seeded(recorded)
    return recorded


def _keep_windows_as_seeded(recorded: dict) -> None:
    """Times were seeded relative to the seed's day; lengthen the cohort's feedback window by the
    days since, so the same sessions' windows are open (the form page's) or closed as then."""
    from roleplay.models import Cohort

    seeded_on = datetime.fromisoformat(recorded["seeded_at"])
    days = max(0, (timezone.now() - seeded_on).days)
    Cohort.objects.filter(name="Bench cohort").update(feedback_window_days=7 + days)


def _fresh(name: str) -> tuple[dict, float]:
    """Drop, create, migrate and seed ``name``; record what was seeded in its marker table."""
    from django.core.management import call_command

    from bench.seed import _server, use_database

    with _server() as server:
        server.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        server.execute(f'DROP DATABASE IF EXISTS "{name}"')
        server.execute(f'CREATE DATABASE "{name}"')
    use_database(name)
    call_command("migrate", verbosity=0, interactive=False)
    began = time.perf_counter()
    s = seed()
    seconds = time.perf_counter() - began
    recorded = {
        "form_user": s["form_user"].pk,
        "session_user": s["session_user"].pk,
        "supervisor": s["supervisor"].pk,
        "form_url": s["form_url"],
        "session_url": s["session_url"],
        "answers": s["answers"],
        "seed_seconds": round(seconds, 1),
        "seeded_at": timezone.now().isoformat(),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_feedback_seed (version int, rounds int, seeded text, at timestamptz)"
        )
        cursor.execute(
            "INSERT INTO bench_feedback_seed VALUES (%s, %s, %s, now())",
            [SEED_VERSION, ROUNDS, json.dumps(recorded)],
        )
    return recorded, seconds


def seeded_database() -> tuple[dict, str]:
    """The seeded database for ROUNDS (kept between runs as ``<BENCH_DATABASE>_feedback_<rounds>``;
    BENCH_RESEED=1 seeds again) and a note on where it came from. Django's connection points at
    it afterwards."""
    name = _database_name()
    recorded = None if os.environ.get("BENCH_RESEED") else _existing(name)
    if recorded is not None:
        return recorded, f"reused {name} (seeded in {recorded['seed_seconds']:,.0f} s)"
    recorded, seconds = _fresh(name)
    return recorded, f"seeded {name} now in {seconds:,.0f} s"


def run() -> list[tuple[str, float, str]]:
    from accounts.models import User
    from bench.seed import use_database

    old_name = connection.settings_dict["NAME"]
    rows = []
    try:
        s, how = seeded_database()
        rows.append(
            (
                f"seed {N_TRAINEES:,} trainees, {s['answers']:,} answers (bulk writes)",
                s["seed_seconds"],
                f"{ROUNDS} rounds; {how}",
            )
        )
        with override_settings(ROOT_URLCONF="bench.urls", DYAD_REQUIRE_MFA=False):
            clients = {}
            for key in ("form_user", "session_user", "supervisor"):
                clients[key] = Client()
                clients[key].force_login(User.objects.get(pk=s[key]))
            pages = [
                ("feedback form", "form_user", s["form_url"]),
                ("session page, both sides revealed", "session_user", s["session_url"]),
                ("session page, supervisor", "supervisor", s["session_url"]),
                ("review queue", "supervisor", reverse("review_queue")),
                ("scenario library", "supervisor", reverse("scenario_list")),
            ]
            for name, who, url in pages:
                median, floor_median, queries = _measure(clients[who], url)
                x = median / floor_median
                ok = queries <= MAX_QUERIES and x <= TARGET_X
                rows.append(
                    (
                        name,
                        median,
                        f"{queries} queries, {x:.1f}x floor ({floor_median * 1000:.1f} ms)"
                        f"{'' if ok else '  ** over target **'}",
                    )
                )
    finally:
        use_database(old_name)
    return rows
