"""The data model the cron handlers touch (SQLAlchemy 2, SQLite and PostgreSQL), one module per domain.

Importing this package imports every domain module, so :data:`Base.metadata <base.Base>` holds
every table (what Alembic's ``env.py``, ``create_all`` and the migrations test need): code that uses
the whole metadata imports ``Base`` from here. It is also the package's public face, re-exporting
every model; code that uses a few models imports them from their domain module.

``base`` (Base, UTCDateTime, BigId, JsonType, utcnow, new_id), ``tenants`` (tenants, retention),
``decisioning`` (traces, interaction history and its aggregates, suppressions), ``attachments`` (AI
attachments, the blob deletion queue), ``exports`` (export checkpoints and objects), ``audit`` (the
audit log, the SIEM ledger), ``outbox``, ``scheduling`` (pipelines, retrains, report schedules),
``alerts``, ``governance`` (approvals, GitOps), ``leases`` (run leases).
"""

from __future__ import annotations

from service.models.alerts import AlertRule, Notification
from service.models.attachments import AiAttachment, BlobDeletion
from service.models.audit import AuditLog, SiemCursor, SiemDeadLetter, SiemPending
from service.models.base import Base, BigId, JsonType, UTCDateTime, new_id, utcnow
from service.models.decisioning import (
    DecisionTrace,
    EngagementHealth,
    InteractionHistory,
    InteractionSummary,
    Suppression,
)
from service.models.exports import ExportCheckpoint, ExportObject
from service.models.governance import (
    GITOPS_RESOURCE_TYPES,
    Approval,
    GitopsDriftState,
    GitopsLastApplied,
    GitopsLiveResource,
)
from service.models.leases import JobLease
from service.models.outbox import OutboxDeadLetter, OutboxEvent
from service.models.scheduling import (
    AlgorithmModel,
    Pipeline,
    PipelineRun,
    ReportRun,
    ReportSchedule,
    RetrainJob,
)
from service.models.tenants import (
    DATA_CLASS_AI_ATTACHMENTS,
    DATA_CLASS_DECISION_TRACES,
    DATA_CLASS_INTERACTIONS,
    DATA_CLASS_SUMMARIES,
    DATA_CLASS_SUPPRESSIONS,
    DATA_CLASSES,
    RetentionConfig,
    Tenant,
)

__all__ = [
    "DATA_CLASSES",
    "DATA_CLASS_AI_ATTACHMENTS",
    "DATA_CLASS_DECISION_TRACES",
    "DATA_CLASS_INTERACTIONS",
    "DATA_CLASS_SUMMARIES",
    "DATA_CLASS_SUPPRESSIONS",
    "GITOPS_RESOURCE_TYPES",
    "AiAttachment",
    "AlertRule",
    "AlgorithmModel",
    "Approval",
    "AuditLog",
    "Base",
    "BigId",
    "BlobDeletion",
    "DecisionTrace",
    "EngagementHealth",
    "ExportCheckpoint",
    "ExportObject",
    "GitopsDriftState",
    "GitopsLastApplied",
    "GitopsLiveResource",
    "InteractionHistory",
    "InteractionSummary",
    "JobLease",
    "JsonType",
    "Notification",
    "OutboxDeadLetter",
    "OutboxEvent",
    "Pipeline",
    "PipelineRun",
    "ReportRun",
    "ReportSchedule",
    "RetentionConfig",
    "RetrainJob",
    "SiemCursor",
    "SiemDeadLetter",
    "SiemPending",
    "Suppression",
    "Tenant",
    "UTCDateTime",
    "new_id",
    "utcnow",
]
