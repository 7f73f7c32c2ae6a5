"""The one wrapper around every job run: lease, heartbeat, audit row, metrics, logs, error mapping.

``Runner.run(route)`` is what the HTTP routes, the in-process scheduler and ``kaireon-service run``
call. A job module only implements ``run(session, settings, now) -> JobResult``; it never takes a
lease, writes its audit row or touches metrics itself.

Flow of one run:

1. resolve the module (missing -> :class:`JobNotImplemented`, 501);
2. take the run lease (:mod:`service.lease`); a live holder -> 200 ``{"ok": true, "skipped":
   "already running"}`` (``flow-scheduler-tick``: ``{"skipped": true}``, as the platform documents);
3. run the job in a fresh session while a heartbeat thread renews the lease every ttl/3 seconds;
   long jobs may also call :func:`heartbeat` between batches (it renews at most every
   min(ttl/10, 30 s) and raises :class:`LeaseLost` once the lease was taken over, so a stalled run
   stops instead of running next to its successor);
4. commit (jobs may have committed their own batches already), or roll back on any exception;
5. release the lease, write one ``audit_log`` row ``cron.<route>`` (outcome, counts, duration, run
   id, trigger) in its own transaction, update metrics, log one JSON line. A release that fails (the
   database is down) is remembered and retried — by a background thread with backoff and before
   the next run of any job in this process — until it succeeds or the lease has expired by itself,
   so a database outage never leaves the job "already running" for the rest of the TTL.

Shutdown: :attr:`Runner.stopping` is a :class:`StopFlag`, set from the SIGTERM handler without
taking any lock. A job that polls :func:`should_stop` and sees it true returns early; the runner
then adds ``"stopped": true`` to its body (never removing a field). A run requested after the flag
is set answers 503 ``shutting_down`` without starting.

An exception inside a job becomes a JSON 500 whose ``detail`` is ``"<ExceptionType>: <message>"``
with every configured secret scrubbed.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service import lease as leases
from service import shards
from service.config import Settings
from service.errors import (
    DatabaseUnavailable,
    JobFailed,
    JobNotImplemented,
    LeaseLost,
    ServiceError,
    ShuttingDown,
    connection_lost,
    db_unavailable_detail,
)
from service.jobs import JOB_MODULES, load_job
from service.jobs._result import JobResult
from service.jsonlog import get_logger, log_event
from service.metrics import Metrics
from service.models.audit import AuditLog
from service.runcontext import (
    CURRENT_RUN,
    Heartbeat,
    RunContext,
    current_run,
    error_detail,
    heartbeat,
    should_stop,
)
from service.stopflag import StopFlag

__all__ = [
    "RunContext",
    "RunOutcome",
    "Runner",
    "StopFlag",
    "current_run",
    "error_detail",
    "heartbeat",
    "should_stop",
    "utcnow",
]

log = get_logger("kaireon.runner")

FLOW_SCHEDULER_ROUTE = "flow-scheduler-tick"


def utcnow() -> datetime:
    return datetime.now(UTC)


def skipped_body(route: str) -> dict[str, Any]:
    if route == FLOW_SCHEDULER_ROUTE:
        return {"skipped": True}
    return {"ok": True, "skipped": "already running"}


def result_counts(body: dict[str, Any]) -> dict[str, int]:
    """Top-level integer fields of a result (bools excluded): the counts logged and audited."""
    return {k: v for k, v in body.items() if isinstance(v, int) and not isinstance(v, bool)}


@dataclass
class RunOutcome:
    route: str
    status_code: int
    body: dict[str, Any]
    outcome: str
    run_id: str | None = None
    duration_s: float | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Run-Id": self.run_id} if self.run_id else {}


def _with_shard(outcome: RunOutcome, shard: shards.Shard | None) -> RunOutcome:
    """A sharded run's response also says which shard it was (fields added, none changed)."""
    if shard is not None:
        outcome.body.setdefault("shard", shard.index)
        outcome.body.setdefault("shards", shard.count)
    return outcome


