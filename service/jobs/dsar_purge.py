"""/api/v1/cron/dsar-purge — per-tenant retention purge with legal hold (operator-wired route).

For every tenant: read its per-class ``retention_configs`` rows, ignore rows on legal hold, collapse
the rest to the strictest (smallest) positive ``retention_days`` and delete rows older than
``now - retention_days`` from decision traces, interaction history and AI attachments.

Legal hold is absolute: a table whose data class is on hold for the tenant is never touched, even
when another class sets the cutoff; the held classes are reported in the tenant's ``held`` list.
A tenant with no usable config (no rows, or only held / non-positive ones) is scanned and skipped.

Deletes run in batches of ``DELETE_BATCH_SIZE`` rows, each its own short transaction, selecting the
batch by a ``LIMIT``-ed subselect over the ``(tenant_id, created_at)`` index (``ctid`` on
PostgreSQL, ``rowid`` on SQLite), so memory is constant and no lock is held for long.
Attachment blobs are deleted through the attachment store *before* their rows: a crash between the
two leaves a row whose blob is already gone, which the next run deletes (the missing blob is logged
and skipped), so a re-run always completes with no orphaned blob. A blob that cannot be deleted
(permissions, network) keeps its row and is reported in ``errors``; the next run retries it.
One tenant's failure is recorded in its ``errors`` and the other tenants continue. Each processed
tenant gets one ``audit_log`` row (action ``dsar_purge``) with the per-class counts.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from sqlalchemy import bindparam, delete, select, text
from sqlalchemy.orm import Session

from service.config import Settings
from service.models import (
    DATA_CLASS_AI_ATTACHMENTS,
    DATA_CLASS_DECISION_TRACES,
    DATA_CLASS_INTERACTIONS,
    AiAttachment,
    AuditLog,
    DecisionTrace,
    InteractionHistory,
    RetentionConfig,
    Tenant,
    UTCDateTime,
)
from service.runner import heartbeat
from service.storage import Store, attachment_store

ROUTE = "dsar-purge"
AUDIT_ACTION = "dsar_purge"
log = logging.getLogger(__name__)

# Tables this route purges, by the data class that governs them.
_ROW_TABLES: tuple[tuple[str, Any, str], ...] = (
    (DATA_CLASS_DECISION_TRACES, DecisionTrace, "decisionTraces"),
    (DATA_CLASS_INTERACTIONS, InteractionHistory, "interactionHistory"),
)
_ID_CHUNK = 500  # ids per DELETE ... WHERE id IN (...) statement (far below SQLite's variable limit)


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class TenantPurge(_Model):
    tenant_id: str = Field(alias="tenantId")
    retention_days: int = Field(alias="retentionDays")
    decision_traces: int = Field(0, alias="decisionTraces")
    interaction_history: int = Field(0, alias="interactionHistory")
    ai_attachments: int = Field(0, alias="aiAttachments")
    blobs_deleted: int = Field(0, alias="blobsDeleted")
    errors: list[str] = Field(default_factory=list)
    held: list[str] = Field(default_factory=list)
    _blobs_attempted: int = PrivateAttr(0)


class DsarPurgeResult(_Model):
    ok: bool = True  # false when any tenant entry carries errors (the route still answers 200)
    tenants_scanned: int = Field(0, alias="tenantsScanned")
    total_blobs_attempted: int = Field(0, alias="totalBlobsAttempted")
    per_tenant: list[TenantPurge] = Field(default_factory=list, alias="perTenant")

    @property
    def rows_affected(self) -> int:
        return sum(t.decision_traces + t.interaction_history + t.ai_attachments for t in self.per_tenant)


def effective_retention(configs: Sequence[RetentionConfig]) -> tuple[int | None, list[str]]:
    """(strictest positive retention_days among non-held rows or None, sorted held data classes)."""
    held = sorted({c.data_class for c in configs if c.legal_hold})
    days = [c.retention_days for c in configs if not c.legal_hold and c.retention_days and c.retention_days > 0]
    return (min(days) if days else None), held


def run(session: Session, settings: Settings, now: datetime) -> DsarPurgeResult:
    result = DsarPurgeResult()
    tenant_ids = list(session.scalars(select(Tenant.id).order_by(Tenant.id)))
    session.commit()  # end the read transaction before the per-tenant work
    store: Store | None = None
    store_error: str | None = None
    try:
        store = attachment_store(settings)
    except Exception as exc:  # noqa: BLE001 - reported per tenant; row purges still run
        store_error = f"attachment store unavailable: {_err(exc)}"

    for tenant_id in tenant_ids:
        heartbeat()  # outside the per-tenant error capture: a lost lease stops the whole run
        result.tenants_scanned += 1
        try:
            configs = list(session.scalars(select(RetentionConfig).where(RetentionConfig.tenant_id == tenant_id)))
            session.commit()
        except Exception as exc:  # noqa: BLE001
            session.rollback()
            log.warning("dsar-purge: tenant %s: cannot read retention config: %s", tenant_id, _err(exc))
            result.per_tenant.append(TenantPurge(tenant_id=tenant_id, retention_days=0, errors=[_err(exc)]))
            continue
        days, held = effective_retention(configs)
        if days is None:
            log.info("dsar-purge: tenant %s skipped: no usable retention config (held=%s)", tenant_id, held)
            continue
        entry = TenantPurge(tenant_id=tenant_id, retention_days=days, held=held)
        _purge_tenant(session, settings, store, store_error, entry, now - timedelta(days=days))
        result.total_blobs_attempted += entry._blobs_attempted
        _audit(session, entry, now)
        result.per_tenant.append(entry)
    result.ok = not any(t.errors for t in result.per_tenant)
    return result


def _purge_tenant(
    session: Session,
    settings: Settings,
    store: Store | None,
    store_error: str | None,
    entry: TenantPurge,
    cutoff: datetime,
) -> None:
    """Purge one tenant's expired rows, recording counts and errors in ``entry``."""
    batch = settings.delete_batch_size
    for data_class, model, attr in _ROW_TABLES:
        if data_class in entry.held:
            continue
        try:
            n = delete_expired(session, model, entry.tenant_id, cutoff, batch)
            setattr(entry, _field(attr), n)
        except Exception as exc:  # noqa: BLE001 - recorded; the other tables and tenants continue
            session.rollback()
            entry.errors.append(f"{attr}: {_err(exc)}")
            log.warning("dsar-purge: tenant %s: %s purge failed: %s", entry.tenant_id, attr, _err(exc))

    if DATA_CLASS_AI_ATTACHMENTS in entry.held:
        return
    if store is None:
        entry.errors.append(f"aiAttachments: {store_error}")
        return
    try:
        _purge_attachments(session, store, entry, cutoff, batch)
    except Exception as exc:  # noqa: BLE001
        session.rollback()
        entry.errors.append(f"aiAttachments: {_err(exc)}")
        log.warning("dsar-purge: tenant %s: attachment purge failed: %s", entry.tenant_id, _err(exc))


