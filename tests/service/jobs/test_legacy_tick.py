"""Legacy /api/cron/tick: alert rules (metrics, operators, cooldown, severity) and report schedules."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select

from service.app import create_app
from service.jobs import legacy_tick as tick
from service.models.alerts import AlertRule, Notification
from service.models.audit import AuditLog
from service.models.decisioning import DecisionTrace, InteractionHistory
from service.models.outbox import OutboxEvent
from service.models.scheduling import ReportRun, ReportSchedule
from service.models.tenants import Tenant

TOKEN = "test-cron-token-0123456789abcdef"


def _traffic(session, now, tenant="acme"):
    """In the last 5 min: 100 impressions, 8 clicks, 2 converts (value 50 each), 5 accepts;
    10 traces with latencies 10..100 (p99 = 100), 3 degraded, 8 with a top offer.
    The 5 min before that (baseline): 100 impressions, 20 clicks + 1 convert."""
    rows = []

    def ev(kind, n, minutes_ago, value=None):
        ts = now - timedelta(minutes=minutes_ago)
        rows.extend(
            {
                "tenant_id": tenant,
                "customer_id": f"c{i}",
                "offer_id": "o1",
                "interaction_type": kind,
                "occurred_at": ts,
                "created_at": ts,
                "direction": "outbound",
                "context": {},
                "conversion_value": value,
            }
            for i in range(n)
        )

    ev("impression", 100, 1)
    ev("click", 8, 1)
    ev("convert", 2, 2, 50.0)
    ev("accept", 5, 2)
    ev("impression", 100, 7)
    ev("click", 20, 7)
    ev("convert", 1, 5, 1000.0)  # exactly at the window start: excluded from (now - 5, now], in the baseline
    ev("impression", 999, 10)  # exactly at the baseline start: excluded from (now - 10, now - 5]
    session.execute(InteractionHistory.__table__.insert(), rows)
    for i in range(10):
        session.add(
            DecisionTrace(
                tenant_id=tenant,
                customer_id=f"c{i}",
                total_latency_ms=float(10 * (i + 1)),
                degraded_scoring=i < 3,
                top_offer_id="o1" if i < 8 else None,
                created_at=now - timedelta(minutes=1),
            )
        )


def _rule(rid, metric, op, threshold, tenant="acme", **kw):
    return AlertRule(
        id=rid,
        tenant_id=tenant,
        name=rid,
        metric=metric,
        operator=op,
        threshold=threshold,
        window_minutes=kw.pop("window", 5),
        cooldown_minutes=kw.pop("cooldown", 60),
        channels=kw.pop("channels", ["prov-1"]),
        **kw,
    )


def test_metrics_are_computed_as_documented(session, now):
    session.add(Tenant(id="acme", name="acme"))
    _traffic(session, now)
    session.commit()
    lo = now - timedelta(minutes=5)
    m = {name: tick.compute_metric(session, "acme", name, lo, now) for name in tick.METRICS}
    assert m["acceptance_rate"] == pytest.approx((5 + 2) / 100)
    assert m["ctr"] == pytest.approx((8 + 2) / 100)
    assert m["revenue"] == pytest.approx(100.0)
    assert m["selection_frequency"] == 8
    assert m["latency_p99"] == 100.0
    assert m["degraded_scoring_rate"] == pytest.approx(0.3)
    empty = now - timedelta(days=3)
    assert tick.compute_metric(session, "acme", "ctr", empty - timedelta(minutes=5), empty) is None
    assert tick.compute_metric(session, "acme", "latency_p99", empty - timedelta(minutes=5), empty) is None
    assert tick.compute_metric(session, "acme", "revenue", empty - timedelta(minutes=5), empty) == 0.0


def _seed_alerts(session, now, tenant="acme"):
    session.add(Tenant(id=tenant, name=tenant))
    _traffic(session, now, tenant)
    session.add_all(
        [
            _rule(
                f"{tenant}-p99",
                "latency_p99",
                "gt",
                40.0,
                tenant,
                channels=["prov-1", {"type": "email", "target": "x@y"}],
            ),
            _rule(
                f"{tenant}-ctr-low", "ctr", "lt", 0.5, tenant, channels=[]
            ),  # 0.1 < 0.5: fires, in-app only
            _rule(f"{tenant}-rev", "revenue", "gte", 100.0, tenant),  # 100 >= 100: fires, severity info
            _rule(
                f"{tenant}-ok", "degraded_scoring_rate", "gt", 0.5, tenant, status="firing"
            ),  # 0.3: back to ok
            _rule(
                f"{tenant}-cool", "ctr", "lt", 0.5, tenant, last_fired_at=now - timedelta(minutes=59)
            ),  # cooldown
            _rule(f"{tenant}-cool-over", "ctr", "lt", 0.5, tenant, last_fired_at=now - timedelta(minutes=60)),
            _rule(f"{tenant}-zero", "ctr", "gt", 0.0, tenant),  # threshold 0: severity from baseline 0.2
            _rule(f"{tenant}-off", "ctr", "lt", 0.5, tenant, enabled=False),
        ]
    )
    session.commit()


def test_alert_rules_fire_with_notifications_outbox_and_audit(session, settings, now):
    _seed_alerts(session, now)
    body = tick.run(session, settings, now).model_dump(mode="json", by_alias=True)
    session.commit()
    assert body == {
        "ok": True,
        "tenants": 1,
        "alerts": {"evaluated": 7, "fired": 5},
        "reports": {"due": 0, "ran": 0, "failed": 0},
        "errors": [],
    }
    session.expire_all()
    rules = {r.id: r for r in session.scalars(select(AlertRule))}
    fired = {"acme-p99", "acme-ctr-low", "acme-rev", "acme-cool-over", "acme-zero"}
    for rid in fired:
        assert rules[rid].last_fired_at == now and rules[rid].status == "firing"
    assert (
        rules["acme-cool"].last_fired_at == now - timedelta(minutes=59)
        and rules["acme-cool"].status == "firing"
    )
    assert rules["acme-ok"].status == "ok" and rules["acme-ok"].last_value == pytest.approx(0.3)
    assert rules["acme-off"].last_fired_at is None

    notes = session.scalars(select(Notification).order_by(Notification.id)).all()
    by_rule: dict[str, list[Notification]] = {}
    for n in notes:
        by_rule.setdefault(n.alert_rule_id, []).append(n)
    assert [n.channel for n in by_rule["acme-p99"]] == ["prov-1", "email:x@y"]
    assert [n.channel for n in by_rule["acme-ctr-low"]] == [None]
    # severities: |100-40|/40 = 1.5 critical; |0.1-0.5|/0.5 = 0.8 warning; |100-100|/100 = 0 info;
    # threshold 0 -> baseline ctr 0.21: |0.1-0.21|/0.21 = 0.52 warning
    assert by_rule["acme-p99"][0].severity == "critical"
    assert by_rule["acme-ctr-low"][0].severity == "warning"
    assert by_rule["acme-rev"][0].severity == "info"
    assert by_rule["acme-zero"][0].severity == "warning"
    assert by_rule["acme-zero"][0].payload["baseline"] == pytest.approx(0.21)

    events = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
    assert len(events) == len(notes) == 6
    assert all(
        e.topic == "notifications" and e.event_type == "alert.fired" and e.status == "pending" for e in events
    )
    assert sorted(e.payload["notificationId"] for e in events) == sorted(n.id for n in notes)
    audits = session.scalars(select(AuditLog).where(AuditLog.action == "alert_fired")).all()
    assert sorted(a.entity_id for a in audits) == sorted(fired)

    again = tick.run(session, settings, now).model_dump(mode="json", by_alias=True)
    assert again["alerts"] == {"evaluated": 7, "fired": 0}  # all within their cooldown now


@hsettings(max_examples=200, deadline=None)
@given(
    observed=st.floats(-1e6, 1e6),
    threshold=st.floats(-1e6, 1e6),
    baseline=st.one_of(st.none(), st.floats(-1e6, 1e6)),
)
def test_severity_rule(observed, threshold, baseline):
    sev = tick.severity(observed, threshold, baseline)
    ref = threshold if threshold != 0 else baseline
    if ref is None or ref == 0:
        d = 0.0 if observed == 0 else math.inf
    else:
        d = abs(observed - ref) / abs(ref)
    assert sev == ("critical" if d >= 1.0 else "warning" if d >= 0.5 else "info")


@pytest.mark.parametrize(
    "op, observed, threshold, expected",
    [
        ("gt", 1.0, 1.0, False),
        ("gte", 1.0, 1.0, True),
        ("lt", 1.0, 1.0, False),
        ("lte", 1.0, 1.0, True),
        ("eq", 0.1 + 0.2, 0.3, True),
        ("eq", 0.31, 0.3, False),
        ("gt", 2.0, 1.0, True),
        ("lt", 0.5, 1.0, True),
    ],
)
def test_operators(op, observed, threshold, expected):
    assert tick.compare(observed, op, threshold) is expected


def _seed_reports(session, now, tenant="acme"):
    session.merge(Tenant(id=tenant, name=tenant))
    session.add_all(
        [
            # Mondays 08:00 Berlin; due 2 h ago -> next = next Monday 08:00 CEST (06:00Z) after now
            ReportSchedule(
                id=f"{tenant}-weekly",
                tenant_id=tenant,
                template_id="t",
                name="weekly",
                cron_expression="0 8 * * MON",
                timezone="Europe/Berlin",
                next_run_at=now - timedelta(hours=2),
            ),
            # due exactly now; missed many runs: next is anchored off now, not replayed
            ReportSchedule(
                id=f"{tenant}-hourly",
                tenant_id=tenant,
                template_id="t",
                name="hourly",
                cron_expression="0 * * * *",
                timezone="UTC",
                next_run_at=now - timedelta(days=3),
            ),
            ReportSchedule(
                id=f"{tenant}-at-now",
                tenant_id=tenant,
                template_id="t",
                name="at-now",
                cron_expression="*/30 * * * *",
                timezone="UTC",
                next_run_at=now,
            ),
            ReportSchedule(
                id=f"{tenant}-later",
                tenant_id=tenant,
                template_id="t",
                name="later",
                cron_expression="0 7 * * *",
                next_run_at=now + timedelta(seconds=1),
            ),
            ReportSchedule(
                id=f"{tenant}-bad",
                tenant_id=tenant,
                template_id="t",
                name="bad",
                cron_expression="every monday",
                next_run_at=now - timedelta(minutes=1),
            ),
            ReportSchedule(
                id=f"{tenant}-bad-tz",
                tenant_id=tenant,
                template_id="t",
                name="bad-tz",
                cron_expression="0 8 * * *",
                timezone="Mars/Base",
                next_run_at=now - timedelta(minutes=1),
            ),
            ReportSchedule(
                id=f"{tenant}-off",
                tenant_id=tenant,
                template_id="t",
                name="off",
                enabled=False,
                cron_expression="0 * * * *",
                next_run_at=now - timedelta(hours=1),
            ),
            ReportSchedule(
                id=f"{tenant}-parked",
                tenant_id=tenant,
                template_id="t",
                name="parked",
                cron_expression="0 * * * *",
                next_run_at=None,
                last_status="invalid_schedule",
            ),
        ]
    )
    session.commit()


def test_report_schedules_run_advance_from_now_and_park_invalid(session, settings, now):
    _seed_reports(session, now)
    body = tick.run(session, settings, now).model_dump(mode="json", by_alias=True)
    session.commit()
    assert body["reports"] == {"due": 5, "ran": 3, "failed": 2}
    session.expire_all()
    s = {r.id: r for r in session.scalars(select(ReportSchedule))}
    # 2026-06-15 is a Monday; 08:00 CEST today (06:00Z) has passed, so next Monday
    assert s["acme-weekly"].next_run_at == datetime(2026, 6, 22, 6, 0, tzinfo=UTC)
    assert s["acme-hourly"].next_run_at == datetime(2026, 6, 15, 13, 0, tzinfo=UTC)
    assert s["acme-at-now"].next_run_at == datetime(2026, 6, 15, 12, 30, tzinfo=UTC)
    for sid in ("acme-weekly", "acme-hourly", "acme-at-now"):
        assert s[sid].last_run_at == now and s[sid].last_status == "queued"
    for sid in ("acme-bad", "acme-bad-tz"):
        assert s[sid].next_run_at is None and s[sid].last_status == "invalid_schedule"
    assert s["acme-later"].last_run_at is None and s["acme-off"].last_run_at is None
    runs = {r.schedule_id: r for r in session.scalars(select(ReportRun))}
    assert set(runs) == {"acme-weekly", "acme-hourly", "acme-at-now"}
    assert (
        runs["acme-hourly"].scheduled_for == now - timedelta(days=3)
        and runs["acme-hourly"].status == "queued"
    )

    again = tick.run(session, settings, now).model_dump(by_alias=True)
    assert again["reports"] == {"due": 0, "ran": 0, "failed": 0}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pure logic/HTTP wiring: SQLite is enough
def test_report_next_run_across_dst_in_time_zone(session, settings):
    # daily 09:00 New York; ticking just after the 2026-03-08 run: next is 09:00 EDT (13:00Z), not 14:00Z
    tick_at = datetime(2026, 3, 7, 14, 0, 30, tzinfo=UTC)
    session.add(Tenant(id="acme", name="acme"))
    session.add(
        ReportSchedule(
            id="ny",
            tenant_id="acme",
            template_id="t",
            name="ny",
            cron_expression="0 9 * * *",
            timezone="America/New_York",
            next_run_at=datetime(2026, 3, 7, 14, 0, tzinfo=UTC),
        )
    )
    session.commit()
    tick.run(session, settings, tick_at)
    session.commit()
    session.expire_all()
    assert session.get(ReportSchedule, "ny").next_run_at == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)


def test_one_tenant_failing_does_not_stop_the_others(session, settings, now, monkeypatch):
    for t in ("t1", "t2", "t3", "t4"):
        _seed_alerts(session, now, t)
        _seed_reports(session, now, t)
    # t2 has a rule with a metric the tick does not know: only that rule fails (savepoint)
    session.add(_rule("t2-bad", "happiness", "gt", 1.0, "t2"))
    session.commit()
    real = tick._run_report

    def flaky(s, sched, n):  # t4 fails as a whole, mid-way through its report schedules
        if sched.id == "t4-weekly":
            raise RuntimeError("report store unavailable")
        return real(s, sched, n)

    monkeypatch.setattr(tick, "_run_report", flaky)
    body = tick.run(session, settings, now).model_dump(mode="json", by_alias=True)
    session.commit()
    assert body["ok"] is False and body["tenants"] == 4
    assert body["errors"] == [
        {"tenantId": "t4", "error": "RuntimeError: report store unavailable"},
        {
            "tenantId": "t2",
            "error": "alert rule t2-bad: ValueError: alert_rules.metric 'happiness' is not one of "
            "acceptance_rate, ctr, revenue, selection_frequency, latency_p99, "
            "degraded_scoring_rate",
        },
    ]
    assert body["alerts"] == {"evaluated": 22, "fired": 15}  # t1, t2 (7 + the bad one), t3
    assert body["reports"] == {"due": 15, "ran": 9, "failed": 6}
    session.expire_all()
    assert session.get(ReportSchedule, "t2-weekly").last_run_at == now  # t2's other work went on
    assert session.get(AlertRule, "t2-p99").last_fired_at == now
    assert session.get(AlertRule, "t2-bad").last_fired_at is None
    assert session.get(ReportSchedule, "t4-hourly").last_run_at is None  # t4 rolled back as a whole
    assert session.get(AlertRule, "t4-p99").last_fired_at is None
    assert session.scalars(select(Notification).where(Notification.tenant_id == "t4")).all() == []
    assert session.get(ReportSchedule, "t1-weekly").last_run_at == now


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_legacy_tick_over_http(session, settings, now):
    _seed_alerts(session, now)
    _seed_reports(session, now)
    client = TestClient(create_app(settings, clock=lambda: now))
    resp = client.post("/api/cron/tick", headers={"x-cron-token": TOKEN})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert {k: body[k] for k in ("ok", "tenants", "alerts", "reports")} == {
        "ok": True,
        "tenants": 1,
        "alerts": {"evaluated": 7, "fired": 5},
        "reports": {"due": 5, "ran": 3, "failed": 2},
    }
