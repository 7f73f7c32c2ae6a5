"""Datadog Logs intake v2: a JSON array of log items to /api/v2/logs.

Auth ``DD-API-KEY``. Each item has ``message`` (the audit event as a JSON string, which Datadog
parses), ``ddsource``, ``service``, ``hostname``, ``ddtags`` and an ``event_id`` attribute for
dedupe (the intake has no idempotency key). At most 1000 items and ~4.25 MB per request
(the intake's limits are 1000 and 5 MB). Success is 202 Accepted.
"""

from __future__ import annotations

import re

import httpx
import orjson

from service.config import Settings
from service.siem.base import ShipOutcome, chunked, join_endpoint, ship_simple
from service.siem.events import SERVICE, SOURCE, AuditEvent, hostname
from service.siem.retry import RetryPolicy

NAME = "datadog"
STANDARD_PATH = "/api/v2/logs"
MAX_BYTES = 4_250_000
MAX_ITEMS = 1000
_TAG_BAD = re.compile(r"[^A-Za-z0-9_\-./:]")


def endpoint(settings: Settings) -> str:
    return join_endpoint(settings.siem_endpoint or "", STANDARD_PATH)


def headers(api_key: str) -> dict[str, str]:
    return {"DD-API-KEY": api_key, "Content-Type": "application/json"}


def _tag(key: str, value: object) -> str:
    return f"{key}:{_TAG_BAD.sub('_', str(value))}"


def item(event: AuditEvent) -> dict:
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


def ship(client: httpx.Client, settings: Settings, events: list[AuditEvent], policy: RetryPolicy) -> ShipOutcome:
    key = settings.siem_api_key.get_secret_value() if settings.siem_api_key else ""

    def one(e: AuditEvent) -> bytes:
        return orjson.dumps(item(e))

    requests = (
        (batch, b"[" + b",".join(parts) + b"]") for batch, parts in chunked(events, one, MAX_BYTES, MAX_ITEMS)
    )
    return ship_simple(NAME, client, endpoint(settings), headers(key), requests, policy, key)
