"""``free_slots``: readable examples, explicit DST cases, and property tests against brute force.

No database: nothing here asks for the ``db`` fixture.

The brute-force reference below shares no code with the implementation. It walks the window
minute by minute and reads each person's wall clock with ``astimezone`` (UTC -> local is never
ambiguous). Its DST rule is the "clock that never goes back": a minute belongs to a block on
local date ``d`` when the highest wall-clock reading so far lies in ``[d + start, d + end)``.
That is the same thing as the module's "first instant the wall clock shows the time" rule:
a skipped time is reached at the transition, and during the repeated hour after a fall-back
the reading so far stays at the end of the first pass.
"""

import itertools
import random
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roleplay.services.free_slots import Person, WeeklyBlock, free_slots

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LONDON, NEW_YORK = "Europe/London", "America/New_York"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def block(weekday: int, start: str, end: str) -> WeeklyBlock:
    return WeeklyBlock(weekday, time.fromisoformat(start), time.fromisoformat(end))


def hours(slots: Sequence[datetime]) -> list[str]:
    """Compact, readable UTC slot times: '03-10 14:00'."""
    return [s.strftime("%m-%d %H:%M") for s in slots]


def local(slots: Sequence[datetime], zone: str) -> list[str]:
    return [s.astimezone(ZoneInfo(zone)).strftime("%H:%M %Z") for s in slots]


# --------------------------------------------------------------------------- examples


def test_two_people_overlap_in_utc():
    ada = Person(1, "UTC", [block(MON, "09:00", "12:00")])
    ben = Person(2, "UTC", [block(MON, "10:00", "14:00")])
    slots = free_slots([ada, ben], (utc(2027, 5, 3), utc(2027, 5, 4)), timedelta(minutes=60))
    assert hours(slots) == ["05-03 10:00", "05-03 10:30", "05-03 11:00"]


def test_everyone_must_be_free_so_a_third_person_narrows_it():
    ada = Person(1, "UTC", [block(MON, "09:00", "12:00")])
    ben = Person(2, "UTC", [block(MON, "10:00", "14:00")])
    cy = Person(3, "Europe/Berlin", [block(MON, "12:30", "18:00")])  # CEST: 10:30 UTC on
    slots = free_slots([ada, ben, cy], (utc(2027, 5, 3), utc(2027, 5, 4)), timedelta(minutes=60))
    assert hours(slots) == ["05-03 10:30", "05-03 11:00"]


def test_the_whole_session_must_fit_inside_the_window():
    ada = Person(1, "UTC", [block(MON, "09:00", "17:00")])
    window = (utc(2027, 5, 3, 9, 10), utc(2027, 5, 3, 11, 0))
    slots = free_slots([ada], window, timedelta(minutes=50))
    assert hours(slots) == ["05-03 09:30", "05-03 10:00"]  # 09:10 is off the 30-minute grid


def test_starts_are_on_the_utc_step_grid():
    ada = Person(1, "Asia/Kathmandu", [block(MON, "14:00", "16:00")])  # UTC+5:45: 08:15-10:15
    slots = free_slots([ada], (utc(2027, 5, 3), utc(2027, 5, 4)), timedelta(minutes=30))
    assert hours(slots) == ["05-03 08:30", "05-03 09:00", "05-03 09:30"]
    slots = free_slots(
        [ada], (utc(2027, 5, 3), utc(2027, 5, 4)), timedelta(minutes=30), step=timedelta(minutes=15)
    )
    assert hours(slots)[:2] == ["05-03 08:15", "05-03 08:30"]
    assert hours(slots)[-1] == "05-03 09:45"


def test_unavailable_interval_removes_overlapping_slots_only():
    ada = Person(
        1,
        "UTC",
        [block(MON, "09:00", "13:00")],
        unavailable=[(utc(2027, 5, 3, 10, 0), utc(2027, 5, 3, 11, 0))],
    )
    slots = free_slots([ada], (utc(2027, 5, 3), utc(2027, 5, 4)), timedelta(minutes=60))
    assert hours(slots) == ["05-03 09:00", "05-03 11:00", "05-03 11:30", "05-03 12:00"]


