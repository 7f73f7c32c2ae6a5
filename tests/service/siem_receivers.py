"""Local SIEM receivers that answer as the real services do (for tests; loopback, port 0).

* :class:`SplunkHEC` — ``POST /services/collector[/event]``, ``Authorization: Splunk <token>``,
  stacked JSON event objects; ``{"text":"Success","code":0}`` or the HEC error codes
  (401 code 2/3, 403 code 4, 400 code 5/6/7/12).
* :class:`DatadogLogs` — ``POST /api/v2/logs``, ``DD-API-KEY``, a JSON array of log items with
  ``message``; 202 ``{}``, 400 for a bad payload or more than 1000 items, 401/403 for the key.
* :class:`ElasticBulk` — ``POST [/<index>]/_bulk``, ``Authorization: ApiKey <key>``, NDJSON
  action/source pairs ending in a newline; 200 with ``errors`` and per-item results; ``create`` of an
  existing ``_id`` is a per-item 409 ``version_conflict_engine_exception``.

Behaviour is scriptable per request: push :class:`Respond` (a fixed answer, nothing stored),
:class:`Hang` (answer only after a delay — longer than the client timeout simulates a timeout; with
``store=True`` the request is processed first, i.e. "delivered but the answer was lost") or, for
Elasticsearch, :class:`ItemStatuses` (per-``_id`` item failures) onto ``receiver.script``; set
``receiver.default`` to answer every unscripted request the same way. Misbehaviour for the
robustness tests: :class:`Trickle` (a 200 sent one byte at a time), :class:`Reset` (the connection
is closed with no answer, after the request was read), ``receiver.poison`` (a request holding an
event whose JSON contains that string is refused as the real service refuses bad data: Splunk 400
code 6, Datadog 400, Elasticsearch a per-item 400 ``mapper_parsing_exception``).
``receiver.delivered`` counts, per audit id, how often the receiver stored or acknowledged it.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Respond:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Hang:
    seconds: float
    store: bool = False


@dataclass
class ItemStatuses:
    """Elasticsearch only: ``{_id: status}`` overrides for the items of one request (any JSON value:
    ``None`` or ``"abc"`` make malformed items)."""

    statuses: dict[str, Any]


@dataclass
class Trickle:
    """Answer 200 one byte every ``seconds`` (headers first), stopping when the client hangs up."""

    seconds: float


@dataclass
class Reset:
    """Read the request, then close the connection without answering (RST)."""


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _Receiver:
    kind = "base"

    def __init__(self, api_key: str, allowed_indexes: tuple[str, ...] = ()) -> None:
        self.api_key = api_key
        self.allowed_indexes = allowed_indexes
        self.script: deque[Any] = deque()
        self.default: Any = None
        self.requests: list[Recorded] = []
        self.stored: list[dict[str, Any]] = []
        self.poison: str | None = None
        self.trickled: list[int] = []  # bytes each Trickle answer got out before the client hung up
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                rec = Recorded("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with receiver._lock:
                    receiver.requests.append(rec)
                    action = receiver.script.popleft() if receiver.script else receiver.default
                if isinstance(action, Reset):
                    import socket
                    import struct

                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.connection.close()
                    return
                if isinstance(action, Trickle):
                    self._trickle(action.seconds)
                    return
                status, payload, headers = receiver._handle(rec, action)
                if isinstance(action, Hang):
                    time.sleep(action.seconds)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout)

            def _trickle(self, seconds: float) -> None:
                data = (
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n"
                    + b'{"text":"Success","code":0,"pad":"xxxx"}'
                )
                sent = 0
                try:
                    for i in range(len(data)):
                        self.wfile.write(data[i : i + 1])
                        self.wfile.flush()
                        sent += 1
                        time.sleep(seconds)
                except OSError:
                    pass
                receiver.trickled.append(sent)
                self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name=f"{self.kind}-receiver", daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> _Receiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _handle(self, rec: Recorded, action: Any) -> tuple[int, Any, dict[str, str]]:
        if isinstance(action, Respond):
            return action.status, action.body if action.body is not None else {}, action.headers
        if isinstance(action, Hang) and not action.store:
            return 503, {}, {}
        overrides = action.statuses if isinstance(action, ItemStatuses) else {}
        with self._lock:
            return self.process(rec, overrides)

    def process(self, rec: Recorded, overrides: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError

    def poisoned(self, obj: Any) -> bool:
        return self.poison is not None and self.poison in json.dumps(obj)

    def delivered(self) -> dict[int, int]:
        """Audit id -> times stored (Splunk, Datadog) or acknowledged (Elasticsearch, 201 and 409)."""
        counts: dict[int, int] = {}
        for i in self.audit_ids():
            counts[i] = counts.get(i, 0) + 1
        return counts

    def audit_ids(self) -> list[int]:
        raise NotImplementedError


class SplunkHEC(_Receiver):
    kind = "splunk"
    PATHS = ("/services/collector", "/services/collector/event", "/services/collector/event/1.0")

    def process(self, rec: Recorded, overrides: dict[str, int]) -> tuple[int, Any, dict[str, str]]:
        if rec.path.split("?")[0].rstrip("/") not in self.PATHS:
            return 404, {"text": "The requested URL was not found on this server.", "code": 404}, {}
        auth = rec.headers.get("authorization", "")
        if not auth:
            return 401, {"text": "Token is required", "code": 2}, {}
        if not auth.startswith("Splunk "):
            return 401, {"text": "Invalid authorization", "code": 3}, {}
        if auth[len("Splunk ") :] != self.api_key:
            return 403, {"text": "Invalid token", "code": 4}, {}
        text = rec.body.decode("utf-8", "replace")
        if not text.strip():
            return 400, {"text": "No data", "code": 5}, {}
        decoder = json.JSONDecoder()
        events: list[dict[str, Any]] = []
        pos = 0
        while pos < len(text):
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos >= len(text):
                break
            try:
                obj, pos = decoder.raw_decode(text, pos)
            except json.JSONDecodeError:
                return (
                    400,
                    {"text": "Invalid data format", "code": 6, "invalid-event-number": len(events)},
                    {},
                )
            if not isinstance(obj, dict):
                return (
                    400,
                    {"text": "Invalid data format", "code": 6, "invalid-event-number": len(events)},
                    {},
                )
            if "event" not in obj or obj["event"] in ("", None):
                return (
                    400,
                    {"text": "Event field is required", "code": 12, "invalid-event-number": len(events)},
                    {},
                )
            if self.allowed_indexes and obj.get("index") not in self.allowed_indexes:
                return 400, {"text": "Incorrect index", "code": 7, "invalid-event-number": len(events)}, {}
            if self.poisoned(obj):
                return (
                    400,
                    {"text": "Invalid data format", "code": 6, "invalid-event-number": len(events)},
                    {},
                )
            events.append(obj)
        self.stored.extend(events)
        return 200, {"text": "Success", "code": 0}, {}

    def audit_ids(self) -> list[int]:
        return [e["event"]["id"] for e in self.stored]


class DatadogLogs(_Receiver):
    kind = "datadog"

    def process(self, rec: Recorded, overrides: dict[str, int]) -> tuple[int, Any, dict[str, str]]:
        if rec.path.split("?")[0].rstrip("/") != "/api/v2/logs":
            return 404, {"errors": ["Not found"]}, {}
        key = rec.headers.get("dd-api-key")
        if not key:
            return 401, {"errors": ["Unauthorized"]}, {}
        if key != self.api_key:
            return 403, {"errors": ["Forbidden"]}, {}
        if len(rec.body) > 5 * 1024 * 1024:
            return 413, {"errors": ["Payload too large"]}, {}
        try:
            items = json.loads(rec.body)
        except json.JSONDecodeError:
            return 400, {"errors": ["Bad Request"]}, {}
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list) or len(items) > 1000:
            return 400, {"errors": ["Bad Request"]}, {}
        if any(not isinstance(i, dict) or not isinstance(i.get("message"), str) for i in items):
            return 400, {"errors": ["Bad Request"]}, {}
        if any(self.poisoned(i) for i in items):
            return 400, {"errors": ["Bad Request"]}, {}
        self.stored.extend(items)
        return 202, {}, {}

    def audit_ids(self) -> list[int]:
        return [json.loads(i["message"])["id"] for i in self.stored]


class ElasticBulk(_Receiver):
    kind = "elastic"

    def __init__(self, api_key: str, allowed_indexes: tuple[str, ...] = ()) -> None:
        super().__init__(api_key, allowed_indexes)
        self.docs: dict[tuple[str, str], dict[str, Any]] = {}
        self.acked: list[int] = []  # audit ids answered 201 or 409

    def process(self, rec: Recorded, overrides: dict[str, int]) -> tuple[int, Any, dict[str, str]]:
        path = rec.path.split("?")[0].rstrip("/")
        if not path.endswith("/_bulk"):
            return 404, {"error": "no handler found", "status": 404}, {}
        path_index = path[: -len("/_bulk")].strip("/") or None
        auth = rec.headers.get("authorization", "")
        if not auth.startswith("ApiKey ") or auth[len("ApiKey ") :] != self.api_key:
            return (
                401,
                {"error": {"type": "security_exception", "reason": "unable to authenticate"}, "status": 401},
                {},
            )
        if not rec.headers.get("content-type", "").startswith("application/x-ndjson"):
            return 406, {"error": "Content-Type header is not supported", "status": 406}, {}
        if not rec.body.endswith(b"\n"):
            return (
                400,
                {
                    "error": {
                        "type": "illegal_argument_exception",
                        "reason": "The bulk request must be terminated by a newline [\\n]",
                    },
                    "status": 400,
                },
                {},
            )
        lines = rec.body.decode().split("\n")[:-1]
        items: list[dict[str, Any]] = []
        errors = False
        i = 0
        while i < len(lines):
            try:
                action = json.loads(lines[i])
                ((op, meta),) = action.items()
                source = json.loads(lines[i + 1])
            except (ValueError, IndexError):
                return (
                    400,
                    {"error": {"type": "parse_exception", "reason": "malformed bulk body"}, "status": 400},
                    {},
                )
            i += 2
            index = meta.get("_index") or path_index
            doc_id = str(meta.get("_id"))
            result: dict[str, Any] = {"_index": index, "_id": doc_id}
            forced = overrides.get(doc_id, ...)
            if op != "create":
                result.update(
                    status=400, error={"type": "illegal_argument_exception", "reason": f"unexpected {op}"}
                )
            elif forced is not ... and not isinstance(forced, int):
                result["status"] = forced  # malformed: null, "abc", ...
            elif self.poisoned(source):
                result["status"] = 400
                result["error"] = {"type": "mapper_parsing_exception", "reason": "failed to parse"}
            elif forced is not ...:
                result["status"] = forced
                kind = {429: "es_rejected_execution_exception", 400: "mapper_parsing_exception"}.get(
                    forced, "internal_server_error" if forced >= 500 else "illegal_argument_exception"
                )
                result["error"] = {"type": kind, "reason": f"scripted {forced}"}
            elif (index, doc_id) in self.docs:
                result["status"] = 409
                result["error"] = {
                    "type": "version_conflict_engine_exception",
                    "reason": f"[{doc_id}]: version conflict, document already exists",
                }
            else:
                self.docs[(index, doc_id)] = source
                self.stored.append(source)
                result.update(status=201, result="created", _version=1)
            if result["status"] in (201, 409):
                self.acked.append(int(doc_id))
            errors = errors or not isinstance(result["status"], int) or result["status"] >= 300
            items.append({op: result})
        return 200, {"took": 3, "errors": errors, "items": items}, {}

    def audit_ids(self) -> list[int]:
        return list(self.acked)
