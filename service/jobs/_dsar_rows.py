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
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.orm import Session

from service.db import rowcount
from service.errors import LeaseLost
from service.errors import error_text as err
from service.jobs import _dsar_slices, _dsar_windows
from service.jobs._dsar_parallel import Partial, Work, connections_for, run_parallel
from service.jobs._dsar_result import Stopped, Target, TenantPurge, between_slices
from service.models.base import UTCDateTime
from service.models.decisioning import DecisionTrace, InteractionHistory
from service.models.tenants import DATA_CLASS_DECISION_TRACES, DATA_CLASS_INTERACTIONS
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


Pass = tuple[Any, str, list[Target]]  # (model, response field, its tenants: class not on hold)


def purge_tables(session: Session, passes: list[Pass], batch: int, connections: int = 1) -> bool:
    """Purge each row table for its targets, one pass per table; True when stopped early by a shutdown.

    A pass that fails goes on tenant by tenant (``delete_expired``): rows it deleted stay counted.
    """
    kind = slice_kind(session)
    left = list(passes)
    if not passes:
        return False
    try:
        if kind == "postgresql":
            left = _pg_passes(session, passes, batch, connections_for(session, connections))
        elif kind == "sqlite":
            left = [p for p in passes if not _sqlite_pass(session, p, batch)]
    except Stopped:
        return True
    for model, field, targets in left:
        if _per_tenant(session, model, field, targets, batch):
            return True
    return False


def _sqlite_pass(session: Session, p: Pass, batch: int) -> bool:
    """One table in rowid slices; False when it failed (the caller goes on per tenant)."""
    model, field, targets = p
    try:
        _dsar_slices.purge_sqlite(
            session, model.__tablename__, _pairs(targets), batch, _counter(p), between_slices
        )
        return True
    except (LeaseLost, Stopped):
        raise
    except Exception as exc:  # noqa: BLE001 - the per-tenant path isolates the failure
        _failed(session, model.__tablename__, exc)
        return False


class _InPass(Exception):
    """A work item of pass ``index`` failed with ``cause``."""

    def __init__(self, index: int, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.index, self.cause = index, cause


def _pg_passes(session: Session, passes: list[Pass], batch: int, k: int) -> list[Pass]:
    """Every table's windows (or slices) through one set of K connections, the tables one after the
    other without a pause in between; the passes left for the per-tenant path after a failure."""
    status = ["todo"] * len(passes)  # -> "running" -> "generated" (every item handed out)
    counters = [_counter(p) for p in passes]

    def items() -> Iterator[Work]:
        for i, (model, _field, targets) in enumerate(passes):
            status[i] = "running"
            table, pairs = model.__tablename__, _pairs(targets)
            try:
                work = _dsar_windows.items(session, table, pairs, batch)
            except _dsar_windows.UseSlices as why:
                log.info("dsar-purge: %s; physical slices instead", why)
                work = _dsar_slices.pg_items(session, table, pairs, batch)
            for item in work:
                yield partial(_tagged, i, item)
            status[i] = "generated"

    def count(rows: list[Any]) -> None:
        for i, tenant_id, n in rows:
            counters[i]([(tenant_id, n)])

    try:
        run_parallel(
            session.get_bind().engine, items(), k, count, between_slices, isolation_level="REPEATABLE READ"
        )
        return []
    except (LeaseLost, Stopped):
        raise
    except Exception as exc:  # noqa: BLE001 - the failed pass goes on per tenant, which isolates it
        running = {i for i, s in enumerate(status) if s == "running"}
        failed = {exc.index} if isinstance(exc, _InPass) else running or set(range(len(passes)))
        cause = exc.cause if isinstance(exc, _InPass) else exc
        for i in sorted(failed):
            _failed(session, passes[i][0].__tablename__, cause)
        again = [p for i, p in enumerate(passes) if status[i] != "generated" and i not in failed]
        return [passes[i] for i in sorted(failed)] + (_pg_passes(session, again, batch, k) if again else [])


def _tagged(index: int, item: Work, conn: Connection) -> list[Any]:
    """Run ``item``; its rows and failures tagged with its pass."""
    try:
        return [(index, tenant_id, n) for tenant_id, n in item(conn)]
    except Partial as exc:
        raise Partial(_InPass(index, exc.cause), [(index, t, n) for t, n in exc.rows]) from exc.cause
    except Exception as exc:
        raise _InPass(index, exc) from exc


def _pairs(targets: list[Target]) -> list[tuple[str, datetime]]:
    return [(t.entry.tenant_id, t.cutoff) for t in targets]


def _counter(p: Pass) -> Callable[[list[Any]], None]:
    """Adds a committed step's ``[(tenant_id, rows), ...]`` to the pass's response entries."""
    _model, field, targets = p
    by_id = {t.entry.tenant_id: t.entry for t in targets}

    def count(rows: list[Any]) -> None:
        for tenant_id, n in rows:
            _add(by_id[tenant_id], field, n)

    return count


def _failed(session: Session, table: str, exc: BaseException) -> None:
    session.rollback()
    log.warning(
        "dsar-purge: %s: multi-tenant pass failed (%s); falling back to per-tenant deletes", table, err(exc)
    )


def _per_tenant(session: Session, model: Any, field: str, targets: list[Target], batch: int) -> bool:
    """Tenant by tenant, a failure recorded in its own tenant's ``errors``; True when stopped."""
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
