"""Run leases: at most one holder per job, across processes, replicas and databases.

A lease is one ``job_leases`` row per job: ``(job, owner, run_id, acquired_at, renewed_at,
expires_at)``. Every operation is a single statement in its own short transaction on its own
connection, so it works the same on SQLite, on PostgreSQL and behind PgBouncer in transaction
pooling mode (no session-level advisory locks, nothing pinned to a connection):

* acquire: ``INSERT ... ON CONFLICT (job) DO UPDATE SET owner=..., run_id=..., expires_at=...
  WHERE job_leases.expires_at <= :now RETURNING run_id``. The row comes back only if this caller
  now holds the lease: either no row existed, or the previous holder released it (``expires_at``
  set to the release time) or crashed and its lease ran out. PostgreSQL serialises concurrent
  upserts of one key on the row (the loser re-evaluates the WHERE against the committed row);
  SQLite has a single writer.
* renew: ``UPDATE ... SET expires_at = now + ttl WHERE job=:job AND run_id=:run_id AND
  expires_at > :now`` — fails once the lease has run out (someone may have taken it over).
* release: ``UPDATE ... SET expires_at = :now WHERE job=:job AND run_id=:run_id`` — the row stays, so
  ``acquired_at`` records when the last run started (the in-process scheduler uses it to skip a
  slot another trigger already ran). A release that fails (the database is down) is kept by
  :class:`PendingReleases` and retried until it succeeds or the lease has expired by itself; the
  ``run_id`` match makes a late retry harmless if another run took the lease meanwhile.

Time comes from the caller (the service clock), so tests can inject it. Replicas must have roughly
synchronised clocks (NTP); a skew only shortens or lengthens a crashed holder's expiry.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Engine, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite

from service.jsonlog import get_logger, log_event, redact
from service.models.leases import JobLease

_table = cast(
    Table, JobLease.__table__
)  # a mapped class's __table__ is typed FromClause; this one is a Table
log = get_logger("kaireon.lease")


def _error_text(exc: BaseException) -> str:
    """``"<Type>: <first line>"`` with secrets scrubbed (for log lines)."""
    lines = str(exc).strip().splitlines()
    return redact(f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__)[:1000]


def default_owner() -> str:
    """host:pid — identifies the process holding a lease (for operators; not used for matching)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


@dataclass(frozen=True)
class Lease:
    job: str
    owner: str
    run_id: str
    acquired_at: datetime
    expires_at: datetime


def _upsert(dialect: str) -> postgresql.Insert | sqlite.Insert:
    if dialect == "postgresql":
        return postgresql.insert(_table)
    if dialect == "sqlite":
        return sqlite.insert(_table)
    raise NotImplementedError(f"run leases support sqlite and postgresql, not {dialect}")


def try_acquire(
    engine: Engine, job: str, run_id: str, now: datetime, ttl_seconds: float, owner: str | None = None
) -> Lease | None:
    """Take the lease of ``job`` for ``run_id`` or return None when another live holder has it."""
    owner = owner or default_owner()
    expires = now + timedelta(seconds=ttl_seconds)
    values = {
        "job": job,
        "owner": owner,
        "run_id": run_id,
        "acquired_at": now,
        "renewed_at": now,
        "expires_at": expires,
    }
    upsert = _upsert(engine.dialect.name).values(**values)
    stmt = upsert.on_conflict_do_update(
        index_elements=[_table.c.job],
        set_={k: upsert.excluded[k] for k in ("owner", "run_id", "acquired_at", "renewed_at", "expires_at")},
        where=_table.c.expires_at <= now,
    ).returning(_table.c.run_id)
    with engine.begin() as conn:
        got = conn.execute(stmt).scalar_one_or_none()
    if got != run_id:
        return None
    return Lease(job=job, owner=owner, run_id=run_id, acquired_at=now, expires_at=expires)


