"""Run every benchmark and print one table: ``python -m bench`` from the repository root.

A benchmark is a module listed in ``BENCHMARKS`` with ``run() -> list[tuple[str, float, str]]``
returning rows of (what was measured, seconds, a short note); a module may also fill a
``details`` dict with more. To add one, write the module and append its dotted name below.
Benchmarks that need the database can rely on Django being set up here whenever
``DJANGO_SETTINGS_MODULE`` is set (``make bench`` sets it).

A run writes every row, every ``details`` and the machine with its load before and after to
``bench/results.json``, which is committed: the README's tables follow it. Naming benchmarks
(``python -m bench bench.pages``) replaces only their entries there.
"""

import importlib
import json
import os
import sys
import time
from pathlib import Path

BENCHMARKS = [
    "bench.pairing",
    "bench.term_plan",
    "bench.rotation_db",
    "bench.booking_slots",
    "bench.outbox",
    "bench.feedback",
    "bench.round_editor",
    "bench.pages",
    "bench.recording_ranges",
    "bench.exports",
]
RESULTS = Path(__file__).resolve().parent / "results.json"

Row = tuple[str, float, str]


def setup_django() -> bool:
    """Set Django up when it is configured; the pure benchmarks run either way."""
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        return False
    import django

    django.setup()
    return True


def print_table(title: str, rows: list[Row]) -> None:
    width = max([len("benchmark"), *(len(what) for what, _, _ in rows)])
    print(f"\n{title}")
    print(f"{'benchmark':<{width}}  {'seconds':>9}  note")
    print(f"{'-' * width}  {'-' * 9}  {'-' * 4}")
    for what, seconds, note in rows:
        print(f"{what:<{width}}  {seconds:>9.4f}  {note}")


def main(names: list[str]) -> int:
    has_django = setup_django()
    from bench.machine import describe

    results: dict = {"machine_before": describe() if has_django else None, "benchmarks": {}}
    began = time.monotonic()
    for name in names or BENCHMARKS:
        module = importlib.import_module(name)
        rows = module.run()
        print_table(name, rows)
        results["benchmarks"][name] = {
            "rows": [{"what": w, "seconds": round(s, 5), "note": n} for w, s, n in rows],
            **getattr(module, "details", {}),
        }
    results["machine_after"] = describe() if has_django else None
    results["minutes"] = round((time.monotonic() - began) / 60, 1)
    if names and RESULTS.exists():
        # Some benchmarks only: theirs replace their entries, the others' stay as they were.
        kept = json.loads(RESULTS.read_text())
        kept["benchmarks"].update(results.pop("benchmarks"))
        kept.pop("partial", None)
        results = {**kept, **results, "updated_only": names}
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nWritten to {RESULTS.relative_to(Path.cwd())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
