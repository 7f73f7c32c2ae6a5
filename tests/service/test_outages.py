"""Database outages against real processes: a private PostgreSQL instance stopped or frozen
(SIGSTOP) under a running ``kaireon-service serve``.

* stopped during a run, then started: the lease release that failed is retried, so the next
  trigger runs instead of answering ``skipped: already running`` for the rest of the TTL;
* frozen: every ``/readyz`` probe answers 503 within its deadline, ``/metrics`` and ``/healthz``
  keep answering, and after the thaw the service is ready again.
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.service.procs import AUTH, PrivatePostgres, ServeProcess, pg_bin, service_env

pytestmark = pytest.mark.skipif(pg_bin() is None, reason="initdb/pg_ctl not installed (make pg-tools)")


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres.in_temp_dir().init()
    pg.start()
    try:
        yield pg
    finally:
        pg.close()


def _serve(pg: PrivatePostgres, tmp_path: Path, **env: str) -> tuple[ServeProcess, str]:
    url = pg.create_database(f"kt_{uuid.uuid4().hex[:12]}")
    proc = ServeProcess(service_env(url, **env), tmp_path, test_jobs=True)
    proc.start()
    return proc, url


def _poll(fn, timeout: float = 60.0, every: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(every)


def test_a_lease_lost_to_an_outage_is_released_when_the_database_returns(private_pg, tmp_path):
    hold = tmp_path / "hold"
    hold.touch()
    # a long TTL: without the retried release the job would stay "already running" for 15 minutes
    proc, url = _serve(private_pg, tmp_path, KT_HOLD_FILE=str(hold), LEASE_TTL_SECONDS="900")
    try:
        first: dict[str, httpx.Response] = {}
        t = threading.Thread(
            target=lambda: first.setdefault(
                "r", httpx.post(proc.base + "/api/v1/cron/test-slow", headers=AUTH, timeout=120)
            )
        )
        t.start()
        assert _poll(
            lambda: 'kaireon_cron_running{route="test-slow"} 1.0' in httpx.get(proc.base + "/metrics").text
        )

        private_pg.stop("immediate")  # the outage, in the middle of the run
        t.join(120)
        r = first["r"]
        assert r.status_code == 503, r.text
        body = r.json()
        assert body["error"] == "database_unavailable"
        # no host, port or driver in a 503 body
        assert str(private_pg.port) not in r.text and "127.0.0.1" not in r.text and "psycopg" not in r.text

        # while the database is down, triggers are 503 (not "already running")
        down = httpx.post(proc.base + "/api/v1/cron/test-slow", headers=AUTH, timeout=60)
        assert down.status_code == 503 and str(private_pg.port) not in down.text

        hold.unlink()
        private_pg.restart_same_port()
        # the owner retries the release in the background once the database answers ...
        eng = create_engine(url)
        try:

            def released() -> bool:
                with eng.connect() as conn:
                    row = conn.execute(
                        text(
                            "SELECT expires_at <= now() + interval '1 second' FROM job_leases WHERE job = 'test-slow'"
                        )
                    ).scalar_one()
                return bool(row)

            assert _poll(released, timeout=60), "the failed release was not retried"
        finally:
            eng.dispose()
        # ... so the next trigger runs
        again = httpx.post(proc.base + "/api/v1/cron/test-slow", headers=AUTH, timeout=60)
        assert again.status_code == 200, again.text
        assert again.json() == {"ok": True, "steps": 2}
    finally:
        proc.close()
        private_pg.ensure_running()


def test_the_next_trigger_itself_retries_a_failed_release(private_pg, tmp_path):
    """Same outage, but the next trigger comes before the background retry: it releases first."""
    hold = tmp_path / "hold"
    hold.touch()
    proc, url = _serve(private_pg, tmp_path, KT_HOLD_FILE=str(hold), LEASE_TTL_SECONDS="900")
    try:
        t = threading.Thread(
            target=lambda: httpx.post(proc.base + "/api/v1/cron/test-slow", headers=AUTH, timeout=120)
        )
        t.start()
        assert _poll(
            lambda: 'kaireon_cron_running{route="test-slow"} 1.0' in httpx.get(proc.base + "/metrics").text
        )
        private_pg.stop("immediate")
        t.join(120)
        hold.unlink()
        private_pg.restart_same_port()
        again = httpx.post(proc.base + "/api/v1/cron/test-slow", headers=AUTH, timeout=60)
        assert again.status_code == 200, again.text
        assert "skipped" not in again.json()
    finally:
        proc.close()
        private_pg.ensure_running()


def test_a_frozen_database_never_blocks_probes_or_metrics(private_pg, tmp_path):
    proc, _url = _serve(
        private_pg,
        tmp_path,
        READYZ_TIMEOUT_SECONDS="1",
        DB_POOL_TIMEOUT_SECONDS="2",
        DB_CONNECT_TIMEOUT_SECONDS="2",
    )
    frozen = False
    try:
        assert httpx.get(proc.base + "/readyz", timeout=10).status_code == 200  # a pooled connection exists
        private_pg.freeze()
        frozen = True
        # triggers that hang on the frozen database occupy some worker threads meanwhile
        triggers = ThreadPoolExecutor(max_workers=8)
        for _ in range(8):
            triggers.submit(
                lambda: httpx.post(proc.base + "/api/v1/cron/outbox-reaper", headers=AUTH, timeout=120)
            )

        def probe(_i: int) -> int:
            # the client's bound is generous: it only tells a deadline-bounded answer from a hang
            return httpx.get(proc.base + "/readyz", timeout=15).status_code

        with ThreadPoolExecutor(max_workers=20) as pool:
            codes = list(pool.map(probe, range(60)))
        assert codes == [503] * 60
        r = httpx.get(proc.base + "/readyz", timeout=15)
        assert r.status_code == 503 and r.json() == {
            "ok": False,
            "error": "database_unavailable",
            "detail": "Timeout",
        }
        m = httpx.get(proc.base + "/metrics", timeout=15)
        assert m.status_code == 200 and "kaireon_cron_runs_total" in m.text
        assert httpx.get(proc.base + "/healthz", timeout=15).json() == {"ok": True}
        assert httpx.head(proc.base + "/healthz", timeout=15).status_code == 200

        private_pg.thaw()
        frozen = False
        assert _poll(lambda: httpx.get(proc.base + "/readyz", timeout=15).status_code == 200, timeout=60)
        triggers.shutdown(wait=True)
    finally:
        if frozen:
            private_pg.thaw()
        proc.close()


def test_sigterm_during_a_run_on_a_frozen_database_still_exits(private_pg, tmp_path):
    """The grace period bounds shutdown even when a job is stuck on a frozen database."""
    hold = tmp_path / "hold"
    hold.touch()
    proc, _url = _serve(private_pg, tmp_path, KT_HOLD_FILE=str(hold), SHUTDOWN_GRACE_SECONDS="3")
    try:
        t = threading.Thread(
            target=lambda: _swallow(
                lambda: httpx.post(proc.base + "/api/v1/cron/test-slow", headers=AUTH, timeout=120)
            )
        )
        t.start()
        assert _poll(
            lambda: 'kaireon_cron_running{route="test-slow"} 1.0' in httpx.get(proc.base + "/metrics").text
        )
        private_pg.freeze()
        try:
            proc.signal(signal.SIGTERM)
            rc = proc.wait(timeout=30)  # raises TimeoutExpired on a hang
        finally:
            private_pg.thaw()
        assert rc in (0, 1, -signal.SIGTERM), proc.err[-2000:]  # exited (a hang raises TimeoutExpired above)
        assert "Traceback" not in proc.err
        t.join(30)
    finally:
        hold.unlink(missing_ok=True)
        proc.close()


def _swallow(fn) -> None:  # type: ignore[no-untyped-def]
    try:
        fn()
    except httpx.HTTPError:
        pass
