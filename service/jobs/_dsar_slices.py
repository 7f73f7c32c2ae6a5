"""dsar-purge: a row table purged in one pass over consecutive physical slices, all tenants in one predicate.

Every tenant whose class is not on hold is in the predicate with its own cutoff (a held tenant is
simply absent). Tenants are grouped by cutoff (they share a few retention periods in practice):
``(created_at < :c0 AND tenant_id IN <group 0>) OR ...``, a group's tenants bound as one array / JSON
parameter, so the statement does not grow with them. Each slice reads and dirties its pages once,
like a plain ``DELETE``, whatever order the rows were written in.

* PostgreSQL 14+ (used when the expired rows are not laid out by time, see
  :mod:`service.jobs._dsar_windows`): heap ranges of ``DELETE_BATCH_SIZE * 2 / 5`` pages (2,000 by
  default), ``ctid >= '(a,0)' AND ctid < '(b,0)'`` — a TID range scan — over K connections
  (:mod:`service.jobs._dsar_parallel`). Beyond 16 distinct cutoffs the groups become one join to
  ``unnest(:tenants, :cutoffs)``. The per-tenant counts are aggregated in the server from a
  ``DELETE … RETURNING tenant_id`` CTE.
* SQLite 3.38+ (JSON built in): rowid ranges of ``4 * DELETE_BATCH_SIZE`` rowids (gaps skipped);
  more than 16 distinct cutoffs take another pass. Each slice counts its rows per tenant, then
  deletes them, inside one write transaction (``BEGIN IMMEDIATE``), so the counts are exact.

Pages or rowids added after the pass started hold new rows; a row moved there by a concurrent update
is purged by the next run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.orm import Session

from service.db import rowcount
from service.jobs._dsar_parallel import Work
from service.models.base import UTCDateTime

GROUPS_PER_STATEMENT = 16  # distinct cutoffs OR-ed in one slice statement (PostgreSQL: more -> a join)
SYNC_OFF = text("SET LOCAL synchronous_commit TO OFF")
_READ_COMMITTED = text("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")

Rows = Callable[[list[Any]], None]


def pg_slice_pages(batch: int) -> int:
    """Heap pages per PostgreSQL slice: 2,000 (16 MB) for the default batch of 5,000."""
    return max(1, batch * 2 // 5)


def sqlite_slice_rowids(batch: int) -> int:
    """Rowids per SQLite slice: 20,000 for the default batch of 5,000."""
    return max(1, batch * 4)


def cutoff_groups(targets: list[tuple[str, datetime]]) -> list[tuple[datetime, list[str]]]:
    """Tenants grouped by cutoff (tenants share a few retention periods in practice), oldest first."""
    groups: dict[datetime, list[str]] = {}
    for tenant_id, cutoff in targets:
        groups.setdefault(cutoff, []).append(tenant_id)
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


def pg_items(session: Session, table: str, targets: list[tuple[str, datetime]], batch: int) -> Iterator[Work]:
    """PostgreSQL: the work items purging ``table`` in heap slices (for
    :func:`service.jobs._dsar_parallel.run_parallel`), per-tenant counts from ``RETURNING``."""
    groups = cutoff_groups(targets)
    # Few cutoffs: OR-ed ``tenant_id = ANY(group)`` terms (measured ~10 % faster than the join);
    # many: one join to ``unnest(tenants, cutoffs)``, so the statement never grows with them.
    if len(groups) <= GROUPS_PER_STATEMENT:
        predicate, params = _group_predicate(groups, "t.tenant_id = ANY(CAST(:g{i} AS text[]))", "t.")
        using = ""
    else:
        predicate = "t.tenant_id = c.tenant_id AND t.created_at < c.cutoff"
        params = {"tenants": [t for t, _ in targets], "cutoffs": [c for _, c in targets]}
        using = (
            "USING unnest(CAST(:tenants AS text[]), CAST(:cutoffs AS timestamptz[])) AS c(tenant_id, cutoff) "
        )
    pages = session.execute(
        text("SELECT pg_relation_size(CAST(:t AS regclass)) / current_setting('block_size')::int"),
        {"t": table},
    ).scalar_one()
    session.commit()
    span = pg_slice_pages(batch)
    # The heap range is spliced in as integer literals (computed here, never input), so each slice
    # is planned with its bounds known: a TID range scan. The counts per tenant are aggregated in
    # the server (RETURNING every row to the client cost ~60 % more).
    return (
        partial(
            _pg_slice,
            _typed(
                f"WITH gone AS (DELETE FROM {table} AS t {using}"
                f"WHERE t.ctid >= '({lo},0)'::tid AND t.ctid < '({lo + span},0)'::tid AND ({predicate}) "
                "RETURNING t.tenant_id) SELECT tenant_id, count(*) FROM gone GROUP BY tenant_id",
                params,
            ),
            params,
        )
        for lo in range(0, int(pages), span)
    )


def _pg_slice(stmt: Any, params: dict[str, Any], conn: Connection) -> list[Any]:
    try:
        # READ COMMITTED (the pass's connections default to REPEATABLE READ, for the time windows): a
        # row changed under the slice is re-checked and still deleted only if it qualifies.
        conn.execute(_READ_COMMITTED)
        # No WAL flush wait per slice (the plain DELETE has one commit; this has one per slice).
        # Only a database server crash within the WAL writer's delay can lose a slice, and the next
        # run simply deletes those rows again (the purge is idempotent); the audit rows' ordinary
        # commit flushes the WAL of every slice before them, so no audit row reports a lost delete.
        conn.execute(SYNC_OFF)
        rows = list(conn.execute(stmt, params).all())
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return rows


def purge_sqlite(
    session: Session,
    table: str,
    targets: list[tuple[str, datetime]],
    batch: int,
    on_rows: Rows,
    between: Callable[[], None],
) -> None:
    """SQLite: rowid slices on the session's connection, counted then deleted in one write transaction.

    A group's tenants are one JSON parameter, so the statement does not grow with them. Counting first
    inside ``BEGIN IMMEDIATE`` (no other writer in between) makes the counts exactly the deleted rows —
    several times cheaper than RETURNING a row per deleted row through the driver.
    """
    groups = cutoff_groups(targets)
    span = sqlite_slice_rowids(batch)
    for g in range(0, len(groups), GROUPS_PER_STATEMENT):
        predicate, params = _group_predicate(
            groups[g : g + GROUPS_PER_STATEMENT], "tenant_id IN (SELECT value FROM json_each(:g{i}))", ""
        )
        params = {k: (json.dumps(v) if k[0] == "g" else v) for k, v in params.items()}
        where = f"rowid >= :lo AND rowid < :hi AND ({predicate})"
        count_stmt = _typed(
            f"SELECT tenant_id, count(*) FROM {table} WHERE {where} GROUP BY tenant_id", params
        )
        delete_stmt = _typed(f"DELETE FROM {table} WHERE {where}", params)
        for lo in _rowid_slices(session, table, span):
            between()
            args = {**params, "lo": lo, "hi": lo + span}
            try:
                counts = _sqlite_slice(session, count_stmt, delete_stmt, args)
                session.commit()
            except BaseException:
                session.rollback()
                raise
            on_rows(counts)


def _rowid_slices(session: Session, table: str, span: int) -> Iterator[int]:
    """The first rowid of each slice of ``span`` rowids that holds a row (gaps skipped)."""
    # two subqueries: each is one b-tree seek (min() and max() together would scan the table)
    first, last = session.execute(
        text(f"SELECT (SELECT min(rowid) FROM {table}), (SELECT max(rowid) FROM {table})")
    ).one()
    session.commit()
    lo = first
    while lo is not None and lo <= last:
        yield lo
        lo = session.execute(
            text(f"SELECT min(rowid) FROM {table} WHERE rowid >= :hi"), {"hi": lo + span}
        ).scalar()
        session.commit()


def _sqlite_slice(session: Session, count_stmt: Any, delete_stmt: Any, args: dict[str, Any]) -> list[Any]:
    session.execute(text("BEGIN IMMEDIATE"))  # take the write lock first: nothing changes in between
    counts = list(session.execute(count_stmt, args).all())
    deleted = rowcount(session.execute(delete_stmt, args))
    if deleted != sum(n for _, n in counts):  # pragma: no cover - impossible inside one write transaction
        raise RuntimeError(f"slice deleted {deleted} rows but counted {sum(n for _, n in counts)}")
    return counts
