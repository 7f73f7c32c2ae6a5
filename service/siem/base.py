"""What every SIEM back end shares: endpoint joining, size-bounded chunking, the ship outcome."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx

from service.siem.events import AuditEvent
from service.siem.retry import RetryPolicy, describe, post_with_retry

log = logging.getLogger("service.siem")


@dataclass
class ShipOutcome:
    shipped: int = 0
    errors: int = 0
    messages: list[str] = field(default_factory=list)


def join_endpoint(base: str, standard_path: str, also_accepted: Iterable[str] = ()) -> str:
    """``base`` + ``standard_path`` unless the URL's path already ends with it (or an equivalent)."""
    parts = urlsplit(base.strip())
    path = parts.path.rstrip("/")
    if any(path.endswith(p) for p in (standard_path, *also_accepted)):
        return urlunsplit(parts._replace(path=path))
    return urlunsplit(parts._replace(path=path + standard_path))


def chunked(
    events: Sequence[AuditEvent], encode_one: Callable[[AuditEvent], bytes], max_bytes: int, max_items: int
) -> Iterator[tuple[list[AuditEvent], list[bytes]]]:
    """Group encoded events so each request stays under ``max_bytes`` and ``max_items``."""
    batch: list[AuditEvent] = []
    parts: list[bytes] = []
    size = 0
    for event in events:
        blob = encode_one(event)
        if batch and (size + len(blob) > max_bytes or len(batch) >= max_items):
            yield batch, parts
            batch, parts, size = [], [], 0
        batch.append(event)
        parts.append(blob)
        size += len(blob)
    if batch:
        yield batch, parts


def ship_simple(
    backend: str,
    client: httpx.Client,
    url: str,
    headers: dict[str, str],
    requests: Iterable[tuple[list[AuditEvent], bytes]],
    policy: RetryPolicy,
    secret: str | None,
) -> ShipOutcome:
    """All-or-nothing requests (Splunk HEC, Datadog): a 2xx delivers the whole chunk."""
    out = ShipOutcome()
    for batch, body in requests:
        delivery = post_with_retry(client, url, body, headers, policy, secret=secret)
        if delivery.response is not None and delivery.response.is_success:
            out.shipped += len(batch)
        else:
            out.errors += len(batch)
            msg = describe(backend, delivery, secret)
            out.messages.append(msg)
            log.warning("siem-ship: %d event(s) not delivered: %s", len(batch), msg)
    return out
