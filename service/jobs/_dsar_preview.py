"""dsar-purge preview (``?dryRun=true``): the seed's pre-flight checklist as a call.

The same response shape as a real run, with the counts that *would* be deleted, plus ``dryRun:
true`` and per-tenant ``preflight`` findings. Nothing is deleted and no write lock is taken: only
``SELECT``s, in one read-only transaction (PostgreSQL ``SET TRANSACTION READ ONLY``), without the
run lease, so a preview can run beside a real purge. One ``audit_log`` row (action
``dsar_purge_preview``) records the call as a preview.

Every tenant is listed (a real run lists only the purged ones), each with its findings:

* ``no_retention_config`` — no config rows: a real run scans and skips the tenant;
* ``all_on_legal_hold`` — every config row is on legal hold: nothing is purged;
* ``non_positive_retention`` — a config row (not on hold) with a zero, negative or empty
  ``retentionDays``: ignored when the cutoff is chosen;
* ``large_share`` — the cutoff would delete more than ``maxShare`` (query parameter, default 0.5) of
  the tenant's rows of a table: a likely misconfiguration;
* ``refused_storage_keys`` — expired attachment rows whose key the store refuses (kept by a run).

``aiAttachments`` counts the rows a run would delete (refused keys excluded); ``blobsDeleted`` the
blobs it would delete — those whose every referencing row would go (present or not, the store is
not asked); ``blobsKept`` those still referenced by a row that stays. ``exportObjects`` counts the
recorded export objects a run would delete (every row older) or rewrite (straddling the cutoff),
from ``export_objects`` alone (the store is not asked); none when interaction history is on hold.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from service.blob_deletions import referenced_by
from service.config import Settings
from service.errors import JobFailed, ServiceError
from service.errors import error_text as err
from service.jobs._dsar_result import DsarPurgeResult, TenantPurge, effective_retention
from service.jobs._export_purge import preview_exports
from service.jobs._result import ApiModel
from service.models.attachments import AiAttachment
from service.models.audit import AuditLog
from service.models.decisioning import DecisionTrace, InteractionHistory
from service.models.tenants import (
    DATA_CLASS_AI_ATTACHMENTS,
    DATA_CLASS_DECISION_TRACES,
    DATA_CLASS_INTERACTIONS,
    RetentionConfig,
    Tenant,
)
from service.storage import StorageError, Store, attachment_store, clean_key

log = logging.getLogger("service.jobs.dsar_purge")
DEFAULT_MAX_SHARE = 0.5
PREVIEW_ACTION = "dsar_purge_preview"
_TABLES = (
    (DATA_CLASS_DECISION_TRACES, DecisionTrace, "decision_traces", "decisionTraces"),
    (DATA_CLASS_INTERACTIONS, InteractionHistory, "interaction_history", "interactionHistory"),
    (DATA_CLASS_AI_ATTACHMENTS, AiAttachment, "ai_attachments", "aiAttachments"),
)


class BadPreviewRequest(ServiceError):
    status_code = 400
    code = "bad_request"


class Finding(ApiModel):
    check: str
    detail: str


class TenantPreview(TenantPurge):
    preflight: list[Finding] = Field(default_factory=list)


class DsarPreviewResult(DsarPurgeResult):
    dry_run: bool = True
    max_share: float = DEFAULT_MAX_SHARE
    # narrows the parent's list[TenantPurge]; list is invariant, so mypy needs the ignore
    per_tenant: list[TenantPreview] = Field(default_factory=list)  # type: ignore[assignment]


def parse_flag(name: str, raw: str | None) -> bool:
    """``true``/``1``/``yes`` or ``false``/``0``/``no``/empty (case-insensitive); else a 400."""
    if raw is None:
        return False
    value = raw.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no", ""):
        return False
    raise BadPreviewRequest(f"{name} must be true or false, not {raw[:40]!r}", job="dsar-purge")


def parse_share(raw: str | None) -> float:
    if raw is None or not raw.strip():
        return DEFAULT_MAX_SHARE
    try:
        share = float(raw)
    except ValueError:
        share = -1.0
    if not 0.0 < share <= 1.0:
        raise BadPreviewRequest(f"maxShare must be a number in (0, 1], not {raw[:40]!r}", job="dsar-purge")
    return share


def preview(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    params: dict[str, str],
    clock: Callable[[], datetime] | None = None,
) -> DsarPreviewResult:
    """The preview of a dsar-purge run at ``now`` (see the module doc); ``BadPreviewRequest`` for bad
    parameters, ``JobFailed`` when the database cannot be read."""
    max_share = parse_share(params.get("maxShare"))
    result = DsarPreviewResult(max_share=max_share)
    try:
        with session_factory() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SET TRANSACTION READ ONLY"))
            _compute(session, settings, now, result)
            session.rollback()  # nothing was written; end the read transaction
    except ServiceError:
        raise
    except Exception as exc:  # noqa: BLE001 - a JSON 500 with the cause, never a traceback
        raise JobFailed(f"dsar-purge preview failed: {err(exc)}", job="dsar-purge") from None
    result.ok = not any(t.errors for t in result.per_tenant)
    _audit(session_factory, result, (clock or (lambda: now))())
    return result


def _compute(session: Session, settings: Settings, now: datetime, result: DsarPreviewResult) -> None:
    tenant_ids = list(session.scalars(select(Tenant.id).order_by(Tenant.id)))
    configs: dict[str, list[RetentionConfig]] = {}
    for c in session.scalars(select(RetentionConfig)):
        configs.setdefault(c.tenant_id, []).append(c)
    store: Store | None = None
    store_error = ""
    try:
        store = attachment_store(settings)
    except Exception as exc:  # noqa: BLE001 - reported per tenant
        store_error = f"aiAttachments: attachment store unavailable: {err(exc)}"
    expiring: dict[int, tuple[TenantPreview, str]] = {}  # attachment row id -> (entry, canonical key)
    for tid in tenant_ids:
        result.tenants_scanned += 1
        cfgs = configs.get(tid, [])
        days, held = effective_retention(cfgs)
        entry = TenantPreview(tenant_id=tid, retention_days=days or 0, held=held)
        result.per_tenant.append(entry)
        _config_findings(entry, cfgs, days)
        if days is None:
            continue
        cutoff = now - timedelta(days=days)
        for data_class, model, field, alias in _TABLES:
            if data_class in held:
                continue
            expired, total = session.execute(
                select(
                    func.count().filter(model.created_at < cutoff),
                    func.count(),
                ).where(model.tenant_id == tid)
            ).one()
            if model is not AiAttachment:
                setattr(entry, field, int(expired))
            if total and expired / total > result.max_share:
                entry.preflight.append(
                    Finding(
                        check="large_share",
                        detail=f"{alias}: the {days}-day cutoff would delete {expired} of {total} rows "
                        f"({100 * expired / total:.0f} %), more than maxShare {result.max_share:g}",
                    )
                )
        if DATA_CLASS_INTERACTIONS not in held:
            entry.export_objects = preview_exports(session, tid, cutoff)
        if DATA_CLASS_AI_ATTACHMENTS not in held:
            if store is None:
                entry.errors.append(store_error)
                continue
            _expiring_attachments(session, store, entry, cutoff, expiring)
    _blob_outcomes(session, expiring, result)


def _config_findings(entry: TenantPreview, cfgs: list[RetentionConfig], days: int | None) -> None:
    if not cfgs:
        entry.preflight.append(
            Finding(
                check="no_retention_config", detail="no retention config: a run scans and skips this tenant"
            )
        )
        return
    if all(c.legal_hold for c in cfgs):
        entry.preflight.append(
            Finding(
                check="all_on_legal_hold", detail="every retention config is on legal hold: nothing is purged"
            )
        )
    for c in sorted(cfgs, key=lambda c: c.data_class):
        if not c.legal_hold and (c.retention_days is None or c.retention_days <= 0):
            entry.preflight.append(
                Finding(
                    check="non_positive_retention",
                    detail=f"{c.data_class}: retentionDays {c.retention_days} is ignored (must be positive)",
                )
            )
    if days is None and not all(c.legal_hold for c in cfgs):
        entry.preflight.append(
            Finding(
                check="no_retention_config",
                detail="no usable retention config: a run scans and skips this tenant",
            )
        )


def _expiring_attachments(
    session: Session,
    store: Store,
    entry: TenantPreview,
    cutoff: datetime,
    expiring: dict[int, tuple[TenantPreview, str]],
) -> None:
    refused = 0
    rows = session.execute(
        select(AiAttachment.id, AiAttachment.storage_key)
        .where(AiAttachment.tenant_id == entry.tenant_id, AiAttachment.created_at < cutoff)
        .order_by(AiAttachment.id)
    ).all()
    for row in rows:
        try:
            store.check(row.storage_key)  # read-only: walks the directories, never follows a link
            key = clean_key(row.storage_key)
        except (StorageError, OSError) as exc:
            refused += 1
            if refused <= 20:
                entry.errors.append(f"aiAttachments: row {row.id} would be kept: {err(exc)}")
            continue
        expiring[row.id] = (entry, key)
        entry.ai_attachments += 1
    if refused:
        entry.preflight.append(
            Finding(
                check="refused_storage_keys",
                detail=f"{refused} expired attachment row(s) have a storage key the store refuses; a run keeps them",
            )
        )


def _blob_outcomes(
    session: Session, expiring: dict[int, tuple[TenantPreview, str]], result: DsarPreviewResult
) -> None:
    """A blob would go when every row referencing its key would go; it counts for the first tenant
    (in id order) whose expiring row references it, as a run's queue attributes it."""
    owner: dict[str, TenantPreview] = {}
    for _, (entry, key) in sorted(expiring.items(), key=lambda kv: (kv[1][0].tenant_id, kv[0])):
        owner.setdefault(key, entry)
    refs = referenced_by(session, owner)
    going = {(AiAttachment.__tablename__, row_id) for row_id in expiring}
    for key, entry in owner.items():
        if refs.get(key, set()) <= going:
            entry.blobs_deleted += 1
            result.total_blobs_attempted += 1
        else:
            entry.blobs_kept += 1


