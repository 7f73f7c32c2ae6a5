"""dsar-purge on PostgreSQL: a table's slices deleted over K connections at once.

One plain ``DELETE`` uses one server backend; the purge's slices are independent (disjoint heap
ranges, each its own short transaction), so K backends can delete K slices at the same time. The
caller's thread stays the only one that talks to the run: it hands out the slices in heap order,
renews the lease and checks the stop flag at every slice boundary (``between``), and adds up every
committed slice's per-tenant counts (``on_rows``), so the counts stay exact and need no lock. The
worker threads only run slice statements, each on its own pooled connection held for the pass.

On a stop (``between`` raises) or a failed slice, no new slice is handed out; the slices already
running finish and are counted, then the exception propagates (a failed slice: the caller falls back
to the per-tenant path for what is left). SQLite keeps one writer and never comes here.

``DSAR_PURGE_CONNECTIONS`` = 0 (the default) sizes K to the database: ``min(4, max(1,
max_connections // 25))`` — 4 on a default server (100), 1 on a small one (under 50), so the purge
takes at most a quarter of the server's connections.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

MAX_AUTO_CONNECTIONS = 4
CONNECTIONS_PER_SERVER_SHARE = 25  # auto: one purge connection per 25 of max_connections


def connections_for(session: Session, configured: int) -> int:
    """K: ``configured`` when set (≥ 1), else sized to the server's ``max_connections``."""
    if configured >= 1:
        return configured
    max_conn = int(session.execute(text("SELECT current_setting('max_connections')::int")).scalar_one())
    session.commit()
    return auto_connections(max_conn)


def auto_connections(max_connections: int) -> int:
    return min(MAX_AUTO_CONNECTIONS, max(1, max_connections // CONNECTIONS_PER_SERVER_SHARE))


def run_parallel(
    engine: Engine,
    slices: Iterable[tuple[Any, dict[str, Any]]],
    k: int,
    on_rows: Callable[[list[Any]], None],
    between: Callable[[], None],
) -> None:
    """Run each ``(statement, params)`` slice in its own transaction on one of ``k`` connections."""
    local = threading.local()
    opened: list[Connection] = []
    lock = threading.Lock()

    def work(stmt: Any, params: dict[str, Any]) -> list[Any]:
        conn: Connection | None = getattr(local, "conn", None)
        if conn is None:
            conn = engine.connect()
            local.conn = conn
            with lock:
                opened.append(conn)
        try:
            # as the one-connection path: no WAL flush wait per slice (see dsar_purge._pg_slice)
            conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
            rows = list(conn.execute(stmt, params).all())
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        return rows

    failed: list[BaseException] = []

    def collect(done: set[Future[list[Any]]]) -> None:
        for f in done:
            exc = f.exception()
            if exc is not None:
                failed.append(exc)
            else:
                on_rows(f.result())

    pending: set[Future[list[Any]]] = set()
    pool = ThreadPoolExecutor(max_workers=k, thread_name_prefix="dsar-purge-slice")
    try:
        for stmt, params in slices:
            while len(pending) >= k and not failed:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                collect(done)
            if failed:
                break
            between()  # lease heartbeat and stop flag, at each slice boundary
            pending.add(pool.submit(work, stmt, params))
    finally:
        done, pending = wait(pending)  # slices in flight finish and are counted, whatever happens
        collect(done)
        pool.shutdown(wait=True)
        for conn in opened:
            conn.close()
    if failed:
        raise failed[0]
