"""The ``/status`` page: the status document (:func:`service.status.collect`) as one server-rendered
HTML page, no JavaScript, readable on a phone (viewport meta, one column under 640 px). Every value
is HTML-escaped."""

from __future__ import annotations

from html import escape
from typing import Any

CSS = """
body{font-family:system-ui,sans-serif;margin:0;padding:12px;background:#f6f7f9;color:#1c1e21}
h1{font-size:1.3rem;margin:0 0 4px}
.meta{color:#555;font-size:.85rem;margin-bottom:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:10px}
.card{background:#fff;border:1px solid #dde;border-radius:8px;padding:10px}
.card h2{font-size:1rem;margin:0 0 6px;word-break:break-all}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 8px;margin:0;font-size:.85rem}
dt{color:#555}dd{margin:0;word-break:break-word}
.ok{color:#116329}.bad{color:#b42318}.idle{color:#555}
.badge{font-weight:600}
"""


def _v(value: Any) -> str:
    return "—" if value is None or value == "" else escape(str(value))


def _outcome_class(outcome: str | None) -> str:
    if outcome == "success":
        return "ok"
    if outcome in (None, "skipped"):
        return "idle"
    return "bad"


def _route_card(entry: dict[str, Any]) -> str:
    run = entry.get("lastRun") or {}
    outcome = run.get("outcome") if run else None
    rows = [
        ("Outcome", f'<span class="badge {_outcome_class(outcome)}">{_v(outcome or "never run")}</span>'),
        ("Last start", _v(run.get("startedAt"))),
        ("Duration", _v(f"{run['durationMs']} ms" if run.get("durationMs") is not None else None)),
        ("Rows", _v(run.get("rowsAffected"))),
        ("Last error", _v(run.get("error"))),
        ("Schedule", _v(f"{entry['schedule']} ({entry['timeZone']})" if entry.get("schedule") else None)),
        ("Next fire", _v(entry.get("nextFireAt"))),
    ]
    leases = entry.get("leases") or []
    rows.append(
        (
            "Lease",
            "<br>".join(f"{_v(x['holder'])} until {_v(x['expiresAt'])}" for x in leases) or "free",
        )
    )
    backlog = entry.get("backlog") or {}
    for b in backlog.get("siem", []):
        rows.append(
            (
                f"Backlog {_v(b['backend'])}",
                f"{_v(b['auditRowsAfterCursor'])} rows after cursor, {_v(b['pendingIds'])} pending ids",
            )
        )
    if "export" in backlog:
        e = backlog["export"]
        rows.append(
            (
                "Export",
                f"{_v(e['tenants'])} tenants, {_v(e['failedTenants'])} failed, "
                f"{_v(e['inFlightObjects'])} in flight, oldest position {_v(e['oldestPosition'])}",
            )
        )
    body = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    route = _v(entry["route"])
    return f'<section class="card" id="route-{route}" data-outcome="{_v(outcome)}"><h2>{route}</h2><dl>{body}</dl></section>'


def render(doc: dict[str, Any], refresh: int | None) -> str:
    meta_refresh = f'<meta http-equiv="refresh" content="{int(refresh)}">' if refresh else ""
    cards = "".join(_route_card(entry) for entry in doc["routes"])
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{meta_refresh}<title>kaireon-service status</title><style>{CSS}</style></head><body>"
        f'<h1>kaireon-service status</h1><p class="meta">Generated {_v(doc["generatedAt"])} (UTC). '
        f"{len(doc['routes'])} routes.</p>"
        f'<main class="grid">{cards}</main></body></html>'
    )
