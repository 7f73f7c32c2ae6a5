"""Hostile rows in the database, then the filesystem reconciled (``kaireon-service run JOB``).

Export: tenant ids that are not one path segment (``../exports/tenant_b``, ``..``, ``../evil``,
``back\\..\\..\\slash``, NUL, ``a/b``, ``/abs``, ``.``), a tenant whose export directory is a symlink
out of the root, odd Unicode and huge values. Proves (issue 13, items 2 and 3): every file lies in
``exports/<one segment>/``, each directory holds exactly one tenant's records and each tenant
writes into one directory, nothing is written outside ``exports/`` or through a link out of the
root, a refused tenant's result names it, and exported values equal the stored ones.

Purge: attachment rows keyed through a symlink out of the attachment root
(``linkdir/victim.txt`` with ``att/linkdir -> ../outside``), ``../``, absolute, NUL and huge keys,
and a blob shared with a legal-hold row. Proves (items 1 and 3): no file outside the root is
deleted, the held row keeps its blob, a legitimate odd-Unicode blob is deleted, and the job answers
(no crash, no traceback).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, text

from chaos.common import Result, log_problems, result
from chaos.data import add_interactions, add_retention, add_tenants, prepare
from chaos.reconcile import exported_records, walk_files
from chaos.replica import run_cli
from service.models.attachments import AiAttachment
from service.models.tenants import DATA_CLASS_AI_ATTACHMENTS

NAME = "hostile_rows"
NORMAL = ["tenant_a", "tenant_b", "tenant_c"]
HOSTILE = [
    "../exports/tenant_b",
    "..",
    "../evil",
    "back\\..\\..\\slash",
    "nul\x00byte",
    ".",
    "a/b",
    "/abs",
    "tenant_a/../tenant_c",
    "ténant-ü-😀\u202e\u200b",
]
LINKED = "tenant_link"
ODD = "z\u200b\u200f\u0301é😀\u202e\ufeff𝔘"


def _env(url: str, workdir: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "EXPORT_STORAGE_URL": str(workdir / "exportroot"),
        "ATTACHMENT_STORAGE_URL": str(workdir / "att"),
        "IN_PROCESS_SCHEDULER": "false",
        "LOG_LEVEL": "INFO",
    }


def _run_job(route: str, url: str, workdir: Path) -> tuple[dict[str, object], list[str]]:
    proc = run_cli(["run", route], _env(url, workdir), workdir, timeout=180)
    fails = log_problems(proc.stdout + proc.stderr, f"kaireon-service run {route}")
    if proc.returncode != 0:
        fails.append(
            f"kaireon-service run {route}: exit {proc.returncode}: {proc.stdout[-300:]} {proc.stderr[-300:]}"
        )
    try:
        return json.loads(proc.stdout), fails
    except ValueError:
        return {}, [*fails, f"kaireon-service run {route}: no JSON result"]


def _export(engine: Engine, url: str, workdir: Path, big: int) -> list[str]:
    root = workdir / "exportroot"
    outside = workdir / "outside_exports"
    outside.mkdir()
    (root / "exports").mkdir(parents=True)
    os.symlink(outside, root / "exports" / LINKED)
    tenants = NORMAL + HOSTILE + [LINKED]
    add_tenants(engine, tenants)
    start = datetime.now(UTC) - timedelta(days=1)
    for i, t in enumerate(tenants):
        add_interactions(
            engine,
            t,
            3,
            start + timedelta(minutes=i),
            step_ms=7,
            customer_id=f"cust-{ODD}-{i}",
            context={"odd": ODD, "big": "b" * (big if i == 1 else 10)},
        )
    body, fails = _run_job("export-interactions", url, workdir)
    listed = body.get("tenants")
    entries = {
        e.get("tenantId"): e for e in (listed if isinstance(listed, list) else []) if isinstance(e, dict)
    }
    with engine.connect() as conn:
        rows = {
            r.id: r
            for r in conn.execute(text("SELECT id, tenant_id, customer_id, context FROM interaction_history"))
        }
    seen, bad = exported_records(root)
    fails += bad
    escaped = [str(p) for p in walk_files(outside)]
    if escaped:
        fails.append(
            f"{len(escaped)} file(s) written through a symlink out of the export root: {escaped[:2]}"
        )
    seg_tenants: dict[str, set[str]] = {}
    tenant_segs: dict[str, set[str]] = {}
    for p in walk_files(root):
        rel = p.relative_to(root).parts
        if len(rel) < 3 or rel[0] != "exports" or rel[1] in (".", "..") or rel[1] == LINKED:
            fails.append(f"a file outside exports/<tenant>/: {'/'.join(rel)[:160]!r}")
    for i, recs in seen.items():
        for f, tid in recs:
            seg = Path(f).parts[1] if len(Path(f).parts) > 1 else ""
            seg_tenants.setdefault(seg, set()).add(tid)
            tenant_segs.setdefault(tid, set()).add(seg)
            row = rows.get(i)
            if row is None or row.tenant_id != tid:
                fails.append(
                    f"record {i} in {f[:120]!r} carries tenantId {tid!r}, the row says "
                    f"{row.tenant_id if row else None!r}"
                )
    for seg, tids in seg_tenants.items():
        if len(tids) > 1:
            fails.append(f"directory exports/{seg!r} holds records of {len(tids)} tenants: {sorted(tids)!r}")
    for tid, segs in tenant_segs.items():
        if len(segs) > 1:
            fails.append(f"tenant {tid!r} wrote into {len(segs)} directories: {sorted(segs)!r}")
    for t in tenants:
        ids = [i for i, r in rows.items() if r.tenant_id == t]
        n_exported = sum(len(seen.get(i, [])) for i in ids)
        entry = entries.get(t, {})
        err = str(entry.get("error") or "")
        if n_exported == len(ids) and all(len(seen.get(i, [])) == 1 for i in ids):
            continue
        if t in NORMAL:
            fails.append(f"tenant {t!r}: {n_exported} of {len(ids)} rows exported ({err[:120]})")
        elif n_exported:
            fails.append(f"tenant {t!r}: partially exported ({n_exported} of {len(ids)})")
        elif not err or not _names(err, t):
            fails.append(f"tenant {t!r}: not exported and no error naming the tenant ({err[:120]!r})")
    for i, recs in seen.items():
        row = rows.get(i)
        if row is None:
            continue
        rec = _record(root / recs[0][0], i)
        ctx = row.context if isinstance(row.context, dict) else json.loads(row.context)
        if rec.get("customerId") != row.customer_id or rec.get("context") != ctx:
            fails.append(f"record {i}: exported values differ from the stored ones")
    return fails


def _names(err: str, tenant: str) -> bool:
    """Does ``err`` name ``tenant`` (as is, or in an escaped spelling: repr, JSON, backslash escapes)?"""
    spellings = {
        tenant,
        repr(tenant)[1:-1],
        json.dumps(tenant)[1:-1],
        tenant.encode("unicode_escape").decode(),
    }
    return any(s and s in err for s in spellings)


def _record(path: Path, rid: int) -> dict[str, object]:
    for line in path.read_bytes().splitlines():
        rec = json.loads(line)
        if rec.get("id") == rid:
            return dict(rec)
    return {}


def _purge(engine: Engine, url: str, workdir: Path) -> list[str]:
    att = workdir / "att"
    outside = workdir / "outside"
    outside.mkdir()
    att.mkdir()
    victims = [outside / n for n in ("victim.txt", "victim2.txt", "victim3.txt")]
    for v in victims:
        v.write_text("must survive\n")
    os.symlink("../outside", att / "linkdir")
    files = {"shared/held.txt": "held blob\n", f"ok/ünï-{ODD}.txt": "expired, legitimately deleted\n"}
    for name, content in files.items():
        (att / name).parent.mkdir(parents=True, exist_ok=True)
        (att / name).write_text(content)
    add_tenants(engine, ["purge_a", "purge_h"])
    add_retention(engine, "purge_a", DATA_CLASS_AI_ATTACHMENTS, 30, False)
    add_retention(engine, "purge_h", DATA_CLASS_AI_ATTACHMENTS, 30, True)
    old = datetime.now(UTC) - timedelta(days=90)
    keys_a = [
        "linkdir/victim.txt",
        "../outside/victim2.txt",
        str(victims[2]),
        "nul\x00key",
        "k" * 3000,
        "shared/held.txt",
        f"ok/ünï-{ODD}.txt",
        "linkdir/../linkdir/victim.txt",
        "\\..\\outside\\victim2.txt",
    ]
    rows = [{"tenant_id": "purge_a", "storage_key": k} for k in keys_a] + [
        {"tenant_id": "purge_h", "storage_key": "shared/held.txt"}
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(AiAttachment),
            [
                {
                    **r,
                    "sha256": f"{i:064x}",
                    "filename": "f",
                    "content_type": "text/plain",
                    "size_bytes": 1,
                    "created_at": old,
                }
                for i, r in enumerate(rows)
            ],
        )
    body, fails = _run_job("dsar-purge", url, workdir)
    for v in victims:
        if not v.exists():
            fails.append(f"dsar-purge deleted {v.name} outside the attachment root")
    if not (att / "shared/held.txt").exists():
        fails.append("dsar-purge deleted a blob a legal-hold row still references")
    if (att / f"ok/ünï-{ODD}.txt").exists() and body:
        fails.append("the expired odd-Unicode blob inside the root was not deleted")
    with engine.connect() as conn:
        held = conn.execute(text("SELECT count(*) FROM ai_attachments WHERE tenant_id = 'purge_h'")).scalar()
    if held != 1:
        fails.append("the legal-hold row was deleted")
    return fails


def run(quick: bool, seed: int, workdir: Path) -> list[Result]:
    url = f"sqlite:///{workdir / 'kaireon.db'}"
    engine = prepare(url)
    try:
        export_fails = _export(engine, url, workdir, 200_000 if quick else 5_000_000)
        purge_fails = _purge(engine, url, workdir)
    finally:
        engine.dispose()
    return [
        result(
            NAME,
            "hostile tenant ids, a symlinked tenant dir, odd Unicode and huge values -> export paths "
            "confined, one tenant per directory, values intact",
            len(HOSTILE) + 1 + len(NORMAL),
            export_fails,
        ),
        result(
            NAME,
            "hostile storage keys (symlink out of the root, ../, absolute, NUL, huge), a blob shared with "
            "a held row -> dsar-purge deletes nothing outside the root or held",
            10,
            purge_fails,
        ),
    ]
