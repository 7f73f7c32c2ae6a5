"""siem-ship test helpers: a fixed-clock arrival simulation against the local receivers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from service.jobs import siem_ship
from service.models.audit import AuditLog
from tests.service.jobs.test_siem_ship import FakeClock, siem_settings
from tests.service.jobs.test_siem_ship import backend as backend
from tests.service.jobs.test_siem_ship import receiver as receiver
from tests.service.siem_receivers import Respond

# backend and receiver (imported above) are fixtures, re-exported for the siem-ship test modules
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
pg_only = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
DOWN = {
    "splunk": Respond(503, {"text": "Server is busy", "code": 9}),
    "datadog": Respond(503, {"errors": ["Service Unavailable"]}),
    "elastic": Respond(503, {"error": "unavailable", "status": 503}),
}


# the arrival simulations run for every back end on SQLite and for one on PostgreSQL (time budget)
sims = pytest.mark.parametrize(
    ("db_url", "backend"),
    [("sqlite", "splunk"), ("sqlite", "datadog"), ("sqlite", "elastic"), ("postgresql", "splunk")],
    indirect=["db_url"],
)


class Sim:
    """A fixed clock, an arrival process and siem-ship runs (each in its own session, as the runner does)."""

    def __init__(self, session_factory, settings, backend, receiver, start: datetime, **cfg) -> None:
        self.factory, self.receiver = session_factory, receiver
        # a generous per-attempt timeout: a loaded machine must not turn a slow answer into a retry
        # (Splunk and Datadog would store the re-sent events twice; that window is documented)
        self.cfg = siem_settings(
            settings,
            backend,
            receiver.url,
            budget=cfg.pop("budget", 15.0),
            timeout=cfg.pop("timeout", 30.0),
            **cfg,
        )
        self.t = self.next_arrival = start
        self.ids: list[int] = []
        self.results: list[siem_ship.SiemShipResult] = []

    def add(
        self, n: int = 1, created_at: datetime | None = None, stamps: list[datetime] | None = None, **fields
    ) -> list[int]:
        stamps = stamps or [created_at or self.t] * n
        with self.factory() as s:
            rows = [
                AuditLog(
                    **{
                        "tenant_id": "t1",
                        "action": "update",
                        "entity_type": "offer",
                        "entity_id": f"o{i}",
                        "changes": {"n": i},
                        "user_name": "alice",
                        "created_at": at,
                        **fields,
                    }
                )
                for i, at in enumerate(stamps)
            ]
            s.add_all(rows)
            s.commit()
            new = [r.id for r in rows]
        self.ids += new
        return new

    def arrive_until(self, end: datetime, every_s: float = 10.0) -> None:
        """One row every ``every_s`` seconds of simulated time, up to ``end`` (committed as they arrive
        by the time the next run reads)."""
        stamps = []
        while self.next_arrival + timedelta(seconds=every_s) <= end:
            self.next_arrival += timedelta(seconds=every_s)
            stamps.append(self.next_arrival)
        if stamps:
            self.add(stamps=stamps)
        self.t = end

    def run(self, at: datetime | None = None) -> siem_ship.SiemShipResult:
        clock = FakeClock()
        with self.factory() as s:
            result = siem_ship.run(s, self.cfg, at or self.t, sleep=clock.sleep, clock=clock, rng=lambda: 0.5)
            s.commit()
        assert isinstance(result, siem_ship.SiemShipResult)
        self.results.append(result)
        return result

    def lost(self) -> list[int]:
        got = self.receiver.delivered()
        return [i for i in self.ids if i not in got]

    def duplicated(self) -> list[int]:
        return [i for i, n in self.receiver.delivered().items() if n > 1]