def renew(engine: Engine, lease: Lease, now: datetime, ttl_seconds: float) -> bool:
    """Extend a held lease; False when it has run out or belongs to another run."""
    stmt = (
        update(_table)
        .where(_table.c.job == lease.job, _table.c.run_id == lease.run_id, _table.c.expires_at > now)
        .values(renewed_at=now, expires_at=now + timedelta(seconds=ttl_seconds))
    )
    with engine.begin() as conn:
        return conn.execute(stmt).rowcount == 1


def release(engine: Engine, lease: Lease, now: datetime) -> bool:
    """Give the lease up (expires now). Only the run that holds it can release it."""
    stmt = (
        update(_table)
        .where(_table.c.job == lease.job, _table.c.run_id == lease.run_id)
        .values(expires_at=now, renewed_at=now)
    )
    with engine.begin() as conn:
        return conn.execute(stmt).rowcount == 1


def current(engine: Engine, job: str) -> JobLease | None:
    """The lease row of ``job`` (held or not), detached; None if the job never ran."""
    with engine.connect() as conn:
        row = conn.execute(select(_table).where(_table.c.job == job)).mappings().first()
    if row is None:
        return None
    return JobLease(**dict(row))


class PendingReleases:
    """Lease releases that failed, retried by their owner until they succeed or the lease expired.

    :meth:`release` releases at once when it can; when the database refuses, the lease is kept
    (with the latest expiry it may have) and a daemon thread retries with backoff (0.5 s doubling
    to ``max_interval``). :meth:`flush` retries synchronously — the runner calls it before every
    run, so the next trigger after an outage releases the stranded lease before taking it.
    """

    def __init__(self, engine: Engine, clock: Callable[[], datetime], max_interval: float = 10.0) -> None:
        self.engine, self.clock, self.max_interval = engine, clock, max_interval
        self._pending: dict[str, tuple[Lease, datetime]] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def run_ids(self) -> list[str]:
        with self._lock:
            return list(self._pending)

    def release(self, lease: Lease, latest_expiry: datetime) -> None:
        """Release ``lease`` now, or remember it for retries when the database refuses."""
        try:
            release(self.engine, lease, self.clock())
            return
        except Exception as exc:  # noqa: BLE001 - remembered and retried
            log_event(
                log,
                logging.WARNING,
                "lease release failed; retrying until the database answers",
                route=lease.job,
                run_id=lease.run_id,
                error=_error_text(exc),
            )
        with self._lock:
            self._pending[lease.run_id] = (lease, latest_expiry)
            if (self._thread is None or not self._thread.is_alive()) and not self._closed.is_set():
                self._thread = threading.Thread(target=self._loop, name="lease-release-retry", daemon=True)
                self._thread.start()

    def flush(self) -> int:
        """Retry every pending release; return how many remain. Raises the database error of the
        first one that fails again (the rest wait for the next attempt)."""
        with self._lock:
            pending = list(self._pending.items())
        for run_id, (lease, expiry) in pending:
            now = self.clock()
            if now >= expiry:
                outcome = "expired"  # it ran out by itself: nothing left to release
            else:
                release(self.engine, lease, now)
                outcome = "released"
            with self._lock:
                self._pending.pop(run_id, None)
            log_event(
                log, logging.INFO, f"pending lease release done: {outcome}", route=lease.job, run_id=run_id
            )
        with self._lock:
            return len(self._pending)

    def close(self) -> None:
        """One last attempt (shutdown), then stop the retry thread; what is left expires by TTL."""
        try:
            self.flush()
        except Exception as exc:  # noqa: BLE001 - they expire by themselves after the TTL
            log_event(
                log,
                logging.WARNING,
                "pending lease releases dropped at shutdown; they expire after the TTL",
                count=len(self.run_ids),
                error=_error_text(exc),
            )
        self._closed.set()

    def _loop(self) -> None:
        delay = 0.5
        while not self._closed.wait(delay):
            try:
                if self.flush() == 0:
                    return
            except Exception:  # noqa: BLE001 - still down: back off
                delay = min(delay * 2, self.max_interval)
