"""/api/v1/cron/siem-ship — ship every audit-log row to the configured SIEM, once, whatever the cadence.

A durable cursor per back end (:mod:`service.siem.ledger`: an audit id, plus the ids it passed that
were not visible yet or not acknowledged) decides what is owed. A run ships the rows after the
cursor in id order, in requests of at most 500 events, then re-reads the pending ids (late commits,
earlier failures) and ships those that appeared, until nothing is left, ``SIEM_MAX_ROWS_PER_RUN`` rows were read, the run's
``SIEM_RUN_BUDGET_SECONDS`` deadline (which also cuts off a SIEM that trickles its answer) is
reached, the SIEM fails a request, or the service is shutting down. The cursor moves only past
rows the SIEM acknowledged or that were dead-lettered; one transaction per batch, and no
transaction stays open while the SIEM is called. First run: rows of the last 300 s
(``windowSeconds``) and everything after.

The back end is ``SIEM_BACKEND`` (``splunk`` | ``datadog`` | ``elastic``) at ``SIEM_ENDPOINT``; unset
or unknown makes this route a structured no-op ``{"ok": true, "skipped": "..."}``. A SIEM that is
down, slow, or answers garbage never makes the route fail: undelivered events are counted in
``errors`` (``ok`` false, HTTP 200) and shipped by a later run. Any schedule works: faster runs
ship sooner, slower ones ship more per run; none loses or repeats a row.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import httpx
from sqlalchemy.orm import Session

from service import siem
from service.config import SIEM_BACKENDS, Settings
from service.jobs._result import JobResult
from service.metrics import observe_siem
from service.models.audit import AuditLog
from service.models.tenants import Tenant
from service.runcontext import heartbeat, should_stop
from service.siem import ledger
from service.siem.base import MAX_EVENTS_PER_REQUEST, ShipOutcome

ROUTE = "siem-ship"
WINDOW_SECONDS = 300
MAX_ROWS = MAX_EVENTS_PER_REQUEST  # rows read per batch (one or more requests)
log = logging.getLogger(__name__)


class SiemSkipped(JobResult):
    ok: bool = True
    skipped: str


class SiemShipResult(JobResult):
    ok: bool = True
    backend: str
    shipped: int = 0
    errors: int = 0
    window_seconds: int = WINDOW_SECONDS
    rows_scanned: int = 0
    # added by the cursor (never remove or rename the fields above)
    dead_lettered: int = 0
    late_shipped: int = 0  # rows shipped from pending ids (late commits, retries)
    backlog: int = 0
    oldest_unshipped_age_seconds: float = 0.0
    cursor: int = 0  # audit id: every row at or below it is acknowledged, dead-lettered or pending
    pending_ranges_expired: int = 0
    stopped: str | None = None  # why the run ended before the backlog was empty

    @property
    def rows_affected(self) -> int:
        return self.shipped


class _Run:
    def __init__(self, session: Session, settings: Settings, shipper: siem.Shipper, now: datetime) -> None:
        self.session, self.settings, self.shipper, self.now = session, settings, shipper, now
        self.result = SiemShipResult(backend=settings.siem_backend or "")
        self.rows_left = settings.siem_max_rows_per_run

    def stop_reason(self) -> str | None:
        if self.rows_left <= 0:
            return "SIEM_MAX_ROWS_PER_RUN reached"
        if self.shipper.remaining() <= 0:
            return "SIEM_RUN_BUDGET_SECONDS spent"
        if should_stop():
            return "service shutting down"
        return None

    def ship(
        self, rows: Sequence[AuditLog], pos: ledger.Position
    ) -> tuple[ShipOutcome, set[int], list[ledger.Dead]]:
        """Ship ``rows`` (predating ones are settled without sending); commit before calling the SIEM."""
        owed = [r for r in rows if not ledger.predates(r, pos)]
        events = [siem.from_row(r) for r in owed]
        created = {r.id: r.created_at for r in owed}
        predating = {r.id for r in rows} - set(created)
        self.session.commit()  # no transaction stays open while the SIEM is called
        out = self.shipper.ship(events)
        self.result.rows_scanned += len(rows)
        self.rows_left -= len(rows)
        self.result.shipped += out.shipped
        self.result.errors += out.errors
        self.result.dead_lettered += len(out.dead)
        dead = [ledger.Dead(i, created[i], size, reason) for i, (reason, size) in out.dead.items()]
        return out, predating | set(out.delivered) | set(out.dead), dead

    def new(self, pos: ledger.Position) -> tuple[ledger.Position, bool]:
        """Ship the rows after the cursor; (new position, True when every row it read was settled)."""
        while self.stop_reason() is None:
            rows = ledger.new_rows(self.session, pos, min(MAX_ROWS, self.rows_left))
            if not rows:
                break
            fence = ledger.fence_xid(self.session)  # taken after the read: covers every txn it missed
            out, resolved, dead = self.ship(rows, pos)
            if not resolved:  # the SIEM took nothing: the cursor stays
                return pos, False
            pos = ledger.advance(self.session, pos, rows, set(out.failed), dead, self.now, fence)
            heartbeat()
            if out.failed:  # left pending for the next run (not retried again in this one)
                return pos, False
        return pos, True

    def pending(self, pos: ledger.Position) -> None:
        """Re-ship rows inside pending ranges (late commits, earlier failures), lowest ids first. After
        the new rows, so an event the SIEM keeps refusing alone is dead-lettered once it accepted
        others, instead of being retried forever."""
        while self.stop_reason() is None:
            rows = ledger.pending_rows(self.session, pos, min(MAX_ROWS, self.rows_left))
            if not rows:
                return
            out, resolved, dead = self.ship(rows, pos)
            ledger.settle_pending(self.session, pos.backend, resolved, dead, self.now)
            self.result.late_shipped += out.shipped
            heartbeat()
            if out.failed or len(rows) < MAX_ROWS:  # failed rows stay pending for the next run
                return


def run(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    rng: Callable[[], float] | None = None,
) -> SiemShipResult | SiemSkipped:
    backend = settings.siem_backend
    if not backend:
        return SiemSkipped(skipped="SIEM_BACKEND is not set")
    if backend not in SIEM_BACKENDS:
        return SiemSkipped(skipped=f"SIEM_BACKEND={backend!r} is not one of {', '.join(SIEM_BACKENDS)}")

    pos = ledger.cursor(session, backend, now, WINDOW_SECONDS)
    with siem.Shipper(settings, client=client, sleep=sleep, clock=clock, rng=rng) as shipper:
        job = _Run(session, settings, shipper, now)
        pos, clean = job.new(pos)
        if clean:
            job.pending(pos)
    result = job.result
    result.pending_ranges_expired = ledger.expire(
        session, backend, now, settings.siem_settle_seconds, settings.siem_gap_max_seconds
    )
    result.backlog, oldest = ledger.backlog(session, pos)
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    result.oldest_unshipped_age_seconds = round(age, 3)
    result.cursor = pos.high_id
    result.stopped = job.stop_reason() if result.backlog else None
    if result.errors and result.backlog:
        result.stopped = result.stopped or "the SIEM did not acknowledge a request; retried by the next run"
    result.ok = result.errors == 0 and result.dead_lettered == 0
    observe_siem(
        backend,
        shipped=result.shipped,
        failed=result.errors,
        dead_lettered=result.dead_lettered,
        backlog=result.backlog,
        oldest_age_s=age,
        oldest_ts=oldest.timestamp() if oldest else 0.0,
    )
    if result.errors or result.dead_lettered:
        log.warning(
            "siem-ship: %s: %d shipped, %d not delivered, %d dead-lettered, backlog %d",
            backend,
            result.shipped,
            result.errors,
            result.dead_lettered,
            result.backlog,
        )
    return result


def demo(session: Session, tenants: Sequence[Tenant], now: datetime, rng: random.Random) -> None:
    """A few audit rows inside the last 5 minutes (what the next siem-ship run picks up)."""
    actions = ("create", "update", "delete", "mandatory_override")
    for i, tenant in enumerate(list(tenants)[:3]):
        for j in range(4):
            session.add(
                AuditLog(
                    tenant_id=tenant.id,
                    action=actions[(i + j) % len(actions)],
                    entity_type="offer",
                    entity_id=f"offer-{rng.randint(1, 12)}",
                    entity_name=f"Demo offer {j}",
                    changes={"field": "priority", "from": rng.randint(1, 5), "to": rng.randint(1, 5)},
                    user_id=f"user-{rng.randint(1, 9)}",
                    user_name="demo.admin",
                    request_id=f"req-{rng.getrandbits(48):012x}",
                    created_at=now - timedelta(seconds=rng.randint(5, WINDOW_SECONDS - 20)),
                )
            )
    session.flush()
