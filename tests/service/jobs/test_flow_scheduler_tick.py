"""flow-scheduler-tick: due logic per schedule kind, dispatch rows, exact response, failures (SQLite + PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.app import create_app
from service.jobs import flow_scheduler_tick as flow
from service.models.scheduling import Pipeline, PipelineRun

SECRET = "test-cron-secret-0123456789abcdef"
RESPONSE_KEYS = {
    "tickAt",
    "totalPipelines",
    "scheduled",
    "due",
    "dispatched",
    "failed",
    "results",
    "durationMs",
}


def _pipelines(now):
    created = now - timedelta(days=10)
    mk = lambda pid, schedule, last=None, enabled=True, tenant="acme": Pipeline(  # noqa: E731
        id=pid,
        tenant_id=tenant,
        name=pid,
        schedule=schedule,
        last_run_at=last,
        enabled=enabled,
        created_at=created,
    )
    return [
        # cron in a time zone: 09:00 Berlin = 07:00Z; last ran yesterday -> due, occurrence 07:00Z
        mk(
            "cron-berlin",
            {"kind": "cron", "expression": "0 9 * * *", "timezone": "Europe/Berlin"},
            now - timedelta(days=1),
        ),
        # same cron, already ran after today's occurrence -> not due
        mk(
            "cron-ran",
            {"kind": "cron", "expression": "0 9 * * *", "timezone": "Europe/Berlin"},
            now - timedelta(hours=4),
        ),
        # occurrence exactly at now (12:00Z), last run exactly at the previous occurrence -> due
        mk("cron-at-now", {"kind": "cron", "expression": "0 */6 * * *"}, now - timedelta(hours=6)),
        # never run, weekly occurrence 2 days ago (inside 24 h? no) -> not due
        mk("cron-never-old", {"kind": "cron", "expression": "0 12 * * 6"}),
        # never run, hourly -> due (24 h lookback)
        mk("cron-never-hourly", {"kind": "cron", "expression": "0 * * * *"}),
        mk("interval-due", {"kind": "interval", "minutes": 15}, now - timedelta(minutes=15)),
        mk("interval-early", {"kind": "interval", "minutes": 15}, now - timedelta(minutes=14, seconds=59)),
        mk("interval-never", {"kind": "interval", "minutes": 1440}),
        mk(
            "rrule-due",
            {"kind": "rrule", "rrule": "FREQ=DAILY;BYHOUR=6;BYMINUTE=0;BYSECOND=0", "timezone": "UTC"},
            now - timedelta(days=1),
        ),
        mk(
            "rrule-not-due",
            {"kind": "rrule", "rrule": "FREQ=DAILY;BYHOUR=18;BYMINUTE=0;BYSECOND=0", "timezone": "UTC"},
            now - timedelta(hours=12),
        ),
        mk("bad-cron", {"kind": "cron", "expression": "0 25 * * *"}, tenant="beta"),
        mk("bad-interval", {"kind": "interval", "minutes": 0}, tenant="beta"),
        mk("bad-kind", {"kind": "sometimes"}, tenant="beta"),
        mk("manual", None),
        mk("empty", {}),
        mk("disabled", {"kind": "interval", "minutes": 1}, enabled=False),
    ]


def test_tick_dispatches_due_pipelines_and_is_idempotent(session, settings, now):
    session.add_all(_pipelines(now))
    session.commit()
    body = flow.run(session, settings, now).model_dump(mode="json", by_alias=True)
    session.commit()
    assert set(body) == RESPONSE_KEYS
    assert body["tickAt"] == "2026-06-15T12:00:00.000Z"
    assert isinstance(body["durationMs"], int) and body["durationMs"] >= 0
    assert (body["totalPipelines"], body["scheduled"], body["due"], body["dispatched"], body["failed"]) == (
        16,
        13,
        6,
        6,
        0,
    )
    by_id = {r["pipelineId"]: r for r in body["results"]}
    due_ids = {
        "cron-berlin",
        "cron-at-now",
        "cron-never-hourly",
        "interval-due",
        "interval-never",
        "rrule-due",
    }
    assert {p for p, r in by_id.items() if r["fired"]} == due_ids
    assert all(
        by_id[p] == {"pipelineId": p, "tenantId": "acme", "fired": True, "status": 201} for p in due_ids
    )
    for bad in ("bad-cron", "bad-interval", "bad-kind"):
        assert by_id[bad] == {"pipelineId": bad, "tenantId": "beta", "fired": False, "status": 422}
    assert set(by_id) == due_ids | {"bad-cron", "bad-interval", "bad-kind"}

    runs = {r.pipeline_id: r for r in session.scalars(select(PipelineRun))}
    assert set(runs) == due_ids
    assert all(
        r.status == "queued" and r.trigger == "schedule" and r.tenant_id == "acme" for r in runs.values()
    )
    assert runs["cron-berlin"].scheduled_for == datetime(2026, 6, 15, 7, 0, tzinfo=UTC)
    assert runs["cron-at-now"].scheduled_for == now
    assert runs["cron-never-hourly"].scheduled_for == now
    assert runs["interval-due"].scheduled_for == now
    assert runs["rrule-due"].scheduled_for == datetime(2026, 6, 15, 6, 0, tzinfo=UTC)
    session.expire_all()
    pipes = {p.id: p for p in session.scalars(select(Pipeline))}
    for pid in due_ids:
        assert pipes[pid].last_run_at == now and pipes[pid].last_run_status == "queued"
    assert pipes["cron-ran"].last_run_at == now - timedelta(hours=4)

    again = flow.run(session, settings, now).model_dump(mode="json", by_alias=True)
    session.commit()
    assert (again["due"], again["dispatched"], again["failed"]) == (0, 0, 0)
    assert [r["status"] for r in again["results"]] == [422, 422, 422]  # malformed ones are reported each tick
    assert session.scalar(select(func.count()).select_from(PipelineRun)) == 6


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pure logic/HTTP wiring: SQLite is enough
def test_next_minute_tick_fires_only_what_came_due(session, settings, now):
    session.add_all(_pipelines(now))
    session.commit()
    flow.run(session, settings, now)
    session.commit()
    later = now + timedelta(minutes=15)
    body = flow.run(session, settings, later).model_dump(by_alias=True)
    session.commit()
    fired = sorted(r["pipelineId"] for r in body["results"] if r["fired"])
    # interval-due ran at `now` (15 min ago); interval-early was 1 s short at `now`
    assert fired == ["interval-due", "interval-early"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pure logic/HTTP wiring: SQLite is enough
def test_dst_spring_forward_cron_fires_once_at_the_jump(session, settings):
    # 02:30 New York does not exist on 2026-03-08; the occurrence is 03:00 EDT = 07:00Z
    session.add(
        Pipeline(
            id="ny",
            tenant_id="acme",
            name="ny",
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
            schedule={"kind": "cron", "expression": "30 2 * * *", "timezone": "America/New_York"},
            last_run_at=datetime(2026, 3, 7, 7, 30, tzinfo=UTC),
        )
    )
    session.commit()
    before = flow.run(session, settings, datetime(2026, 3, 8, 6, 59, tzinfo=UTC)).model_dump(by_alias=True)
    assert before["due"] == 0
    at = flow.run(session, settings, datetime(2026, 3, 8, 7, 0, tzinfo=UTC)).model_dump(by_alias=True)
    session.commit()
    assert at["due"] == 1
    assert session.scalars(select(PipelineRun.scheduled_for)).one() == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    after = flow.run(session, settings, datetime(2026, 3, 8, 8, 0, tzinfo=UTC)).model_dump(by_alias=True)
    assert after["due"] == 0


def test_bulk_failure_falls_back_and_one_pipeline_failing_does_not_stop_the_others(
    session, settings, now, monkeypatch
):
    session.add_all(_pipelines(now))
    session.commit()

    def broken_bulk(*a, **kw):
        raise RuntimeError("bulk insert rejected")

    real_one = flow._dispatch_one

    def flaky_one(s, pid, tid, occ, n):
        real_one(s, pid, tid, occ, n)
        if pid == "interval-due":
            raise RuntimeError("run route unavailable")

    monkeypatch.setattr(flow, "_bulk_dispatch", broken_bulk)
    monkeypatch.setattr(flow, "_dispatch_one", flaky_one)
    body = flow.run(session, settings, now).model_dump(by_alias=True)
    session.commit()
    assert (body["due"], body["dispatched"], body["failed"]) == (6, 5, 1)
    by_id = {r["pipelineId"]: r for r in body["results"]}
    assert by_id["interval-due"] == {
        "pipelineId": "interval-due",
        "tenantId": "acme",
        "fired": False,
        "status": 500,
    }
    runs = set(session.scalars(select(PipelineRun.pipeline_id)))
    assert "interval-due" not in runs and len(runs) == 5  # its savepoint was rolled back
    session.expire_all()
    assert session.get(Pipeline, "interval-due").last_run_at == now - timedelta(minutes=15)
    # the failed one is retried on the next tick
    monkeypatch.undo()
    retry = flow.run(session, settings, now + timedelta(milliseconds=500)).model_dump(by_alias=True)
    assert [r["pipelineId"] for r in retry["results"] if r["fired"]] == ["interval-due"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pure logic/HTTP wiring: SQLite is enough
def test_an_unexpected_parser_error_skips_only_that_pipeline(session, settings, now, monkeypatch):
    session.add_all(_pipelines(now))
    session.commit()
    real = flow.compile_pipeline_schedule

    def exploding(schedule, created_at=None):
        if schedule.get("minutes") == 1440:
            raise OverflowError("date value out of range")
        return real(schedule, created_at)

    monkeypatch.setattr(flow, "compile_pipeline_schedule", exploding)
    body = flow.run(session, settings, now).model_dump(by_alias=True)
    assert (body["due"], body["dispatched"], body["failed"]) == (5, 5, 0)
    assert {"pipelineId": "interval-never", "tenantId": "acme", "fired": False, "status": 422} in body[
        "results"
    ]


def test_many_pipelines_tick_in_bulk(session, settings, now):
    rows = []
    for i in range(2000):
        kind = i % 3
        schedule = (
            {"kind": "cron", "expression": f"{i % 60} * * * *", "timezone": "Europe/Berlin"}
            if kind == 0
            else {"kind": "interval", "minutes": 1 + i % 1440}
            if kind == 1
            else {"kind": "rrule", "rrule": "FREQ=HOURLY;INTERVAL=2", "timezone": "UTC"}
        )
        rows.append(
            {
                "id": f"p{i:05d}",
                "tenant_id": f"t{i % 7}",
                "name": f"p{i}",
                "schedule": schedule,
                "enabled": True,
                "last_run_at": now - timedelta(minutes=61),
                "created_at": now - timedelta(days=3),
            }
        )
    session.execute(Pipeline.__table__.insert(), rows)
    session.commit()
    body = flow.run(session, settings, now).model_dump(by_alias=True)
    session.commit()
    # cron "m * * * *": the latest occurrence is within the last 60 min, after last_run (61 min ago): all due
    # interval: due when 1 + i % 1440 <= 61; rrule every 2 h from creation (on the hour): 12:00 is one
    expected_interval = sum(1 for i in range(2000) if i % 3 == 1 and 1 + i % 1440 <= 61)
    assert body["due"] == body["dispatched"] == 667 + expected_interval + 666
    assert session.scalar(select(func.count()).select_from(PipelineRun)) == body["dispatched"]
    again = flow.run(session, settings, now).model_dump(by_alias=True)
    assert again["due"] == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pure logic/HTTP wiring: SQLite is enough
def test_flow_scheduler_tick_over_http(session, settings, now):
    session.add_all(_pipelines(now))
    session.commit()
    client = TestClient(create_app(settings, clock=lambda: now))
    resp = client.post("/api/v1/cron/flow-scheduler-tick", headers={"Authorization": f"Bearer {SECRET}"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == RESPONSE_KEYS
    assert (body["due"], body["dispatched"]) == (6, 6)