def test_buffer_keeps_a_gap_around_other_sessions_of_anyone():
    ada = Person(1, "UTC", [block(MON, "08:00", "14:00")])
    ben = Person(
        2,
        "UTC",
        [block(MON, "08:00", "14:00")],
        busy=[(utc(2027, 5, 3, 10, 0), utc(2027, 5, 3, 11, 0))],
    )
    slots = free_slots(
        [ada, ben],
        (utc(2027, 5, 3), utc(2027, 5, 4)),
        timedelta(minutes=30),
        buffer=timedelta(minutes=15),
        step=timedelta(minutes=15),
    )
    got = hours(slots)
    assert "05-03 09:15" in got  # ends 09:45, 15 minutes before the busy session
    assert "05-03 09:30" not in got  # would end right at 10:00
    assert "05-03 11:00" not in got  # would start right after it
    assert "05-03 11:15" in got
    assert got[0] == "05-03 08:00"
    assert got[-1] == "05-03 13:30"


def test_cohort_allowed_hours_are_read_in_their_own_zone():
    ada = Person(1, "UTC", [block(MON, "00:00", "00:00")])  # all Monday (end 00:00 = midnight)
    allowed = [block(MON, "09:00", "11:00")]
    slots = free_slots(
        [ada],
        (utc(2027, 5, 3), utc(2027, 5, 4)),
        timedelta(minutes=60),
        allowed=allowed,
        allowed_zone="America/New_York",  # EDT: 13:00-15:00 UTC
        step=HOUR,
    )
    assert hours(slots) == ["05-03 13:00", "05-03 14:00"]


def test_not_before_and_limit():
    ada = Person(1, "UTC", [block(MON, "09:00", "17:00")])
    window = (utc(2027, 5, 3), utc(2027, 5, 4))
    slots = free_slots([ada], window, HOUR, step=HOUR, not_before=utc(2027, 5, 3, 11, 20), limit=2)
    assert hours(slots) == ["05-03 12:00", "05-03 13:00"]
    assert free_slots([ada], window, HOUR, limit=0) == []


def test_a_block_split_at_midnight_still_holds_a_session_across_it():
    ada = Person(1, "UTC", [block(MON, "22:00", "00:00"), block(TUE, "00:00", "02:00")])
    slots = free_slots([ada], (utc(2027, 5, 3), utc(2027, 5, 5)), 2 * HOUR, step=HOUR)
    assert hours(slots) == ["05-03 22:00", "05-03 23:00", "05-04 00:00"]


def test_results_are_aware_utc_and_inputs_in_other_zones_are_instants():
    ada = Person(1, "UTC", [block(MON, "09:00", "11:00")])
    plus_two = timezone(timedelta(hours=2))
    window = (
        datetime(2027, 5, 3, 11, 0, tzinfo=plus_two),
        datetime(2027, 5, 3, 13, 0, tzinfo=plus_two),
    )
    slots = free_slots([ada], window, HOUR, step=HOUR)
    assert slots == [utc(2027, 5, 3, 9), utc(2027, 5, 3, 10)]
    assert all(s.tzinfo is UTC for s in slots)


def test_no_people_means_only_window_and_allowed_hours_count():
    slots = free_slots([], (utc(2027, 5, 3, 9), utc(2027, 5, 3, 11)), HOUR, step=HOUR)
    assert hours(slots) == ["05-03 09:00", "05-03 10:00"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"window": (datetime(2027, 5, 3), utc(2027, 5, 4))},
        {"not_before": datetime(2027, 5, 3)},
        {"duration": timedelta(0)},
        {"step": timedelta(0)},
        {"buffer": -MINUTE},
        {"limit": -1},
        {"people": [Person(1, "UTC", [block(MON, "10:00", "09:00")])]},
        {"people": [Person(1, "UTC", [block(7, "10:00", "11:00")])]},
        {"people": [Person(1, "UTC", [], busy=[(datetime(2027, 5, 3), utc(2027, 5, 4))])]},
    ],
)
def test_bad_input_is_rejected(kwargs):
    args = {
        "people": [Person(1, "UTC", [block(MON, "09:00", "17:00")])],
        "window": (utc(2027, 5, 3), utc(2027, 5, 4)),
        "duration": HOUR,
    } | kwargs
    with pytest.raises(ValueError):
        free_slots(**args)


# --------------------------------------------------------------------------- DST


