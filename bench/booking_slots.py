"""Booking benchmarks: how long ``free_slots`` takes to find when a pairing is free.

Pure Python (``roleplay.services.free_slots`` has no Django imports). A triad in three zones,
each with ~10 weekly blocks, ~20 one-off unavailable intervals and ~30 other sessions, over a
four-week booking window that crosses both the US and the UK spring DST changes.
"""

import random
import statistics
import time as clock
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from roleplay.services.free_slots import Person, WeeklyBlock, free_slots

Row = tuple[str, float, str]
REPEATS = 20  # each timing is the median of this many runs
SEED = 2024
ZONES = ["Europe/London", "America/New_York", "Europe/Berlin"]
WINDOW = (datetime(2027, 3, 8, tzinfo=UTC), datetime(2027, 4, 5, tzinfo=UTC))
QUARTER = timedelta(minutes=15)


def timed(action: Callable[[], object], repeats: int = REPEATS) -> tuple[float, object]:
    """Median seconds over ``repeats`` runs, and the last result."""
    times = []
    result = None
    for _ in range(repeats):
        start = clock.perf_counter()
        result = action()
        times.append(clock.perf_counter() - start)
    return statistics.median(times), result


def random_instant(rnd: random.Random) -> datetime:
    quarters = (WINDOW[1] - WINDOW[0]) // QUARTER
    return WINDOW[0] + rnd.randrange(quarters) * QUARTER


def person(pid: int, zone: str, rnd: random.Random) -> Person:
    """Weekday mornings and afternoons (10 blocks), 20 one-offs, 30 sessions of 50 minutes."""
    weekly = []
    for day in range(5):
        morning = rnd.randrange(7 * 4, 10 * 4)  # quarter hours
        afternoon = rnd.randrange(13 * 4, 16 * 4)
        for start, length in ((morning, rnd.randrange(8, 17)), (afternoon, rnd.randrange(8, 21))):
            end = start + length
            weekly.append(
                WeeklyBlock(day, time(start // 4, start % 4 * 15), time(end // 4, end % 4 * 15))
            )
    unavailable = []
    for _ in range(20):
        a = random_instant(rnd)
        unavailable.append((a, a + rnd.randrange(1, 33) * QUARTER))
    busy = []
    for _ in range(30):
        a = random_instant(rnd)
        busy.append((a, a + timedelta(minutes=50)))
    return Person(pid, zone, weekly, unavailable, busy)


def run() -> list[Row]:
    rnd = random.Random(SEED)
    triad = [person(pid, zone, rnd) for pid, zone in enumerate(ZONES, start=1)]
    kwargs = {
        "window": WINDOW,
        "duration": timedelta(minutes=50),
        "buffer": QUARTER,
        "step": QUARTER,
    }
    every, slots = timed(lambda: free_slots(triad, **kwargs))
    first, few = timed(lambda: free_slots(triad, **kwargs, limit=5))
    setup = "3 zones, 10 blocks + 20 unavailable + 30 busy each"
    return [
        (
            "free slots: triad, 4 weeks, every slot",
            every,
            f"{setup}; 50-min sessions, 15-min buffer and step; "
            f"{len(slots)} slots; median of {REPEATS}",
        ),
        (
            "free slots: triad, 4 weeks, first 5",
            first,
            f"limit=5, {len(few)} slots; median of {REPEATS}",
        ),
    ]
