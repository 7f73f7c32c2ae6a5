"""The audit log, and siem-ship's ledger over it per back end: cursor, pending id ranges, dead letters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, BigId, utcnow


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_created_id", "created_at", "id"),
        Index("ix_audit_log_tenant_created", "tenant_id", "created_at"),
        Index("ix_audit_log_action_entity", "action", "entity_type", "entity_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None = system-wide
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    entity_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    entity_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    user_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    user_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SiemCursor(Base):
    """Per back end: every audit row with ``id <= high_id`` was acknowledged, dead-lettered, or is
    covered by a :class:`SiemPending` range. Rows with ``id <= floor_id`` and ``created_at <=
    floor_at`` predate the cursor (first run: ``now - 300 s``) and are never shipped by it."""

    __tablename__ = "siem_cursors"

    backend: Mapped[str] = mapped_column(String(32), primary_key=True)
    high_id: Mapped[int] = mapped_column(BigInteger)
    floor_id: Mapped[int] = mapped_column(BigInteger)
    floor_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SiemPending(Base):
    """Audit ids at or below the cursor still owed to the SIEM: holes (ids not visible when the
    cursor passed them: rolled back, or a transaction still open) and rows that failed to deliver.
    ``fence_xid``: PostgreSQL's next transaction id when the range was recorded (a hole may be given
    up only once every transaction older than it has ended)."""

    __tablename__ = "siem_pending"

    backend: Mapped[str] = mapped_column(String(32), primary_key=True)
    lo: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hi: Mapped[int] = mapped_column(BigInteger)
    first_seen_at: Mapped[datetime] = mapped_column()
    fence_xid: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class SiemDeadLetter(Base):
    """An audit row the SIEM can never accept (too large, or rejected alone while others passed)."""

    __tablename__ = "siem_dead_letters"
    __table_args__ = (UniqueConstraint("backend", "audit_id", name="uq_siem_dead_letters_backend_audit"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    backend: Mapped[str] = mapped_column(String(32))
    audit_id: Mapped[int] = mapped_column(BigInteger)
    audit_created_at: Mapped[datetime] = mapped_column()
    size_bytes: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    dead_at: Mapped[datetime] = mapped_column(default=utcnow)
