"""dsar-purge: the two row tables (decision traces, interaction history) — one pass per table for every
tenant whose class is not on hold, and the per-tenant path that isolates one tenant's failure.

The pass: on PostgreSQL 14+ time windows over the ``(tenant_id, created_at)`` index
(:mod:`service.jobs._dsar_windows`), or physical slices when the rows are not laid out by time; on
SQLite 3.38+ rowid slices (:mod:`service.jobs._dsar_slices`). If the pass fails (or the server is
older), that table falls back to the per-tenant path — ``LIMIT``-ed batches through the index
(``ctid`` on PostgreSQL, ``rowid`` on SQLite) — so one tenant's failure lands in its own ``errors``
and the other tenants continue; rows the pass already deleted stay counted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from service.db import rowcount
from service.errors import LeaseLost
from service.errors import error_text as err
from service.jobs import _dsar_slices, _dsar_windows
from service.jobs._dsar_parallel import connections_for
from service.jobs._dsar_result import Stopped, Target, TenantPurge, between_slices
from service.models import (
    DATA_CLASS_DECISION_TRACES,
    DATA_CLASS_INTERACTIONS,
    DecisionTrace,
    InteractionHistory,
    UTCDateTime,
)
from service.runcontext import heartbeat, should_stop

log = logging.getLogger("service.jobs.dsar_purge")

# Tables this route purges, by the data class that governs them, and their response field.
ROW_TABLES: tuple[tuple[str, Any, str], ...] = (
    (DATA_CLASS_DECISION_TRACES, DecisionTrace, "decision_traces"),
    (DATA_CLASS_INTERACTIONS, InteractionHistory, "interaction_history"),
)
_ALIAS = {"decision_traces": "decisionTraces", "interaction_history": "interactionHistory"}


def slice_kind(session: Session) -> str | None:
    """``"postgresql"`` (14+: TID range scans), ``"sqlite"`` (3.38+: JSON built in), else None (per tenant)."""
    dialect = session.get_bind().dialect
    version = dialect.server_version_info or ()
    if dialect.name == "postgresql" and version >= (14,):
        return "postgresql"
    if dialect.name == "sqlite" and version >= (3, 38):
        return "sqlite"
    return None


def purge_table(
    session: Session, model: Any, field: str, targets: list[Target], batch: int, connections: int = 1
) -> bool:
    """Purge one row table for ``targets``; True when stopped early by a shutdown."""
    table = model.__tablename__
    kind = slice_kind(session)
    if kind is not None:
        by_id = {t.entry.tenant_id: t.entry for t in targets}

        def count(rows: list[Any]) -> None:
            for tenant_id, n in rows:
                _add(by_id[tenant_id], field, n)

        pairs = [(t.entry.tenant_id, t.cutoff) for t in targets]
        try:
            if kind == "sqlite":
                _dsar_slices.purge_sqlite(session, table, pairs, batch, count, between_slices)
                return False
            k = connections_for(session, connections)
            try:
                _dsar_windows.purge(session, table, pairs, batch, k, count, between_slices)
            except _dsar_windows.Scattered as why:
                log.info("dsar-purge: %s; physical slices for the rest", why)
                _dsar_slices.purge_pg(session, table, pairs, batch, k, count, between_slices)
            return False
        except LeaseLost:
            raise
        except Stopped:
            return True
        except Exception as exc:  # noqa: BLE001 - fall back to per-tenant deletes, which isolate the failure
            session.rollback()
            log.warning(
                "dsar-purge: %s: multi-tenant pass failed (%s); falling back to per-tenant deletes",
                table,
                err(exc),
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
            entry.errors.append(f"{_ALIAS[field]}: {err(exc)}")
            log.warning(
                "dsar-purge: tenant %s: %s purge failed: %s", entry.tenant_id, _ALIAS[field], err(exc)
            )
    return False


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
