"""Splunk HTTP Event Collector: stacked JSON event objects to /services/collector/event.

Auth ``Authorization: Splunk <token>``. Every object carries its own metadata (time, host, source,
sourcetype, index) and the audit row as ``event``; ``fields.event_id`` lets searches dedupe
retries (HEC has no idempotency key). Requests stay under 1 MB (Splunk Cloud's
``max_content_length``; Enterprise allows more) and 500 events; an event that alone exceeds 1 MB is
dead-lettered. Only ``{"code": 0}`` in a 2xx answer acknowledges a request (a proxy's 200 page does
not). A 413, or a 400 whose HEC code blames the data (6 invalid data format, 12/13 event field
missing/blank), splits the request to find the event at fault; other 4xx (token, index) are
configuration errors that fail the request and stop the run.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from service.config import Settings
from service.siem.base import MAX_EVENTS_PER_REQUEST, ShipOutcome, Simple, chunked, join_endpoint, screen
from service.siem.events import DEFAULT_SOURCETYPE, SOURCE, AuditEvent, hostname
from service.siem.retry import Delivery, RetryPolicy

NAME = "splunk"
STANDARD_PATH = "/services/collector/event"
ALSO_ACCEPTED = ("/services/collector", "/services/collector/event/1.0")
MAX_BYTES = 1_000_000
MAX_ITEMS = MAX_EVENTS_PER_REQUEST
DATA_ERROR_CODES = frozenset({6, 12, 13})


def endpoint(settings: Settings) -> str:
    return join_endpoint(settings.siem_endpoint or "", STANDARD_PATH, ALSO_ACCEPTED)


def headers(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Splunk {api_key}", "Content-Type": "application/json"}


def envelope(event: AuditEvent, settings: Settings) -> dict[str, Any]:
    env: dict[str, Any] = {
        "time": event.epoch,
        "host": hostname(),
        "source": SOURCE,
        "sourcetype": settings.siem_sourcetype or DEFAULT_SOURCETYPE,
    }
    if settings.siem_index:
        env["index"] = settings.siem_index
    env["event"] = event.body
    fields = {"event_id": str(event.id)}
    if event.body.get("tenantId"):
        fields["tenant_id"] = str(event.body["tenantId"])
    env["fields"] = fields
    return env


def encode(events: list[AuditEvent], settings: Settings) -> bytes:
    """Stacked JSON objects, one per line (not a JSON array)."""
    return b"".join(orjson.dumps(envelope(e, settings), option=orjson.OPT_APPEND_NEWLINE) for e in events)


def _code(delivery: Delivery) -> object:
    try:
        body = orjson.loads(delivery.body)
    except orjson.JSONDecodeError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def accept(delivery: Delivery) -> bool:
    return _code(delivery) == 0


def is_rejection(delivery: Delivery) -> bool:
    return delivery.status == 413 or (delivery.status == 400 and _code(delivery) in DATA_ERROR_CODES)


def ship(
    client: httpx.Client, settings: Settings, events: list[AuditEvent], policy: RetryPolicy
) -> ShipOutcome:
    key = settings.siem_api_key.get_secret_value() if settings.siem_api_key else ""
    out = ShipOutcome()

    def one(e: AuditEvent) -> bytes:
        return orjson.dumps(envelope(e, settings), option=orjson.OPT_APPEND_NEWLINE)

    items = screen(events, one, MAX_BYTES, NAME, out, "Splunk HEC's 1 MB request limit")
    sender = Simple(
        NAME, client, endpoint(settings), headers(key), policy, key, b"".join, accept, is_rejection
    )
    return sender.ship(chunked(items, MAX_BYTES, MAX_ITEMS), out)
