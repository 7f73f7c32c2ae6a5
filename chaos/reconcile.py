"""Reconciliation of what the jobs left behind: export files against rows, blobs against rows."""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, text


def walk_files(root: Path) -> list[Path]:
    out: list[Path] = []
    for dirpath, _dirs, files in os.walk(root):
        out += [Path(dirpath, f) for f in files]
    return sorted(out)


def hidden_files(root: Path) -> list[str]:
    """Temp or hidden files (``.batch-….tmp``) under ``root``: what a crash left and nothing removed."""
    return [
        str(p.relative_to(root))
        for p in walk_files(root)
        if p.name.startswith(".") or p.name.endswith(".tmp")
    ]


def exported_records(root: Path) -> tuple[dict[int, list[tuple[str, str]]], list[str]]:
    """id -> [(file, tenantId)] over every visible ``*.json`` under ``root``; and unreadable files."""
    seen: dict[int, list[tuple[str, str]]] = {}
    bad: list[str] = []
    for p in walk_files(root):
        if p.name.startswith(".") or not p.name.endswith(".json"):
            continue
        rel = str(p.relative_to(root))
        try:
            for line in p.read_bytes().splitlines():
                if line.strip():
                    rec = json.loads(line)
                    seen.setdefault(int(rec["id"]), []).append((rel, str(rec["tenantId"])))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            bad.append(f"{rel}: unreadable ({type(exc).__name__}: {str(exc)[:80]})")
    return seen, bad


def check_exports(engine: Engine, root: Path, settled_before: datetime) -> list[str]:
    """Every settled row exported exactly once, into its own tenant's directory; no temp file left."""
    fails: list[str] = []
    with engine.connect() as conn:
        rows: dict[int, str] = dict(
            conn.execute(
                text("SELECT id, tenant_id FROM interaction_history WHERE created_at <= :c"),
                {"c": settled_before},
            ).all()
        )
    seen, bad = exported_records(root)
    fails += bad
    missing = [i for i in rows if i not in seen]
    dup = {i: len(v) for i, v in seen.items() if len(v) > 1}
    unknown = [i for i in seen if i not in rows]
    if missing:
        fails.append(f"{len(missing)} settled row(s) never exported (e.g. ids {sorted(missing)[:5]})")
    if dup:
        fails.append(f"{len(dup)} row(s) exported more than once (e.g. {dict(list(dup.items())[:3])})")
    if unknown:
        fails.append(f"{len(unknown)} exported id(s) with no settled row (e.g. {sorted(unknown)[:5]})")
    wrong_dir = [
        (i, f) for i, v in seen.items() for f, t in v if i in rows and not f.startswith(f"exports/{rows[i]}/")
    ]
    if wrong_dir:
        fails.append(f"{len(wrong_dir)} record(s) in another tenant's directory (e.g. {wrong_dir[:2]})")
    left = hidden_files(root)
    if left:
        fails.append(f"{len(left)} hidden temp file(s) left after the re-runs (e.g. {left[:2]})")
    with engine.connect() as conn:
        pending = conn.execute(
            text("SELECT count(*) FROM export_checkpoints WHERE pending_object IS NOT NULL")
        ).scalar()
        totals: dict[str, int] = dict(
            conn.execute(text("SELECT tenant_id, total_exported FROM export_checkpoints")).all()
        )
    if pending:
        fails.append(f"{pending} checkpoint(s) still pending after the re-runs")
    per_tenant = Counter(rows.values())
    off = {t: (totals.get(t), n) for t, n in per_tenant.items() if totals.get(t) != n}
    if off:
        fails.append(
            f"checkpoint total_exported != exported rows for {len(off)} tenant(s): {dict(list(off.items())[:3])}"
        )
    return fails
