"""When is everyone in a pairing free? Candidate session starts inside a round's booking window.

Pure Python, no Django: ``free_slots(people, window, duration, ...)`` returns aware UTC start
times, ascending and unique, of every session ``[start, start + duration)`` that satisfies all
of the rules below.

Rules
-----
* **Grid.** Starts are instants on a UTC grid of ``step``: whole multiples of ``step`` counted
  from the Unix epoch (1970-01-01 00:00 UTC), i.e. the first candidate is the window start
  rounded up to the step and the others follow every ``step``. (With a 30-minute step the starts
  are at :00 and :30 UTC, whatever the people's zones.)
* **Window.** ``window[0] <= start`` and ``start + duration <= window[1]``.
* **Not before.** ``start >= not_before`` when it is given (e.g. now + guard time).
* **Everyone's weekly availability.** For every person, the whole session lies inside their
  recurring free time, read in their own IANA zone on each local date (see "DST" below for how a
  local block becomes real instants). A person's blocks are merged first: blocks that overlap or
  touch (10:00-11:00 and 11:00-12:00, or Monday ending at midnight and Tuesday starting at
  00:00) form one stretch of free time, and the session has to fit inside one stretch. That is
  what lets callers split a block that crosses midnight into two.
* **Unavailable.** ``[start, end)`` overlaps none of anybody's one-off ``unavailable``
  intervals.
* **Busy, with buffer.** ``[start - buffer, end + buffer)`` overlaps none of anybody's ``busy``
  intervals (their other sessions), so there is at least ``buffer`` between sessions.
* **Allowed hours.** If ``allowed`` is non-empty the session also lies inside those weekly
  blocks, read in ``allowed_zone`` exactly like a person's (empty ``allowed`` = any time).
* **Limit.** With ``limit`` only the first ``limit`` starts are returned.

Intervals are half-open ``[a, b)``; an ``unavailable``/``busy`` pair with ``b <= a`` is empty and
never blocks anything. All datetimes passed in must be aware (any zone; they are compared as
instants); naive ones raise ``ValueError``. An unknown zone name raises
``zoneinfo.ZoneInfoNotFoundError``.

Weekly blocks
-------------
``WeeklyBlock(weekday, start, end)``: 0 = Monday ... 6 = Sunday, naive wall-clock times, ``end >
start``. A block never crosses midnight; as the one exception ``end == time(0)`` means the
midnight that ends the day (24:00), so ``22:00-00:00`` Monday plus ``00:00-02:00`` Tuesday is
the split form of a 22:00-02:00 block.

DST: from local wall-clock times to instants
--------------------------------------------
A block on local date ``d`` becomes the real interval ``[T(d + start), T(d + end))`` where
``T(w)`` is **the first instant at which the person's wall clock shows ``w`` or later**:

* an ordinary local time has exactly one instant, and that is it;
* an **ambiguous** time (the repeated hour when clocks go back) takes its first occurrence,
  which is what ``fold=0`` means in ``zoneinfo``. Europe/London on 2027-10-31: 01:30 is
  00:30 UTC (BST), not 01:30 UTC (GMT);
* a **non-existent** time (the skipped hour when clocks go forward) maps to the transition
  instant itself, so no slot is ever produced for a wall-clock time that never happens.
  Europe/London on 2027-03-28: 01:00-02:00 does not exist; 01:30 maps to 01:00 UTC.

The interval between the two instants is then taken at its real length: on the spring-forward
day a 00:30-02:30 London block is one real hour (00:30-01:30 UTC), on the fall-back day a
00:30-02:30 block is three real hours (23:30-02:30 UTC) and a 01:30-02:00 block 90 minutes
(00:30-02:00 UTC, covering the second 01:00-02:00 as well). Because ``T`` never decreases,
adjacent blocks stay adjacent in real time and split blocks join up again. The same rule holds
for whole skipped days (Pacific/Apia skipped 2011-12-30: its blocks are empty).

So, in Europe/London, a 09:00-12:00 block is 08:00-11:00 UTC in summer and 09:00-12:00 UTC in
winter; each local date is converted on its own with ``zoneinfo``.

Method
------
Interval arithmetic on integer microseconds since the epoch: each person's weekly blocks are
turned into concrete UTC intervals for every local date from the (local) window start - 1 day
to the window end + 1 day and merged; those lists (and the allowed hours) are intersected with
the window, the merged unavailable and buffered busy intervals are subtracted, and the aligned
starts that fit in what is left are emitted. The cost is linear in the number of intervals plus
the number of slots returned, not in the length of the window divided by the step.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["Person", "WeeklyBlock", "free_slots"]

Interval = tuple[int, int]  # [start, end) in microseconds since the epoch, UTC

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_DAY = timedelta(days=1)
_MIDNIGHT = time(0)


@dataclass(frozen=True)
class WeeklyBlock:
    """A recurring availability block in the owner's own zone (a person's, or ``allowed_zone``)."""

    weekday: int  # 0 = Monday ... 6 = Sunday
    start: time  # local wall-clock time
    end: time  # local; end > start, or time(0) for the midnight that ends the day


@dataclass(frozen=True)
class Person:
    id: int
    time_zone: str  # IANA name, e.g. "Europe/London"
    weekly: Sequence[WeeklyBlock]  # when they are usually free
    unavailable: Sequence[tuple[datetime, datetime]] = ()  # one-off exceptions, aware
    busy: Sequence[tuple[datetime, datetime]] = ()  # their other sessions, aware


def free_slots(
    people: Sequence[Person],
    window: tuple[datetime, datetime],
    duration: timedelta,
    buffer: timedelta = timedelta(0),
    allowed: Sequence[WeeklyBlock] = (),
    allowed_zone: str = "UTC",
    step: timedelta = timedelta(minutes=30),
    not_before: datetime | None = None,
    limit: int | None = None,
) -> list[datetime]:
    """Aware UTC starts, ascending, of every session everyone in ``people`` can attend.

    See the module docstring for the exact rules and the DST handling.
    """
    duration_us = _span(duration, "duration")
    step_us = _span(step, "step")
    buffer_us = buffer // _MICROSECOND
    if buffer_us < 0:
        raise ValueError("buffer must not be negative")
    if limit is not None and limit < 0:
        raise ValueError("limit must not be negative")

    lo = _to_us(window[0], "window start")
    hi = _to_us(window[1], "window end")
    if not_before is not None:
        lo = max(lo, _to_us(not_before, "not_before"))
    owners: list[tuple[Sequence[WeeklyBlock], str]] = [(p.weekly, p.time_zone) for p in people]
    if allowed:
        owners.append((allowed, allowed_zone))
    for blocks, zone_name in owners:
        ZoneInfo(zone_name)  # an unknown zone fails here, whatever else the input holds
        for block in blocks:
            _check_block(block)
    cuts: list[Interval] = []
    for person in people:
        cuts.extend(_intervals(person.unavailable, 0, "unavailable"))
        cuts.extend(_intervals(person.busy, buffer_us, "busy"))
    if hi - lo < duration_us or limit == 0:
        return []

    free: list[Interval] = [(lo, hi)]
    for blocks, zone_name in owners:
        free = _intersect(free, _weekly_intervals(blocks, zone_name, lo, hi))
        if not free:
            return []
    free = _subtract(free, _merge(cuts))

    starts: list[datetime] = []
    for a, b in free:
        start = -(-a // step_us) * step_us  # round up onto the grid
        last = b - duration_us
        while start <= last:
            starts.append(_EPOCH + timedelta(microseconds=start))
            if limit is not None and len(starts) >= limit:
                return starts
            start += step_us
    return starts


# --------------------------------------------------------------------------- conversions


def _span(value: timedelta, name: str) -> int:
    us = value // _MICROSECOND
    if us <= 0:
        raise ValueError(f"{name} must be positive")
    return us


def _to_us(moment: datetime, name: str) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {moment!r}")
    return (moment - _EPOCH) // _MICROSECOND


def _wall(us: int, zone: ZoneInfo) -> datetime:
    """The naive local wall-clock reading at instant ``us``."""
    return (_EPOCH + timedelta(microseconds=us)).astimezone(zone).replace(tzinfo=None)


def _first_instant(wall: datetime, zone: ZoneInfo) -> int:
    """The first instant at which the wall clock in ``zone`` shows ``wall`` or later.

    Existing and ambiguous times: their (first, ``fold=0``) instant. Times in a gap: the
    transition instant, found by bisection between the two readings of the gap time."""
    local = wall.replace(tzinfo=zone)
    early = _to_us(local, "block time")  # fold=0: first occurrence of an ambiguous time
    if _wall(early, zone) == wall:
        return early
    other = _to_us(local.replace(fold=1), "block time")
    lo, hi = min(early, other), max(early, other)
    if not (_wall(lo, zone) < wall <= _wall(hi, zone)):  # not a simple gap; stay deterministic
        return early
    while hi - lo > 1:  # invariant: wall(lo) < wall <= wall(hi)
        mid = (lo + hi) // 2
        if _wall(mid, zone) >= wall:
            hi = mid
        else:
            lo = mid
    return hi


def _weekly_intervals(
    blocks: Iterable[WeeklyBlock], zone_name: str, lo: int, hi: int
) -> list[Interval]:
    """The blocks as merged UTC intervals for every local date near ``[lo, hi)``."""
    zone = ZoneInfo(zone_name)
    by_weekday: list[list[WeeklyBlock]] = [[] for _ in range(7)]
    for block in blocks:
        by_weekday[block.weekday].append(block)
    first: date = _wall(lo, zone).date() - _DAY
    last: date = _wall(hi, zone).date() + _DAY
    seen: dict[datetime, int] = {}

    def instant(wall: datetime) -> int:
        if wall not in seen:
            seen[wall] = _first_instant(wall, zone)
        return seen[wall]

    out: list[Interval] = []
    day = first
    while day <= last:
        for block in by_weekday[day.weekday()]:
            start = instant(datetime.combine(day, block.start))
            if block.end == _MIDNIGHT:
                end = instant(datetime.combine(day + _DAY, _MIDNIGHT))
            else:
                end = instant(datetime.combine(day, block.end))
            if start < end:
                out.append((start, end))
        day += _DAY
    return _merge(out)


def _check_block(block: WeeklyBlock) -> None:
    if not 0 <= block.weekday <= 6:
        raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday): {block!r}")
    if block.start.tzinfo is not None or block.end.tzinfo is not None:
        raise ValueError(f"block times are naive local wall-clock times: {block!r}")
    if block.end != _MIDNIGHT and block.end <= block.start:
        raise ValueError(f"a block must end after it starts (split it at midnight): {block!r}")


def _intervals(pairs: Iterable[tuple[datetime, datetime]], pad: int, name: str) -> list[Interval]:
    out: list[Interval] = []
    for a, b in pairs:
        start, end = _to_us(a, name), _to_us(b, name)
        if start < end:
            out.append((start - pad, end + pad))
    return out


# --------------------------------------------------------------------------- interval lists


def _merge(intervals: list[Interval]) -> list[Interval]:
    """Sorted, with overlapping or touching intervals joined."""
    intervals.sort()
    out: list[Interval] = []
    for a, b in intervals:
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _intersect(xs: list[Interval], ys: list[Interval]) -> list[Interval]:
    """Intersection of two merged lists."""
    out: list[Interval] = []
    i = j = 0
    while i < len(xs) and j < len(ys):
        a = max(xs[i][0], ys[j][0])
        b = min(xs[i][1], ys[j][1])
        if a < b:
            out.append((a, b))
        if xs[i][1] < ys[j][1]:
            i += 1
        else:
            j += 1
    return out


def _subtract(xs: list[Interval], cuts: list[Interval]) -> list[Interval]:
    """``xs`` minus ``cuts``; both merged."""
    out: list[Interval] = []
    j = 0
    for a, b in xs:
        while j < len(cuts) and cuts[j][1] <= a:
            j += 1
        cursor = a
        k = j
        while k < len(cuts) and cuts[k][0] < b:
            if cuts[k][0] > cursor:
                out.append((cursor, cuts[k][0]))
            cursor = max(cursor, cuts[k][1])
            k += 1
        if cursor < b:
            out.append((cursor, b))
    return out
