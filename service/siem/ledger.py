"""siem-ship's durable position per back end: which audit rows are owed to the SIEM.

The cursor is an **audit id**, not a timestamp: a row written late with an old ``created_at`` (dsar-purge
stamps its rows with the run's start) still gets a new id, so it is after the cursor. Ids are
assigned at insert but become visible at commit, so a row can appear *below* the cursor after the
cursor passed it (PostgreSQL; SQLite has one writer at a time, so its ids appear in order). Every
id the cursor passes without seeing its row is kept as **pending** (``siem_pending``, as ranges),
re-read on every run and shipped as soon as its row appears; rows the SIEM did not acknowledge are
kept the same way. A pending range with no row in it is given up (a rolled-back insert) only when

* it is older than ``SIEM_SETTLE_SECONDS`` and, on PostgreSQL, every transaction that was open when
  it was recorded has ended: ``pg_snapshot_xmin(pg_current_snapshot())`` has reached the
  ``pg_snapshot_xmax`` recorded with it, so no transaction that could still commit that id remains; or
* it is older than ``SIEM_GAP_MAX_SECONDS`` (a transaction left open that long, e.g. idle in
  transaction, is presumed dead; the one case that can still lose a row, logged).

So the cursor only moves past rows that were acknowledged, dead-lettered or are tracked, and a run
costs: one index range read after the cursor, one join of the (few) pending ranges.

First use: the cursor starts at ``now - 300 s``: rows with ``id <= floor_id`` (the highest id then)
and ``created_at <= floor_at`` (``now - 300 s``) predate it and are never shipped by it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, delete, func, not_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from service.db import rowcount
from service.errors import LeaseLost
from service.models.audit import AuditLog, SiemCursor, SiemDeadLetter, SiemPending

log = logging.getLogger("service.siem")
ROUTE = "siem-ship"


@dataclass(frozen=True)
class Position:
    backend: str
    high_id: int
    floor_id: int
    floor_at: datetime


def _position(c: SiemCursor) -> Position:
    return Position(c.backend, c.high_id, c.floor_id, c.floor_at)


def cursor(session: Session, backend: str, now: datetime, window_seconds: int) -> Position:
    """The back end's cursor; created on first use at ``now - window_seconds`` (committed)."""
    row = session.get(SiemCursor, backend)
    if row is None:
        floor_at = now - timedelta(seconds=window_seconds)
        max_id = session.scalar(select(func.max(AuditLog.id))) or 0
        first = session.scalar(select(func.min(AuditLog.id)).where(AuditLog.created_at > floor_at))
        high = first - 1 if first is not None else max_id
        row = SiemCursor(
            backend=backend, high_id=high, floor_id=max_id, floor_at=floor_at, created_at=now, updated_at=now
        )
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # another run created it first
            session.rollback()
            row = session.get(SiemCursor, backend)
            assert row is not None
    pos = _position(row)
    session.commit()
    return pos


def _owed(pos: Position) -> ColumnElement[bool]:
    """Rows the cursor ships (not those that predate it)."""
    return not_(and_(AuditLog.id <= pos.floor_id, AuditLog.created_at <= pos.floor_at))


def new_rows(session: Session, pos: Position, limit: int) -> list[AuditLog]:
    """The next ``limit`` rows after the cursor, by id (visible ones; predating rows included)."""
    return list(
        session.scalars(select(AuditLog).where(AuditLog.id > pos.high_id).order_by(AuditLog.id).limit(limit))
    )


def predates(row: AuditLog, pos: Position) -> bool:
    return row.id <= pos.floor_id and row.created_at <= pos.floor_at


def _pending_join(backend: str, *cols: Any) -> Select[Any]:
    """Audit rows inside the back end's pending ranges, driven from the (few) ranges: one primary-key
    range scan of ``audit_log`` per range. No ORDER BY ... LIMIT here: with one, PostgreSQL prefers to
    walk the whole ``audit_log`` primary key and probe the ranges (seconds on a large table)."""
    return (
        select(*cols)
        .select_from(SiemPending)
        .join(AuditLog, and_(AuditLog.id >= SiemPending.lo, AuditLog.id <= SiemPending.hi))
        .where(SiemPending.backend == backend)
    )


def pending_rows(session: Session, pos: Position, limit: int) -> list[AuditLog]:
    """Rows that appeared (late commits) or were not acknowledged, inside pending ranges: the ``limit``
    lowest ids."""
    ids = sorted(session.scalars(_pending_join(pos.backend, AuditLog.id)))[:limit]
    if not ids:
        return []
    return list(session.scalars(select(AuditLog).where(AuditLog.id.in_(ids)).order_by(AuditLog.id)))