# One batch: the LIMIT-ed subselect picks at most :n expired rows of the tenant through the
# (tenant_id, created_at) index. PostgreSQL deletes them by physical address (ctid, measured ~2x the
# rows/s of ``id IN (... ORDER BY id LIMIT n)``); the predicate is repeated so a row that changed
# under the statement is never deleted unless it still qualifies. SQLite deletes by rowid.
_BATCH_SQL = {
    "postgresql": (
        "DELETE FROM {t} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {t} WHERE tenant_id = :tenant "
        "AND created_at < :cutoff LIMIT :n)) AND tenant_id = :tenant AND created_at < :cutoff"
    ),
    "sqlite": (
        "DELETE FROM {t} WHERE rowid IN (SELECT rowid FROM {t} WHERE tenant_id = :tenant "
        "AND created_at < :cutoff LIMIT :n)"
    ),
}


def delete_expired(session: Session, model: Any, tenant_id: str, cutoff: datetime, batch: int) -> int:
    """Delete the tenant's rows of ``model`` older than ``cutoff``, ``batch`` rows per transaction."""
    dialect = session.get_bind().dialect.name
    sql = _BATCH_SQL.get(dialect)
    if sql is None:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"dsar-purge supports sqlite and postgresql, not {dialect}")
    stmt = text(sql.format(t=model.__tablename__)).bindparams(bindparam("cutoff", type_=UTCDateTime()))
    total = 0
    while True:
        try:
            n = session.execute(stmt, {"tenant": tenant_id, "cutoff": cutoff, "n": batch}).rowcount or 0
            session.commit()
        except BaseException:
            session.rollback()
            raise
        total += n
        if n < batch:
            return total


def _purge_attachments(session: Session, store: Store, entry: TenantPurge, cutoff: datetime, batch: int) -> None:
    # keyset over ids, so rows kept back (blob delete failed) are not selected again in this run
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
        session.commit()  # no transaction stays open while talking to the object store
        if not rows:
            break
        after_id = rows[-1].id
        keys = {r.storage_key for r in rows}
        entry._blobs_attempted += len(keys)
        report = store.delete_many(sorted(keys))
        for key in report.missing:
            log.info("dsar-purge: tenant %s: blob %s already gone; deleting its row", entry.tenant_id, key)
        entry.blobs_deleted += len(report.deleted)
        gone = set(report.deleted) | set(report.missing)
        if report.failed:
            for key, reason in sorted(report.failed.items()):
                entry.errors.append(f"aiAttachments: blob {key}: {reason}")
            log.warning(
                "dsar-purge: tenant %s: %d blob(s) could not be deleted; their rows are kept for the next run",
                entry.tenant_id,
                len(report.failed),
            )
        ids = [r.id for r in rows if r.storage_key in gone]
        for i in range(0, len(ids), _ID_CHUNK):
            chunk = ids[i : i + _ID_CHUNK]
            try:
                res = session.execute(
                    delete(AiAttachment)
                    .where(AiAttachment.id.in_(chunk))
                    .execution_options(synchronize_session=False)
                )
                session.commit()
            except BaseException:
                session.rollback()
                raise
            entry.ai_attachments += res.rowcount or 0
        if len(rows) < batch:
            break


