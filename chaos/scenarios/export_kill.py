"""``kill -9`` of a replica in the middle of export-interactions, then full reconciliation.

Proves: whatever moment the replica dies at — while reading, while a batch's temp file is being
written (the kill waits for a ``.tmp`` file to appear), between the write and the checkpoint — the
re-runs export every settled row exactly once, into its own tenant's directory, leave no hidden
temp file behind (issue 13, item 4), no checkpoint pending, and checkpoint totals equal the rows.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from chaos.common import Result, result
from chaos.data import add_interactions, add_tenants, prepare
from chaos.pg import PgCluster
from chaos.reconcile import check_exports, walk_files
from chaos.replica import Replica, rerun_until_idle, service_env

NAME = "export_kill"


def _tmp_appeared(root: Path) -> bool:
    return any(p.name.endswith(".tmp") for p in walk_files(root)) if root.exists() else False


def run(quick: bool, seed: int, workdir: Path) -> list[Result]:
    rng = random.Random(seed)
    kills = 3 if quick else 30
    tenants = ["tenant_a", "tenant_b"] if quick else ["tenant_a", "tenant_b", "tenant_c"]
    per_tenant = 12_000 if quick else 25_000
    start = datetime.now(UTC) - timedelta(days=2)
    fails: list[str] = []
    at_tmp = 0
    with PgCluster() as cluster:
        url = cluster.create_database("kaireon")
        engine = prepare(url)
        add_tenants(engine, tenants)
        for t in tenants:
            add_interactions(engine, t, per_tenant, start, step_ms=2, pad=700)
        next_start = start + timedelta(hours=6)
        replica = Replica("export", service_env(url, workdir, LEASE_TTL_SECONDS="5"), workdir)
        root = workdir / "exportroot"
        try:
            replica.start()
            for k in range(kills):
                mode = "at-tmp" if k % 2 == 0 else "random"

                def trigger() -> None:
                    try:
                        replica.trigger("export-interactions", timeout=120)
                    except httpx.HTTPError:
                        pass  # killed mid-request: expected

                th = threading.Thread(target=trigger, daemon=True)
                th.start()
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
                next_start += timedelta(hours=1)
                replica.start()
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
            f"kill -9 during export-interactions ({at_tmp} while a temp file was being written), "
            "re-run, reconcile rows and files",
            kills,
            fails,
        )
    ]
