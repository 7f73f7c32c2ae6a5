"""The shortest time between two successive runs of a schedule (wall clock, DST ignored)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from ..cron import Schedule, parse_schedule


def min_period_seconds(sched: Schedule) -> int | None:
    """Shortest time between two successive runs (wall clock, DST ignored); None if it cannot be told."""
    return _min_period(sched.expr) if isinstance(getattr(sched, "expr", None), str) else _min_period_of(sched)


@lru_cache(maxsize=1024)
def _min_period(expr: str) -> int | None:
    return _min_period_of(parse_schedule(expr))


def _min_period_of(sched: Schedule) -> int | None:
    if sched.is_every:
        return max(1, int(sched.every_seconds or 0))
    day_minutes = sorted(h * 60 + m for h in sched.hours for m in sched.minutes)
    if not day_minutes:
        return None
    gaps = [b - a for a, b in zip(day_minutes, day_minutes[1:], strict=False)]
    day_gap = _min_day_gap(sched)
    if day_gap is not None:
        gaps.append(day_gap * 1440 - day_minutes[-1] + day_minutes[0])
    return min(gaps) * 60 if gaps else None


def _min_day_gap(sched: Schedule) -> int | None:
    doms, dows, months = sched.days_of_month, sched.days_of_week, sched.months
    and_rule = sched.dom_star or sched.dow_star
    start = date(2024, 1, 1)  # a leap year, then the next: covers Feb 29 and every weekday/date pair
    previous, best = None, None
    for offset in range(731):
        day = start + timedelta(days=offset)
        if day.month not in months:
            continue
        dom_ok, dow_ok = day.day in doms, (day.isoweekday() % 7) in dows
        if not ((dom_ok and dow_ok) if and_rule else (dom_ok or dow_ok)):
            continue
        if previous is not None:
            gap = (day - previous).days
            best = gap if best is None else min(best, gap)
            if best == 1:
                return 1
        previous = day
    return best