def _audit(session_factory: sessionmaker[Session], result: DsarPreviewResult, at: datetime) -> None:
    changes: dict[str, Any] = {
        "dryRun": True,
        "maxShare": result.max_share,
        "tenantsScanned": result.tenants_scanned,
        "totalBlobsAttempted": result.total_blobs_attempted,
        "wouldDelete": {
            alias: sum(getattr(t, field) for t in result.per_tenant) for _, _, field, alias in _TABLES
        }
        | {
            "exportObjects": {
                "deleted": sum(t.export_objects.deleted for t in result.per_tenant),
                "rewritten": sum(t.export_objects.rewritten for t in result.per_tenant),
            },
        },
        "findings": {
            t.tenant_id[:64]: sorted({f.check for f in t.preflight})
            for t in result.per_tenant[:1000]
            if t.preflight
        },
    }
    try:
        with session_factory() as s, s.begin():
            s.add(
                AuditLog(
                    tenant_id=None,
                    action=PREVIEW_ACTION,
                    entity_type="retention",
                    entity_id="dsar-purge",
                    entity_name="dsar-purge (dry run)",
                    changes=changes,
                    user_id="system:cron",
                    user_name="cron",
                    created_at=at,
                )
            )
    except Exception as exc:  # noqa: BLE001 - a preview is still answered; the log says what is missing
        log.error("dsar-purge preview: audit row not written: %s", err(exc))
