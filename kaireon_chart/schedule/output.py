"""The schedule analysis as data (``--format json``) and as a terminal report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .stagger import Suggestion
from .timeline import DEFAULT_RUN_SECONDS, Timeline, collision_groups, iso


def data(tl: Timeline, skipped: list[tuple[str, str]], herd: int, top: int = 10) -> dict[str, Any]:
    peak, when, who = tl.peak()
    collisions = tl.collisions()
    return {
        "from": iso(tl.start),
        "to": iso(tl.end),
        "days": tl.days,
        "timesIn": "UTC",
        "jobs": [
            {
                "key": j.key,
                "name": j.name,
                "schedule": j.expr,
                "timeZone": j.tz or "UTC",
                "activeDeadlineSeconds": j.deadline,
                "concurrencyPolicy": j.policy,
                "starts": len(tl.fires[j.key]),
            }
            for j in tl.jobs
        ],
        "skipped": [{"key": k, "why": why} for k, why in skipped],
        "starts": sum(len(v) for v in tl.fires.values()),
        "collisionMinutes": len(collisions),
        "collisions": collision_groups(collisions),
        "busiestTimesOfDay": [
            {"time": hhmm, "starts": n, "jobs": keys} for hhmm, n, keys in tl.busiest_times_of_day(top)
        ],
        "peakConcurrency": {
            "runs": peak,
            "at": iso(when) if when is not None else None,
            "jobs": who,
            "assumedRunSeconds": DEFAULT_RUN_SECONDS,
        },
        "heatmap": {"hours": list(range(24)), "days": [{"date": d, "starts": c} for d, c in tl.heatmap()]},
        "startsPerHourOfDay": tl.hours_of_day(),
        "herd": {"limit": herd, "minutes": [{"time": iso(m), "jobs": k} for m, k in tl.herds(herd)]},
    }


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def text(d: dict[str, Any]) -> str:
    out = [
        f"{len(d['jobs'])} job(s), {d['starts']} start(s) from {d['from']} to {d['to']} ({d['days']:g} days); "
        "times in UTC"
    ]
    for s in d["skipped"]:
        out.append(f"  not analysed: {s['key']} ({s['why']})")
    out.append("")
    out.append("Busiest minutes of the day (jobs starting together):")
    for row in d["busiestTimesOfDay"]:
        out.append(
            f"  {row['time']}  {len(row['jobs'])} job(s), {row['starts']} start(s): {', '.join(row['jobs'])}"
        )
    out.append("")
    out.append(f"Collisions: {d['collisionMinutes']} minute(s) with two or more starts")
    for g in d["collisions"][:10]:
        out.append(f"  {g['minutes']:>5} x  {' + '.join(g['jobs'])}  (first {g['first']}, last {g['last']})")
    if len(d["collisions"]) > 10:
        out.append(f"  ... {len(d['collisions']) - 10} more group(s) (--format json lists them all)")
    p = d["peakConcurrency"]
    out.append("")
    out.append(
        f"Peak concurrency: {p['runs']} run(s) possibly at once, first at {p['at']}: {', '.join(p['jobs'])}"
    )
    out.append(
        "  (each run lasting its activeDeadlineSeconds; Forbid skips a start while running, Replace ends "
        f"the previous run; {p['assumedRunSeconds']} s when no deadline is set)"
    )
    out.append("")
    out.append("Starts per hour (UTC):")
    rows = [["day", *[f"{h:02d}" for h in d["heatmap"]["hours"]]]]
    rows += [[day["date"], *[str(n) if n else "." for n in day["starts"]]] for day in d["heatmap"]["days"]]
    rows.append(["total", *[str(n) for n in d["startsPerHourOfDay"]]])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out += ["  " + " ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    herd = d["herd"]
    out.append("")
    if herd["minutes"]:
        out.append(
            f"Herd: {len(herd['minutes'])} minute(s) with more than {herd['limit']} starts (schedule-herd)"
        )
    else:
        out.append(f"Herd: no minute with more than {herd['limit']} starts")
    return "\n".join(out) + "\n"


def stagger_data(found: list[Suggestion], after: dict[str, Any]) -> dict[str, Any]:
    return {
        "suggestions": [
            {"key": s.key, "current": s.current, "suggested": s.suggested, "path": s.source, "why": s.why}
            for s in found
        ],
        "after": {
            "collisionMinutes": after["collisionMinutes"],
            "peakConcurrency": after["peakConcurrency"],
            "busiestTimesOfDay": after["busiestTimesOfDay"][:3],
            "herd": after["herd"],
        },
    }


def stagger_text(found: list[Suggestion], after: dict[str, Any], before: dict[str, Any]) -> str:
    if not found:
        return "\nStagger: nothing to stagger (no fixed minute or minute step from 0)\n"
    rows = [["JOB", "CURRENT", "SUGGESTED", "WHY"]]
    rows += [[s.key, s.current, s.suggested, s.why] for s in found]
    out = ["", "Stagger suggestions (a hash of the job key, Jenkins H style; plain cron strings):"]
    out += ["  " + line for line in _table(rows)]
    out.append(
        f"  minutes with more than {before['herd']['limit']} starts: {len(before['herd']['minutes'])} -> "
        f"{len(after['herd']['minutes'])}; collision minutes: {before['collisionMinutes']} -> "
        f"{after['collisionMinutes']}; peak concurrency: {before['peakConcurrency']['runs']} -> "
        f"{after['peakConcurrency']['runs']}"
    )
    return "\n".join(out) + "\n"


def parse_from(text: str | None) -> datetime:
    """--from: an ISO 8601 date or time (naive = UTC); default now (to the minute)."""
    if not text:
        now = datetime.now(UTC)
        return now.replace(second=0, microsecond=0)
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
