"""Schedule timing warnings: runs that behave differently than they read (skipped runs under Forbid,
piling runs under Allow, @every, day-of-month OR day-of-week, and the time-aware ones of time_facts.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..cron import Schedule
    from ..render import ResolvedJob

from ..problems import WARNING, Problem
from ..problems import shown as _q
from .daysor import days_or_text
from .period import min_period_seconds


def _schedule_warnings(job: ResolvedJob, sched: Schedule, tz: str | None) -> list[Problem]:
    s, src = job.settings, job.sources
    base = f"cron.schedules.{job.key}"
    expr = s["schedule"]
    out: list[Problem] = []
    if sched.is_every:
        out.append(
            Problem(
                src["schedule"],
                f"{_q(expr)}: @every is accepted by Kubernetes but undocumented and runs "
                'relative to the controller\'s start; allowed: a 5-field schedule such as "*/10 * * * *"',
                WARNING,
                "every-descriptor",
            )
        )
    if sched.days_or:
        out.append(
            Problem(
                src["schedule"],
                f"{_q(expr)}: day-of-month and day-of-week are both restricted, so it runs "
                "on days matching EITHER (robfig/cron ORs them), more often than it reads "
                f"({days_or_text(sched)}); allowed: restrict only one of them (put * in the other)",
                WARNING,
                "days-or",
            )
        )
    sds = s.get("startingDeadlineSeconds")
    if isinstance(sds, int) and not isinstance(sds, bool) and 0 <= sds < 10:
        out.append(
            Problem(
                src["startingDeadlineSeconds"],
                f"{sds} s may skip runs: the CronJob controller checks "
                "every 10 s; allowed: 10 or more (or omit it)",
                WARNING,
                "starting-deadline-short",
            )
        )
    period = min_period_seconds(sched)
    policy = s.get("concurrencyPolicy")
    ads = s.get("activeDeadlineSeconds")
    if (
        period is not None
        and policy == "Forbid"
        and isinstance(ads, int)
        and not isinstance(ads, bool)
        and ads > period
    ):
        where = (
            "" if src["activeDeadlineSeconds"].startswith(base) else f" (from {src['activeDeadlineSeconds']})"
        )
        out.append(
            Problem(
                f"{base}.activeDeadlineSeconds",
                f"{ads} s{where} is longer than the {period} s between runs of {_q(expr)} under "
                "concurrencyPolicy Forbid: a run that takes that long makes the next runs be skipped; "
                f"allowed: at most {period} (or concurrencyPolicy Replace)",
                WARNING,
                "forbid-skips-runs",
            )
        )
    if period is not None and period <= 60 and policy == "Allow":
        out.append(
            Problem(
                src["concurrencyPolicy"],
                f"Allow with {_q(expr)} (every minute): slow runs pile up as "
                "parallel Jobs; allowed: Forbid or Replace",
                WARNING,
                "every-minute-allow",
            )
        )
    return out
