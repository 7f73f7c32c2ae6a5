"""Shutdown of a real ``kaireon-service serve`` process.

* Repeated signals 0-50 µs apart (TERM+TERM, TERM+INT, INT+TERM, TERM×3) never hang it: the signal
  handler takes no lock. Each trial must exit within Kubernetes' default 30 s grace period (a hang
  raises ``TimeoutExpired``). ``KAIREON_SIGNAL_TRIALS`` raises the number of trials (default 12).
* SIGTERM during a long job (cleanup, dsar-purge, export-interactions, and the slow test job): the
  job stops at its next batch boundary, what it reports is exactly what is committed, its lease is
  released, the response says ``"stopped": true`` next to every usual field, and the process exits.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from service.db import make_engine
from service.migrations import upgrade
from service.models.decisioning import InteractionHistory
from service.models.tenants import RetentionConfig, Tenant
from tests.service.procs import AUTH, ServeProcess, service_env

TRIALS = int(os.environ.get("KAIREON_SIGNAL_TRIALS", "12"))
PATTERNS = [
    (signal.SIGTERM, signal.SIGTERM),
    (signal.SIGTERM, signal.SIGINT),
    (signal.SIGINT, signal.SIGTERM),
    (signal.SIGTERM, signal.SIGTERM, signal.SIGTERM),
]


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory) -> Path:
    """One migrated SQLite file; every process gets a copy (so no trial pays for the migration)."""
    path = Path(tmp_path_factory.mktemp("tmpl")) / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _copy(template: Path, dest: Path) -> str:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, dest)
    return f"sqlite:///{dest}"


def _burst(pid: int, sigs: tuple[int, ...], gap_us: float) -> None:
    """Send ``sigs`` to ``pid`` with ``gap_us`` microseconds between them (busy wait: no sleep granularity)."""
    for i, sig in enumerate(sigs):
        if i:
            t0 = time.perf_counter()
            while (time.perf_counter() - t0) * 1e6 < gap_us:
                pass
        os.kill(pid, sig)


def test_repeated_signals_never_hang_serve(migrated_sqlite, tmp_path):
    batch = 6
    done = 0
    trial = 0
    while done < TRIALS:
        procs = []
        for _ in range(min(batch, TRIALS - done)):
            trial += 1
            url = _copy(migrated_sqlite, tmp_path / f"t{trial}" / "k.db")
            # the in-process scheduler on: its threads and its stop path are part of the shutdown
            env = service_env(url, IN_PROCESS_SCHEDULER="true", SHUTDOWN_GRACE_SECONDS="10")
            p = ServeProcess(env, tmp_path / f"t{trial}", migrate=False)
            p.spawn()
            procs.append((trial, p))
        try:
            for _t, p in procs:
                p.wait_healthy(90)
            for t, p in procs:
                assert p.proc is not None
                _burst(p.proc.pid, PATTERNS[t % len(PATTERNS)], gap_us=(t * 7) % 51)
            for t, p in procs:
                rc = p.wait(timeout=30)  # TimeoutExpired = the process hung
                assert rc in (0, 130, -signal.SIGTERM, -signal.SIGINT), (t, rc, p.err[-2000:])
                assert "Traceback" not in p.err, (t, p.err[-3000:])
        finally:
            for _t, p in procs:
                p.close()
        done += len(procs)


# --------------------------------------------------------------------------------------------------
# SIGTERM during a long job
# --------------------------------------------------------------------------------------------------
TENANTS = 120
ROWS = 30
ROWS_SQL = "SELECT count(*) FROM interaction_history"


def _seed(url: str) -> datetime:
    """TENANTS tenants with ROWS interaction rows each, all three years old (past every retention)."""
    now = datetime.now(UTC)
    old = now - timedelta(days=1100)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            Tenant.__table__.insert(),
            [
                {
                    "id": f"t{i:04d}",
                    "name": f"Tenant {i}",
                    "active": True,
                    "interaction_history_retention_days": 730,
                    "summary_retention_days": 2555,
                    "decision_trace_retention_days": 365,
                    "timezone": "UTC",
                    "settings": {},
                    "created_at": old,
                }
                for i in range(TENANTS)
            ],
        )
        conn.execute(
            RetentionConfig.__table__.insert(),
            [
                {
                    "id": f"rc{i:04d}",
                    "tenant_id": f"t{i:04d}",
                    "data_class": "interactions",
                    "retention_days": 365,
                    "legal_hold": False,
                    "created_at": old,
                    "updated_at": old,
                }
                for i in range(TENANTS)
            ],
        )
        conn.execute(
            InteractionHistory.__table__.insert(),
            [
                {
                    "tenant_id": f"t{i:04d}",
                    "customer_id": f"c{j}",
                    "offer_id": "o1",
                    "interaction_type": "impression",
                    "direction": "outbound",
                    "context": {},
                    "occurred_at": old + timedelta(seconds=j),
                    "created_at": old + timedelta(seconds=j),
                }
                for i in range(TENANTS)
                for j in range(ROWS)
            ],
        )
    engine.dispose()
    return now


def _count(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


def _sigterm_during(proc: ServeProcess, route: str, progressed=None) -> httpx.Response:  # type: ignore[no-untyped-def]
    """Trigger ``route``; once it runs (and ``progressed()`` is true, when given) send SIGTERM."""
    got: dict[str, httpx.Response] = {}
    t = threading.Thread(
        target=lambda: got.setdefault(
            "r", httpx.post(f"{proc.base}/api/v1/cron/{route}", headers=AUTH, timeout=60)
        )
    )
    t.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (
            f'kaireon_cron_running{{route="{route}"}} 1.0'
            in httpx.get(proc.base + "/metrics", timeout=10).text
        ):
            break
        time.sleep(0.005)
    while progressed is not None and time.monotonic() < deadline and not progressed():
        time.sleep(0.01)
    proc.signal(signal.SIGTERM)
    t.join(60)
    rc = proc.wait(timeout=30)  # exits well within the grace period (a hang raises TimeoutExpired)
    assert rc in (0, -signal.SIGTERM), proc.err[-2000:]
    return got["r"]


def _released(url: str, route: str) -> bool:
    return (
        _count(url, f"SELECT count(*) FROM job_leases WHERE job = '{route}' AND expires_at <= renewed_at")
        == 1
    )


@pytest.fixture
def seeded(migrated_sqlite, tmp_path):
    url = _copy(migrated_sqlite, tmp_path / "k.db")
    _seed(url)
    return url


def _serve(url: str, tmp_path: Path, **env: str) -> ServeProcess:
    env.setdefault("DELETE_BATCH_SIZE", "1")  # one row per committed batch: many batch boundaries
    proc = ServeProcess(
        service_env(url, EXPORT_STORAGE_URL=str(tmp_path / "exports"), **env),
        tmp_path,
        migrate=False,
        test_jobs=True,
    )
    return proc.start(90)


def test_sigterm_stops_cleanup_at_a_batch_and_commits_what_it_reports(seeded, tmp_path):
    proc = _serve(seeded, tmp_path)
    try:
        r = _sigterm_during(proc, "cleanup", lambda: _count(seeded, ROWS_SQL) < TENANTS * ROWS)
    finally:
        proc.close()
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stopped"] is True
    assert {
        "ok",
        "tenants",
        "suppressions",
        "dailySummaries",
        "interactionHistory",
        "decisionTraces",
        "held",
        "errors",
    } <= set(body)
    remaining = _count(seeded, "SELECT count(*) FROM interaction_history")
    assert 0 < body["interactionHistory"] < TENANTS * ROWS
    assert remaining == TENANTS * ROWS - body["interactionHistory"]  # reported == committed
    assert _released(seeded, "cleanup")


def test_sigterm_stops_dsar_purge_at_a_slice_and_commits_what_it_reports(seeded, tmp_path):
    proc = _serve(seeded, tmp_path, ATTACHMENT_STORAGE_URL=str(tmp_path / "att"))
    try:
        r = _sigterm_during(proc, "dsar-purge", lambda: _count(seeded, ROWS_SQL) < TENANTS * ROWS)
    finally:
        proc.close()
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stopped"] is True
    assert {"ok", "tenantsScanned", "totalBlobsAttempted", "perTenant"} <= set(body)
    purged = sum(t["interactionHistory"] for t in body["perTenant"])
    assert 0 < purged < TENANTS * ROWS
    assert _count(seeded, "SELECT count(*) FROM interaction_history") == TENANTS * ROWS - purged
    assert _released(seeded, "dsar-purge")


def test_sigterm_stops_export_between_batches_and_checkpoints_what_it_wrote(seeded, tmp_path):
    proc = _serve(seeded, tmp_path)
    try:
        r = _sigterm_during(
            proc, "export-interactions", lambda: _count(seeded, "SELECT count(*) FROM export_checkpoints") > 0
        )
    finally:
        proc.close()
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stopped"] is True
    assert {"ok", "totalExported", "tenants"} <= set(body)
    assert 0 < body["totalExported"] < TENANTS * ROWS
    lines = sum(len(p.read_bytes().splitlines()) for p in (tmp_path / "exports").rglob("*") if p.is_file())
    assert lines == body["totalExported"]  # every reported row is written, nothing more
    assert (
        _count(seeded, "SELECT coalesce(sum(total_exported), 0) FROM export_checkpoints")
        == body["totalExported"]
    )
    assert _released(seeded, "export-interactions")


def test_sigterm_during_the_slow_job_then_no_new_run_starts(migrated_sqlite, tmp_path):
    url = _copy(migrated_sqlite, tmp_path / "k.db")
    hold = tmp_path / "hold"
    hold.touch()
    proc = _serve(url, tmp_path, KT_HOLD_FILE=str(hold))
    try:
        r = _sigterm_during(proc, "test-slow")
    finally:
        proc.close()
    assert r.status_code == 200 and r.json()["stopped"] is True and r.json()["steps"] >= 1
    assert _released(url, "test-slow")
    audit = _count(url, "SELECT count(*) FROM audit_log WHERE action = 'cron.test-slow'")
    assert audit == 1
    engine = create_engine(url)
    with engine.connect() as conn:
        changes = conn.execute(
            text("SELECT changes FROM audit_log WHERE action = 'cron.test-slow'")
        ).scalar_one()
    engine.dispose()
    changes = changes if isinstance(changes, dict) else json.loads(changes)
    assert changes["outcome"] == "success" and changes["stopped"] is True


def _nested_signal_during_handler(stopping: object, at_call: int) -> bool | None:
    """Call the server's signal handler and, at the ``at_call``-th Python call made inside it, call
    it again (what a second signal does: it runs the handler on the same thread, inside the first).
    True when both returned, False when the nested call deadlocked, None when the handler makes
    fewer than ``at_call`` calls."""
    import sys

    import uvicorn

    from service.cli import signal_safe_server

    server = signal_safe_server(stopping)(uvicorn.Config(app=lambda *a: None))
    state = {"calls": 0, "nested": False}

    def profiler(frame, event, _arg):  # type: ignore[no-untyped-def]
        if event != "call" or state["nested"]:
            return
        state["calls"] += 1
        if state["calls"] == at_call + 1:  # call 1 is handle_exit itself
            state["nested"] = True
            server.handle_exit(signal.SIGTERM, None)

    def first() -> None:
        sys.setprofile(profiler)
        try:
            server.handle_exit(signal.SIGTERM, None)
        finally:
            sys.setprofile(None)

    t = threading.Thread(target=first, daemon=True)
    t.start()
    t.join(3)
    if t.is_alive():
        return False
    return True if state["nested"] else None


def _handler_survives_nesting_everywhere(stopping: object) -> bool:
    for at_call in range(1, 50):
        ok = _nested_signal_during_handler(stopping, at_call)
        if ok is None:
            return True
        if not ok:
            return False
    raise AssertionError("the signal handler makes too many calls")


def test_a_signal_inside_the_signal_handler_cannot_deadlock_it():
    from service.runner import StopFlag

    flag = StopFlag()
    assert _handler_survives_nesting_everywhere(flag)
    assert flag.is_set()
    # the probe is real: the same nesting deadlocks with a threading.Event as the flag (the old code)
    assert not _handler_survives_nesting_everywhere(threading.Event())


def test_sigterm_stops_kaireon_service_run_at_a_batch(migrated_sqlite, tmp_path):
    """``kaireon-service run JOB`` handles SIGTERM like serve: the job stops and says so."""
    import subprocess
    import sys

    url = _copy(migrated_sqlite, tmp_path / "k.db")
    hold = tmp_path / "hold"
    hold.touch()
    launcher = Path(__file__).resolve().parent / "serve_with_test_jobs.py"
    proc = subprocess.Popen(
        [sys.executable, str(launcher), "run", "test-slow"],
        env=service_env(url, KT_HOLD_FILE=str(hold)),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if _count(url, "SELECT count(*) FROM job_leases WHERE job = 'test-slow'"):
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    body = json.loads(out)
    assert body["stopped"] is True and body["ok"] is True
    assert _released(url, "test-slow")