def london_new_york_wednesdays() -> list[Person]:
    """London free 14:00-18:00 and New York 09:00-12:00, Wednesdays, each in local time."""
    return [
        Person(1, LONDON, [block(WED, "14:00", "18:00")]),
        Person(2, NEW_YORK, [block(WED, "09:00", "12:00")]),
    ]


def test_spring_when_the_us_has_switched_and_the_uk_not_yet():
    # US clocks go forward 2027-03-14, UK clocks 2027-03-28.
    slots = free_slots(
        london_new_york_wednesdays(), (utc(2027, 3, 8), utc(2027, 4, 1)), HOUR, step=HOUR
    )
    assert hours(slots) == [
        # 03-10, both on standard time: London 14-18 UTC, New York 14-17 UTC
        "03-10 14:00", "03-10 15:00", "03-10 16:00",
        # after the US switch: New York is 13-16 UTC, London still 14-18 UTC
        "03-17 14:00", "03-17 15:00",
        "03-24 14:00", "03-24 15:00",
        # after the UK switch: London 13-17 UTC, New York 13-16 UTC
        "03-31 13:00", "03-31 14:00", "03-31 15:00",
    ]  # fmt: skip
    # The same sessions in each person's own wall-clock time never leave their blocks.
    for s in slots:
        assert time(14) <= s.astimezone(ZoneInfo(LONDON)).time() <= time(17)
        assert time(9) <= s.astimezone(ZoneInfo(NEW_YORK)).time() <= time(11)


def test_autumn_when_the_uk_has_switched_back_and_the_us_not_yet():
    # UK clocks go back 2027-10-31, US clocks 2027-11-07.
    slots = free_slots(
        london_new_york_wednesdays(), (utc(2027, 10, 25), utc(2027, 11, 15)), HOUR, step=HOUR
    )
    assert hours(slots) == [
        "10-27 13:00", "10-27 14:00", "10-27 15:00",  # BST and EDT
        "11-03 14:00", "11-03 15:00",  # GMT and EDT
        "11-10 14:00", "11-10 15:00", "11-10 16:00",  # GMT and EST
    ]  # fmt: skip


def test_a_nine_to_twelve_london_block_is_eight_to_eleven_utc_in_summer():
    ada = Person(1, LONDON, [block(MON, "09:00", "12:00")])
    summer = free_slots([ada], (utc(2027, 7, 5), utc(2027, 7, 6)), 3 * HOUR)
    winter = free_slots([ada], (utc(2027, 1, 4), utc(2027, 1, 5)), 3 * HOUR)
    assert summer == [utc(2027, 7, 5, 8)]
    assert winter == [utc(2027, 1, 4, 9)]


def test_spring_forward_skipped_hour_is_never_produced():
    # New York, Sunday 2027-03-14: 02:00-03:00 local does not exist (07:00 UTC is 03:00 EDT).
    window = (utc(2027, 3, 13), utc(2027, 3, 16))
    inside_gap = Person(1, NEW_YORK, [block(SUN, "02:15", "02:45")])
    assert free_slots([inside_gap], window, timedelta(minutes=15)) == []

    across_gap = Person(1, NEW_YORK, [block(SUN, "01:00", "04:00")])  # 2 real hours
    slots = free_slots([across_gap], window, timedelta(minutes=30))
    assert hours(slots) == ["03-14 06:00", "03-14 06:30", "03-14 07:00", "03-14 07:30"]
    assert local(slots, NEW_YORK) == ["01:00 EST", "01:30 EST", "03:00 EDT", "03:30 EDT"]
    assert free_slots([across_gap], window, 2 * HOUR) == [utc(2027, 3, 14, 6)]
    assert free_slots([across_gap], window, timedelta(minutes=150)) == []

    # London, Sunday 2027-03-28: 01:00-02:00 local does not exist.
    london = Person(1, LONDON, [block(SUN, "00:30", "02:30")])  # 00:30-01:30 UTC
    slots = free_slots([london], (utc(2027, 3, 27), utc(2027, 3, 29)), timedelta(minutes=30))
    assert hours(slots) == ["03-28 00:30", "03-28 01:00"]
    assert local(slots, LONDON) == ["00:30 GMT", "02:00 BST"]


