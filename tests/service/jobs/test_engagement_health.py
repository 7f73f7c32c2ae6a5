"""engagement-health-recompute: counts, rates, change, status, upsert (SQLite + PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select

from service.app import create_app
from service.config import Settings
from service.jobs import engagement_health as eh
from service.models.decisioning import EngagementHealth, InteractionHistory
from service.models.tenants import Tenant

SECRET = "test-cron-secret-0123456789abcdef"


def _events(tenant, offer, now, days_ago, counts):
    ts = now - timedelta(days=days_ago)
    return [
        {
            "tenant_id": tenant,
            "customer_id": f"c{i}",
            "offer_id": offer,
            "interaction_type": kind,
            "occurred_at": ts,
            "created_at": ts,
            "direction": "outbound",
            "context": {},
        }
        for kind, n in counts.items()
        for i in range(n)
    ]


def _seed(session, now, tenant="acme"):
    session.add(Tenant(id=tenant, name=tenant))
    rows = []
    # "steady": 200 impressions each week, 20 clicks + 4 converts -> CTR 0.12, CR 0.02 both weeks
    for d in (1, 8):
        rows += _events(
            tenant, "steady", now, d, {"impression": 200, "click": 20, "convert": 4, "dismiss": 3}
        )
    # "fading": CTR 0.125 -> 0.05 (drop 0.6 -> at-risk)
    rows += _events(tenant, "fading", now, 2, {"impression": 200, "click": 10})
    rows += _events(tenant, "fading", now, 9, {"impression": 200, "click": 25})
    # "softer": CTR 0.125 -> 0.09 (drop 0.28 -> watch)
    rows += _events(tenant, "softer", now, 3, {"impression": 200, "click": 18})
    rows += _events(tenant, "softer", now, 10, {"impression": 200, "click": 25})
    # "tiny": halved, but below the 100-impression minimum -> healthy
    rows += _events(tenant, "tiny", now, 1, {"impression": 50, "click": 1})
    rows += _events(tenant, "tiny", now, 8, {"impression": 50, "click": 10})
    # window edges: exactly 7 days ago belongs to the previous 7-day window; exactly now to the current;
    # an event in the future and one older than 60 days are ignored
    rows += _events(tenant, "edges", now, 7, {"impression": 1})
    rows += _events(tenant, "edges", now, 0, {"click": 1})
    rows += _events(tenant, "edges", now, -1, {"impression": 5})
    rows += _events(tenant, "edges", now, 61, {"impression": 5})
    rows.append(
        {
            "tenant_id": tenant,
            "customer_id": "x",
            "offer_id": None,
            "interaction_type": "impression",
            "occurred_at": now - timedelta(days=1),
            "created_at": now,
            "direction": "outbound",
            "context": {},
        }
    )
    session.execute(InteractionHistory.__table__.insert(), rows)
    session.commit()


def _rows(session, tenant="acme"):
    session.expire_all()
    return {
        (r.offer_id, r.window_days): r
        for r in session.scalars(select(EngagementHealth).where(EngagementHealth.tenant_id == tenant))
    }


def _snapshot(session):
    return sorted(
        (
            r.id,
            r.tenant_id,
            r.offer_id,
            r.window_days,
            r.impressions,
            r.clicks,
            r.converts,
            r.dismissals,
            r.ctr,
            r.conversion_rate,
            r.prev_ctr,
            r.ctr_change,
            r.status,
            r.computed_at,
        )
        for r in session.scalars(select(EngagementHealth))
    )


def test_recompute_scores_offers_and_rerun_replaces(session, settings, now):
    _seed(session, now)
    body = eh.run(session, settings, now).model_dump(mode="json", by_alias=True)
    session.commit()
    assert body == {"ok": True, "tenants": 1, "offersScored": 5, "atRisk": 1, "watch": 1, "errors": []}
    rows = _rows(session)
    assert len(rows) == 10
    s7 = rows[("steady", 7)]
    assert (s7.impressions, s7.clicks, s7.converts, s7.dismissals) == (
        200,
        24,
        4,
        3,
    )  # clicks = click + convert
    assert s7.ctr == pytest.approx(0.12) and s7.conversion_rate == pytest.approx(0.02)
    assert (
        s7.prev_ctr == pytest.approx(0.12) and s7.ctr_change == pytest.approx(0.0) and s7.status == "healthy"
    )
    f7 = rows[("fading", 7)]
    assert f7.ctr == pytest.approx(0.05) and f7.prev_ctr == pytest.approx(0.125)
    assert f7.ctr_change == pytest.approx(-0.6) and f7.status == "at-risk"
    assert f7.conversion_rate == 0 and f7.conversion_rate_change is None  # previous CR 0: no relative change
    assert rows[("softer", 7)].status == "watch" and rows[("softer", 7)].ctr_change == pytest.approx(-0.28)
    assert rows[("tiny", 7)].status == "healthy" and rows[("tiny", 7)].ctr_change == pytest.approx(-0.9)
    # 30-day window: both weeks in the current window, nothing before -> no previous, healthy
    f30 = rows[("fading", 30)]
    assert (f30.impressions, f30.clicks, f30.prev_ctr, f30.ctr_change, f30.status) == (
        400,
        35,
        None,
        None,
        "healthy",
    )
    e7, e30 = rows[("edges", 7)], rows[("edges", 30)]
    assert (e7.impressions, e7.clicks, e7.ctr) == (0, 1, None)
    assert e7.prev_ctr == 0.0  # the impression exactly 7 days ago is in the previous window
    assert (e30.impressions, e30.clicks) == (1, 1)
    assert all(r.computed_at == now for r in rows.values())

    first = _snapshot(session)
    again = eh.run(session, settings, now).model_dump(mode="json", by_alias=True)
    session.commit()
    assert again == body
    assert _snapshot(session) == first  # identical rows, same ids, no duplicates


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pure logic/HTTP wiring: SQLite is enough
def test_rows_of_offers_without_recent_activity_are_removed(session, settings, now):
    _seed(session, now)
    eh.run(session, settings, now)
    session.commit()
    much_later = now + timedelta(days=20)  # "tiny"/"steady"... all > 7 days old; all still within 60 days
    body = eh.run(session, settings, much_later).model_dump(by_alias=True)
    session.commit()
    assert body["offersScored"] == 5
    body = eh.run(session, settings, now + timedelta(days=70)).model_dump(by_alias=True)
    session.commit()
    assert body["offersScored"] == 0 and _rows(session) == {}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pure logic/HTTP wiring: SQLite is enough
def test_thresholds_are_configurable(session, settings, now):
    _seed(session, now)
    strict = settings.model_copy(
        update={
            "engagement_min_impressions": 10,
            "engagement_watch_drop": 0.1,
            "engagement_at_risk_drop": 0.25,
        }
    )
    eh.run(session, strict, now)
    session.commit()
    rows = _rows(session)
    assert rows[("tiny", 7)].status == "at-risk"  # 50 impressions now count as evidence
    assert rows[("softer", 7)].status == "at-risk"  # drop 0.28 >= 0.25


def test_one_tenant_failing_does_not_stop_the_others(session, settings, now, monkeypatch):
    for t in ("t1", "t2", "t3"):
        _seed(session, now, tenant=t)
    real = eh._counts

    def flaky(s, tenant_id, n):
        if tenant_id == "t2":
            raise RuntimeError("statement timeout")
        return real(s, tenant_id, n)

    monkeypatch.setattr(eh, "_counts", flaky)
    body = eh.run(session, settings, now).model_dump(mode="json", by_alias=True)
    session.commit()
    assert body["ok"] is False and body["tenants"] == 3 and body["offersScored"] == 10
    assert body["errors"] == [{"tenantId": "t2", "error": "RuntimeError: statement timeout"}]
    assert len(_rows(session, "t1")) == 10 and _rows(session, "t2") == {} and len(_rows(session, "t3")) == 10


_SETTINGS = Settings(_env_file=None)


@hsettings(max_examples=200, deadline=None)
@given(
    cur=st.integers(0, 500),
    prev=st.integers(0, 500),
    ctr_change=st.one_of(st.none(), st.floats(-1, 3)),
    cr_change=st.one_of(st.none(), st.floats(-1, 3)),
)
def test_classify_matches_the_documented_rule(cur, prev, ctr_change, cr_change):
    status = eh.classify(cur, prev, ctr_change, cr_change, _SETTINGS)
    if cur < 100 or prev < 100:
        assert status == "healthy"
        return
    drop = max([-c for c in (ctr_change, cr_change) if c is not None], default=0.0)
    assert status == ("at-risk" if drop >= 0.5 else "watch" if drop >= 0.2 else "healthy")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_engagement_health_over_http(session, settings, now):
    _seed(session, now)
    client = TestClient(create_app(settings, clock=lambda: now))
    resp = client.post(
        "/api/v1/cron/engagement-health-recompute", headers={"Authorization": f"Bearer {SECRET}"}
    )
    assert resp.status_code == 200, resp.text
    assert {k: resp.json()[k] for k in ("ok", "tenants", "offersScored")} == {
        "ok": True,
        "tenants": 1,
        "offersScored": 5,
    }
