"""Splunk HTTP Event Collector: stacked JSON event objects to /services/collector/event.

Auth ``Authorization: Splunk <token>``. Every object carries its own metadata (time, host, source,
sourcetype, index) and the audit row as ``event``; ``fields.event_id`` lets searches dedupe
retries (HEC has no idempotency key). Requests stay under 1 MB (Splunk Cloud's limit).
"""

from __future__ import annotations

import httpx
import orjson

from service.config import Settings
from service.siem.base import ShipOutcome, chunked, join_endpoint, ship_simple
from service.siem.events import DEFAULT_SOURCETYPE, SOURCE, AuditEvent, hostname
from service.siem.retry import RetryPolicy

NAME = "splunk"
STANDARD_PATH = "/services/collector/event"
ALSO_ACCEPTED = ("/services/collector", "/services/collector/event/1.0")
MAX_BYTES = 1_000_000
MAX_ITEMS = 10_000


def endpoint(settings: Settings) -> str:
    return join_endpoint(settings.siem_endpoint or "", STANDARD_PATH, ALSO_ACCEPTED)


def headers(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Splunk {api_key}", "Content-Type": "application/json"}


def envelope(event: AuditEvent, settings: Settings) -> dict:
    env: dict = {
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


def ship(client: httpx.Client, settings: Settings, events: list[AuditEvent], policy: RetryPolicy) -> ShipOutcome:
    key = settings.siem_api_key.get_secret_value() if settings.siem_api_key else ""

    def one(e: AuditEvent) -> bytes:
        return orjson.dumps(envelope(e, settings), option=orjson.OPT_APPEND_NEWLINE)

    requests = ((batch, b"".join(parts)) for batch, parts in chunked(events, one, MAX_BYTES, MAX_ITEMS))
    return ship_simple(NAME, client, endpoint(settings), headers(key), requests, policy, key)
