"""The database readiness check behind ``/readyz``: single-flight, with a deadline per caller."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import Future

from sqlalchemy import Engine, text

from service.jsonlog import get_logger, log_event
from service.runcontext import error_detail

log = get_logger("kaireon.readyz")


class ReadinessProbe:
    """``SELECT 1`` on the database, single-flight, with a deadline per caller.

    At most one check runs at a time, on its own daemon thread (never the request thread pool), and
    every probe that arrives meanwhile shares it. A caller waits at most ``timeout`` seconds from the
    moment that check started; after that it gets "timeout" at once. So a hung database (processes
    stopped: connections open but silent) costs one thread and one connection, however many probes
    arrive, and every probe answers within its deadline.
    """

    def __init__(self, engine: Engine, timeout: float) -> None:
        self.engine = engine
        self.timeout = timeout
        self._lock = threading.Lock()
        self._inflight: Future[None] | None = None
        self._started = 0.0

    def _check(self, fut: Future[None]) -> None:
        if not fut.set_running_or_notify_cancel():  # pragma: no cover - never cancelled
            return
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except BaseException as exc:  # noqa: BLE001 - reported to every waiting probe
            log_event(log, logging.WARNING, "readiness check failed", error=error_detail(exc))
            fut.set_exception(exc)
        else:
            fut.set_result(None)

    def _current(self) -> tuple[Future[None], float]:
        with self._lock:
            if self._inflight is None or self._inflight.done():
                self._inflight = Future()
                self._started = time.monotonic()
                threading.Thread(
                    target=self._check, args=(self._inflight,), name="readyz-check", daemon=True
                ).start()
            return self._inflight, self._started

    async def check(self) -> str | None:
        """None when the database answered; else the failure's exception type, or ``"Timeout"``."""
        fut, started = self._current()
        remaining = started + self.timeout - time.monotonic()
        if not fut.done():
            if remaining <= 0:
                return "Timeout"
            try:
                await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(fut)), remaining)
            except TimeoutError:
                return "Timeout"
            except Exception:  # noqa: BLE001 - read below
                pass
        exc = fut.exception()
        return None if exc is None else type(exc).__name__
