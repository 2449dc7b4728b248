"""The README's benchmark tables, from the committed results: ``python -m bench.report``.

Prints Markdown for the pages (``bench/results.json``, written by ``make bench``) and the load
test (``bench/loadtest.json``, written by ``make loadtest``), so the README follows the latest
run instead of being typed by hand."""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _machine(m: dict) -> str:
    load = ", ".join(str(x) for x in m["load_average_1_5_15_min"])
    return f"{m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB, PostgreSQL {m['postgresql']}; load average {load}"


def _v(value: object) -> str:
    """A measured value, or a dash where none was measured."""
    return "–" if value is None else str(value)


def pages_table(results: dict) -> list[str]:
    pages = results["benchmarks"]["bench.pages"]
    machine = results.get("machine_before") or results.get("machine_now")
    lines = [
        f"Measured on {_machine(machine)}; {pages['requests_per_page']} requests per page. "
        "Queries and × floor: small seed → large seed.",
        "",
        "| who | page | queries | KB | median × floor | p95 × floor | targets |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for p in pages["pages"]:
        met = "met" if p["meets_targets"] else "**not met**: " + "; ".join(p["problems"])
        kb = p["kb_large"] if p["kb_large"] is not None else p["kb_small"]
        lines.append(
            f"| {p['audience']} | {p['page']} | {_v(p['queries_small'])} → "
            f"{_v(p['queries_large'])} | {kb:.0f} | {_v(p['median_x_small'])} → "
            f"{_v(p['median_x_large'])} | {_v(p['p95_x_large'])} | {met} |"
        )
    lines.append("")
    lines.append(
        f"{pages['pages_meeting_targets']} of {pages['pages_total']} pages meet every target."
    )
    if results.get("partial"):
        lines += ["", f"Partial results: {results['partial']}"]
    return lines


def pairing_table(results: dict) -> list[str]:
    rows = results["benchmarks"]["bench.pairing"]["rows"]
    lines = ["| what | seconds | note |", "| --- | --- | --- |"]
    lines += [f"| {r['what']} | {r['seconds']:.3f} | {r['note']} |" for r in rows]
    return lines


def loadtest_table(results: dict) -> list[str]:
    lines = [
        f"Measured on {_machine(results['machine']['before'])} before the run.",
        "",
        "| simulated people | requests/s | p50 ms | p95 ms | p99 ms | errors |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for p in results["phases"]:
        lines.append(
            f"| {p['trainees']} trainees + {p['supervisors']} supervisors | {p['requests_per_s']} "
            f"| {p['p50_ms']:.0f} | {p['p95_ms']:.0f} | {p['p99_ms']:.0f} | {p['errors']} |"
        )
    return lines


def main() -> int:
    bench = HERE / "results.json"
    if bench.exists():
        results = json.loads(bench.read_text())
        if "bench.pairing" in results["benchmarks"]:
            print("\n".join(pairing_table(results)), end="\n\n")
        if "bench.pages" in results["benchmarks"]:
            print("\n".join(pages_table(results)), end="\n\n")
    load = HERE / "loadtest.json"
    if load.exists():
        print("\n".join(loadtest_table(json.loads(load.read_text()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
