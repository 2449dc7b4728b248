"""A year of a big programme, written with COPY into a database of its own (never the tests').

``seed(scale)`` drops and recreates the database named by ``scale.database``, migrates it and
fills it: ``LARGE`` is 50 cohorts of 40 trainees, 100,000 sessions over a year (each completed
one with both sides' feedback: about 2,600,000 answers with their stored scores) and 1,000,000
messages, plus one 200-trainee cohort whose draft round is the round editor's size case (and the
"Suggest pairs" case). ``SMALL`` has the same shape with a handful of everything, so a page's
query count can be compared small → large. Every table is written with one COPY and reported in
rows/s. Ids are given explicitly (the identity sequences are moved past them afterwards), so rows
can point at each other without reading anything back.

A seeded database is kept and reused by the next run when its ``bench_seed`` row says it holds
the same scale and seed version and no migration is missing; ``BENCH_RESEED=1`` forces a fresh
one.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import psycopg
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from roleplay.services.pairing_algorithm import round_robin_round

SEED_VERSION = 7  # 5: feedback (responses, answers, scores, reveals); 6: reflections, care;
# 7: the timed round is the one opened two days ago at every scale
ZONES = ("Europe/London", "Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC")
KINDS = (
    "pairing_published",
    "proposal_waiting",
    "session_confirmed",
    "reminder_24h",
    "reminder_1h",
    "session_ended",
    "unbooked_nudge",
)
# A known calendar-feed token for the bench's trainee (the database keeps only its sha256).
FEED_TOKEN = "bench-calendar-feed-token"


@dataclass(frozen=True)
class Scale:
    database: str
    cohorts: int
    trainees_per_cohort: int
    rounds_per_cohort: int
    messages: int
    editor_trainees: int  # the separate big cohort of the round editor's size case
    scenarios_per_supervisor: int = 5
    supervisors_per_cohort: int = 2


# BENCH_DATABASE names the seeded databases, so two checkouts can bench side by side.
_DATABASE = os.environ.get("BENCH_DATABASE", "dyad_bench")
LARGE = Scale(_DATABASE, 50, 40, 101, 1_000_000, 200)
SMALL = Scale(f"{_DATABASE}_small", 3, 6, 10, 3_000, 10)


@dataclass(frozen=True)
class Seeded:
    """What the page benchmark needs to know about a seeded database: ids of the people and
    objects whose pages it times. All of them live in the first cohort, or the editor cohort."""

    scale: str
    admin: int
    trainee: int
    supervisor: int
    editor_supervisor: int
    cohort: int
    editor_cohort: int
    current_round: int
    draft_round: int
    editor_round: int
    pairing: int
    session: int
    scenario: int
    rows: dict[str, int]
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return sum(self.rows.values()) / self.seconds if self.seconds else 0.0


# --------------------------------------------------------------------------- the database


def _server(dbname: str = "postgres") -> psycopg.Connection:
    db = settings.DATABASES["default"]
    return psycopg.connect(
        dbname=dbname,
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        autocommit=True,
    )


def use_database(name: str) -> None:
    """Point Django's default connection at ``name`` (as the test runner does for its test DB)."""
    connection.close()
    settings.DATABASES["default"]["NAME"] = name
    connection.settings_dict["NAME"] = name


def _existing_seed(scale: Scale) -> Seeded | None:
    with _server() as server:
        found = server.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [scale.database]
        ).fetchone()
    if not found:
        return None
    with _server(scale.database) as db:
        table = db.execute("SELECT to_regclass('bench_seed')").fetchone()[0]
        if table is None:
            return None
        row = db.execute("SELECT version, scale, seeded FROM bench_seed").fetchone()
    if not row or row[0] != SEED_VERSION or row[1] != json.dumps(asdict(scale)):
        return None
    use_database(scale.database)
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return None  # a migration has come since: seed again rather than migrate old data
    return Seeded(**json.loads(row[2]))


def _recreate(scale: Scale) -> None:
    with _server() as server:
        server.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [scale.database],
        )
        server.execute(f'DROP DATABASE IF EXISTS "{scale.database}"')
        server.execute(f'CREATE DATABASE "{scale.database}"')
    use_database(scale.database)
    call_command("migrate", verbosity=0, interactive=False)


