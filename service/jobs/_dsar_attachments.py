"""dsar-purge, AI attachments: expired rows deleted and their blobs queued (one transaction per batch),
then the queue drained — a blob deleted only when no row references it (:mod:`service.blob_deletions`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service import blob_deletions
from service.blob_deletions import delete_rows_and_queue
from service.errors import LeaseLost
from service.errors import error_text as err
from service.jobs._dsar_result import DsarPurgeResult, Stopped, TenantPurge
from service.models.attachments import AiAttachment
from service.models.tenants import DATA_CLASS_AI_ATTACHMENTS, RetentionConfig
from service.storage import StorageError, Store, show

log = logging.getLogger("service.jobs.dsar_purge")
_ID_CHUNK = 500  # ids per DELETE ... WHERE id IN (...) statement (far below SQLite's variable limit)


def purge_tenant_attachments(
    session: Session,
    store: Store | None,
    store_error: str | None,
    entry: TenantPurge,
    cutoff: datetime,
    batch: int,
) -> None:
    if DATA_CLASS_AI_ATTACHMENTS in entry.held:
        return
    if store is None:
        entry.errors.append(f"aiAttachments: {store_error}")
        return
    try:
        _purge_attachments(session, store, entry, cutoff, batch)
    except Exception as exc:  # noqa: BLE001
        session.rollback()
        entry.errors.append(f"aiAttachments: {err(exc)}")
        log.warning("dsar-purge: tenant %s: attachment purge failed: %s", show(entry.tenant_id), err(exc))


_MAX_REFUSED_REPORTED = 20  # refused keys listed per tenant; the rest are counted in one line


def _purge_attachments(
    session: Session, store: Store, entry: TenantPurge, cutoff: datetime, batch: int
) -> None:
    """Step 1 for one tenant: delete expired rows and queue their blobs, batch by batch."""
    # keyset over ids, so rows kept back (refused keys) are not selected again in this run
    after_id = 0
    while True:
        rows = session.execute(
            select(AiAttachment.id, AiAttachment.storage_key)
            .where(
                AiAttachment.tenant_id == entry.tenant_id,
                AiAttachment.created_at < cutoff,
                AiAttachment.id > after_id,
            )
            .order_by(AiAttachment.id)
            .limit(batch)
        ).all()
        session.commit()
        if not rows:
            break
        after_id = rows[-1].id
        ok: list[int] = []
        for row in rows:
            try:
                store.check(row.storage_key)  # canonical form, no link below the root (local store)
            except (StorageError, OSError) as exc:
                _refused(entry, row.id, exc)
                continue
            ok.append(row.id)
        for i in range(0, len(ok), _ID_CHUNK):
            if _held_now(session, entry.tenant_id):
                if DATA_CLASS_AI_ATTACHMENTS not in entry.held:
                    entry.held = sorted([*entry.held, DATA_CLASS_AI_ATTACHMENTS])
                log.warning(
                    "dsar-purge: tenant %s: attachments put on legal hold during the run; stopped",
                    show(entry.tenant_id),
                )
                return
            entry.ai_attachments += delete_rows_and_queue(
                session, ok[i : i + _ID_CHUNK], entry.tenant_id, cutoff
            )
        if len(rows) < batch:
            break
    if entry._refused > _MAX_REFUSED_REPORTED:
        entry.errors.append(
            f"aiAttachments: {entry._refused - _MAX_REFUSED_REPORTED} more refused storage keys"
        )


def _refused(entry: TenantPurge, row_id: int, exc: BaseException) -> None:
    entry._refused += 1
    if entry._refused <= _MAX_REFUSED_REPORTED:
        entry.errors.append(f"aiAttachments: row {row_id} kept: {err(exc)}")
    log.warning(
        "dsar-purge: tenant %s: attachment row %s kept, its key is refused: %s",
        show(entry.tenant_id),
        row_id,
        err(exc),
    )


def _held_now(session: Session, tenant_id: str) -> bool:
    """Legal hold is absolute: re-read it right before each batch is deleted."""
    held = session.scalar(
        select(RetentionConfig.id)
        .where(
            RetentionConfig.tenant_id == tenant_id,
            RetentionConfig.data_class == DATA_CLASS_AI_ATTACHMENTS,
            RetentionConfig.legal_hold.is_(True),
        )
        .limit(1)
    )
    session.commit()
    return held is not None


def drain_blobs(session: Session, store: Store, result: DsarPurgeResult, between: Callable[[], None]) -> bool:
    """Step 2: delete the queued blobs nothing references any more; True when stopped by a shutdown."""
    by_id = {t.tenant_id: t for t in result.per_tenant}

    def report(tenant_id: str | None, key: str, outcome: str, reason: str | None) -> None:
        entry = by_id.get(tenant_id) if tenant_id is not None else None
        if outcome != blob_deletions.KEPT:
            result.total_blobs_attempted += 1
        if outcome == blob_deletions.DELETED:
            if entry is not None:
                entry.blobs_deleted += 1
        elif outcome == blob_deletions.KEPT:
            log.info("dsar-purge: blob %s kept: another row still references it", show(key))
            if entry is not None:
                entry.blobs_kept += 1
        elif outcome == blob_deletions.MISSING:
            log.info("dsar-purge: tenant %s: blob %s already gone", show(tenant_id), show(key))
        else:
            log.warning(
                "dsar-purge: tenant %s: blob %s could not be deleted (%s); queued for the next run",
                show(tenant_id),
                show(key),
                reason,
            )
            if entry is not None:
                entry.errors.append(f"aiAttachments: blob {show(key)}: {reason}; queued for the next run")

    try:
        blob_deletions.drain(session, store, report, between=between)
    except LeaseLost:
        raise
    except Stopped:
        return True
    except Exception as exc:  # noqa: BLE001 - the queue stays; every purged tenant learns why
        session.rollback()
        log.warning("dsar-purge: draining the blob queue failed: %s", err(exc))
        for entry in result.per_tenant:
            if entry.ai_attachments:
                entry.errors.append(
                    f"aiAttachments: blob deletion queue: {err(exc)}; retried by the next run"
                )
    return False
