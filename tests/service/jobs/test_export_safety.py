"""export-interactions against hostile tenant ids (one path segment, per-tenant errors, nothing written
outside the tenant's directory, local and S3) and a real kill -9 mid-write (the leftover temp file
is removed by the next run, the final files are exact)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from service.jobs import export_interactions as ex
from service.models.decisioning import InteractionHistory
from service.models.exports import ExportCheckpoint
from service.models.tenants import Tenant
from service.storage import is_temp_name, show
from tests.service.s3_server import s3_bucket, s3_keys, s3_server  # noqa: F401 - fixtures

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
REPO = Path(__file__).resolve().parents[3]
HOSTILE = [
    "../exports/tenant_b",
    "../evil",
    "..",
    "back\\..\\..\\slash",
    ".",
    "",
    "a/b",
    "tab\tid",
    "rtl\u2028x",
]
SQLITE_ONLY_HOSTILE = ["nul\x00id", "x" * 300]


def add_rows(session, tid, n, now):
    for i in range(n):
        ts = now - timedelta(hours=2, seconds=i)
        session.add(
            InteractionHistory(
                tenant_id=tid, customer_id=f"c{i}", interaction_type="click", occurred_at=ts, created_at=ts
            )
        )


def seed(session, now, hostile):
    for tid in ["tenant_b", "café-テナント", *hostile]:
        session.add(Tenant(id=tid, name=f"name of {tid}", active=True))
    session.flush()
    add_rows(session, "tenant_b", 3, now)
    add_rows(session, "café-テナント", 2, now)
    for tid in hostile:
        add_rows(session, tid, 4, now)
    session.commit()


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def lines_of(root: Path, tid: str) -> list[dict]:
    out = []
    for p in sorted((root / "exports" / tid).rglob("*.json")):
        out += [json.loads(line) for line in p.read_text().splitlines()]
    return out


def _check(body, hostile):
    by = {t["tenantId"]: t for t in body["tenants"]}
    assert body["ok"] is False
    assert by["tenant_b"]["exported"] == 3 and "error" not in by["tenant_b"]
    assert by["café-テナント"]["exported"] == 2 and "error" not in by["café-テナント"]
    for tid in hostile:
        entry = by[tid]
        assert entry["exported"] == 0 and entry["filePath"] is None
        assert entry["error"].startswith(f"tenant id {show(tid)} cannot be one path segment")
        assert entry["error"].isascii()


def test_hostile_tenant_ids_are_refused_per_tenant_and_write_nothing_outside(session, settings, now, db_url):
    hostile = HOSTILE + (SQLITE_ONLY_HOSTILE if db_url.startswith("sqlite") else [])
    seed(session, now, hostile)
    root = Path(settings.export_storage_url)
    body = ex.run(session, settings, now).model_dump(mode="json", by_alias=True)
    _check(body, hostile)
    written = files_under(root.parent)
    assert all(
        f.startswith(("exportroot/exports/tenant_b/", "exportroot/exports/café-テナント/"))
        for f in written
        if not f.startswith("attachments/") and not f.endswith(".db") and "kaireon.db" not in f
    ), written
    assert {r["tenantId"] for r in lines_of(root, "tenant_b")} == {"tenant_b"}  # only its own rows
    assert len(lines_of(root, "tenant_b")) == 3
    for tid in hostile:
        cp = session.get(ExportCheckpoint, tid)
        assert cp is not None and cp.status == "failed" and "cannot be one path segment" in cp.last_error
    # the rows of a refused tenant stay, ready once it is renamed
    session.commit()
    assert session.query(InteractionHistory).filter(InteractionHistory.tenant_id == "../evil").count() == 4


def test_hostile_tenant_ids_over_http_never_500(session, settings, now):
    from fastapi.testclient import TestClient

    from service.app import create_app

    seed(session, now, HOSTILE)
    client = TestClient(create_app(settings, clock=lambda: now))
    resp = client.post(
        "/api/v1/cron/export-interactions",
        headers={"Authorization": f"Bearer {settings.cron_secret.get_secret_value()}"},
    )
    assert resp.status_code == 200, resp.text
    _check(resp.json(), HOSTILE)


@sqlite_only
def test_hostile_tenant_ids_on_s3(session, settings, now, s3_bucket):  # noqa: F811
    s3 = settings.model_copy(update={"export_storage_url": f"{s3_bucket}/x"})
    seed(session, now, HOSTILE)
    body = ex.run(session, s3, now).model_dump(mode="json", by_alias=True)
    _check(body, HOSTILE)
    keys = s3_keys(s3_bucket)
    assert keys and all(k.startswith(("x/exports/tenant_b/", "x/exports/café-テナント/")) for k in keys), keys


def test_object_name_refuses_what_is_not_one_segment():
    from datetime import UTC, datetime

    for tid in HOSTILE + SQLITE_ONLY_HOSTILE:
        with pytest.raises(ex.TenantIdRefused):
            ex.object_name(tid, datetime(2026, 1, 1, tzinfo=UTC), 1)
    assert ex.object_name("t1", datetime(2026, 1, 1, tzinfo=UTC), 1).startswith(
        "exports/t1/interaction_history/"
    )


_KILLED_WRITER = textwrap.dedent("""
    import os, sys, time
    from datetime import datetime, timezone
    from service.config import Settings
    from service.db import make_engine, make_sessionmaker
    from service.jobs import export_interactions as ex
    real = os.write
    def slow(fd, data):
        n = real(fd, data[:100])
        print("writing", flush=True)
        time.sleep(60)  # killed here
        return n
    os.write = slow
    url, out = sys.argv[1], sys.argv[2]
    settings = Settings(database_url=url, cron_secret="x" * 32, export_storage_url=out,
                        in_process_scheduler=False, _env_file=None)
    with make_sessionmaker(make_engine(url))() as s:
        ex.run(s, settings, datetime(2026, 6, 15, 12, tzinfo=timezone.utc))
""")


def test_kill_9_mid_write_then_the_next_run_removes_the_temp_file(session, settings, now):
    session.add(Tenant(id="t1", name="t1", active=True))
    session.flush()
    add_rows(session, "t1", 6, now)
    session.commit()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, settings.database_url, settings.export_storage_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line == "writing", proc.stderr.read() if proc.stderr else ""
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    root = Path(settings.export_storage_url)
    (left,) = [p for p in root.rglob("*") if p.is_file()]
    assert is_temp_name(left.name) and not left.name.endswith(".json")
    cp = session.get(ExportCheckpoint, "t1")
    session.refresh(cp)
    assert cp.pending_object is not None and cp.last_id == 0
    pending = cp.pending_object
    # a fresh temp file could be a live write: the next run leaves it; once stale, it is removed
    old = time.time() - 2 * 3600
    os.utime(left, (old, old))
    body = ex.run(session, settings, now)
    assert body.ok and body.total_exported == 6
    assert not left.exists()
    (final,) = [p for p in root.rglob("*") if p.is_file()]
    assert final.relative_to(root).as_posix() == pending
    session.commit()
    wanted = sorted(
        session.scalars(select(InteractionHistory.id).where(InteractionHistory.tenant_id == "t1"))
    )
    assert sorted(r["id"] for r in lines_of(root, "t1")) == wanted
