"""/api/v1/cron/outbox-reaper (``*/2 * * * *``) — stuck outbox rows back to pending, or dead-lettered.

* **Stuck**: ``status = 'processing'`` and ``processing_started_at`` older than
  ``OUTBOX_STUCK_AFTER_SECONDS`` (default 300; exactly at the threshold is not yet stuck). The
  stuck attempt counts as one attempt: ``attempts + 1``. Below ``OUTBOX_MAX_ATTEMPTS`` (default 10)
  the row goes back to ``pending`` with ``locked_by`` and ``processing_started_at`` cleared;
  reaching the maximum moves it to ``outbox_dead_letters``.
* **Exhausted**: a ``pending`` or ``failed`` row whose ``attempts`` already reached the maximum
  (the publisher gave up on it) is dead-lettered too.
* A dead-letter move is one transaction: insert into ``outbox_dead_letters`` (skipped when a row
  with that ``original_id`` is already there — the unique key makes the move idempotent) and delete
  the outbox row.
* **Live publishers are never touched**: on PostgreSQL rows are claimed with
  ``SELECT ... FOR UPDATE SKIP LOCKED``, so a row a publisher holds locked is skipped (its lock also
  means it is not stuck, just slow). Every write repeats the stuck/exhausted predicate, so on SQLite
  (one writer, no row locks) a row that changed between read and write is left alone as well.

Rows are handled per tenant (``tenant_id`` may be null for system events), in batches of 500 each
its own transaction, walking ids upwards so skipped rows are not read twice. One tenant's failure
is reported in ``errors``; the others continue.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from service.config import Settings
from service.db import rowcount
from service.jobs._result import JobResult
from service.jobs._tenant_loop import TenantError, for_each_tenant
from service.models.outbox import OutboxDeadLetter, OutboxEvent

ROUTE = "outbox-reaper"
BATCH = 500


class OutboxReaperResult(JobResult):
    ok: bool = True
    reset: int = 0
    dead_lettered: int = 0
    errors: list[TenantError] = Field(default_factory=list)

    @property
    def rows_affected(self) -> int:
        return self.reset + self.dead_lettered


def _predicates(settings: Settings, now: datetime) -> tuple[Any, Any]:
    cutoff = now - timedelta(seconds=settings.outbox_stuck_after_seconds)
    stuck = and_(OutboxEvent.status == "processing", OutboxEvent.processing_started_at < cutoff)
    exhausted = and_(
        OutboxEvent.status.in_(("pending", "failed")), OutboxEvent.attempts >= settings.outbox_max_attempts
    )
    return stuck, exhausted


def _tenant_filter(tenant_id: str | None) -> Any:
    return OutboxEvent.tenant_id.is_(None) if tenant_id is None else OutboxEvent.tenant_id == tenant_id


def _reap_tenant(
    session: Session, tenant_id: str | None, settings: Settings, now: datetime
) -> tuple[int, int]:
    stuck, exhausted = _predicates(settings, now)
    max_attempts = settings.outbox_max_attempts
    reset = dead = 0
    last_id = 0
    while True:
        rows = session.scalars(
            select(OutboxEvent)
            .where(_tenant_filter(tenant_id), or_(stuck, exhausted), OutboxEvent.id > last_id)
            .order_by(OutboxEvent.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            session.commit()
            return reset, dead
        last_id = rows[-1].id
        to_reset: list[int] = []
        to_dead: list[OutboxEvent] = []
        for row in rows:
            is_stuck = row.status == "processing"
            attempts = row.attempts + 1 if is_stuck else row.attempts
            if attempts >= max_attempts:
                to_dead.append(row)
            else:
                to_reset.append(row.id)
        if to_reset:
            reset += rowcount(
                session.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.id.in_(to_reset), stuck)
                    .values(
                        status="pending",
                        attempts=OutboxEvent.attempts + 1,
                        locked_by=None,
                        processing_started_at=None,
                    )
                    .execution_options(synchronize_session=False)
                )
            )
        if to_dead:
            dead += _dead_letter(session, to_dead, stuck, exhausted, settings, now)
        session.commit()
        session.expunge_all()


def _dead_letter(
    session: Session, rows: list[OutboxEvent], stuck: Any, exhausted: Any, settings: Settings, now: datetime
) -> int:
    ids = [r.id for r in rows]
    already = set(
        session.scalars(select(OutboxDeadLetter.original_id).where(OutboxDeadLetter.original_id.in_(ids)))
    )
    # delete first (guarded): only rows that are still stuck/exhausted are moved
    deleted = set(
        session.scalars(
            delete(OutboxEvent)
            .where(OutboxEvent.id.in_(ids), or_(stuck, exhausted))
            .returning(OutboxEvent.id)
            .execution_options(synchronize_session=False)
        )
    )
    for row in rows:
        if row.id not in deleted or row.id in already:
            continue
        was_stuck = row.status == "processing"
        attempts = row.attempts + 1 if was_stuck else row.attempts
        reason = (
            f"stuck in processing for more than {settings.outbox_stuck_after_seconds}s "
            f"(locked_by={row.locked_by!r}); attempt {attempts} of {settings.outbox_max_attempts}"
            if was_stuck
            else f"attempts exhausted ({attempts} of {settings.outbox_max_attempts})"
        )
        session.add(
            OutboxDeadLetter(
                original_id=row.id,
                tenant_id=row.tenant_id,
                topic=row.topic,
                event_type=row.event_type,
                payload=row.payload,
                attempts=attempts,
                last_error=f"{row.last_error}; {reason}" if row.last_error else reason,
                original_created_at=row.created_at,
                failed_at=now,
            )
        )
    session.flush()
    return len(deleted)


def run(session: Session, settings: Settings, now: datetime) -> OutboxReaperResult:
    stuck, exhausted = _predicates(settings, now)
    tenants = list(session.scalars(select(OutboxEvent.tenant_id).where(or_(stuck, exhausted)).distinct()))
    tenants.sort(key=lambda t: (t is not None, t or ""))
    session.commit()
    done, errors = for_each_tenant(
        session, tenants, lambda tid: _reap_tenant(session, tid, settings, now), job=ROUTE
    )
    return OutboxReaperResult(
        ok=not errors,
        reset=sum(r for r, _ in done.values()),
        dead_lettered=sum(d for _, d in done.values()),
        errors=errors,
    )


def demo(session: Session, tenants: Sequence[Any], now: datetime, rng: random.Random) -> None:
    """Rows stuck in processing (some one attempt short of the max), and healthy rows left alone."""
    defaults = Settings.model_fields
    max_attempts = defaults["outbox_max_attempts"].default
    stuck_after = defaults["outbox_stuck_after_seconds"].default
    for t in tenants:
        tid = getattr(t, "id", t)
        for i in range(rng.randint(3, 6)):
            started = now - timedelta(seconds=stuck_after + rng.randint(60, 3600))
            session.add(
                OutboxEvent(
                    tenant_id=tid,
                    topic="interactions",
                    event_type="interaction.recorded.v1",
                    payload={"demo": True, "n": i},
                    status="processing",
                    attempts=rng.randint(0, 3),
                    locked_by="publisher-crashed",
                    processing_started_at=started,
                    created_at=started - timedelta(seconds=5),
                )
            )
        for i in range(2):
            started = now - timedelta(seconds=stuck_after + 600)
            session.add(
                OutboxEvent(
                    tenant_id=tid,
                    topic="interactions",
                    event_type="outcome.recorded",
                    payload={"demo": True, "poison": i},
                    status="processing",
                    attempts=max_attempts - 1,
                    locked_by="publisher-crashed",
                    processing_started_at=started,
                    last_error="broker timeout",
                    created_at=now - timedelta(hours=6),
                )
            )
        session.add(
            OutboxEvent(
                tenant_id=tid,
                topic="interactions",
                event_type="interaction.recorded.v1",
                payload={"demo": True, "live": True},
                status="processing",
                attempts=0,
                locked_by="publisher-live",
                processing_started_at=now - timedelta(seconds=10),
                created_at=now - timedelta(seconds=11),
            )
        )
        session.add(
            OutboxEvent(
                tenant_id=tid,
                topic="interactions",
                event_type="interaction.recorded.v1",
                payload={"demo": True},
                status="pending",
                created_at=now,
            )
        )
    session.flush()
