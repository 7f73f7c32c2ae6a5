"""Checks that understand what a schedule does over time, and the facts ``explain`` shows.

Each fact is computed once here (:func:`facts`) and both the warnings and ``explain`` read it:

* ``shortestInterval``: the shortest wall-clock time between two fire times (period.min_period_seconds);
* ``startingDeadlineLonger``: startingDeadlineSeconds above that interval (``starting-deadline-long``);
* ``orDates``: day-of-month and day-of-week both restricted -- the dates it fires on in the next
  two months (robfig ORs the fields) next to the dates an AND would give (``days-or`` message);
* ``stepRange``: a step at least as large as its field's range, ``*/60`` or ``*/24`` (``step-range``);
* ``dst``: fire times in the next 12 months, in the job's timeZone, that fall in a spring-forward gap
  (skipped) or a fall-back repeat (run twice), with their dates (``dst-gap``, ``dst-repeat``). Only for
  schedules with restricted hours: an hourly job losing or gaining the repeated hour is expected.

Fire times come from the Kubernetes parser (kaireon_chart.cron) in the job's zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from ..cron import parse_schedule
from ..problems import WARNING, Problem
from .period import min_period_seconds

CHECKS: dict[str, tuple[str, str]] = {
    "starting-deadline-long": (
        WARNING,
        "startingDeadlineSeconds longer than the shortest interval between runs "
        "starts a missed run late instead of skipping it",
    ),
    "step-range": (
        WARNING,
        "a step at least as large as its field's range (*/60, */24) fires once per hour/day, not as it reads",
    ),
    "dst-gap": (
        WARNING,
        "a run in a spring-forward gap of the job's timeZone in the next 12 months is skipped",
    ),
    "dst-repeat": (
        WARNING,
        "a run in a fall-back repeat of the job's timeZone in the next 12 months runs twice",
    ),
    "schedule-herd": (
        WARNING,
        "more than N jobs start in the same minute (`render-values schedule`, `check --herd N`)",
    ),
}

FIELDS = (
    ("minute", 0, 59, "hour"),
    ("hour", 0, 23, "day"),
    ("day-of-month", 1, 31, "month"),
    ("month", 1, 12, "year"),
    ("day-of-week", 0, 6, "week"),
)
_DESCRIPTOR_FIELDS = 5
_DAY = 86400


def step_range(expr: str) -> list[tuple[str, str, int, int, int, str]]:
    """[(field, part, step, first, last, unit)] of every ``x/step`` whose step >= the range it steps
    through (the part then fires only at ``first``)."""
    fields = expr.split()
    if expr.startswith("@") or len(fields) != _DESCRIPTOR_FIELDS:
        return []
    out = []
    for text, (name, lo, hi, unit) in zip(fields, FIELDS, strict=True):
        for part in text.split(","):
            base, sep, step_text = part.partition("/")
            if not sep or not step_text.isdigit():
                continue
            step = int(step_text)
            first, last = lo, hi
            if base not in ("*", "?"):
                start, dash, end = base.partition("-")
                if not _number(start):
                    continue  # names (JAN, MON): leave them to the parser
                first = int(start)
                last = int(end) if dash and _number(end) else hi
            if last > first and step > last - first:
                out.append((name, part, step, first, last, unit))
    return out


def _number(text: str) -> bool:
    return text.isdigit()


def or_dates(sched: Any, tz: str | None, now: datetime, days: int = 62) -> tuple[list[date], list[date]]:
    """(dates it fires on, dates an AND of day-of-month and day-of-week would give) in the next ``days``
    days, in the job's zone. The first list comes from the parser's fire times."""
    from zoneinfo import ZoneInfo  # lazy: zoneinfo ~2 ms (bench 8), only for a time zone

    zone = ZoneInfo(tz) if tz else UTC
    start = int(now.timestamp())
    end = start + days * _DAY
    fired: list[date] = []
    t = sched.next_unix(start - 1, tz)
    while t is not None and t < end:  # one fire time per day: then on from that day's last second
        day = datetime.fromtimestamp(t, zone).date()
        fired.append(day)
        midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        t = sched.next_unix(int(midnight.timestamp()) - 1, tz)
    today = now.astimezone(zone).date()
    anded = [
        d
        for d in (today + timedelta(days=i) for i in range(days))
        if d.month in sched.months
        and d.day in sched.days_of_month
        and (d.isoweekday() % 7) in sched.days_of_week
    ]
    return fired, anded


def dst_events(sched: Any, tz: str | None, now: datetime) -> dict[str, list[dict[str, str]]]:
    """{"gaps": [...], "repeats": [...]}: runs skipped by a spring-forward gap and runs repeated by a
    fall-back, over the next 12 months (only for schedules with restricted hours)."""
    if not tz or tz == "UTC" or sched.is_every or len(sched.hours) == 24:
        return {"gaps": [], "repeats": []}
    start = int(now.timestamp()) - int(now.timestamp()) % 3600
    cached = _dst_events(sched.expr, tz, start)
    return {"gaps": [dict(g) for g in cached["gaps"]], "repeats": [dict(r) for r in cached["repeats"]]}


@lru_cache(maxsize=1024)
def _dst_events(expr: str, tz: str, start: int) -> dict[str, list[dict[str, str]]]:
    """dst_events for one (schedule, zone, hour): ``check`` over many files asks the same again."""
    from zoneinfo import ZoneInfo  # lazy: zoneinfo ~2 ms (bench 8), only for a time zone

    from ..schedule.fires import fire_times, transitions  # lazy: ~0.6 ms (bench 8), only for a time zone

    sched = parse_schedule(expr)
    out: dict[str, list[dict[str, str]]] = {"gaps": [], "repeats": []}
    zone = ZoneInfo(tz)

    for at, change in transitions(tz, start):
        if change > 0:  # spring forward: local wall times [before, before + change) do not exist
            before = datetime.fromtimestamp(at - 1, zone) + timedelta(seconds=1)
            missing = _wall_matches(sched, before.replace(tzinfo=None), change)
            if missing:
                out["gaps"].append(
                    {
                        "date": before.date().isoformat(),
                        "times": ", ".join(missing),
                        "gap": f"{before:%H:%M}-{(before + timedelta(seconds=change)):%H:%M}",
                    }
                )
        else:  # fall back: wall times [at_local - |change|, at_local) happen twice
            after = datetime.fromtimestamp(at, zone).replace(tzinfo=None)
            twice = _wall_matches(sched, after, -change)
            fires = fire_times(sched, tz, at + change, at - change)
            walls = [datetime.fromtimestamp(t, zone).strftime("%H:%M") for t in fires]
            doubled = sorted({w for w in walls if walls.count(w) > 1})
            if twice and doubled:
                out["repeats"].append(
                    {
                        "date": after.date().isoformat(),
                        "times": ", ".join(doubled),
                        "repeat": f"{after:%H:%M}-{(after + timedelta(seconds=-change)):%H:%M}",
                    }
                )
    return out


def _wall_matches(sched: Any, wall: datetime, seconds: int) -> list[str]:
    """HH:MM wall times in [wall, wall + seconds) the schedule matches (day, hour and minute bits)."""
    out = []
    months, hours, minutes = sched.months, sched.hours, sched.minutes  # (each access builds the set)
    t = wall.replace(second=0, microsecond=0)
    if t < wall:
        t += timedelta(minutes=1)
    while t < wall + timedelta(seconds=seconds):
        if (
            t.month in months
            and t.hour in hours
            and t.minute in minutes
            and _day_matches(sched, t.day, t.isoweekday() % 7)
        ):
            out.append(f"{t:%H:%M}")
        t += timedelta(minutes=1)
    return out


def _day_matches(sched: Any, day: int, weekday: int) -> bool:
    """robfig's dayMatches: AND when either day field is a star, else OR."""
    dom, dow = day in sched.days_of_month, weekday in sched.days_of_week
    return (dom and dow) if (sched.dom_star or sched.dow_star) else (dom or dow)