def test_fall_back_ambiguous_hour_uses_first_occurrence_and_real_duration():
    # London, Sunday 2027-10-31: 01:00-02:00 local happens twice (00:00 UTC BST, 01:00 UTC GMT).
    window = (utc(2027, 10, 30), utc(2027, 11, 1))
    long_night = Person(1, LONDON, [block(SUN, "00:30", "02:30")])  # 23:30-02:30 UTC: 3 hours
    assert free_slots([long_night], window, 3 * HOUR) == [utc(2027, 10, 30, 23, 30)]
    assert free_slots([long_night], window, timedelta(minutes=181)) == []

    ambiguous = Person(1, LONDON, [block(SUN, "01:00", "01:30")])  # fold=0: 00:00-00:30 UTC
    slots = free_slots([ambiguous], window, timedelta(minutes=30))
    assert slots == [utc(2027, 10, 31, 0, 0)]
    assert local(slots, LONDON) == ["01:00 BST"]

    # 01:30 (first occurrence, BST) to 02:00 (GMT) is 90 real minutes: 00:30-02:00 UTC.
    into_winter = Person(1, LONDON, [block(SUN, "01:30", "02:00")])
    assert free_slots([into_winter], window, timedelta(minutes=90)) == [utc(2027, 10, 31, 0, 30)]


def test_fall_back_in_new_york_with_a_london_partner():
    # New York, Sunday 2027-11-07: 01:00-02:00 local twice (05:00 UTC EDT, 06:00 UTC EST).
    ny = Person(1, NEW_YORK, [block(SUN, "00:30", "01:30"), block(SUN, "01:30", "02:30")])
    # Joined into one stretch 00:30 EDT (04:30 UTC) - 02:30 EST (07:30 UTC).
    london = Person(2, LONDON, [block(SUN, "05:00", "08:00")])  # GMT: 05:00-08:00 UTC
    slots = free_slots([ny, london], (utc(2027, 11, 6), utc(2027, 11, 8)), HOUR)
    assert hours(slots) == [
        "11-07 05:00", "11-07 05:30", "11-07 06:00", "11-07 06:30",
    ]  # fmt: skip
    assert local(slots, NEW_YORK) == ["01:00 EDT", "01:30 EDT", "01:00 EST", "01:30 EST"]


def test_a_skipped_local_day_has_no_slots():
    # Pacific/Apia skipped Friday 2011-12-30 entirely (UTC-10 -> UTC+14).
    ada = Person(1, "Pacific/Apia", [block(d, "09:00", "10:00") for d in range(7)])
    slots = free_slots([ada], (utc(2011, 12, 28), utc(2012, 1, 2)), HOUR)
    days = [s.astimezone(ZoneInfo("Pacific/Apia")).date().isoformat() for s in slots]
    assert days == ["2011-12-28", "2011-12-29", "2011-12-31", "2012-01-01", "2012-01-02"]


# --------------------------------------------------------------------------- brute force


def wall_clock_never_back(zone: str, start: datetime, minutes: int) -> list[datetime]:
    """For each minute from ``start``: the highest local wall-clock reading so far (naive)."""
    tz = ZoneInfo(zone)
    t = start - timedelta(days=1)  # long enough before to have seen any repeated hour's start
    highest = None
    out = []
    end = start + minutes * MINUTE
    while t < end:
        reading = t.astimezone(tz).replace(tzinfo=None)
        if highest is None or reading > highest:
            highest = reading
        if t >= start:
            out.append(highest)
        t += MINUTE
    return out


def free_minutes(
    blocks: Sequence[WeeklyBlock], zone: str, start: datetime, minutes: int
) -> list[int]:
    """1 for each minute from ``start`` inside one of the blocks, else 0."""
    by_day: list[list[WeeklyBlock]] = [[] for _ in range(7)]
    for b in blocks:
        by_day[b.weekday].append(b)
    out = []
    for reading in wall_clock_never_back(zone, start, minutes):
        t = reading.time()
        ok = any(
            b.start <= t and (b.end == time(0) or t < b.end) for b in by_day[reading.weekday()]
        )
        out.append(int(ok))
    return out