def _record(scale: Scale, seeded: Seeded) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_seed (version int, scale text, seeded text, at timestamptz)"
        )
        cursor.execute(
            "INSERT INTO bench_seed VALUES (%s, %s, %s, now())",
            [SEED_VERSION, json.dumps(asdict(scale)), json.dumps(asdict(seeded))],
        )


# --------------------------------------------------------------------------- COPY


class Writer:
    """COPY rows into a model's table, filling every column the row leaves out with the field's
    Python default (Django keeps defaults in Python, so COPY must name them all)."""

    def __init__(self, report: Callable[[str], None] = print):
        self.rows: dict[str, int] = {}
        self.seconds = 0.0
        self.report = report

    def copy(self, label: str, model_label: str, rows: Iterable[dict]) -> int:
        model = apps.get_model(model_label)
        now = timezone.now()
        base = {}
        for field in model._meta.concrete_fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                base[field.attname] = now
            elif field.has_default():
                base[field.attname] = field.get_default()
            elif field.null:
                base[field.attname] = None
            elif field.blank and field.get_internal_type() in ("CharField", "TextField"):
                base[field.attname] = ""
        fields = model._meta.concrete_fields
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
        statement = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
        count = 0
        began = time.perf_counter()
        connection.ensure_connection()
        with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
            for given in rows:
                row = {**base, **given}
                for name in json_fields:
                    row[name] = json.dumps(row[name])
                copy.write_row([row[f.attname] for f in fields])
                count += 1
        with connection.cursor() as cursor:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {connection.ops.quote_name(table)}), false)",
                [table],
            )
        seconds = time.perf_counter() - began
        self.rows[label] = self.rows.get(label, 0) + count
        self.seconds += seconds
        rate = count / seconds if seconds else 0
        self.report(f"  {label:<28} {count:>10,} rows  {seconds:7.2f} s  {rate:>10,.0f} rows/s")
        return count


# --------------------------------------------------------------------------- the programme


