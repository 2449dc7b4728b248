"""The outbox sweep at scale: 1,000,000 message rows, 10,000 of them due.

The issue: a sweep over a database holding a million outbox rows must claim and dispatch the due
ones without scanning the rest. This fills a throwaway copy of the configured database with COPY,
prints EXPLAIN (ANALYZE, BUFFERS) of the exact claim query `notify.messages_due()` runs (and asserts
it reads the partial index `message_pending_due`, never a Seq Scan of the table), then times the
whole dispatch as the beat sweep would do it, minus the broker: sweep, send each id, repeat.

Runs against Django's test database, so `make bench` never touches real data."""

import re
import statistics
import time
from datetime import timedelta

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from bench.throwaway import create_throwaway_database

N_USERS = 5_000
N_ROWS = 1_000_000
N_DUE = 10_000
TABLE = "roleplay_message"
INDEX = "message_pending_due"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
# Every column but the identity `id`; Django keeps Python defaults in Python, so COPY names them all.
COLUMNS = (
    "kind",
    "recipient_id",
    "dedupe_key",
    "subject",
    "body",
    "link",
    "due_at",
    "state",
    "attempts",
    "last_error",
    "sending_since",
    "sent_at",
    "read_at",
    "created_at",
)
KINDS = (
    "pairing_published",
    "session_confirmed",
    "reminder_24h",
    "reminder_1h",
    "session_ended",
    "proposal_waiting",
)
BODY = "Your role-play session is coming up. Open Dyad to see the time, the scenario and partner."


def _users() -> list[int]:
    from accounts.models import User

    users = User.objects.bulk_create(
        (User(email=f"outbox{i}@example.org", display_name=f"Trainee {i}") for i in range(N_USERS)),
        batch_size=5000,
    )
    return [user.pk for user in users]


