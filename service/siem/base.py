"""What every SIEM back end shares: endpoint joining, the per-event outcome, size-bounded requests,
and all-or-nothing delivery (Splunk HEC, Datadog) with splitting and dead letters.

Every audit event ends a run in exactly one of three states: **delivered** (the SIEM acknowledged
it), **dead** (it can never be accepted: larger than the back end's per-event limit, or rejected on
its own while other events of the same run were accepted), or **failed** (not acknowledged this
time: retried by a later run). A rejection is blamed on an event only when the SIEM accepted others,
so a configuration error (bad index, proxy answering 400) never dead-letters anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx

from service.siem.events import AuditEvent
from service.siem.retry import Delivery, RetryPolicy, describe, post_with_retry

log = logging.getLogger("service.siem")

#: the most events one request carries, whatever the back end allows
MAX_EVENTS_PER_REQUEST = 500


@dataclass
class ShipOutcome:
    delivered: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    dead: dict[int, tuple[str, int]] = field(default_factory=dict)  # audit id -> (reason, size)
    messages: list[str] = field(default_factory=list)
    requests: int = 0
    stopped: bool = False  # the SIEM failed a request: send nothing more this run
    _rejected: list[tuple[AuditEvent, str, int]] = field(default_factory=list)

    @property
    def shipped(self) -> int:
        return len(self.delivered)

    @property
    def errors(self) -> int:
        return len(self.failed)

    def ack(self, events: Iterable[AuditEvent]) -> None:
        self.delivered.extend(e.id for e in events)

    def fail(self, events: Sequence[AuditEvent], message: str | None) -> None:
        self.failed.extend(e.id for e in events)
        if message and events:
            self.messages.append(message)
            log.warning("siem-ship: %d event(s) not delivered: %s", len(events), message)

    def bury(self, event: AuditEvent, reason: str, size: int) -> None:
        self.dead[event.id] = (reason, size)
        log.warning("siem-ship: audit row %d dead-lettered: %s", event.id, reason)

    def reject(self, event: AuditEvent, reason: str, size: int) -> None:
        """The SIEM refused this event alone; settled by :meth:`finish`."""
        self._rejected.append((event, reason, size))

    def finish(self, accepted_before: bool = False) -> ShipOutcome:
        """Rejected events are dead if the SIEM accepted others in this run (in this call, or
        ``accepted_before`` it), else failed (retried by a later run)."""
        for event, reason, size in self._rejected:
            if self.delivered or accepted_before:
                self.bury(event, reason, size)
            else:
                self.fail([event], f"{reason} (kept for retry: nothing else was accepted either)")
        self._rejected.clear()
        return self


def join_endpoint(base: str, standard_path: str, also_accepted: Iterable[str] = ()) -> str:
    """``base`` + ``standard_path`` unless the URL's path already ends with it (or an equivalent)."""
    parts = urlsplit(base.strip())
    path = parts.path.rstrip("/")
    if any(path.endswith(p) for p in (standard_path, *also_accepted)):
        return urlunsplit(parts._replace(path=path))
    return urlunsplit(parts._replace(path=path + standard_path))


Encoded = tuple[AuditEvent, bytes]


def screen(
    events: Sequence[AuditEvent],
    encode_one: Callable[[AuditEvent], bytes],
    max_event_bytes: int,
    backend: str,
    out: ShipOutcome,
    limit_name: str,
) -> list[Encoded]:
    """Encode each event; one that cannot be encoded (e.g. an integer beyond 64 bits in ``changes``) or
    is larger than the back end's per-event limit is dead-lettered, never sent."""
    keep: list[Encoded] = []
    for event in events:
        try:
            blob = encode_one(event)
        except (TypeError, ValueError) as exc:  # orjson.JSONEncodeError is a TypeError
            out.bury(event, f"{backend}: event cannot be encoded as JSON: {exc}", 0)
            continue
        if len(blob) > max_event_bytes:
            out.bury(
                event,
                f"{backend}: event of {len(blob)} bytes exceeds {limit_name} ({max_event_bytes} bytes)",
                len(blob),
            )
        else:
            keep.append((event, blob))
    return keep


def chunked(
    items: Sequence[Encoded], max_bytes: int, max_items: int, overhead: int = 0
) -> Iterator[list[Encoded]]:
    """Consecutive groups whose joined size (plus ``overhead`` per item) stays under both limits."""
    batch: list[Encoded] = []
    size = 0
    for item in items:
        n = len(item[1]) + overhead
        if batch and (size + n > max_bytes or len(batch) >= max_items):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += n
    if batch:
        yield batch


@dataclass
class Simple:
    """An all-or-nothing back end: a 2xx acknowledges the whole request."""

    name: str
    client: httpx.Client
    url: str
    headers: dict[str, str]
    policy: RetryPolicy
    secret: str | None
    join: Callable[[list[bytes]], bytes]
    accept: Callable[[Delivery], bool]
    is_rejection: Callable[[Delivery], bool]  # the payload (not the setup) was refused: split it

    def ship(self, batches: Iterable[list[Encoded]], out: ShipOutcome) -> ShipOutcome:
        for batch in batches:
            if out.stopped:
                out.fail([e for e, _ in batch], None)
            else:
                self._send(batch, out)
        return out  # the caller settles rejections (ShipOutcome.finish)

    def _send(self, batch: list[Encoded], out: ShipOutcome) -> None:
        delivery = post_with_retry(
            self.client,
            self.url,
            self.join([b for _, b in batch]),
            self.headers,
            self.policy,
            secret=self.secret,
            accept=self.accept,
        )
        out.requests += delivery.attempts
        if delivery.ok:
            out.ack(e for e, _ in batch)
        elif delivery.status is not None and self.is_rejection(delivery):
            if len(batch) == 1:
                event, blob = batch[0]
                out.reject(event, describe(self.name, delivery, self.secret), len(blob))
                return
            half = len(batch) // 2
            for part in (batch[:half], batch[half:]):
                if out.stopped:
                    out.fail([e for e, _ in part], None)
                else:
                    self._send(part, out)
        else:
            out.fail([e for e, _ in batch], describe(self.name, delivery, self.secret))
            out.stopped = True
