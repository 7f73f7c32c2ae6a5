"""/api/v1/cron/export-interactions — Hive-partitioned NDJSON export of interaction history.

Production note (the seed's "honest limit", lifted): files go to ``EXPORT_STORAGE_URL`` — a local
directory (default: the working directory, which is lost with the pod), ``s3://bucket/prefix`` or
``gs://bucket/prefix``. Use an object store in production.

Per active tenant, up to ``EXPORT_MAX_BATCHES_PER_RUN`` batches (default 1, the seed's behaviour):

1. read the tenant's checkpoint, a keyset position ``(last_created_at, last_id)``, created at the
   Unix epoch on first use;
2. take the next ``BATCH_SIZE`` rows ordered by ``(created_at, id)`` strictly after it — rows that
   share a timestamp at a batch edge are neither skipped nor repeated — and at least
   ``SETTLE_SECONDS`` (60 s) old, so rows of transactions still in flight are not overtaken;
3. record the batch's object name and keyset end in the checkpoint (``pending_*``) and the object in
   ``export_objects`` (key, row count, oldest and newest ``created_at``: what retention purges read,
   :mod:`service.jobs._export_purge`), and commit;
4. write the rows as NDJSON (one object per line) in one atomic write
   (local: temp file + fsync + rename; S3/GCS: a single PUT);
5. advance the checkpoint to the batch end and clear ``pending_*``.

A crash between 3 and 5 leaves ``pending_*`` set: the next run re-reads exactly the same keyset range
and rewrites the *same* object, so nothing is exported twice; a crash inside 4 leaves no visible
partial file. With more than one batch per call, the write of batch k (4) runs on a worker thread
while batch k+1 is read (2); 5 for batch k and 3 for batch k+1 are then committed together, after
k's write has finished — the order of the steps per batch is unchanged.

Object names: ``exports/{tenantId}/interaction_history/year=YYYY/month=MM/day=DD/batch-{ts}.json``.
``{ts}`` and the partition date are derived from the batch's *first row* (its ``created_at`` in UTC,
formatted like the seed: ``2026-03-30T02-00-00-000Z``) followed by ``-{firstRowId}``, so the name is a
pure function of the data (idempotent re-runs) and two batches can never collide even when many rows
share a millisecond. A batch can run past midnight: its rows stay in the file of the day it started;
consumers that need exact days filter on the record's ``createdAt``.

``{tenantId}`` is exactly one path segment, verbatim: a tenant id that is empty, ``.`` or ``..``,
holds ``/``, ``\\``, NUL or a control character, or is longer than 255 UTF-8 bytes is refused for
that tenant (its entry's ``error`` names it, escaped; its rows stay, the other tenants proceed), so a
tenant can never write into another tenant's directory or outside ``exports/``. The store confines
every key to its root on top of that (no ``..``, no symbolic link followed). Before each write, the
stale temporary files of an interrupted write in the object's directory are removed
(:meth:`service.storage_local.LocalStore.remove_stale_temps`).

The records, and how each database builds them: :mod:`service.jobs._export_batch`.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field, model_serializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from service import shards
from service.config import Settings
from service.errors import error_text as _err
from service.jobs._export_batch import Batch, Window, read_batch
from service.jobs._result import ApiModel, JobResult
from service.models.decisioning import InteractionHistory
from service.models.exports import ExportCheckpoint, ExportObject
from service.models.tenants import Tenant
from service.runcontext import heartbeat, should_stop
from service.storage import Store, export_store, segment_problem, show

ROUTE = "export-interactions"
BATCH_SIZE = 10_000
# Rows younger than this are left for the next run: a transaction that began earlier may still
# commit a row with an older created_at, which a keyset that had already moved past it would miss.
SETTLE_SECONDS = 60
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
log = logging.getLogger(__name__)


class TenantExport(ApiModel):
    tenant_id: str
    tenant_name: str
    exported: int = 0
    file_path: str | None = None
    error: str | None = None

    @model_serializer(mode="wrap")
    def _omit_empty_error(self, handler: Any) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("error") is None:
            data.pop("error", None)
        return data


class ExportResult(JobResult):
    ok: bool = True  # false when any tenant failed (the route still answers 200)
    total_exported: int = 0
    tenants: list[TenantExport] = Field(default_factory=list)

    @property
    def rows_affected(self) -> int:
        return self.total_exported


def format_ts(dt: datetime) -> str:
    """``2026-03-30T02:00:00.123Z`` -> ``2026-03-30T02-00-00-123Z`` (the seed's file-name form)."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H-%M-%S-") + f"{dt.microsecond // 1000:03d}Z"


class TenantIdRefused(ValueError):
    """A tenant id that cannot be one path segment of an export key (the tenant is not exported)."""


def check_tenant_segment(tenant_id: str) -> None:
    """``TenantIdRefused`` naming the tenant (escaped) when its id cannot be one path segment."""
    problem = segment_problem(tenant_id)
    if problem:
        raise TenantIdRefused(
            f"tenant id {show(tenant_id)} cannot be one path segment of an export key: {problem}; "
            "nothing was exported for it (rename the tenant)"
        )


def object_name(tenant_id: str, first_created_at: datetime, first_id: int) -> str:
    check_tenant_segment(tenant_id)
    d = first_created_at.astimezone(UTC)
    return (
        f"exports/{tenant_id}/interaction_history/"
        f"year={d.year:04d}/month={d.month:02d}/day={d.day:02d}/"
        f"batch-{format_ts(d)}-{first_id}.json"
    )


def run(session: Session, settings: Settings, now: datetime) -> ExportResult:
    result = ExportResult()
    tenants = shards.mine(  # a sharded run: only its shard's tenants
        session.execute(
            select(Tenant.id, Tenant.name).where(Tenant.active.is_(True)).order_by(Tenant.id)
        ).all(),
        lambda row: str(row[0]),
    )
    session.commit()
    store: Store | None = None
    store_error: str | None = None
    try:
        store = export_store(settings)
    except Exception as exc:  # noqa: BLE001 - every tenant reports it; the route still answers
        store_error = _err(exc)

    # one worker thread writes batch k while batch k+1 is read (see _export_tenant)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-write") as writer:
        for tenant_id, tenant_name in tenants:
            heartbeat()  # outside the per-tenant error capture: a lost lease stops the whole run
            if should_stop():
                break  # shutdown: the runner adds "stopped": true; the next run continues
            entry = TenantExport(tenant_id=tenant_id, tenant_name=tenant_name)
            try:
                if store is None:
                    raise RuntimeError(f"export store unavailable: {store_error}")
                check_tenant_segment(tenant_id)
                _export_tenant(
                    session, store, writer, tenant_id, now, settings.export_max_batches_per_run, entry
                )
            except Exception as exc:  # noqa: BLE001 - this tenant fails, the others continue
                session.rollback()
                entry.error = str(exc) if isinstance(exc, TenantIdRefused) else _err(exc)
                log.warning("export-interactions: tenant %s failed: %s", show(tenant_id), entry.error)
                _mark_failed(session, tenant_id, entry.error, now)
            result.total_exported += entry.exported
            result.tenants.append(entry)
    result.ok = not any(t.error for t in result.tenants)
    return result


def _checkpoint(session: Session, tenant_id: str, now: datetime) -> ExportCheckpoint:
    cp = session.get(ExportCheckpoint, tenant_id)
    if cp is None:
        cp = ExportCheckpoint(
            tenant_id=tenant_id, last_created_at=EPOCH, last_id=0, status="ok", updated_at=now
        )
        session.add(cp)
        session.commit()
    return cp


@dataclass
class _Write:
    """A batch whose object is being written; the checkpoint moves past it once the write is done."""

    future: Future[None] | None  # None: nothing to write (a pending batch whose rows are gone)
    rows: int
    name: str
    end_key: tuple[datetime, int]


def _export_tenant(
    session: Session,
    store: Store,
    writer: ThreadPoolExecutor,
    tenant_id: str,
    now: datetime,
    max_batches: int,
    entry: TenantExport,
) -> None:
    """Up to ``max_batches`` batches of one tenant, in keyset order.

    Per batch: read it; record its object name and keyset end as ``pending_*`` and commit; write the
    object; then advance the checkpoint past it and clear ``pending_*``. The write of batch k runs on
    the ``writer`` thread while batch k+1 is read, and "advance past k" is committed together with
    "k+1 is pending" — only after k's write has finished, so the checkpoint never passes an object
    that is not written, and the recorded object is always durable before its write starts.
    """
    cp = _checkpoint(session, tenant_id, now)
    settled = now - timedelta(seconds=SETTLE_SECONDS)
    position = (cp.last_created_at, cp.last_id)
    in_flight: _Write | None = None
    try:
        for i in range(max_batches):
            pending_end = None
            if (
                i == 0
                and cp.pending_object is not None
                and cp.pending_last_created_at is not None
                and cp.pending_last_id is not None
            ):
                # a previous run recorded this batch and may have written it: redo exactly the same range
                pending_end = (cp.pending_last_created_at, cp.pending_last_id)
            batch = read_batch(session, Window(tenant_id, position, settled, pending_end, BATCH_SIZE))
            advanced, in_flight = in_flight, None
            if advanced is not None:
                _advance(cp, advanced, now)
            if pending_end is not None:
                name = cp.pending_object
                assert name is not None
                # The object is rewritten whole, so it holds exactly these rows; advance to the last of
                # them (a row committed late inside the range may push others past the batch limit:
                # they simply go to the next batch, never lost and never twice).
                end_key = batch.last if batch.last is not None else pending_end
            elif batch.first is None or batch.last is None:
                session.commit()  # the previous batch's advance, if any
                _count(entry, advanced)
                return
            else:
                name = object_name(tenant_id, batch.first[0], batch.first[1])
                end_key = batch.last
                cp.pending_object = name
                cp.pending_last_created_at, cp.pending_last_id = end_key
                cp.updated_at = now
            if batch.first is not None and batch.last is not None:
                _record(
                    session, tenant_id, name, batch, now
                )  # with pending_*: never a written, unrecorded object
            session.commit()  # the intended object is durable before it is written
            _count(entry, advanced)
            future = writer.submit(_write, store, name, batch.data) if batch.rows else None
            in_flight = _Write(future, batch.rows, name, end_key)
            del batch
            if in_flight.rows < BATCH_SIZE or should_stop():
                break  # done, or shutdown: the batch in flight is still finished and checkpointed below
            position = end_key
        if in_flight is not None:
            advanced, in_flight = in_flight, None
            _advance(cp, advanced, now)
            session.commit()
            _count(entry, advanced)
    finally:
        if in_flight is not None and in_flight.future is not None:
            wait([in_flight.future])  # this tenant failed: no write may still be running afterwards


def _record(session: Session, tenant_id: str, name: str, batch: Batch, now: datetime) -> None:
    """Record (or, for a re-run pending batch, correct) the object in ``export_objects`` (uncommitted):
    committed together with ``pending_*``, before the write, so retention purges know every object."""
    assert batch.first is not None and batch.last is not None
    session.merge(
        ExportObject(
            object_key=name,
            tenant_id=tenant_id,
            row_count=batch.rows,
            oldest_created_at=batch.first[0],
            newest_created_at=batch.last[0],
            updated_at=now,
        )
    )


def _write(store: Store, name: str, data: bytes) -> None:
    """Write one object; first remove stale temporary files a crashed write left in its directory
    (the batch a crash interrupted is the pending one, rewritten into the same directory)."""
    folder = name.rsplit("/", 1)[0]
    try:
        removed = store.remove_stale_temps(folder)
    except Exception as exc:  # noqa: BLE001 - a failed sweep never blocks the export
        log.warning(
            "export-interactions: cannot sweep stale temporary files in %s: %s", show(folder), _err(exc)
        )
    else:
        if removed:
            log.info(
                "export-interactions: removed %d stale temporary file(s) of an interrupted write in %s",
                len(removed),
                show(folder),
            )
    store.put(name, data)


def _advance(cp: ExportCheckpoint, done: _Write, now: datetime) -> None:
    """Wait for a batch's write (its error is the tenant's), then move the checkpoint past it (uncommitted)."""
    if done.future is not None:
        done.future.result()
    cp.last_created_at, cp.last_id = done.end_key
    cp.pending_object = None
    cp.pending_last_created_at = None
    cp.pending_last_id = None
    cp.status = "ok"
    cp.last_error = None
    cp.total_exported = (cp.total_exported or 0) + done.rows
    cp.updated_at = now


def _count(entry: TenantExport, done: _Write | None) -> None:
    """Report a batch once the checkpoint past it is committed."""
    if done is not None and done.rows:
        entry.exported += done.rows
        entry.file_path = done.name


def _mark_failed(session: Session, tenant_id: str, error: str, now: datetime) -> None:
    try:
        cp = session.get(ExportCheckpoint, tenant_id)
        if cp is None:
            cp = ExportCheckpoint(tenant_id=tenant_id, last_created_at=EPOCH, last_id=0)
            session.add(cp)
        cp.status = "failed"
        cp.last_error = error[:2000]
        cp.updated_at = now
        session.commit()
    except Exception as exc:  # noqa: BLE001 - the database itself is failing; nothing more to record
        session.rollback()
        log.warning(
            "export-interactions: tenant %s: cannot mark checkpoint failed: %s", show(tenant_id), _err(exc)
        )


# --------------------------------------------------------------------------------------------------
# Demo data
# --------------------------------------------------------------------------------------------------
_TYPES = ("impression", "impression", "impression", "click", "dismiss", "convert", "accept")


def demo(session: Session, tenants: Sequence[Tenant], now: datetime, rng: random.Random) -> None:
    """Interaction history over the last ~400 days (some expired for dsar-purge), a few sharing a
    timestamp so the keyset edge matters."""
    for tenant in list(tenants)[:3]:
        shared = now - timedelta(hours=3)
        for i in range(240):
            created = shared if i % 40 == 0 else now - timedelta(minutes=rng.randint(1, 400 * 24 * 60))
            itype = _TYPES[rng.randrange(len(_TYPES))]
            session.add(
                InteractionHistory(
                    tenant_id=tenant.id,
                    customer_id=f"cust-{rng.randint(1, 500)}",
                    offer_id=f"offer-{rng.randint(1, 12)}",
                    channel_id=rng.choice(("web", "email", "push")),
                    interaction_type=itype,
                    outcome_type_key=itype,
                    conversion_value=round(rng.uniform(5, 250), 2) if itype == "convert" else None,
                    context={"campaign": f"demo-{rng.randint(1, 4)}"},
                    occurred_at=created,
                    created_at=created,
                )
            )
    session.flush()
