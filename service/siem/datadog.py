"""Datadog Logs intake v2: a JSON array of log items to /api/v2/logs.

Auth ``DD-API-KEY``. Each item has ``message`` (the audit event as a JSON string, which Datadog
parses), ``ddsource``, ``service``, ``hostname``, ``ddtags`` and an ``event_id`` attribute for
dedupe (the intake has no idempotency key). The intake's limits are 1000 items, 5 MB per request
and 1 MB per log (a longer log is *truncated* and still answered 2xx): requests carry at most 500
items and ~4.25 MB, and an item over 1 MB is dead-lettered rather than silently cut. Success is
202 Accepted (any 2xx whose body is empty or JSON). A 400 or 413 splits the request to find the
item at fault.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import orjson

from service.config import Settings
from service.siem.base import MAX_EVENTS_PER_REQUEST, ShipOutcome, Simple, chunked, join_endpoint, screen
from service.siem.events import SERVICE, SOURCE, AuditEvent, hostname
from service.siem.retry import Delivery, RetryPolicy

NAME = "datadog"
STANDARD_PATH = "/api/v2/logs"
MAX_BYTES = 4_250_000
MAX_ITEMS = MAX_EVENTS_PER_REQUEST  # the intake takes 1000
MAX_ITEM_BYTES = 1_000_000
_TAG_BAD = re.compile(r"[^A-Za-z0-9_\-./:]")


def endpoint(settings: Settings) -> str:
    return join_endpoint(settings.siem_endpoint or "", STANDARD_PATH)


def headers(api_key: str) -> dict[str, str]:
    return {"DD-API-KEY": api_key, "Content-Type": "application/json"}


def _tag(key: str, value: object) -> str:
    return f"{key}:{_TAG_BAD.sub('_', str(value))}"


def item(event: AuditEvent) -> dict[str, Any]:
    tags = [_tag("source", SOURCE), _tag("action", event.body.get("action"))]
    if event.body.get("tenantId"):
        tags.append(_tag("tenant", event.body["tenantId"]))
    return {
        "message": orjson.dumps(event.body).decode(),
        "ddsource": SOURCE,
        "service": SERVICE,
        "hostname": hostname(),
        "ddtags": ",".join(tags),
        "event_id": str(event.id),
        "timestamp": int(event.epoch * 1000),
    }


def encode(events: list[AuditEvent]) -> bytes:
    return orjson.dumps([item(e) for e in events])


def accept(delivery: Delivery) -> bool:
    if not delivery.body.strip():
        return True
    try:
        orjson.loads(delivery.body)
    except orjson.JSONDecodeError:
        return False
    return True


def is_rejection(delivery: Delivery) -> bool:
    return delivery.status in (400, 413)


def _join(parts: list[bytes]) -> bytes:
    return b"[" + b",".join(parts) + b"]"


def ship(
    client: httpx.Client, settings: Settings, events: list[AuditEvent], policy: RetryPolicy
) -> ShipOutcome:
    key = settings.siem_api_key.get_secret_value() if settings.siem_api_key else ""
    out = ShipOutcome()

    def one(e: AuditEvent) -> bytes:
        return orjson.dumps(item(e))

    items = screen(events, one, MAX_ITEM_BYTES, NAME, out, "Datadog's 1 MB log limit")
    sender = Simple(NAME, client, endpoint(settings), headers(key), policy, key, _join, accept, is_rejection)
    return sender.ship(chunked(items, MAX_BYTES - 2, MAX_ITEMS, overhead=1), out)
