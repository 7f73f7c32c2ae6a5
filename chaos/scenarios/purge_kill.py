"""``kill -9`` of a replica in the middle of dsar-purge, with shared blobs and legal holds.

The data: three tenants, A and B with a 30-day retention, H with ``ai_attachments`` on legal
hold; expired and fresh attachment rows with their blobs, some sharing one ``storage_key`` — an
expired B row with a held H row, an expired A row with a fresh A row, an expired A row with an
expired B row. More expired rows arrive between kills.

Proves: after the kills and the re-runs, every expired unheld row is gone, every held and every
fresh row is still there **with its blob** (issue 13, item 1: a blob referenced by any row that is
not being deleted is never deleted), and no blob is left that no row references (no orphan).
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, text

from chaos.common import Result, result
from chaos.data import add_retention, add_tenants, prepare
from chaos.pg import PgCluster
from chaos.reconcile import walk_files
from chaos.replica import Replica, rerun_until_idle, service_env
from service.models.attachments import AiAttachment
from service.models.tenants import DATA_CLASS_AI_ATTACHMENTS, DATA_CLASS_DECISION_TRACES

NAME = "purge_kill"
TENANTS = ("tenant_a", "tenant_b", "tenant_h")
RETENTION_DAYS = 30


class _Data:
    def __init__(self, engine: Engine, att: Path) -> None:
        self.engine, self.att, self.n, self.held = engine, att, 0, 0

    def add(self, tenant: str, expired: bool, key: str | None = None) -> str:
        self.n += 1
        self.held += tenant == "tenant_h"
        key = key or f"{tenant}/{self.n:06d}.bin"
        path = self.att / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f"blob {key}\n".encode())
        age = timedelta(days=60) if expired else timedelta(days=1)
        with self.engine.begin() as conn:
            conn.execute(
                insert(AiAttachment),
                [
                    {
                        "tenant_id": tenant,
                        "sha256": f"{self.n:064x}",
                        "storage_key": key,
                        "filename": "f.bin",
                        "content_type": "application/octet-stream",
                        "size_bytes": 10,
                        "created_at": datetime.now(UTC) - age,
                    }
                ],
            )
        return key

    def batch(self, rng: random.Random, n: int) -> None:
        """``n`` rows per tenant, half expired, with every kind of shared key."""
        for _ in range(n):
            for t in TENANTS:
                self.add(t, rng.random() < 0.5)
        for _ in range(max(1, n // 10)):
            self.n += 1
            k = f"shared/bh-{self.n}.bin"
            self.add("tenant_b", True, k)
            self.add("tenant_h", True, k)  # held: its blob must survive B's purge
            k = f"shared/aa-{self.n}.bin"
            self.add("tenant_a", True, k)
            self.add("tenant_a", False, k)  # fresh: its blob must survive
            k = f"shared/ab-{self.n}.bin"
            self.add("tenant_a", True, k)
            self.add("tenant_b", True, k)  # both expired: the blob goes


def _reconcile(engine: Engine, att: Path, held_rows: int) -> list[str]:
    fails: list[str] = []
    cutoff = datetime.now(UTC) - timedelta(days=RETENTION_DAYS)
    with engine.connect() as conn:
        left = conn.execute(
            text(
                "SELECT count(*) FROM ai_attachments WHERE tenant_id IN ('tenant_a', 'tenant_b') "
                "AND created_at < :c"
            ),
            {"c": cutoff},
        ).scalar()
        held = conn.execute(text("SELECT count(*) FROM ai_attachments WHERE tenant_id = 'tenant_h'")).scalar()
        keys = [k for (k,) in conn.execute(text("SELECT storage_key FROM ai_attachments")).all()]
    if left:
        fails.append(f"{left} expired unheld attachment row(s) still there after the re-runs")
    if held != held_rows:
        fails.append(f"held rows: {held} of {held_rows} left (a legal-hold row was deleted)")
    missing = sorted({k for k in keys if not (att / k).is_file()})
    if missing:
        fails.append(f"{len(missing)} kept row(s) lost their blob (e.g. {missing[:3]})")
    referenced = set(keys)
    orphans = [
        str(p.relative_to(att))
        for p in walk_files(att)
        if str(p.relative_to(att)) not in referenced and not p.name.startswith(".")
    ]
    if orphans:
        fails.append(f"{len(orphans)} orphan blob(s) no row references (e.g. {orphans[:3]})")
    return fails


def run(quick: bool, seed: int, workdir: Path) -> list[Result]:
    rng = random.Random(seed)
    kills = 2 if quick else 22
    per_batch = 60 if quick else 200
    fails: list[str] = []
    att = workdir / "attachments"
    with PgCluster() as cluster:
        url = cluster.create_database("kaireon")
        engine = prepare(url)
        add_tenants(engine, list(TENANTS))
        for t in TENANTS:
            add_retention(engine, t, DATA_CLASS_AI_ATTACHMENTS, RETENTION_DAYS, t == "tenant_h")
            add_retention(engine, t, DATA_CLASS_DECISION_TRACES, RETENTION_DAYS, False)
        data = _Data(engine, att)
        data.batch(rng, per_batch)
        env = service_env(url, workdir, LEASE_TTL_SECONDS="5", DELETE_BATCH_SIZE="10")
        replica = Replica("purge", env, workdir)
        try:
            replica.start()
            for _ in range(kills):
                th = replica.trigger_in_background("dsar-purge")
                threading.Event().wait(rng.uniform(0.05, 0.8))
                replica.kill9()
                th.join(30)
                data.batch(rng, per_batch // 3)
                replica.start()
            fails += rerun_until_idle(
                replica,
                "dsar-purge",
                lambda b: not any(t.get("aiAttachments") for t in b.get("perTenant", [])),
            )
            fails += _reconcile(engine, att, data.held)
            fails += replica.problems()
        finally:
            replica.stop()
            engine.dispose()
    return [
        result(
            NAME,
            "kill -9 during dsar-purge (shared blobs, legal hold), re-run, reconcile rows and blobs",
            kills,
            fails,
        )
    ]
