"""dsar-purge on PostgreSQL: a row table purged in time windows over its ``(tenant_id, created_at)`` index.

The request's thread cuts the expired time range into consecutive windows ``[lo, hi)`` sized for about
``4 × DELETE_BATCH_SIZE`` rows (from the rows the finished windows held). A window never spans a
tenant's cutoff, so all its tenants share its bounds: ``tenant_id = ANY(:tenants) AND created_at >=
:lo AND created_at < :hi`` (a held tenant is never in the list).

Each window runs on one of K connections (:mod:`service.jobs._dsar_parallel`) as one short REPEATABLE
READ transaction: count the window's rows per tenant (an index-only scan that stops at ``8 ×
DELETE_BATCH_SIZE`` rows), then DELETE them. Both statements see the transaction's one snapshot and
the DELETE removes exactly the rows that snapshot sees (a row another transaction changed or deleted
meanwhile fails it with a serialization error; the window is retried), so the per-tenant counts are
exact without ``RETURNING`` — which makes PostgreSQL fetch every deleted row a second time
(bench/analysis.md, benchmark 3). Both go through the index: only the pages holding expired rows are
read and dirtied. A window whose count reaches the cap is rolled back and split in two halves, down to
one microsecond; one instant holding more rows than that (a bulk load stamped with one ``now()``) is
deleted tenant by tenant in ``LIMIT``-ed batches, each its own transaction. No statement outgrows the
bound.

That pays only when rows written at the same time sit together on the heap, as in tables filled as
time passes (also after VACUUM let new rows reuse old pages). Before the first DELETE, the first
``JUDGE_ROWS`` expired rows are located (capped probes, halving a window over the cap): when they
share fewer than ``MIN_ROWS_PER_PAGE`` rows per heap page on average (rows loaded in random time
order), :class:`UseSlices` is raised and the caller takes physical slices
(:mod:`service.jobs._dsar_slices`) — as it does beyond ``MAX_TENANTS`` tenants with expired rows,
where each window statement would spend more on one index descent per tenant than on its rows.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from service.db import rowcount
from service.jobs._dsar_parallel import Partial, Work

WINDOW_BATCHES = 4  # target rows per window, in DELETE_BATCH_SIZE
CAP_BATCHES = 8  # a window counting this many rows (in DELETE_BATCH_SIZE) is split
FIRST_WINDOW_PARTS = 64  # the first window: this share of the expired time range
JUDGE_ROWS = 1000  # rows located before the layout is judged
MIN_ROWS_PER_PAGE = 2.0  # fewer expired rows per heap page touched: scattered, use physical slices
MAX_TENANTS = 1000  # more tenants with expired rows in one table: physical slices
RETRIES = 3  # attempts per window on serialization failures and deadlocks
_RETRYABLE = ("40001", "40P01")  # serialization_failure, deadlock_detected
log = logging.getLogger("service.jobs.dsar_purge")
_TICK = timedelta(microseconds=1)  # timestamptz resolution
_IN_WINDOW = "tenant_id = ANY(CAST(:tenants AS text[])) AND created_at >= :lo AND created_at < :hi"
_SYNC_OFF_SQL = "SET LOCAL synchronous_commit TO OFF"  # see _dsar_slices._pg_slice
_IN_WINDOW_DRIVER = "tenant_id = ANY(%(tenants)s::text[]) AND created_at >= %(lo)s AND created_at < %(hi)s"
# index order is tenant order: a streaming GroupAggregate, no hashing; LIMIT: stop at the cap
_COUNT = (
    f"SELECT tenant_id, count(*) FROM (SELECT tenant_id FROM {{t}} WHERE {_IN_WINDOW_DRIVER} "
    "ORDER BY tenant_id LIMIT %(cap)s) AS x GROUP BY tenant_id"
)
_DELETE = f"DELETE FROM {{t}} WHERE {_IN_WINDOW_DRIVER}"


class UseSlices(Exception):
    """Windows do not suit this table (rows not laid out by time, too many tenants): use slices."""


@dataclass(frozen=True)
class Window:
    tenants: list[str]  # every tenant whose expired rows may lie in the window
    lo: datetime
    hi: datetime


def items(session: Session, table: str, targets: list[tuple[str, datetime]], batch: int) -> Iterator[Work]:
    """The work items purging ``table`` for ``targets`` ``(tenant_id, cutoff)``, one per window, for
    :func:`service.jobs._dsar_parallel.run_parallel` on REPEATABLE READ connections.

    Locates the first expired rows at once: raises :class:`UseSlices`, before anything is deleted,
    when windows do not suit the table.
    """
    sizes: deque[tuple[timedelta, int]] = deque()  # (width, rows) of finished windows, from the workers
    return (partial(_delete, table, w, batch, sizes) for w in windows(session, table, targets, batch, sizes))


def windows(
    session: Session,
    table: str,
    targets: list[tuple[str, datetime]],
    batch: int,
    sizes: deque[tuple[timedelta, int]],
) -> Iterator[Window]:
    """The windows in time order; each next width from the last finished window's rows (``sizes``).
    Reads each tenant's oldest expired row and judges the layout at once (may raise UseSlices)."""
    cutoff = dict(targets)
    start = _starts(session, table, targets)  # tenants with expired rows: their oldest row
    if not start:
        return iter(())
    if len(start) > MAX_TENANTS:
        raise UseSlices(f"{table}: {len(start)} tenants with expired rows, over {MAX_TENANTS}")
    lo = min(start.values())
    span = max(cutoff[t] for t in start) - lo  # the whole expired time range
    width = _judge(session, table, start, cutoff, lo, max(span / FIRST_WINDOW_PARTS, _TICK), batch)
    return _cut(start, cutoff, lo, width, span, WINDOW_BATCHES * batch, sizes)