def fence_xid(session: Session) -> int | None:
    """PostgreSQL: the next transaction id not yet assigned (None on SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return int(session.execute(text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")).scalar_one())


def _oldest_running_xid(session: Session) -> int | None:
    if session.get_bind().dialect.name != "postgresql":
        return None
    return int(session.execute(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")).scalar_one())


def _intervals(ids: Iterable[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for i in sorted(set(ids)):
        if out and out[-1][1] == i - 1:
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out


def _holes(lo_exclusive: int, hi: int, present: set[int]) -> list[tuple[int, int]]:
    """Maximal id intervals in ``(lo_exclusive, hi]`` holding no id of ``present``."""
    out: list[tuple[int, int]] = []
    start = lo_exclusive + 1
    for i in sorted(present):
        if i > start:
            out.append((start, i - 1))
        start = max(start, i + 1)
    if start <= hi:
        out.append((start, hi))
    return out


def _merge(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(a + b):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


@dataclass
class Dead:
    audit_id: int
    created_at: datetime
    size: int
    reason: str


def _bury(session: Session, backend: str, dead: Sequence[Dead], now: datetime) -> None:
    for d in dead:
        if (
            session.scalar(
                select(SiemDeadLetter.id).where(
                    SiemDeadLetter.backend == backend, SiemDeadLetter.audit_id == d.audit_id
                )
            )
            is None
        ):
            session.add(
                SiemDeadLetter(
                    backend=backend,
                    audit_id=d.audit_id,
                    audit_created_at=d.created_at,
                    size_bytes=d.size,
                    reason=d.reason[:2000],
                    dead_at=now,
                )
            )


def advance(
    session: Session,
    pos: Position,
    rows: Sequence[AuditLog],
    failed: set[int],
    dead: Sequence[Dead],
    now: datetime,
    fence: int | None,
) -> Position:
    """After shipping ``rows`` (read by :func:`new_rows`): the cursor moves to the last row read; ids
    in between without a row, and ``failed`` rows, become pending; dead letters are written. One
    transaction. Nothing moves when no row was settled (the SIEM took nothing)."""
    new_high = rows[-1].id
    owed = _merge(_holes(pos.high_id, new_high, {r.id for r in rows}), _intervals(failed))
    for lo, hi in owed:
        session.add(SiemPending(backend=pos.backend, lo=lo, hi=hi, first_seen_at=now, fence_xid=fence))
    _bury(session, pos.backend, dead, now)
    moved = rowcount(
        session.execute(
            update(SiemCursor)
            .where(SiemCursor.backend == pos.backend, SiemCursor.high_id == pos.high_id)
            .values(high_id=new_high, updated_at=now)
        )
    )
    if moved != 1:
        session.rollback()
        raise LeaseLost(
            f"the {pos.backend} SIEM cursor was moved by another run; stopping this one", job=ROUTE
        )
    session.commit()
    return Position(pos.backend, new_high, pos.floor_id, pos.floor_at)


def settle_pending(
    session: Session, backend: str, resolved: set[int], dead: Sequence[Dead], now: datetime
) -> None:
    """Remove ``resolved`` ids (acknowledged, dead or predating) from the pending ranges (one transaction)."""
    if resolved:
        ranges = session.scalars(
            select(SiemPending).where(
                SiemPending.backend == backend,
                SiemPending.lo <= max(resolved),
                SiemPending.hi >= min(resolved),
            )
        ).all()
        for r in ranges:
            inside = {i for i in resolved if r.lo <= i <= r.hi}
            if not inside:
                continue
            pieces = _holes(r.lo - 1, r.hi, inside)
            first_seen, fence = r.first_seen_at, r.fence_xid
            session.delete(r)
            session.flush()
            for lo, hi in pieces:
                session.add(
                    SiemPending(backend=backend, lo=lo, hi=hi, first_seen_at=first_seen, fence_xid=fence)
                )
    _bury(session, backend, dead, now)
    session.commit()


def expire(
    session: Session, backend: str, now: datetime, settle_s: float, max_s: float, limit: int = 1000
) -> int:
    """Give up pending ranges that hold no row and can no longer get one (see the module doc)."""
    session.commit()  # a fresh transaction: this session holds no transaction id of its own
    horizon = _oldest_running_xid(session)
    settled = now - timedelta(seconds=settle_s)
    too_old = now - timedelta(seconds=max_s)
    candidates = session.scalars(
        select(SiemPending)
        .where(SiemPending.backend == backend, SiemPending.first_seen_at <= settled)
        .order_by(SiemPending.lo)
        .limit(limit)
    ).all()
    gone = 0
    for r in candidates:
        fenced = horizon is None or r.fence_xid is None or horizon >= r.fence_xid
        if not fenced and r.first_seen_at > too_old:
            continue
        if (
            session.scalar(select(AuditLog.id).where(AuditLog.id >= r.lo, AuditLog.id <= r.hi).limit(1))
            is not None
        ):
            continue  # a row is there (not acknowledged yet): it is owed, never given up
        if not fenced:
            log.warning(
                "siem-ship: %s: audit ids %d-%d given up after %.0f s although a transaction older than "
                "them is still open",
                backend,
                r.lo,
                r.hi,
                max_s,
            )
        session.execute(delete(SiemPending).where(SiemPending.backend == backend, SiemPending.lo == r.lo))
        gone += 1
    session.commit()
    return gone


def backlog(session: Session, pos: Position) -> tuple[int, datetime | None]:
    """(rows owed to the SIEM, the oldest one's created_at): after the cursor plus inside pending ranges."""
    n1, t1 = session.execute(
        select(func.count(), func.min(AuditLog.created_at)).where(AuditLog.id > pos.high_id, _owed(pos))
    ).one()
    n2, t2 = session.execute(
        _pending_join(pos.backend, func.count(), func.min(AuditLog.created_at)).where(_owed(pos))
    ).one()
    oldest = min((t for t in (t1, t2) if t is not None), default=None)
    session.commit()
    return int(n1 or 0) + int(n2 or 0), oldest
