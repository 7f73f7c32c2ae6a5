"""What ``/status`` shows: per route the last run (from its audit row), the next fire time of the
chart's default schedule, the current lease, and the backlog of siem-ship and the export.

``collect`` reads the database only; nothing here writes. Errors shown are the audit row's
``error`` (already scrubbed of secrets by the runner), first line only, capped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models.audit import AuditLog, SiemCursor, SiemPending
from service.models.exports import ExportCheckpoint
from service.models.leases import JobLease
from service.scheduler import load_scheduled_jobs

ERROR_CAP = 300


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def short_error(error: Any) -> str | None:
    """The first line of an error, capped (no stack trace ever reaches the page)."""
    if not error:
        return None
    line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return line[:ERROR_CAP] + ("…" if len(line) > ERROR_CAP else "") if line else None


@lru_cache(maxsize=1)
def _schedules() -> dict[str, tuple[str, str | None, Any]]:
    """route -> (schedule, time zone, next_after) of the chart's default, enabled schedules."""
    return {j.route: (j.expr, j.time_zone, j.next_after) for j in load_scheduled_jobs()}


def _last_run(session: Session, route: str) -> dict[str, Any] | None:
    row = session.execute(
        select(AuditLog.changes, AuditLog.created_at)
        .where(AuditLog.action == f"cron.{route}", AuditLog.entity_type == "cron_job")
        .order_by(AuditLog.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    changes = row.changes or {}
    rows = changes.get("rows_affected")
    duration = changes.get("duration_ms")
    return {
        "startedAt": changes.get("started_at"),
        "finishedAt": _iso(row.created_at),
        "durationMs": duration if isinstance(duration, int | float) else None,
        "outcome": str(changes.get("outcome", "unknown")),
        "trigger": changes.get("trigger"),
        "rowsAffected": rows if isinstance(rows, int) else None,
        "error": short_error(changes.get("error")),
    }


def _leases(session: Session, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """route -> its live leases (a released or lapsed lease has ``expires_at <= now``: free)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for lease in session.execute(select(JobLease)).scalars():
        route = lease.job.split("#", 1)[0]
        expires = lease.expires_at if lease.expires_at.tzinfo else lease.expires_at.replace(tzinfo=UTC)
        if expires <= now:
            continue
        out.setdefault(route, []).append(
            {
                "key": lease.job,
                "holder": lease.owner,
                "acquiredAt": _iso(lease.acquired_at),
                "expiresAt": _iso(lease.expires_at),
            }
        )
    return out


def _siem_backlog(session: Session) -> list[dict[str, Any]]:
    cursors = {c.backend: c.high_id for c in session.execute(select(SiemCursor)).scalars()}
    pending = {
        r.backend: (int(r.ranges), int(r.ids or 0), r.oldest)
        for r in session.execute(
            select(
                SiemPending.backend,
                func.count().label("ranges"),
                func.sum(SiemPending.hi - SiemPending.lo + 1).label("ids"),
                func.min(SiemPending.first_seen_at).label("oldest"),
            ).group_by(SiemPending.backend)
        )
    }
    max_id = session.execute(select(func.max(AuditLog.id))).scalar() or 0
    out = []
    for backend in sorted(set(cursors) | set(pending)):
        ranges, ids, oldest = pending.get(backend, (0, 0, None))
        high = cursors.get(backend, 0)
        out.append(
            {
                "backend": backend,
                "cursorId": high,
                "auditRowsAfterCursor": max(int(max_id) - int(high), 0),
                "pendingRanges": ranges,
                "pendingIds": ids,
                "oldestPendingSince": _iso(oldest),
            }
        )
    return out


def _export_backlog(session: Session) -> dict[str, Any]:
    rows = list(session.execute(select(ExportCheckpoint)).scalars())
    failed = [r for r in rows if r.status != "ok"]
    oldest = min((r.last_created_at for r in rows), default=None)
    return {
        "tenants": len(rows),
        "failedTenants": len(failed),
        "inFlightObjects": sum(1 for r in rows if r.pending_object),
        "oldestPosition": _iso(oldest),
        "lastErrors": [{"tenant": r.tenant_id, "error": short_error(r.last_error)} for r in failed[:10]],
    }


def collect(session: Session, routes: list[str], now: datetime) -> dict[str, Any]:
    """The whole status document (``/status.json``)."""
    schedules = _schedules()
    leases = _leases(session, now)
    out_routes = []
    for route in routes:
        sched = schedules.get(route)
        nxt = sched[2](now) if sched else None
        entry: dict[str, Any] = {
            "route": route,
            "schedule": sched[0] if sched else None,
            "timeZone": (sched[1] or "UTC") if sched else None,
            "nextFireAt": _iso(nxt),
            "lastRun": _last_run(session, route),
            "leases": leases.get(route, []),
        }
        if route == "siem-ship":
            entry["backlog"] = {"siem": _siem_backlog(session)}
        elif route == "export-interactions":
            entry["backlog"] = {"export": _export_backlog(session)}
        out_routes.append(entry)
    return {"generatedAt": _iso(now), "routes": out_routes}
