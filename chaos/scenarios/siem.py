"""siem-ship against a misbehaving SIEM receiver (real replicas, a raw-socket receiver).

Proves: whatever the receiver does — 429 with ``Retry-After``, 5xx, a hang, a response trickled a
byte at a time, connection resets, malformed or gzip-garbage bodies, Elasticsearch per-item errors
and null or odd per-item statuses — the route answers 200 (never a 5xx) within its budget
(``SIEM_RETRY_BUDGET_SECONDS`` + ``SIEM_TIMEOUT_SECONDS`` + slack), and no row is lost silently:
``shipped + errors == rowsScanned`` on every run, ``shipped`` never exceeds what the receiver
acknowledged, and a receiver that recovers gets every row.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from chaos.common import Result, result, wait_until
from chaos.data import add_audit_rows, prepare, scalar
from chaos.replica import Replica, service_env
from chaos.siem_receiver import SiemReceiver

NAME = "siem"
RETRY_BUDGET_S = 2.0
TIMEOUT_S = 1.0
SLACK_S = 8.0
ROUTE_BUDGET_S = RETRY_BUDGET_S + TIMEOUT_S + SLACK_S

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
QUICK = {
    "elastic": [
        "ok",
        "429",
        "hang",
        "trickle",
        "reset",
        "malformed",
        "gzip_garbage",
        "items_mixed",
        "items_null",
        "items_weird",
    ],
    "splunk": ["trickle", "gzip_garbage"],
}


def _plan(backend: str, quick: bool) -> list[tuple[list[str], bool]]:
    scripts = SCRIPTS + (ELASTIC_ONLY if backend == "elastic" else [])
    if quick:
        scripts = [s for s in scripts if s[0][0] in QUICK.get(backend, [])]
    return scripts


def _runs(engine: Engine) -> int:
    return int(scalar(engine, "SELECT count(*) FROM audit_log WHERE action = 'cron.siem-ship'"))


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
        SIEM_API_KEY="chaos-siem-key-0001",
        SIEM_INDEX="audit",
        SIEM_TIMEOUT_SECONDS=str(TIMEOUT_S),
        SIEM_RETRY_BUDGET_SECONDS=str(RETRY_BUDGET_S),
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
                wait_until(lambda n=runs: _runs(engine) > n, 60)
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
            shipped, errors, scanned = body.get("shipped"), body.get("errors"), body.get("rowsScanned")
            if not all(isinstance(v, int) for v in (shipped, errors, scanned)):
                failures.append(f"{label}: result without counts: {body}")
                continue
            if shipped + errors != scanned:
                failures.append(
                    f"{label}: shipped {shipped} + errors {errors} != rowsScanned {scanned} (rows lost)"
                )
            if shipped > receiver.accepted_events:
                failures.append(
                    f"{label}: shipped {shipped} but the receiver acknowledged {receiver.accepted_events}"
                )
            if recovers and shipped != scanned:
                failures.append(
                    f"{label}: the receiver recovered but only {shipped} of {scanned} rows arrived"
                )
            if not recovers and body.get("ok") is True and errors == 0 and scanned:
                failures.append(f"{label}: ok with no errors although the receiver accepted nothing usable")
        receiver.release.set()
        failures += replica.problems()
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
