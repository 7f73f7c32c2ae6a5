"""Plain-English descriptions of Kubernetes cron schedules, with robfig/cron's semantics.

``describe("30 4 * * *")`` -> ``"At 04:30 every day (UTC)"``. The wording follows what the schedule
*does* in Kubernetes (robfig/cron v3.0.1), not what a Vixie-cron reader might expect:

* day-of-month and day-of-week both restricted (neither starts with ``*``/``?``, and note ``*/2``
  counts as restricted) -> robfig fires on either: "on day 1 of the month OR on Monday";
* ``@every`` is a constant delay, not aligned to clock times;
* a schedule that can never fire says so.

It is built on the parsed bit sets (kaireon_chart.cron), so ``?``, names, steps, lists with empty
items and descriptors are all described by what they select.
"""

from __future__ import annotations

from collections.abc import Callable

from .cron import Schedule, parse_schedule

__all__ = ["describe", "describe_schedule", "format_duration"]

_MONTHS = "January February March April May June July August September October November December".split()
_DAYS = "Sunday Monday Tuesday Wednesday Thursday Friday Saturday".split()


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def _join(items: list[str], conj: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


def contiguous_runs(values: list[int]) -> list[tuple[int, int]]:
    """Contiguous runs of sorted values."""
    out: list[tuple[int, int]] = []
    for v in values:
        if out and v == out[-1][1] + 1:
            out[-1] = (out[-1][0], v)
        else:
            out.append((v, v))
    return out


def _progression(values: list[int], lo: int, hi: int) -> tuple[int, int] | None:
    """(start, step) when values == range(start, hi+1, step) with step > 1 and at least 2 values."""
    if len(values) < 2:
        return None
    step = values[1] - values[0]
    if step < 2 or values != list(range(values[0], hi + 1, step)):
        return None
    return values[0], step


def _list(
    values: list[int], lo: int, hi: int, name: Callable[[int], str] = str, through: str = "through"
) -> str:
    parts = []
    for a, b in contiguous_runs(values):
        if a == b:
            parts.append(name(a))
        elif b == a + 1:
            parts += [name(a), name(b)]
        else:
            parts.append(f"{name(a)} {through} {name(b)}")
    return _join(parts)


def format_duration(seconds: int) -> str:
    """1h30m -> '1 hour 30 minutes'."""
    if seconds <= 0:
        return "0 seconds"
    parts = []
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        n, seconds = divmod(seconds, size)
        if n:
            parts.append(f"{n} {unit}{'s' if n != 1 else ''}")
    return " ".join(parts)


def _minutes_phrase(ms: list[int]) -> str:
    prog = _progression(ms, 0, 59)
    if prog:
        start, step = prog
        base = f"every {_ordinal(step)} minute"
        return base if start == 0 else f"{base} from minute {start} through {ms[-1]}"
    if len(ms) == 1:
        return f"minute {ms[0]}"
    return "minutes " + _list(ms, 0, 59)


def _hours_phrase(hs: list[int]) -> str:
    if len(hs) == 24:
        return "every hour"
    prog = _progression(hs, 0, 23)
    if prog:
        start, step = prog
        base = f"every {_ordinal(step)} hour"
        return base if start == 0 else f"{base} from {start:02d}:00 through {hs[-1]:02d}:00"
    if len(hs) == 1:
        return f"hour {hs[0]:02d}"
    return "hours " + _list(hs, 0, 23, name=lambda h: f"{h:02d}")


def _time_part(ms: list[int], hs: list[int]) -> tuple[str, bool]:
    """(phrase, mentions a clock time)."""
    all_m, all_h = len(ms) == 60, len(hs) == 24
    if all_m and all_h:
        return "Every minute", False
    if all_m:
        runs = contiguous_runs(hs)
        if len(runs) == 1:
            a, b = runs[0]
            return f"Every minute from {a:02d}:00 through {b:02d}:59", True
        return f"Every minute during {_hours_phrase(hs)}", True
    prog = _progression(ms, 0, 59)
    if prog and prog[0] == 0 and 60 % prog[1] == 0:
        every = f"Every {prog[1]} minutes"
        if all_h:
            return every, False
        runs = contiguous_runs(hs)
        if len(runs) == 1 and runs[0][0] != runs[0][1]:
            a, b = runs[0]
            return f"{every} from {a:02d}:00 through {b:02d}:59", True
        return f"{every} during {_hours_phrase(hs)}", True
    if len(ms) * len(hs) <= 6:
        times = [f"{h:02d}:{m:02d}" for h in hs for m in ms]
        return "At " + _join(times), True
    return f"At {_minutes_phrase(ms)} past {_hours_phrase(hs)}", not all_h and not _progression(hs, 0, 23)


def _dom_phrase(ds: list[int]) -> str:
    prog = _progression(ds, 1, 31)
    if prog:
        start, step = prog
        tail = "" if start == 1 else f" from day {start}"
        return f"on every {_ordinal(step)} day of the month{tail}"
    word = "day" if len(ds) == 1 else "days"
    return f"on {word} {_list(ds, 1, 31)} of the month"


def _dow_phrase(ws: list[int]) -> str:
    return "on " + _list(ws, 0, 6, name=lambda d: _DAYS[d])


def _day_part(s: Schedule) -> str:
    ds, ws = sorted(s.days_of_month), sorted(s.days_of_week)
    dom_full, dow_full = len(ds) == 31, len(ws) == 7
    if not s.days_or:
        # robfig: AND (the starred field selects every day anyway)
        if dom_full and dow_full:
            return "every day"
        if dow_full:
            return _dom_phrase(ds)
        if dom_full:
            return _dow_phrase(ws)
        return f"{_dom_phrase(ds)} if it is also a {_join([_DAYS[d] for d in ws], 'or')}"
    # both restricted: robfig fires when EITHER matches
    if dom_full or dow_full:
        return "every day"
    return f"{_dom_phrase(ds)} OR {_dow_phrase(ws)}"


def _month_part(s: Schedule) -> str:
    ms = sorted(s.months)
    if len(ms) == 12:
        return ""
    prog = _progression(ms, 1, 12)
    if prog and prog[0] == 1 and len(ms) > 2:
        return f", every {_ordinal(prog[1])} month"
    return " in " + _list(ms, 1, 12, name=lambda m: _MONTHS[m - 1])


def describe_schedule(s: Schedule, tz: str | None = None) -> str:
    """Describe an already parsed schedule."""
    zone = tz or "UTC"
    if s.is_every:
        assert s.every_seconds is not None
        return (
            f"Every {format_duration(s.every_seconds)} (@every: a constant interval counted from the last "
            "scheduled time, not aligned to clock times)"
        )
    if s.never_fires:
        return "Never: no date matches this schedule (Kubernetes accepts it but never runs it)"
    ms, hs = sorted(s.minutes), sorted(s.hours)
    time_part, clock = _time_part(ms, hs)
    day_part = _day_part(s)
    month_part = _month_part(s)
    ds, months = sorted(s.days_of_month), sorted(s.months)
    if not s.days_or and len(s.days_of_week) == 7 and len(ds) == 1 and len(months) == 1:
        day_part, month_part = f"on {_MONTHS[months[0] - 1]} {ds[0]}", ""
    if day_part == "every day" and not month_part and not clock:
        text = time_part
    else:
        text = f"{time_part} {day_part}{month_part}"
    if clock or day_part != "every day" or month_part or tz:
        text += f" ({zone})"
    return text


def describe(expr: str, tz: str | None = None) -> str:
    """A plain-English description of a Kubernetes cron schedule in time zone ``tz`` (None = UTC).

    Raises kaireon_chart.cron.CronError for schedules Kubernetes rejects.
    """
    return describe_schedule(parse_schedule(expr), tz)
