"""Schedule timing: the shortest period between runs, and the warnings for runs that behave differently
than they read (skipped runs under Forbid, piling runs under Allow, @every, day-of-month OR day-of-week)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from ..problems import WARNING, Problem
from ..problems import shown as _q


def min_period_seconds(sched) -> int | None:
    """Shortest time between two successive runs (wall clock, DST ignored); None if it cannot be told."""
    return _min_period(sched.expr) if isinstance(getattr(sched, "expr", None), str) else _min_period_of(sched)


@lru_cache(maxsize=1024)
def _min_period(expr: str) -> int | None:
    from ..cron import parse_schedule

    return _min_period_of(parse_schedule(expr))


def _min_period_of(sched) -> int | None:
    if sched.is_every:
        return max(1, int(sched.every_seconds))
    day_minutes = sorted(h * 60 + m for h in sched.hours for m in sched.minutes)
    if not day_minutes:
        return None
    gaps = [b - a for a, b in zip(day_minutes, day_minutes[1:], strict=False)]
    day_gap = _min_day_gap(sched)
    if day_gap is not None:
        gaps.append(day_gap * 1440 - day_minutes[-1] + day_minutes[0])
    return min(gaps) * 60 if gaps else None


def _min_day_gap(sched) -> int | None:
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


def _schedule_warnings(job, sched, tz) -> list[Problem]:
    s, src = job.settings, job.sources
    base = f"cron.schedules.{job.key}"
    expr = s["schedule"]
    out: list[Problem] = []
    if sched.is_every:
        out.append(Problem(src["schedule"], f"{_q(expr)}: @every is accepted by Kubernetes but undocumented and runs "
                           "relative to the controller's start; allowed: a 5-field schedule such as \"*/10 * * * *\"",
                           WARNING, "every-descriptor"))
    if sched.days_or:
        from .time_facts import days_or_text

        out.append(Problem(src["schedule"], f"{_q(expr)}: day-of-month and day-of-week are both restricted, so it runs "
                           "on days matching EITHER (robfig/cron ORs them), more often than it reads "
                           f"({days_or_text(sched)}); allowed: restrict only one of them (put * in the other)",
                           WARNING, "days-or"))
    sds = s.get("startingDeadlineSeconds")
    if isinstance(sds, int) and not isinstance(sds, bool) and 0 <= sds < 10:
        out.append(Problem(src["startingDeadlineSeconds"], f"{sds} s may skip runs: the CronJob controller checks "
                           "every 10 s; allowed: 10 or more (or omit it)", WARNING, "starting-deadline-short"))
    period = min_period_seconds(sched)
    policy = s.get("concurrencyPolicy")
    ads = s.get("activeDeadlineSeconds")
    if period is not None and policy == "Forbid" and isinstance(ads, int) and not isinstance(ads, bool) \
            and ads > period:
        where = "" if src["activeDeadlineSeconds"].startswith(base) else f" (from {src['activeDeadlineSeconds']})"
        out.append(Problem(f"{base}.activeDeadlineSeconds",
                           f"{ads} s{where} is longer than the {period} s between runs of {_q(expr)} under "
                           "concurrencyPolicy Forbid: a run that takes that long makes the next runs be skipped; "
                           f"allowed: at most {period} (or concurrencyPolicy Replace)", WARNING, "forbid-skips-runs"))
    if period is not None and period <= 60 and policy == "Allow":
        out.append(Problem(src["concurrencyPolicy"], f"Allow with {_q(expr)} (every minute): slow runs pile up as "
                           "parallel Jobs; allowed: Forbid or Replace", WARNING, "every-minute-allow"))
    return out


