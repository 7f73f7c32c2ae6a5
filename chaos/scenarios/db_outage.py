"""The database goes away mid-run: a private PostgreSQL stopped (crash stop) and frozen (SIGSTOP).

Proves:
* stopped while a run holds its lease (siem-ship waiting on a hung SIEM receiver): once the
  database is back, the lease is released or recoverable — a new trigger runs within
  ``LEASE_RECOVER_S`` instead of answering ``skipped: already running`` for the rest of the TTL
  (issue 13, item 5);
* while it is down, ``/metrics`` answers, a trigger answers 503 and neither that body nor
  ``/readyz``'s names the database host or port (item 9);
* frozen (every PostgreSQL process stopped): each of many concurrent ``/readyz`` probes answers
  within ``READYZ_BUDGET_S`` and ``/metrics`` keeps answering — the worker pool is not exhausted
  (item 6); after SIGCONT the replica is ready again.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from chaos.common import LOOPBACK, Result, result, wait_until
from chaos.data import add_audit_rows, prepare
from chaos.pg import PgCluster
from chaos.replica import Replica, service_env
from chaos.siem_receiver import SiemReceiver

NAME = "db_outage"
LEASE_RECOVER_S = 30.0
READYZ_BUDGET_S = 10.0
METRICS_BUDGET_S = 5.0


def _timed(replica: Replica, path: str, timeout: float) -> tuple[int, float, str]:
    t0 = time.monotonic()
    try:
        resp = replica.request("GET", path, auth=False, timeout=timeout)
        return resp.status_code, time.monotonic() - t0, resp.text
    except httpx.HTTPError as exc:
        return 0, time.monotonic() - t0, f"{type(exc).__name__}"


def _leaks(body: str, port: int) -> bool:
    return LOOPBACK in body or f":{port}" in body or str(port) in body


def _stopped_mid_run(
    cluster: PgCluster, replica: Replica, receiver: SiemReceiver
) -> tuple[list[str], list[str]]:
    lease_fails: list[str] = []
    down_fails: list[str] = []
    outcome: dict[str, object] = {}

    def first_run() -> None:
        try:
            outcome["resp"] = replica.trigger("siem-ship", timeout=120)
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    receiver.set_script(["hang", "ok"])
    t = threading.Thread(target=first_run, daemon=True)
    t.start()
    if not receiver.got_request.wait(60):
        return ["siem-ship never reached the receiver (setup)"], []
    cluster.stop("immediate")  # the run holds its lease; the database disappears
    receiver.release.set()  # the SIEM answers; the run ends while the database is down
    t.join(90)
    if t.is_alive():
        lease_fails.append("the run did not end within 90 s after the database stopped")
    resp = outcome.get("resp")
    if isinstance(resp, httpx.Response) and resp.status_code >= 500 and resp.status_code != 503:
        down_fails.append(f"the run interrupted by the outage answered {resp.status_code}")

    # while the database is down
    status, took, _ = _timed(replica, "/metrics", METRICS_BUDGET_S + 5)
    if status != 200 or took > METRICS_BUDGET_S:
        down_fails.append(f"/metrics while the database is down: HTTP {status or 'none'} after {took:.1f} s")
    status, took, body = _timed(replica, "/readyz", READYZ_BUDGET_S + 5)
    if status != 503:
        down_fails.append(f"/readyz while the database is down: HTTP {status or 'none'}, expected 503")
    if _leaks(body, cluster.port):
        down_fails.append(f"/readyz body names the database host or port: {body[:200]}")
    try:
        resp2 = replica.trigger("outbox-reaper", timeout=60)
        if resp2.status_code != 503:
            down_fails.append(f"a trigger while the database is down: HTTP {resp2.status_code}, expected 503")
        if _leaks(resp2.text, cluster.port):
            down_fails.append(f"the 503 body names the database host or port: {resp2.text[:200]}")
    except httpx.HTTPError as exc:
        down_fails.append(f"a trigger while the database is down did not answer: {type(exc).__name__}")

    cluster.start()
    if not wait_until(lambda: _timed(replica, "/readyz", 10)[0] == 200, 60, 0.5):
        lease_fails.append("/readyz not 200 within 60 s after the database returned")
        return lease_fails, down_fails
    receiver.set_script(["ok"])
    t0 = time.monotonic()
    last = ""
    while time.monotonic() - t0 < LEASE_RECOVER_S:
        try:
            r = replica.trigger("siem-ship", timeout=60)
            last = r.text[:200]
            if r.status_code == 200 and "skipped" not in r.json():
                break
        except (httpx.HTTPError, ValueError) as exc:
            last = type(exc).__name__
        time.sleep(1.0)
    else:
        lease_fails.append(
            f"the lease is still held {LEASE_RECOVER_S:.0f} s after the database returned "
            f"(last answer: {last})"
        )
    return lease_fails, down_fails


def _frozen(cluster: PgCluster, replica: Replica, probes: int) -> list[str]:
    fails: list[str] = []
    cluster.freeze()
    try:
        with ThreadPoolExecutor(max_workers=probes) as pool:
            futures = [pool.submit(_timed, replica, "/readyz", READYZ_BUDGET_S + 20) for _ in range(probes)]
            time.sleep(1.5)
            status, took, _ = _timed(replica, "/metrics", METRICS_BUDGET_S)
            if status != 200:
                fails.append(
                    f"/metrics with the database frozen and {probes} probes pending: "
                    f"{'HTTP ' + str(status) if status else 'no answer'} after {took:.1f} s"
                )
            status, took, _ = _timed(replica, "/healthz", METRICS_BUDGET_S)
            if status != 200:
                fails.append(
                    f"/healthz with the database frozen: {'HTTP ' + str(status) if status else 'no answer'}"
                )
            results = [f.result() for f in futures]
    finally:
        cluster.thaw()
    slow = [r for r in results if r[0] == 0 or r[1] > READYZ_BUDGET_S]
    if slow:
        worst = max(r[1] for r in results)
        fails.append(
            f"{len(slow)} of {probes} /readyz probes with the database frozen did not answer within "
            f"{READYZ_BUDGET_S:.0f} s (slowest {worst:.1f} s)"
        )
    wrong = [r for r in results if r[0] not in (0, 503) and r[1] <= READYZ_BUDGET_S]
    if wrong:
        fails.append(
            f"{len(wrong)} /readyz probes with the database frozen answered HTTP {wrong[0][0]}, expected 503"
        )
    if not wait_until(lambda: _timed(replica, "/readyz", 10)[0] == 200, 60, 0.5):
        fails.append("/readyz not 200 within 60 s after the database was thawed")
    return fails


def run(quick: bool, seed: int, workdir: Path) -> list[Result]:
    rows: list[Result] = []
    receiver = SiemReceiver("splunk")
    with PgCluster() as cluster:
        url = cluster.create_database("kaireon")
        engine = prepare(url)
        add_audit_rows(engine, 5, datetime.now(UTC) - timedelta(seconds=10))
        engine.dispose()
        env = service_env(
            url,
            workdir,
            SIEM_BACKEND="splunk",
            SIEM_ENDPOINT=receiver.url,
            SIEM_API_KEY="chaos-siem-key-0002",
            SIEM_TIMEOUT_SECONDS="60",
            SIEM_RETRY_BUDGET_SECONDS="60",
        )
        replica = Replica("outage", env, workdir)
        try:
            replica.start()
            rounds = 1 if quick else 3
            lease_fails: list[str] = []
            down_fails: list[str] = []
            for _ in range(rounds):
                lf, df = _stopped_mid_run(cluster, replica, receiver)
                lease_fails += lf
                down_fails += df
            rows.append(
                result(
                    NAME,
                    "PostgreSQL crash-stopped while a run holds its lease -> lease recoverable",
                    rounds,
                    lease_fails,
                )
            )
            rows.append(
                result(
                    NAME, "database down: /metrics answers, 503 bodies without host/port", rounds, down_fails
                )
            )
            probes = 60
            fails = []
            for _ in range(rounds):
                fails += _frozen(cluster, replica, probes)
            rows.append(
                result(
                    NAME,
                    f"PostgreSQL frozen (SIGSTOP): {probes} concurrent /readyz within "
                    f"{READYZ_BUDGET_S:.0f} s, /metrics answers",
                    rounds * probes,
                    fails,
                )
            )
            rows.append(result(NAME, "replica log clean after the outages", 1, replica.problems()))
        finally:
            receiver.close()
            replica.stop()
    return rows
