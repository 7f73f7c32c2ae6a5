"""siem-ship on SQLite and PostgreSQL against local receivers speaking the real wire formats."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from service.config import Settings
from service.jobs import siem_ship
from service.models.audit import AuditLog
from service.siem.base import join_endpoint
from tests.service.siem_receivers import DatadogLogs, ElasticBulk, Hang, ItemStatuses, Respond, SplunkHEC

API_KEY = "sk-siem-test-5f0c1d2e3a4b"
INDEX = "kaireon-audit"
RECEIVERS = {"splunk": SplunkHEC, "datadog": DatadogLogs, "elastic": ElasticBulk}
# Delivery behaviour does not depend on the database: those tests run on SQLite only; the window
# query and the row cap run on both.
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


class FakeClock:
    """Time that only moves when the code under test sleeps (no real waiting in tests)."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


@pytest.fixture(params=sorted(RECEIVERS))
def backend(request) -> str:
    return request.param


@pytest.fixture
def receiver(backend):
    r = RECEIVERS[backend](API_KEY, allowed_indexes=(INDEX,) if backend == "splunk" else ())
    yield r
    r.close()


def siem_settings(settings: Settings, backend: str, url: str, **extra) -> Settings:
    return Settings(
        database_url=settings.database_url,
        siem_backend=backend,
        siem_endpoint=url,
        siem_api_key=API_KEY,
        siem_index=INDEX,
        siem_sourcetype="kaireon:audit",
        siem_retry_budget_seconds=extra.pop("budget", 20.0),
        siem_timeout_seconds=extra.pop("timeout", 30.0),  # generous: a loaded machine must not cause retries
        _env_file=None,
        **extra,
    )


def seed_audit(session, now, n_inside=3):
    """A row older than the first run's 300 s start (never shipped), then ``n_inside`` rows inside it."""
    session.add(AuditLog(tenant_id="t1", action="create", created_at=now - timedelta(seconds=301)))
    session.commit()
    rows = [
        AuditLog(
            tenant_id="t1",
            action="update",
            entity_type="offer",
            entity_id=f"o{i}",
            changes={"i": i},
            user_name="alice",
            created_at=now - timedelta(seconds=10 + i),
        )
        for i in range(n_inside)
    ]
    session.add_all(rows)
    session.commit()
    return [r.id for r in rows]  # shipping order (by id)


SEED_FIELDS = ("ok", "backend", "shipped", "errors", "windowSeconds", "rowsScanned")


def seed_shape(result) -> dict:
    """The response fields the platform documents (kept; the cursor only adds fields)."""
    body = result.model_dump(mode="json", by_alias=True)
    assert set(SEED_FIELDS) <= set(body)
    return {k: body[k] for k in SEED_FIELDS}


def run(session, cfg, now, clock=None):
    clock = clock or FakeClock()
    return siem_ship.run(session, cfg, now, sleep=clock.sleep, clock=clock, rng=lambda: 0.5), clock


def shipped_ids(backend, receiver):
    if backend == "splunk":
        return sorted(e["event"]["id"] for e in receiver.stored)
    if backend == "datadog":
        return sorted(json.loads(i["message"])["id"] for i in receiver.stored)
    return sorted(d["id"] for d in receiver.stored)


@sqlite_only
def test_unset_or_unknown_backend_is_a_structured_noop(session, settings, now):
    assert siem_ship.run(session, settings, now).model_dump(mode="json", by_alias=True) == {
        "ok": True,
        "skipped": "SIEM_BACKEND is not set",
    }
    other = Settings(database_url=settings.database_url, siem_backend="sumologic", _env_file=None)
    body = siem_ship.run(session, other, now).model_dump(mode="json", by_alias=True)
    assert body["ok"] is True and "sumologic" in body["skipped"] and set(body) == {"ok", "skipped"}


