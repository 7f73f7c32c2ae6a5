"""Golden corpus: robfig/cron v3.0.1 answers (validity, exact error text, next fire times).

The rows were produced by the Go judge (tests/cron_judge) and are asserted against kaireon_chart.cron
without it; test_corpus_is_robfigs_truth re-asks the judge so the table itself cannot drift.
Covers every row of the lab table in ../shared/reference/helm-and-kubernetes-rules.md §2.2, the
§2.1 rules, and edge cases (DST gaps/overlaps, 30- and 45-minute zones, the 5-year horizon).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kaireon_chart.cron import TZ_ERROR, CronError, parse_schedule, parse_standard

from .judge import compare

BASE = datetime(2025, 1, 1, tzinfo=UTC)

# (expression, (OK, next 3 fire times from BASE in UTC) | (ERR, robfig error) | (PANIC, Go panic))
CORPUS = [
    ("0 0 * * 7", ("ERR", "end of range (7) above maximum (6): 7")),
    ("0 0 * * 0-7", ("ERR", "end of range (7) above maximum (6): 0-7")),
    ("0 0 * * FRI-MON", ("ERR", "beginning of range (5) beyond end of range (1): FRI-MON")),
    ("5-1 * * * *", ("ERR", "beginning of range (5) beyond end of range (1): 5-1")),
    ("? * * * *", ("OK", ["2025-01-01 00:01:00", "2025-01-01 00:02:00", "2025-01-01 00:03:00"])),
    ("0 0 ? * *", ("OK", ["2025-01-02 00:00:00", "2025-01-03 00:00:00", "2025-01-04 00:00:00"])),
    ("0 0 * * ?", ("OK", ["2025-01-02 00:00:00", "2025-01-03 00:00:00", "2025-01-04 00:00:00"])),
    ("0 0 L * *", ("ERR", 'failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax')),
    ("0 0 15W * *", ("ERR", 'failed to parse int from 15W: strconv.Atoi: parsing "15W": invalid syntax')),
    ("0 0 * * 5L", ("ERR", 'failed to parse int from 5L: strconv.Atoi: parsing "5L": invalid syntax')),
    ("0 0 * * L5", ("ERR", 'failed to parse int from L5: strconv.Atoi: parsing "L5": invalid syntax')),
    ("0 0 * * 5#3", ("ERR", 'failed to parse int from 5#3: strconv.Atoi: parsing "5#3": invalid syntax')),
    (
        "0 0 * * MON#1",
        ("ERR", 'failed to parse int from MON#1: strconv.Atoi: parsing "MON#1": invalid syntax'),
    ),
    ("H * * * *", ("ERR", 'failed to parse int from H: strconv.Atoi: parsing "H": invalid syntax')),
    ("R * * * *", ("ERR", 'failed to parse int from R: strconv.Atoi: parsing "R": invalid syntax')),
    ("0 0 0 * * *", ("ERR", "expected exactly 5 fields, found 6: [0 0 0 * * *]")),
    ("0 0 1 1 * 2025 x", ("ERR", "expected exactly 5 fields, found 7: [0 0 1 1 * 2025 x]")),
    ("@yearly", ("OK", ["2026-01-01 00:00:00", "2027-01-01 00:00:00", "2028-01-01 00:00:00"])),
    ("@annually", ("OK", ["2026-01-01 00:00:00", "2027-01-01 00:00:00", "2028-01-01 00:00:00"])),
    ("@monthly", ("OK", ["2025-02-01 00:00:00", "2025-03-01 00:00:00", "2025-04-01 00:00:00"])),
    ("@weekly", ("OK", ["2025-01-05 00:00:00", "2025-01-12 00:00:00", "2025-01-19 00:00:00"])),
    ("@daily", ("OK", ["2025-01-02 00:00:00", "2025-01-03 00:00:00", "2025-01-04 00:00:00"])),
    ("@midnight", ("OK", ["2025-01-02 00:00:00", "2025-01-03 00:00:00", "2025-01-04 00:00:00"])),
    ("@hourly", ("OK", ["2025-01-01 01:00:00", "2025-01-01 02:00:00", "2025-01-01 03:00:00"])),
    ("@Daily", ("ERR", "unrecognized descriptor: @Daily")),
    ("@every 1h30m", ("OK", ["2025-01-01 01:30:00", "2025-01-01 03:00:00", "2025-01-01 04:30:00"])),
    ("@reboot", ("ERR", "unrecognized descriptor: @reboot")),
    ("*/60 * * * *", ("OK", ["2025-01-01 01:00:00", "2025-01-01 02:00:00", "2025-01-01 03:00:00"])),
    ("*/120 4-22 * * *", ("OK", ["2025-01-01 04:00:00", "2025-01-01 05:00:00", "2025-01-01 06:00:00"])),
    ("0 0 30 2 *", ("OK", [None])),
    ("0 0 31 4 *", ("OK", [None])),
    ("1,,2 * * * *", ("OK", ["2025-01-01 00:01:00", "2025-01-01 00:02:00", "2025-01-01 01:01:00"])),
    (", * * * *", ("OK", [None])),
    ("+5 * * * *", ("OK", ["2025-01-01 00:05:00", "2025-01-01 01:05:00", "2025-01-01 02:05:00"])),
    ("5-5 * * * *", ("OK", ["2025-01-01 00:05:00", "2025-01-01 01:05:00", "2025-01-01 02:05:00"])),
    ("1-1 * * * *", ("OK", ["2025-01-01 00:01:00", "2025-01-01 01:01:00", "2025-01-01 02:01:00"])),
    ("0 0 */2 * 1", ("OK", ["2025-01-03 00:00:00", "2025-01-05 00:00:00", "2025-01-06 00:00:00"])),
    ("TZ=UTC 0 0 * * *", ("OK", ["2025-01-02 00:00:00", "2025-01-03 00:00:00", "2025-01-04 00:00:00"])),
    ("TZ=UTC", ("PANIC", "runtime error: slice bounds out of range [:-1]")),
    ("0\t0\t*\t*\t*", ("OK", ["2025-01-02 00:00:00", "2025-01-03 00:00:00", "2025-01-04 00:00:00"])),
    ("0  0 * * *", ("OK", ["2025-01-02 00:00:00", "2025-01-03 00:00:00", "2025-01-04 00:00:00"])),
    ("0 0 * * * ", ("OK", ["2025-01-02 00:00:00", "2025-01-03 00:00:00", "2025-01-04 00:00:00"])),
    ("", ("ERR", "empty spec string")),
    (" @daily", ("ERR", "expected exactly 5 fields, found 1: [@daily]")),
    ("@daily ", ("ERR", "unrecognized descriptor: @daily ")),
    ("@every 0s", ("OK", ["2025-01-01 00:00:01", "2025-01-01 00:00:02", "2025-01-01 00:00:03"])),
    ("@every 1ms", ("OK", ["2025-01-01 00:00:01", "2025-01-01 00:00:02", "2025-01-01 00:00:03"])),
    ("@every -1h", ("OK", ["2025-01-01 00:00:01", "2025-01-01 00:00:02", "2025-01-01 00:00:03"])),
    ("@every 1d", ("ERR", 'failed to parse duration @every 1d: time: unknown unit "d" in duration "1d"')),
    (
        "JANUARY * * * *",
        ("ERR", 'failed to parse int from JANUARY: strconv.Atoi: parsing "JANUARY": invalid syntax'),
    ),
    (
        "* * * JANUARY *",
        ("ERR", 'failed to parse int from JANUARY: strconv.Atoi: parsing "JANUARY": invalid syntax'),
    ),
    (
        "* * * * MONDAY",
        ("ERR", 'failed to parse int from MONDAY: strconv.Atoi: parsing "MONDAY": invalid syntax'),
    ),
    ("0 0 * * SUN", ("OK", ["2025-01-05 00:00:00", "2025-01-12 00:00:00", "2025-01-19 00:00:00"])),
    ("0 0 * * sun", ("OK", ["2025-01-05 00:00:00", "2025-01-12 00:00:00", "2025-01-19 00:00:00"])),
    ("0 0 * * Sun", ("OK", ["2025-01-05 00:00:00", "2025-01-12 00:00:00", "2025-01-19 00:00:00"])),
    ("0 0 * * MON-FRI", ("OK", ["2025-01-02 00:00:00", "2025-01-03 00:00:00", "2025-01-06 00:00:00"])),
    ("0 0 1 JAN/2 *", ("OK", ["2025-03-01 00:00:00", "2025-05-01 00:00:00", "2025-07-01 00:00:00"])),
    ("*/0 * * * *", ("ERR", "step of range should be a positive number: */0")),
    ("-1 * * * *", ("ERR", 'failed to parse int from : strconv.Atoi: parsing "": invalid syntax')),
    ("*/-1 * * * *", ("ERR", "negative number (-1) not allowed: -1")),
    ("1-2-3 * * * *", ("ERR", "too many hyphens: 1-2-3")),
    ("1/2/3 * * * *", ("ERR", "too many slashes: 1/2/3")),
    ("5-10/2/1 * * * *", ("ERR", "too many slashes: 5-10/2/1")),
    (
        "1/5-10 * * * *",
        ("ERR", 'failed to parse int from 5-10: strconv.Atoi: parsing "5-10": invalid syntax'),
    ),
    ("05 * * * *", ("OK", ["2025-01-01 00:05:00", "2025-01-01 01:05:00", "2025-01-01 02:05:00"])),
    ("0 0 0 * *", ("ERR", "beginning of range (0) below minimum (1): 0")),
    ("0 0 * 0 *", ("ERR", "beginning of range (0) below minimum (1): 0")),
    ("0 0 * 13 *", ("ERR", "end of range (13) above maximum (12): 13")),
    ("60 * * * *", ("ERR", "end of range (60) above maximum (59): 60")),
    ("0 24 * * *", ("ERR", "end of range (24) above maximum (23): 24")),
    ("0 0 32 * *", ("ERR", "end of range (32) above maximum (31): 32")),
    ("*/1 * * * *", ("OK", ["2025-01-01 00:01:00", "2025-01-01 00:02:00", "2025-01-01 00:03:00"])),
    ("0 0 */1 * 1", ("OK", ["2025-01-06 00:00:00", "2025-01-13 00:00:00", "2025-01-20 00:00:00"])),
    ("0 0 1-31 * 1", ("OK", ["2025-01-02 00:00:00", "2025-01-03 00:00:00", "2025-01-04 00:00:00"])),
    ("*-5 * * * *", ("OK", ["2025-01-01 00:01:00", "2025-01-01 00:02:00", "2025-01-01 00:03:00"])),
    (
        "CRON_TZ=Europe/Berlin 0 3 * * *",
        ("OK", ["2025-01-01 02:00:00", "2025-01-02 02:00:00", "2025-01-03 02:00:00"]),
    ),
    (
        "TZ=Mars/Olympus 0 0 * * *",
        ("ERR", "provided bad location Mars/Olympus: unknown time zone Mars/Olympus"),
    ),
    ("TZ=UTC0", ("PANIC", "runtime error: slice bounds out of range [:-1]")),
    ("* * * *", ("ERR", "expected exactly 5 fields, found 4: [* * * *]")),
    ("* * * * * *", ("ERR", "expected exactly 5 fields, found 6: [* * * * * *]")),
    ("@every 1h30m10.5s", ("OK", ["2025-01-01 01:30:10", "2025-01-01 03:00:20", "2025-01-01 04:30:30"])),
    ("@every 500ms", ("OK", ["2025-01-01 00:00:01", "2025-01-01 00:00:02", "2025-01-01 00:00:03"])),
    ("@every 1.5h", ("OK", ["2025-01-01 01:30:00", "2025-01-01 03:00:00", "2025-01-01 04:30:00"])),
    ("@every ", ("ERR", 'failed to parse duration @every : time: invalid duration ""')),
    ("@every", ("ERR", "unrecognized descriptor: @every")),
    ("@every 1 h", ("ERR", 'failed to parse duration @every 1 h: time: unknown unit " h" in duration "1 h"')),
    ("0 0 29 2 *", ("OK", ["2028-02-29 00:00:00", "2032-02-29 00:00:00", "2036-02-29 00:00:00"])),
    ("30 2 * * *", ("OK", ["2025-01-01 02:30:00", "2025-01-02 02:30:00", "2025-01-03 02:30:00"])),
    ("0 9-17/2 * * 1-5", ("OK", ["2025-01-01 09:00:00", "2025-01-01 11:00:00", "2025-01-01 13:00:00"])),
    ("15 4 1,15 * *", ("OK", ["2025-01-01 04:15:00", "2025-01-15 04:15:00", "2025-02-01 04:15:00"])),
    (
        "99999999999999999999 * * * *",
        (
            "ERR",
            'failed to parse int from 99999999999999999999: strconv.Atoi: parsing "99999999999999999999": value out of range',
        ),
    ),
    ("1 * * * ,", ("OK", [None])),
    ("TZ", ("ERR", "expected exactly 5 fields, found 1: [TZ]")),
    ("0 0 * * MON TZ", ("ERR", "expected exactly 5 fields, found 6: [0 0 * * MON TZ]")),
]

# (expression, timeZone, base time, next 3 fire times in UTC; None = robfig gives up)
DST_CORPUS = [
    (
        "30 2 * * *",
        "America/New_York",
        "2025-03-08T12:00:00Z",
        ["2025-03-10 06:30:00", "2025-03-11 06:30:00", "2025-03-12 06:30:00"],
    ),
    (
        "30 1 * * *",
        "America/New_York",
        "2025-11-01T12:00:00Z",
        ["2025-11-02 05:30:00", "2025-11-02 06:30:00", "2025-11-03 06:30:00"],
    ),
    (
        "*/30 1 * * *",
        "America/New_York",
        "2025-11-02T04:00:00Z",
        ["2025-11-02 05:00:00", "2025-11-02 05:30:00", "2025-11-02 06:00:00"],
    ),
    (
        "0 * * * *",
        "America/New_York",
        "2025-11-02T04:30:00Z",
        ["2025-11-02 05:00:00", "2025-11-02 06:00:00", "2025-11-02 07:00:00"],
    ),
    (
        "0 * * * *",
        "Europe/Berlin",
        "2025-03-30T00:30:00Z",
        ["2025-03-30 01:00:00", "2025-03-30 02:00:00", "2025-03-30 03:00:00"],
    ),
    (
        "30 2 * * *",
        "Europe/Berlin",
        "2025-03-29T12:00:00Z",
        ["2025-03-31 00:30:00", "2025-04-01 00:30:00", "2025-04-02 00:30:00"],
    ),
    (
        "30 2 * * *",
        "Europe/Berlin",
        "2025-10-25T12:00:00Z",
        ["2025-10-26 00:30:00", "2025-10-26 01:30:00", "2025-10-27 01:30:00"],
    ),
    (
        "0 0 * * *",
        "America/Sao_Paulo",
        "2018-11-02T12:00:00Z",
        ["2018-11-03 03:00:00", "2018-11-05 02:00:00", "2018-11-06 02:00:00"],
    ),
    (
        "0 0 4 11 *",
        "America/Sao_Paulo",
        "2018-01-01T00:00:00Z",
        ["2019-11-04 03:00:00", "2020-11-04 03:00:00", "2021-11-04 03:00:00"],
    ),
    (
        "*/30 1-3 * * *",
        "Australia/Lord_Howe",
        "2025-04-05T14:00:00Z",
        ["2025-04-05 14:30:00", "2025-04-05 15:00:00", "2025-04-05 15:30:00"],
    ),
    (
        "*/30 1-3 * * *",
        "Australia/Lord_Howe",
        "2025-10-04T14:00:00Z",
        ["2025-10-04 14:30:00", "2025-10-04 15:00:00", "2025-10-04 15:30:00"],
    ),
    (
        "15 2 * * *",
        "Australia/Lord_Howe",
        "2025-10-04T00:00:00Z",
        ["2025-10-05 15:15:00", "2025-10-06 15:15:00", "2025-10-07 15:15:00"],
    ),
    ("0 0 29 2 *", "UTC", "2097-06-01T00:00:00Z", [None]),
    (
        "0 0 * * 1",
        "Pacific/Chatham",
        "2025-01-01T00:00:00Z",
        ["2025-01-05 10:15:00", "2025-01-12 10:15:00", "2025-01-19 10:15:00"],
    ),
    (
        "59 23 31 12 *",
        "Asia/Kolkata",
        "2025-06-15T10:20:30.123456Z",
        ["2025-12-31 18:29:00", "2026-12-31 18:29:00", "2027-12-31 18:29:00"],
    ),
]


def _fmt(dt: datetime | None) -> str | None:
    return None if dt is None else dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _next3(expr: str, base: datetime, tz: str | None) -> list[str | None]:
    sched = parse_standard(expr)
    out: list[str | None] = []
    t: datetime | None = base
    for _ in range(3):
        t = sched.next_after(t, tz)
        out.append(_fmt(t))
        if t is None:
            break
    return out


@pytest.mark.parametrize(("expr", "expected"), CORPUS, ids=[repr(r[0]) for r in CORPUS])
def test_corpus(expr, expected):
    status, detail = expected
    if status == "OK":
        assert _next3(expr, BASE, None) == detail
        return
    with pytest.raises(CronError) as info:
        parse_standard(expr)
    if status == "PANIC":
        assert info.value.kind == "panic"
        assert info.value.go_panic == detail
    else:
        assert str(info.value) == detail


@pytest.mark.parametrize(("expr", "expected"), CORPUS, ids=[repr(r[0]) for r in CORPUS])
def test_corpus_kubernetes(expr, expected):
    """parse_schedule = ParseStandard's error (if any) followed by the TZ rule, as validateScheduleFormat."""
    status, detail = expected
    want = [] if status == "OK" else [detail] if status == "ERR" else None
    if "TZ" in expr and want is not None:
        want.append(TZ_ERROR)
    try:
        parse_schedule(expr)
        got: list[str] = []
    except CronError as e:
        got = e.messages
    if want is None:  # robfig panics: we reject cleanly, TZ rule last
        assert len(got) == 2 and got[-1] == TZ_ERROR and "panic" in got[0]
    else:
        assert got == want


@pytest.mark.parametrize(
    ("expr", "tz", "base", "expected"), DST_CORPUS, ids=[f"{r[0]!r}@{r[1]}" for r in DST_CORPUS]
)
def test_dst_corpus(expr, tz, base, expected):
    assert _next3(expr, datetime.fromisoformat(base.replace("Z", "+00:00")), tz) == expected


@pytest.mark.go
def test_corpus_is_robfigs_truth(cron_judge):
    cases = [(e, BASE, None, 3) for e, _ in CORPUS]
    cases += [(e, datetime.fromisoformat(b.replace("Z", "+00:00")), tz, 3) for e, tz, b, _ in DST_CORPUS]
    assert compare(cron_judge, cases) == []
