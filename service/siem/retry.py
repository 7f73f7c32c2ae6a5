"""Shared HTTP delivery with jittered exponential backoff inside a time budget (httpx).

Retryable: connection errors, resets, timeouts, answers that cannot be read (a gzip body that does
not decode, a 2xx the back end's ``accept`` refuses), HTTP 408, 429 and 5xx. Anything else is final:
a readable 2xx is delivered, other 4xx are permanent (retrying cannot fix a bad token or payload).
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
    """Backoff and the time limits of one run.

    ``run_budget_seconds`` (default: ``budget_seconds``) is the run's total deadline: no attempt
    starts after it and no wait crosses it. ``budget_seconds`` bounds the retries of one delivery
    (from its first attempt). ``timeout_seconds`` bounds one attempt.
    """

    budget_seconds: float
    timeout_seconds: float = 10.0
    base_seconds: float = 0.5
    cap_seconds: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: Callable[[], float] = field(default_factory=lambda: random.SystemRandom().random)
    run_budget_seconds: float | None = None

    def __post_init__(self) -> None:
        budget = self.budget_seconds if self.run_budget_seconds is None else self.run_budget_seconds
        self.deadline = self.clock() + budget

    def remaining(self) -> float:
        """Seconds left in the run."""
        return self.deadline - self.clock()

    def retry_deadline(self) -> float:
        """The latest time retries of a delivery starting now may run to."""
        return min(self.deadline, self.clock() + self.budget_seconds)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        d = float(min(self.cap_seconds, self.base_seconds * (2**attempt)))
        wait = d / 2 + self.rng() * d / 2
        if retry_after is not None:
            wait = max(wait, retry_after)
        return wait


#: an answer body larger than this is not read (a bulk answer for 500 items is ~100 kB)
MAX_ANSWER_BYTES = 8 * 1024 * 1024


@dataclass
class Delivery:
    """The last answer of a delivery: a status and body, or the error that ended it (status None)."""

    status: int | None
    body: bytes
    error: str | None
    attempts: int
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post_once(
    client: httpx.Client,
    url: str,
    content: bytes,
    headers: dict[str, str],
    timeout: float,
    secret: str | None,
) -> Delivery:
    """One POST; the answer read whole (bounded). Any failure, of the transport or of the answer
    (a reset, a timeout, a gzip body that does not decode, an oversized answer), is a Delivery with
    ``status=None`` and the reason: never an exception."""
    try:
        with client.stream("POST", url, content=content, headers=headers, timeout=timeout) as resp:
            body = bytearray()
            for chunk in resp.iter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    raise ValueError(f"answer larger than {MAX_ANSWER_BYTES} bytes")
            return Delivery(
                resp.status_code, bytes(body), None, 1, parse_retry_after(resp.headers.get("retry-after"))
            )
    except Exception as exc:  # noqa: BLE001 - a misbehaving SIEM must never fail the run
        return Delivery(None, b"", scrub(f"{type(exc).__name__}: {exc}", secret), 1)


def post_with_retry(
    client: httpx.Client,
    url: str,
    content: bytes,
    headers: dict[str, str],
    policy: RetryPolicy,
    *,
    secret: str | None = None,
    accept: Callable[[Delivery], bool] | None = None,
) -> Delivery:
    """POST until a final answer or the retry budget runs out; return the last outcome (never raises).

    ``accept(delivery)`` decides whether a 2xx answer really acknowledges the request (e.g. the body
    parses); a 2xx it refuses is retried like a transport error."""
    attempt = 0
    deadline = policy.retry_deadline()
    while True:
        left = min(deadline, policy.deadline) - policy.clock()
        if left <= 0:
            return Delivery(None, b"", "the run's time budget was spent before this request", attempt)
        timeout = max(0.05, min(policy.timeout_seconds, left))
        last = post_once(client, url, content, headers, timeout, secret)
        last.attempts = attempt + 1
        if last.status is not None and not is_retryable_status(last.status):
            if not last.ok or accept is None or accept(last):
                return last
            last = Delivery(None, last.body, f"HTTP {last.status} with an unreadable answer", attempt + 1)
        wait = policy.delay(attempt, last.retry_after)
        if wait >= deadline - policy.clock():
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
    if delivery.status is None:
        return f"{backend}: {delivery.error} after {delivery.attempts} attempt(s)"
    body = scrub(delivery.body[:200].decode("utf-8", "replace"), secret) if delivery.body else ""
    suffix = f": {body}" if body else ""
    return f"{backend}: HTTP {delivery.status} after {delivery.attempts} attempt(s){suffix}"
