"""The context of a running job: lease renewal (heartbeat), stop checks and error details.

Job modules call :func:`heartbeat` and :func:`should_stop` between batches; :class:`service.runner.Runner`
sets :data:`CURRENT_RUN` around each run and starts the background :class:`Heartbeat`.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from service import lease as leases
from service.errors import LeaseLost
from service.jsonlog import get_logger, log_event, redact
from service.stopflag import StopFlag

log = get_logger("kaireon.runner")

MAX_DETAIL = 1000


def error_detail(exc: BaseException) -> str:
    """``"<Type>: <first line of the message>"``, secrets scrubbed, bounded length."""
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
    text = redact(text)
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


@dataclass
class RunContext:
    """What a running job can reach through :func:`current_run` / :func:`heartbeat`."""

    route: str
    run_id: str
    trigger: str
    lease: leases.Lease
    _renew: Callable[[], bool]
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    min_interval: timedelta = timedelta(seconds=0)
    lost: threading.Event = field(default_factory=threading.Event)
    last_renewed: datetime | None = None
    stopping: StopFlag | threading.Event | None = None
    #: set once :func:`should_stop` answered true to the job: it stopped early
    stop_seen: bool = False

    def renew_now(self) -> bool:
        """One renewal; False (and ``lost`` set) when the lease has been taken over."""
        ok = self._renew()
        if ok:
            self.last_renewed = self.clock()
        else:
            self.lost.set()
        return ok

    def heartbeat(self) -> None:
        """Renew the lease (at most once per ``min_interval``); raise LeaseLost if it was taken over.

        Cheap to call after every batch. A renewal that fails for a transient reason (database busy)
        is logged and left to the background renewer; only a lease that is provably lost stops the run.
        """
        if not self.lost.is_set():
            now = self.clock()
            if self.last_renewed is not None and now - self.last_renewed < self.min_interval:
                return
            try:
                if self.renew_now():
                    return
            except Exception as exc:  # noqa: BLE001 - transient: the background renewer retries
                log_event(
                    log,
                    logging.WARNING,
                    "lease renewal failed",
                    route=self.route,
                    run_id=self.run_id,
                    error=error_detail(exc),
                )
                return
        raise LeaseLost(
            f"the run lease of {self.route} expired and was taken over; stopping this run",
            job=self.route,
            run_id=self.run_id,
        )


CURRENT_RUN: contextvars.ContextVar[RunContext | None] = contextvars.ContextVar("kaireon_run", default=None)


def current_run() -> RunContext | None:
    """The run the calling code is part of (None outside a runner-managed run)."""
    return CURRENT_RUN.get()


def heartbeat() -> None:
    """For jobs: call between batches. Renews the run lease; no-op outside a runner-managed run."""
    ctx = CURRENT_RUN.get()
    if ctx is not None:
        ctx.heartbeat()


def should_stop() -> bool:
    """For jobs: True once the service is shutting down (SIGTERM). Long jobs check it between
    batches and return what they have done so far, leaving a consistent checkpoint, before the pod's
    grace period runs out. Always False outside a runner-managed run."""
    ctx = CURRENT_RUN.get()
    if ctx is None or ctx.stopping is None or not ctx.stopping.is_set():
        return False
    ctx.stop_seen = True
    return True


class Heartbeat(threading.Thread):
    def __init__(self, ctx: RunContext, interval: float) -> None:
        super().__init__(name=f"lease-heartbeat-{ctx.route}", daemon=True)
        self.ctx, self.interval, self.stopped = ctx, interval, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                if not self.ctx.renew_now():
                    log_event(
                        log, logging.ERROR, "run lease lost", route=self.ctx.route, run_id=self.ctx.run_id
                    )
                    return
            except Exception as exc:  # noqa: BLE001 - a failed renewal is retried next interval
                log_event(
                    log,
                    logging.WARNING,
                    "lease renewal failed",
                    route=self.ctx.route,
                    run_id=self.ctx.run_id,
                    error=error_detail(exc),
                )
