"""In-process scheduler: fires the chart's default schedules through the same runner and lease.

The redundancy the seed describes for ``cron.enabled: false``: with ``IN_PROCESS_SCHEDULER=true``
every replica fires each job of the chart's *default* ``cron.schedules`` (enabled, not suspended,
and registered in :data:`service.jobs.JOB_MODULES`) at the times Kubernetes would, computed by
``kaireon_chart.cron`` (robfig/cron rules, the entry's ``timeZone``). Every firing goes through
:class:`service.runner.Runner`, i.e. the run lease: when the CronJob, another replica or this
scheduler overlap, exactly one runs and the others are ``skipped``. A slot that another trigger has
already started (the lease row's ``acquired_at`` is at or after the slot time) is not fired again.

Schedules come from the bundled chart (``kaireon_chart.chart.load_chart`` + ``resolve_jobs``; the
library ships in the same distribution). A chart that cannot be read is logged as an error and
nothing is scheduled.

Firing is ``SCHEDULER_GRACE_SECONDS`` (15 s) after the slot: the CronJob is the primary trigger and
usually starts the slot first; the scheduler then sees the lease row's ``acquired_at`` and skips,
so a fast job does not run twice for one slot. With ``cron.enabled: false`` the job simply runs
15 s after its time.

Threads: one daemon loop thread sleeps until the next fire time (re-checking the clock at least
every ``max_sleep`` seconds, so clock jumps are noticed); firings run on a small thread pool so a
long job never delays another job's slot, and a job still running in this process is not fired
again. Nothing here runs on the event loop, so request handling is never blocked. Missed slots
(the process was down) are not replayed: the first fire is the next slot after start, as a CronJob
with a short ``startingDeadlineSeconds`` would do.

The clock is injectable and :meth:`InProcessScheduler.run_pending` is public, so tests drive it
deterministically without sleeping.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from kaireon_chart.chart import load_chart
from kaireon_chart.cron import parse_schedule
from kaireon_chart.registry import API_PREFIX
from kaireon_chart.render import resolve_jobs
from service import lease as leases
from service.jobs import JOB_MODULES
from service.jsonlog import get_logger, log_event

log = get_logger("kaireon.scheduler")

V1_PREFIX = API_PREFIX
LEGACY_PATH = "/api/cron/tick"

# The in-process scheduler is the *backup* trigger: it fires a slot this many seconds late, so when
# the CronJob (or another replica) has already started the slot, it sees that and stays quiet.
SCHEDULER_GRACE_SECONDS = 15.0


class NextFire(Protocol):
    def __call__(self, after: datetime) -> datetime | None: ...


@dataclass
class ScheduledJob:
    route: str
    expr: str
    time_zone: str | None
    next_after: NextFire
    source: str = "chart"


def _route_for_path(path: Any) -> str | None:
    if not isinstance(path, str):
        return None
    if path == LEGACY_PATH:
        return "tick"
    if path.startswith(V1_PREFIX):
        return path[len(V1_PREFIX) :].strip("/") or None
    return None


def _parse(expr: str, tz: str | None) -> NextFire:
    schedule = parse_schedule(expr)
    return lambda after: schedule.next_after(after, tz=tz or None)


def chart_schedules() -> tuple[list[tuple[str, str, str | None]], str]:
    """``[(route, expr, timeZone)]`` of the chart's default, enabled, unsuspended entries, and the source."""
    try:
        chart = load_chart()
        values = chart.values
        cron = values.get("cron") or {}
        if cron.get("enabled") is False:
            log_event(log, logging.INFO, "chart default cron.enabled is false; nothing to schedule")
            return [], "chart"
        out = []
        for job in resolve_jobs(values, chart=chart):
            s = job.settings
            route = _route_for_path(s.get("path"))
            if not job.enabled or s.get("suspend") is True or route is None or not s.get("schedule"):
                continue
            out.append((route, str(s["schedule"]), s.get("timeZone") or None))
        return out, "chart"
    except Exception as exc:  # noqa: BLE001 - a damaged install must not stop the service's API
        log_event(
            log,
            logging.ERROR,
            "could not read the bundled chart's schedules; nothing is scheduled",
            error=f"{type(exc).__name__}: {exc}",
        )
    return [], "chart"


def load_scheduled_jobs() -> list[ScheduledJob]:
    parse = _parse
    entries, source = chart_schedules()
    jobs: list[ScheduledJob] = []
    for route, expr, tz in entries:
        if route not in JOB_MODULES:
            log_event(
                log, logging.WARNING, "chart schedule targets a route this service does not have", route=route
            )
            continue
        try:
            jobs.append(ScheduledJob(route, expr, tz, parse(expr, tz), source))
        except Exception as exc:  # noqa: BLE001 - skip one bad entry, keep the rest
            log_event(
                log,
                logging.WARNING,
                "unusable schedule skipped",
                route=route,
                schedule=expr,
                error=f"{type(exc).__name__}: {exc}",
            )
    return jobs


class RunnerLike(Protocol):
    def run(self, route: str, trigger: str = ...) -> Any: ...