def _programme(scale: Scale, writer: Writer, now: datetime) -> Seeded:
    c = scale.cohorts
    t = scale.trainees_per_cohort
    year_ago = now - timedelta(days=330)
    # Every round but the last is published (or closed by now); the last is a draft. The one
    # before it opened two days ago, so every cohort has a round open for booking at any scale.
    round_gap = timedelta(days=330 - 2) / (scale.rounds_per_cohort - 2)

    # People: the admin is 1; trainees of cohort k are 1000 + k*t + i; supervisors after them.
    admin = 1
    trainees = {k: [1000 + k * t + i for i in range(t)] for k in range(c)}
    editor_cohort_no = c
    editor_base = 1000 + c * t
    trainees[editor_cohort_no] = [editor_base + i for i in range(scale.editor_trainees)]
    sup_base = editor_base + scale.editor_trainees
    supervisors = {
        k: [
            sup_base + k * scale.supervisors_per_cohort + j
            for j in range(scale.supervisors_per_cohort)
        ]
        for k in range(c + 1)
    }
    cohort_id = {k: k + 1 for k in range(c + 1)}
    zone_of = {k: ZONES[k % len(ZONES)] for k in range(c + 1)}

    def users() -> Iterator[dict]:
        yield {
            "id": admin,
            "password": "!bench",
            "email": "admin@bench.example",
            "display_name": "Programme Admin",
            "is_staff": True,
            "is_superuser": True,
            "is_programme_admin": True,
            "date_joined": year_ago,
        }
        for k, ids in trainees.items():
            for n, uid in enumerate(ids):
                yield {
                    "id": uid,
                    "password": "!bench",
                    "email": f"trainee{uid}@bench.example",
                    "display_name": f"Trainee {k + 1}-{n + 1:03d}",
                    "time_zone": zone_of[k],
                    "date_joined": year_ago,
                }
        for k, ids in supervisors.items():
            for n, uid in enumerate(ids):
                yield {
                    "id": uid,
                    "password": "!bench",
                    "email": f"supervisor{uid}@bench.example",
                    "display_name": f"Supervisor {k + 1}-{n + 1}",
                    "time_zone": zone_of[k],
                    "is_supervisor": True,
                    "date_joined": year_ago,
                }

    writer.copy("users", "accounts.User", users())
    staff = [admin, *(u for ids in supervisors.values() for u in ids)]
    writer.copy(
        "second factors (TOTP)",
        "mfa.Authenticator",
        (
            {"id": n + 1, "user_id": uid, "type": "totp", "data": {"secret": "bench"}}
            for n, uid in enumerate(staff)
        ),
    )

    def cohorts() -> Iterator[dict]:
        for k in range(c + 1):
            name = "Big cohort (round editor)" if k == editor_cohort_no else f"Cohort {k + 1:02d}"
            yield {
                "id": cohort_id[k],
                "name": name,
                "term_start": year_ago.date(),
                "term_end": (now + timedelta(days=40)).date(),
                "time_zone": zone_of[k],
                "created_by_id": admin,
                "created_at": year_ago,
            }

    writer.copy("cohorts", "roleplay.Cohort", cohorts())

    def memberships() -> Iterator[dict]:
        n = 0
        for k in range(c + 1):
            for role, ids in (("supervisor", supervisors[k]), ("trainee", trainees[k])):
                for uid in ids:
                    n += 1
                    yield {
                        "id": n,
                        "cohort_id": cohort_id[k],
                        "user_id": uid,
                        "role": role,
                        "joined_at": year_ago,
                    }

    writer.copy("memberships", "roleplay.CohortMembership", memberships())

    # Scenarios: the starter library from migration 0003, plus each supervisor's own.
    first_scenario = 1000
    own_scenarios = {
        uid: [
            first_scenario + n * scale.scenarios_per_supervisor + j
            for j in range(scale.scenarios_per_supervisor)
        ]
        for n, uid in enumerate(u for ids in supervisors.values() for u in ids)
    }

    def scenarios() -> Iterator[dict]:
        for uid, ids in own_scenarios.items():
            for j, sid in enumerate(ids):
                yield {
                    "id": sid,
                    "owner_id": uid,
                    "shared": j == 0,
                    "title": f"Scenario {sid}: a client who is stuck",
                    "difficulty": j % 3 + 1,
                    "presenting_concern": "Low mood after a move; sleep is poor.",
                    "skills": ["reflection_of_feeling", "open_questions"],
                    "intake_summary": "Referred by their GP. Wants to feel less alone. " * 4,
                    "client_brief": "You moved for work and know nobody. Hold back at first. " * 6,
                }

    writer.copy("scenarios", "roleplay.Scenario", scenarios())

    writer.copy(
        "do-not-pair",
        "roleplay.DoNotPair",
        (
            {
                "id": k * 3 + j + 1,
                "cohort_id": cohort_id[k],
                "trainee_a_id": trainees[k][j],
                "trainee_b_id": trainees[k][j + 3],
                "reason": "Work together outside the course",
                "created_by_id": supervisors[k][0],
            }
            for k in range(c + 1)
            for j in range(3)
        ),
    )

    def weekly_hours() -> Iterator[dict]:
        n = 0
        for ids in trainees.values():
            for uid in ids:
                for day in (0, 2, 4):
                    n += 1
                    yield {
                        "id": n,
                        "user_id": uid,
                        "weekday": day,
                        "start": datetime(2000, 1, 1, 9).time(),
                        "end": datetime(2000, 1, 1, 17).time(),
                    }

    writer.copy("weekly hours", "roleplay.WeeklyHours", weekly_hours())

    # Rounds, pairings, members, sessions and seats: the round robin over each cohort, two
    # rounds a week; one session per pairing on the round's fourth day, half an hour apart.
    rounds: list[dict] = []
    pairings: list[dict] = []
    members: list[dict] = []
    sessions: list[dict] = []
    seats: list[dict] = []
    round_scenarios: list[dict] = []
    current_round = draft_round = editor_round = pairing_of_trainee = session_of_trainee = 0
    completed: list[tuple[int, int, int, datetime]] = []  # (session, client, therapist, end)
    for k in range(c + 1):
        ids = trainees[k]
        editor = k == editor_cohort_no
        count = 2 if editor else scale.rounds_per_cohort
        library = own_scenarios[supervisors[k][0]]
        for r in range(count):
            rid = len(rounds) + 1
            opens = year_ago + round_gap * r if not editor else now - timedelta(days=7 * (1 - r))
            closes = opens + timedelta(days=7)
            if editor:
                status = "closed" if r == 0 else "draft"
            elif r == count - 1:
                status = "draft"
            elif closes < now:
                status = "closed"
            else:
                status = "published"
            rounds.append(
                {
                    "id": rid,
                    "cohort_id": cohort_id[k],
                    "name": f"Round {r + 1}",
                    "opens": opens,
                    "closes": closes,
                    "status": status,
                    "published_at": None if status == "draft" else opens - timedelta(days=2),
                    "created_at": opens - timedelta(days=3),
                }
            )
            for sid in library[:3]:
                round_scenarios.append(
                    {"id": len(round_scenarios) + 1, "round_id": rid, "scenario_id": sid}
                )
            if editor and r == 1:
                editor_round = rid
            if k == 0 and r == count - 2:
                # The round opened two days ago: its sessions are ahead at every scale, so the
                # pairing and session pages show the same state small and large (the first
                # published round was one whose session had already ended at the large scale).
                current_round = rid
            if k == 0 and status == "draft":
                draft_round = rid
            for p, (a, b) in enumerate(round_robin_round(ids, r)):
                client, therapist = (a, b) if (r + p) % 2 else (b, a)
                pid = len(pairings) + 1
                pairings.append(
                    {
                        "id": pid,
                        "round_id": rid,
                        "scenario_id": library[p % 3],
                        "created_at": opens - timedelta(days=3),
                    }
                )
                for uid, role in ((client, "client"), (therapist, "therapist")):
                    members.append(
                        {
                            "id": len(members) + 1,
                            "pairing_id": pid,
                            "round_id": rid,
                            "trainee_id": uid,
                            "role": role,
                        }
                    )
                if rid == current_round and ids[0] in (client, therapist):
                    pairing_of_trainee = pid
                if status == "draft" or editor:
                    continue
                # Three days in, so the round open now has its sessions ahead (the load test
                # proposes and confirms times on them).
                start = opens + timedelta(days=3, minutes=30 * p)
                end = start + timedelta(minutes=50)
                sid = len(sessions) + 1
                if pid == pairing_of_trainee:
                    # The timed pairing's session ended yesterday in the round still open, at
                    # every scale: the same page state (feedback due, another booking offered)
                    # is timed small and large.
                    start = now - timedelta(days=1)
                    end = start + timedelta(minutes=50)
                    status = "completed"
                elif start < now:
                    # One in twenty a no-show, one in twenty cancelled, the rest completed.
                    status = {0: "no_show", 1: "cancelled"}.get(pid % 20, "completed")
                else:
                    status = "proposed" if pid % 5 == 0 else "scheduled"
                active = status in ("proposed", "scheduled", "completed")
                sessions.append(
                    {
                        "id": sid,
                        "pairing_id": pid,
                        "start": start,
                        "end": end,
                        "status": status,
                        "proposed_by_id": client,
                        "video_url": "https://meet.example.org/bench",
                        "cancelled_by_id": therapist if status == "cancelled" else None,
                        "cancelled_at": start - timedelta(days=2)
                        if status == "cancelled"
                        else None,
                        "cancel_reason": "Ill" if status == "cancelled" else "",
                        "created_at": opens,
                        "updated_at": opens,
                    }
                )
                if pid == pairing_of_trainee:
                    session_of_trainee = sid
                if status == "completed":
                    completed.append((sid, client, therapist, end))
                for uid, role in ((client, "client"), (therapist, "therapist")):
                    seats.append(
                        {
                            "id": len(seats) + 1,
                            "session_id": sid,
                            "user_id": uid,
                            "role": role,
                            "start": start,
                            "end": end,
                            "active": active,
                            "confirmed_sequence": 0
                            if status != "proposed" or uid == client
                            else None,
                            "no_show": status == "no_show" and uid == therapist,
                        }
                    )
    writer.copy("rounds", "roleplay.Round", rounds)
    writer.copy("round scenario sets", "roleplay.Round_scenarios", round_scenarios)
    writer.copy("pairings", "roleplay.Pairing", pairings)
    writer.copy("pairing members", "roleplay.PairingMember", members)
    writer.copy("sessions", "roleplay.Session", sessions)
    writer.copy("seats", "roleplay.SessionSeat", seats)
    del rounds, pairings, members, sessions, seats, round_scenarios
    _feedback(writer, completed)
    _reflections_and_care(writer, completed)
    del completed

    # Messages: spread over everyone and the year; the newest few of each person unread.
    people = [uid for ids in trainees.values() for uid in ids] + staff[1:]
    span = (now - year_ago) / scale.messages

    def messages() -> Iterator[dict]:
        total = scale.messages
        for i in range(total):
            created = year_ago + span * i
            recent = i >= total - 5 * len(people)
            yield {
                "id": i + 1,
                "kind": KINDS[i % len(KINDS)],
                "recipient_id": people[i % len(people)],
                "dedupe_key": f"bench:{i}",
                "subject": f"Your session on day {i % 365}",
                "body": "Open Dyad to see the time, the scenario and your partner.",
                "link": f"/sessions/{i % 1000 + 1}/",
                "due_at": created,
                "state": "sent",
                "attempts": 1,
                "sent_at": created + timedelta(minutes=1),
                "read_at": None if recent else created + timedelta(hours=3),
                "created_at": created,
            }

    writer.copy("messages", "roleplay.Message", messages())

    writer.copy(
        "calendar feeds",
        "roleplay.CalendarFeed",
        [
            {
                "id": 1,
                "user_id": trainees[0][0],
                "token_hash": hashlib.sha256(FEED_TOKEN.encode()).hexdigest(),
            }
        ],
    )

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Seeded(
        scale="large" if scale is LARGE else "small",
        admin=admin,
        trainee=trainees[0][0],
        supervisor=supervisors[0][0],
        editor_supervisor=supervisors[editor_cohort_no][0],
        cohort=cohort_id[0],
        editor_cohort=cohort_id[editor_cohort_no],
        current_round=current_round,
        draft_round=draft_round,
        editor_round=editor_round,
        pairing=pairing_of_trainee,
        session=session_of_trainee,
        scenario=own_scenarios[supervisors[0][0]][0],
        rows=writer.rows,
        seconds=writer.seconds,
    )


