"""Every page at size: queries, HTML size and server time as a multiple of the floor.

Seeds two databases of their own (``bench.seed``: SMALL and LARGE, reused while unchanged),
then requests each page a trainee, a supervisor and a programme admin uses, and every admin
changelist (with a search where the admin has one) and change page, straight from the admin
registry, so a new model admin is measured without anyone listing it. Each page is requested
through Django's test client (every middleware, no network) ``BENCH_REQUESTS`` times (at least
30), alternating with the floor view (``bench/urls.py``: signed in, renders nothing), so both
see the same machine load; a page's median and p95 are reported as multiples of the floor's
median. Queries and bytes come from one extra request with queries captured, so capturing never
slows the timed ones. Second factors are required as in production (``DYAD_REQUIRE_MFA``).

Targets (issue 10): at most 15 queries and the same count small and large; median within 10x
the floor for trainee and supervisor pages, 20x for admin pages. ``run()`` prints one row per
page; ``details`` keeps everything for ``bench/results.json``.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from bench.seed import FEED_TOKEN, LARGE, SMALL, Scale, Seeded, seed

REQUESTS = max(30, int(os.environ.get("BENCH_REQUESTS", "30")))
WARM_UP = 1
# A page taking longer than this once (at the large size: the admin pairing change page took
# minutes for 30 requests) is timed over SLOW_REQUESTS only, and says so.
SLOW_SECONDS = 1.0
SLOW_REQUESTS = 5
MAX_QUERIES = 15
TARGET_X = {"trainee": 10, "supervisor": 10, "admin": 20}
SEARCH = "trainee1000"
# BENCH_PAGES=sub1,sub2 times only the pages whose "audience: name" contains one of them
# (case-insensitive; see selected()); the stored figures of the others are kept.
ONLY = os.environ.get("BENCH_PAGES", "").lower()


@dataclass(frozen=True)
class Page:
    name: str
    role: str  # who is signed in: trainee, supervisor, editor (the big cohort's supervisor), admin
    url: str
    method: str = "get"
    data: dict | None = None

    @property
    def audience(self) -> str:
        return "supervisor" if self.role == "editor" else self.role


def pages(s: Seeded) -> list[Page]:
    """The pages to time, in the order a person meets them."""

    def r(name: str, *args) -> str:
        return reverse(name, args=args)

    found = [
        Page("dashboard", "trainee", r("dashboard")),
        Page("my pairings", "trainee", r("my_pairings")),
        Page("pairing page", "trainee", r("pairing_detail", s.pairing)),
        Page("session page", "trainee", r("session_detail", s.session)),
        Page("session .ics", "trainee", r("session_ics", s.session)),
        Page("calendar feed", "trainee", r("calendar_feed", FEED_TOKEN)),
        Page("notifications", "trainee", r("notifications")),
        Page("email preferences", "trainee", r("email_preferences")),
        Page("availability", "trainee", r("my_availability")),
        Page("profile", "trainee", r("profile")),
        Page("my progress", "trainee", r("trainee_progress", s.cohort, s.trainee)),
        Page("my practice hours", "trainee", r("trainee_hours", s.cohort, s.trainee)),
        Page("dashboard", "supervisor", r("dashboard")),
        Page("cohort page", "supervisor", r("cohort_detail", s.cohort)),
        Page("cohort progress", "supervisor", r("cohort_progress", s.cohort)),
        Page("cohort edit", "supervisor", r("cohort_edit", s.cohort)),
        Page("invite", "supervisor", r("cohort_invite", s.cohort)),
        Page("rounds", "supervisor", r("round_list", s.cohort)),
        Page("new round", "supervisor", r("round_create", s.cohort)),
        Page("round page (published)", "supervisor", r("round_detail", s.current_round)),
        Page("round page (draft, editor)", "supervisor", r("round_detail", s.draft_round)),
        Page("round edit", "supervisor", r("round_edit", s.draft_round)),
        Page("suggest pairs (POST)", "supervisor", r("round_suggest", s.draft_round), "post"),
        Page("do-not-pair", "supervisor", r("do_not_pair", s.cohort)),
        Page("booking settings", "supervisor", r("cohort_booking_settings", s.cohort)),
        Page("session page", "supervisor", r("session_detail", s.session)),
        Page("pairing page", "supervisor", r("pairing_detail", s.pairing)),
        Page("scenario library", "supervisor", r("scenario_list")),
        Page("scenario", "supervisor", r("scenario_detail", s.scenario)),
        Page("new scenario", "supervisor", r("scenario_create")),
        Page("notifications", "supervisor", r("notifications")),
        Page("trainee progress", "supervisor", r("trainee_progress", s.cohort, s.trainee)),
        Page("trainee hours log", "supervisor", r("trainee_hours", s.cohort, s.trainee)),
        Page("trainee hours CSV", "supervisor", r("trainee_hours_csv", s.cohort, s.trainee)),
        Page("trainee report PDF", "supervisor", r("trainee_report_pdf", s.cohort, s.trainee)),
        Page("big round page (editor)", "editor", r("round_detail", s.editor_round)),
        Page("big round: suggest (POST)", "editor", r("round_suggest", s.editor_round), "post"),
        Page("big cohort page", "editor", r("cohort_detail", s.editor_cohort)),
        Page("dashboard", "admin", r("dashboard")),
        Page("cohort page", "admin", r("cohort_detail", s.cohort)),
        Page("big round page (editor)", "admin", r("round_detail", s.editor_round)),
        Page("admin index", "admin", r("admin:index")),
    ]
    representative = {
        "accounts.user": s.trainee,
        "roleplay.cohort": s.cohort,
        "roleplay.round": s.current_round,
        "roleplay.pairing": s.pairing,
        "roleplay.session": s.session,
        "roleplay.scenario": s.scenario,
    }
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda i: i[0]._meta.label):
        meta = model._meta
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        label = f"admin {meta.verbose_name}"
        found.append(Page(f"{label} list", "admin", r(f"{prefix}_changelist")))
        if model_admin.search_fields:
            found.append(
                Page(f"{label} search", "admin", r(f"{prefix}_changelist") + f"?q={SEARCH}")
            )
        pk = representative.get(meta.label_lower)
        if pk is None:
            pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        if pk is not None:
            found.append(Page(f"{label} change", "admin", r(f"{prefix}_change", pk)))
    return found


def selected(found: list[Page], only: str = "") -> list[Page]:
    """The pages whose "audience: name" contains one of the comma-separated substrings in
    ``only`` (``BENCH_PAGES``), case-insensitively; every page when it is empty."""
    wanted = [w.strip().lower() for w in only.split(",") if w.strip()]
    if not wanted:
        return found
    return [p for p in found if any(w in f"{p.audience}: {p.name}".lower() for w in wanted)]


def _user(s: Seeded, role: str) -> int:
    return {
        "trainee": s.trainee,
        "supervisor": s.supervisor,
        "editor": s.editor_supervisor,
        "admin": s.admin,
    }[role]


@dataclass
class Measured:
    name: str
    role: str
    url: str
    status: int
    queries: int
    bytes: int
    requests: int
    median_ms: float
    p95_ms: float
    floor_median_ms: float

    @property
    def median_x(self) -> float:
        return self.median_ms / self.floor_median_ms

    @property
    def p95_x(self) -> float:
        return self.p95_ms / self.floor_median_ms


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[-1]


def _measure(client: Client, page: Page, floor_url: str, requests: int) -> Measured:
    def call() -> object:
        if page.method == "post":
            return client.post(page.url, page.data or {})
        return client.get(page.url)

    for _ in range(WARM_UP):
        call()
        client.get(floor_url)
    began = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        response = call()
    queries = len(captured)  # read now: the next request clears the log it slices
    if time.perf_counter() - began > SLOW_SECONDS:
        requests = SLOW_REQUESTS  # far off every target already: keep the run bounded
    body = b"".join(response.streaming_content) if response.streaming else response.content
    page_times, floor_times = [], []
    for _ in range(requests):
        began = time.perf_counter()
        client.get(floor_url)
        floor_times.append(time.perf_counter() - began)
        began = time.perf_counter()
        call()
        page_times.append(time.perf_counter() - began)
    return Measured(
        name=page.name,
        role=page.role,
        url=page.url,
        status=response.status_code,
        queries=queries,
        bytes=len(body),
        requests=requests,
        median_ms=statistics.median(page_times) * 1000,
        p95_ms=_p95(page_times) * 1000,
        floor_median_ms=statistics.median(floor_times) * 1000,
    )


def measure_scale(
    scale: Scale, requests: int, report: Callable[[str], None] = print
) -> tuple[Seeded, dict[tuple[str, str], Measured]]:
    seeded = seed(scale, report)
    results: dict[tuple[str, str], Measured] = {}
    with override_settings(ROOT_URLCONF="bench.urls", DYAD_REQUIRE_MFA=True):
        floor_url = reverse("bench_floor")
        clients: dict[str, Client] = {}
        for page in selected(pages(seeded), os.environ.get("BENCH_PAGES", "")):
            if page.role not in clients:
                from accounts.models import User

                clients[page.role] = Client()
                clients[page.role].force_login(User.objects.get(pk=_user(seeded, page.role)))
            measured = _measure(clients[page.role], page, floor_url, requests)
            results[(page.audience, page.name)] = measured
            report(
                f"  {scale.database:<17} {page.audience:<10} {page.name:<34} "
                f"{measured.status} {measured.queries:>4} q {measured.bytes / 1024:>7.1f} KB "
                f"{measured.median_x:>6.1f}x floor"
            )
    return seeded, results


details: dict = {}


def _keep_the_others(rows: list, records: list[dict]) -> tuple[list, list[dict]]:
    """A BENCH_PAGES run measured some pages only: the stored figures of the others stay."""
    from bench.__main__ import RESULTS

    stored = {}
    if RESULTS.exists():
        stored = json.loads(RESULTS.read_text())["benchmarks"].get("bench.pages", {})
    new_rows = {what: (what, seconds, note) for what, seconds, note in rows}
    new_records = {(r["audience"], r["page"]): r for r in records}
    kept_rows = [
        new_rows.pop(row["what"], (row["what"], row["seconds"], row["note"]))
        for row in stored.get("rows", [])
    ]
    kept_records = [new_records.pop((r["audience"], r["page"]), r) for r in stored.get("pages", [])]
    return kept_rows + list(new_rows.values()), kept_records + list(new_records.values())


def run() -> list[tuple[str, float, str]]:
    small_seed, small = measure_scale(SMALL, REQUESTS)
    large_seed, large = measure_scale(LARGE, REQUESTS)
    rows = []
    records = []
    for key, m in large.items():
        audience, name = key
        before = small.get(key)
        target_x = TARGET_X[audience]
        problems = []
        if m.status != 200:
            problems.append(f"HTTP {m.status}")
        if m.queries > MAX_QUERIES:
            problems.append(f"{m.queries} queries > {MAX_QUERIES}")
        if before is not None and before.queries != m.queries:
            problems.append(f"queries grow {before.queries} → {m.queries}")
        if m.median_x > target_x:
            problems.append(f"median {m.median_x:.1f}x > {target_x}x")
        if m.requests < REQUESTS:
            problems.append(f"over {SLOW_SECONDS:.0f} s a request: timed {m.requests} times only")
        records.append(
            {
                "page": name,
                "audience": audience,
                "url": m.url,
                "status": m.status,
                "queries_small": before.queries if before else None,
                "queries_large": m.queries,
                "kb_small": round(before.bytes / 1024, 1) if before else None,
                "kb_large": round(m.bytes / 1024, 1),
                "median_x_small": round(before.median_x, 1) if before else None,
                "median_x_large": round(m.median_x, 1),
                "p95_x_large": round(m.p95_x, 1),
                "median_ms_large": round(m.median_ms, 2),
                "p95_ms_large": round(m.p95_ms, 2),
                "requests_large": m.requests,
                "floor_median_ms": round(m.floor_median_ms, 3),
                "target_x": target_x,
                "meets_targets": not problems,
                "problems": problems,
            }
        )
        note = (
            f"{records[-1]['queries_small']}→{m.queries} q, {m.bytes / 1024:.0f} KB, "
            f"median {m.median_x:.1f}x / p95 {m.p95_x:.1f}x floor"
            + ("" if not problems else " — NOT MET: " + "; ".join(problems))
        )
        rows.append((f"{audience}: {name}", m.median_ms / 1000, note))
    if ONLY:
        rows, records = _keep_the_others(rows, records)
    details.update(
        {
            "requests_per_page": REQUESTS,
            "targets": {"max_queries": MAX_QUERIES, "median_x_floor": TARGET_X},
            "seed": {
                seeded.scale: {
                    "database": (SMALL if seeded is small_seed else LARGE).database,
                    "rows": seeded.rows,
                    "seconds": round(seeded.seconds, 2),
                    "rows_per_second": round(seeded.rows_per_second),
                }
                for seeded in (small_seed, large_seed)
            },
            "pages": records,
            "pages_meeting_targets": sum(1 for r in records if r["meets_targets"]),
            "pages_total": len(records),
            # Set when BENCH_PAGES chose some pages only: this entry is then not the whole table.
            "only_pages": os.environ.get("BENCH_PAGES") or None,
        }
    )
    return rows