def _cut(
    start: dict[str, datetime],
    cutoff: dict[str, datetime],
    lo: datetime,
    width: timedelta,
    span: timedelta,
    target: int,
    sizes: deque[tuple[timedelta, int]],
) -> Iterator[Window]:
    while True:
        while sizes:  # a finished window: aim the next one at ``target`` rows
            w, rows = sizes.popleft()
            width = _rescaled(w, rows, target)
        window = _next_window(start, cutoff, lo, min(width, span))
        if window is None:
            return
        yield window
        lo = window.hi


def _next_window(
    start: dict[str, datetime], cutoff: dict[str, datetime], lo: datetime, width: timedelta
) -> Window | None:
    """The window from ``lo`` (or, after a gap, from the next tenant's oldest row) at most ``width``
    wide and never past a live tenant's cutoff; None when no tenant has expired rows left."""
    while True:
        live = [t for t in start if cutoff[t] > lo]
        if not live:
            return None
        limit = min(cutoff[t] for t in live)
        hi = lo + width if width < limit - lo else limit
        begun = [t for t in live if start[t] < hi]
        if begun:
            return Window(sorted(begun), lo, hi)
        lo = min(start[t] for t in live)  # a gap before the next tenant's oldest row


def _rescaled(width: timedelta, rows: int, target: int) -> timedelta:
    """The next window's width: ``width`` held ``rows``; aim at ``target`` (at most 4× wider or narrower)."""
    return max(width * min(4.0, max(0.25, target / max(rows, 1))), _TICK)


def _judge(
    session: Session,
    table: str,
    start: dict[str, datetime],
    cutoff: dict[str, datetime],
    lo: datetime,
    width: timedelta,
    batch: int,
) -> timedelta:
    """Locate the first ``JUDGE_ROWS`` expired rows; raise UseSlices if they are spread thin over the
    heap. Returns a window width sized from what was seen."""
    target, cap = WINDOW_BATCHES * batch, CAP_BATCHES * batch
    rows_seen = pages_seen = 0
    while rows_seen < JUDGE_ROWS:
        window = _next_window(start, cutoff, lo, width)
        if window is None:
            break
        lo, hi = window.lo, window.hi
        rows, pages = session.execute(
            text(
                "SELECT count(*), count(DISTINCT (ctid::text::point)[0]) FROM (SELECT ctid FROM "
                f"{table} WHERE {_IN_WINDOW} LIMIT :cap) AS x"
            ),
            {"tenants": window.tenants, "lo": lo, "hi": hi, "cap": cap},
        ).one()
        session.commit()
        if rows >= cap and hi - lo > _TICK:
            width = max((hi - lo) / 2, _TICK)
            continue
        rows_seen, pages_seen = rows_seen + rows, pages_seen + pages
        width = _rescaled(hi - lo, rows, target)
        lo = hi
    if rows_seen >= JUDGE_ROWS and rows_seen < MIN_ROWS_PER_PAGE * pages_seen:
        raise UseSlices(f"{table}: {rows_seen} expired rows over {pages_seen} heap pages")
    return width


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


