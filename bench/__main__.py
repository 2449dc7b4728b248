"""Run every benchmark and print one table: ``python -m bench`` from the repository root.

A benchmark is a module listed in ``BENCHMARKS`` with ``run() -> list[tuple[str, float, str]]``
returning rows of (what was measured, seconds, a short note). To add one, write the module
and append its dotted name below. Benchmarks that need the database can rely on Django being
set up here whenever ``DJANGO_SETTINGS_MODULE`` is set (``make bench`` sets it).
"""

import importlib
import os
import sys

BENCHMARKS = [
    "bench.pairing",
    "bench.term_plan",
    "bench.rotation_db",
    "bench.booking_slots",
    "bench.outbox",
    "bench.round_editor",
]

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
    setup_django()
    for name in names or BENCHMARKS:
        module = importlib.import_module(name)
        print_table(name, module.run())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
