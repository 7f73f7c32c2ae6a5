"""Governance: change approvals (approvals-expire) and GitOps state (gitops-drift-check: the live
resources, the last applied specs, the drift last recorded).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, BigId, new_id, utcnow


class Approval(Base):
    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_status_expires", "status", "expires_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=lambda: new_id("apr"))
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(128))
    entity_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    action: Mapped[str] = mapped_column(String(16))  # create | update | delete
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|approved|rejected|expired
    requester_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    requester_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


GITOPS_RESOURCE_TYPES = ("arbitration_profile", "contact_policy", "qualification_rule", "offer")


class GitopsLiveResource(Base):
    __tablename__ = "gitops_live_resources"
    __table_args__ = (
        UniqueConstraint("tenant_id", "resource_type", "resource_key", name="uq_gitops_live_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    resource_type: Mapped[str] = mapped_column(String(40))
    resource_key: Mapped[str] = mapped_column(String(200))
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class GitopsLastApplied(Base):
    __tablename__ = "gitops_last_applied"
    __table_args__ = (
        UniqueConstraint("tenant_id", "resource_type", "resource_key", name="uq_gitops_applied_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    resource_type: Mapped[str] = mapped_column(String(40))
    resource_key: Mapped[str] = mapped_column(String(200))
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


class GitopsDriftState(Base):
    """The drift last recorded per resource, so unchanged drift is not re-recorded nightly."""

    __tablename__ = "gitops_drift_state"
    __table_args__ = (
        UniqueConstraint("tenant_id", "resource_type", "resource_key", name="uq_gitops_drift_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    resource_type: Mapped[str] = mapped_column(String(40))
    resource_key: Mapped[str] = mapped_column(String(200))
    drift_kind: Mapped[str] = mapped_column(String(32))  # added_in_prod | removed_in_prod | modified_in_prod
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the canonical drift
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
