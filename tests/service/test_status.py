"""``/status`` and ``/status.json`` on SQLite and PostgreSQL, over data written by real runs through
the app: auth (STATUS_TOKEN, CRON_SECRET, 401, 503 fail-closed), the JSON shape, the HTML page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from service import lease as leases
from service.app import create_app
from service.jobs import v1_routes
from service.jobs._result import JobResult

CRON = {"Authorization": "Bearer test-cron-secret-0123456789abcdef"}
STATUS_TOKEN = "status-read-only-token-0123456789"
STATUS = {"Authorization": f"Bearer {STATUS_TOKEN}"}


class Done(JobResult):
    ok: bool = True
    deleted: int

    @property
    def rows_affected(self) -> int:
        return self.deleted


def _boom(session, settings, now):
    raise RuntimeError("upstream refused\n  File 'x.py', line 3, in run\nTraceback detail")


@pytest.fixture
def client(settings, fake_job, now, engine):
    settings = settings.model_copy(update={"status_token": SecretStr(STATUS_TOKEN)})
    fake_job("cleanup", lambda s, st, n: Done(deleted=7))
    fake_job("outbox-reaper", _boom)
    app = create_app(settings, clock=lambda: now)
    c = TestClient(app)
    assert c.post("/api/v1/cron/cleanup", headers=CRON).status_code == 200
    assert c.post("/api/v1/cron/outbox-reaper", headers=CRON).status_code == 500
    leases.try_acquire(engine, "dsar-purge", "run-held", now, 600, owner="pod-a")
    return c


def test_auth(client):
    assert client.get("/status.json").status_code == 401
    assert client.get("/status").status_code == 401
    bad = client.get("/status.json", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
    assert "nope" not in bad.text
    assert client.get("/status.json", headers=STATUS).status_code == 200
    assert client.get("/status.json", headers=CRON).status_code == 200
    assert (
        client.get("/status", headers={"X-Cron-Secret": "test-cron-secret-0123456789abcdef"}).status_code
        == 401
    )


def test_fails_closed_without_tokens(settings, fake_job):
    app = create_app(settings.model_copy(update={"cron_secret": None, "status_token": None}))
    resp = TestClient(app).get("/status.json", headers=CRON)
    assert resp.status_code == 503
    assert resp.json()["error"] == "auth_not_configured"


def test_json_shape(client, now):
    doc = client.get("/status.json", headers=STATUS).json()
    assert doc["generatedAt"].startswith("2026-06-15T12:00:00")
    by = {r["route"]: r for r in doc["routes"]}
    assert list(by) == v1_routes()
    ok = by["cleanup"]
    assert ok["lastRun"]["outcome"] == "success"
    assert ok["lastRun"]["rowsAffected"] == 7
    assert ok["lastRun"]["error"] is None
    assert ok["lastRun"]["durationMs"] >= 0
    assert ok["lastRun"]["startedAt"].startswith("2026-06-15T12:00:00")
    assert ok["schedule"] == "30 4 * * *" and ok["timeZone"] == "UTC"
    assert ok["nextFireAt"] == "2026-06-16T04:30:00+00:00"
    assert ok["leases"] == []  # released after the run
    failed = by["outbox-reaper"]["lastRun"]
    assert failed["outcome"] == "error"
    assert "upstream refused" in failed["error"]
    assert "Traceback" not in failed["error"] and "\n" not in failed["error"]
    assert by["approvals-expire"]["lastRun"] is None
    assert by["approvals-expire"]["nextFireAt"] == "2026-06-15T12:15:00+00:00"
    (held,) = by["dsar-purge"]["leases"]
    assert held["holder"] == "pod-a" and set(held) == {"key", "holder", "acquiredAt", "expiresAt"}
    assert held["expiresAt"] == (now + timedelta(seconds=600)).isoformat()
    assert by["siem-ship"]["backlog"] == {"siem": []}
    export = by["export-interactions"]["backlog"]["export"]
    assert export["tenants"] == 0 and export["failedTenants"] == 0


def test_html_page(client):
    resp = client.get("/status?refresh=30", headers=STATUS)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    assert resp.headers["cache-control"] == "no-store"
    page = resp.text
    assert '<meta name="viewport"' in page
    assert '<meta http-equiv="refresh" content="30">' in page
    assert "<script" not in page
    assert 'id="route-cleanup" data-outcome="success"' in page
    assert 'id="route-outbox-reaper" data-outcome="error"' in page
    assert "pod-a until" in page
    assert '<meta http-equiv="refresh"' not in client.get("/status", headers=STATUS).text
    assert client.get("/status?refresh=1", headers=STATUS).status_code == 422


def test_siem_backlog(client, session_factory, now):
    from service.models.audit import SiemCursor, SiemPending

    with session_factory() as s, s.begin():
        s.add(SiemCursor(backend="splunk", high_id=0, floor_id=0, floor_at=now))
        s.add(SiemPending(backend="splunk", lo=5, hi=9, first_seen_at=now))
    doc = client.get("/status.json", headers=STATUS).json()
    (siem,) = [r for r in doc["routes"] if r["route"] == "siem-ship"]
    (b,) = siem["backlog"]["siem"]
    assert b["backend"] == "splunk" and b["pendingRanges"] == 1 and b["pendingIds"] == 5
    assert b["auditRowsAfterCursor"] == 2  # the two runs' audit rows
    assert "Backlog splunk" in client.get("/status", headers=STATUS).text


def test_status_token_is_redacted_from_logs(client):
    from service.jsonlog import redact

    assert STATUS_TOKEN not in redact(f"token was {STATUS_TOKEN}")
