"""Probes and metrics: /healthz never touches the database, /readyz answers 503 when it is down."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings


def test_probes_when_the_database_is_up(settings, engine):
    client = TestClient(create_app(settings))
    assert client.get("/healthz").json() == {"ok": True}
    assert client.get("/readyz").json() == {"ok": True, "database": "ok"}
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    for name in (
        "kaireon_cron_runs_total",
        "kaireon_cron_run_duration_seconds",
        "kaireon_cron_rows_affected_total",
        "kaireon_cron_last_success_timestamp_seconds",
        "kaireon_cron_running",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in metrics.text
    # every route has its series from the start
    assert 'kaireon_cron_runs_total{outcome="success",route="outbox-reaper"} 0.0' in metrics.text
    # probes need no credentials
    assert client.post("/healthz").status_code == 405


def _down_settings(tmp_path, url: str) -> Settings:
    return Settings(database_url=url, cron_secret="s" * 32, in_process_scheduler=False)


def test_readyz_503_when_sqlite_cannot_be_opened(tmp_path):
    # the database "file" is a directory: every connection attempt fails
    (tmp_path / "db-dir").mkdir()
    client = TestClient(create_app(_down_settings(tmp_path, f"sqlite:///{tmp_path / 'db-dir'}")))
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json() == {"ok": False, "error": "database_unavailable", "detail": "OperationalError"}
    assert client.get("/healthz").status_code == 200  # liveness does not depend on the database


def test_readyz_503_when_postgresql_is_unreachable(tmp_path):
    # port 1 on localhost: connection refused at once; the password must not leak into the body
    url = "postgresql+psycopg://kaireon:hunter2-db-password@127.0.0.1:1/kaireon"
    client = TestClient(create_app(_down_settings(tmp_path, url)))
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json()["error"] == "database_unavailable"
    assert "hunter2" not in resp.text and "127.0.0.1" not in resp.text
    assert client.get("/healthz").status_code == 200
    # a trigger with the database down is a 503 too, not a crash
    resp = client.post("/api/v1/cron/outbox-reaper", headers={"Authorization": "Bearer " + "s" * 32})
    assert resp.status_code in (501, 503)
    assert "hunter2" not in resp.text
