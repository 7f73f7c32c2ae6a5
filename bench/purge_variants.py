"""Why dsar-purge is slower than one plain DELETE, and what closes the gap (not part of ``make bench``).

``python -m bench.purge_variants [EXPIRED_ROWS] [ROUNDS]`` loads the benchmark-3 data set (10 tenants
round-robin, half of each table expired), then times batched-delete strategies against the plain
DELETE on identical copies, interleaved per round. Each strategy commits after every statement.

* per-tenant ctid / rowid: what dsar-purge did first — for each tenant, ``LIMIT 5000`` rows through
  the ``(tenant_id, created_at)`` index. Tenants' rows are interleaved in the heap (they all write all the
  time), so every heap page is revisited and re-dirtied once per tenant, and each batch re-walks the
  dead index entries left by the batches before it.
* single pass by page/rowid range: one predicate for all tenants (``tenant_id = ANY(...)`` with their
  cutoff; per-tenant cutoffs would join a ``VALUES (tenant, cutoff)`` list), batches are consecutive
  heap ranges — PostgreSQL TID range scans (``ctid >= '(a,0)' AND ctid < '(b,0)'``, PostgreSQL 14+),
  SQLite rowid ranges — so every page is read and dirtied once, like the plain DELETE, and each
  statement is bounded by the range size. With per-tenant counts from a ``DELETE … RETURNING`` CTE
  (what dsar-purge's physical slices do), and without counts.
* PostgreSQL time windows over the ``(tenant_id, created_at)`` index (what dsar-purge does when rows
  are in time order): per window of about 20,000 rows one REPEATABLE READ transaction counting the
  rows per tenant (index-only) and then deleting them — exact counts without RETURNING, and only the
  pages holding expired rows are touched. One connection here; the job runs K of them at once.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any, cast

import psycopg

from bench import datasets, pg

TENANTS = 10
BATCH = 5000
PG_PAGES = 2000  # heap pages per TID-range statement
SQLITE_ROWIDS = 20000  # rowids per range statement
WINDOW_ROWS = 20000  # expired rows per PostgreSQL time window (4 x DELETE_BATCH_SIZE)
TABLES = ("decision_traces", "interaction_history")


def _pg_per_tenant(conn: psycopg.Connection, tenants: list[str], cut: datetime) -> tuple[int, float, int]:
    total, longest, n_stmt = 0, 0.0, 0
    for table in TABLES:
        for t in tenants:
            while True:
                s = time.perf_counter()
                n = conn.execute(
                    f"DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} WHERE tenant_id = %s "
                    f"AND created_at < %s LIMIT {BATCH})) AND tenant_id = %s AND created_at < %s",
                    (t, cut, t, cut),
                ).rowcount
                conn.commit()
                longest, total, n_stmt = max(longest, time.perf_counter() - s), total + n, n_stmt + 1
                if n < BATCH:
                    break
    return total, longest, n_stmt


def _heap_pages(conn: psycopg.Connection, table: str) -> int:
    """The table's size in heap pages (committed: the loop's first statement starts a fresh transaction)."""
    row = conn.execute(
        "SELECT pg_relation_size(%s) / current_setting('block_size')::int", (table,)
    ).fetchone()
    conn.commit()
    return int(cast("tuple[Any, ...]", row)[0])  # one row, always


def _pg_tid_range(conn: psycopg.Connection, tenants: list[str], cut: datetime) -> tuple[int, float, int]:
    total, longest, n_stmt = 0, 0.0, 0
    for table in TABLES:
        pages = _heap_pages(conn, table)
        for a in range(0, pages + 1, PG_PAGES):
            s = time.perf_counter()
            n = conn.execute(
                f"DELETE FROM {table} WHERE ctid >= %s::tid AND ctid < %s::tid AND tenant_id = ANY(%s) "
                "AND created_at < %s",
                (f"({a},0)", f"({a + PG_PAGES},0)", tenants, cut),
            ).rowcount
            conn.commit()
            longest, total, n_stmt = max(longest, time.perf_counter() - s), total + n, n_stmt + 1
    return total, longest, n_stmt


def _pg_tid_counted(conn: psycopg.Connection, tenants: list[str], cut: datetime) -> tuple[int, float, int]:
    total, longest, n_stmt = 0, 0.0, 0
    for table in TABLES:
        pages = _heap_pages(conn, table)
        for a in range(0, pages + 1, PG_PAGES):
            s = time.perf_counter()
            rows = conn.execute(
                f"WITH gone AS (DELETE FROM {table} WHERE ctid >= %s::tid AND ctid < %s::tid "
                "AND tenant_id = ANY(%s) AND created_at < %s RETURNING tenant_id) "
                "SELECT tenant_id, count(*) FROM gone GROUP BY tenant_id",
                (f"({a},0)", f"({a + PG_PAGES},0)", tenants, cut),
            ).fetchall()
            conn.commit()
            n = sum(c for _, c in rows)
            longest, total, n_stmt = max(longest, time.perf_counter() - s), total + n, n_stmt + 1
    return total, longest, n_stmt


def _pg_windows(conn: psycopg.Connection, tenants: list[str], cut: datetime) -> tuple[int, float, int]:
    total, longest, n_stmt = 0, 0.0, 0
    conn.commit()  # the isolation level changes between transactions only
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    where = "tenant_id = ANY(%(g)s) AND created_at >= %(lo)s AND created_at < %(hi)s"
    for table in TABLES:
        row = conn.execute(f"SELECT min(created_at), count(*) FROM {table} WHERE created_at < %s", (cut,))
        first, expired = cast("tuple[Any, ...]", row.fetchone())  # one row, always
        conn.commit()
        parts = max(1, expired // WINDOW_ROWS)
        step = (cut - first) / parts
        for i in range(parts):
            p = {
                "g": tenants,
                "lo": first + step * i,
                "hi": cut if i == parts - 1 else first + step * (i + 1),
            }
            s = time.perf_counter()
            counts = conn.execute(
                f"SELECT tenant_id, count(*) FROM (SELECT tenant_id FROM {table} WHERE {where} "
                "ORDER BY tenant_id) AS x GROUP BY tenant_id",
                p,
            ).fetchall()
            n = conn.execute(f"DELETE FROM {table} WHERE {where}", p).rowcount
            conn.commit()
            if n != sum(c for _, c in counts):
                raise RuntimeError(f"window counted {sum(c for _, c in counts)} rows, deleted {n}")
            longest, total, n_stmt = max(longest, time.perf_counter() - s), total + n, n_stmt + 2
    return total, longest, n_stmt


def _pg_plain(conn: psycopg.Connection, tenants: list[str], cut: datetime) -> tuple[int, float, int]:
    s = time.perf_counter()
    total = sum(conn.execute(f"DELETE FROM {t} WHERE created_at < %s", (cut,)).rowcount for t in TABLES)
    conn.commit()
    return total, time.perf_counter() - s, 2


def _sqlite_per_tenant(db: sqlite3.Connection, tenants: list[str], cut: str) -> tuple[int, float, int]:
    total, longest, n_stmt = 0, 0.0, 0
    for table in TABLES:
        for t in tenants:
            while True:
                s = time.perf_counter()
                db.execute("BEGIN")
                n = db.execute(
                    f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE tenant_id = ? "
                    f"AND created_at < ? LIMIT {BATCH})",
                    (t, cut),
                ).rowcount
                db.execute("COMMIT")
                longest, total, n_stmt = max(longest, time.perf_counter() - s), total + n, n_stmt + 1
                if n < BATCH:
                    break
    return total, longest, n_stmt


def _sqlite_rowid_range(db: sqlite3.Connection, tenants: list[str], cut: str) -> tuple[int, float, int]:
    total, longest, n_stmt = 0, 0.0, 0
    marks = ",".join("?" * len(tenants))
    for table in TABLES:
        lo, hi = db.execute(f"SELECT min(rowid), max(rowid) FROM {table}").fetchone()
        for a in range(lo, hi + 1, SQLITE_ROWIDS):
            s = time.perf_counter()
            db.execute("BEGIN")
            n = db.execute(
                f"DELETE FROM {table} WHERE rowid >= ? AND rowid < ? AND tenant_id IN ({marks}) "
                "AND created_at < ?",
                (a, a + SQLITE_ROWIDS, *tenants, cut),
            ).rowcount
            db.execute("COMMIT")
            longest, total, n_stmt = max(longest, time.perf_counter() - s), total + n, n_stmt + 1
    return total, longest, n_stmt


def _sqlite_plain(db: sqlite3.Connection, tenants: list[str], cut: str) -> tuple[int, float, int]:
    s = time.perf_counter()
    db.execute("BEGIN")
    total = sum(db.execute(f"DELETE FROM {t} WHERE created_at < ?", (cut,)).rowcount for t in TABLES)
    db.execute("COMMIT")
    return total, time.perf_counter() - s, 2


def _summary(name: str, results: list[tuple[int, float, int, float]], plain: list[float]) -> str:
    rates = [r[0] / r[3] for r in results]
    ratio = statistics.median(x / p for x, p in zip(rates, plain, strict=True))
    return (
        f"  {name:38s} {statistics.median(rates):>12,.0f} rows/s ({min(rates):,.0f}–{max(rates):,.0f})  "
        f"{ratio:5.2f}× plain  longest statement {max(r[1] for r in results) * 1000:5.0f} ms  "
        f"{results[0][2]} statements"
    )


def main(argv: list[str]) -> int:
    expired = int(argv[0]) if argv else 1_000_000
    rounds = int(argv[1]) if len(argv) > 1 else 2
    now = datetime.now(UTC).replace(microsecond=0)
    cut = datasets.cutoff(now)
    tenants = [f"t{i:03d}" for i in range(TENANTS)]
    print(
        f"{expired:,} expired rows of {2 * expired:,}, {TENANTS} tenants round-robin, {rounds} interleaved rounds"
    )

    if pg.unavailable() is None:
        tpl = pg.create("kbench_variants_tpl")
        try:
            datasets.create_schema(pg.sqlalchemy_url(tpl))
            with psycopg.connect(pg.conninfo(pg.ADMIN_URL, tpl)) as conn:
                datasets.pg_tenants(conn, TENANTS, ("decision_traces", "interactions"))
                datasets.pg_retention_rows(conn, expired, TENANTS, now)
                conn.commit()
                conn.autocommit = True
                conn.execute("VACUUM ANALYZE")
            variants = {
                "per-tenant ctid LIMIT 5000 (old dsar-purge)": _pg_per_tenant,
                f"single pass, TID ranges of {PG_PAGES} pages": _pg_tid_range,
                "TID ranges + RETURNING counts (slices)": _pg_tid_counted,
                "time windows, count + DELETE (dsar-purge)": _pg_windows,
                "plain DELETE": _pg_plain,
            }
            res: dict[str, list[tuple[int, float, int, float]]] = {k: [] for k in variants}
            for _ in range(rounds):
                for name, fn in variants.items():
                    db = pg.create("kbench_variants", template=tpl)
                    try:
                        with psycopg.connect(pg.conninfo(pg.ADMIN_URL, db)) as conn:
                            conn.execute("SELECT 1")
                            t0 = time.perf_counter()
                            total, longest, n_stmt = fn(conn, tenants, cut)
                            res[name].append((total, longest, n_stmt, time.perf_counter() - t0))
                    finally:
                        pg.drop(db)
                    if total != expired:
                        raise RuntimeError(f"{name} deleted {total}, expected {expired}")
            plain = [r[0] / r[3] for r in res["plain DELETE"]]
            print(f"PostgreSQL {pg.server_version()}:")
            for name in variants:
                print(_summary(name, res[name], plain))
        finally:
            pg.drop(tpl)

    work = os.environ.get("TMPDIR", "/tmp")
    tpl_path = os.path.join(work, f"kbench-variants-{os.getpid()}.db")
    path = tpl_path + ".work"
    try:
        datasets.sqlite_retention_db(tpl_path, expired, TENANTS, now)
        scut = datasets.sqlite_ts(cut)
        svariants = {
            "per-tenant rowid LIMIT 5000 (old dsar-purge)": _sqlite_per_tenant,
            f"single pass, rowid ranges of {SQLITE_ROWIDS}": _sqlite_rowid_range,
            "plain DELETE": _sqlite_plain,
        }
        sres: dict[str, list[tuple[int, float, int, float]]] = {k: [] for k in svariants}
        for _ in range(rounds):
            for name, sfn in svariants.items():
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(path + suffix):
                        os.remove(path + suffix)
                shutil.copyfile(tpl_path, path)
                sdb = sqlite3.connect(path, isolation_level=None)
                sdb.execute("PRAGMA journal_mode=WAL")
                sdb.execute("PRAGMA synchronous=NORMAL")
                t0 = time.perf_counter()
                total, longest, n_stmt = sfn(sdb, tenants, scut)
                sres[name].append((total, longest, n_stmt, time.perf_counter() - t0))
                sdb.close()
        plain = [r[0] / r[3] for r in sres["plain DELETE"]]
        print(f"SQLite {sqlite3.sqlite_version}:")
        for name in svariants:
            print(_summary(name, sres[name], plain))
    finally:
        for p in (tpl_path, path):
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(p + suffix):
                    os.remove(p + suffix)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
