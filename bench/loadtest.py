"""`make loadtest`: Dyad under load on this machine, against the large bench seed.

Starts gunicorn (2 workers), a Celery worker and beat on loopback with ``bench.settings``
(the large seed ``dyad_bench``, Redis DB 12 for broker and cache), signs simulated people in by
making their session cookies directly, then runs locust headless twice: 20 trainees + 5
supervisors, then 100 trainees + 5 supervisors, ``PHASE_SECONDS`` each (two minutes in all).
What they do is in ``bench/locustfile.py``. Prints and writes ``bench/loadtest.json``: requests/s,
p50/p95/p99 and errors per phase and per page, with the machine and its load. Never part of
``make test``; it stops everything it started, also when interrupted.

Target (issue 10): no errors, and p95 under 500 ms at 20 trainees on a 2-core machine.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "loadtest"
RESULTS = ROOT / "bench" / "loadtest.json"
PHASES = (20, 100)  # simulated trainees; 5 supervisors join each phase
SUPERVISORS = 5
PHASE_SECONDS = int(os.environ.get("LOADTEST_SECONDS", "55"))
TARGET_P95_MS = 500


def _env() -> dict[str, str]:
    """The environment of every process started: the seeded database Django now points at."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    env["DATABASE_URL"] = (
        f"postgres://{db['USER'] or 'postgres'}"
        + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        + f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env["REDIS_URL"] = settings.REDIS_URL
    env["PYTHONPATH"] = str(ROOT)
    return env


