"""4. export-interactions rows/s vs PostgreSQL ``COPY (SELECT row_to_json(t) FROM …) TO STDOUT``.

Same rows on both sides: every interaction-history row of a few tenants (all older than the job's
60 s settle time), in the job's order (tenant, created_at, id) and with the job's columns. The job
runs in its own process with ``EXPORT_MAX_BATCHES_PER_RUN=1000`` (so one call exports everything, in
10,000-row NDJSON files under a local directory, each written atomically with fsync); the reference
streams ``COPY … TO STDOUT`` into one local file and fsyncs it. Before every job round the export
checkpoints are deleted and the output directory emptied (untimed). The job's output is camelCase
with ``Z`` timestamps, COPY's is ``row_to_json``'s snake_case — about the same bytes per row.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from bench import datasets, pg
from bench.common import Context, Profile, Row, Stats, interleave, ratios, run_job

TITLE = "4 export-interactions vs COPY row_to_json"
GOAL = 0.5
_COLS = (
    "id, tenant_id, customer_id, offer_id, creative_id, channel_id, interaction_type, outcome_type_key, "
    "direction, conversion_value, context, occurred_at, created_at"
)


def run(profile: Profile, ctx: Context) -> list[Row]:
    if ctx.pg_admin_url is None:
        return [
            Row(
                bench=TITLE,
                case="PostgreSQL export",
                unit="rows/s",
                ours=None,
                notes=f"skipped: {ctx.pg_reason}",
            )
        ]
    admin = ctx.pg_admin_url
    now = datetime.now(UTC).replace(microsecond=0)
    n = profile.export_rows
    tenants = 3
    db = pg.create("kbench_export", admin_url=admin)
    out_dir = ctx.workdir / "export"
    try:
        url = pg.sqlalchemy_url(db, admin)
        datasets.create_schema(url)
        with psycopg.connect(pg.conninfo(admin, db)) as conn:
            datasets.pg_tenants(conn, tenants, ())
            # the retention data set's interaction rows, moved into the last 30 days (all settled)
            datasets.pg_retention_rows(conn, n, tenants, now - timedelta(days=700))
            conn.execute("DELETE FROM decision_traces")
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
        reports: list[dict[str, Any]] = []
        sizes: dict[str, int] = {}

        def job() -> float:
            with psycopg.connect(pg.conninfo(admin, db), autocommit=True) as conn:
                conn.execute("DELETE FROM export_checkpoints")
            shutil.rmtree(out_dir, ignore_errors=True)
            out_dir.mkdir(parents=True)
            rep = run_job(
                {
                    "module": "export_interactions",
                    "database_url": url,
                    "now": now.isoformat(),
                    "settings": {"export_storage_url": str(out_dir), "export_max_batches_per_run": 1000},
                }
            )
            if rep["rows"] != n or not rep["ok"]:
                raise RuntimeError(
                    f"export-interactions exported {rep['rows']} rows (ok={rep['ok']}), expected {n}"
                )
            sizes["job"] = sum(
                os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out_dir) for f in fs
            )
            reports.append(rep)
            rate: float = n / rep["elapsed"]
            return rate

        def ref() -> float:
            target = ctx.workdir / "copy.ndjson"
            sql = (
                f"COPY (SELECT row_to_json(t) FROM (SELECT {_COLS} FROM interaction_history "
                "ORDER BY tenant_id, created_at, id) t) TO STDOUT"
            )
            with psycopg.connect(pg.conninfo(admin, db)) as conn:
                conn.execute("SELECT 1")
                t = time.perf_counter()
                with open(target, "wb") as fh, conn.cursor().copy(sql) as copy:
                    for chunk in copy:
                        fh.write(chunk)
                    fh.flush()
                    os.fsync(fh.fileno())
                dt = time.perf_counter() - t
            sizes["ref"] = target.stat().st_size
            lines = sizes["ref"] and sum(1 for _ in open(target, "rb"))
            target.unlink()
            if lines != n:
                raise RuntimeError(f"COPY wrote {lines} rows, expected {n}")
            return n / dt

        samples = interleave({"job": job, "ref": ref}, profile.export_rounds)
        r = ratios(samples["job"], samples["ref"])
        return [
            Row(
                bench=TITLE,
                case=f"export-interactions, {n:,} rows, {tenants} tenants, local files",
                unit="rows/s",
                ours=Stats.of(samples["job"]),
                ref_name="COPY (SELECT row_to_json(t) …) TO STDOUT → file",
                ref=Stats.of(samples["ref"]),
                ratio=r,
                ratio_label="ours/ref rows/s",
                goal=f"≥ {GOAL}×",
                met=r.median >= GOAL,
                notes=(
                    f"bytes/row job {sizes['job'] / n:.0f}, COPY {sizes['ref'] / n:.0f}; job peak RSS "
                    f"{max(x['peak_rss_mb'] for x in reports):.0f} MB, longest statement "
                    f"{max(x['longest_statement'] for x in reports) * 1000:.0f} ms"
                ),
            )
        ]
    finally:
        pg.drop(db, admin)
        shutil.rmtree(out_dir, ignore_errors=True)
