"""``render-values explain``: per job its name, schedule, plain-English description, the next runs in
the job's time zone, deadlines and limits -- as data (``explain``) and as a table (``format_text``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from . import cron as cronlib
from .checks.time_facts import facts
from .describe import describe
from .explain_facts import facts_lines
from .render import resolve_jobs
from .tzdb import tz_exists

if TYPE_CHECKING:
    from .chart import Chart


def _describe(expr: str, tz: str | None) -> str:
    try:
        return describe(expr, tz)
    except Exception:  # noqa: BLE001 - a description is a nicety; never fail explain over it
        return expr


def explain(
    values: dict[str, Any],
    *,
    release_name: str = "kaireon",
    chart: Chart | None = None,
    now: datetime | None = None,
    runs: int = 3,
) -> list[dict[str, Any]]:
    """One row per cron.schedules entry (sorted by key), with the next ``runs`` fire times."""

    now = now or datetime.now(UTC)
    tier_on = bool((values.get("cron") or {}).get("enabled"))
    rows = []
    for job in resolve_jobs(values, release_name, chart):
        s = job.settings
        expr = s.get("schedule")
        tz = s.get("timeZone") or None
        if tz is not None and (not isinstance(tz, str) or tz.lower() == "local" or not tz_exists(tz)):
            tz = None
        zone = ZoneInfo(tz) if tz else UTC
        nexts: list[str] = []
        description = ""
        time_facts: dict[str, Any] = {}
        if isinstance(expr, str) and expr:
            try:
                sched = cronlib.parse_schedule(expr)
            except cronlib.CronError as err:
                description = f"invalid: {cronlib.friendly(err)}"
            else:
                description = _describe(expr, tz)
                if not sched.never_fires:
                    time_facts = facts(s, sched, tz, now)
                nexts = [
                    t.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") for t in sched.next_times(now, runs, tz)
                ]
                if not nexts:
                    description += " (never fires)"
        state = "enabled"
        if not tier_on:
            state = "off (cron.enabled is false)"
        elif not job.enabled:
            state = "disabled"
        elif s.get("suspend") is True:
            state = "suspended"
        rows.append(
            {
                "key": job.key,
                "name": job.name,
                "state": state,
                "schedule": expr,
                "timeZone": s.get("timeZone") or "UTC (controller default)",
                "description": description,
                "nextRuns": nexts,
                "path": s.get("path"),
                "concurrencyPolicy": s.get("concurrencyPolicy"),
                "activeDeadlineSeconds": s.get("activeDeadlineSeconds"),
                "startingDeadlineSeconds": s.get("startingDeadlineSeconds"),
                "successfulJobsHistoryLimit": s.get("successfulJobsHistoryLimit"),
                "failedJobsHistoryLimit": s.get("failedJobsHistoryLimit"),
                "backoffLimit": s.get("backoffLimit"),
                "timeFacts": time_facts,
            }
        )
    return rows


_COLUMNS = (
    ("JOB", "key"),
    ("CRONJOB", "name"),
    ("STATE", "state"),
    ("SCHEDULE", "schedule"),
    ("TIME ZONE", "timeZone"),
    ("DESCRIPTION", "description"),
    ("NEXT RUNS", "nextRuns"),
    ("DEADLINES active/start", "deadlines"),
    ("HISTORY ok/failed", "history"),
    ("BACKOFF", "backoffLimit"),
    ("CONCURRENCY", "concurrencyPolicy"),
    ("PATH", "path"),
)


def _cell(row: dict[str, Any], field: str) -> str:
    if field == "nextRuns":
        return ", ".join(row["nextRuns"]) or "-"
    if field == "deadlines":
        return f"{row['activeDeadlineSeconds']} s / {row['startingDeadlineSeconds']} s"
    if field == "history":
        return f"{row['successfulJobsHistoryLimit']} / {row['failedJobsHistoryLimit']}"
    value = row.get(field)
    return "-" if value is None or value == "" else str(value)


def format_text(rows: list[dict[str, Any]]) -> str:
    """One line per job under a header, columns padded to their widest cell; then the time facts."""
    if not rows:
        return "no cron.schedules entries\n"
    table = [[title for title, _ in _COLUMNS]] + [
        [_cell(row, field) for _, field in _COLUMNS] for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(_COLUMNS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in table
    ]
    return "\n".join(lines + facts_lines(rows)) + "\n"
