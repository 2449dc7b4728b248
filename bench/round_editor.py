"""The round editor at 10 and 200 trainees: the round page (supervisor and programme admin) and
"Suggest pairs", each as a multiple of a floor view timed alternately in the same run, with its
queries and HTML size. Targets (issue 10): the page within 15x the floor and under 100 KB at 200
trainees; "Suggest pairs" within 20x.

The floor is the smallest signed-in view (`bench/urls.py`, shared with the other page benches):
every middleware and the sign-in check, nothing rendered. Runs against a throwaway copy of the configured database.
``python -m bench bench.round_editor`` runs it alone."""

import statistics
import time
from datetime import timedelta

from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from bench.throwaway import create_throwaway_database

SIZES = (10, 200)
SET_SIZE = 6  # scenarios in the round's set, beside a library of 40
PAGE_REQUESTS = 30
SUGGEST_REQUESTS = 10


def _seed(size: int, tag: str):
    """A cohort of `size` trainees with a supervisor, and a draft round of them in dyads, each
    with a scenario of the round's set. Returns (round, supervisor)."""
    from accounts.models import User
    from roleplay.models import (
        Cohort,
        CohortMembership,
        Pairing,
        PairingMember,
        PairingRole,
        Role,
        Round,
        Scenario,
    )

    supervisor = User.objects.create_user(
        email=f"sup-{tag}@example.org", display_name="Sam Supervisor", is_supervisor=True
    )
    today = timezone.localdate()
    cohort = Cohort.objects.create(
        name=f"Cohort {tag}",
        term_start=today,
        term_end=today + timedelta(days=365),
        created_by=supervisor,
    )
    CohortMembership.objects.create(cohort=cohort, user=supervisor, role=Role.SUPERVISOR)
    users = User.objects.bulk_create(
        User(email=f"t{n}-{tag}@example.org", display_name=f"Alex Morgan-{n:04d}")
        for n in range(size)
    )
    CohortMembership.objects.bulk_create(
        CohortMembership(cohort=cohort, user=user, role=Role.TRAINEE) for user in users
    )
    scenarios = Scenario.objects.bulk_create(
        Scenario(
            owner=supervisor,
            shared=True,
            title=f"Grief at work, part {n} ({tag})",
            presenting_concern="Low mood after a move",
            difficulty=2,
            intake_summary="Intake.",
            client_brief="Brief.",
        )
        for n in range(SET_SIZE + 40)
    )
    now = timezone.now()
    round_ = Round.objects.create(
        cohort=cohort, name=f"Round {tag}", opens=now, closes=now + timedelta(days=14)
    )
    round_.scenarios.set(scenarios[:SET_SIZE])
    pairings = Pairing.objects.bulk_create(
        Pairing(round=round_, scenario=scenarios[n % SET_SIZE]) for n in range(size // 2)
    )
    PairingMember.objects.bulk_create(
        PairingMember(pairing=pairing, round=round_, trainee=user, role=role)
        for pairing, pair in zip(pairings, zip(users[::2], users[1::2], strict=True), strict=True)
        for user, role in zip(pair, (PairingRole.CLIENT, PairingRole.THERAPIST), strict=True)
    )
    return round_, supervisor


class _Counter:
    """Counts every statement run (unlike the debug query log, which each request resets)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _timed(client: Client, method: str, url: str, floor_url: str, requests: int):
    """(page median s, page p95 s, floor median s, queries, bytes), page and floor alternating."""
    send = getattr(client, method)
    send(url)  # warm caches and the template loader
    client.get(floor_url)
    queries = _Counter()
    with connection.execute_wrapper(queries):
        response = send(url)
    page_times, floor_times = [], []
    for _ in range(requests):
        began = time.perf_counter()
        send(url)
        page_times.append(time.perf_counter() - began)
        began = time.perf_counter()
        client.get(floor_url)
        floor_times.append(time.perf_counter() - began)
    page_times.sort()
    p95 = page_times[min(len(page_times) - 1, round(0.95 * (len(page_times) - 1)))]
    return (
        statistics.median(page_times),
        p95,
        statistics.median(floor_times),
        queries.count,
        len(response.content),
    )


def _row(what: str, measured, target: float) -> tuple[str, float, str]:
    median, p95, floor_median, queries, size = measured
    ratio = median / floor_median
    verdict = "meets" if ratio <= target else "MISSES"
    note = (
        f"{ratio:.1f}x floor (p95 {p95 / floor_median:.1f}x; {verdict} <= {target:.0f}x), "
        f"{queries} queries, {size / 1000:.0f} KB"
    )
    return what, median, note


@override_settings(ROOT_URLCONF="bench.urls")
def _measure() -> list[tuple[str, float, str]]:
    from accounts.models import User

    admin = User.objects.create_user(
        email="admin@example.org", is_staff=True, is_superuser=True, is_programme_admin=True
    )
    floor_url = reverse("bench_floor")
    rows = []
    for size in SIZES:
        round_, supervisor = _seed(size, str(size))
        page_url = reverse("round_detail", args=[round_.pk])
        for who, user in (("supervisor", supervisor), ("admin", admin)):
            client = Client()
            client.force_login(user)
            measured = _timed(client, "get", page_url, floor_url, PAGE_REQUESTS)
            rows.append(_row(f"round page, {size} trainees ({who})", measured, 15))
        client = Client()
        client.force_login(supervisor)
        suggest_url = reverse("round_suggest", args=[round_.pk])
        measured = _timed(client, "post", suggest_url, floor_url, SUGGEST_REQUESTS)
        rows.append(_row(f"suggest pairs, {size} trainees", measured, 20))
    return rows


def run() -> list[tuple[str, float, str]]:
    old_name = create_throwaway_database()
    try:
        return _measure()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
