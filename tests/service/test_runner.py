"""The shared wrapper: audit row, metrics, 501 for missing jobs, JSON 500 on failure with the lease
released and the session rolled back, secrets scrubbed from error bodies."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import select

from service import lease as leases
from service.app import create_app
from service.jobs._result import JobResult
from service.models.audit import AuditLog
from service.models.tenants import Tenant
from service.runner import Runner

AUTH = {"Authorization": "Bearer test-cron-secret-0123456789abcdef"}


class Purged(JobResult):
    ok: bool = True
    deleted: int
    kept: int = 0
    duration_ms: int = 12

    @property
    def rows_affected(self) -> int:
        return self.deleted + self.kept


def _audit_rows(engine, action):
    with engine.connect() as c:
        return c.execute(select(AuditLog).where(AuditLog.action == action)).all()


def test_success_writes_one_audit_row_and_metrics(settings, engine, fake_job, now):
    fake_job("cleanup", lambda s, st, n: Purged(deleted=7, kept=2))
    client = TestClient(create_app(settings, clock=lambda: now))
    resp = client.post("/api/v1/cron/cleanup", headers=AUTH)
    assert resp.status_code == 200
    assert resp.json() == {"ok": True, "deleted": 7, "kept": 2, "durationMs": 12}
    run_id = resp.headers["x-run-id"]
    rows = _audit_rows(engine, "cron.cleanup")
    assert len(rows) == 1
    audit = rows[0]
    assert audit.entity_type == "cron_job" and audit.entity_id == "cleanup" and audit.request_id == run_id
    assert audit.changes["outcome"] == "success"
    assert audit.changes["run_id"] == run_id
    assert audit.changes["trigger"] == "http"
    assert audit.changes["counts"] == {"deleted": 7, "kept": 2, "durationMs": 12}
    assert audit.changes["rows_affected"] == 9
    assert audit.changes["duration_ms"] >= 0
    metrics = client.get("/metrics").text
    assert 'kaireon_cron_runs_total{outcome="success",route="cleanup"} 1.0' in metrics
    assert 'kaireon_cron_rows_affected_total{route="cleanup"} 9.0' in metrics
    assert 'kaireon_cron_run_duration_seconds_count{route="cleanup"} 1.0' in metrics
    line = next(
        ln
        for ln in metrics.splitlines()
        if ln.startswith('kaireon_cron_last_success_timestamp_seconds{route="cleanup"}')
    )
    assert float(line.split()[-1]) > 0
    # the lease is free again
    assert leases.current(engine, "cleanup").expires_at <= now


def test_job_exception_is_a_json_500_lease_released_and_rolled_back(settings, engine, fake_job, now):
    def boom(session, st, n):
        session.add(Tenant(id="t-partial", name="written before the failure"))
        session.flush()
        raise ZeroDivisionError("division by zero while purging tenant t-partial")

    fake_job("cleanup", boom)
    client = TestClient(create_app(settings, clock=lambda: now))
    resp = client.post("/api/v1/cron/cleanup", headers=AUTH)
    assert resp.status_code == 500
    body = resp.json()
    assert body == {
        "ok": False,
        "error": "job_failed",
        "detail": "ZeroDivisionError: division by zero while purging tenant t-partial",
        "job": "cleanup",
        "run_id": resp.headers["x-run-id"] if "x-run-id" in resp.headers else body["run_id"],
    }
    assert len(body["run_id"]) == 32
    with engine.connect() as c:
        assert c.execute(select(Tenant).where(Tenant.id == "t-partial")).first() is None  # rolled back
    assert leases.current(engine, "cleanup").expires_at <= now  # released
    (audit,) = _audit_rows(engine, "cron.cleanup")
    assert audit.changes["outcome"] == "error"
    assert audit.changes["error"] == body["detail"]
    assert 'kaireon_cron_runs_total{outcome="error",route="cleanup"} 1.0' in client.get("/metrics").text
    # and the next trigger runs (nothing left locked)
    fake_job("cleanup", lambda s, st, n: Purged(deleted=1))
    assert client.post("/api/v1/cron/cleanup", headers=AUTH).status_code == 200


def test_secret_in_an_exception_message_is_scrubbed(settings, engine, fake_job):
    def leaky(session, st, n):
        raise RuntimeError(
            f"upstream rejected key {st.cron_secret.get_secret_value()} and {st.cron_token.get_secret_value()}"
        )

    fake_job("siem-ship", leaky)
    client = TestClient(create_app(settings))
    resp = client.post("/api/v1/cron/siem-ship", headers=AUTH)
    assert resp.status_code == 500
    assert resp.json()["detail"] == "RuntimeError: upstream rejected key *** and ***"
    (audit,) = _audit_rows(engine, "cron.siem-ship")
    assert "test-cron" not in str(audit.changes)


def test_not_yet_implemented_job_is_501_never_a_fake_success(settings, engine, monkeypatch):
    from service import jobs

    monkeypatch.setitem(jobs.JOB_MODULES, "not-written-yet", "service.jobs._definitely_missing_module")
    client = TestClient(create_app(settings))
    resp = client.post("/api/v1/cron/not-written-yet", headers=AUTH)
    assert resp.status_code == 501
    assert resp.json() == {
        "ok": False,
        "error": "not_implemented",
        "detail": "the not-written-yet job is not implemented yet "
        "(service.jobs._definitely_missing_module does not exist)",
        "job": "not-written-yet",
        "run_id": None,
    }
    assert _audit_rows(engine, "cron.not-written-yet") == []
    assert "not-written-yet" not in jobs.JOBS


def test_broken_module_is_a_500_not_a_501(settings, engine, fake_job, monkeypatch, tmp_path):
    """A module that exists but fails to import (missing dependency) must not look 'not implemented'."""
    import sys

    pkg = tmp_path / "brokenjobs"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "job.py").write_text("import kaireon_dependency_that_is_not_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from service import jobs

    monkeypatch.setitem(jobs.JOB_MODULES, "broken", "brokenjobs.job")
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    resp = client.post("/api/v1/cron/broken", headers=AUTH)
    assert resp.status_code == 500
    assert "ModuleNotFoundError" in resp.json()["detail"]
    sys.modules.pop("brokenjobs", None)


def test_a_job_without_run_or_returning_a_non_model_fails_cleanly(settings, engine, fake_job, now):
    fake_job("gitops-drift-check")  # no run()
    fake_job("approvals-expire", lambda s, st, n: {"ok": True})
    client = TestClient(create_app(settings, clock=lambda: now))
    r1 = client.post("/api/v1/cron/gitops-drift-check", headers=AUTH)
    assert r1.status_code == 500 and "defines no run" in r1.json()["detail"]
    r2 = client.post("/api/v1/cron/approvals-expire", headers=AUTH)
    assert r2.status_code == 500
    assert r2.json()["detail"] == "TypeError: approvals-expire.run returned dict, expected a JobResult"
    assert leases.current(engine, "approvals-expire").expires_at <= now


def test_job_receives_session_settings_and_the_injected_now(settings, engine, fake_job, now):
    got = {}

    class R(JobResult):
        ok: bool = True

    def job(session, st, n):
        got.update(session=session, settings=st, now=n)
        session.add(Tenant(id="t-commit", name="committed by the runner"))
        return R()

    fake_job("scheduled-retrains", job)
    client = TestClient(create_app(settings, clock=lambda: now))
    assert client.get("/api/v1/cron/scheduled-retrains", headers=AUTH).status_code == 200
    assert got["now"] == now and got["now"].tzinfo is not None
    assert got["settings"].database_url == settings.database_url
    with engine.connect() as c:
        assert (
            c.execute(select(Tenant.name).where(Tenant.id == "t-commit")).scalar()
            == "committed by the runner"
        )


def test_runner_used_directly_by_the_cli_and_scheduler(settings, engine, session_factory, fake_job, now):
    fake_job("export-interactions", lambda s, st, n: Purged(deleted=3))
    runner = Runner(settings, engine, session_factory, clock=lambda: now)
    out = runner.run("export-interactions", trigger="cli")
    assert out.status_code == 200 and out.outcome == "success" and out.body["deleted"] == 3
    (audit,) = _audit_rows(engine, "cron.export-interactions")
    assert audit.changes["trigger"] == "cli"
    later = runner.clock() + timedelta(seconds=1)
    assert leases.try_acquire(engine, "export-interactions", "x" * 32, later, 5) is not None


def test_rows_affected_is_what_the_result_reports_not_a_guess_from_its_counts(
    settings, engine, fake_job, now
):
    class Dispatched(JobResult):
        total_pipelines: int = 40
        dispatched: int = 3

        @property
        def rows_affected(self) -> int:
            return self.dispatched

    fake_job("flow-scheduler-tick", lambda s, st, n: Dispatched())
    client = TestClient(create_app(settings, clock=lambda: now))
    resp = client.post("/api/v1/cron/flow-scheduler-tick", headers=AUTH)
    assert resp.json() == {"totalPipelines": 40, "dispatched": 3}
    (audit,) = _audit_rows(engine, "cron.flow-scheduler-tick")
    assert audit.changes["rows_affected"] == 3
    assert audit.changes["counts"] == {"totalPipelines": 40, "dispatched": 3}


def test_a_result_that_changes_nothing_reports_zero_rows():
    class Skipped(JobResult):
        ok: bool = True
        reaped: int = 5  # a count is not a claim that rows changed

    assert Skipped().rows_affected == 0


def test_a_plain_pydantic_model_is_refused(settings, engine, fake_job, now):
    class Plain(BaseModel):
        deleted: int = 2

    fake_job("outbox-reaper", lambda s, st, n: Plain())
    client = TestClient(create_app(settings, clock=lambda: now))
    resp = client.post("/api/v1/cron/outbox-reaper", headers=AUTH)
    assert resp.status_code == 500
    assert resp.json()["detail"] == "TypeError: outbox-reaper.run returned Plain, expected a JobResult"


def test_should_stop_tells_a_running_job_that_the_service_is_shutting_down(
    settings, engine, session_factory, fake_job
):
    from service.runner import should_stop

    seen = []

    class Partial(JobResult):
        ok: bool = True
        batches: int

    def job(session, st, n):
        done = 0
        for _ in range(5):
            seen.append(should_stop())
            if should_stop():
                break
            done += 1
            if done == 2:
                runner.stopping.set()  # SIGTERM arrives while the job runs
        return Partial(batches=done)

    fake_job("export-interactions", job)
    runner = Runner(settings, engine, session_factory)
    assert should_stop() is False  # outside a run
    out = runner.run("export-interactions")
    assert out.body == {"ok": True, "batches": 2, "stopped": True}  # the runner says it stopped early
    assert seen == [False, False, True]
