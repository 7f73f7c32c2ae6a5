"""``diagnose``: every check over one Snapshot (no cluster access here), findings sorted worst first."""

from __future__ import annotations

from . import drift, runs, wiring
from .findings import IDS, SEVERITIES, Finding, JobView
from .snapshot import Obj, Snapshot, dig


def diagnose(
    snap: Snapshot, rendered: list[Obj], sources: dict[str, dict[str, str]]
) -> tuple[list[JobView], list[Finding]]:
    """Views of the live CronJobs and every finding. ``sources``: CronJob name -> field -> values path."""
    findings = drift.check(snap, rendered, sources)
    views = []
    for cj in sorted(snap.cronjobs, key=lambda c: dig(c, "metadata", "name") or ""):
        src = sources.get(dig(cj, "metadata", "name") or "", {})
        view, found = runs.check(snap, cj, src)
        views.append(view)
        findings += found + wiring.check(snap, cj, src)
    order = {name: i for i, name in enumerate(IDS)}
    findings.sort(key=lambda f: (-SEVERITIES[f.severity], f.cronjob, order[f.id], f.path, f.message))
    return views, findings
