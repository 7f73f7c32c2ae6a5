"""dsar-purge on PostgreSQL: a row table purged in time windows over its ``(tenant_id, created_at)`` index.

The request's thread walks the expired time range in consecutive windows ``[lo, hi)``. It probes each
window first — how many rows each tenant has in it, an index-only scan capped at ``8 ×
DELETE_BATCH_SIZE`` rows — halves a window over the cap, and sizes the next one for about ``4 ×
DELETE_BATCH_SIZE`` rows. A window never spans a tenant's cutoff, so all its tenants share its
bounds: ``tenant_id = ANY(:tenants) AND created_at >= :lo AND created_at < :hi``, the tenants being
those the probe found there (a held tenant is never in the list).

Each window is one short REPEATABLE READ transaction on one of K connections
(:mod:`service.jobs._dsar_parallel`): count the window's rows per tenant, then DELETE them. Both
statements see the transaction's one snapshot, and the DELETE removes exactly the rows that snapshot
sees (a row another transaction changed or deleted meanwhile fails it with a serialization error; the
window is retried), so the per-tenant counts are exact without ``RETURNING`` — which makes
PostgreSQL fetch every deleted row a second time (bench/analysis.md, benchmark 3). Both go through
the index, so only the pages that hold expired rows are read and dirtied.

That pays only when rows written at the same time sit together on the heap, as in tables filled as
time passes (also after VACUUM let new rows reuse old pages). Until ``JUDGE_ROWS`` rows have been
probed, each window's rows are located: when they share fewer than ``MIN_ROWS_PER_PAGE`` rows per
heap page on average (rows loaded in random time order), :class:`Scattered` is raised and the caller
purges the rest of the table in physical slices (:mod:`service.jobs._dsar_slices`).

One instant holding more rows than the cap (a bulk load stamped with one ``now()``) is deleted tenant
by tenant in ``LIMIT``-ed batches instead, each its own transaction, so no statement outgrows the
bound.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from service.db import rowcount
from service.jobs._dsar_parallel import Partial, Work, run_parallel

WINDOW_BATCHES = 4  # target rows per window, in DELETE_BATCH_SIZE
CAP_BATCHES = 8  # a probed window with more rows (in DELETE_BATCH_SIZE) is halved
FIRST_WINDOW_PARTS = 64  # the first window: this share of the expired time range
JUDGE_ROWS = 1000  # rows located before the layout is judged
MIN_ROWS_PER_PAGE = 2.0  # fewer expired rows per heap page touched: scattered, use physical slices
RETRIES = 3  # attempts per window on serialization failures and deadlocks
_RETRYABLE = ("40001", "40P01")  # serialization_failure, deadlock_detected
log = logging.getLogger("service.jobs.dsar_purge")
_TICK = timedelta(microseconds=1)  # timestamptz resolution
_SYNC_OFF = text("SET LOCAL synchronous_commit TO OFF")  # see _dsar_slices._pg_slice
_IN_WINDOW = "tenant_id = ANY(CAST(:tenants AS text[])) AND created_at >= :lo AND created_at < :hi"


class Scattered(Exception):
    """The table's expired rows are not laid out by time: purge the rest in physical slices."""


@dataclass(frozen=True)
class Window:
    tenants: list[str]  # those with rows in the window when it was probed
    lo: datetime
    hi: datetime
    rows: int  # probed (sizing only; the reported counts come from the window's own transaction)
    dense: bool = False  # one instant over the cap: per-tenant LIMIT-ed batches


def purge(
    session: Session,
    table: str,
    targets: list[tuple[str, datetime]],
    batch: int,
    k: int,
    on_rows: Callable[[list[Any]], None],
    between: Callable[[], None],
) -> None:
    """Purge ``table`` for ``targets`` ``(tenant_id, cutoff)`` window by window over ``k`` connections.

    Raises :class:`Scattered` (after the windows already handed out finished and were counted) when
    the layout does not suit windows.
    """
    items: Iterator[Work] = (
        partial(_delete, table, w, batch) for w in windows(session, table, targets, batch)
    )
    run_parallel(session.get_bind().engine, items, k, on_rows, between, isolation_level="REPEATABLE READ")


def windows(
    session: Session, table: str, targets: list[tuple[str, datetime]], batch: int
) -> Iterator[Window]:
    """The windows in time order, probed on ``session`` (one short read transaction each)."""
    cutoff = dict(targets)
    start = _starts(session, table, targets)  # tenants with expired rows: their oldest row
    if not start:
        return
    target, cap = WINDOW_BATCHES * batch, CAP_BATCHES * batch
    lo = min(start.values())
    span = max(cutoff[t] for t in start) - lo  # the whole expired time range
    width = max(span / FIRST_WINDOW_PARTS, _TICK)
    judged_rows = judged_pages = 0
    while True:
        live = [t for t in start if cutoff[t] > lo]
        if not live:
            return
        limit = min(cutoff[t] for t in live)  # never past a live tenant's cutoff
        hi = lo + width if width < limit - lo else limit
        begun = [t for t in live if start[t] < hi]
        if not begun:  # a gap before the next tenant's oldest row
            lo = min(start[t] for t in live)
            continue
        found = _probe(session, table, begun, lo, hi, cap)
        rows = sum(found.values())
        if rows >= cap and hi - lo > _TICK:
            width = max((hi - lo) / 2, _TICK)
            continue
        if rows:  # over the cap, the probe stopped early: every tenant begun may have rows there
            w = Window(sorted(begun if rows >= cap else found), lo, hi, rows, dense=rows >= cap)
            if judged_rows < JUDGE_ROWS and not w.dense:
                judged_rows += rows
                judged_pages += _pages(session, table, w)
                if judged_rows >= JUDGE_ROWS and judged_rows < MIN_ROWS_PER_PAGE * judged_pages:
                    raise Scattered(f"{table}: {judged_rows} expired rows over {judged_pages} heap pages")
            yield w
        lo = hi
        width = min(max(width * min(4.0, max(0.5, target / max(rows, 1))), _TICK), span)