class InProcessScheduler:
    def __init__(
        self,
        runner: RunnerLike,
        jobs: list[ScheduledJob],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        last_started: Callable[[str], datetime | None] | None = None,
        max_workers: int = 4,
        max_sleep: float = 30.0,
        grace_seconds: float = 0.0,
    ) -> None:
        self.runner = runner
        self.jobs = {j.route: j for j in jobs}
        self.clock = clock
        self.last_started = last_started
        self.max_sleep = max_sleep
        self.grace = timedelta(seconds=grace_seconds)
        self._next: dict[str, datetime | None] = {}
        self._inflight: dict[str, Future[Any]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="kaireon-sched")
        self.fired: list[tuple[str, datetime]] = []  # (route, slot), for introspection and tests

    # -- schedule arithmetic ----------------------------------------------------------------------
    def prime(self, now: datetime) -> None:
        """Compute each job's first slot strictly after ``now`` (missed slots are not replayed)."""
        with self._lock:
            for route, job in self.jobs.items():
                self._next[route] = job.next_after(now)

    def next_fire(self) -> datetime | None:
        with self._lock:
            times = [t for t in self._next.values() if t is not None]
        return min(times) + self.grace if times else None

    def run_pending(self, now: datetime | None = None, wait: bool = False) -> list[str]:
        """Fire every job whose slot is due at ``now``; returns the routes submitted."""
        now = now or self.clock()
        if not self._next:
            self.prime(now)
        due: list[tuple[str, datetime]] = []
        with self._lock:
            for route, slot in self._next.items():
                if slot is not None and slot + self.grace <= now:
                    due.append((route, slot))
                    self._next[route] = self.jobs[route].next_after(max(now - self.grace, slot))
        submitted = []
        for route, slot in due:
            if self._should_skip(route, slot):
                continue
            fut = self._pool.submit(self._fire, route, slot)
            with self._lock:
                self._inflight[route] = fut
            self.fired.append((route, slot))
            submitted.append(route)
            if wait:
                fut.result()
        return submitted

    def _should_skip(self, route: str, slot: datetime) -> bool:
        with self._lock:
            running = self._inflight.get(route)
        if running is not None and not running.done():
            log_event(
                log,
                logging.INFO,
                "slot skipped: the previous run in this process is still going",
                route=route,
                slot=slot.isoformat(),
            )
            return True
        if self.last_started is not None:
            try:
                started = self.last_started(route)
            except Exception:  # noqa: BLE001 - unknown: fire and let the lease decide
                started = None
            if started is not None and started >= slot:
                log_event(
                    log,
                    logging.INFO,
                    "slot skipped: another trigger already ran it",
                    route=route,
                    slot=slot.isoformat(),
                )
                return True
        return False

    def _fire(self, route: str, slot: datetime) -> None:
        try:
            outcome = self.runner.run(route, trigger="scheduler")
            log_event(
                log,
                logging.INFO,
                "scheduled run done",
                route=route,
                slot=slot.isoformat(),
                outcome=getattr(outcome, "outcome", None),
            )
        except Exception as exc:  # noqa: BLE001 - logged by the runner too; the loop keeps going
            log_event(
                log,
                logging.WARNING,
                "scheduled run did not succeed",
                route=route,
                slot=slot.isoformat(),
                error=getattr(exc, "detail", None) or type(exc).__name__,
                status=getattr(exc, "status_code", None),
            )

    # -- thread -----------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self.prime(self.clock())
        self._thread = threading.Thread(target=self._loop, name="kaireon-scheduler", daemon=True)
        self._thread.start()
        log_event(
            log, logging.INFO, "in-process scheduler started", jobs={r: j.expr for r, j in self.jobs.items()}
        )

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_pending(self.clock())
            except Exception as exc:  # noqa: BLE001 - never let the loop die
                log_event(log, logging.ERROR, "scheduler tick failed", error=f"{type(exc).__name__}: {exc}")
            nxt = self.next_fire()
            delay = self.max_sleep
            if nxt is not None:
                delay = min(max((nxt - self.clock()).total_seconds(), 0.05), self.max_sleep)
            self._stop.wait(delay)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop firing; wait at most ``timeout`` seconds in all for the loop and the running jobs.

        Running jobs see the runner's shutdown flag and stop at their next batch boundary, releasing
        their lease; queued-but-not-started firings are dropped. A job still running after
        ``timeout`` is left to the process exit (its lease then expires after the TTL)."""
        deadline = time.monotonic() + timeout
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None
        with self._lock:
            running = [f for f in self._inflight.values() if not f.done()]
        if running:
            wait(running, timeout=max(deadline - time.monotonic(), 0.0))
        still = sum(1 for f in running if not f.done())
        self._pool.shutdown(wait=False, cancel_futures=True)
        log_event(
            log,
            logging.INFO if not still else logging.WARNING,
            "in-process scheduler stopped",
            jobs_still_running=still,
        )


def build_scheduler(runner: Any, clock: Callable[[], datetime] | None = None) -> InProcessScheduler:
    """The scheduler for an app's runner, with lease-based slot de-duplication."""

    def last_started(route: str) -> datetime | None:
        row = leases.current(runner.engine, route)
        return row.acquired_at if row is not None else None

    return InProcessScheduler(
        runner,
        load_scheduled_jobs(),
        clock=clock or runner.clock,
        last_started=last_started,
        grace_seconds=SCHEDULER_GRACE_SECONDS,
    )
