"""/api/v1/cron/approvals-expire (``*/15 * * * *``) — pending approvals past their expiry.

An approval with ``status = 'pending'`` and ``expires_at < now`` (an expiry exactly at ``now`` is
not yet expired; no ``expires_at`` never expires) becomes ``expired`` with ``decided_at = now``, and
gets one ``audit_log`` row: action ``approval_expired``, entity ``approval`` / the approval id,
``changes = {"status": {"from": "pending", "to": "expired"}, "expiresAt", "entityType",
"entityId", "action"}``, user ``system:cron``.

The status change is a guarded ``UPDATE ... WHERE status = 'pending' AND expires_at < now``, so an
approval decided by a person between the read and the write is never overwritten. Tenants are
processed one at a time, each in its own transaction (in chunks of 1000); one tenant's failure is
reported in ``errors`` and the others continue.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.config import Settings
from service.jobs._result import JobResult
from service.jobs._tenant_loop import TenantError, for_each_tenant
from service.models.audit import AuditLog
from service.models.governance import Approval

ROUTE = "approvals-expire"
AUDIT_ACTION = "approval_expired"
_CHUNK = 1000


class ApprovalsExpireResult(JobResult):
    ok: bool = True
    expired: int = 0
    tenants: int = 0
    errors: list[TenantError] = Field(default_factory=list)

    @property
    def rows_affected(self) -> int:
        return self.expired


def _expire_tenant(session: Session, tenant_id: str | None, now: datetime) -> int:
    pending = session.execute(
        select(
            Approval.id,
            Approval.entity_type,
            Approval.entity_id,
            Approval.entity_name,
            Approval.action,
            Approval.expires_at,
        )
        .where(Approval.tenant_id == tenant_id, Approval.status == "pending", Approval.expires_at < now)
        .order_by(Approval.id)
    ).all()
    expired = 0
    for start in range(0, len(pending), _CHUNK):
        chunk = {row.id: row for row in pending[start : start + _CHUNK]}
        changed = (
            session.execute(
                update(Approval)
                .where(Approval.id.in_(list(chunk)), Approval.status == "pending", Approval.expires_at < now)
                .values(status="expired", decided_at=now)
                .returning(Approval.id)
                .execution_options(synchronize_session=False)
            )
            .scalars()
            .all()
        )
        for approval_id in sorted(changed):
            row = chunk[approval_id]
            session.add(
                AuditLog(
                    tenant_id=tenant_id,
                    action=AUDIT_ACTION,
                    entity_type="approval",
                    entity_id=approval_id,
                    entity_name=row.entity_name,
                    changes={
                        "status": {"from": "pending", "to": "expired"},
                        "expiresAt": row.expires_at.isoformat() if row.expires_at else None,
                        "entityType": row.entity_type,
                        "entityId": row.entity_id,
                        "action": row.action,
                    },
                    user_id="system:cron",
                    user_name="cron",
                    created_at=now,
                )
            )
        expired += len(changed)
    return expired


def run(session: Session, settings: Settings, now: datetime) -> ApprovalsExpireResult:
    tenants = list(
        session.scalars(
            select(Approval.tenant_id)
            .where(Approval.status == "pending", Approval.expires_at < now)
            .distinct()
            .order_by(Approval.tenant_id)
        )
    )
    done, errors = for_each_tenant(session, tenants, lambda tid: _expire_tenant(session, tid, now), job=ROUTE)
    return ApprovalsExpireResult(
        ok=not errors, expired=sum(done.values()), tenants=len(tenants), errors=errors
    )


def demo(session: Session, tenants: Sequence[Any], now: datetime, rng: random.Random) -> None:
    """A few approvals past their expiry, one still open and one already approved."""
    for t in tenants:
        tid = getattr(t, "id", t)
        for i in range(rng.randint(2, 4)):
            session.add(
                Approval(
                    tenant_id=tid,
                    entity_type="offer",
                    entity_id=f"offer-{i}",
                    entity_name=f"Demo offer {i}",
                    action="update",
                    status="pending",
                    requester_id="user-demo",
                    requester_name="Demo User",
                    payload={"field": "priority", "to": i},
                    expires_at=now - timedelta(hours=rng.randint(1, 72)),
                    created_at=now - timedelta(days=5),
                )
            )
        session.add(
            Approval(
                tenant_id=tid,
                entity_type="contact_policy",
                entity_id="cp-open",
                action="create",
                status="pending",
                expires_at=now + timedelta(days=2),
                created_at=now - timedelta(hours=1),
            )
        )
        session.add(
            Approval(
                tenant_id=tid,
                entity_type="offer",
                entity_id="offer-done",
                action="delete",
                status="approved",
                expires_at=now - timedelta(days=1),
                decided_at=now - timedelta(days=2),
                created_at=now - timedelta(days=3),
            )
        )
    session.flush()