def _rows(user_ids: list[int], now):
    """One million rows, the kinds of state interleaved so the due ones are spread over the heap.

    Per hundred rows: 1 pending and due, 9 pending and due later, 1 withdrawn or failed, 89 sent."""
    span = timedelta(days=90)
    step = span / N_ROWS
    start = now - span
    for i in range(N_ROWS):
        slot = i % 100
        created = start + step * i
        kind = KINDS[i % len(KINDS)]
        recipient = user_ids[i % len(user_ids)]
        subject = f"Message {i}"
        link = f"/sessions/{i // 4}/"
        if slot == 0:  # pending, due: what the sweep must find (due within the last two days)
            due = now - timedelta(seconds=17 * (i // 100) % 172_800 + 1)
            yield (
                kind, recipient, f"due:{i}", subject, BODY, link,
                due, "pending", 0, "", None, None, None, created,
            )  # fmt: skip
        elif slot < 10:  # pending, due from an hour to 30 days ahead: in the index, not due
            due = now + timedelta(hours=1, seconds=(i * 7919) % 2_592_000)
            yield (
                kind, recipient, f"later:{i}", subject, BODY, link,
                due, "pending", 0, "", None, None, None, created,
            )  # fmt: skip
        elif slot == 10 and (i // 100) % 2:
            yield (
                kind, recipient, f"withdrawn:{i}", subject, BODY, link,
                created, "withdrawn", 0, "", None, None, None, created,
            )  # fmt: skip
        elif slot == 10:
            yield (
                kind, recipient, f"failed:{i}", subject, BODY, link,
                created, "failed", 5, "SMTPServerDisconnected: Connection unexpectedly closed",
                None, None, None, created,
            )  # fmt: skip
        else:  # sent a minute after it was due; about half of them read in the app
            sent = created + timedelta(minutes=1)
            read = created + timedelta(hours=3) if i % 2 else None
            yield (
                kind, recipient, f"sent:{i}", subject, BODY, link,
                created, "sent", 1, "", None, sent, read, created,
            )  # fmt: skip


def _check_columns() -> None:
    """Every NOT NULL column without a database default must be in COLUMNS."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = %s
              AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'
            """,
            [TABLE],
        )
        required = {name for (name,) in cursor.fetchall()}
    missing = required - set(COLUMNS)
    assert not missing, f"COPY leaves NOT NULL columns of {TABLE} empty: {sorted(missing)}"


def _fill(now) -> tuple[float, float]:
    user_ids = _users()
    _check_columns()
    connection.ensure_connection()
    raw = connection.connection  # the psycopg 3 connection, in autocommit like Django's
    began = time.perf_counter()
    statement = f"COPY {TABLE} ({', '.join(COLUMNS)}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in _rows(user_ids, now):
            copy.write_row(row)
    copied = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TABLE}")
    analyzed = time.perf_counter()
    return copied - began, analyzed - copied


def _sweep_sql() -> tuple[str, str]:
    """The two statements `messages_due()` runs: the reset of stuck rows, then the claim."""
    from roleplay.services import notify

    with CaptureQueriesContext(connection) as captured:
        ids = notify.messages_due()
    assert len(ids) == notify.SWEEP_BATCH, len(ids)
    statements = [q["sql"] for q in captured.captured_queries]
    reset = next(s for s in statements if s.startswith("UPDATE"))
    claim = next(s for s in statements if "FOR UPDATE SKIP LOCKED" in s)
    return reset, claim


def _explain(sql: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) in a transaction that is rolled back (it locks and writes)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        plan = "\n".join(line for (line,) in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


def _timed(sql: str, repeat: int = 5) -> float:
    """Median wall time of one statement, each run in a transaction that is rolled back."""
    times = []
    for _ in range(repeat):
        with transaction.atomic(), connection.cursor() as cursor:
            began = time.perf_counter()
            cursor.execute(sql)
            if cursor.description:
                cursor.fetchall()
            times.append(time.perf_counter() - began)
            transaction.set_rollback(True)
    return statistics.median(times)


def _scan_of(plan: str) -> str:
    if re.search(rf"(Bitmap )?Index( Only)? Scan (using|on) {INDEX}\b", plan):
        return f"index: {INDEX}"
    if f"Seq Scan on {TABLE}" in plan:
        return "Seq Scan"
    return "other scan"


def _dispatch() -> tuple[float, set[int], int, int]:
    """As the beat sweep does it, without a broker: sweep, send every id, until nothing is due."""
    from django.core import mail

    from roleplay.services import notify

    limit = N_DUE // notify.SWEEP_BATCH + 5
    claimed: set[int] = set()
    sent = sweeps = 0
    with override_settings(EMAIL_BACKEND=LOCMEM):
        mail.outbox = []
        began = time.perf_counter()
        while ids := notify.messages_due():
            sweeps += 1
            assert sweeps <= limit, "the sweep keeps finding work"
            claimed.update(ids)
            for message_id in ids:
                sent += notify.message_send(message_id=message_id)
        elapsed = time.perf_counter() - began
        emails = len(mail.outbox)
        mail.outbox.clear()
        assert notify.messages_due() == [], "a second sweep still finds due rows"
    assert sent == emails == N_DUE, (sent, emails)
    return elapsed, claimed, sweeps, sent


def run() -> list[tuple[str, float, str]]:
    from roleplay.models import Message, MessageState
    from roleplay.services import notify

    old_name = create_throwaway_database()
    try:
        now = timezone.now()
        copy_s, analyze_s = _fill(now)
        assert Message.objects.count() == N_ROWS
        sent_before = Message.objects.filter(state=MessageState.SENT).count()

        reset_sql, claim_sql = _sweep_sql()
        claim_plan = _explain(claim_sql)
        reset_plan = _explain(reset_sql)
        print(f"\nclaim query of notify.messages_due():\n  {claim_sql}\n")
        print(claim_plan)
        print(
            f"\nreset of stuck 'sending' rows, first statement of messages_due():\n  {reset_sql}\n"
        )
        print(reset_plan)
        claim_scan = _scan_of(claim_plan)
        assert claim_scan == f"index: {INDEX}", f"claim query does not use {INDEX}"
        assert f"Seq Scan on {TABLE}" not in claim_plan, "claim query scans the whole table"
        claim_s = _timed(claim_sql)
        reset_s = _timed(reset_sql)

        dispatch_s, claimed, sweeps, _ = _dispatch()
        assert len(claimed) == N_DUE, len(claimed)
        assert Message.objects.filter(pk__in=claimed, state=MessageState.SENT).count() == N_DUE, (
            "not every due row was sent"
        )
        assert Message.objects.filter(state=MessageState.SENT).count() == sent_before + N_DUE, (
            "rows other than the due ones changed to sent"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return [
        (
            "fill 1,000,000 outbox rows (COPY)",
            copy_s + analyze_s,
            f"COPY {copy_s:.1f} s + ANALYZE {analyze_s:.1f} s, {N_ROWS / copy_s:,.0f} rows/s",
        ),
        (
            "claim query on 1,000,000 rows",
            claim_s,
            f"{claim_scan}, no seq scan; {notify.SWEEP_BATCH} of {N_DUE:,} due per sweep",
        ),
        (
            "reset stuck 'sending' rows on 1,000,000 rows",
            reset_s,
            f"{_scan_of(reset_plan)}; runs before every claim",
        ),
        (
            f"sweep + send {N_DUE:,} due",
            dispatch_s,
            f"{N_DUE / dispatch_s:,.0f} rows/s, {sweeps} sweeps, locmem email",
        ),
    ]