def facts(settings: dict[str, Any], sched: Any, tz: str | None, now: datetime) -> dict[str, Any]:
    """The time facts of one job (explain shows them; the warnings below are made from them)."""
    period: int | None = min_period_seconds(sched)
    out: dict[str, Any] = {"shortestIntervalSeconds": period}
    sds, ads = settings.get("startingDeadlineSeconds"), settings.get("activeDeadlineSeconds")
    out["startingDeadlineLongerThanInterval"] = (
        period is not None and isinstance(sds, int) and not isinstance(sds, bool) and sds > period
    )
    out["forbidDeadlineLongerThanInterval"] = (
        period is not None
        and settings.get("concurrencyPolicy") == "Forbid"
        and isinstance(ads, int)
        and not isinstance(ads, bool)
        and ads > period
    )
    if sched.days_or:
        fired, anded = or_dates(sched, tz, now)
        out["daysOr"] = {
            "firesOn": [d.isoformat() for d in fired],
            "andWouldBe": [d.isoformat() for d in anded],
        }
    out["stepRange"] = [
        {"field": f, "part": p, "step": s, "firesAt": lo, "oncePer": unit}
        for f, p, s, lo, _hi, unit in step_range(sched.expr)
    ]
    out["dst"] = dst_events(sched, tz, now)
    return out


