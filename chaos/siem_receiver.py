"""A misbehaving SIEM receiver on a loopback port, speaking raw HTTP/1.1 over sockets.

``behaviours`` is a script: request n gets ``script[min(n, len-1)]`` (the last one repeats), e.g.
``["429", "ok"]`` answers 429 with ``Retry-After: 1`` once, then accepts. Every behaviour is bounded
in time (a hang or a trickle ends when the receiver stops or after ``MAX_HOLD_S``).

The receiver counts the events of every request it accepted (2xx), per back end's wire format
(Splunk HEC stacked objects, a Datadog JSON array, Elasticsearch ``_bulk`` NDJSON pairs).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from chaos.common import LOOPBACK

MAX_HOLD_S = 120.0
TRICKLE_INTERVAL_S = 0.25
BEHAVIOURS = (
    "ok",
    "429",
    "500",
    "503",
    "hang",
    "trickle",
    "trickle_headers",
    "reset",
    "close",
    "malformed",
    "gzip_garbage",
    "chunked_garbage",
    "items_mixed",
    "items_null",
    "items_weird",
    "items_short",
)


@dataclass
class Received:
    behaviour: str
    events: int
    raw_bytes: int


@dataclass
class SiemReceiver:
    backend: str
    script: list[str] = field(default_factory=lambda: ["ok"])
    requests: list[Received] = field(default_factory=list)
    accepted_events: int = 0  # since the last set_script
    acked_ids: set[str] = field(default_factory=set)  # every audit id ever acknowledged (2xx)

    def __post_init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.stopping = threading.Event()
        self.release = threading.Event()  # ends a "hang" early when set
        self.got_request = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, name="siem-receiver", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def set_script(self, script: list[str]) -> None:
        with self.lock:
            self.script = list(script)
            self.requests = []
            self.accepted_events = 0
            self.release.clear()
            self.got_request.clear()

    def close(self) -> None:
        self.stopping.set()
        self.release.set()
        with contextlib.suppress(OSError):
            self.sock.close()
        self.thread.join(timeout=5)

    # -- serving ----------------------------------------------------------------------------------
    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(30)
            while not self.stopping.is_set():
                body = _read_request(conn)
                if body is None:
                    return
                with self.lock:
                    n = len(self.requests)
                    behaviour = self.script[min(n, len(self.script) - 1)]
                    ids = _event_ids(self.backend, body)
                    events = len(ids)
                    self.requests.append(Received(behaviour, events, len(body)))
                self.got_request.set()
                if not self._answer(conn, behaviour, ids):
                    return
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def _accept(self, ids: list[str]) -> None:
        with self.lock:
            self.accepted_events += len(ids)
            self.acked_ids.update(ids)

    def _answer(self, conn: socket.socket, behaviour: str, ids: list[str]) -> bool:
        """Send the answer; False when the connection is finished."""
        events = len(ids)
        if behaviour == "ok":
            self._accept(ids)
            _send(conn, 200 if self.backend != "datadog" else 202, _ok_body(self.backend, events))
            return True
        if behaviour in ("429", "500", "503"):
            extra = "Retry-After: 1\r\n" if behaviour == "429" else ""
            _send(conn, int(behaviour), b'{"error":"chaos"}', extra)
            return True
        if behaviour == "hang":
            deadline = time.monotonic() + MAX_HOLD_S
            while not self.release.is_set() and time.monotonic() < deadline and not self.stopping.is_set():
                time.sleep(0.05)
            if self.release.is_set() and not self.stopping.is_set():
                self._accept(ids)
                _send(conn, 200 if self.backend != "datadog" else 202, _ok_body(self.backend, events))
                return True
            return False
        if behaviour in ("trickle", "trickle_headers"):
            body = _ok_body(self.backend, events).ljust(400)
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(
                body
            )
            data = head + body if behaviour == "trickle_headers" else body
            if behaviour == "trickle":
                conn.sendall(head)
            deadline = time.monotonic() + MAX_HOLD_S
            for i in range(len(data)):
                if self.stopping.is_set() or self.release.is_set() or time.monotonic() > deadline:
                    return False
                conn.sendall(data[i : i + 1])
                time.sleep(TRICKLE_INTERVAL_S)
            return False
        if behaviour == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        if behaviour == "close":
            return False
        if behaviour == "malformed":
            _send(conn, 200, b'{"items": [ {"create": ' if self.backend == "elastic" else b"<html>not json")
            return True
        if behaviour == "gzip_garbage":
            _send(conn, 200, os.urandom(64), "Content-Encoding: gzip\r\n")
            return True
        if behaviour == "chunked_garbage":
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"zz\r\n{}\r\n0\r\n\r\n"
            )
            return False
        if behaviour.startswith("items_"):
            if behaviour == "items_mixed":
                self._accept([x for i, x in enumerate(ids) if MIXED[i % len(MIXED)] in (201, 409)])
            _send(conn, 200, _items_body(behaviour, events))
            return True
        raise ValueError(f"unknown behaviour {behaviour!r}")


def _read_request(conn: socket.socket) -> bytes | None:
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buf += chunk
        if len(buf) > 1 << 20:
            return None
    head, rest = buf.split(b"\r\n\r\n", 1)
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get(b"content-length", b"0") or 0)
    while len(rest) < length:
        chunk = conn.recv(min(1 << 20, length - len(rest)))
        if not chunk:
            return None
        rest += chunk
    if headers.get(b"content-encoding") == b"gzip":
        rest = gzip.decompress(rest)
    return rest


def _event_ids(backend: str, body: bytes) -> list[str]:
    """The audit ids in a request, per back end (Splunk ``fields.event_id``, Datadog ``event_id``,
    Elasticsearch the action's ``_id``); ``"?"`` for an event whose id cannot be read."""
    try:
        if backend == "datadog":
            return [str(i.get("event_id", "?")) for i in json.loads(body)]
        objs = [json.loads(ln) for ln in body.split(b"\n") if ln.strip()]
    except (ValueError, AttributeError):
        return []
    if backend == "elastic":
        metas: list[dict[str, Any]] = [next(iter(a.values()), {}) for a in objs[0::2]]
        return [str(m.get("_id", "?")) for m in metas]
    return [str((o.get("fields") or {}).get("event_id", "?")) for o in objs]


def _send(conn: socket.socket, status: int, body: bytes, extra: str = "") -> None:
    reason = {
        200: "OK",
        202: "Accepted",
        429: "Too Many Requests",
        500: "Internal Server Error",
        503: "Service Unavailable",
    }.get(status, "X")
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"{extra}\r\n"
    ).encode()
    conn.sendall(head + body)


