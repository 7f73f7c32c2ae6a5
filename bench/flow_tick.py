"""5. flow-scheduler-tick over N pipelines (mixed cron / interval / rrule), on SQLite and PostgreSQL.

The pipelines look like a real fleet: 40 % cron (a pool of common expressions plus daily jobs at
random minutes, five time zones), 35 % interval (1 min to 1 day), 23 % rrule (daily/weekly/hourly
rules with random hours, in five time zones, each starting at its pipeline's own creation time, so
every rrule pipeline is its own schedule), 1 % malformed, 1 % manual, 2 % disabled; last runs spread
over the previous two days (5 % never ran) — the tick after an outage, most pipelines due — and the
steady state (every pipeline that ran did so at the previous tick, one minute earlier). Each round restores the same pipelines (untimed) and
runs one tick in a fresh job process, so schedule caches start cold, as in the first tick of a
process. There is no external tool to compare with; the two back ends are measured interleaved and
their ratio is shown for information. The goal is < 1 s per tick.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import insert, text

from bench import pg
from bench.common import Context, Profile, Row, Stats, interleave, ratios, run_job
from service.db import make_engine
from service.models import Base
from service.models.scheduling import Pipeline

TITLE = "5 flow-scheduler-tick"
GOAL_S = 1.0
_ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney")
_CRON = (
    "*/5 * * * *",
    "*/15 * * * *",
    "0 * * * *",
    "30 2 * * *",
    "0 9 * * 1-5",
    "0 0 1 * *",
    "*/10 8-18 * * MON-FRI",
    "0 6,18 * * *",
    "15 3 * * SUN",
)
_INTERVALS = (1, 5, 10, 15, 30, 60, 120, 360, 720, 1440)


def pipelines(n: int, now: datetime, seed: int = 11, steady: bool = False) -> list[dict[str, Any]]:
    """The fleet; ``steady``: every pipeline that has run last ran at the previous tick (now - 60 s)."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(n):
        u = rng.random()
        enabled = True
        if u < 0.40:
            expr = (
                rng.choice(_CRON)
                if rng.random() < 0.6
                else f"{rng.randint(0, 59)} {rng.randint(0, 23)} * * *"
            )
            schedule: dict[str, Any] | None = {
                "kind": "cron",
                "expression": expr,
                "timezone": rng.choice(_ZONES),
            }
        elif u < 0.75:
            schedule = {"kind": "interval", "minutes": rng.choice(_INTERVALS)}
        elif u < 0.98:
            rule = rng.choice(
                (
                    f"FREQ=DAILY;BYHOUR={rng.randint(0, 23)};BYMINUTE={rng.randint(0, 59)}",
                    f"FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR={rng.randint(6, 20)};BYMINUTE=0",
                    f"FREQ=HOURLY;INTERVAL={rng.choice((1, 2, 3, 4, 6))}",
                    "FREQ=MINUTELY;INTERVAL=30",
                )
            )
            schedule = {"kind": "rrule", "rrule": rule, "timezone": rng.choice(_ZONES)}
        elif u < 0.99:
            schedule = {"kind": "cron", "expression": "61 25 * * *", "timezone": "UTC"}  # malformed
        else:
            schedule = None  # manual only
        if rng.random() < 0.02:
            enabled = False
        last = None if rng.random() < 0.05 else now - timedelta(seconds=rng.randint(30, 2 * 86400))
        if steady and last is not None:
            last = now - timedelta(seconds=60)
        out.append(
            {
                "id": f"pl-{i:06d}",
                "tenant_id": f"t{i % 25:03d}",
                "name": f"Pipeline {i}",
                "schedule": schedule,
                "enabled": enabled,
                "last_run_at": last,
                "last_run_status": "succeeded" if last else None,
                "created_at": now - timedelta(days=rng.randint(30, 400), minutes=rng.randint(0, 1439)),
            }
        )
    return out


def _prepare(url: str, rows: list[dict[str, Any]]) -> None:
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(Pipeline), rows)
        conn.execute(text("CREATE TABLE bench_pipeline_seed AS SELECT * FROM pipelines"))
    engine.dispose()


def _reset(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM pipeline_runs"))
        conn.execute(text("DELETE FROM pipelines"))
        conn.execute(text("INSERT INTO pipelines SELECT * FROM bench_pipeline_seed"))
    engine.dispose()


def run(profile: Profile, ctx: Context) -> list[Row]:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(seconds=2)
    rows: list[Row] = []
    for label, steady in (("after a 2-day gap", False), ("steady state", True)):
        rows += _case(profile, ctx, now, label, pipelines(profile.pipelines, now, steady=steady))
    return rows


def _case(profile: Profile, ctx: Context, now: datetime, case: str, data: list[dict[str, Any]]) -> list[Row]:
    urls: dict[str, str] = {"SQLite": f"sqlite:///{ctx.workdir / 'flow.db'}"}
    pg_db = None
    if ctx.pg_admin_url is not None:
        pg_db = pg.create("kbench_flow", admin_url=ctx.pg_admin_url)
        urls["PostgreSQL"] = pg.sqlalchemy_url(pg_db, ctx.pg_admin_url)
    reports: dict[str, list[dict[str, Any]]] = {k: [] for k in urls}
    try:
        for url in urls.values():
            _prepare(url, data)

        def tick(label: str) -> Callable[[], float]:
            def go() -> float:
                _reset(urls[label])
                rep = run_job(
                    {"module": "flow_scheduler_tick", "database_url": urls[label], "now": now.isoformat()}
                )
                reports[label].append(rep)
                elapsed: float = rep["elapsed"]
                return elapsed

            return go

        samples = interleave({k: tick(k) for k in urls}, profile.tick_rounds)
    finally:
        if pg_db is not None:
            pg.drop(pg_db, cast(str, ctx.pg_admin_url))  # set whenever pg_db is
        for suffix in ("", "-wal", "-shm"):
            Path(f"{ctx.workdir / 'flow.db'}{suffix}").unlink(missing_ok=True)
    rows = []
    for label in urls:
        reps = reports[label]
        due = {r["due"] for r in reps}
        r = ratios(samples[label], samples["SQLite"]) if label != "SQLite" else None
        rows.append(
            Row(
                bench=TITLE,
                case=f"{label}: one tick over {profile.pipelines:,} pipelines, {case}",
                unit="s",
                ours=Stats.of(samples[label]),
                ref_name="(SQLite, same rounds)" if r else "",
                ref=Stats.of(samples["SQLite"]) if r else None,
                ratio=r,
                ratio_label="PostgreSQL/SQLite time" if r else "",
                goal=f"< {GOAL_S:.0f} s (median)",
                met=Stats.of(samples[label]).median < GOAL_S,
                notes=(
                    f"due and dispatched {sorted(due)}; {reps[0]['statements']} statements, longest "
                    f"{max(x['longest_statement'] for x in reps) * 1000:.0f} ms; slowest tick "
                    f"{max(samples[label]) * 1000:.0f} ms; peak RSS {max(x['peak_rss_mb'] for x in reps):.0f} MB"
                ),
            )
        )
    return rows