def _feedback(writer: Writer, completed: list[tuple[int, int, int, datetime]]) -> None:
    """Every completed session's feedback, as ``feedback_submit`` leaves it: the client's form
    (about the therapist) and the therapist's self-rating, each with its answers (29 a session:
    about 2,600,000 at the large size), the scores roleplay.scoring stores for them, and the
    reveal. Likert answers vary with the session (2, 3 or 4 from the client; 3 or 4 from the
    therapist), so a trainee's progress plots have a shape. One session in ten has no
    self-rating: revealed when its window closed, the therapist's form missed."""
    from roleplay.models import FeedbackTemplate

    templates = {
        t.purpose: t
        for t in FeedbackTemplate.objects.filter(
            family__in=["builtin-client", "builtin-therapist"], is_current=True
        ).prefetch_related("items")
    }
    client_t, therapist_t = templates["client"], templates["therapist"]
    client_items, therapist_items = list(client_t.items.all()), list(therapist_t.items.all())

    def likert(session_id: int, side: str) -> int:
        return 2 + session_id % 3 if side == "client" else 3 + session_id % 2

    def responses() -> Iterator[dict]:
        rid = 0
        for sid, client, therapist, end in completed:
            for side, author, about, template in (
                ("client", client, therapist, client_t),
                ("therapist", therapist, client, therapist_t),
            ):
                rid += 1
                if side == "therapist" and sid % 10 == 0:
                    continue  # the missed self-rating (its id is left unused)
                yield {
                    "id": rid,
                    "session_id": sid,
                    "author_id": author,
                    "about_id": about,
                    "purpose": side,
                    "template_id": template.pk,
                    "state": "submitted",
                    "submitted_at": end + timedelta(hours=1),
                    "created_at": end + timedelta(minutes=5),
                    "updated_at": end + timedelta(hours=1),
                }

    def _submitted() -> Iterator[tuple[int, int, str]]:
        """(response id, session id, side) of every response written above, in id order."""
        rid = 0
        for sid, *_ in completed:
            for side in ("client", "therapist"):
                rid += 1
                if not (side == "therapist" and sid % 10 == 0):
                    yield rid, sid, side

    def answers() -> Iterator[dict]:
        aid = 0
        for rid, sid, side in _submitted():
            value = likert(sid, side)
            for item in client_items if side == "client" else therapist_items:
                aid += 1
                row = {"id": aid, "response_id": rid, "item_id": item.pk}
                if item.kind == "likert":
                    row["value"] = value
                elif item.kind == "slider":
                    row["value"] = 4 + sid % 5
                elif item.kind == "choice":
                    row["text"] = item.choices[0]
                else:
                    row["text"] = "What I noticed in the session."
                yield row

    def scores() -> Iterator[dict]:
        # What roleplay.scoring stores: ten Likert items summed, one of them reverse-scored
        # (9 × L + (6 − L) = 8L + 6); four sliders summed; the total over both.
        sid_ = 0
        for rid, sid, side in _submitted():
            felt = 8 * likert(sid, side) + 6
            if side == "client":
                rating = 4 * (4 + sid % 5)
                parts = [("felt_understood", felt, 10), ("session_rating", rating, 4)]
                parts.append(("", felt + rating, 14))
            else:
                parts = [("understood_self", felt, 10), ("", felt, 10)]
            for subscale, value, used in parts:
                sid_ += 1
                yield {
                    "id": sid_,
                    "response_id": rid,
                    "subscale": subscale,
                    "value": value,
                    "items_used": used,
                }

    def reveals() -> Iterator[dict]:
        for n, (sid, _client, _therapist, end) in enumerate(completed, start=1):
            missed = sid % 10 == 0
            yield {
                "id": n,
                "session_id": sid,
                "revealed_at": end + (timedelta(days=7) if missed else timedelta(hours=1)),
                "reason": "window_closed" if missed else "both_submitted",
            }

    writer.copy("feedback responses", "roleplay.FeedbackResponse", responses())
    writer.copy("feedback answers", "roleplay.FeedbackAnswer", answers())
    writer.copy("feedback scores", "roleplay.FeedbackScore", scores())
    writer.copy("feedback reveals", "roleplay.FeedbackReveal", reveals())


