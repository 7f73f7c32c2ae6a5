"""scheduled-retrains: due models get one queued job, never a second; invalid schedules skipped (SQLite + PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.app import create_app
from service.jobs import scheduled_retrains as sr
from service.models.scheduling import AlgorithmModel, RetrainJob

SECRET = "test-cron-secret-0123456789abcdef"


def _model(mid, tenant="acme", schedule="0 1 * * *", tz="UTC", last=None, created=None, **kw):
    return AlgorithmModel(
        id=mid,
        tenant_id=tenant,
        name=mid,
        status=kw.pop("status", "active"),
        auto_learn=kw.pop("auto_learn", True),
        learn_mode=kw.pop("learn_mode", "scheduled"),
        learn_schedule=schedule,
        learn_timezone=tz,
        last_trained_at=last,
        created_at=created or datetime(2026, 1, 1, tzinfo=UTC),
        **kw,
    )


def _seed(session, now, tenant="acme"):
    p = f"{tenant}-"
    session.add_all(
        [
            _model(p + "due", tenant, last=now - timedelta(days=2)),  # 01:00Z today is after last training
            _model(
                p + "trained-after", tenant, last=now - timedelta(hours=2)
            ),  # trained at 10:00Z, after 01:00Z
            _model(p + "never-trained", tenant, schedule="0 3 * * MON", tz="Europe/Berlin"),  # created Jan 1
            _model(
                p + "at-boundary", tenant, schedule="0 12 * * *", last=now - timedelta(days=1)
            ),  # occurrence == now
            _model(
                p + "trained-at-occurrence",
                tenant,
                schedule="0 1 * * *",
                last=datetime(2026, 6, 15, 1, 0, tzinfo=UTC),
            ),  # since == occurrence: not due
            _model(p + "busy", tenant, last=now - timedelta(days=5)),
            _model(p + "bad-cron", tenant, schedule="every night"),
            _model(p + "bad-tz", tenant, tz="Nowhere/Special"),
            _model(p + "no-schedule", tenant, schedule=None),
            _model(p + "paused", tenant, status="paused", last=now - timedelta(days=5)),
            _model(p + "manual-mode", tenant, learn_mode="none", last=now - timedelta(days=5)),
            _model(p + "no-auto", tenant, auto_learn=False, last=now - timedelta(days=5)),
        ]
    )
    session.flush()
    session.add(
        RetrainJob(
            model_id=p + "busy",
            tenant_id=tenant,
            status="running",
            reason="manual",
            created_at=now - timedelta(hours=1),
        )
    )
    session.commit()


def test_due_models_get_one_queued_job_and_rerun_enqueues_nothing(session, settings, now):
    _seed(session, now)
    body = sr.run(session, settings, now).model_dump(mode="json", by_alias=True)
    session.commit()
    assert {k: body[k] for k in ("ok", "due", "enqueued", "skipped", "alreadyQueued", "errors")} == {
        "ok": True,
        "due": 3,
        "enqueued": 3,
        "skipped": 3,
        "alreadyQueued": 1,
        "errors": [],
    }
    skipped = {m["modelId"]: m["reason"] for m in body["skippedModels"]}
    assert set(skipped) == {"acme-bad-cron", "acme-bad-tz", "acme-no-schedule"}
    assert "learn_schedule 'every night'" in skipped["acme-bad-cron"]
    assert "'Nowhere/Special' is not a known IANA zone" in skipped["acme-bad-tz"]
    jobs = {
        j.model_id: j for j in session.scalars(select(RetrainJob).where(RetrainJob.reason == "scheduled"))
    }
    assert set(jobs) == {"acme-due", "acme-never-trained", "acme-at-boundary"}
    assert jobs["acme-due"].scheduled_for == datetime(2026, 6, 15, 1, 0, tzinfo=UTC)
    # Monday 03:00 Berlin (CEST) = 01:00Z on 2026-06-15
    assert jobs["acme-never-trained"].scheduled_for == datetime(2026, 6, 15, 1, 0, tzinfo=UTC)
    assert jobs["acme-at-boundary"].scheduled_for == now
    assert all(j.status == "queued" and j.tenant_id == "acme" for j in jobs.values())

    again = sr.run(session, settings, now).model_dump(by_alias=True)
    session.commit()
    assert (again["due"], again["enqueued"]) == (0, 0)
    assert len(session.scalars(select(RetrainJob).where(RetrainJob.reason == "scheduled")).all()) == 3


def test_never_a_second_job_while_one_is_queued_or_running(session, settings, now):
    _seed(session, now)
    sr.run(session, settings, now)
    session.commit()
    # next day: acme-due has a new occurrence but its job is still queued -> not enqueued again
    tomorrow = now + timedelta(days=1)
    body = sr.run(session, settings, tomorrow).model_dump(by_alias=True)
    session.commit()
    # due / at-boundary still have their queued job and busy its running one: no second job for them;
    # trained-after and trained-at-occurrence have a new occurrence (01:00Z) and nothing in flight
    assert (body["enqueued"], body["alreadyQueued"]) == (2, 3)
    assert {
        j.model_id for j in session.scalars(select(RetrainJob).where(RetrainJob.created_at == tomorrow))
    } == {"acme-trained-after", "acme-trained-at-occurrence"}
    assert len(session.scalars(select(RetrainJob).where(RetrainJob.model_id == "acme-due")).all()) == 1
    # finish acme-due's job: the next run queues the newer occurrence
    job = session.scalars(select(RetrainJob).where(RetrainJob.model_id == "acme-due")).one()
    job.status = "succeeded"
    session.commit()
    body = sr.run(session, settings, tomorrow).model_dump(by_alias=True)
    session.commit()
    assert body["enqueued"] == 1
    newest = session.scalars(
        select(RetrainJob).where(RetrainJob.model_id == "acme-due", RetrainJob.status == "queued")
    ).one()
    assert newest.scheduled_for == datetime(2026, 6, 16, 1, 0, tzinfo=UTC)


def test_one_tenant_failing_does_not_stop_the_others(session, settings, now, monkeypatch):
    for t in ("t1", "t2", "t3"):
        _seed(session, now, tenant=t)
    real = sr._tenant

    def flaky(s, tenant_id, n):
        out = real(s, tenant_id, n)
        if tenant_id == "t2":
            raise RuntimeError("queue backend down")
        return out

    monkeypatch.setattr(sr, "_tenant", flaky)
    body = sr.run(session, settings, now).model_dump(mode="json", by_alias=True)
    session.commit()
    assert body["ok"] is False and body["errors"] == [
        {"tenantId": "t2", "error": "RuntimeError: queue backend down"}
    ]
    assert body["enqueued"] == 6
    tenants = {
        j.tenant_id for j in session.scalars(select(RetrainJob).where(RetrainJob.reason == "scheduled"))
    }
    assert tenants == {"t1", "t3"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pure logic/HTTP wiring: SQLite is enough
def test_scheduled_retrains_over_http(session, settings, now):
    _seed(session, now)
    client = TestClient(create_app(settings, clock=lambda: now))
    resp = client.post("/api/v1/cron/scheduled-retrains", headers={"Authorization": f"Bearer {SECRET}"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["ok"], body["due"], body["enqueued"], body["skipped"]) == (True, 3, 3, 3)
