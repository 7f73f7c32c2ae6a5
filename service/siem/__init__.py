"""SIEM shipping: one module per back end (Splunk HEC, Datadog Logs v2, Elasticsearch _bulk).

``ship(events, settings, ...)`` picks the back end from ``SIEM_BACKEND`` and delivers the events in
that back end's own wire format, retrying 408/429/5xx and connection errors with jittered backoff
inside ``SIEM_RETRY_BUDGET_SECONDS``. It never raises because a SIEM is down: undelivered events
are counted in ``ShipOutcome.errors``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import httpx

from service.config import Settings
from service.siem import datadog, elastic, splunk
from service.siem.base import ShipOutcome
from service.siem.events import AuditEvent, from_row
from service.siem.retry import RetryPolicy

BACKENDS: dict[str, ModuleType] = {"splunk": splunk, "datadog": datadog, "elastic": elastic}

__all__ = ["BACKENDS", "AuditEvent", "RetryPolicy", "ShipOutcome", "from_row", "ship"]


def ship(
    events: list[AuditEvent],
    settings: Settings,
    *,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    rng: Callable[[], float] | None = None,
) -> ShipOutcome:
    backend = BACKENDS[settings.siem_backend or ""]
    kwargs: dict = {"budget_seconds": settings.siem_retry_budget_seconds,
                    "timeout_seconds": settings.siem_timeout_seconds}
    if sleep is not None:
        kwargs["sleep"] = sleep
    if clock is not None:
        kwargs["clock"] = clock
    if rng is not None:
        kwargs["rng"] = rng
    policy = RetryPolicy(**kwargs)
    if not events:
        return ShipOutcome()
    own = client is None
    http = client or httpx.Client(follow_redirects=False)
    try:
        return backend.ship(http, settings, events, policy)
    finally:
        if own:
            http.close()
