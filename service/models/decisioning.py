"""Per-customer decisioning data: decision traces, interaction history and what is derived from it
(summaries, engagement health), suppressions. The retention jobs delete from these tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, BigId, utcnow


class DecisionTrace(Base):
    __tablename__ = "decision_traces"
    __table_args__ = (Index("ix_decision_traces_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decision_flow_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    top_offer_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    candidate_count: Mapped[int] = mapped_column(Integer, default=0)
    final_count: Mapped[int] = mapped_column(Integer, default=0)
    total_latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    degraded_scoring: Mapped[bool] = mapped_column(Boolean, default=False)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InteractionHistory(Base):
    __tablename__ = "interaction_history"
    __table_args__ = (
        # export keyset (created_at, id) and retention by created_at
        Index("ix_interaction_history_tenant_created_id", "tenant_id", "created_at", "id"),
        # engagement health / alert metrics by event time
        Index("ix_interaction_history_tenant_occurred", "tenant_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    offer_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    creative_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    channel_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # impression | click | dismiss | convert | accept
    interaction_type: Mapped[str] = mapped_column(String(32))
    outcome_type_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    direction: Mapped[str] = mapped_column(String(16), default="outbound")
    conversion_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InteractionSummary(Base):
    __tablename__ = "interaction_summaries"
    __table_args__ = (
        Index("ix_interaction_summaries_tenant_period", "tenant_id", "period_type", "period_start"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    offer_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    period_type: Mapped[str] = mapped_column(String(16))  # daily | weekly | monthly | alltime
    period_key: Mapped[str] = mapped_column(String(16))  # e.g. 2026-04-30
    period_start: Mapped[datetime] = mapped_column()
    impressions: Mapped[int] = mapped_column(Integer, default=0)
    positive: Mapped[int] = mapped_column(Integer, default=0)
    negative: Mapped[int] = mapped_column(Integer, default=0)
    neutral: Mapped[int] = mapped_column(Integer, default=0)
    converts: Mapped[int] = mapped_column(Integer, default=0)
    total_value: Mapped[float] = mapped_column(Float, default=0.0)
    last_contact_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Suppression(Base):
    __tablename__ = "suppressions"
    __table_args__ = (Index("ix_suppressions_tenant_expires", "tenant_id", "expires_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    scope: Mapped[str] = mapped_column(String(16), default="global")  # global | offer | category
    scope_id: Mapped[str] = mapped_column(String(128), default="all")
    policy_type: Mapped[str] = mapped_column(String(32), default="cooldown")
    reason: Mapped[str | None] = mapped_column(String(400), nullable=True)
    trigger_count: Mapped[int] = mapped_column(Integer, default=1)
    expires_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EngagementHealth(Base):
    """One row per (tenant, offer, window); re-runs upsert, never duplicate."""

    __tablename__ = "engagement_health"
    __table_args__ = (
        UniqueConstraint("tenant_id", "offer_id", "window_days", name="uq_engagement_health_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    offer_id: Mapped[str] = mapped_column(String(128))
    window_days: Mapped[int] = mapped_column(Integer)  # 7 | 30
    impressions: Mapped[int] = mapped_column(Integer, default=0)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    converts: Mapped[int] = mapped_column(Integer, default=0)
    dismissals: Mapped[int] = mapped_column(Integer, default=0)
    ctr: Mapped[float | None] = mapped_column(Float, nullable=True)
    conversion_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    prev_ctr: Mapped[float | None] = mapped_column(Float, nullable=True)
    prev_conversion_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    ctr_change: Mapped[float | None] = mapped_column(Float, nullable=True)
    conversion_rate_change: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # healthy | watch | at-risk
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
