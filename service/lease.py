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
  slot another trigger already ran).

Time comes from the caller (the service clock), so tests can inject it. Replicas must have roughly
synchronised clocks (NTP); a skew only shortens or lengthens a crashed holder's expiry.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from service.models import JobLease

_table = JobLease.__table__


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


def _upsert(dialect: str):  # type: ignore[no-untyped-def]
    if dialect == "postgresql":
        return postgresql.insert(_table)
    if dialect == "sqlite":
        return sqlite.insert(_table)
    raise NotImplementedError(f"run leases support sqlite and postgresql, not {dialect}")


def try_acquire(engine: Engine, job: str, run_id: str, now: datetime, ttl_seconds: float,
                owner: str | None = None) -> Lease | None:
    """Take the lease of ``job`` for ``run_id`` or return None when another live holder has it."""
    owner = owner or default_owner()
    expires = now + timedelta(seconds=ttl_seconds)
    values = {"job": job, "owner": owner, "run_id": run_id, "acquired_at": now, "renewed_at": now,
              "expires_at": expires}
    stmt = _upsert(engine.dialect.name).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_table.c.job],
        set_={k: stmt.excluded[k] for k in ("owner", "run_id", "acquired_at", "renewed_at", "expires_at")},
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