def _audit(session: Session, entry: TenantPurge, now: datetime) -> None:
    changes = entry.model_dump(mode="json", by_alias=True)
    changes.pop("tenantId", None)
    try:
        session.add(
            AuditLog(
                tenant_id=entry.tenant_id,
                action=AUDIT_ACTION,
                entity_type="retention",
                entity_id=entry.tenant_id,
                entity_name="dsar-purge",
                changes=changes,
                user_name="cron",
                created_at=now,
            )
        )
        session.commit()
    except Exception as exc:  # noqa: BLE001
        session.rollback()
        entry.errors.append(f"audit: {_err(exc)}")


def _field(alias: str) -> str:
    return {"decisionTraces": "decision_traces", "interactionHistory": "interaction_history"}[alias]


def _err(exc: BaseException) -> str:
    """``Type: first 300 characters``, with every registered secret scrubbed (it goes in the body)."""
    from service.logging import redact

    text = " ".join(str(exc).split())
    return redact(f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__)


# --------------------------------------------------------------------------------------------------
# Demo data
# --------------------------------------------------------------------------------------------------
def demo(
    session: Session,
    tenants: Sequence[Tenant],
    now: datetime,
    rng: random.Random,
    settings: Settings | None = None,
) -> None:
    """Retention configs (held and unheld classes), expired and fresh rows, attachments with blobs.

    Tenant 1: interactions 90 d, decision traces 30 d (strictest), ai_attachments on legal hold.
    Tenant 2: every class 60 d, nothing held. Tenant 3 (if any): no config, scanned and skipped.
    Blobs go to the attachment store of ``settings`` (else ``session.info["settings"]``, else the
    process settings from the environment).
    """
    if settings is None:
        from service.config import get_settings

        settings = session.info.get("settings") or get_settings()
    store = attachment_store(settings)
    plans: list[dict[str, tuple[int | None, bool]]] = [
        {DATA_CLASS_INTERACTIONS: (90, False), DATA_CLASS_DECISION_TRACES: (30, False),
         DATA_CLASS_AI_ATTACHMENTS: (30, True)},
        {DATA_CLASS_INTERACTIONS: (60, False), DATA_CLASS_DECISION_TRACES: (60, False),
         DATA_CLASS_AI_ATTACHMENTS: (60, False)},
    ]
    for tenant, plan in zip(tenants, plans, strict=False):
        existing = set(
            session.scalars(select(RetentionConfig.data_class).where(RetentionConfig.tenant_id == tenant.id))
        )
        for data_class, (days, hold) in plan.items():
            if data_class not in existing:
                session.add(
                    RetentionConfig(
                        tenant_id=tenant.id,
                        data_class=data_class,
                        retention_days=days,
                        legal_hold=hold,
                        reason="litigation hold (demo)" if hold else None,
                    )
                )
    for tenant in list(tenants)[:3]:
        for age_days in (400, 200, 120, 45, 10, 1):
            created = now - timedelta(days=age_days, minutes=rng.randint(0, 600))
            for _ in range(3):
                session.add(
                    DecisionTrace(
                        tenant_id=tenant.id,
                        customer_id=f"cust-{rng.randint(1, 500)}",
                        request_id=f"req-{rng.getrandbits(48):012x}",
                        candidate_count=rng.randint(3, 20),
                        final_count=rng.randint(1, 3),
                        total_latency_ms=round(rng.uniform(5, 80), 2),
                        created_at=created,
                    )
                )
            sha = f"{rng.getrandbits(256):064x}"
            key = f"{tenant.id}/{sha[:2]}/{sha}.txt"
            body = f"demo attachment for {tenant.id}, {age_days} days old\n".encode()
            store.put(key, body)
            session.add(
                AiAttachment(
                    tenant_id=tenant.id,
                    sha256=sha,
                    storage_key=key,
                    filename=f"note-{age_days}d.txt",
                    content_type="text/plain",
                    size_bytes=len(body),
                    created_at=created,
                )
            )
    session.flush()