def _ok_body(backend: str, events: int) -> bytes:
    if backend == "elastic":
        items = [{"create": {"_id": str(i), "status": 201}} for i in range(events)]
        return json.dumps({"took": 1, "errors": False, "items": items}).encode()
    if backend == "splunk":
        return b'{"text":"Success","code":0}'
    return b"{}"


#: per-item statuses of "items_mixed": delivered, permanent error, already there, retry, retry
MIXED = (201, 400, 409, 429, 500)


def _items_body(behaviour: str, events: int) -> bytes:
    if behaviour == "items_mixed":
        items: list[object] = [
            {"create": {"status": MIXED[i % len(MIXED)], "error": {"type": "chaos"}}} for i in range(events)
        ]
    elif behaviour == "items_null":
        items = [{"create": {"status": None}} for _ in range(events)]
    elif behaviour == "items_weird":
        odd: list[object] = [
            None,
            [],
            {"create": "x"},
            {"create": {"status": "abc"}},
            {"create": {"status": 1e300}},
            {"create": {"status": -1}},
            {"create": {"status": True}},
            {},
        ]
        items = [odd[i % len(odd)] for i in range(events)]
    else:  # items_short
        items = [{"create": {"status": 201}} for _ in range(max(0, events - 1))]
    return json.dumps({"took": 1, "errors": True, "items": items}).encode()