def _dates(days: list[str], limit: int = 8) -> str:
    more = f" and {len(days) - limit} more" if len(days) > limit else ""
    return ", ".join(days[:limit]) + more if days else "none"


def warnings(job: Any, sched: Any, tz: str | None, now: datetime | None = None) -> list[Any]:
    """The time-aware warnings of one job (its schedule parsed and its zone valid)."""
    now = now or datetime.now(UTC)
    s, src = job.settings, job.sources
    expr = s["schedule"]
    f = facts(s, sched, tz, now)
    out = []
    period = f["shortestIntervalSeconds"]
    if f["startingDeadlineLongerThanInterval"]:
        sds = s["startingDeadlineSeconds"]
        out.append(
            Problem(
                src["startingDeadlineSeconds"],
                f"{sds} s is longer than the {period} s between runs "
                f'of "{expr}": after a controller outage a missed run still starts up to {sds} s late, '
                "when the next run is already due, instead of being skipped and reported; allowed: at "
                f"most {period}",
                WARNING,
                "starting-deadline-long",
            )
        )
    for field, part, step, first, last, unit in step_range(expr):
        out.append(
            Problem(
                src["schedule"],
                f'"{expr}": the {field} step {part} is at least its range '
                f"{first}-{last}, so it fires only at {field} {first}, once per {unit}, not every {step}; "
                f"allowed: a step below {last - first + 1}, or write {first} if once per {unit} is meant",
                WARNING,
                "step-range",
            )
        )
    zone = tz or "UTC"
    for gap in f["dst"]["gaps"]:
        out.append(
            Problem(
                src["schedule"],
                f'"{expr}" in {zone}: on {gap["date"]} the clocks skip '
                f"{gap['gap']}, so the run at {gap['times']} is skipped that day; allowed: a time "
                "outside the change (e.g. before 01:00 or after 04:00) or timeZone UTC",
                WARNING,
                "dst-gap",
            )
        )
    for rep in f["dst"]["repeats"]:
        out.append(
            Problem(
                src["schedule"],
                f'"{expr}" in {zone}: on {rep["date"]} the clocks repeat '
                f"{rep['repeat']}, so the run at {rep['times']} runs twice that day; allowed: a time "
                "outside the change (e.g. before 01:00 or after 04:00) or timeZone UTC",
                WARNING,
                "dst-repeat",
            )
        )
    return out
