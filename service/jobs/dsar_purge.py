"""/api/v1/cron/dsar-purge — per-tenant retention purge with legal hold (operator-wired route).

For every tenant: read its per-class ``retention_configs`` rows, ignore rows on legal hold, collapse
the rest to the strictest (smallest) positive ``retention_days`` and delete rows older than
``now - retention_days`` from decision traces, interaction history and AI attachments.

Legal hold is absolute: a table whose data class is on hold for the tenant is never touched, even
when another class sets the cutoff; the held classes are reported in the tenant's ``held`` list.
A tenant with no usable config (no rows, or only held / non-positive ones) is scanned and skipped.

Decision traces and interaction history are purged in **one pass per table** over consecutive
physical slices, with one predicate for every tenant whose class is not on hold, each with its own
cutoff (a held tenant is simply absent from that table's list). Tenants are grouped by cutoff (they
share a few retention periods in practice): ``(created_at < :c0 AND tenant_id IN <group 0>) OR ...``,
a group's tenants bound as one array / JSON parameter, so the statement does not grow with them.

* PostgreSQL 14+: heap ranges of ``DELETE_BATCH_SIZE * 2 / 5`` pages (2,000 by default),
  ``ctid >= '(a,0)' AND ctid < '(b,0)'`` — a TID range scan. Beyond 16 distinct cutoffs the groups
  become one join to ``unnest(:tenants, :cutoffs)``. The per-tenant counts are aggregated in the
  server from a ``DELETE … RETURNING tenant_id`` CTE.
* SQLite 3.38+ (JSON built in): rowid ranges of ``4 * DELETE_BATCH_SIZE`` rowids (gaps skipped);
  more than 16 distinct cutoffs take another pass. Each slice counts its rows per tenant, then
  deletes them, inside one write transaction (``BEGIN IMMEDIATE``), so the counts are exact.

Tenants write all the time, so their rows are interleaved in the heap: deleting tenant by tenant
read and rewrote every page once per tenant (cost tenants x table size); one pass reads and dirties
each page once, like a plain ``DELETE``, while every slice is its own short transaction (a bounded
statement, constant memory) with the lease heartbeat and the shutdown check between slices. Pages
added after the pass started hold new rows; a row moved there by a concurrent update is purged by
the next run. If a slice statement fails (or the server is older than the versions above), that
table falls back to the per-tenant path — ``LIMIT``-ed batches through the ``(tenant_id,
created_at)`` index (``ctid`` on PostgreSQL, ``rowid`` on SQLite) — so one tenant's failure lands in
its own ``errors`` and the other tenants continue; rows the slices already deleted stay counted.

Attachments (the table is small) go tenant by tenant, in two crash-safe steps
(:mod:`service.blob_deletions`): a batch of expired rows is deleted and their blob keys are queued in
``blob_deletions`` in the same transaction; then, after every tenant's rows, the queue is drained — a
blob is deleted only after re-checking that no row of any tenant references its key (a legal-hold
row, another tenant's row, a fresh row sharing the key), and dequeued after. A crash at any moment
leaves neither an orphan blob nor a row whose blob is gone; the next run finishes the queue. A row
whose key the store refuses (absolute, ``..``, NUL or control characters, too long, or reaching
through a symbolic link) is kept and reported in its tenant's ``errors``; a blob that cannot be
deleted (permissions, network) stays queued, is reported, and is retried by the next run. Legal hold
is re-checked in each batch's transaction. ``blobsKept`` counts the blobs of purged rows kept because
another row still references them. Each processed tenant gets one ``audit_log`` row (action
``dsar_purge``) with the per-class counts.

Exports of interaction history (:mod:`service.jobs._export_purge`): for every tenant whose
interaction history is not on hold, the recorded export objects past the same cutoff are deleted
(entirely older) or rewritten atomically without the expired rows (straddling), then their
``export_objects`` rows are updated; ``exportObjects: {deleted, rewritten}`` reports them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from service import shards
from service.config import Settings
from service.db import rowcount
from service.errors import LeaseLost
from service.errors import error_text as err
from service.jobs._dsar_attachments import drain_blobs, purge_tenant_attachments
from service.jobs._dsar_demo import demo
from service.jobs._dsar_parallel import connections_for, run_parallel
from service.jobs._dsar_preview import preview
from service.jobs._dsar_result import DsarPurgeResult, Stopped, TenantPurge, effective_retention
from service.jobs._export_purge import Target as ExportTarget
from service.jobs._export_purge import purge_tenants
from service.models import (
    DATA_CLASS_DECISION_TRACES,
    DATA_CLASS_INTERACTIONS,
    AuditLog,
    DecisionTrace,
    InteractionHistory,
    RetentionConfig,
    Tenant,
    UTCDateTime,
)
from service.runcontext import heartbeat, should_stop
from service.storage import Store, attachment_store

ROUTE = "dsar-purge"
AUDIT_ACTION = "dsar_purge"
log = logging.getLogger(__name__)

# Tables this route purges, by the data class that governs them.
_ROW_TABLES: tuple[tuple[str, Any, str], ...] = (
    (DATA_CLASS_DECISION_TRACES, DecisionTrace, "decisionTraces"),
    (DATA_CLASS_INTERACTIONS, InteractionHistory, "interactionHistory"),
)
_GROUPS_PER_STATEMENT = 16  # distinct cutoffs OR-ed in one slice statement (PostgreSQL: more -> a join)


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
_Stopped = Stopped
_err = err


@dataclass
class _Target:
    """One purged tenant: its response entry and its cutoff."""

    entry: TenantPurge
    cutoff: datetime


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
        store_error = f"attachment store unavailable: {_err(exc)}"

    all_configs = _read_all_configs(session)
    targets: list[_Target] = []
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
                log.warning("dsar-purge: tenant %s: cannot read retention config: %s", tenant_id, _err(exc))
                result.per_tenant.append(
                    TenantPurge(tenant_id=tenant_id, retention_days=0, errors=[_err(exc)])
                )
                continue
        days, held = effective_retention(configs)
        if days is None:
            log.info("dsar-purge: tenant %s skipped: no usable retention config (held=%s)", tenant_id, held)
            continue
        entry = TenantPurge(tenant_id=tenant_id, retention_days=days, held=held)
        result.per_tenant.append(entry)
        targets.append(_Target(entry, now - timedelta(days=days)))

    stopped = False
    batch = settings.delete_batch_size
    for data_class, model, attr in _ROW_TABLES:
        todo = [t for t in targets if data_class not in t.entry.held]  # held: absent from the list
        if not todo or stopped:
            continue
        stopped = _purge_table(session, model, attr, todo, batch, settings.dsar_purge_connections)

    for target in targets:
        entry = target.entry
        if not stopped:
            heartbeat()
            stopped = should_stop()
        if not stopped:
            purge_tenant_attachments(session, store, store_error, entry, target.cutoff, batch)
    if store is not None and not stopped:
        stopped = drain_blobs(session, store, result, _between_slices)
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
    for target in targets:
        _audit(session, target.entry, now)
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
        log.warning("dsar-purge: cannot read retention configs at once (%s); reading per tenant", _err(exc))
        return None
    by_tenant: dict[str, list[RetentionConfig]] = {}
    for c in rows:
        by_tenant.setdefault(c.tenant_id, []).append(c)
    return by_tenant


def _purge_table(
    session: Session, model: Any, attr: str, targets: list[_Target], batch: int, connections: int = 1
) -> bool:
    """Purge one row table for ``targets``; True when stopped early by a shutdown."""
    field = _field(attr)
    kind = _slice_kind(session)
    if kind is not None:
        try:
            _purge_slices(session, kind, model, field, targets, batch, connections)
            return False
        except LeaseLost:
            raise
        except _Stopped:
            return True
        except Exception as exc:  # noqa: BLE001 - fall back to per-tenant deletes, which isolate the failure
            session.rollback()
            log.warning(
                "dsar-purge: %s: multi-tenant slice failed (%s); falling back to per-tenant deletes",
                model.__tablename__,
                _err(exc),
            )
    for target in targets:
        heartbeat()
        if should_stop():
            return True
        entry = target.entry
        try:
            delete_expired(
                session, model, entry.tenant_id, target.cutoff, batch, on_batch=partial(_add, entry, field)
            )
        except Exception as exc:  # noqa: BLE001 - recorded; the other tables and tenants continue
            session.rollback()
            entry.errors.append(f"{attr}: {_err(exc)}")
            log.warning("dsar-purge: tenant %s: %s purge failed: %s", entry.tenant_id, attr, _err(exc))
    return False


# --------------------------------------------------------------------------------------------------
# One pass per table over physical slices, all tenants in one predicate
# --------------------------------------------------------------------------------------------------
def _slice_kind(session: Session) -> str | None:
    """``"postgresql"`` (14+: TID range scans), ``"sqlite"`` (3.38+: JSON built in), else None (per tenant)."""
    dialect = session.get_bind().dialect
    version = dialect.server_version_info or ()
    if dialect.name == "postgresql" and version >= (14,):
        return "postgresql"
    if dialect.name == "sqlite" and version >= (3, 38):
        return "sqlite"
    return None


def pg_slice_pages(batch: int) -> int:
    """Heap pages per PostgreSQL slice: 2,000 (16 MB) for the default batch of 5,000."""
    return max(1, batch * 2 // 5)


def sqlite_slice_rowids(batch: int) -> int:
    """Rowids per SQLite slice: 20,000 for the default batch of 5,000."""
    return max(1, batch * 4)


def _cutoff_groups(targets: list[_Target]) -> list[tuple[datetime, list[str]]]:
    """Tenants grouped by cutoff (tenants share a few retention periods in practice), oldest first."""
    groups: dict[datetime, list[str]] = {}
    for t in targets:
        groups.setdefault(t.cutoff, []).append(t.entry.tenant_id)
    return sorted(groups.items())


def _group_predicate(
    chunk: list[tuple[datetime, list[str]]], tenants_sql: str, prefix: str
) -> tuple[str, dict[str, Any]]:
    """``(created_at < :c0 AND tenant_id IN <group 0>) OR ...`` and its parameters."""
    terms: list[str] = []
    params: dict[str, Any] = {}
    for i, (cutoff, tenant_ids) in enumerate(chunk):
        terms.append(f"({prefix}created_at < :c{i} AND {tenants_sql.format(i=i)})")
        params[f"c{i}"] = cutoff
        params[f"g{i}"] = tenant_ids
    return " OR ".join(terms), params


def _typed(sql: str, params: dict[str, Any]) -> Any:
    """``text(sql)`` with the cutoff parameters bound as UTC datetimes (SQLite stores them naive)."""
    return text(sql).bindparams(
        *(bindparam(k, type_=UTCDateTime()) for k in params if k[0] == "c" and k[1:].isdigit())
    )


def _purge_slices(
    session: Session,
    kind: str,
    model: Any,
    field: str,
    targets: list[_Target],
    batch: int,
    connections: int = 1,
) -> None:
    by_id = {t.entry.tenant_id: t.entry for t in targets}
    table = model.__tablename__
    groups = _cutoff_groups(targets)

    def count(rows: Any) -> None:
        for tenant_id, n in rows:
            _add(by_id[tenant_id], field, n)

    if kind == "postgresql":
        # Few cutoffs: OR-ed ``tenant_id = ANY(group)`` terms (measured ~10 % faster than the join);
        # many: one join to ``unnest(tenants, cutoffs)``, so the statement never grows with them.
        if len(groups) <= _GROUPS_PER_STATEMENT:
            predicate, params = _group_predicate(groups, "t.tenant_id = ANY(CAST(:g{i} AS text[]))", "t.")
            using = ""
        else:
            predicate = "t.tenant_id = c.tenant_id AND t.created_at < c.cutoff"
            params = {"tenants": [t.entry.tenant_id for t in targets], "cutoffs": [t.cutoff for t in targets]}
            using = "USING unnest(CAST(:tenants AS text[]), CAST(:cutoffs AS timestamptz[])) AS c(tenant_id, cutoff) "
        pages = session.execute(
            text("SELECT pg_relation_size(CAST(:t AS regclass)) / current_setting('block_size')::int"),
            {"t": table},
        ).scalar_one()
        session.commit()
        span = pg_slice_pages(batch)
        # The heap range is spliced in as integer literals (computed here, never input), so each
        # slice is planned with its bounds known: a TID range scan. The counts per tenant are
        # aggregated in the server (RETURNING every row to the client cost ~60 % more).
        stmts = (
            _typed(
                f"WITH gone AS (DELETE FROM {table} AS t {using}"
                f"WHERE t.ctid >= '({lo},0)'::tid AND t.ctid < '({lo + span},0)'::tid AND ({predicate}) "
                "RETURNING t.tenant_id) SELECT tenant_id, count(*) FROM gone GROUP BY tenant_id",
                params,
            )
            for lo in range(0, int(pages), span)
        )
        k = connections_for(session, connections)
        if k > 1:  # K slices at once, one connection each (service.jobs._dsar_parallel)
            run_parallel(session.get_bind().engine, ((s, params) for s in stmts), k, count, _between_slices)
            return
        for stmt in stmts:
            _between_slices()
            count(_commit_slice(session, lambda stmt=stmt: _pg_slice(session, stmt, params)))
        return

    # SQLite: a group's tenants are one JSON parameter, so the statement does not grow with them.
    # Each slice counts, then deletes, inside one write transaction (BEGIN IMMEDIATE: no other writer
    # in between), so the counts are exactly the deleted rows — several times cheaper than RETURNING
    # a row per deleted row through the driver.
    span = sqlite_slice_rowids(batch)
    for g in range(0, len(groups), _GROUPS_PER_STATEMENT):
        predicate, params = _group_predicate(
            groups[g : g + _GROUPS_PER_STATEMENT], "tenant_id IN (SELECT value FROM json_each(:g{i}))", ""
        )
        params = {k: (json.dumps(v) if k[0] == "g" else v) for k, v in params.items()}
        where = f"rowid >= :lo AND rowid < :hi AND ({predicate})"
        count_stmt = _typed(
            f"SELECT tenant_id, count(*) FROM {table} WHERE {where} GROUP BY tenant_id", params
        )
        delete_stmt = _typed(f"DELETE FROM {table} WHERE {where}", params)
        # two subqueries: each is one b-tree seek (min() and max() together would scan the table)
        first, last = session.execute(
            text(f"SELECT (SELECT min(rowid) FROM {table}), (SELECT max(rowid) FROM {table})")
        ).one()
        session.commit()
        lo = first
        while lo is not None and lo <= last:
            _between_slices()
            args = {**params, "lo": lo, "hi": lo + span}
            count(
                _commit_slice(
                    session, lambda args=args, c=count_stmt, d=delete_stmt: _sqlite_slice(session, c, d, args)
                )
            )
            lo = session.execute(
                text(f"SELECT min(rowid) FROM {table} WHERE rowid >= :hi"), {"hi": lo + span}
            ).scalar()
            session.commit()


def _pg_slice(session: Session, stmt: Any, params: dict[str, Any]) -> list[Any]:
    # No WAL flush wait per slice (the plain DELETE has one commit; this has one per slice). Only a
    # database server crash within the WAL writer's delay can lose a slice, and the next run simply
    # deletes those rows again (the purge is idempotent); the audit rows' ordinary commit flushes the
    # WAL of every slice before them, so no audit row ever reports a lost delete.
    session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    return list(session.execute(stmt, params).all())


def _sqlite_slice(session: Session, count_stmt: Any, delete_stmt: Any, args: dict[str, Any]) -> list[Any]:
    session.execute(text("BEGIN IMMEDIATE"))  # take the write lock first: nothing changes in between
    counts = list(session.execute(count_stmt, args).all())
    deleted = rowcount(session.execute(delete_stmt, args))
    if deleted != sum(n for _, n in counts):  # pragma: no cover - impossible inside one write transaction
        raise RuntimeError(f"slice deleted {deleted} rows but counted {sum(n for _, n in counts)}")
    return counts


def _between_slices() -> None:
    heartbeat()  # renews the lease; LeaseLost stops the run
    if should_stop():
        raise _Stopped()


def _commit_slice(session: Session, work: Any) -> Any:
    """Run one slice statement in its own short transaction."""
    try:
        out = work()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return out


def _add(entry: TenantPurge, field: str, n: int) -> None:
    setattr(entry, field, getattr(entry, field) + int(n))


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


def delete_expired(
    session: Session,
    model: Any,
    tenant_id: str,
    cutoff: datetime,
    batch: int,
    *,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Delete the tenant's rows of ``model`` older than ``cutoff``, ``batch`` rows per transaction.

    ``on_batch(n)`` is called after each committed batch, so a caller still counts the batches
    committed before a later one fails (the exception propagates).
    """
    dialect = session.get_bind().dialect.name
    sql = _BATCH_SQL.get(dialect)
    if sql is None:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"dsar-purge supports sqlite and postgresql, not {dialect}")
    stmt = text(sql.format(t=model.__tablename__)).bindparams(bindparam("cutoff", type_=UTCDateTime()))
    total = 0
    while True:
        try:
            n = rowcount(session.execute(stmt, {"tenant": tenant_id, "cutoff": cutoff, "n": batch}))
            session.commit()
        except BaseException:
            session.rollback()
            raise
        total += n
        if on_batch is not None:
            on_batch(n)
        if n < batch:
            return total


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