@sqlite_only
def test_ships_window_in_the_backends_wire_format(session, settings, now, backend, receiver):
    ids = seed_audit(session, now)
    result, clock = run(session, siem_settings(settings, backend, receiver.url), now)
    assert seed_shape(result) == {
        "ok": True,
        "backend": backend,
        "shipped": 3,
        "errors": 0,
        "windowSeconds": 300,
        "rowsScanned": 3,
    }
    assert (result.backlog, result.dead_lettered, result.cursor) == (0, 0, ids[-1])
    assert clock.sleeps == [] and len(receiver.requests) == 1
    assert shipped_ids(backend, receiver) == sorted(ids)
    req = receiver.requests[0]
    if backend == "splunk":
        assert req.path == "/services/collector/event"
        assert req.headers["authorization"] == f"Splunk {API_KEY}"
        assert not req.body.lstrip().startswith(b"[")  # stacked objects, not an array
        ev = receiver.stored[0]
        assert {"time", "host", "source", "sourcetype", "index", "event"} <= set(ev)
        assert ev["index"] == INDEX and ev["sourcetype"] == "kaireon:audit" and isinstance(ev["time"], float)
    elif backend == "datadog":
        assert req.path == "/api/v2/logs" and req.headers["dd-api-key"] == API_KEY
        item = receiver.stored[0]
        assert {"message", "ddsource", "service", "hostname", "ddtags"} <= set(item)
        assert "tenant:t1" in item["ddtags"].split(",")
    else:
        assert req.path == "/_bulk" and req.headers["authorization"] == f"ApiKey {API_KEY}"
        assert req.headers["content-type"] == "application/x-ndjson" and req.body.endswith(b"\n")
        first_action = json.loads(req.body.split(b"\n")[0])
        assert first_action == {"create": {"_index": INDEX, "_id": str(ids[0])}}


@sqlite_only
def test_429_then_success(session, settings, now, backend, receiver):
    seed_audit(session, now)
    receiver.script.append(Respond(429, {"text": "Server is busy"}, {"Retry-After": "2"}))
    result, clock = run(session, siem_settings(settings, backend, receiver.url), now)
    assert (result.ok, result.shipped, result.errors) == (True, 3, 0)
    assert len(receiver.requests) == 2 and clock.sleeps and clock.sleeps[0] >= 2


@sqlite_only
def test_5xx_until_the_budget_is_spent_is_counted_not_raised(
    session, settings, now, backend, receiver, caplog
):
    seed_audit(session, now)
    receiver.default = Respond(503, {"text": "Service Unavailable"})
    with caplog.at_level(logging.DEBUG):
        result, clock = run(session, siem_settings(settings, backend, receiver.url, budget=10.0), now)
    assert seed_shape(result) == {
        "ok": False,
        "backend": backend,
        "shipped": 0,
        "errors": 3,
        "windowSeconds": 300,
        "rowsScanned": 3,
    }
    assert result.backlog == 3 and result.stopped
    assert len(receiver.requests) >= 3 and sum(clock.sleeps) <= 10.0
    assert "HTTP 503" in caplog.text and API_KEY not in caplog.text


@sqlite_only
def test_other_4xx_is_not_retried(session, settings, now, backend, receiver, caplog):
    seed_audit(session, now)
    cfg = siem_settings(settings, backend, receiver.url).model_copy(
        update={"siem_api_key": type(settings.cron_secret)("wrong-key-123456")}
    )
    with caplog.at_level(logging.DEBUG):
        result, clock = run(session, cfg, now)
    assert (result.ok, result.shipped, result.errors) == (False, 0, 3)
    assert len(receiver.requests) == 1 and clock.sleeps == []
    assert "wrong-key-123456" not in caplog.text


@sqlite_only
def test_timeout_is_retried(session, settings, now, backend, receiver):
    seed_audit(session, now)
    receiver.script.append(Hang(1.5))
    result, _ = run(session, siem_settings(settings, backend, receiver.url, timeout=0.3), now)
    assert (result.ok, result.shipped, result.errors) == (True, 3, 0)
    assert len(receiver.requests) == 2


@sqlite_only
def test_connection_refused_counts_errors(session, settings, now, backend):
    seed_audit(session, now)
    dead = RECEIVERS[backend](API_KEY)
    url = dead.url
    dead.close()
    result, clock = run(session, siem_settings(settings, backend, url, budget=5.0), now)
    assert (result.ok, result.shipped, result.errors) == (False, 0, 3) and clock.sleeps


@sqlite_only
def test_elastic_partial_failure_retries_only_retryable_items(session, settings, now):
    ids = seed_audit(session, now, n_inside=4)
    with ElasticBulk(API_KEY) as es:
        es.script.append(ItemStatuses({str(ids[0]): 429, str(ids[1]): 400}))
        result, clock = run(session, siem_settings(settings, "elastic", es.url), now)
        # the 400 item is rejected while the others are accepted: dead-lettered, never blocking the cursor
        assert (result.ok, result.shipped, result.errors, result.dead_lettered) == (False, 3, 0, 1)
        assert (result.backlog, result.cursor) == (0, ids[-1])
        assert len(es.requests) == 2 and len(clock.sleeps) == 1
        # the second request carries only the rejected-with-429 item
        assert es.requests[1].body.count(b'"create"') == 1 and str(ids[0]).encode() in es.requests[1].body
        assert sorted(d["id"] for d in es.stored) == sorted([ids[0], ids[2], ids[3]])


