"""Elasticsearch ``_bulk``: NDJSON ``create`` actions with ``_id`` = the audit row id.

Auth ``Authorization: ApiKey <key>``. ``create`` with a deterministic ``_id`` makes a retry
harmless: a document that already arrived answers a per-item 409, counted as delivered. The bulk
API answers 200 even when items fail, so every item's status is read: 2xx/409 delivered, 429/5xx
items are re-sent alone (within the same time budget), anything else is a permanent error.
"""

from __future__ import annotations

import httpx
import orjson

from service.config import Settings
from service.siem.base import ShipOutcome, join_endpoint, log
from service.siem.events import AuditEvent
from service.siem.retry import RetryPolicy, describe, is_retryable_status, post_with_retry, scrub

NAME = "elastic"
STANDARD_PATH = "/_bulk"
MAX_BYTES = 10_000_000


def endpoint(settings: Settings) -> str:
    return join_endpoint(settings.siem_endpoint or "", STANDARD_PATH)


def headers(api_key: str) -> dict[str, str]:
    return {"Authorization": f"ApiKey {api_key}", "Content-Type": "application/x-ndjson"}


def document(event: AuditEvent) -> dict:
    return {"@timestamp": event.iso, **event.body}


def encode(events: list[AuditEvent], index: str | None) -> bytes:
    """Action line + source line per event; the body ends with a newline, as _bulk requires."""
    out = bytearray()
    for e in events:
        meta: dict = {"_id": str(e.id)}
        if index:
            meta = {"_index": index, **meta}
        out += orjson.dumps({"create": meta}, option=orjson.OPT_APPEND_NEWLINE)
        out += orjson.dumps(document(e), option=orjson.OPT_APPEND_NEWLINE)
    return bytes(out)


def _batches(events: list[AuditEvent], index: str | None) -> list[list[AuditEvent]]:
    batches: list[list[AuditEvent]] = [[]]
    size = 0
    for e in events:
        n = len(encode([e], index))
        if batches[-1] and size + n > MAX_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(e)
        size += n
    return [b for b in batches if b]


def ship(client: httpx.Client, settings: Settings, events: list[AuditEvent], policy: RetryPolicy) -> ShipOutcome:
    key = settings.siem_api_key.get_secret_value() if settings.siem_api_key else ""
    out = ShipOutcome()
    url, hdrs = endpoint(settings), headers(key)
    for batch in _batches(events, settings.siem_index):
        _ship_batch(client, url, hdrs, batch, settings.siem_index, policy, key, out)
    return out


def _ship_batch(
    client: httpx.Client,
    url: str,
    hdrs: dict[str, str],
    pending: list[AuditEvent],
    index: str | None,
    policy: RetryPolicy,
    key: str,
    out: ShipOutcome,
) -> None:
    round_ = 0
    while pending:
        delivery = post_with_retry(client, url, encode(pending, index), hdrs, policy, secret=key)
        resp = delivery.response
        if resp is None or not resp.is_success:
            _fail(out, len(pending), describe(NAME, delivery, key))
            return
        try:
            items = resp.json()["items"]
            if len(items) != len(pending):
                raise ValueError(f"{len(items)} item results for {len(pending)} actions")
        except (ValueError, KeyError, TypeError) as exc:
            _fail(out, len(pending), scrub(f"{NAME}: unreadable _bulk response: {exc}", key))
            return
        retry: list[AuditEvent] = []
        for event, item in zip(pending, items, strict=True):
            result = next(iter(item.values())) if isinstance(item, dict) and item else {}
            status = int(result.get("status", 0)) if isinstance(result, dict) else 0
            if 200 <= status < 300 or status == 409:  # 409: already indexed by an earlier attempt
                out.shipped += 1
            elif is_retryable_status(status):
                retry.append(event)
            else:
                err = result.get("error") if isinstance(result, dict) else None
                kind = err.get("type") if isinstance(err, dict) else err
                _fail(out, 1, scrub(f"{NAME}: audit row {event.id}: HTTP {status} {kind or ''}".strip(), key))
        if not retry:
            return
        wait = policy.delay(round_, None)
        if wait >= policy.remaining():
            _fail(out, len(retry), f"{NAME}: {len(retry)} item(s) still rejected (429/5xx) when the retry budget ran out")
            return
        policy.sleep(wait)
        round_ += 1
        pending = retry


def _fail(out: ShipOutcome, n: int, message: str) -> None:
    out.errors += n
    out.messages.append(message)
    log.warning("siem-ship: %d event(s) not delivered: %s", n, message)