def _reflections_and_care(writer: Writer, completed: list[tuple[int, int, int, datetime]]) -> None:
    """After each reveal both trainees reflect: a usefulness rating (1 to 5, varying with the
    session and the trainee) and a goal — what the cohort view's "usefulness of their feedback"
    reads. And three open care requests in the first cohort (its sessions come first), for the
    cohort view's attention list."""
    writer.copy(
        "reflections",
        "roleplay.Reflection",
        (
            {
                "id": n,
                "session_id": sid,
                "trainee_id": trainee,
                "usefulness": 1 + (sid + trainee) % 5,
                "goal": "Leave a silence before the next question.",
                "updated_at": end + timedelta(hours=2),
            }
            for n, (sid, trainee, end) in enumerate(
                (
                    (sid, trainee, end)
                    for sid, client, therapist, end in completed
                    for trainee in (client, therapist)
                ),
                start=1,
            )
        ),
    )
    writer.copy(
        "care requests (open)",
        "roleplay.CareFlag",
        (
            {"id": n, "session_id": sid, "raised_by_id": client, "raised_at": end}
            for n, (sid, client, _therapist, end) in enumerate(completed[:3], start=1)
        ),
    )


def seed(scale: Scale, report: Callable[[str], None] = print) -> Seeded:
    """The seeded database for ``scale``, made now unless an identical one is there; Django's
    default connection points at it afterwards."""
    if not os.environ.get("BENCH_RESEED"):
        existing = _existing_seed(scale)
        if existing is not None:
            use_database(scale.database)
            report(
                f"Reusing {scale.database} ({sum(existing.rows.values()):,} rows; BENCH_RESEED=1 to redo)"
            )
            return existing
    report(f"Seeding {scale.database}: {asdict(scale)}")
    _recreate(scale)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    writer = Writer(report)
    seeded = _programme(scale, writer, now)
    report(
        f"  {'total':<28} {sum(seeded.rows.values()):>10,} rows  {seeded.seconds:7.2f} s  "
        f"{seeded.rows_per_second:>10,.0f} rows/s"
    )
    _record(scale, seeded)
    return seeded
