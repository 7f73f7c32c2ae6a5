"""dsar-purge's response model and the helpers its modules share (no imports of the job modules)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import Field, PrivateAttr

from service.jobs._export_purge import ExportObjects
from service.jobs._result import ApiModel, JobResult
from service.models.tenants import RetentionConfig
from service.runcontext import heartbeat, should_stop


class TenantPurge(ApiModel):
    tenant_id: str
    retention_days: int
    decision_traces: int = 0
    interaction_history: int = 0
    ai_attachments: int = 0
    blobs_deleted: int = 0
    blobs_kept: int = 0  # still referenced by a row that is not purged
    # export objects past the cutoff: deleted, or rewritten without the expired rows
    export_objects: ExportObjects = Field(default_factory=ExportObjects)
    errors: list[str] = Field(default_factory=list)
    held: list[str] = Field(default_factory=list)
    _refused: int = PrivateAttr(0)


class DsarPurgeResult(JobResult):
    ok: bool = True  # false when any tenant entry carries errors (the route still answers 200)
    tenants_scanned: int = 0
    total_blobs_attempted: int = 0
    per_tenant: list[TenantPurge] = Field(default_factory=list)

    @property
    def rows_affected(self) -> int:
        return sum(t.decision_traces + t.interaction_history + t.ai_attachments for t in self.per_tenant)


@dataclass
class Target:
    """One purged tenant: its response entry and its cutoff."""

    entry: TenantPurge
    cutoff: datetime


class Stopped(Exception):
    """The service is shutting down: stop between slices, keep what is committed."""


def between_slices() -> None:
    """At every slice boundary: renew the lease (LeaseLost stops the run), raise Stopped on shutdown."""
    heartbeat()
    if should_stop():
        raise Stopped()


def effective_retention(configs: Sequence[RetentionConfig]) -> tuple[int | None, list[str]]:
    """(strictest positive retention_days among non-held rows or None, sorted held data classes)."""
    held = sorted({c.data_class for c in configs if c.legal_hold})
    days = [
        c.retention_days for c in configs if not c.legal_hold and c.retention_days and c.retention_days > 0
    ]
    return (min(days) if days else None), held
