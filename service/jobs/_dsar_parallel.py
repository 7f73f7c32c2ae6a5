"""dsar-purge on PostgreSQL: a table's work items (time windows or heap slices) run over K connections.

One plain ``DELETE`` uses one server backend; the purge's work items are independent (disjoint time
windows or heap ranges, each its own short transaction), so K backends can run K of them at once.
The caller's thread stays the only one that talks to the run: it hands out the items in order,
renews the lease and checks the stop flag at every item boundary (``between``), and adds up every
committed item's per-tenant counts (``on_rows``), so the counts stay exact and need no lock. The
worker threads only run items, each on its own pooled connection held for the pass; an item is a
function of that connection that commits its own work and returns ``[(tenant_id, rows), ...]``.

On a stop (``between`` raises) or a failed item, no new item is handed out; the items already
running finish and are counted, then the exception propagates (the caller falls back to the
per-tenant path for what is left). An item that fails after committing part of its work raises
:class:`Partial`, so that part is still counted. SQLite keeps one writer and never comes here.

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

Work = Callable[[Connection], list[Any]]


class Partial(Exception):
    """An item failed after committing part of its work: ``rows`` were deleted (and are counted)."""

    def __init__(self, cause: BaseException, rows: list[Any]) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.rows = rows


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
    items: Iterable[Work],
    k: int,
    on_rows: Callable[[list[Any]], None],
    between: Callable[[], None],
    *,
    isolation_level: str | None = None,
) -> None:
    """Run each item on one of ``k`` connections (``isolation_level`` for each item's transaction)."""
    local = threading.local()
    opened: list[Connection] = []
    lock = threading.Lock()

    def work(item: Work) -> list[Any]:
        conn: Connection | None = getattr(local, "conn", None)
        if conn is None:
            conn = engine.connect()
            if isolation_level is not None:  # restored by the pool when the connection goes back
                conn = conn.execution_options(isolation_level=isolation_level)
            local.conn = conn
            with lock:
                opened.append(conn)
        return item(conn)

    failed: list[BaseException] = []

    def collect(done: set[Future[list[Any]]]) -> None:
        for f in done:
            exc = f.exception()
            if isinstance(exc, Partial):
                on_rows(exc.rows)
                failed.append(exc.cause)
            elif exc is not None:
                failed.append(exc)
            else:
                on_rows(f.result())

    pending: set[Future[list[Any]]] = set()
    pool = ThreadPoolExecutor(max_workers=k, thread_name_prefix="dsar-purge-slice")
    try:
        for item in items:
            finished = {f for f in pending if f.done()}
            pending -= finished
            collect(finished)
            while len(pending) >= k and not failed:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                collect(done)
            if failed:
                break
            between()  # lease heartbeat and stop flag, at each item boundary
            pending.add(pool.submit(work, item))
    finally:
        done, pending = wait(pending)  # items in flight finish and are counted, whatever happens
        collect(done)
        pool.shutdown(wait=True)
        for conn in opened:
            conn.close()
    if failed:
        raise failed[0]