def reference(
    people: Sequence[Person],
    window: tuple[datetime, datetime],
    duration: timedelta,
    buffer: timedelta = timedelta(0),
    allowed: Sequence[WeeklyBlock] = (),
    allowed_zone: str = "UTC",
    step: timedelta = timedelta(minutes=30),
    not_before: datetime | None = None,
) -> list[datetime]:
    """Every start, minute by minute, checked rule by rule. Whole-minute inputs only."""
    ws, we = window
    n = (we - ws) // MINUTE
    owners = [(p.weekly, p.time_zone) for p in people]
    if allowed:
        owners.append((allowed, allowed_zone))
    prefix_sums = []
    for blocks, zone in owners:
        sums = [0]
        for f in free_minutes(blocks, zone, ws, n):
            sums.append(sums[-1] + f)
        prefix_sums.append(sums)
    d = duration // MINUTE
    out = []
    for i in range(n):
        s = ws + i * MINUTE
        e = s + duration
        if (s - EPOCH) % step or e > we or (not_before is not None and s < not_before):
            continue
        if any(sums[i + d] - sums[i] != d for sums in prefix_sums):
            continue
        if any(a < b and s < b and a < e for p in people for a, b in p.unavailable):
            continue
        if any(a < b and s - buffer < b and a < e + buffer for p in people for a, b in p.busy):
            continue
        out.append(s)
    return out


# --------------------------------------------------------------------------- properties

ZONES = [
    "UTC",
    LONDON,
    NEW_YORK,
    "Europe/Dublin",  # "negative" DST in the tz database
    "Australia/Lord_Howe",  # 30-minute DST
    "Australia/Sydney",
    "Asia/Kolkata",  # +5:30
    "Asia/Kathmandu",  # +5:45
    "America/St_Johns",  # -3:30 with DST
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Santiago",  # southern hemisphere, transitions at midnight
    "Pacific/Apia",  # skipped a whole day
]
ANCHORS = [  # instants at which some zones change their offset, and those zones
    (utc(2027, 3, 14, 7), [NEW_YORK]),  # US spring forward
    (utc(2027, 3, 28, 1), [LONDON, "Europe/Dublin"]),  # EU spring forward
    (utc(2027, 4, 3, 15), ["Australia/Sydney", "Australia/Lord_Howe"]),  # fall back
    (utc(2027, 4, 3, 14), ["Pacific/Chatham"]),  # fall back
    (utc(2027, 4, 4, 3), ["America/Santiago"]),  # fall back at local midnight
    (utc(2027, 9, 5, 4), ["America/Santiago"]),  # spring forward at local midnight
    (utc(2027, 10, 2, 15, 30), ["Australia/Lord_Howe"]),  # 30-minute spring forward
    (utc(2027, 10, 31, 1), [LONDON, "Europe/Dublin"]),  # EU fall back
    (utc(2027, 11, 7, 6), [NEW_YORK]),  # US fall back
    (utc(2027, 11, 7, 4, 30), ["America/St_Johns"]),  # fall back
    (utc(2027, 6, 15), ["UTC"]),  # nothing happens
    (utc(2011, 12, 30, 10), ["Pacific/Apia"]),  # Apia skips a day
]

# Block edges: often on the quarter hour, often in the small hours when clocks change.
minute_of_day = st.one_of(
    st.integers(0, 95).map(lambda q: q * 15),
    st.integers(0, 240),
    st.integers(0, 1439),
)


def block_end(start: int) -> st.SearchStrategy[int]:
    """Mostly long blocks, so that two or three people in different zones still meet."""
    return st.one_of(
        st.just(1440),
        st.integers(start + 1, 1440),
        st.integers(start + 1, min(start + 240, 1440)),
        st.integers(max(start + 1, 1200), 1440),
    )


