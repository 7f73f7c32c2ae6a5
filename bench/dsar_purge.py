"""3. dsar-purge vs one plain ``DELETE … WHERE created_at < cutoff`` on an identical copy of the data.

The fair comparison: both sides delete exactly the same rows from the same tables (decision traces
and interaction history, half each), every tenant on the same 365-day retention, so the service's
per-tenant, per-class cutoffs collapse to the one cutoff a plain DELETE can use. Each round copies a
bulk-loaded template database (PostgreSQL: ``CREATE DATABASE … TEMPLATE``, a file copy; SQLite: a file
copy), untimed, then times one side: the job in its own process (``run()`` plus its commits, what the
route costs), or the reference — one ``DELETE`` per table and one ``COMMIT`` over an open connection.
The plain DELETE holds one long transaction and row locks for its whole duration and uses one server
backend; the job commits every time window (about 4 × ``DELETE_BATCH_SIZE`` rows) and runs them over
``DSAR_PURGE_CONNECTIONS`` connections (sized to the server), so its ratio depends on the idle cores of
the machine: the load average of the rounds is noted. Neither side runs VACUUM.

Attachments (rows plus one blob file each) are a separate, smaller number: the job deletes blobs
through the attachment store before their rows; the reference unlinks each blob in a loop and then
runs one DELETE.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import psycopg

from bench import datasets, pg
from bench.common import Context, Profile, Row, Stats, interleave, ratios, run_job

TITLE = "3 dsar-purge vs plain DELETE"
GOAL_RATIO = 1.0  # PostgreSQL, issue 14 §4: at least one plain DELETE's rows/s, over K connections
GOAL_RATIO_SQLITE = 0.8  # SQLite has one writer (no K connections): the benchmark's earlier goal
GOAL_RSS_MB = 150.0
GOAL_STATEMENT_S = 1.0
CLASSES = ("decision_traces", "interactions", "ai_attachments")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _first(row: tuple[Any, ...] | None) -> Any:
    """``row[0]`` of a query that always returns a row (a count)."""
    return cast("tuple[Any, ...]", row)[0]


def _job_runner(
    url_for_round: Callable[[], str],
    expected: int,
    now: datetime,
    settings: dict[str, Any],
    reports: list[dict[str, Any]],
    check: Callable[[str], None],
) -> Callable[[], float]:
    def go() -> float:
        url = url_for_round()
        rep = run_job(
            {"module": "dsar_purge", "database_url": url, "now": now.isoformat(), "settings": settings}
        )
        if rep["rows"] != expected or not rep["ok"]:
            raise RuntimeError(f"dsar-purge deleted {rep['rows']} rows (ok={rep['ok']}), expected {expected}")
        check(url)
        reports.append(rep)
        rate: float = expected / rep["elapsed"]
        return rate

    return go


def _load() -> float:
    """The 1-minute load average (the machine is shared: the ratio depends on its idle cores)."""
    return os.getloadavg()[0]


def _rows(
    label: str,
    unit_rows: int,
    samples: dict[str, list[float]],
    reports: list[dict[str, Any]],
    ref_s: list[float],
    load: tuple[float, float],
    goal: float,
    ref_name: str = "2 × plain DELETE, 1 transaction",
) -> list[Row]:
    r = ratios(samples["job"], samples["ref"])
    rows = [
        Row(
            bench=TITLE,
            case=f"{label}: dsar-purge, {unit_rows:,} expired rows",
            unit="rows/s",
            ours=Stats.of(samples["job"]),
            ref_name=ref_name,
            ref=Stats.of(samples["ref"]),
            ratio=r,
            ratio_label="ours/ref rows/s",
            goal=f"≥ {goal}×",
            met=r.median >= goal,
            extra={"statements": str(reports[0]["statements"])},
            notes=f"{os.cpu_count()} CPUs, load average {load[0]:.1f} → {load[1]:.1f} during the rounds",
        ),
        Row(
            bench=TITLE,
            case=f"{label}: dsar-purge peak RSS of the job process",
            unit="MB",
            ours=Stats.of([x["peak_rss_mb"] for x in reports]),
            ref_name="(after imports)",
            ref=Stats.of([x["baseline_rss_mb"] for x in reports]),
            goal=f"≤ {GOAL_RSS_MB:.0f} MB",
            met=max(x["peak_rss_mb"] for x in reports) <= GOAL_RSS_MB,
        ),
        Row(
            bench=TITLE,
            case=f"{label}: dsar-purge longest single statement",
            unit="s",
            ours=Stats.of([x["longest_statement"] for x in reports]),
            ref_name="the plain DELETE (whole)",
            ref=Stats.of(ref_s),
            goal=f"≤ {GOAL_STATEMENT_S:.0f} s",
            met=max(x["longest_statement"] for x in reports) <= GOAL_STATEMENT_S,
            notes=reports[0]["longest_sql"][:90],
        ),
    ]
    return rows


# --------------------------------------------------------------------------------------------------
def _pg_rows(profile: Profile, ctx: Context) -> list[Row]:
    admin = ctx.pg_admin_url
    assert admin is not None
    now = _now()
    cut = datasets.cutoff(now)
    per_table = profile.purge_rows  # total rows per table; half expire -> purge_rows expired in all
    expected = profile.purge_rows
    tpl = pg.create("kbench_purge_tpl", admin_url=admin)
    current: dict[str, str] = {}
    try:
        datasets.create_schema(pg.sqlalchemy_url(tpl, admin))
        t0 = time.perf_counter()
        with psycopg.connect(pg.conninfo(admin, tpl)) as conn:
            datasets.pg_tenants(conn, profile.purge_tenants, CLASSES)
            datasets.pg_retention_rows(conn, per_table, profile.purge_tenants, now)
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
            got = _first(
                conn.execute(
                    "SELECT (SELECT count(*) FROM decision_traces WHERE created_at < %(c)s)"
                    " + (SELECT count(*) FROM interaction_history WHERE created_at < %(c)s)",
                    {"c": cut},
                ).fetchone()
            )
        if got != expected:
            raise RuntimeError(f"template has {got} expired rows, expected {expected}")
        ctx.log(f"  postgres template: {2 * per_table:,} rows loaded in {time.perf_counter() - t0:.1f} s")

        def fresh_copy() -> str:
            if "db" in current:
                pg.drop(current.pop("db"), admin)
            current["db"] = pg.create("kbench_purge", template=tpl, admin_url=admin)
            return current["db"]

        def check(url: str) -> None:
            with psycopg.connect(pg.conninfo(admin, current["db"])) as conn:
                left = _first(
                    conn.execute(
                        "SELECT count(*) FROM interaction_history WHERE created_at < %s", (cut,)
                    ).fetchone()
                )
                kept = _first(conn.execute("SELECT count(*) FROM decision_traces").fetchone())
            if left or kept != per_table - per_table // 2:
                raise RuntimeError(f"after the purge: {left} expired rows left, {kept} traces kept")

        reports: list[dict[str, Any]] = []
        ref_s: list[float] = []
        job = _job_runner(
            lambda: pg.sqlalchemy_url(fresh_copy(), admin),
            expected,
            now,
            {"attachment_storage_url": str(ctx.workdir / "no-blobs")},
            reports,
            check,
        )

        def ref() -> float:
            name = fresh_copy()
            with psycopg.connect(pg.conninfo(admin, name)) as conn:
                conn.execute("SELECT 1")  # connected before the clock starts
                t = time.perf_counter()
                n = conn.execute("DELETE FROM decision_traces WHERE created_at < %s", (cut,)).rowcount
                n += conn.execute("DELETE FROM interaction_history WHERE created_at < %s", (cut,)).rowcount
                conn.commit()
                dt = time.perf_counter() - t
            if n != expected:
                raise RuntimeError(f"plain DELETE removed {n} rows, expected {expected}")
            ref_s.append(dt)
            return expected / dt

        load = _load()
        samples = interleave({"job": job, "ref": ref}, profile.purge_rounds)
        rows = _rows("PostgreSQL", expected, samples, reports, ref_s, (load, _load()), GOAL_RATIO)
        rows += _pg_attachment_rows(profile, ctx, now)
        return rows
    finally:
        if "db" in current:
            pg.drop(current.pop("db"), admin)
        pg.drop(tpl, admin)


def _pg_attachment_rows(profile: Profile, ctx: Context, now: datetime) -> list[Row]:
    admin = ctx.pg_admin_url
    assert admin is not None
    cut = datasets.cutoff(now)
    total = 2 * profile.attachment_rows
    expected = profile.attachment_rows
    tpl = pg.create("kbench_att_tpl", admin_url=admin)
    blobs_tpl = ctx.workdir / "blobs-template"
    blobs = ctx.workdir / "blobs"
    current: dict[str, str] = {}
    try:
        datasets.create_schema(pg.sqlalchemy_url(tpl, admin))
        with psycopg.connect(pg.conninfo(admin, tpl)) as conn:
            datasets.pg_tenants(conn, profile.purge_tenants, CLASSES)
            files = datasets.pg_attachments(conn, total, profile.purge_tenants, now)
            conn.commit()
        for key, body in files:
            p = blobs_tpl / key
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(body)

        def fresh() -> str:
            if "db" in current:
                pg.drop(current.pop("db"), admin)
            shutil.rmtree(blobs, ignore_errors=True)
            shutil.copytree(blobs_tpl, blobs)
            current["db"] = pg.create("kbench_att", template=tpl, admin_url=admin)
            return current["db"]

        def left_blobs() -> int:
            return sum(len(f) for _, _, f in os.walk(blobs))

        def check(url: str) -> None:
            if left_blobs() != total - expected:
                raise RuntimeError(f"{left_blobs()} blobs left, expected {total - expected}")

        reports: list[dict[str, Any]] = []
        job = _job_runner(
            lambda: pg.sqlalchemy_url(fresh(), admin),
            expected,
            now,
            {"attachment_storage_url": str(blobs)},
            reports,
            check,
        )

        def ref() -> float:
            name = fresh()
            with psycopg.connect(pg.conninfo(admin, name)) as conn:
                conn.execute("SELECT 1")
                t = time.perf_counter()
                keys = conn.execute(
                    "SELECT storage_key FROM ai_attachments WHERE created_at < %s", (cut,)
                ).fetchall()
                for (key,) in keys:
                    os.remove(blobs / key)
                n = conn.execute("DELETE FROM ai_attachments WHERE created_at < %s", (cut,)).rowcount
                conn.commit()
                dt = time.perf_counter() - t
            if n != expected:
                raise RuntimeError(f"reference deleted {n} attachments, expected {expected}")
            return expected / dt

        samples = interleave({"job": job, "ref": ref}, profile.purge_rounds)
        r = ratios(samples["job"], samples["ref"])
        return [
            Row(
                bench=TITLE,
                case=f"PostgreSQL: dsar-purge, {expected:,} expired attachments (1 KiB blob each)",
                unit="rows/s",
                ours=Stats.of(samples["job"]),
                ref_name="unlink loop + 1 DELETE",
                ref=Stats.of(samples["ref"]),
                ratio=r,
                ratio_label="ours/ref rows/s",
                goal="(informational)",
                met=None,
                notes=f"peak RSS {max(x['peak_rss_mb'] for x in reports):.0f} MB, longest statement "
                f"{max(x['longest_statement'] for x in reports) * 1000:.0f} ms",
            )
        ]
    finally:
        if "db" in current:
            pg.drop(current.pop("db"), admin)
        pg.drop(tpl, admin)
        shutil.rmtree(blobs, ignore_errors=True)
        shutil.rmtree(blobs_tpl, ignore_errors=True)


# --------------------------------------------------------------------------------------------------
def _sqlite_rows(profile: Profile, ctx: Context) -> list[Row]:
    now = _now()
    cut = datasets.sqlite_ts(datasets.cutoff(now))
    per_table = profile.purge_sqlite_rows
    expected = per_table
    tpl = ctx.workdir / "purge-template.db"
    work = ctx.workdir / "purge.db"
    t0 = time.perf_counter()
    datasets.sqlite_retention_db(str(tpl), per_table, profile.purge_tenants, now)
    ctx.log(f"  sqlite template: {2 * per_table:,} rows loaded in {time.perf_counter() - t0:.1f} s")

    def fresh() -> Path:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(tpl, work)
        return work

    def check(url: str) -> None:
        with sqlite3.connect(work) as db:
            left = db.execute(
                "SELECT count(*) FROM interaction_history WHERE created_at < ?", (cut,)
            ).fetchone()[0]
        if left:
            raise RuntimeError(f"after the purge: {left} expired rows left")

    reports: list[dict[str, Any]] = []
    ref_s: list[float] = []
    job = _job_runner(
        lambda: f"sqlite:///{fresh()}",
        expected,
        now,
        {"attachment_storage_url": str(ctx.workdir / "no-blobs")},
        reports,
        check,
    )

    def ref() -> float:
        path = fresh()
        db = sqlite3.connect(path, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # the service's pragmas
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            t = time.perf_counter()
            db.execute("BEGIN")
            n = db.execute("DELETE FROM decision_traces WHERE created_at < ?", (cut,)).rowcount
            n += db.execute("DELETE FROM interaction_history WHERE created_at < ?", (cut,)).rowcount
            db.execute("COMMIT")
            dt = time.perf_counter() - t
        finally:
            db.close()
        if n != expected:
            raise RuntimeError(f"plain DELETE removed {n} rows, expected {expected}")
        ref_s.append(dt)
        return expected / dt

    load = _load()
    try:
        samples = interleave({"job": job, "ref": ref}, profile.purge_rounds)
    finally:
        for p in (tpl, work):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{p}{suffix}").unlink(missing_ok=True)
    return _rows("SQLite", expected, samples, reports, ref_s, (load, _load()), GOAL_RATIO_SQLITE)


def run(profile: Profile, ctx: Context) -> list[Row]:
    rows: list[Row] = []
    if ctx.pg_admin_url is None:
        rows.append(
            Row(
                bench=TITLE,
                case="PostgreSQL: dsar-purge",
                unit="rows/s",
                ours=None,
                notes=f"skipped: {ctx.pg_reason}",
            )
        )
    else:
        rows += _pg_rows(profile, ctx)
    rows += _sqlite_rows(profile, ctx)
    return rows
