"""/api/v1/cron/dsar-purge — per-tenant retention purge with legal hold (operator-wired route).

For every tenant: read its per-class ``retention_configs`` rows, ignore rows on legal hold, collapse
the rest to the strictest (smallest) positive ``retention_days`` and delete rows older than
``now - retention_days`` from decision traces, interaction history and AI attachments.

Legal hold is absolute: a table whose data class is on hold for the tenant is never touched, even
when another class sets the cutoff; the held classes are reported in the tenant's ``held`` list.
A tenant with no usable config (no rows, or only held / non-positive ones) is scanned and skipped.

Decision traces and interaction history are purged in **one pass per table** for every tenant whose
class is not on hold, each with its own cutoff (:mod:`service.jobs._dsar_rows`): on PostgreSQL time
windows over the ``(tenant_id, created_at)`` index, each window one short transaction on one of K
connections (``DSAR_PURGE_CONNECTIONS``) with exact per-tenant counts
(:mod:`service.jobs._dsar_windows`), or physical heap slices when the rows are not laid out by time;
on SQLite rowid slices (:mod:`service.jobs._dsar_slices`). The lease heartbeat and the shutdown check
run between slices. If the pass fails, that table falls back to per-tenant batches, so one tenant's
failure lands in its own ``errors``.

Attachments (the table is small) go tenant by tenant, in two crash-safe steps
(:mod:`service.jobs._dsar_attachments`, :mod:`service.blob_deletions`): a batch of expired rows is
deleted and their blob keys are queued in ``blob_deletions`` in the same transaction; then, after
every tenant's rows, the queue is drained — a blob is deleted only after re-checking that no row of
any tenant references its key, and dequeued after. A crash at any moment leaves neither an orphan
blob nor a row whose blob is gone; the next run finishes the queue. Each processed tenant gets one
``audit_log`` row (action ``dsar_purge``) with the per-class counts.

Exports of interaction history (:mod:`service.jobs._export_purge`): for every tenant whose
interaction history is not on hold, the recorded export objects past the same cutoff are deleted
(entirely older) or rewritten atomically without the expired rows (straddling), then their
``export_objects`` rows are updated; ``exportObjects: {deleted, rewritten}`` reports them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service import shards
from service.config import Settings
from service.errors import error_text as err
from service.jobs._dsar_attachments import drain_blobs, purge_tenant_attachments
from service.jobs._dsar_demo import demo
from service.jobs._dsar_preview import preview
from service.jobs._dsar_result import (
    DsarPurgeResult,
    Target,
    TenantPurge,
    between_slices,
    effective_retention,
)
from service.jobs._dsar_rows import ROW_TABLES, delete_expired, purge_tables
from service.jobs._export_purge import Target as ExportTarget
from service.jobs._export_purge import purge_tenants
from service.models.audit import AuditLog
from service.models.tenants import DATA_CLASS_INTERACTIONS, RetentionConfig, Tenant
from service.runcontext import heartbeat, should_stop
from service.storage import Store, attachment_store

ROUTE = "dsar-purge"
AUDIT_ACTION = "dsar_purge"
log = logging.getLogger(__name__)

__all__ = [
    "ROUTE",
    "DsarPurgeResult",
    "TenantPurge",
    "delete_expired",
    "demo",
    "effective_retention",
    "preview",
    "run",
]


def run(session: Session, settings: Settings, now: datetime) -> DsarPurgeResult:
    result = DsarPurgeResult()
    tenant_ids = shards.mine(
        session.scalars(select(Tenant.id).order_by(Tenant.id))
    )  # sharded: its tenants only
    session.commit()  # end the read transaction before the work
    store: Store | None = None
    store_error: str | None = None
    try:
        store = attachment_store(settings)
    except Exception as exc:  # noqa: BLE001 - reported per tenant; row purges still run
        store_error = f"attachment store unavailable: {err(exc)}"

    all_configs = _read_all_configs(session)
    targets: list[Target] = []
    for tenant_id in tenant_ids:
        heartbeat()  # outside the per-tenant error capture: a lost lease stops the whole run
        result.tenants_scanned += 1
        if all_configs is not None:
            configs = all_configs.get(tenant_id, [])
        else:
            try:
                configs = list(
                    session.scalars(select(RetentionConfig).where(RetentionConfig.tenant_id == tenant_id))
                )
                session.commit()
            except Exception as exc:  # noqa: BLE001
                session.rollback()
                log.warning("dsar-purge: tenant %s: cannot read retention config: %s", tenant_id, err(exc))
                result.per_tenant.append(
                    TenantPurge(tenant_id=tenant_id, retention_days=0, errors=[err(exc)])
                )
                continue
        days, held = effective_retention(configs)
        if days is None:
            log.info("dsar-purge: tenant %s skipped: no usable retention config (held=%s)", tenant_id, held)
            continue
        entry = TenantPurge(tenant_id=tenant_id, retention_days=days, held=held)
        result.per_tenant.append(entry)
        targets.append(Target(entry, now - timedelta(days=days)))

    batch = settings.delete_batch_size
    passes = [  # held: absent from that table's list
        (model, field, todo)
        for data_class, model, field in ROW_TABLES
        if (todo := [t for t in targets if data_class not in t.entry.held])
    ]
    stopped = purge_tables(session, passes, batch, settings.dsar_purge_connections)

    for target in targets:
        entry = target.entry
        if not stopped:
            heartbeat()
            stopped = should_stop()
        if not stopped:
            purge_tenant_attachments(session, store, store_error, entry, target.cutoff, batch)
    if store is not None and not stopped:
        stopped = drain_blobs(session, store, result, between_slices)
    if not stopped:  # exports of interaction history: same cutoff, same legal hold
        stopped = purge_tenants(
            session,
            settings,
            ROUTE,
            [
                ExportTarget(t.entry.tenant_id, t.cutoff, t.entry.export_objects, t.entry.errors)
                for t in targets
                if DATA_CLASS_INTERACTIONS not in t.entry.held
            ],
        )
    _audit_all(session, [t.entry for t in targets], now)
    if stopped:
        log.warning("dsar-purge: stopping early (shutdown); the rest is left for the next run")
    result.ok = not any(t.errors for t in result.per_tenant)
    return result


def _read_all_configs(session: Session) -> dict[str, list[RetentionConfig]] | None:
    """Every tenant's retention configs in one query; None if it fails (then read tenant by tenant)."""
    try:
        rows = list(session.scalars(select(RetentionConfig)))
        session.commit()
    except Exception as exc:  # noqa: BLE001 - the per-tenant reads report it where it belongs
        session.rollback()
        log.warning("dsar-purge: cannot read retention configs at once (%s); reading per tenant", err(exc))
        return None
    by_tenant: dict[str, list[RetentionConfig]] = {}
    for c in rows:
        by_tenant.setdefault(c.tenant_id, []).append(c)
    return by_tenant


def _audit_all(session: Session, entries: list[TenantPurge], now: datetime) -> None:
    """One ``dsar_purge`` audit row per tenant, in one commit; if that fails, tenant by tenant, so a
    failure lands in its own tenant's ``errors``."""
    try:
        session.add_all([_audit_row(entry, now) for entry in entries])
        session.commit()
        return
    except Exception:  # noqa: BLE001 - retried one by one below, where the error belongs
        session.rollback()
    for entry in entries:
        try:
            session.add(_audit_row(entry, now))
            session.commit()
        except Exception as exc:  # noqa: BLE001
            session.rollback()
            entry.errors.append(f"audit: {err(exc)}")


def _audit_row(entry: TenantPurge, now: datetime) -> AuditLog:
    changes = entry.model_dump(mode="json", by_alias=True)
    changes.pop("tenantId", None)
    return AuditLog(
        tenant_id=entry.tenant_id,
        action=AUDIT_ACTION,
        entity_type="retention",
        entity_id=entry.tenant_id,
        entity_name="dsar-purge",
        changes=changes,
        user_name="cron",
        created_at=now,
    )
