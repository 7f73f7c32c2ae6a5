"""6. siem-ship of 500 audit rows to a local receiver, per back end (Splunk HEC, Datadog, Elasticsearch).

The receivers are the test suite's local stand-ins (``tests/service/siem_receivers.py``: loopback
HTTP servers that check auth and parse the wire format as the real services do). The job runs
in-process over an SQLite database holding the rows inside the first run's 300 s start window; the
receiver's state and the job's durable cursor (``siem_cursors``, ``siem_pending``) are cleared
before every round, so each round is a first run that ships all the rows (and Elasticsearch
``create`` never conflicts). The job's time includes what the cursor costs: creating it, the
pending-range join, the batch's commit and the backlog count. The reference is the
floor a hand-written script reaches: the same rows read with one SELECT, serialised with the stdlib
into the same wire format and sent in one ``httpx.post`` (which, like the job, opens its own client).
There is no speed goal: 500 events per 5 minutes is far below any shipper's rate; the ratio shows
the job's overhead over that floor.
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import delete

from bench.common import REPO, Context, Profile, Row, Stats, interleave, ratios
from service.config import Settings
from service.db import make_engine, make_sessionmaker
from service.jobs import siem_ship
from service.models import Base
from service.models.audit import AuditLog, SiemCursor, SiemPending

TITLE = "6 siem-ship, 500 audit rows"
KEY = "bench-key-not-a-secret"
INDEX = "kaireon-audit"


def _receivers() -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location(
        "bench_siem_receivers", REPO / "tests/service/siem_receivers.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return {"splunk": mod.SplunkHEC, "datadog": mod.DatadogLogs, "elastic": mod.ElasticBulk}


def _fill(url: str, n: int, now: datetime) -> None:
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with make_sessionmaker(engine)() as s:
        for i in range(n):
            s.add(
                AuditLog(
                    tenant_id=f"t{i % 5:03d}",
                    action=("create", "update", "delete")[i % 3],
                    entity_type="offer",
                    entity_id=f"offer-{i % 40}",
                    entity_name=f"Offer {i % 40}",
                    changes={"field": "priority", "from": i % 5, "to": (i + 1) % 5, "note": "x" * 40},
                    user_id=f"user-{i % 9}",
                    user_name="admin@example.com",
                    request_id=f"req-{i:012x}",
                    created_at=now
                    - timedelta(seconds=250)
                    + timedelta(milliseconds=400 * i / max(n, 1) * 500),
                )
            )
        s.commit()
    engine.dispose()


def _floor(db_path: str, backend: str, base: str, now: datetime) -> Callable[[], float]:
    """The hand-written one-shot shipper: one SELECT, stdlib json, one POST."""
    lo = (now - timedelta(seconds=300)).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    hi = now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")

    def go() -> float:
        t = time.perf_counter()
        with sqlite3.connect(db_path) as db:
            db.row_factory = sqlite3.Row
            rows = [
                dict(r)
                for r in db.execute(
                    "SELECT * FROM audit_log WHERE created_at > ? AND created_at <= ? ORDER BY created_at, id LIMIT 500",
                    (lo, hi),
                )
            ]
        for r in rows:
            r["changes"] = json.loads(r["changes"])
        if backend == "splunk":
            body = "".join(
                json.dumps({"event": r, "index": INDEX, "source": "kaireon", "sourcetype": "kaireon:audit"})
                for r in rows
            )
            resp = httpx.post(
                f"{base}/services/collector/event",
                content=body,
                headers={"Authorization": f"Splunk {KEY}", "Content-Type": "application/json"},
            )
        elif backend == "datadog":
            body = json.dumps(
                [{"ddsource": "kaireon", "service": "kaireon", "message": json.dumps(r)} for r in rows]
            )
            resp = httpx.post(
                f"{base}/api/v2/logs",
                content=body,
                headers={"DD-API-KEY": KEY, "Content-Type": "application/json"},
            )
        else:
            body = "".join(
                json.dumps({"create": {"_index": INDEX, "_id": str(r["id"])}}) + "\n" + json.dumps(r) + "\n"
                for r in rows
            )
            resp = httpx.post(
                f"{base}/_bulk",
                content=body,
                headers={"Authorization": f"ApiKey {KEY}", "Content-Type": "application/x-ndjson"},
            )
        dt = time.perf_counter() - t
        if resp.status_code >= 300 or len(rows) == 0:
            raise RuntimeError(f"floor shipper to {backend}: HTTP {resp.status_code}, {len(rows)} rows")
        return dt

    return go


def run(profile: Profile, ctx: Context) -> list[Row]:
    now = datetime.now(UTC).replace(microsecond=0)
    n = profile.siem_rows
    db_path = str(ctx.workdir / "siem.db")
    url = f"sqlite:///{db_path}"
    _fill(url, n, now)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    rows: list[Row] = []
    try:
        for backend, cls in _receivers().items():
            with cls(KEY, (INDEX,) if backend != "datadog" else ()) as receiver:
                settings = Settings(
                    database_url=url,
                    siem_backend=backend,
                    siem_endpoint=receiver.url,
                    siem_api_key=SecretStr(KEY),
                    siem_index=INDEX,
                    siem_sourcetype="kaireon:audit",
                )

                def clear(receiver: Any = receiver) -> None:
                    receiver.stored.clear()
                    receiver.requests.clear()
                    if hasattr(receiver, "docs"):
                        receiver.docs.clear()
                    with factory() as s:  # the next run starts from no cursor again
                        for table in (SiemCursor, SiemPending):
                            s.execute(delete(table))
                        s.commit()

                def job(
                    settings: Settings = settings, receiver: Any = receiver, backend: str = backend
                ) -> float:
                    clear()
                    with factory() as session:
                        t = time.perf_counter()
                        result = siem_ship.run(session, settings, now)
                        dt = time.perf_counter() - t
                    if getattr(result, "shipped", 0) != n or len(receiver.stored) != n:
                        raise RuntimeError(
                            f"siem-ship to {backend}: {result!r}, receiver stored {len(receiver.stored)}"
                        )
                    return dt

                floor = _floor(db_path, backend, receiver.url, now)

                def floor_clean(floor: Callable[[], float] = floor) -> float:
                    clear()
                    return floor()

                job()  # warm-up: imports, first connection
                samples = interleave({"job": job, "floor": floor_clean}, profile.siem_rounds)
                requests = len(receiver.requests)
                r = ratios(samples["job"], samples["floor"])
                rows.append(
                    Row(
                        bench=TITLE,
                        case=f"{backend}: siem-ship of {n} rows to a local receiver",
                        unit="s",
                        ours=Stats.of(samples["job"]),
                        ref_name="SELECT + stdlib json + 1 httpx.post",
                        ref=Stats.of(samples["floor"]),
                        ratio=r,
                        ratio_label="ours/ref time",
                        goal="(informational)",
                        met=None,
                        notes=f"{n / Stats.of(samples['job']).median:,.0f} events/s; "
                        f"{requests} request(s) in the last round",
                    )
                )
    finally:
        engine.dispose()
    return rows
