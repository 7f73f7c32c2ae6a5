"""Shared HTTP delivery with jittered exponential backoff inside a time budget (httpx).

Retryable: connection errors, timeouts, HTTP 408, 429 and 5xx. Anything else is final: 2xx is
delivered, other 4xx are permanent errors (retrying cannot fix a bad token or payload).
The wait before attempt n+1 is "equal jitter": ``d/2 + U(0, d/2)`` with ``d = min(cap, base * 2**n)``,
or the server's ``Retry-After`` when it asks for longer. A retry is attempted only if the wait still
fits in the budget; the per-request timeout is also cut to what is left. ``sleep``, ``clock`` and
``rng`` are injectable so tests run without real waiting.

Nothing here ever puts a request header into a message: errors name the backend, the status and at
most a short excerpt of the response body, with the API key scrubbed as a second line of defence.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx

RETRYABLE_STATUS = frozenset({408, 429})


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUS or 500 <= status <= 599


@dataclass
class RetryPolicy:
    budget_seconds: float
    timeout_seconds: float = 10.0
    base_seconds: float = 0.5
    cap_seconds: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: Callable[[], float] = field(default_factory=lambda: random.SystemRandom().random)

    def __post_init__(self) -> None:
        self.deadline = self.clock() + self.budget_seconds

    def remaining(self) -> float:
        return self.deadline - self.clock()

    def delay(self, attempt: int, retry_after: float | None) -> float:
        d = min(self.cap_seconds, self.base_seconds * (2**attempt))
        wait = d / 2 + self.rng() * d / 2
        if retry_after is not None:
            wait = max(wait, retry_after)
        return wait


@dataclass
class Delivery:
    """The last answer of a delivery: a response, or the transport error that ended it."""

    response: httpx.Response | None
    error: str | None
    attempts: int


def post_with_retry(
    client: httpx.Client,
    url: str,
    content: bytes,
    headers: dict[str, str],
    policy: RetryPolicy,
    *,
    secret: str | None = None,
) -> Delivery:
    """POST until a final answer or the budget runs out; return the last outcome (never raises)."""
    attempt = 0
    while True:
        timeout = max(0.05, min(policy.timeout_seconds, policy.remaining()))
        retry_after: float | None = None
        try:
            resp = client.post(url, content=content, headers=headers, timeout=timeout)
        except httpx.TransportError as exc:  # connect errors, timeouts, protocol errors
            last = Delivery(None, scrub(f"{type(exc).__name__}: {exc}", secret), attempt + 1)
        else:
            if not is_retryable_status(resp.status_code):
                return Delivery(resp, None, attempt + 1)
            last = Delivery(resp, None, attempt + 1)
            retry_after = parse_retry_after(resp.headers.get("retry-after"))
        wait = policy.delay(attempt, retry_after)
        if wait >= policy.remaining():
            return last
        policy.sleep(wait)
        attempt += 1


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None when absent/garbled."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def scrub(text: str, secret: str | None) -> str:
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    return " ".join(text.split())[:300]


def describe(backend: str, delivery: Delivery, secret: str | None) -> str:
    """A one-line, secret-free description of a failed delivery."""
    if delivery.response is None:
        return f"{backend}: {delivery.error} after {delivery.attempts} attempt(s)"
    body = scrub(delivery.response.text[:200], secret) if delivery.response.content else ""
    suffix = f": {body}" if body else ""
    return f"{backend}: HTTP {delivery.response.status_code} after {delivery.attempts} attempt(s){suffix}"