@sqlite_only
def test_elastic_retry_after_lost_answer_counts_409_as_delivered(session, settings, now):
    seed_audit(session, now)
    with ElasticBulk(API_KEY) as es:
        es.script.append(Hang(1.5, store=True))  # indexed, but the answer never arrives in time
        result, _ = run(session, siem_settings(settings, "elastic", es.url, timeout=0.3), now)
        assert (result.ok, result.shipped, result.errors) == (True, 3, 0)
        assert len(es.stored) == 3  # no duplicate documents


def test_everything_after_the_cursor_in_requests_of_at_most_500(session, settings, now):
    session.add_all(
        AuditLog(tenant_id="t", action="update", created_at=now - timedelta(seconds=250 - i * 0.3))
        for i in range(1220)
    )
    session.commit()
    with DatadogLogs(API_KEY) as dd:
        result, _ = run(session, siem_settings(settings, "datadog", dd.url), now)
        assert (result.rows_scanned, result.shipped, result.backlog) == (1220, 1220, 0)
        assert [len(json.loads(r.body)) for r in dd.requests] == [500, 500, 220]
        assert sorted(dd.delivered().values()) == [1] * 1220


@pytest.mark.parametrize(
    ("base", "path", "expected"),
    [
        (
            "https://hec.example:8088",
            "/services/collector/event",
            "https://hec.example:8088/services/collector/event",
        ),
        (
            "https://hec.example:8088/services/collector",
            "/services/collector/event",
            "https://hec.example:8088/services/collector",
        ),
        (
            "https://http-intake.logs.datadoghq.eu/",
            "/api/v2/logs",
            "https://http-intake.logs.datadoghq.eu/api/v2/logs",
        ),
        ("https://es.example/audit/_bulk", "/_bulk", "https://es.example/audit/_bulk"),
        ("https://es.example/proxy", "/_bulk", "https://es.example/proxy/_bulk"),
    ],
)
def test_standard_path_is_appended_once(base, path, expected):
    also = ("/services/collector",) if "collector" in path else ()
    assert join_endpoint(base, path, also) == expected


@sqlite_only
def test_http_route(session, settings, now):
    from fastapi.testclient import TestClient

    from service.app import create_app

    seed_audit(session, now)
    with SplunkHEC(API_KEY, allowed_indexes=(INDEX,)) as hec:
        cfg = siem_settings(settings, "splunk", hec.url).model_copy(
            update={"cron_secret": settings.cron_secret, "in_process_scheduler": False}
        )
        client = TestClient(create_app(cfg, clock=lambda: now))
        auth = {"Authorization": f"Bearer {settings.cron_secret.get_secret_value()}"}
        resp = client.post("/api/v1/cron/siem-ship", headers=auth)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert {k: body[k] for k in SEED_FIELDS} == {
            "ok": True,
            "backend": "splunk",
            "shipped": 3,
            "errors": 0,
            "windowSeconds": 300,
            "rowsScanned": 3,
        }
        assert body["backlog"] == 0 and body["deadLettered"] == 0
        metrics = client.get("/metrics").text
        assert 'kaireon_siem_events_total{backend="splunk",outcome="shipped"} 3.0' in metrics
        assert 'kaireon_siem_backlog_rows{backend="splunk"} 0.0' in metrics
        session.add(AuditLog(tenant_id="t1", action="update", created_at=now - timedelta(seconds=1)))
        session.commit()
        hec.default = Respond(503, {"text": "Server is busy", "code": 9})
        down = TestClient(
            create_app(cfg.model_copy(update={"siem_retry_budget_seconds": 0.5}), clock=lambda: now)
        )
        resp = down.post("/api/v1/cron/siem-ship", headers=auth)
        # the first run's own audit row (cron.siem-ship) and the new row are owed; nothing is shipped twice
        assert resp.status_code == 200 and resp.json()["ok"] is False and resp.json()["errors"] == 2
        assert resp.json()["backlog"] == 2
        assert API_KEY not in resp.text
        metrics = down.get("/metrics").text
        assert 'kaireon_siem_events_total{backend="splunk",outcome="failed"} 2.0' in metrics
        assert 'kaireon_siem_backlog_rows{backend="splunk"} 2.0' in metrics