def _starts(session: Session, table: str, targets: list[tuple[str, datetime]]) -> dict[str, datetime]:
    """Each tenant's oldest expired row (one index descent per tenant); tenants without are absent."""
    rows = session.execute(
        text(
            "SELECT u.tenant_id, f.created_at FROM unnest(CAST(:tenants AS text[]), "
            "CAST(:cutoffs AS timestamptz[])) AS u(tenant_id, cutoff) CROSS JOIN LATERAL "
            f"(SELECT t.created_at FROM {table} AS t WHERE t.tenant_id = u.tenant_id "
            "AND t.created_at < u.cutoff ORDER BY t.created_at LIMIT 1) AS f"
        ),
        {"tenants": [t for t, _ in targets], "cutoffs": [c for _, c in targets]},
    ).all()
    session.commit()
    return {tenant_id: created for tenant_id, created in rows}


def _probe(
    session: Session, table: str, tenants: list[str], lo: datetime, hi: datetime, cap: int
) -> dict[str, int]:
    rows = session.execute(
        text(
            f"SELECT tenant_id, count(*) FROM (SELECT tenant_id FROM {table} WHERE {_IN_WINDOW} "
            "LIMIT :cap) AS x GROUP BY tenant_id"
        ),
        {"tenants": tenants, "lo": lo, "hi": hi, "cap": cap},
    ).all()
    session.commit()
    return {tenant_id: int(n) for tenant_id, n in rows}


def _pages(session: Session, table: str, w: Window) -> int:
    """Heap pages holding the window's rows."""
    n = session.execute(
        text(f"SELECT count(DISTINCT (ctid::text::point)[0]) FROM {table} WHERE {_IN_WINDOW}"),
        {"tenants": w.tenants, "lo": w.lo, "hi": w.hi},
    ).scalar_one()
    session.commit()
    return int(n)


def _delete(table: str, w: Window, batch: int, conn: Connection) -> list[Any]:
    """One window, in one REPEATABLE READ transaction on ``conn``: its per-tenant counts."""
    if w.dense:
        return _delete_instant(table, w, batch, conn)
    params = {"tenants": w.tenants, "lo": w.lo, "hi": w.hi}
    for attempt in range(RETRIES):
        try:
            conn.execute(_SYNC_OFF)
            counts = [
                (tenant_id, int(n))
                for tenant_id, n in conn.execute(
                    text(f"SELECT tenant_id, count(*) FROM {table} WHERE {_IN_WINDOW} GROUP BY tenant_id"),
                    params,
                )
            ]
            deleted = rowcount(conn.execute(text(f"DELETE FROM {table} WHERE {_IN_WINDOW}"), params))
            if deleted != sum(n for _, n in counts):  # pragma: no cover - one snapshot: cannot differ
                raise RuntimeError(f"window deleted {deleted} rows but counted {sum(n for _, n in counts)}")
            conn.commit()
            return counts
        except DBAPIError as exc:
            conn.rollback()
            if getattr(exc.orig, "sqlstate", None) not in _RETRYABLE or attempt + 1 == RETRIES:
                raise
            log.info("dsar-purge: %s: window retried after a concurrent change (%s)", table, exc.orig)
        except BaseException:
            conn.rollback()
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def _delete_instant(table: str, w: Window, batch: int, conn: Connection) -> list[Any]:
    """A window too dense to shrink: each tenant's rows in ``LIMIT``-ed batches, one transaction each."""
    stmt = text(
        f"DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} WHERE tenant_id = :tenant "
        "AND created_at >= :lo AND created_at < :hi LIMIT :n)) "
        "AND tenant_id = :tenant AND created_at >= :lo AND created_at < :hi"
    )
    done: list[Any] = []
    for tenant_id in w.tenants:
        total = 0
        try:
            while True:
                conn.execute(_SYNC_OFF)
                n = rowcount(conn.execute(stmt, {"tenant": tenant_id, "lo": w.lo, "hi": w.hi, "n": batch}))
                conn.commit()
                total += n
                if n < batch:
                    break
        except Exception as exc:
            conn.rollback()
            raise Partial(exc, [*done, (tenant_id, total)]) from exc
        except BaseException:
            conn.rollback()
            raise
        done.append((tenant_id, total))
    return done
