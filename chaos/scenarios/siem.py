"""siem-ship against a misbehaving SIEM receiver (real replicas, a raw-socket receiver).

Proves: whatever the receiver does — 429 with ``Retry-After``, 5xx, a hang, a response trickled a
byte at a time, connection resets, malformed or gzip-garbage bodies, Elasticsearch per-item errors
and null or odd per-item statuses — the route answers 200 (never a 5xx) within its budget
(``SIEM_RUN_BUDGET_SECONDS`` / ``SIEM_RETRY_BUDGET_SECONDS`` + ``SIEM_TIMEOUT_SECONDS`` + slack),
``shipped`` never exceeds what the receiver acknowledged in that run, and no row is lost: once the
receiver behaves again, every audit row the scenario wrote has been acknowledged by the receiver
(its id seen in a 2xx answer) or dead-lettered (``siem_dead_letters``) — never silently dropped.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import Engine, text

from chaos.common import Result, result, wait_until
from chaos.data import add_audit_rows, prepare, scalar
from chaos.replica import Replica, service_env
from chaos.siem_receiver import SiemReceiver

NAME = "siem"
SIEM_KEY = "chaos-siem-key-0001"
RETRY_BUDGET_S = 2.0
TIMEOUT_S = 1.0
SLACK_S = 8.0
ROUTE_BUDGET_S = RETRY_BUDGET_S + 2 * TIMEOUT_S + SLACK_S

#: (script, the receiver recovers: every row must arrive)
SCRIPTS: list[tuple[list[str], bool]] = [
    (["ok"], True),
    (["429", "ok"], True),
    (["500", "ok"], True),
    (["reset", "ok"], True),
    (["close", "ok"], True),
    (["503"], False),
    (["hang"], False),
    (["trickle"], False),
    (["trickle_headers"], False),
    (["reset"], False),
    (["malformed"], False),
    (["gzip_garbage"], False),
    (["chunked_garbage"], False),
]
ELASTIC_ONLY: list[tuple[list[str], bool]] = [
    (["items_mixed", "ok"], False),
    (["items_null"], False),
    (["items_weird"], False),
    (["items_short"], False),
]
# the reduced run: the cases that found defects, plus a healthy receiver and a reset
QUICK = {
    "elastic": ["ok", "trickle", "reset", "gzip_garbage", "items_mixed", "items_null", "items_weird"],
    "splunk": ["trickle", "gzip_garbage"],
}


def _plan(backend: str, quick: bool) -> list[tuple[list[str], bool]]:
    scripts = SCRIPTS + (ELASTIC_ONLY if backend == "elastic" else [])
    if quick:
        scripts = [s for s in scripts if s[0][0] in QUICK.get(backend, [])]
    return scripts


def _runs(engine: Engine) -> int:
    return int(scalar(engine, "SELECT count(*) FROM audit_log WHERE action = 'cron.siem-ship'"))


DRAIN_RUNS = 2


def _lost_rows(engine: Engine, replica: Replica, receiver: SiemReceiver, backend: str) -> list[str]:
    """With the receiver accepting again, every row the scenario wrote must arrive or be dead-lettered."""
    receiver.set_script(["ok"])
    for _ in range(DRAIN_RUNS):
        try:
            replica.trigger("siem-ship", timeout=ROUTE_BUDGET_S + 5)
        except Exception:  # noqa: BLE001 - counted below as rows not delivered
            pass
    with engine.connect() as conn:
        ours = {str(i) for (i,) in conn.execute(text("SELECT id FROM audit_log WHERE user_name = 'chaos'"))}
        try:
            dead = {
                str(i)
                for (i,) in conn.execute(
                    text("SELECT audit_id FROM siem_dead_letters WHERE backend = :b"), {"b": backend}
                )
            }
        except Exception:  # noqa: BLE001 - a schema without dead letters: nothing dead-lettered
            dead = set()
    lost = sorted(ours - receiver.acked_ids - dead, key=int)
    if lost:
        return [
            f"{backend}: {len(lost)} of {len(ours)} audit rows neither delivered nor dead-lettered after "
            f"{DRAIN_RUNS} runs against a healthy receiver (e.g. ids {lost[:5]})"
        ]
    return []


def _more_runs(engine: Engine, before: int) -> bool:
    return _runs(engine) > before


def _one_backend(backend: str, quick: bool, workdir: Path) -> list[str]:
    wd = workdir / backend
    wd.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{wd / 'kaireon.db'}"
    engine = prepare(url)
    receiver = SiemReceiver(backend)
    env = service_env(
        url,
        wd,
        SIEM_BACKEND=backend,
        SIEM_ENDPOINT=receiver.url,
        SIEM_API_KEY=SIEM_KEY,
        SIEM_INDEX="audit",
        SIEM_TIMEOUT_SECONDS=str(TIMEOUT_S),
        SIEM_RETRY_BUDGET_SECONDS=str(RETRY_BUDGET_S),
        SIEM_RUN_BUDGET_SECONDS=str(RETRY_BUDGET_S + TIMEOUT_S),
        SIEM_SETTLE_SECONDS="0",
    )
    replica = Replica(f"siem-{backend}", env, wd)
    failures: list[str] = []
    try:
        replica.start()
        for script, recovers in _plan(backend, quick):
            add_audit_rows(engine, 7, datetime.now(UTC) - timedelta(seconds=5))
            receiver.set_script(script)
            label = f"{backend} {'->'.join(script)}"
            runs = _runs(engine)
            t0 = time.monotonic()
            try:
                resp = replica.trigger("siem-ship", timeout=ROUTE_BUDGET_S + 5)
            except Exception as exc:  # noqa: BLE001 - a transport failure of the route itself is a failure
                failures.append(
                    f"{label}: the route did not answer within {ROUTE_BUDGET_S + 5:.0f} s "
                    f"({type(exc).__name__}: {exc})"
                )
                receiver.release.set()  # end the hang/trickle, let the run finish before the next script
                wait_until(partial(_more_runs, engine, runs), 60)
                continue
            elapsed = time.monotonic() - t0
            if elapsed > ROUTE_BUDGET_S:
                failures.append(
                    f"{label}: the route answered after {elapsed:.1f} s (budget {ROUTE_BUDGET_S:.0f} s)"
                )
            if resp.status_code != 200:
                failures.append(f"{label}: HTTP {resp.status_code}: {resp.text[:200]}")
                continue
            body = resp.json()
            shipped = body.get("shipped")
            if not isinstance(shipped, int) or not isinstance(body.get("errors"), int):
                failures.append(f"{label}: result without counts: {body}")
                continue
            if shipped > receiver.accepted_events:
                failures.append(
                    f"{label}: shipped {shipped} but the receiver acknowledged {receiver.accepted_events}"
                )
            if recovers and body.get("errors"):
                failures.append(
                    f"{label}: the receiver recovered but the run reports {body['errors']} error(s)"
                )
        receiver.release.set()
        failures += _lost_rows(engine, replica, receiver, backend)
        failures += replica.problems()
        if SIEM_KEY in replica.log_text():
            failures.append(f"{backend}: the SIEM API key appears in the replica's log")
    finally:
        receiver.close()
        replica.stop()
        engine.dispose()
    return failures


def run(quick: bool, seed: int, workdir: Path) -> list[Result]:
    backends = ["elastic", "splunk"] if quick else ["elastic", "splunk", "datadog"]
    with ThreadPoolExecutor(max_workers=len(backends)) as pool:
        found = dict(
            zip(backends, pool.map(lambda b: _one_backend(b, quick, workdir), backends), strict=True)
        )
    return [
        result(
            NAME,
            f"siem-ship ({b}) vs a misbehaving receiver: "
            + ", ".join("->".join(s) for s, _ in _plan(b, quick)),
            len(_plan(b, quick)),
            found[b],
        )
        for b in backends
    ]
