"""The data model the cron handlers touch (SQLAlchemy 2, SQLite and PostgreSQL).

High-volume tables (interaction history, decision traces, audit log, outbox) use integer ids so
keyset pagination on ``(created_at, id)`` and batched deletes stay index range scans. Entities use
short string ids. Every column a handler filters on is indexed.

All timestamps are timezone-aware UTC in Python. On SQLite they are stored as naive UTC (see
:class:`UTCDateTime`), so comparisons in SQL stay correct on both databases.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Integer primary keys: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JsonType = JSON().with_variant(JSONB(), "postgresql")

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


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    PostgreSQL: ``timestamptz``. SQLite has no time zones: values are converted to UTC and stored
    naive, and read back as UTC-aware, so ``WHERE created_at < :cutoff`` compares like with like.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass timezone-aware UTC datetimes")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JsonType, list[Any]: JsonType}


# --------------------------------------------------------------------------------------------------
# Tenants and retention
# --------------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------------
# Decisioning data
# --------------------------------------------------------------------------------------------------
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


class AiAttachment(Base):
    __tablename__ = "ai_attachments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sha256", name="uq_ai_attachments_tenant_sha"),
        Index("ix_ai_attachments_tenant_created", "tenant_id", "created_at"),
        Index("ix_ai_attachments_storage_key", "storage_key"),  # dsar-purge: is a blob still referenced?
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(512))  # relative to ATTACHMENT_STORAGE_URL
    filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BlobDeletion(Base):
    """A blob of ``ATTACHMENT_STORAGE_URL`` whose rows dsar-purge deleted, queued in the same transaction.

    The blob is deleted only after re-checking that no row references its key any more, then this
    row goes (:mod:`service.blob_deletions`); a run that crashed in between is finished by the next.
    """

    __tablename__ = "blob_deletions"

    blob_key: Mapped[str] = mapped_column(String(1024), primary_key=True)  # canonical key (storage.clean_key)
    tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # whose rows queued it
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------------------------------
# Audit, export
# --------------------------------------------------------------------------------------------------
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


class ExportCheckpoint(Base):
    """Keyset position of the interaction-history export per tenant: (last_created_at, last_id)."""

    __tablename__ = "export_checkpoints"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    last_created_at: Mapped[datetime] = mapped_column()
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default="ok")  # ok | failed
    # the object an in-flight batch is written to, recorded before the write (crash-safe re-run)
    pending_object: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    pending_last_created_at: Mapped[datetime | None] = mapped_column(nullable=True)
    pending_last_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    total_exported: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ExportObject(Base):
    """One object export-interactions wrote (recorded with its batch's ``pending_*``, before the write).

    dsar-purge and cleanup read it to purge exports past a tenant's cutoff without listing the store:
    an object whose ``newest_created_at`` is older is deleted, one straddling the cutoff is rewritten
    without the expired rows and its row is updated (:mod:`service.jobs._export_purge`).
    """

    __tablename__ = "export_objects"
    __table_args__ = (Index("ix_export_objects_tenant_oldest", "tenant_id", "oldest_created_at"),)

    object_key: Mapped[str] = mapped_column(String(1024), primary_key=True)  # key in EXPORT_STORAGE_URL
    tenant_id: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    oldest_created_at: Mapped[datetime] = mapped_column()
    newest_created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --------------------------------------------------------------------------------------------------
# Governance
# --------------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------------
# Pipelines (flow scheduler)
# --------------------------------------------------------------------------------------------------
class Pipeline(Base):
    __tablename__ = "pipelines"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=lambda: new_id("pl"))
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # ir.schedule: {"kind": "cron", "expression": "0 9 * * 1", "timezone": "UTC"} |
    #              {"kind": "interval", "minutes": 15} | {"kind": "rrule", "rrule": "...", "timezone": "UTC"}
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_run_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_run_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PipelineRun(Base):
    __tablename__ = "pipeline_runs"
    __table_args__ = (Index("ix_pipeline_runs_pipeline_created", "pipeline_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    pipeline_id: Mapped[str] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    tenant_id: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(16), default="schedule")
    scheduled_for: Mapped[datetime | None] = mapped_column(nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------------------------------
# Models and retraining
# --------------------------------------------------------------------------------------------------
class AlgorithmModel(Base):
    __tablename__ = "algorithm_models"
    __table_args__ = (Index("ix_algorithm_models_learn", "status", "auto_learn", "learn_mode"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=lambda: new_id("mdl"))
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    model_type: Mapped[str] = mapped_column(String(40), default="gradient_boosted")
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft|active|paused|archived
    auto_learn: Mapped[bool] = mapped_column(Boolean, default=False)
    learn_mode: Mapped[str] = mapped_column(String(16), default="none")  # none|scheduled|continuous
    learn_schedule: Mapped[str | None] = mapped_column(String(120), nullable=True)  # cron expression
    learn_timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    last_trained_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RetrainJob(Base):
    __tablename__ = "retrain_jobs"
    __table_args__ = (Index("ix_retrain_jobs_model_status", "model_id", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("algorithm_models.id", ondelete="CASCADE"))
    tenant_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|succeeded|failed
    reason: Mapped[str] = mapped_column(String(32), default="scheduled")
    scheduled_for: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)


# --------------------------------------------------------------------------------------------------
# Outbox
# --------------------------------------------------------------------------------------------------
class OutboxEvent(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_status_started", "status", "processing_started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    topic: Mapped[str] = mapped_column(String(128))
    event_type: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|processing|published
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    processing_started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)


class OutboxDeadLetter(Base):
    __tablename__ = "outbox_dead_letters"
    __table_args__ = (Index("ix_outbox_dead_letters_tenant_topic", "tenant_id", "topic"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    original_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    topic: Mapped[str] = mapped_column(String(128))
    event_type: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    original_created_at: Mapped[datetime] = mapped_column()
    failed_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------------------------------
# Alerts and reports (legacy tick)
# --------------------------------------------------------------------------------------------------
class AlertRule(Base):
    __tablename__ = "alert_rules"
    __table_args__ = (Index("ix_alert_rules_tenant_enabled", "tenant_id", "enabled"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=lambda: new_id("alr"))
    tenant_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    # acceptance_rate | ctr | revenue | selection_frequency | latency_p99 | degraded_scoring_rate
    metric: Mapped[str] = mapped_column(String(40))
    operator: Mapped[str] = mapped_column(String(4))  # gt | lt | gte | lte | eq
    threshold: Mapped[float] = mapped_column(Float)
    window_minutes: Mapped[int] = mapped_column(Integer, default=5)
    cooldown_minutes: Mapped[int] = mapped_column(Integer, default=60)
    channels: Mapped[list[Any]] = mapped_column(default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="ok")
    last_fired_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    alert_rule_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel: Mapped[str | None] = mapped_column(String(128), nullable=True)
    severity: Mapped[str] = mapped_column(String(16))  # info | warning | critical
    message: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportSchedule(Base):
    __tablename__ = "report_schedules"
    __table_args__ = (Index("ix_report_schedules_enabled_next", "enabled", "next_run_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=lambda: new_id("rs"))
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    template_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    cron_expression: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    destinations: Mapped[list[Any]] = mapped_column(default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_run_at: Mapped[datetime | None] = mapped_column(nullable=True)
    next_run_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReportRun(Base):
    __tablename__ = "report_runs"
    __table_args__ = (Index("ix_report_runs_schedule_created", "schedule_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    schedule_id: Mapped[str] = mapped_column(ForeignKey("report_schedules.id", ondelete="CASCADE"))
    tenant_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|succeeded|failed
    scheduled_for: Mapped[datetime | None] = mapped_column(nullable=True)
    output: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------------------------------
# Engagement health
# --------------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------------
# GitOps drift
# --------------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------------
# Run lease
# --------------------------------------------------------------------------------------------------
class JobLease(Base):
    """At most one holder per job; a crashed holder's lease expires (expires_at)."""

    __tablename__ = "job_leases"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    run_id: Mapped[str] = mapped_column(String(64))
    acquired_at: Mapped[datetime] = mapped_column()
    renewed_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()


# --------------------------------------------------------------------------------------------------
# SIEM shipping (siem-ship): cursor, pending id ranges, dead letters
# --------------------------------------------------------------------------------------------------
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