def _people() -> dict[str, list[dict]]:
    """Session cookies for the simulated people, with the pages each one opens."""
    from django.db.models import Q
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from roleplay.models import CohortMembership, Round, RoundStatus, SessionSeat

    soon = timezone.now()
    seats = (
        SessionSeat.objects.filter(
            session__status__in=["proposed", "scheduled"],
            session__start__gt=soon,
            session__pairing__round__status=RoundStatus.PUBLISHED,
            user__memberships__role="trainee",
        )
        .select_related("session__pairing")
        .order_by("user_id", "session__start")
    )
    trainees: dict[int, dict] = {}
    for seat in seats.iterator():
        if seat.user_id not in trainees:
            trainees[seat.user_id] = {
                "user": seat.user_id,
                "pairing": seat.session.pairing_id,
                "session": seat.session_id,
            }
    # Spread over the cohorts: every 20th such trainee, so 100 people come from 50 cohorts.
    chosen = list(trainees.values())[:: max(1, len(trainees) // max(PHASES))][: max(PHASES)]
    supervisors = []
    memberships = CohortMembership.objects.active().filter(role="supervisor").order_by("cohort_id")
    for membership in memberships:
        current = (
            Round.objects.filter(cohort_id=membership.cohort_id)
            .filter(Q(status=RoundStatus.PUBLISHED))
            .order_by("-opens")
            .first()
        )
        if current is not None and not any(
            s["cohort"] == membership.cohort_id for s in supervisors
        ):
            supervisors.append(
                {"user": membership.user_id, "cohort": membership.cohort_id, "round": current.pk}
            )
        if len(supervisors) == SUPERVISORS:
            break
    for person in [*chosen, *supervisors]:
        client = Client()
        client.force_login(User.objects.get(pk=person["user"]))
        person["session_cookie"] = client.cookies["sessionid"].value
        person["csrf"] = secrets.token_hex(16)  # any 32-character secret is a valid CSRF cookie
    return {"trainees": chosen, "supervisors": supervisors}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"nothing answered at {url}")


def _read_stats(prefix: Path) -> tuple[dict, list[dict]]:
    def row(r: dict) -> dict:
        return {
            "name": r["Name"],
            "requests": int(r["Request Count"]),
            "errors": int(r["Failure Count"]),
            "requests_per_s": round(float(r["Requests/s"]), 1),
            "p50_ms": float(r["50%"]),
            "p95_ms": float(r["95%"]),
            "p99_ms": float(r["99%"]),
        }

    with open(f"{prefix}_stats.csv", newline="") as stats:
        rows = [row(r) for r in csv.DictReader(stats)]
    total = next(r for r in rows if r["name"] == "Aggregated")
    return total, [r for r in rows if r["name"] != "Aggregated"]


def _phase(trainees: int, host: str, env: dict[str, str]) -> dict:
    prefix = OUT / f"{trainees}_trainees"
    users = trainees + SUPERVISORS
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--only-summary",
            "--users",
            str(users),
            "--spawn-rate",
            str(max(5, users // 5)),
            "--run-time",
            f"{PHASE_SECONDS}s",
            "--host",
            host,
            "--csv",
            str(prefix),
            "--loglevel",
            "WARNING",
            "--exit-code-on-error",
            "0",
        ],
        env=env,
        check=True,
    )
    total, pages = _read_stats(prefix)
    return {
        "trainees": trainees,
        "supervisors": SUPERVISORS,
        "seconds": PHASE_SECONDS,
        **total,
        "pages": pages,
    }


def _start(command: list[str], name: str, env: dict[str, str]) -> subprocess.Popen:
    log = open(OUT / f"{name}.log", "w")  # noqa: SIM115 - open while the process runs
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def main() -> int:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from bench.machine import describe
    from bench.seed import LARGE, seed

    OUT.mkdir(parents=True, exist_ok=True)
    seeded = seed(LARGE)
    env = _env()
    people_file = OUT / "people.json"
    people_file.write_text(json.dumps(_people()))
    env["LOADTEST_PEOPLE"] = str(people_file)
    machine_before = describe()

    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    bin_dir = Path(sys.executable).parent
    processes = [
        _start(
            [
                str(bin_dir / "gunicorn"),
                "config.wsgi:application",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--access-logfile",
                "-",
                "--log-level",
                "warning",
            ],
            "gunicorn",
            env,
        ),
        _start(
            [
                str(bin_dir / "celery"),
                "-A",
                "config",
                "worker",
                "--concurrency",
                "1",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
            "celery-worker",
            env,
        ),
        _start(
            [
                str(bin_dir / "celery"),
                "-A",
                "config",
                "beat",
                "--loglevel",
                "WARNING",
                "--schedule",
                str(OUT / "beat-schedule"),
            ],
            "celery-beat",
            env,
        ),
    ]
    try:
        _wait_for(f"{host}/accounts/login/")
        phases = [_phase(n, host, env) for n in PHASES]
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    server_errors = sum(
        1 for line in (OUT / "gunicorn.log").read_text().splitlines() if '" 500 ' in line
    )
    results = {
        "machine": {"before": machine_before, "after": describe()},
        "setup": {
            "web": "gunicorn, 2 sync workers, loopback",
            "worker": "Celery worker (concurrency 1) and beat on Redis",
            "settings": "bench.settings (test settings + Redis cache + second factor required)",
            "database": LARGE.database,
            "seed_rows": sum(seeded.rows.values()),
        },
        "target": {"errors": 0, "p95_ms_at_20_trainees": TARGET_P95_MS},
        "phases": phases,
        "server_errors_in_access_log": server_errors,
    }
    first = phases[0]
    results["meets_targets"] = (
        all(p["errors"] == 0 for p in phases)
        and server_errors == 0
        and first["p95_ms"] <= TARGET_P95_MS
    )
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\n{'phase':<28} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>7}")
    for p in phases:
        label = f"{p['trainees']} trainees + {p['supervisors']} supervisors"
        print(
            f"{label:<28} {p['requests_per_s']:>7} {p['p50_ms']:>7.0f} {p['p95_ms']:>7.0f} "
            f"{p['p99_ms']:>7.0f} {p['errors']:>7}"
        )
    print(f"server errors (500) in the access log: {server_errors}")
    print(f"targets met: {results['meets_targets']}; written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