def _delete(
    table: str, w: Window, batch: int, sizes: deque[tuple[timedelta, int]], conn: Connection
) -> list[Any]:
    """One window on ``conn``, split in halves while it counts ``cap`` rows or more: its per-tenant
    counts. Each (half-)window is one transaction; a failure after some committed raises Partial."""
    cap = CAP_BATCHES * batch
    done: dict[str, int] = {}
    todo = [(w.lo, w.hi)]
    try:
        while todo:
            lo, hi = todo.pop()
            counts = _window(conn, table, w.tenants, lo, hi, cap)
            if counts is not None:
                for tenant_id, n in counts:
                    done[tenant_id] = done.get(tenant_id, 0) + n
            elif hi - lo > _TICK:
                mid = lo + (hi - lo) / 2
                todo += [(mid, hi), (lo, mid)]  # the older half first
            else:
                _instant(conn, table, w.tenants, lo, hi, batch, done)
    except Exception as exc:
        raise Partial(exc, list(done.items())) from exc
    sizes.append((w.hi - w.lo, sum(done.values())))
    return list(done.items())


def _window(
    conn: Connection, table: str, tenants: list[str], lo: datetime, hi: datetime, cap: int
) -> list[tuple[str, int]] | None:
    """Count, then delete, the window's rows under one snapshot; None (nothing done) at ``cap`` rows."""
    # driver SQL (pyformat): the hot loop skips building and compiling a text() per window, and the
    # statements still pass through the engine's events (the benchmark times every one of them)
    params = {"tenants": tenants, "lo": lo, "hi": hi, "cap": cap}
    for attempt in range(RETRIES):
        try:
            conn.exec_driver_sql(_SYNC_OFF_SQL)
            counts = [
                (tenant_id, int(n)) for tenant_id, n in conn.exec_driver_sql(_COUNT.format(t=table), params)
            ]
            total = sum(n for _, n in counts)
            if total >= cap:  # the count stopped at the cap: too many rows for one window
                conn.rollback()
                return None
            deleted = rowcount(conn.exec_driver_sql(_DELETE.format(t=table), params))
            if deleted != total:  # pragma: no cover - one snapshot: cannot differ
                raise RuntimeError(f"window deleted {deleted} rows but counted {total}")
            conn.commit()
            return [(t, n) for t, n in counts if n]
        except DBAPIError as exc:
            conn.rollback()
            if getattr(exc.orig, "sqlstate", None) not in _RETRYABLE or attempt + 1 == RETRIES:
                raise
            log.info("dsar-purge: %s: window retried after a concurrent change (%s)", table, exc.orig)
        except BaseException:
            conn.rollback()
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def _instant(
    conn: Connection,
    table: str,
    tenants: list[str],
    lo: datetime,
    hi: datetime,
    batch: int,
    done: dict[str, int],
) -> None:
    """One microsecond holding ``cap`` rows or more: each tenant's rows in ``LIMIT``-ed batches, one
    transaction each, added to ``done`` as they commit."""
    stmt = text(
        f"DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} WHERE tenant_id = :tenant "
        "AND created_at >= :lo AND created_at < :hi LIMIT :n)) "
        "AND tenant_id = :tenant AND created_at >= :lo AND created_at < :hi"
    )
    for tenant_id in tenants:
        while True:
            try:
                conn.exec_driver_sql(_SYNC_OFF_SQL)
                n = rowcount(conn.execute(stmt, {"tenant": tenant_id, "lo": lo, "hi": hi, "n": batch}))
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
            done[tenant_id] = done.get(tenant_id, 0) + n
            if n < batch:
                break
