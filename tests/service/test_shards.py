"""Sharded cron runs (?shard=i&shards=n): N concurrent calls against the real app cover every tenant once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select

from service import lease as leases
from service import shards
from service.app import create_app
from service.models.audit import AuditLog
from service.models.decisioning import DecisionTrace
from service.models.tenants import DATA_CLASS_DECISION_TRACES, RetentionConfig, Tenant

TENANTS = [f"tenant-{i:02d}" for i in range(23)]


@hsettings(max_examples=40, deadline=None)
@given(ids=st.lists(st.text(min_size=1, max_size=20), unique=True, max_size=30), n=st.integers(1, 9))
def test_shards_partition_any_tenant_list(ids, n):
    parts = []
    for i in range(n):
        token = shards.activate(shards.Shard(i, n))
        try:
            parts.append(shards.mine(ids))
        finally:
            shards.deactivate(token)
    assert sorted(t for p in parts for t in p) == sorted(ids)  # every tenant exactly once
    assert shards.mine(ids) == ids  # outside a sharded run: all of them
    assert all(shards.shard_of(t, n) == shards.shard_of(t, n) for t in ids)


def test_shard_of_is_a_fixed_function():
    # sha256("tenant-00") starts with these bytes on every machine and process (no hash() seed)
    assert [shards.shard_of(t, 4) for t in TENANTS[:6]] == [shards.shard_of(t, 4) for t in TENANTS[:6]]
    assert shards.shard_of("acme", 1) == 0
    assert (
        shards.shard_of("acme", 1000)
        == int.from_bytes(__import__("hashlib").sha256(b"acme").digest()[:8]) % 1000
    )


def _seed(session, now):
    for tid in TENANTS:
        session.add(Tenant(id=tid, name=tid, active=True))
        session.flush()
        session.add(
            RetentionConfig(
                tenant_id=tid, data_class=DATA_CLASS_DECISION_TRACES, retention_days=30, legal_hold=False
            )
        )
    rows = [
        {"tenant_id": tid, "customer_id": "c", "created_at": now - timedelta(days=d)}
        for tid in TENANTS
        for d in (1, 40, 41, 400)
    ]
    session.execute(insert(DecisionTrace), rows)
    session.commit()


def _client(settings, now):
    return TestClient(create_app(settings, clock=lambda: now)), {
        "Authorization": f"Bearer {settings.cron_secret.get_secret_value()}"
    }


@pytest.mark.parametrize("n", [1, 3])
def test_concurrent_shard_calls_cover_every_tenant_exactly_once(session, settings, now, n):
    _seed(session, now)
    client, auth = _client(settings, now)
    bodies: dict[int, dict] = {}
    barrier = threading.Barrier(n)

    def call(i):
        barrier.wait()
        resp = client.post(f"/api/v1/cron/dsar-purge?shard={i}&shards={n}", headers=auth)
        assert resp.status_code == 200, resp.text
        bodies[i] = resp.json()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(bodies) == list(range(n))
    seen = []
    for i, body in bodies.items():
        assert "skipped" not in body and body["ok"] is True and (body["shard"], body["shards"]) == (i, n)
        ids = [t["tenantId"] for t in body["perTenant"]]
        assert all(shards.shard_of(t, n) == i for t in ids)
        assert body["tenantsScanned"] == len(ids)
        seen += ids
        assert all(t["decisionTraces"] == 3 for t in body["perTenant"])
    assert sorted(seen) == TENANTS  # every tenant once, by exactly one shard
    session.commit()
    assert session.scalar(select(func.count()).select_from(DecisionTrace)) == len(TENANTS)
    audited = session.scalars(select(AuditLog.tenant_id).where(AuditLog.action == "dsar_purge")).all()
    assert sorted(audited) == TENANTS


def test_each_shard_has_its_own_lease(session, settings, now):
    _seed(session, now)
    client, auth = _client(settings, now)
    held = leases.try_acquire(session.get_bind(), "cleanup#0/2", "someone-else", now, 600, owner="other-pod")
    assert held is not None
    busy = client.post("/api/v1/cron/cleanup?shard=0&shards=2", headers=auth).json()
    assert busy.get("skipped") == "already running" and (busy["shard"], busy["shards"]) == (0, 2)
    other = client.post("/api/v1/cron/cleanup?shard=1&shards=2", headers=auth).json()
    assert "skipped" not in other and other["ok"] is True
    assert other["tenants"] == sum(1 for t in TENANTS if shards.shard_of(t, 2) == 1)
    whole = client.post("/api/v1/cron/cleanup", headers=auth).json()  # unsharded: every tenant
    assert whole["tenants"] == len(TENANTS) and "shard" not in whole


@pytest.mark.parametrize(
    "query, words",
    [
        ("shard=0", "go together"),
        ("shards=2", "go together"),
        ("shard=2&shards=2", "below shards"),
        ("shard=0&shards=0", "between 1 and 1000"),
        ("shard=-1&shards=2", "non-negative integer"),
        ("shard=a&shards=2", "non-negative integer"),
        ("shard=0&shards=1001", "between 1 and 1000"),
    ],
)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_bad_shard_parameters_are_400_and_nothing_runs(session, settings, now, query, words):
    _seed(session, now)
    client, auth = _client(settings, now)
    resp = client.post(f"/api/v1/cron/dsar-purge?{query}", headers=auth)
    assert resp.status_code == 400, resp.text
    assert words in resp.json()["detail"] and resp.json()["ok"] is False
    assert session.scalar(select(func.count()).select_from(DecisionTrace)) == 4 * len(TENANTS)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_route_without_a_tenant_loop_refuses_shards(session, settings, now):
    client, auth = _client(settings, now)
    resp = client.post("/api/v1/cron/approvals-expire?shard=0&shards=2", headers=auth)
    assert resp.status_code == 400
    assert "approvals-expire cannot be sharded" in resp.json()["detail"]
