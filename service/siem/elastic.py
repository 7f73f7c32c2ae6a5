"""Elasticsearch ``_bulk``: NDJSON ``create`` actions with ``_id`` = the audit row id.

Auth ``Authorization: ApiKey <key>``. ``create`` with a deterministic ``_id`` makes a retry
harmless: a document that already arrived answers a per-item 409, counted as delivered. The bulk
API answers 200 even when items fail, so every item's status is read: 2xx/409 delivered; 429, 5xx
and unreadable statuses (``null``, ``"abc"``, missing) are re-sent alone, never the whole bulk,
within the retry budget (then failed, retried by a later run); any other status is a rejection of
that document (dead-lettered when others were accepted). A 200 whose body is not a bulk answer for
exactly these actions is retried like a transport error. Requests carry at most 500 documents and
10 MB; a document over 10 MB is dead-lettered; a 413 splits the request.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from service.config import Settings
from service.siem.base import MAX_EVENTS_PER_REQUEST, Encoded, ShipOutcome, chunked, join_endpoint, screen
from service.siem.events import AuditEvent
from service.siem.retry import Delivery, RetryPolicy, describe, is_retryable_status, post_with_retry, scrub

NAME = "elastic"
STANDARD_PATH = "/_bulk"
MAX_BYTES = 10_000_000


def endpoint(settings: Settings) -> str:
    return join_endpoint(settings.siem_endpoint or "", STANDARD_PATH)


def headers(api_key: str) -> dict[str, str]:
    return {"Authorization": f"ApiKey {api_key}", "Content-Type": "application/x-ndjson"}


def document(event: AuditEvent) -> dict[str, Any]:
    return {"@timestamp": event.iso, **event.body}


def encode_one(event: AuditEvent, index: str | None) -> bytes:
    """Action line + source line; each ends with a newline, as _bulk requires."""
    meta: dict[str, Any] = {"_id": str(event.id)}
    if index:
        meta = {"_index": index, **meta}
    return orjson.dumps({"create": meta}, option=orjson.OPT_APPEND_NEWLINE) + orjson.dumps(
        document(event), option=orjson.OPT_APPEND_NEWLINE
    )


def encode(events: list[AuditEvent], index: str | None) -> bytes:
    return b"".join(encode_one(e, index) for e in events)


def _items(delivery: Delivery, n: int) -> list[object] | None:
    """The per-item results of a bulk answer for ``n`` actions, or None if it is not one."""
    try:
        body = orjson.loads(delivery.body)
    except orjson.JSONDecodeError:
        return None
    items = body.get("items") if isinstance(body, dict) else None
    return items if isinstance(items, list) and len(items) == n else None


def _status(item: object) -> tuple[int | None, str]:
    """(status, error type) of one bulk item; status None when absent or not an integer."""
    result = next(iter(item.values()), None) if isinstance(item, dict) and len(item) == 1 else None
    if not isinstance(result, dict):
        return None, "malformed item"
    status = result.get("status")
    err = result.get("error")
    kind = err.get("type") if isinstance(err, dict) else err
    if isinstance(status, bool) or not isinstance(status, int):
        return None, f"unreadable item status {str(status)[:40]!r}"
    return status, str(kind or "")


def ship(
    client: httpx.Client, settings: Settings, events: list[AuditEvent], policy: RetryPolicy
) -> ShipOutcome:
    key = settings.siem_api_key.get_secret_value() if settings.siem_api_key else ""
    out = ShipOutcome()
    url, hdrs, index = endpoint(settings), headers(key), settings.siem_index
    items = screen(events, lambda e: encode_one(e, index), MAX_BYTES, NAME, out, "the bulk request size used")
    for batch in chunked(items, MAX_BYTES, MAX_EVENTS_PER_REQUEST):
        if out.stopped:
            out.fail([e for e, _ in batch], None)
        else:
            _ship_batch(client, url, hdrs, batch, policy, key, out)
    return out  # the caller settles rejections (ShipOutcome.finish)


def _ship_batch(
    client: httpx.Client,
    url: str,
    hdrs: dict[str, str],
    pending: list[Encoded],
    policy: RetryPolicy,
    key: str,
    out: ShipOutcome,
) -> None:
    round_ = 0
    deadline = policy.retry_deadline()
    while pending:
        n = len(pending)

        def is_bulk_answer(d: Delivery, n: int = n) -> bool:
            return _items(d, n) is not None

        delivery = post_with_retry(
            client, url, b"".join(b for _, b in pending), hdrs, policy, secret=key, accept=is_bulk_answer
        )
        out.requests += delivery.attempts
        if delivery.status == 413 and n > 1:
            _ship_batch(client, url, hdrs, pending[: n // 2], policy, key, out)
            rest = pending[n // 2 :]
            if out.stopped:
                out.fail([e for e, _ in rest], None)
            else:
                _ship_batch(client, url, hdrs, rest, policy, key, out)
            return
        if delivery.status == 413:
            out.reject(pending[0][0], describe(NAME, delivery, key), len(pending[0][1]))
            return
        results = _items(delivery, n) if delivery.ok else None
        if results is None:
            out.fail([e for e, _ in pending], describe(NAME, delivery, key))
            out.stopped = True
            return
        retry: list[Encoded] = []
        for (event, blob), item in zip(pending, results, strict=True):
            status, kind = _status(item)
            if status is not None and (
                200 <= status < 300 or status == 409
            ):  # 409: indexed by an earlier try
                out.ack([event])
            elif status is None or is_retryable_status(status):
                retry.append((event, blob))
            else:
                out.reject(
                    event,
                    scrub(f"{NAME}: audit row {event.id}: HTTP {status} {kind}".strip(), key),
                    len(blob),
                )
        if not retry:
            return
        wait = policy.delay(round_, None)
        if wait >= deadline - policy.clock():
            out.fail(
                [e for e, _ in retry],
                f"{NAME}: {len(retry)} item(s) still rejected (429/5xx/unreadable) when the retry budget ran out",
            )
            return
        policy.sleep(wait)
        round_ += 1
        pending = retry
