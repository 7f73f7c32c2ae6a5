"""What the platform runs on its own schedules, and the runs the scheduling jobs queue: pipelines
(flow-scheduler-tick), algorithm models and their retrains (scheduled-retrains), report schedules
(the legacy tick).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, BigId, JsonType, new_id, utcnow


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
