"""cleanup: retention per tenant and data class, legal hold, batches, tenant isolation (SQLite + PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.app import create_app
from service.jobs import cleanup
from service.models.decisioning import DecisionTrace, InteractionHistory, InteractionSummary, Suppression
from service.models.tenants import (
    DATA_CLASS_INTERACTIONS,
    DATA_CLASS_SUMMARIES,
    DATA_CLASS_SUPPRESSIONS,
    RetentionConfig,
    Tenant,
)

SECRET = "test-cron-secret-0123456789abcdef"


def _count(session, model, tenant_id, *where):
    return session.scalar(select(func.count()).select_from(model).where(model.tenant_id == tenant_id, *where))


def _seed_tenant(session, tid, now, **tenant_kw):
    session.add(Tenant(id=tid, name=tid.title(), **tenant_kw))
    session.flush()
    ih_days = tenant_kw.get("interaction_history_retention_days", 730)
    sum_days = tenant_kw.get("summary_retention_days", 2555)
    dt_days = tenant_kw.get("decision_trace_retention_days", 365)
    # suppressions: expired 1 s ago (deleted), expiring exactly now (kept), live (kept)
    for i, exp in enumerate(
        (now - timedelta(seconds=1), now - timedelta(days=3), now, now + timedelta(days=1))
    ):
        session.add(
            Suppression(
                tenant_id=tid, customer_id=f"c{i}", expires_at=exp, created_at=now - timedelta(days=9)
            )
        )
    # daily summaries: older than the cutoff (deleted x2), exactly at the cutoff (kept), weekly old (kept)
    for i, start in enumerate(
        (
            now - timedelta(days=sum_days, seconds=1),
            now - timedelta(days=sum_days + 40),
            now - timedelta(days=sum_days),
        )
    ):
        session.add(
            InteractionSummary(
                tenant_id=tid,
                customer_id=f"c{i}",
                period_type="daily",
                period_key=start.strftime("%Y-%m-%d"),
                period_start=start,
            )
        )
    session.add(
        InteractionSummary(
            tenant_id=tid,
            customer_id="w",
            period_type="weekly",
            period_key="old",
            period_start=now - timedelta(days=sum_days + 100),
        )
    )
    # interaction history by created_at: 5 past retention, one exactly at the cutoff, one recent
    for i in range(5):
        ts = now - timedelta(days=ih_days + 1 + i)
        session.add(
            InteractionHistory(
                tenant_id=tid,
                customer_id=f"c{i}",
                interaction_type="impression",
                occurred_at=ts,
                created_at=ts,
            )
        )
    for ts in (now - timedelta(days=ih_days), now - timedelta(days=1)):
        session.add(
            InteractionHistory(
                tenant_id=tid, customer_id="keep", interaction_type="click", occurred_at=ts, created_at=ts
            )
        )
    # decision traces: 3 past retention, one at the cutoff, one recent
    for i in range(3):
        session.add(
            DecisionTrace(
                tenant_id=tid, customer_id=f"c{i}", created_at=now - timedelta(days=dt_days + 2 + i)
            )
        )
    for ts in (now - timedelta(days=dt_days), now):
        session.add(DecisionTrace(tenant_id=tid, customer_id="keep", created_at=ts))
    session.flush()


def test_cleanup_deletes_per_retention_and_is_idempotent(session, settings, now):
    _seed_tenant(session, "acme", now)
    _seed_tenant(
        session,
        "short",
        now,
        interaction_history_retention_days=30,
        summary_retention_days=90,
        decision_trace_retention_days=7,
        active=False,
    )  # inactive tenants are cleaned too
    session.commit()
    small = settings.model_copy(update={"delete_batch_size": 2})  # several batches per class

    result = cleanup.run(session, small, now)
    session.commit()
    body = result.model_dump(mode="json", by_alias=True)
    assert body == {
        "ok": True,
        "tenants": 2,
        "suppressions": 4,
        "dailySummaries": 4,
        "interactionHistory": 10,
        "decisionTraces": 6,
        "held": [],
        "errors": [],
        "exportObjects": {"deleted": 0, "rewritten": 0},
    }
    for tid in ("acme", "short"):
        assert _count(session, Suppression, tid) == 2
        assert _count(session, Suppression, tid, Suppression.expires_at < now) == 0
        assert _count(session, InteractionSummary, tid, InteractionSummary.period_type == "daily") == 1
        assert _count(session, InteractionSummary, tid, InteractionSummary.period_type == "weekly") == 1
        assert _count(session, InteractionHistory, tid) == 2
        assert _count(session, DecisionTrace, tid) == 2

    again = cleanup.run(session, small, now).model_dump(mode="json", by_alias=True)
    assert again == {
        "ok": True,
        "tenants": 2,
        "suppressions": 0,
        "dailySummaries": 0,
        "interactionHistory": 0,
        "decisionTraces": 0,
        "held": [],
        "errors": [],
        "exportObjects": {"deleted": 0, "rewritten": 0},
    }


def test_legal_hold_is_never_touched_and_config_days_override(session, settings, now):
    _seed_tenant(session, "held", now)
    _seed_tenant(session, "override", now)
    session.add_all(
        [
            RetentionConfig(
                tenant_id="held",
                data_class=DATA_CLASS_INTERACTIONS,
                retention_days=1,
                legal_hold=True,
                reason="litigation",
            ),
            RetentionConfig(tenant_id="held", data_class=DATA_CLASS_SUPPRESSIONS, legal_hold=True),
            # a config with days and no hold overrides the tenant column (2555 -> 3650: nothing is old enough)
            RetentionConfig(tenant_id="override", data_class=DATA_CLASS_SUMMARIES, retention_days=3650),
        ]
    )
    session.commit()

    body = cleanup.run(session, settings, now).model_dump(mode="json", by_alias=True)
    assert body["ok"] is True
    assert sorted(body["held"]) == ["held/interactions", "held/suppressions"]
    assert _count(session, InteractionHistory, "held") == 7  # all kept despite retention_days=1
    assert _count(session, Suppression, "held") == 4
    assert (
        _count(session, InteractionSummary, "held", InteractionSummary.period_type == "daily") == 1
    )  # not held
    assert _count(session, InteractionSummary, "override", InteractionSummary.period_type == "daily") == 3
    assert _count(session, InteractionHistory, "override") == 2
    assert body["interactionHistory"] == 5 and body["suppressions"] == 2 and body["dailySummaries"] == 2


def test_one_tenant_failing_does_not_stop_the_others(session, settings, now, monkeypatch):
    _seed_tenant(session, "a-good", now)
    _seed_tenant(session, "b-bad", now, summary_retention_days=0)  # would delete everything: refused
    _seed_tenant(session, "c-good", now)
    _seed_tenant(session, "d-crash", now)
    session.commit()

    real = cleanup.delete_in_batches

    def flaky(source, model, where, batch_size, **kw):
        if model is DecisionTrace and "d-crash" in str(
            where[0].compile(compile_kwargs={"literal_binds": True})
        ):
            raise RuntimeError("disk full while purging decision traces")
        return real(source, model, where, batch_size, **kw)

    monkeypatch.setattr(cleanup, "delete_in_batches", flaky)
    body = cleanup.run(session, settings, now).model_dump(mode="json", by_alias=True)
    assert body["ok"] is False and body["tenants"] == 4
    errors = {e["tenantId"]: e["error"] for e in body["errors"]}
    assert set(errors) == {"b-bad", "d-crash"}
    assert "summary_retention_days is 0; it must be a whole number of days >= 1" in errors["b-bad"]
    assert errors["d-crash"] == "RuntimeError: disk full while purging decision traces"
    for good in ("a-good", "c-good"):
        assert _count(session, InteractionHistory, good) == 2 and _count(session, DecisionTrace, good) == 2
    # the refused tenant was validated before anything was deleted
    assert _count(session, Suppression, "b-bad") == 4 and _count(session, InteractionHistory, "b-bad") == 7
    # the crashed tenant keeps what earlier classes' committed batches removed, its traces survive
    assert (
        _count(session, InteractionHistory, "d-crash") == 2 and _count(session, DecisionTrace, "d-crash") == 5
    )
    # counts include the crashed tenant's committed deletes: 3 tenants x (2 + 2 + 5) + 3 traces x 2
    assert (
        body["suppressions"],
        body["dailySummaries"],
        body["interactionHistory"],
        body["decisionTraces"],
    ) == (6, 6, 15, 6)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pure logic/HTTP wiring: SQLite is enough
def test_cleanup_over_http(session, settings, now):
    _seed_tenant(session, "acme", now)
    session.commit()
    client = TestClient(create_app(settings, clock=lambda: now))
    resp = client.post("/api/v1/cron/cleanup", headers={"Authorization": f"Bearer {SECRET}"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert {
        k: body[k]
        for k in (
            "ok",
            "tenants",
            "suppressions",
            "dailySummaries",
            "interactionHistory",
            "decisionTraces",
            "errors",
        )
    } == {
        "ok": True,
        "tenants": 1,
        "suppressions": 2,
        "dailySummaries": 2,
        "interactionHistory": 5,
        "decisionTraces": 3,
        "errors": [],
    }


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_demo_data_gives_every_job_of_this_family_work_on_its_first_run(
    engine, session_factory, settings, now
):
    """demo-data: each of cleanup, approvals-expire, outbox-reaper, flow-scheduler-tick, scheduled-retrains,
    engagement-health-recompute, gitops-drift-check and the tick does something on the first run and
    nothing on the second (engagement health re-scores the same offers: identical rows)."""
    from service import demo
    from service.jobs import (
        approvals_expire,
        engagement_health,
        flow_scheduler_tick,
        gitops_drift,
        legacy_tick,
        outbox_reaper,
        scheduled_retrains,
    )

    summary = demo.load_demo_data(engine, settings, tenants=3, rows=200, now=now)
    assert "hook_errors" not in summary, summary.get("hook_errors")
    work = {
        cleanup: lambda b: (
            b["suppressions"] + b["dailySummaries"] + b["interactionHistory"] + b["decisionTraces"]
        ),
        approvals_expire: lambda b: b["expired"],
        outbox_reaper: lambda b: b["reset"] + b["deadLettered"],
        flow_scheduler_tick: lambda b: b["dispatched"],
        scheduled_retrains: lambda b: b["enqueued"],
        gitops_drift: lambda b: b["driftEvents"],
        legacy_tick: lambda b: b["alerts"]["fired"] + b["reports"]["ran"] + b["reports"]["failed"],
    }
    for module, count in work.items():
        with session_factory() as s:
            first = module.run(s, settings, now).model_dump(mode="json", by_alias=True)
            s.commit()
            second = module.run(s, settings, now).model_dump(mode="json", by_alias=True)
            s.commit()
        assert count(first) > 0, (module.ROUTE, first)
        assert count(second) == 0, (module.ROUTE, second)
    with session_factory() as s:
        body = engagement_health.run(s, settings, now).model_dump(by_alias=True)
        s.commit()
    assert body["offersScored"] > 0 and body["atRisk"] > 0 and body["ok"]
