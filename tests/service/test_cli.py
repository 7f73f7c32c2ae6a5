"""``kaireon-service``: migrate, demo-data (both databases), run JOB, and a real ``serve`` process."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import func, select

from service.cli import main
from service.config import get_settings
from service.jobs._result import JobResult
from service.models.audit import AuditLog
from service.models.decisioning import DecisionTrace, InteractionHistory, InteractionSummary, Suppression
from service.models.tenants import RetentionConfig, Tenant

SECRET = "cli-test-secret-4a1b2c3d4e5f6a7b"


@pytest.fixture
def cli_env(monkeypatch, tmp_path, db_url):
    for k in list(os.environ):
        if k.startswith(("SIEM_", "CRON_")) or k in {"PORT", "LOG_LEVEL"}:
            monkeypatch.delenv(k)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("CRON_SECRET", SECRET)
    monkeypatch.setenv("ATTACHMENT_STORAGE_URL", str(tmp_path / "attachments"))
    monkeypatch.setenv("EXPORT_STORAGE_URL", str(tmp_path / "exports"))
    monkeypatch.setenv("IN_PROCESS_SCHEDULER", "false")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield monkeypatch
    for h in list(root.handlers):
        if h not in saved[0]:
            root.removeHandler(h)
    root.setLevel(saved[1])
    get_settings.cache_clear()


def _count(engine, model, *where):
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(model).where(*where)).scalar()


def test_migrate_then_demo_data_fills_the_base_tables(cli_env, db_url, capsys):
    from service.db import make_engine

    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0  # idempotent
    capsys.readouterr()
    assert main(["demo-data", "--tenants", "4", "--rows", "120"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["ok"] is True
    assert "hook_errors" not in summary, summary.get("hook_errors")
    engine = make_engine(db_url)
    try:
        assert _count(engine, Tenant) == 4
        assert _count(engine, Tenant, Tenant.active.is_(False)) == 1
        assert _count(engine, RetentionConfig, RetentionConfig.legal_hold.is_(True)) >= 2
        assert _count(engine, InteractionHistory) >= 4 * 120
        for period in ("daily", "weekly", "monthly", "alltime"):
            assert _count(engine, InteractionSummary, InteractionSummary.period_type == period) > 0
        assert _count(engine, DecisionTrace) >= 4 * 60
        assert _count(engine, Suppression) > 0
        assert _count(engine, AuditLog) >= 4 * 15
        # every table the summary reports matches the database
        for table, n in summary["rows"].items():
            with engine.connect() as c:
                from sqlalchemy import table as sa_table

                assert c.execute(select(func.count()).select_from(sa_table(table))).scalar() == n
        # a second run leaves the data alone; --reset regenerates it
        assert main(["demo-data", "--tenants", "2", "--rows", "10"]) == 0
        assert "already present" in json.loads(capsys.readouterr().out)["skipped"]
        assert main(["demo-data", "--tenants", "2", "--rows", "10", "--reset"]) == 0
        capsys.readouterr()
        assert _count(engine, Tenant) == 2
    finally:
        engine.dispose()


class Out(JobResult):
    ok: bool = True
    reaped: int = 2


def test_run_job_prints_its_json(cli_env, fake_job, capsys):
    assert main(["migrate"]) == 0
    fake_job("outbox-reaper", lambda s, st, n: Out())
    capsys.readouterr()
    assert main(["run", "outbox-reaper"]) == 0
    assert json.loads(capsys.readouterr().out) == {"ok": True, "reaped": 2}

    def fail(s, st, n):
        raise ValueError("no such partition")

    fake_job("outbox-reaper", fail)
    assert main(["run", "outbox-reaper"]) == 1
    body = json.loads(capsys.readouterr().out)
    assert body["error"] == "job_failed" and body["detail"] == "ValueError: no such partition"

    assert main(["run", "no-such-job"]) == 2
    assert "unknown job 'no-such-job'" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_starts_a_real_server(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SIEM_", "CRON_", "DATABASE_URL", "PORT"))
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        CRON_SECRET=SECRET,
        ATTACHMENT_STORAGE_URL=str(tmp_path / "att"),
        IN_PROCESS_SCHEDULER="true",
    )
    exe = os.path.join(os.path.dirname(sys.executable), "kaireon-service")
    cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "service.cli"]
    for _attempt in range(3):
        port = _free_port()
        proc = subprocess.Popen(
            [*cmd, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            health = None
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            if health is None and proc.poll() is not None:
                continue  # port taken between bind and serve: try another
            assert health is not None and health.status_code == 200 and health.json() == {"ok": True}
            assert (
                httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
            )  # migrated on start
            r = httpx.post(f"http://127.0.0.1:{port}/api/v1/cron/cleanup", timeout=5)
            assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
            # a secret pasted into a query string must not reach the access log either
            httpx.post(f"http://127.0.0.1:{port}/api/v1/cron/cleanup?secret={SECRET}", timeout=5)
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
        # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status reflects it
        assert proc.returncode in (0, -signal.SIGTERM), err
        records = [json.loads(line) for line in out.splitlines() if line.strip()]
        assert any(r["msg"] == "in-process scheduler started" for r in records)
        assert any(r["msg"] == "in-process scheduler stopped" for r in records)
        assert any(
            r["logger"] == "uvicorn.access" and "/api/v1/cron/cleanup?secret=***" in r["msg"] for r in records
        )
        assert SECRET not in out + err
        return
    pytest.fail("could not start kaireon-service serve on a free port")
