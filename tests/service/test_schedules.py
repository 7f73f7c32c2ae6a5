"""service.schedules: platform cron (with time zones), interval and rrule due logic.

The cron evaluation is checked against a brute-force oracle that enumerates wall-clock minutes in
the zone and maps each matching wall time to its UTC instant(s): a repeated (fall-back) wall time
matches both instants, a skipped (spring-forward) wall time fires at the instant the clock jumps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from service.schedules import (
    DueEvaluator,
    IntervalSchedule,
    ScheduleError,
    compile_pipeline_schedule,
    is_due,
    parse_cron,
    parse_rrule,
)

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
ZONES = ("UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata")
# DST transition instants (2026): New York 03-08 07:00Z / 11-01 06:00Z, Berlin 03-29 01:00Z / 10-25 01:00Z
TRANSITION_DAYS = (
    datetime(2026, 3, 8, 4, tzinfo=UTC),
    datetime(2026, 11, 1, 3, tzinfo=UTC),
    datetime(2026, 3, 28, 22, tzinfo=UTC),
    datetime(2026, 10, 24, 22, tzinfo=UTC),
    datetime(2026, 6, 14, 0, tzinfo=UTC),
)


# --------------------------------------------------------------------------------------------------
# brute-force oracle for a small cron grammar (minute, hour fields; day fields '*')
# --------------------------------------------------------------------------------------------------
def _field_values(field: str, lo: int, hi: int) -> set[int]:
    out: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, s = part.split("/")
            step = int(s)
        if part == "*":
            a, b = lo, hi
        elif "-" in part:
            a, b = map(int, part.split("-"))
        else:
            a = b = int(part)
            if step != 1:
                b = hi
        out.update(range(a, b + 1, step))
    return out


def oracle(expr: str, tz: str, after: datetime, until: datetime) -> list[datetime]:
    minute_f, hour_f, dom, mon, dow = expr.split()
    assert (dom, mon) == ("*", "*")
    minutes, hours = _field_values(minute_f, 0, 59), _field_values(hour_f, 0, 23)
    dows = None if dow == "*" else {int(d) % 7 for d in _field_values(dow, 0, 7)}
    zone = ZoneInfo(tz)
    start = after.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0) - timedelta(hours=3)
    end = until.astimezone(zone).replace(tzinfo=None) + timedelta(hours=3)
    found: set[datetime] = set()
    wall = start
    while wall <= end:
        if (
            wall.minute in minutes
            and wall.hour in hours
            and (dows is None or (wall.isoweekday() % 7) in dows)
        ):
            for fold in (0, 1):
                aware = wall.replace(tzinfo=zone, fold=fold)
                inst = aware.astimezone(UTC)
                if inst.astimezone(zone).replace(tzinfo=None) == wall:
                    found.add(inst)
                elif hour_f != "*":  # wall time in a gap: fires when the clock jumps over it
                    # (an hour field of "*" follows the new wall clock: nothing is replayed)
                    probe = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
                    # the jump instant is the first UTC minute whose local wall time is past the gap
                    t = probe - timedelta(hours=2)
                    while t.astimezone(zone).replace(tzinfo=None) <= wall:
                        t += timedelta(minutes=1)
                    found.add(t)
        wall += timedelta(minutes=1)
    return sorted(i for i in found if after < i <= until)


minute_field = st.one_of(
    st.just("*"),
    st.integers(0, 59).map(str),
    st.integers(2, 30).map(lambda k: f"*/{k}"),
    st.lists(st.integers(0, 59), min_size=1, max_size=3, unique=True).map(
        lambda v: ",".join(map(str, sorted(v)))
    ),
)
hour_field = st.one_of(
    st.just("*"),
    st.integers(0, 23).map(str),
    st.integers(2, 12).map(lambda k: f"*/{k}"),
    st.tuples(st.integers(0, 22), st.integers(1, 6)).map(lambda t: f"{t[0]}-{min(23, t[0] + t[1])}"),
    st.sampled_from(["1", "2", "3", "1,2,3"]),  # the hours DST moves
)
dow_field = st.one_of(st.just("*"), st.just("*"), st.integers(0, 6).map(str), st.just("1-5"))


# found by hypothesis: an hourly job does not replay the minute New York's spring-forward skips
@example(
    minute="30",
    hour="*",
    dow="*",
    tz="America/New_York",
    base=TRANSITION_DAYS[0],
    offset_min=0,
    length_min=180,
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    minute=minute_field,
    hour=hour_field,
    dow=dow_field,
    tz=st.sampled_from(ZONES),
    base=st.sampled_from(TRANSITION_DAYS),
    offset_min=st.integers(0, 24 * 60),
    length_min=st.integers(1, 30 * 60),
)
def test_cron_occurrences_match_wall_clock_oracle(minute, hour, dow, tz, base, offset_min, length_min):
    expr = f"{minute} {hour} * * {dow}"
    after = base + timedelta(minutes=offset_min)
    until = after + timedelta(minutes=length_min)
    sched = parse_cron(expr, tz)
    expected = oracle(expr, tz, after, until)
    assert sched.occurrences(after, until) == expected
    # due logic: the most recent occurrence in (after, until], or none
    got = DueEvaluator(until).due_occurrence(sched, after)
    assert got == (expected[-1] if expected else None)


def test_due_window_is_open_left_closed_right():
    sched = parse_cron("0 9 * * *", "UTC")
    at_nine = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
    ev = DueEvaluator(at_nine)
    assert ev.due_occurrence(sched, at_nine - timedelta(seconds=1)) == at_nine  # now == occurrence: due
    assert ev.due_occurrence(sched, at_nine) is None  # lastRunAt == occurrence: already ran
    assert (
        DueEvaluator(at_nine - timedelta(microseconds=1)).due_occurrence(sched, at_nine - timedelta(hours=1))
        is None
    )


def test_never_run_looks_back_24_hours_exactly():
    sched = parse_cron("0 12 * * *", "UTC")  # daily at noon
    assert DueEvaluator(NOW).due_occurrence(sched, None) == NOW  # occurrence at now
    just_after = NOW + timedelta(seconds=1)
    # yesterday's noon is 24h+1s ago: outside the lookback; today's is inside
    assert DueEvaluator(just_after).due_occurrence(sched, None) == NOW
    weekly = parse_cron("0 12 * * 1", "UTC")  # Monday noon; NOW is Monday 2026-06-15 12:00
    assert (
        DueEvaluator(NOW + timedelta(hours=24)).due_occurrence(weekly, None) is None
    )  # exactly 24h ago: excluded
    assert DueEvaluator(NOW + timedelta(hours=23, minutes=59)).due_occurrence(weekly, None) == NOW


def test_cron_in_time_zone_uses_local_wall_clock_and_dst():
    berlin = parse_cron("0 9 * * *", "Europe/Berlin")
    assert berlin.latest_at_or_before(NOW) == datetime(2026, 6, 15, 7, 0, tzinfo=UTC)  # CEST = UTC+2
    assert berlin.latest_at_or_before(datetime(2026, 1, 15, 12, tzinfo=UTC)) == datetime(
        2026, 1, 15, 8, tzinfo=UTC
    )
    ny = parse_cron("30 2 * * *", "America/New_York")
    # 2026-03-08 02:30 does not exist in New York: it fires when the clock jumps (03:00 EDT = 07:00Z)
    assert ny.occurrences(datetime(2026, 3, 8, 0, tzinfo=UTC), datetime(2026, 3, 9, 0, tzinfo=UTC)) == [
        datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    ]
    # 2026-11-01 01:30 happens twice in New York: both instants match
    assert parse_cron("30 1 * * *", "America/New_York").occurrences(
        datetime(2026, 11, 1, 0, tzinfo=UTC), datetime(2026, 11, 2, 0, tzinfo=UTC)
    ) == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 6, 30, tzinfo=UTC)]


def test_six_field_cron_has_seconds_first_and_macros_work():
    assert parse_cron("30 0 9 * * *", "UTC").latest_at_or_before(NOW) == datetime(
        2026, 6, 15, 9, 0, 30, tzinfo=UTC
    )
    assert parse_cron("@daily", "UTC").latest_at_or_before(NOW) == datetime(2026, 6, 15, tzinfo=UTC)
    assert parse_cron("0 9 * * MON-FRI", "UTC").latest_at_or_before(NOW) == datetime(
        2026, 6, 15, 9, tzinfo=UTC
    )


def test_cron_that_never_fires_is_valid_but_never_due():
    sched = parse_cron("0 0 30 2 *", "UTC")
    assert sched.latest_at_or_before(NOW) is None
    assert sched.next_after(NOW) is None
    assert DueEvaluator(NOW).due_occurrence(sched, None) is None


@pytest.mark.parametrize(
    "schedule, message",
    [
        (
            {"kind": "cron", "expression": "61 * * * *"},
            "schedule.expression '61 * * * *' is not a valid cron",
        ),
        ({"kind": "cron", "expression": "* * * *"}, "has 4 fields; allowed: 5"),
        ({"kind": "cron", "expression": "0 0 * * * 2026 1"}, "has 7 fields"),
        ({"kind": "cron", "expression": "TZ=UTC 0 9 * * *"}, "not a TZ= prefix"),
        ({"kind": "cron", "expression": "H 9 * * *"}, "hashed 'H'"),
        ({"kind": "cron", "expression": ""}, "non-empty cron expression"),
        ({"kind": "cron", "expression": ["0 9 * * *"]}, "non-empty cron expression"),
        ({"kind": "cron", "expression": "0 9 * * *", "timezone": "Mars/Olympus"}, "not a known IANA zone"),
        ({"kind": "cron", "expression": "0 9 * * *", "timezone": 5}, "IANA zone name"),
        ({"kind": "interval", "minutes": 0}, "schedule.minutes must be an integer 1-1440"),
        ({"kind": "interval", "minutes": 1441}, "1-1440"),
        ({"kind": "interval", "minutes": 15.5}, "1-1440"),
        ({"kind": "interval", "minutes": True}, "1-1440"),
        ({"kind": "interval"}, "1-1440"),
        ({"kind": "rrule", "rrule": "FREQ=SOMETIMES"}, "not a valid RFC 5545 rule"),
        ({"kind": "rrule", "rrule": "BYHOUR=9"}, "RFC 5545 rule string"),
        ({"kind": "rrule", "rrule": None}, "RFC 5545 rule string"),
        ({"kind": "weekly"}, "schedule.kind must be one of cron, interval, rrule"),
        ([1, 2], "schedule must be an object"),
    ],
)
def test_malformed_schedules_raise_schedule_error_naming_the_field(schedule, message):
    with pytest.raises(ScheduleError, match=None) as err:
        compile_pipeline_schedule(schedule, NOW)
    assert message in str(err.value)


@settings(max_examples=80, deadline=None)
@given(minutes=st.integers(1, 1440), since_s=st.integers(0, 3 * 86400))
def test_interval_due_iff_elapsed_at_least_minutes(minutes, since_s):
    last = NOW - timedelta(seconds=since_s)
    got = DueEvaluator(NOW).due_occurrence(IntervalSchedule(minutes), last)
    if since_s >= minutes * 60:
        assert got == last + timedelta(minutes=minutes)
    else:
        assert got is None
    assert DueEvaluator(NOW).due_occurrence(IntervalSchedule(minutes), None) == NOW  # never run: due now


def test_interval_boundary_exactly_at_minutes_is_due():
    assert is_due({"kind": "interval", "minutes": 15}, NOW - timedelta(minutes=15), NOW) == NOW
    assert (
        is_due(
            {"kind": "interval", "minutes": 15}, NOW - timedelta(minutes=15) + timedelta(microseconds=1), NOW
        )
        is None
    )


@settings(max_examples=60, deadline=None)
@given(
    freq=st.sampled_from(["MINUTELY", "HOURLY", "DAILY", "WEEKLY"]),
    interval=st.integers(1, 5),
    by=st.sampled_from(["", ";BYMINUTE=0,30", ";BYHOUR=9,17;BYMINUTE=15", ";BYDAY=MO,WE,FR", ";BYSECOND=0"]),
    tz=st.sampled_from(ZONES),
    start_days=st.integers(1, 900),
    start_min=st.integers(0, 1439),
    now_offset=st.integers(0, 400 * 24 * 60),
)
def test_rrule_fast_forward_matches_plain_iteration(
    freq, interval, by, tz, start_days, start_min, now_offset
):
    if freq == "MINUTELY" and start_days > 60:
        start_days = start_days % 60 + 1  # keep the plain (slow) iteration bounded
    created = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=start_days, minutes=start_min)
    now = created + timedelta(minutes=now_offset % (90 * 24 * 60 if freq == "MINUTELY" else 10**9))
    text = f"FREQ={freq};INTERVAL={interval}{by}"
    try:
        plain = rrulestr(text, dtstart=created.astimezone(ZoneInfo(tz)).replace(second=0, microsecond=0))
    except (
        ValueError
    ):  # dateutil refuses rules that can never fire (e.g. every 2nd minute at :00/:30 from :01)
        with pytest.raises(ScheduleError, match="not a valid RFC 5545 rule"):
            parse_rrule(text, tz, created)
        return
    sched = parse_rrule(text, tz, created)
    expected = plain.before(now, inc=True)
    assert sched.latest_at_or_before(now) == (expected.astimezone(UTC) if expected else None)


def test_rrule_without_dtstart_starts_at_pipeline_creation_and_honours_count():
    created = datetime(2026, 6, 10, 8, 20, 45, tzinfo=UTC)
    sched = compile_pipeline_schedule({"kind": "rrule", "rrule": "FREQ=DAILY;COUNT=3"}, created)
    assert sched.occurrences(created - timedelta(days=1), created + timedelta(days=10)) == [
        datetime(2026, 6, d, 8, 20, tzinfo=UTC) for d in (10, 11, 12)
    ]
    assert DueEvaluator(NOW).due_occurrence(sched, datetime(2026, 6, 12, 9, tzinfo=UTC)) is None  # exhausted


def test_rrule_with_dtstart_and_time_zone():
    text = "DTSTART;TZID=Europe/Berlin:20260101T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO"
    sched = compile_pipeline_schedule({"kind": "rrule", "rrule": text, "timezone": "UTC"}, NOW)
    assert sched.latest_at_or_before(NOW) == datetime(2026, 6, 15, 7, 0, tzinfo=UTC)  # 09:00 CEST
    floating = compile_pipeline_schedule(
        {
            "kind": "rrule",
            "rrule": "DTSTART:20260101T090000\nRRULE:FREQ=DAILY",
            "timezone": "America/New_York",
        },
        NOW,
    )
    # 09:00 EDT = 13:00Z, after NOW (12:00Z): the latest is the day before
    assert floating.latest_at_or_before(NOW) == datetime(2026, 6, 14, 13, 0, tzinfo=UTC)


def test_evaluator_memoises_latest_per_schedule():
    ev = DueEvaluator(NOW)
    sched = parse_cron("*/5 * * * *", "Europe/Berlin")
    assert parse_cron("*/5  *  * * *", "Europe/Berlin") == sched  # whitespace-normalised
    first = ev.latest(sched)
    assert ev.latest(sched) is first
    assert len(ev._latest) == 1
