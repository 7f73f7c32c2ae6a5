"""Fire times over a horizon and what they add up to: collisions, peak concurrency, heatmap, herds.

Every fire time comes from :meth:`kaireon_chart.cron.Schedule.next_unix` in the job's ``timeZone``
(robfig/cron v3.0.1 as Kubernetes runs it). Successive calls start 59 s after the previous fire:
5-field schedules fire on second 0 only, so nothing is skipped and the parser does not walk the 59
seconds one by one (tests/schedule compares this with plain successive calls across DST changes).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from ..cron import CronError, parse_schedule
from ..problems import WARNING, Problem
from ..render import resolve_jobs
from ..tzdb import tz_exists
from .fires import fire_times

if TYPE_CHECKING:
    from ..chart import Chart

DEFAULT_RUN_SECONDS = 60  # worst-case run time of a job without activeDeadlineSeconds (said in the output)


class Job(NamedTuple):
    """An enabled, parseable job as the schedule analysis sees it."""

    key: str
    name: str
    expr: str
    tz: str | None  # IANA name; None = UTC (the chart omits spec.timeZone)
    deadline: int | None  # activeDeadlineSeconds
    policy: str  # concurrencyPolicy
    source: str  # dotted values path of the schedule


def jobs_of(
    values: dict[str, Any], release_name: str = "kaireon", chart: Chart | None = None
) -> tuple[list[Job], list[tuple[str, str]]]:
    """(the jobs that run, [(key, why a job is left out)]) of fully merged values."""
    cron = values.get("cron")
    if not isinstance(cron, dict) or cron.get("enabled") is False:
        return [], [("cron", "cron.enabled is false: no CronJob runs")]
    jobs, skipped = [], []
    for job in resolve_jobs(values, release_name, chart):
        s = job.settings
        expr, tz = s.get("schedule"), s.get("timeZone") or None
        if not job.enabled:
            skipped.append((job.key, "disabled"))
            continue
        if s.get("suspend") is True:
            skipped.append((job.key, "suspended"))
            continue
        if not isinstance(expr, str):
            skipped.append((job.key, "no schedule"))
            continue
        try:
            sched = parse_schedule(expr)
        except CronError:
            skipped.append((job.key, f"invalid schedule {expr!r}"))
            continue
        if sched.never_fires:
            skipped.append((job.key, f"{expr!r} never fires"))
            continue
        if tz is not None and (not isinstance(tz, str) or tz.lower() == "local" or not tz_exists(tz)):
            skipped.append((job.key, f"invalid timeZone {tz!r}"))
            continue
        ads = s.get("activeDeadlineSeconds")
        deadline = ads if isinstance(ads, int) and not isinstance(ads, bool) and ads > 0 else None
        raw_policy = s.get("concurrencyPolicy")
        policy = (
            raw_policy
            if isinstance(raw_policy, str) and raw_policy in ("Allow", "Forbid", "Replace")
            else "Allow"
        )
        jobs.append(Job(job.key, job.name, expr, tz, deadline, policy, job.sources.get("schedule", "")))
    return jobs, skipped


class Timeline:
    """Fire times of ``jobs`` over ``days`` days from ``start`` (UTC-aware datetime)."""

    def __init__(self, jobs: list[Job], start: datetime, days: float):
        self.jobs = jobs
        self.start = int(start.timestamp())
        self.end = self.start + int(days * 86400)
        self.days = days
        self.fires: dict[str, tuple[int, ...]] = {}
        for job in jobs:
            self.fires[job.key] = fire_times(parse_schedule(job.expr), job.tz, self.start, self.end)
        self._by_minute: dict[int, list[str]] | None = None
        self._collisions: list[tuple[int, list[str]]] | None = None
        self._heatmap: list[tuple[str, list[int]]] | None = None

    def by_minute(self) -> dict[int, list[str]]:
        """minute (Unix seconds, on the minute) -> keys of the jobs starting in it."""
        if self._by_minute is None:
            out: dict[int, list[str]] = defaultdict(list)
            for key, times in self.fires.items():
                for t in times:
                    out[t - t % 60].append(key)
            self._by_minute = dict(out)
        return self._by_minute

    def collisions(self) -> list[tuple[int, list[str]]]:
        """(minute, keys) for every minute where two or more jobs start, in time order."""
        if self._collisions is None:
            self._collisions = sorted(
                (m, sorted(keys)) for m, keys in self.by_minute().items() if len(keys) >= 2
            )
        return self._collisions

    def herds(self, limit: int) -> list[tuple[int, list[str]]]:
        """Minutes where more than ``limit`` jobs start."""
        return [(m, keys) for m, keys in self.collisions() if len(keys) > limit]

    def busiest_times_of_day(self, top: int = 10) -> list[tuple[str, int, list[str]]]:
        """("HH:MM" UTC, starts over the horizon, keys) of the minutes of the day with the most starts."""
        starts: Counter[int] = Counter()
        keys: dict[int, set[str]] = defaultdict(set)
        for minute, ks in self.by_minute().items():
            of_day = minute % 86400 // 60
            starts[of_day] += len(ks)
            keys[of_day].update(ks)
        ranked = sorted(starts.items(), key=lambda kv: (-len(keys[kv[0]]), -kv[1], kv[0]))
        return [(f"{m // 60:02d}:{m % 60:02d}", n, sorted(keys[m])) for m, n in ranked[:top]]

    def intervals(self) -> list[tuple[int, int, str]]:
        """(start, worst-case end, key) of every run: each run lasts its activeDeadlineSeconds, except
        that under Forbid a start while the previous run still runs is skipped, and under Replace a
        new start ends the previous run."""
        out = []
        for job in self.jobs:
            run = job.deadline or DEFAULT_RUN_SECONDS
            busy_until = -1
            times = self.fires[job.key]
            for i, t in enumerate(times):
                if job.policy == "Forbid" and t < busy_until:
                    continue
                end = t + run
                if job.policy == "Replace" and i + 1 < len(times):
                    end = min(end, times[i + 1])
                out.append((t, end, job.key))
                busy_until = end
        return out

    def peak(self) -> tuple[int, int | None, list[str]]:
        """(most runs possibly active at once, the first instant it happens, which jobs)."""
        runs = self.intervals()
        starts = sorted(r[0] for r in runs)
        ends = sorted(r[1] for r in runs)
        best, when, count, j = 0, None, 0, 0
        for t in starts:  # sweep: an end at t frees its slot before a start at t
            while j < len(ends) and ends[j] <= t:
                count -= 1
                j += 1
            count += 1
            if count > best:
                best, when = count, t
        who = sorted({key for a, b, key in runs if when is not None and a <= when < b})
        return best, when, who

    def heatmap(self) -> list[tuple[str, list[int]]]:
        """[(day "YYYY-MM-DD" UTC, starts in each of its 24 hours)] over the horizon."""
        if self._heatmap is None:
            first = self.start // 86400
            counts = [[0] * 24 for _ in range(first, (self.end - 1) // 86400 + 1)]
            for times in self.fires.values():
                for t in times:
                    counts[t // 86400 - first][t % 86400 // 3600] += 1
            self._heatmap = [
                (datetime.fromtimestamp((first + i) * 86400, UTC).strftime("%Y-%m-%d"), row)
                for i, row in enumerate(counts)
            ]
        return self._heatmap

    def hours_of_day(self) -> list[int]:
        """Starts in each hour of the day (UTC), summed over the horizon."""
        total = [0] * 24
        for _day, counts in self.heatmap():
            for h, n in enumerate(counts):
                total[h] += n
        return total


def collision_groups(collisions: list[tuple[int, list[str]]]) -> list[dict[str, Any]]:
    """Collisions grouped by the set of jobs: [{"jobs", "minutes", "first", "last"}], most minutes first."""
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for minute, keys in collisions:
        groups[tuple(keys)].append(minute)
    out = [
        {"jobs": list(keys), "minutes": len(ms), "first": iso(ms[0]), "last": iso(ms[-1])}
        for keys, ms in groups.items()
    ]
    return sorted(out, key=lambda g: (-len(g["jobs"]), -g["minutes"], g["jobs"]))


def iso(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%MZ")


HERD_ID = "schedule-herd"


def herd_problems(timeline: Timeline, limit: int) -> list[Any]:
    """One ``schedule-herd`` warning per set of jobs that start more than ``limit`` together, at the
    schedule of the one that starts least often (moving it breaks the herd; the message names all)."""
    sources = {job.key: job.source for job in timeline.jobs}
    starts = {key: len(times) for key, times in timeline.fires.items()}
    seen: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for minute, herd in timeline.herds(limit):
        seen[tuple(herd)].append(minute)
    out = []
    for keys, minutes in seen.items():
        first = datetime.fromtimestamp(minutes[0], UTC).strftime("%Y-%m-%d %H:%M UTC")
        mover = min(keys, key=lambda k: (starts[k], k))  # the rarest job joins the herd: move that one
        out.append(
            Problem(
                sources[mover] or f"cron.schedules.{mover}.schedule",
                f"{len(keys)} jobs start in the same minute ({', '.join(keys)}) {len(minutes)} time(s) "
                f"in {timeline.days:g} days, first at {first}; allowed: at most {limit} per minute: "
                "stagger them (`render-values schedule --stagger` suggests minutes)",
                WARNING,
                HERD_ID,
            )
        )
    return out


def check_herd(
    values: dict[str, Any],
    release_name: str,
    chart: Chart | None,
    limit: int,
    start: datetime | None = None,
    days: float = 7,
) -> list[Any]:
    """``schedule-herd`` warnings of fully merged values over ``days`` from ``start`` (default now)."""
    if limit < 1:
        raise ValueError(f"--herd {limit}: allowed: 1 or more")
    try:
        jobs, _skipped = jobs_of(values, release_name, chart)
    except (TypeError, ValueError, AttributeError, KeyError):
        return []  # values that cannot be resolved have errors already
    begin = start or datetime.now(UTC).replace(second=0, microsecond=0)
    return herd_problems(Timeline(jobs, begin, days), limit)