def to_time(minute: int) -> time:
    return time(0) if minute == 1440 else time(minute // 60, minute % 60)


@st.composite
def weekly_blocks(draw, max_size: int = 8) -> list[WeeklyBlock]:
    """Either one daily pattern (on most weekdays) or blocks on random weekdays; plus extras."""
    out = []
    if draw(st.integers(0, 3)) > 0:
        start = draw(minute_of_day)
        end = draw(block_end(start))
        days = draw(st.sets(st.integers(0, 6), min_size=6))
        out += [WeeklyBlock(d, to_time(start), to_time(end)) for d in sorted(days)]
    for _ in range(draw(st.integers(0 if out else 1, max_size))):
        start = draw(minute_of_day)
        end = draw(block_end(start))
        out.append(WeeklyBlock(draw(st.integers(0, 6)), to_time(start), to_time(end)))
    return out


@st.composite
def intervals(draw, ws: datetime, length: int) -> list[tuple[datetime, datetime]]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        a = ws + draw(st.integers(-300, length + 300)) * MINUTE
        out.append((a, a + draw(st.integers(0, 240)) * MINUTE))
    return out


@st.composite
def scenarios(draw) -> dict:
    anchor, changing = draw(st.sampled_from(ANCHORS))
    ws = anchor + draw(st.integers(-30 * 60, 6 * 60)) * MINUTE
    length = draw(st.integers(0, 48 * 60))
    zones = st.sampled_from(changing) | st.sampled_from(ZONES)
    people = [
        Person(
            pid,
            draw(zones),
            draw(weekly_blocks()),
            draw(intervals(ws, length)),
            draw(intervals(ws, length)),
        )
        for pid in range(draw(st.integers(1, 3)))
    ]
    has_allowed = draw(st.integers(0, 3)) == 0
    return {
        "people": people,
        "window": (ws, ws + length * MINUTE),
        "duration": draw(st.sampled_from([15, 30, 45, 50, 60, 90, 120]) | st.integers(1, 240))
        * MINUTE,
        "buffer": draw(st.sampled_from([0, 0, 10, 15, 30]) | st.integers(0, 90)) * MINUTE,
        "allowed": draw(weekly_blocks(max_size=4)) if has_allowed else (),
        "allowed_zone": draw(zones),
        "step": draw(st.sampled_from([5, 7, 10, 15, 30, 45, 60])) * MINUTE,
        "not_before": draw(
            st.none() | st.integers(-60, length + 60).map(lambda m: ws + m * MINUTE)
        ),
    }


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(scenarios())
def test_matches_brute_force_reference(case):
    got = free_slots(**case)
    assert got == reference(**case)  # nothing invalid returned, nothing valid missed
    assert all(a < b for a, b in itertools.pairwise(got))  # ascending and unique
    assert all(s.tzinfo is UTC for s in got)


@PROPERTY
@given(scenarios(), st.integers(0, 5), st.randoms(use_true_random=False))
def test_limit_order_and_block_splitting_do_not_change_the_answer(case, limit, rnd):
    full = free_slots(**case)
    assert free_slots(**case, limit=limit) == full[:limit]

    # Everyone in another order, and every block cut in two at a random minute inside it.
    people = []
    for p in case["people"]:
        split = []
        for b in p.weekly:
            start = b.start.hour * 60 + b.start.minute
            end = 1440 if b.end == time(0) else b.end.hour * 60 + b.end.minute
            if end - start >= 2:
                cut = rnd.randint(start + 1, end - 1)
                mid = time(cut // 60, cut % 60)
                split += [WeeklyBlock(b.weekday, b.start, mid), WeeklyBlock(b.weekday, mid, b.end)]
            else:
                split.append(b)
        rnd.shuffle(split)
        people.append(Person(p.id, p.time_zone, split, p.unavailable, p.busy))
    rnd.shuffle(people)
    assert free_slots(**(case | {"people": people})) == full


def test_brute_force_agrees_on_a_busy_four_week_example():
    """One larger fixed case (a pairing across three zones, a DST change inside the window)."""
    rnd = random.Random(7)
    ws = utc(2027, 3, 8)
    people = []
    for pid, zone in enumerate([LONDON, NEW_YORK, "Asia/Kolkata"]):
        weekly = []
        for day in range(7):
            start = rnd.randrange(0, 20 * 4) * 15
            weekly.append(WeeklyBlock(day, time(start // 60, start % 60), time(0)))
        unavailable = []
        busy = []
        for _ in range(6):
            a = ws + rnd.randrange(0, 28 * 24 * 4) * 15 * MINUTE
            unavailable.append((a, a + rnd.randrange(1, 12) * 15 * MINUTE))
            b = ws + rnd.randrange(0, 28 * 24 * 4) * 15 * MINUTE
            busy.append((b, b + 50 * MINUTE))
        people.append(Person(pid, zone, weekly, unavailable, busy))
    case = {
        "people": people,
        "window": (ws, ws + timedelta(days=28)),
        "duration": 50 * MINUTE,
        "buffer": 15 * MINUTE,
        "step": 15 * MINUTE,
    }
    got = free_slots(**case)
    assert got == reference(**case)
    assert len(got) > 20
