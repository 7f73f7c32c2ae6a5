"""Tenants and their retention: per tenant and data class, the days kept and the legal hold."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, new_id, utcnow

# Retention data classes (retention_configs.data_class).
DATA_CLASS_INTERACTIONS = "interactions"  # interaction_history
DATA_CLASS_DECISION_TRACES = "decision_traces"
DATA_CLASS_AI_ATTACHMENTS = "ai_attachments"
DATA_CLASS_SUMMARIES = "summaries"  # interaction_summaries
DATA_CLASS_SUPPRESSIONS = "suppressions"
DATA_CLASSES = (
    DATA_CLASS_INTERACTIONS,
    DATA_CLASS_DECISION_TRACES,
    DATA_CLASS_AI_ATTACHMENTS,
    DATA_CLASS_SUMMARIES,
    DATA_CLASS_SUPPRESSIONS,
)


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    interaction_history_retention_days: Mapped[int] = mapped_column(Integer, default=730)
    summary_retention_days: Mapped[int] = mapped_column(Integer, default=2555)
    decision_trace_retention_days: Mapped[int] = mapped_column(Integer, default=365)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RetentionConfig(Base):
    """Per-tenant, per-data-class retention with legal hold (a held class is never deleted)."""

    __tablename__ = "retention_configs"
    __table_args__ = (UniqueConstraint("tenant_id", "data_class", name="uq_retention_tenant_class"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=lambda: new_id("rc"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    data_class: Mapped[str] = mapped_column(String(40))
    retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(400), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
