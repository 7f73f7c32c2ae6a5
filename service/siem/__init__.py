"""SIEM shipping: one module per back end (Splunk HEC, Datadog Logs v2, Elasticsearch _bulk).

:class:`Shipper` is one run's connection to the SIEM chosen by ``SIEM_BACKEND``: a retry policy and
an HTTP client that share the run's deadline (``SIEM_RUN_BUDGET_SECONDS``; retries of one request
also stop at ``SIEM_RETRY_BUDGET_SECONDS``). ``Shipper.ship(events)`` delivers events in the back
end's own wire format and reports, per event, delivered / failed / dead (:class:`ShipOutcome`); an
event the SIEM refused on its own is dead only if the SIEM accepted other events earlier in the
run or in the same call, else it stays owed. It never raises because a SIEM is down, slow or answers garbage. ``ship(events, settings)`` is the
one-shot form. The cursor that decides *which* events to ship is :mod:`service.siem.ledger`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import httpx

from service.config import Settings
from service.siem import datadog, elastic, splunk
from service.siem.base import ShipOutcome
from service.siem.events import AuditEvent, from_row
from service.siem.retry import RetryPolicy
from service.siem.transport import deadline_client

BACKENDS: dict[str, ModuleType] = {"splunk": splunk, "datadog": datadog, "elastic": elastic}

__all__ = ["BACKENDS", "AuditEvent", "RetryPolicy", "ShipOutcome", "Shipper", "from_row", "ship"]


class Shipper:
    def __init__(
        self,
        settings: Settings,
        *,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        rng: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings
        self.backend = BACKENDS[settings.siem_backend or ""]
        kwargs: dict[str, Any] = {
            "budget_seconds": settings.siem_retry_budget_seconds,
            "timeout_seconds": settings.siem_timeout_seconds,
            "run_budget_seconds": settings.siem_run_budget_seconds,
        }
        if sleep is not None:
            kwargs["sleep"] = sleep
        if clock is not None:
            kwargs["clock"] = clock
        if rng is not None:
            kwargs["rng"] = rng
        self.policy = RetryPolicy(**kwargs)
        self.accepted = False  # the SIEM acknowledged some event in this run
        self._own = client is None
        # the network deadline is wall-clock (real sockets), even when ``clock`` is a test's fake
        self.client = client or deadline_client(
            settings.siem_endpoint or "", time.monotonic() + settings.siem_run_budget_seconds
        )

    def remaining(self) -> float:
        return self.policy.remaining()

    def ship(self, events: list[AuditEvent]) -> ShipOutcome:
        if not events:
            return ShipOutcome()
        out: ShipOutcome = self.backend.ship(self.client, self.settings, events, self.policy)
        out.finish(accepted_before=self.accepted)
        self.accepted = self.accepted or bool(out.delivered)
        return out

    def close(self) -> None:
        if self._own:
            self.client.close()

    def __enter__(self) -> Shipper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def ship(events: list[AuditEvent], settings: Settings, **kwargs: Any) -> ShipOutcome:
    """Deliver ``events`` once (one run's budget); see :class:`Shipper`."""
    with Shipper(settings, **kwargs) as shipper:
        return shipper.ship(events)
