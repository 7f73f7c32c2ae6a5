"""JSON-lines logs carry route, run id, duration and counts; no secret ever appears in logs,
error bodies, metrics or the OpenAPI document."""

from __future__ import annotations

import io
import json
import logging

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.jobs._result import JobResult
from service.jsonlog import configure_logging

SECRET = "test-cron-secret-0123456789abcdef"
TOKEN = "test-cron-token-0123456789abcdef"


@pytest.fixture
def json_log():
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    yield stream
    for h in list(root.handlers):
        if h not in saved[0]:
            root.removeHandler(h)
    root.setLevel(saved[1])


class Res(JobResult):
    ok: bool = True
    deleted: int = 4
    skipped_tenants: int = 1

    @property
    def rows_affected(self) -> int:
        return self.deleted


def test_run_logs_are_json_lines_with_route_run_id_duration_counts(settings, engine, fake_job, json_log):
    fake_job("cleanup", lambda s, st, n: Res())
    client = TestClient(create_app(settings))
    resp = client.post("/api/v1/cron/cleanup", headers={"Authorization": f"Bearer {SECRET}"})
    assert resp.status_code == 200
    lines = [json.loads(line) for line in json_log.getvalue().splitlines() if line.strip()]
    finished = [r for r in lines if r["msg"] == "run finished"]
    assert len(finished) == 1
    rec = finished[0]
    assert rec["route"] == "cleanup"
    assert rec["run_id"] == resp.headers["x-run-id"]
    assert rec["outcome"] == "success" and rec["trigger"] == "http"
    assert rec["duration_ms"] >= 0
    assert rec["counts"] == {"deleted": 4, "skippedTenants": 1}
    assert rec["rows_affected"] == 4
    assert rec["level"] == "INFO" and rec["logger"] == "kaireon.runner" and rec["ts"].endswith("Z")


def test_no_secret_in_logs_bodies_metrics_or_openapi(settings, engine, fake_job, json_log, caplog):
    caplog.set_level(logging.DEBUG)

    def leaky(session, st, n):
        raise RuntimeError(f"remote said: bad key {SECRET} / {TOKEN}")

    fake_job("cleanup", lambda s, st, n: Res())
    fake_job("siem-ship", leaky)
    fake_job("tick", lambda s, st, n: Res())
    client = TestClient(create_app(settings))
    bodies = []
    requests = [
        ("/api/v1/cron/cleanup", {"Authorization": f"Bearer {SECRET}"}),
        ("/api/v1/cron/cleanup", {"Authorization": f"Bearer {SECRET}x"}),
        ("/api/v1/cron/cleanup", {"Authorization": f"Bearer {SECRET[:-1]}"}),
        ("/api/v1/cron/cleanup", {"X-Cron-Secret": SECRET}),
        ("/api/v1/cron/siem-ship", {"Authorization": f"Bearer {SECRET}"}),
        ("/api/cron/tick", {"x-cron-token": TOKEN}),
        ("/api/cron/tick", {"x-cron-token": TOKEN + "0"}),
        (f"/api/v1/cron/cleanup?token={SECRET}", {}),
    ]
    for url, headers in requests:
        bodies.append(client.post(url, headers=headers).text)
    bodies.append(client.get("/metrics").text)
    openapi = client.get("/openapi.json").text
    docs = client.get("/docs").text
    logged = json_log.getvalue() + caplog.text
    assert "run failed" in logged and "cron request rejected" in logged
    for blob in [logged, openapi, docs, *bodies]:
        assert SECRET not in blob
        assert TOKEN not in blob
        assert SECRET[:-1] not in blob
    assert '"detail":"RuntimeError: remote said: bad key *** / ***"' in bodies[4]


def test_database_password_is_scrubbed(tmp_path, json_log):
    from service.config import Settings

    s = Settings(
        database_url="postgresql+psycopg://kaireon:pw-hunter2-secret@127.0.0.1:1/kaireon",
        cron_secret=SECRET,
        in_process_scheduler=False,
    )
    client = TestClient(create_app(s))
    resp = client.post("/api/v1/cron/cleanup", headers={"Authorization": f"Bearer {SECRET}"})
    assert resp.status_code in (501, 503)
    logging.getLogger("test").error("connecting to postgresql+psycopg://kaireon:pw-hunter2-secret@db")
    assert "pw-hunter2-secret" not in json_log.getvalue() + resp.text