class Runner:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        session_factory: sessionmaker[Session] | None = None,
        metrics: Metrics | None = None,
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.session_factory = session_factory or sessionmaker(bind=engine, expire_on_commit=False)
        self.metrics = metrics or Metrics()
        self.clock = clock
        self.owner = owner or leases.default_owner()
        self.ttl = float(settings.lease_ttl_seconds)
        #: set when the process is shutting down (signal-safe); jobs see it through :func:`should_stop`
        self.stopping = StopFlag()
        #: lease releases that failed (database down), retried until done or expired
        self.pending = leases.PendingReleases(engine, clock)

    # -- public -----------------------------------------------------------------------------------
    def run(self, route: str, trigger: str = "http", shard: shards.Shard | None = None) -> RunOutcome:
        """Run ``route`` once under its lease (a shard: only its tenants, under the shard's own lease,
        see :mod:`service.shards`). Raises ServiceError for 501/503/500 outcomes."""
        if route not in JOB_MODULES:
            raise JobNotImplemented(f"unknown job {route!r}", job=route)
        module = load_job(route)
        if module is None:
            self.metrics.observe_run(route, "not_implemented")
            raise JobNotImplemented(
                f"the {route} job is not implemented yet ({JOB_MODULES[route]} does not exist)", job=route
            )
        run_fn = getattr(module, "run", None)
        if not callable(run_fn):
            self.metrics.observe_run(route, "error")
            raise JobFailed(f"{JOB_MODULES[route]} defines no run(session, settings, now)", job=route)

        run_id = uuid.uuid4().hex
        if self.stopping.is_set():
            self.metrics.observe_run(route, "shutting_down")
            raise ShuttingDown(
                "the service is shutting down; the job was not started", job=route, run_id=run_id
            )
        try:
            self.flush_releases()  # a lease this process failed to release must not block this run
            now = self.clock()
            lease_key = route if shard is None else shard.lease_key(route)
            lease = leases.try_acquire(self.engine, lease_key, run_id, now, self.ttl, owner=self.owner)
        except Exception as exc:
            self.metrics.observe_run(route, "database_unavailable")
            log_event(
                log,
                logging.ERROR,
                "cannot take run lease",
                route=route,
                run_id=run_id,
                trigger=trigger,
                error=error_detail(exc),
            )
            raise DatabaseUnavailable(
                f"cannot take the run lease: {db_unavailable_detail(exc)}", job=route, run_id=run_id
            ) from None
        if lease is None:
            self.metrics.observe_run(route, "skipped")
            log_event(
                log,
                logging.INFO,
                "run skipped: already running",
                route=route,
                run_id=run_id,
                trigger=trigger,
                outcome="skipped",
            )
            return _with_shard(RunOutcome(route, 200, skipped_body(route), "skipped", run_id=run_id), shard)
        token = shards.activate(shard)
        try:
            outcome = self._run_leased(route, run_fn, lease, now, trigger)
        finally:
            shards.deactivate(token)
        return _with_shard(outcome, shard)

    def flush_releases(self) -> int:
        """Retry the lease releases that failed (see :class:`service.lease.PendingReleases`)."""
        return self.pending.flush()

    @property
    def unreleased(self) -> list[str]:
        """Run ids whose lease release is still pending (for tests and introspection)."""
        return self.pending.run_ids

    def close(self) -> None:
        """Shutdown: one last attempt at pending releases, then stop the retry thread."""
        self.pending.close()

    # -- internals --------------------------------------------------------------------------------
    def _release(self, lease: leases.Lease, ctx: RunContext) -> None:
        renewed = ctx.last_renewed or lease.acquired_at
        self.pending.release(lease, max(lease.expires_at, renewed + timedelta(seconds=self.ttl)))

    def _renewer(self, lease: leases.Lease) -> Callable[[], bool]:
        return lambda: leases.renew(self.engine, lease, self.clock(), self.ttl)

    def _run_leased(
        self, route: str, run_fn: Callable[..., Any], lease: leases.Lease, now: datetime, trigger: str
    ) -> RunOutcome:
        run_id = lease.run_id
        ctx = RunContext(
            route=route,
            run_id=run_id,
            trigger=trigger,
            lease=lease,
            _renew=self._renewer(lease),
            clock=self.clock,
            min_interval=timedelta(seconds=min(self.ttl / 10.0, 30.0)),
            last_renewed=now,
            stopping=self.stopping,
        )
        hb = Heartbeat(ctx, max(self.ttl / 3.0, 0.5))
        token = CURRENT_RUN.set(ctx)
        gauge = self.metrics.running.labels(route=route)
        gauge.inc()
        started = time.perf_counter()
        log_event(log, logging.INFO, "run started", route=route, run_id=run_id, trigger=trigger)
        error: BaseException | None = None
        body: dict[str, Any] = {}
        result: JobResult | None = None
        session = self.session_factory()
        hb.start()
        try:
            result = run_fn(session, self.settings, now)
            if ctx.lost.is_set():
                raise LeaseLost(f"the run lease of {route} was lost during the run", job=route, run_id=run_id)
            session.commit()
            if not isinstance(result, JobResult):
                raise TypeError(f"{route}.run returned {type(result).__name__}, expected a JobResult")
            body = result.model_dump(mode="json", by_alias=True)
        except BaseException as exc:  # noqa: BLE001 - every failure is mapped; KeyboardInterrupt re-raised below
            error = exc
            try:
                session.rollback()
            except Exception:  # noqa: BLE001 - the connection may be gone; release still happens
                pass
        finally:
            session.close()
            hb.stopped.set()
            hb.join(timeout=5)
            CURRENT_RUN.reset(token)
            gauge.dec()
            self._release(lease, ctx)
        duration = time.perf_counter() - started

        if error is not None:
            if isinstance(error, KeyboardInterrupt | SystemExit):
                raise error
            if connection_lost(error):
                # the database went away mid-run: 503 like a failed lease, no host/port in the body
                log_event(
                    log,
                    logging.ERROR,
                    "database connection lost during the run",
                    route=route,
                    run_id=run_id,
                    error=error_detail(error),
                )
                error = DatabaseUnavailable(
                    f"the run stopped: {db_unavailable_detail(error)}", job=route, run_id=run_id
                )
            outcome = "lease_lost" if isinstance(error, LeaseLost) else "error"
            if isinstance(error, DatabaseUnavailable):
                outcome = "database_unavailable"
            detail = error.detail if isinstance(error, ServiceError) else error_detail(error)
            self._audit(route, run_id, trigger, outcome, duration, {}, 0, detail, now)
            self.metrics.observe_run(route, outcome, duration_s=duration)
            log_event(
                log,
                logging.ERROR,
                "run failed",
                route=route,
                run_id=run_id,
                trigger=trigger,
                outcome=outcome,
                duration_ms=round(duration * 1000, 1),
                error=detail,
            )
            if isinstance(error, ServiceError):
                raise error
            raise JobFailed(detail, job=route, run_id=run_id)

        assert result is not None
        if ctx.stop_seen and "stopped" not in body:
            body["stopped"] = True  # the job saw the shutdown and returned early: say so
        counts = result_counts(body)
        rows = result.rows_affected
        self._audit(
            route, run_id, trigger, "success", duration, counts, rows, None, now, stopped=ctx.stop_seen
        )
        self.metrics.observe_run(route, "success", duration_s=duration, rows=rows, finished_at=time.time())
        log_event(
            log,
            logging.INFO,
            "run finished",
            route=route,
            run_id=run_id,
            trigger=trigger,
            outcome="success",
            stopped=ctx.stop_seen,
            duration_ms=round(duration * 1000, 1),
            rows_affected=rows,
            counts=counts,
        )
        return RunOutcome(route, 200, body, "success", run_id=run_id, duration_s=duration)

    def _audit(
        self,
        route: str,
        run_id: str,
        trigger: str,
        outcome: str,
        duration: float,
        counts: dict[str, int],
        rows: int,
        error: str | None,
        started_at: datetime,
        stopped: bool = False,
    ) -> None:
        changes: dict[str, Any] = {
            "outcome": outcome,
            "trigger": trigger,
            "run_id": run_id,
            "started_at": started_at.isoformat(),
            "duration_ms": round(duration * 1000, 1),
            "rows_affected": rows,
            "counts": counts,
        }
        if error is not None:
            changes["error"] = error
        if stopped:
            changes["stopped"] = True  # stopped early at a batch boundary (shutdown)
        try:
            with self.session_factory() as s, s.begin():
                s.add(
                    AuditLog(
                        tenant_id=None,
                        action=f"cron.{route}",
                        entity_type="cron_job",
                        entity_id=route,
                        entity_name=route,
                        changes=changes,
                        user_id="system:cron",
                        user_name="cron",
                        request_id=run_id,
                        created_at=self.clock(),
                    )
                )
        except Exception as exc:  # noqa: BLE001 - never turn a finished run into a failure over its audit row
            log_event(
                log,
                logging.ERROR,
                "audit row not written",
                route=route,
                run_id=run_id,
                error=error_detail(exc),
            )
