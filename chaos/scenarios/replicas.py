"""Two replicas on one PostgreSQL, triggered concurrently.

Proves: with triggers racing from both replicas (several at once per replica, new rows arriving
between rounds), at most one run holds a job's lease at any time (the audit rows' run intervals
never overlap), no trigger answers 5xx, and the export holds every settled row exactly once.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine, text

from chaos.common import Result, result
from chaos.data import add_interactions, add_tenants, prepare
from chaos.pg import PgCluster
from chaos.reconcile import check_exports
from chaos.replica import Replica, service_env

NAME = "replicas"
ROUTES = ("export-interactions", "outbox-reaper")
# An audited duration ends after the lease release returned, a few ms after the next holder may have
# taken it: overlaps below this are that tail, not two holders (which overlap by a whole run, and
# would also show up as duplicate export rows).
OVERLAP_TOLERANCE = timedelta(milliseconds=500)


def _overlaps(engine: Engine, route: str) -> list[str]:
    """Runs of ``route`` whose [start, start + duration] intervals overlap (two lease holders at once)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT changes FROM audit_log WHERE action = :a"), {"a": f"cron.{route}"}
        ).all()
    spans = []
    for (changes,) in rows:
        c = changes if isinstance(changes, dict) else {}
        if c.get("outcome") == "skipped" or "started_at" not in c:
            continue
        start = datetime.fromisoformat(c["started_at"])
        spans.append((start, start + timedelta(milliseconds=float(c.get("duration_ms", 0))), c.get("run_id")))
    spans.sort()
    if not spans:
        return [f"{route}: no audited run at all (the check would prove nothing)"]
    bad = [
        f"{route}: run {b[2]} started {(a[1] - b[0]).total_seconds() * 1000:.0f} ms before run {a[2]} ended"
        for a, b in zip(spans, spans[1:], strict=False)
        if b[0] < a[1] - OVERLAP_TOLERANCE
    ]
    return bad


def run(quick: bool, seed: int, workdir: Path) -> list[Result]:
    rng = random.Random(seed)
    rounds = 3 if quick else 40
    per_replica = 3
    tenants = ["tenant_a", "tenant_b", "tenant_c"]
    # every row well in the past (40 rounds x 4 h < 10 days): all settled, whatever the clock says
    start = datetime.now(UTC) - timedelta(days=10)
    fails: list[str] = []
    statuses: list[int] = []
    with PgCluster() as cluster:
        url = cluster.create_database("kaireon")
        engine = prepare(url)
        add_tenants(engine, tenants)
        for t in tenants:
            add_interactions(engine, t, 3000, start, step_ms=5, pad=200)
        env = service_env(url, workdir, LEASE_TTL_SECONDS="5")
        replicas = [Replica(n, env, workdir) for n in ("r1", "r2")]
        try:
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda r: r.start(), replicas))
            with ThreadPoolExecutor(2 * per_replica * len(ROUTES)) as pool:
                for k in range(rounds):
                    calls = [(r, route) for r in replicas for route in ROUTES for _ in range(per_replica)]
                    rng.shuffle(calls)

                    def call(rc: tuple[Replica, str]) -> int:
                        try:
                            return rc[0].trigger(rc[1], timeout=120).status_code
                        except httpx.HTTPError:
                            return 0

                    statuses += list(pool.map(call, calls))
                    for t in tenants:
                        add_interactions(
                            engine,
                            t,
                            rng.randint(1000, 4000),
                            start + timedelta(hours=4 * (k + 1)),
                            step_ms=5,
                            pad=200,
                        )
            bad = [s for s in statuses if s >= 500 or s == 0]
            if bad:
                fails.append(
                    f"{len(bad)} of {len(statuses)} triggers answered 5xx or not at all: {sorted(set(bad))}"
                )
            for route in ROUTES:
                fails += _overlaps(engine, route)
            # drain: one replica runs until idle, then the export must hold every row exactly once
            settled = datetime.now(UTC) - timedelta(seconds=61)
            for _ in range(10):
                body = replicas[0].trigger("export-interactions", timeout=120).json()
                if body.get("totalExported") == 0:
                    break
            fails += check_exports(engine, workdir / "exportroot", settled)
            for r in replicas:
                fails += r.problems()
        finally:
            for r in replicas:
                r.stop()
            engine.dispose()
    return [
        result(
            NAME,
            f"concurrent triggers from 2 replicas ({', '.join(ROUTES)}): one lease holder at a time, "
            "no duplicate export rows",
            len(statuses),
            fails,
        )
    ]
