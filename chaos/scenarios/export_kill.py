"""``kill -9`` of a replica in the middle of export-interactions, then full reconciliation.

Proves: whatever moment the replica dies at — while reading, while a batch's temp file is being
written (the kill waits for a ``.tmp`` file to appear), between the write and the checkpoint — the
re-runs export every settled row exactly once, into its own tenant's directory, leave no hidden
temp file behind (issue 13, item 4: before the re-runs the leftovers' modification time is set two
days back — the time that passes before "a later run" — so any staleness rule applies), no
checkpoint pending, and checkpoint totals equal the rows.
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chaos.common import Result, result
from chaos.data import add_interactions, add_tenants, prepare
from chaos.pg import PgCluster
from chaos.reconcile import check_exports, walk_files
from chaos.replica import Replica, rerun_until_idle, service_env

NAME = "export_kill"


def age_temp_files(root: Path, age: timedelta) -> int:
    """Set the modification time of every hidden temp file under ``root`` ``age`` into the past."""
    n = 0
    when = (datetime.now(UTC) - age).timestamp()
    for p in walk_files(root):
        if p.name.startswith(".") or p.name.endswith(".tmp"):
            os.utime(p, (when, when))
            n += 1
    return n


def _tmp_appeared(root: Path) -> bool:
    return any(p.name.endswith(".tmp") for p in walk_files(root)) if root.exists() else False


def run(quick: bool, seed: int, workdir: Path) -> list[Result]:
    rng = random.Random(seed)
    kills = 2 if quick else 30
    tenants = ["tenant_a", "tenant_b"] if quick else ["tenant_a", "tenant_b", "tenant_c"]
    per_tenant = 12_000 if quick else 25_000
    # every row of the run in one UTC day (yesterday, from 01:00): one partition directory per tenant,
    # so the final re-runs write into the directories a crash left temp files in
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=1) + timedelta(hours=1)
    fails: list[str] = []
    at_tmp = aged = 0
    with PgCluster() as cluster:
        url = cluster.create_database("kaireon")
        engine = prepare(url)
        add_tenants(engine, tenants)
        for t in tenants:
            add_interactions(engine, t, per_tenant, start, step_ms=2, pad=700)
        next_start = start + timedelta(hours=1)
        replica = Replica("export", service_env(url, workdir, LEASE_TTL_SECONDS="5"), workdir)
        root = workdir / "exportroot"
        try:
            replica.start()
            for k in range(kills):
                mode = "at-tmp" if k % 2 == 0 else "random"

                th = replica.trigger_in_background("export-interactions")
                if mode == "at-tmp":
                    deadline = time.monotonic() + 20
                    while time.monotonic() < deadline and not _tmp_appeared(root):
                        time.sleep(0.0005)
                    at_tmp += _tmp_appeared(root)
                else:
                    time.sleep(rng.uniform(0.0, 1.5))
                replica.kill9()
                th.join(30)
                # more rows arrive while the replica is down (strictly later: a keyset export)
                add_interactions(
                    engine, rng.choice(tenants), rng.randint(500, 4000), next_start, step_ms=3, pad=700
                )
                next_start += timedelta(minutes=20)
                replica.start()
            # time passes: what a crash left is now old enough for any staleness rule (age_temp_files);
            # one more batch per tenant, so a re-run writes into every directory again
            aged = age_temp_files(root, timedelta(days=2))
            for t in tenants:
                add_interactions(engine, t, 50, next_start, step_ms=3, pad=10)
            settled = datetime.now(UTC) - timedelta(seconds=61)
            fails += rerun_until_idle(replica, "export-interactions", lambda b: b.get("totalExported") == 0)
            fails += check_exports(engine, root, settled)
            fails += replica.problems()
        finally:
            replica.stop()
            engine.dispose()
    return [
        result(
            NAME,
            f"kill -9 during export-interactions ({at_tmp} while a temp file was being written, {aged} left), "
            "re-run, reconcile rows and files",
            kills,
            fails,
        )
    ]
