"""The time facts of ``explain`` as text lines (the data comes from kaireon_chart.checks.time_facts.facts)."""

from __future__ import annotations

from typing import Any


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def _dates(days: list[str], limit: int = 6) -> str:
    more = f" (+{len(days) - limit})" if len(days) > limit else ""
    return (", ".join(days[:limit]) + more) if days else "none"


def job_facts(row: dict[str, Any]) -> list[str]:
    f = row.get("timeFacts") or {}
    if not f:
        return []
    out = [f"shortest interval {_duration(f.get('shortestIntervalSeconds'))}"]
    if f.get("forbidDeadlineLongerThanInterval"):
        out.append("Forbid + activeDeadlineSeconds longer than the interval: a hung run blocks the next ones")
    if f.get("startingDeadlineLongerThanInterval"):
        out.append(
            "startingDeadlineSeconds longer than the interval: missed runs start late instead of skipped"
        )
    days_or = f.get("daysOr")
    if days_or:
        out.append(
            f"day-of-month OR day-of-week: fires on {_dates(days_or['firesOn'])} "
            f"(AND would be {_dates(days_or['andWouldBe'])})"
        )
    for step in f.get("stepRange", []):
        out.append(f"{step['field']} step {step['part']}: once per {step['oncePer']} (at {step['firesAt']})")
    for gap in f.get("dst", {}).get("gaps", []):
        out.append(f"DST gap {gap['date']} {gap['gap']}: the {gap['times']} run is skipped")
    for rep in f.get("dst", {}).get("repeats", []):
        out.append(f"DST repeat {rep['date']} {rep['repeat']}: the {rep['times']} run runs twice")
    return out


def facts_lines(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for row in rows:
        facts = job_facts(row)
        if facts:
            lines.append(f"  {row['key']}: " + "; ".join(facts))
    return ["", "time facts (next 12 months, each job's timeZone):", *lines] if lines else []
