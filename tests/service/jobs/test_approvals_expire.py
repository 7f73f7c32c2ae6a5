"""approvals-expire: pending past expiry -> expired + one audit row each (SQLite + PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.app import create_app
from service.jobs import approvals_expire
from service.models.audit import AuditLog
from service.models.governance import Approval

SECRET = "test-cron-secret-0123456789abcdef"


def _seed(session, now, tenant="acme"):
    rows = {
        "past": Approval(
            id=f"{tenant}-past",
            tenant_id=tenant,
            entity_type="offer",
            entity_id="o1",
            entity_name="Offer 1",
            action="update",
            expires_at=now - timedelta(minutes=1),
        ),
        "way-past": Approval(
            id=f"{tenant}-way-past",
            tenant_id=tenant,
            entity_type="offer",
            entity_id="o2",
            action="delete",
            expires_at=now - timedelta(days=30),
        ),
        "at-now": Approval(
            id=f"{tenant}-at-now",
            tenant_id=tenant,
            entity_type="offer",
            entity_id="o3",
            action="create",
            expires_at=now,
        ),
        "future": Approval(
            id=f"{tenant}-future",
            tenant_id=tenant,
            entity_type="offer",
            entity_id="o4",
            action="create",
            expires_at=now + timedelta(seconds=1),
        ),
        "no-expiry": Approval(
            id=f"{tenant}-no-expiry",
            tenant_id=tenant,
            entity_type="offer",
            entity_id="o5",
            action="create",
            expires_at=None,
        ),
        "approved": Approval(
            id=f"{tenant}-approved",
            tenant_id=tenant,
            entity_type="offer",
            entity_id="o6",
            action="update",
            status="approved",
            decided_at=now - timedelta(days=2),
            expires_at=now - timedelta(days=1),
        ),
        "rejected": Approval(
            id=f"{tenant}-rejected",
            tenant_id=tenant,
            entity_type="offer",
            entity_id="o7",
            action="update",
            status="rejected",
            expires_at=now - timedelta(days=1),
        ),
    }
    session.add_all(rows.values())
    session.commit()


def _statuses(session):
    return {a.id: (a.status, a.decided_at) for a in session.scalars(select(Approval))}


def test_expires_only_pending_past_expiry_with_audit_rows(session, settings, now):
    _seed(session, now)
    body = approvals_expire.run(session, settings, now).model_dump(mode="json", by_alias=True)
    session.commit()
    assert body == {"ok": True, "expired": 2, "tenants": 1, "errors": []}
    session.expire_all()
    st = _statuses(session)
    assert st["acme-past"] == ("expired", now) and st["acme-way-past"] == ("expired", now)
    assert st["acme-at-now"][0] == "pending" and st["acme-future"][0] == "pending"
    assert st["acme-no-expiry"][0] == "pending"
    assert (
        st["acme-approved"] == ("approved", now - timedelta(days=2)) and st["acme-rejected"][0] == "rejected"
    )
    audits = session.scalars(
        select(AuditLog).where(AuditLog.action == "approval_expired").order_by(AuditLog.entity_id)
    ).all()
    assert [(a.tenant_id, a.entity_type, a.entity_id) for a in audits] == [
        ("acme", "approval", "acme-past"),
        ("acme", "approval", "acme-way-past"),
    ]
    assert audits[0].changes["status"] == {"from": "pending", "to": "expired"}
    assert audits[0].changes["entityType"] == "offer" and audits[0].changes["entityId"] == "o1"
    assert audits[0].user_id == "system:cron"

    again = approvals_expire.run(session, settings, now).model_dump(mode="json", by_alias=True)
    assert again == {"ok": True, "expired": 0, "tenants": 0, "errors": []}
    assert len(session.scalars(select(AuditLog).where(AuditLog.action == "approval_expired")).all()) == 2


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pure logic/HTTP wiring: SQLite is enough
def test_expiry_boundary_moves_with_the_clock(session, settings, now):
    _seed(session, now)
    later = now + timedelta(seconds=1)  # at-now is past; future (now + 1 s) is exactly at expiry: kept
    body = approvals_expire.run(session, settings, later).model_dump(by_alias=True)
    session.commit()
    assert body["expired"] == 3
    assert _statuses(session)["acme-future"][0] == "pending"


def test_one_tenant_failing_does_not_stop_the_others(session, settings, now, monkeypatch):
    for t in ("t1", "t2", "t3"):
        _seed(session, now, tenant=t)
    real = approvals_expire._expire_tenant

    def flaky(s, tenant_id, n):
        if tenant_id == "t2":
            real(s, tenant_id, n)  # does its writes, then fails: they must be rolled back
            raise RuntimeError("audit store unavailable")
        return real(s, tenant_id, n)

    monkeypatch.setattr(approvals_expire, "_expire_tenant", flaky)
    body = approvals_expire.run(session, settings, now).model_dump(mode="json", by_alias=True)
    session.commit()
    assert body == {
        "ok": False,
        "expired": 4,
        "tenants": 3,
        "errors": [{"tenantId": "t2", "error": "RuntimeError: audit store unavailable"}],
    }
    session.expire_all()
    st = _statuses(session)
    assert st["t1-past"][0] == "expired" and st["t3-past"][0] == "expired"
    assert st["t2-past"][0] == "pending"  # rolled back with its audit rows
    assert session.scalars(select(AuditLog).where(AuditLog.tenant_id == "t2")).all() == []


def test_a_concurrently_decided_approval_is_not_overwritten(
    session, settings, now, monkeypatch, session_factory
):
    _seed(session, now)
    real_update = approvals_expire.update

    def approve_first(*a, **kw):  # someone approves "acme-past" between the read and the guarded update
        with session_factory() as other:
            other.get(Approval, "acme-past").status = "approved"
            other.commit()
        return real_update(*a, **kw)

    monkeypatch.setattr(approvals_expire, "update", approve_first)
    body = approvals_expire.run(session, settings, now).model_dump(by_alias=True)
    session.commit()
    session.expire_all()
    assert body["expired"] == 1
    assert _statuses(session)["acme-past"][0] == "approved"
    assert [a.entity_id for a in session.scalars(select(AuditLog))] == ["acme-way-past"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # pure logic/HTTP wiring: SQLite is enough
def test_approvals_expire_over_http(session, settings, now):
    _seed(session, now)
    client = TestClient(create_app(settings, clock=lambda: now))
    resp = client.post("/api/v1/cron/approvals-expire", headers={"Authorization": f"Bearer {SECRET}"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["ok"] is True and resp.json()["expired"] == 2
