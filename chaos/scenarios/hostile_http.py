"""Hostile HTTP over raw sockets against a real replica.

Proves:
* a body that is not fully and validly received (malformed chunk sizes, a chunk longer than sent, a
  truncated ``Content-Length`` body, a half-closed connection) never runs the job — no ``cron.*``
  audit row appears — and a malformed one is answered 400 (issue 13, item 7);
* ``HEAD`` on the GET probes answers like GET without a body, not 405 (item 8);
* huge headers, bad ``Authorization`` headers (wrong scheme, wrong or empty or huge token, non-ASCII
  bytes, two headers) and path traversal in the route name are 4xx — never a 5xx, never a job run,
  never the secret in a body;
* slow clients (headers dribbled for seconds) do not keep the replica from answering others.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from chaos.common import CRON_SECRET, LOOPBACK, Result, result
from chaos.data import prepare, scalar
from chaos.rawhttp import NoAnswer, exchange, request
from chaos.replica import Replica, service_env

NAME = "hostile_http"
ROUTE = "/api/v1/cron/outbox-reaper"
AUTH = ("Authorization", f"Bearer {CRON_SECRET}")


def _runs(engine: object) -> int:
    return int(scalar(engine, "SELECT count(*) FROM audit_log WHERE action LIKE 'cron.%'"))  # type: ignore[arg-type]


def _bad_bodies() -> list[tuple[str, bytes, bool, bool]]:
    """(label, request bytes, a 400 is required, half-close after sending)."""
    te = [AUTH, ("Transfer-Encoding", "chunked"), ("Content-Type", "application/json")]
    return [
        ("chunk size not hex", request("POST", ROUTE, te, b"zz\r\n{}\r\n0\r\n\r\n"), True, False),
        (
            "chunk size overflow",
            request("POST", ROUTE, te, b"ffffffffffffffffffffffff\r\n{}\r\n0\r\n\r\n"),
            True,
            False,
        ),
        ("chunk data without CRLF", request("POST", ROUTE, te, b"2\r\n{}XX0\r\n\r\n"), True, False),
        ("chunk longer than sent, then EOF", request("POST", ROUTE, te, b"100\r\n{}"), False, True),
        (
            "Content-Length larger than body, then EOF",
            request("POST", ROUTE, [AUTH, ("Content-Length", "100")], b"{}"),
            False,
            True,
        ),
        (
            "two different Content-Length headers",
            request("POST", ROUTE, [AUTH, ("Content-Length", "2"), ("Content-Length", "5")], b"{}"),
            True,
            False,
        ),
        (
            "Content-Length and chunked together",
            request("POST", ROUTE, [*te, ("Content-Length", "4")], b"zz\r\n"),
            True,
            False,
        ),
    ]


def _bad_auth() -> list[tuple[str, bytes]]:
    return [
        ("no Authorization", request("POST", ROUTE)),
        ("Basic scheme", request("POST", ROUTE, [("Authorization", "Basic dXNlcjpwYXNz")])),
        ("Bearer without token", request("POST", ROUTE, [("Authorization", "Bearer")])),
        (
            "Bearer wrong token",
            request("POST", ROUTE, [("Authorization", "Bearer " + CRON_SECRET[:-1] + "x")]),
        ),
        ("Bearer secret prefix", request("POST", ROUTE, [("Authorization", "Bearer " + CRON_SECRET[:8])])),
        ("Bearer 8 KB token", request("POST", ROUTE, [("Authorization", "Bearer " + "A" * 8000)])),
        (
            "non-ASCII bytes",
            request("POST", ROUTE, raw_headers=b"Authorization: Bearer \xff\xfe\x00secret\r\n"),
        ),
        ("UTF-8 token", request("POST", ROUTE, raw_headers="Authorization: Bearer sécret☃\r\n".encode())),
        ("header injection", request("POST", ROUTE, raw_headers=b"Authorization: Bearer x\rX-Evil: 1\r\n")),
        ("secret then wrong, two headers", request("POST", ROUTE, [AUTH, ("Authorization", "Bearer wrong")])),
    ]


TRAVERSAL = [
    "/api/v1/cron/../healthz",
    "/api/v1/cron/%2e%2e/%2e%2e/etc/passwd",
    "/api/v1/cron/..%2f..%2fetc%2fpasswd",
    "/api/v1/cron/outbox-reaper/..",
    "/api/v1/cron/outbox-reaper%00",
    "/api/v1/cron/%00",
    "/api/v1/cron/..",
    "/api/v1/cron/outbox-reaper/../cleanup",
    "/api/v1/cron/" + "a" * 5000,
    "/api/v1/cron/%ff%fe",
    "/api/v1/cron/outbox-reaper?route=../../x",
    "//api/v1/cron/outbox-reaper",
    "/api/v1/cron/./outbox-reaper",
    "/api/v1/cron/Outbox-Reaper",
    "/api/v1/cron/outbox-reaper;x=1",
]


def _slow_client(port: int, seconds: float, stop: threading.Event) -> None:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=5) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and not stop.is_set():
                s.sendall(b"X-Slow: 1\r\n")
                time.sleep(0.3)
    except OSError:
        pass


def run(quick: bool, seed: int, workdir: Path) -> list[Result]:
    url = f"sqlite:///{workdir / 'kaireon.db'}"
    engine = prepare(url)
    replica = Replica("http", service_env(url, workdir), workdir)
    rows: list[Result] = []
    try:
        replica.start()
        port = replica.port

        # -- bodies not fully and validly received: no job run, 400 when malformed ------------------
        fails: list[str] = []
        cases = _bad_bodies()
        for label, data, need_400, half_close in cases:
            before = _runs(engine)
            try:
                status, _, body = exchange(port, data, timeout=15, half_close=half_close)
            except NoAnswer:
                status, body = 0, b""
            if need_400 and status != 400:
                fails.append(f"{label}: HTTP {status or 'no answer'}, expected 400")
            if status >= 500:
                fails.append(f"{label}: HTTP {status}")
            time.sleep(0.3)  # a job started anyway would have written its audit row by now
            if _runs(engine) != before:
                fails.append(f"{label}: the job ran although the request was not fully and validly received")
        rows.append(result(NAME, "malformed/truncated request bodies -> 400, no job run", len(cases), fails))

        # -- HEAD on GET routes ------------------------------------------------------------------------
        fails = []
        probes = ["/healthz", "/readyz", "/metrics"]
        for path in probes:
            try:
                status, head, body = exchange(port, request("HEAD", path), timeout=10)
            except NoAnswer as exc:
                fails.append(f"HEAD {path}: {exc}")
                continue
            if status != 200:
                fails.append(f"HEAD {path}: HTTP {status}, expected 200 like GET")
            if body:
                fails.append(f"HEAD {path}: a body of {len(body)} bytes")
        rows.append(result(NAME, "HEAD on GET probes -> 200 without a body", len(probes), fails))

        # -- huge headers, bad auth, traversal: never 5xx, never a job run -----------------------------
        fails = []
        hostile: list[tuple[str, bytes]] = [
            ("one 64 KB header", request("GET", "/healthz", [("X-Big", "b" * 65536)])),
            ("300 headers", request("GET", "/healthz", [(f"X-H{i}", "v" * 100) for i in range(300)])),
            ("1 MB header line", request("GET", "/healthz", [("X-Huge", "h" * (1 << 20))])),
            ("header without colon", request("GET", "/healthz", raw_headers=b"NoColonHere\r\n")),
            ("HTTP/9.9", b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n"),
            ("request line garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"),
        ]
        hostile += _bad_auth()
        hostile += [(f"traversal {p[:60]}", request("POST", p, [AUTH])) for p in TRAVERSAL]
        before = _runs(engine)
        expected_runs = 0
        for label, data in hostile:
            try:
                status, _, body = exchange(port, data, timeout=15)
            except NoAnswer:
                continue  # closing a garbage connection is a fine answer
            if status >= 500:
                fails.append(f"{label}: HTTP {status}: {body[:120]!r}")
            if CRON_SECRET.encode() in body:
                fails.append(f"{label}: the secret is echoed in the body")
            if label.startswith("traversal") and status == 200:
                expected_runs += 1  # an equivalent spelling of the real route ran it: allowed, counted
        time.sleep(0.3)
        extra = _runs(engine) - before - expected_runs
        if extra > 0:
            fails.append(f"{extra} job run(s) from requests that must not run a job")
        rows.append(
            result(
                NAME,
                "huge headers, bad Authorization, path traversal -> 4xx, no 5xx, no job run",
                len(hostile),
                fails,
            )
        )

        # -- slow clients -------------------------------------------------------------------------------
        fails = []
        n_slow = 20 if quick else 200
        slow_s = 3.0 if quick else 15.0
        stop = threading.Event()
        threads = [
            threading.Thread(target=_slow_client, args=(port, slow_s, stop), daemon=True)
            for _ in range(n_slow)
        ]
        for t in threads:
            t.start()
        time.sleep(0.5)
        deadline = time.monotonic() + slow_s - 0.5
        while time.monotonic() < deadline:  # others are served for as long as the slow clients dribble
            t0 = time.monotonic()
            try:
                status, _, _ = exchange(port, request("GET", "/healthz"), timeout=10)
                if status != 200:
                    fails.append(f"/healthz during slow clients: HTTP {status}")
            except NoAnswer as exc:
                fails.append(f"/healthz during {n_slow} slow clients: {exc}")
            if time.monotonic() - t0 > 5:
                fails.append(f"/healthz took {time.monotonic() - t0:.1f} s during {n_slow} slow clients")
            time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join(timeout=10)
        rows.append(result(NAME, "slow clients dribbling headers while others are served", n_slow, fails))

        try:
            resp = replica.request("GET", "/healthz", auth=False, timeout=10)
            alive = resp.status_code == 200
        except Exception:  # noqa: BLE001
            alive = False
        problems = replica.problems() + ([] if alive else ["the replica stopped answering /healthz"])
        rows.append(
            result(
                NAME, "replica log clean (no traceback, no secret) after the hostile requests", 1, problems
            )
        )
    finally:
        replica.stop()
        engine.dispose()
    return rows
