"""doctor's output: a text table (jobs, then findings) or one JSON document."""

from __future__ import annotations

import json
from typing import Any

from .findings import Finding, JobView

MARK = {"succeeded": "ok", "failed": "FAIL", "active": "run"}


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def text(release: str, namespace: str, views: list[JobView], findings: list[Finding]) -> str:
    lines = [f"release {release} in namespace {namespace}: {len(views)} CronJob(s)", ""]
    if views:
        rows = [
            [
                "CRONJOB",
                "SCHEDULE",
                "TZ",
                "LAST SCHEDULE",
                "LAST SUCCESS",
                "LAST FAILURE",
                "NEXT RUN",
                "LAST RUNS",
            ]
        ]
        for v in views:
            rows.append(
                [
                    v.name,
                    v.schedule,
                    v.time_zone or "UTC",
                    v.last_schedule or "-",
                    v.last_success or "-",
                    v.last_failure or "-",
                    "suspended" if v.suspended else v.next_run or "-",
                    " ".join(MARK[r.outcome] + ("*" if r.manual else "") for r in v.runs) or "-",
                ]
            )
        lines += _table(rows) + ["(LAST RUNS: oldest first; * = a manual run)", ""]
    if not findings:
        lines.append("healthy: no findings")
        return "\n".join(lines) + "\n"
    rows = [["SEVERITY", "ID", "CRONJOB", "VALUES PATH", "MESSAGE"]]
    rows += [[f.severity, f.id, f.cronjob or "-", f.path or "-", f.message] for f in findings]
    lines += _table(rows)
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    lines += ["", ", ".join(f"{n} {sev}(s)" for sev, n in sorted(counts.items()))]
    return "\n".join(lines) + "\n"


def as_json(release: str, namespace: str, views: list[JobView], findings: list[Finding]) -> str:
    doc: dict[str, Any] = {
        "release": release,
        "namespace": namespace,
        "healthy": not findings,
        "cronjobs": [v.as_dict() for v in views],
        "findings": [f.as_dict() for f in findings],
    }
    return json.dumps(doc, indent=2) + "\n"
