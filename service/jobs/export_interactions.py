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

Record encoding. The database builds the lines; Python only joins them as bytes, fetched in
chunks of ``FETCH_CHUNK`` rows into one buffer per batch (no per-row dict, datetime or parsed JSON).
PostgreSQL with psycopg 3 builds the whole line (:func:`_pg_line_sql`: string concatenation of
``to_json`` pieces, read through psycopg's binary cursor). SQLite builds the line around the float,
which orjson prints (SQLite cannot print a double shortest-exact); a batch holding a row SQLite's
expression does not handle (a timestamp not in SQLAlchemy's stored form, a ``context`` that is not
strict JSON) is encoded by the reference path instead: rows through SQLAlchemy, records through
orjson (:func:`encode_rows`), which also serves any other driver. All produce the same records: the
same keys in the same order, strings and nulls alike, ``conversionValue`` a JSON float (``12.0``,
never ``12``; NaN/infinity as ``null``), ``context`` the stored JSON object, timestamps in UTC as
``2026-06-13T12:00:00Z`` or, with a fraction, ``2026-06-13T12:00:00.120000Z`` (orjson's
``OPT_UTC_Z`` form). Only the spelling may differ, never a value or a type: whitespace inside
``context`` (PostgreSQL's ``jsonb`` text form) and large or tiny floats (``1e+15`` for
``1000000000000000.0``).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import orjson
from pydantic import Field, model_serializer
from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    TypeDecorator,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.orm import Session

from service import shards
from service.config import Settings
from service.errors import error_text as _err
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

_T = cast(Table, InteractionHistory.__table__)  # a mapped class's __table__ is typed FromClause
_COLUMNS = (
    ("id", _T.c.id),
    ("tenantId", _T.c.tenant_id),
    ("customerId", _T.c.customer_id),
    ("offerId", _T.c.offer_id),
    ("creativeId", _T.c.creative_id),
    ("channelId", _T.c.channel_id),
    ("interactionType", _T.c.interaction_type),
    ("outcomeTypeKey", _T.c.outcome_type_key),
    ("direction", _T.c.direction),
    ("conversionValue", _T.c.conversion_value),
    ("context", _T.c.context),
    ("occurredAt", _T.c.occurred_at),
    ("createdAt", _T.c.created_at),
)
_NAMES = tuple(name for name, _ in _COLUMNS)
_ORJSON_OPTS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC
# PostgreSQL path: rows per fetchmany while the lines are joined into the batch's bytes
FETCH_CHUNK = 2_000


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


def encode_rows(rows: Sequence[Any]) -> bytes:
    """NDJSON: one JSON object per line, camelCase keys, UTC timestamps with ``Z``."""
    dumps = orjson.dumps
    return b"".join(dumps(dict(zip(_NAMES, row, strict=True)), option=_ORJSON_OPTS) for row in rows)


def _pg_value_sql(column: Any) -> str:
    """SQL text of one record value as JSON text, exactly as :func:`encode_rows` writes it (orjson)."""
    c = column.name
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, Integer):
        return f"COALESCE({c}::text, 'null')"
    if isinstance(kind, String):
        return f"COALESCE(to_json({c})::text, 'null')"
    if isinstance(kind, Float):
        # orjson: always a float literal (12.0, not 12); NaN and infinities become null. PostgreSQL
        # prints float8 in the shortest exact form, integral values below 1e15 without a fraction.
        return (
            f"CASE WHEN {c} IS NULL OR {c} IN ('NaN', 'Infinity', '-Infinity') THEN 'null' "
            f"WHEN {c} = trunc({c}) AND abs({c}) < 1e15 THEN {c}::text || '.0' ELSE {c}::text END"
        )
    if isinstance(kind, JSON):
        # jsonb's text form has no raw line breaks (a plain json column would keep its input's)
        return f"COALESCE({c}::jsonb::text, 'null')"
    if isinstance(kind, DateTime):
        # orjson OPT_UTC_Z: 2026-06-13T12:00:00Z, or 2026-06-13T12:00:00.120000Z with a fraction
        return (
            f"""COALESCE('"' || replace(to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), """
            f"""'.000000Z', 'Z') || '"', 'null')"""
        )
    raise TypeError(f"export-interactions: no JSON encoding for column {c} ({column.type})")


def _pg_line_sql() -> str:
    """One NDJSON record per row, built by PostgreSQL: ``{"id":1,"tenantId":"t1",...}``."""
    pieces = [
        f"""'{"{" if i == 0 else ","}"{name}":' || {_pg_value_sql(col)}"""
        for i, (name, col) in enumerate(_COLUMNS)
    ]
    return " || ".join(pieces) + " || '}'"


_PG_SELECT = (
    f"SELECT {_pg_line_sql()}, created_at, id FROM {_T.name} "
    "WHERE tenant_id = %s AND (created_at, id) > (%s::timestamptz, %s::bigint) AND created_at <= %s::timestamptz"
)
_PG_UPPER = " AND (created_at, id) <= (%s::timestamptz, %s::bigint)"
_PG_ORDER = " ORDER BY created_at, id LIMIT %s"


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
class _Batch:
    rows: int
    data: bytes
    first: tuple[datetime, int] | None  # keyset of the first and last row (None when empty)
    last: tuple[datetime, int] | None


def _batch_query(
    tenant_id: str,
    start: tuple[datetime, int],
    settled: datetime,
    end: tuple[datetime, int] | None,
    *columns: Any,
) -> Any:
    query = (
        select(*columns)
        .where(
            _T.c.tenant_id == tenant_id,
            tuple_(_T.c.created_at, _T.c.id) > tuple_(*_bind(start)),
            _T.c.created_at <= settled,
        )
        .order_by(_T.c.created_at, _T.c.id)
        .limit(BATCH_SIZE)
    )
    if end is not None:
        query = query.where(tuple_(_T.c.created_at, _T.c.id) <= tuple_(*_bind(end)))
    return query


def _read_batch(
    session: Session,
    tenant_id: str,
    start: tuple[datetime, int],
    settled: datetime,
    end: tuple[datetime, int] | None,
) -> _Batch:
    """The next rows after ``start`` (and up to ``end`` when given), encoded as NDJSON bytes."""
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        return _read_batch_pg(session, tenant_id, start, settled, end)
    if dialect.name == "sqlite":
        batch = _read_batch_sqlite(session, tenant_id, start, settled, end)
        if batch is not None:
            return batch
    return _read_batch_orm(session, tenant_id, start, settled, end)


def _read_batch_orm(
    session: Session,
    tenant_id: str,
    start: tuple[datetime, int],
    settled: datetime,
    end: tuple[datetime, int] | None,
) -> _Batch:
    """The reference encoding: rows through SQLAlchemy's types, records through orjson."""
    rows = session.execute(_batch_query(tenant_id, start, settled, end, *(col for _, col in _COLUMNS))).all()
    if not rows:
        return _Batch(0, b"", None, None)
    return _Batch(
        len(rows), encode_rows(rows), (rows[0].created_at, rows[0].id), (rows[-1].created_at, rows[-1].id)
    )


def _sqlite_value_sql(column: Any) -> str:
    """SQLite: one record value as JSON text (floats excluded: SQLite cannot print them shortest-exact)."""
    c = column.name
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, Integer):
        return f"COALESCE(CAST({c} AS TEXT), 'null')"
    if isinstance(kind, String):
        return f"json_quote({c})"  # SQL NULL -> null
    if isinstance(kind, JSON):
        # NULL when the stored text is not strict JSON (e.g. NaN written by json.dumps): the batch
        # then goes through the reference path
        return f"CASE WHEN {c} IS NULL THEN 'null' WHEN json_valid({c}) THEN json({c}) END"
    if isinstance(kind, DateTime):
        # stored as SQLAlchemy writes it, naive UTC 'YYYY-MM-DD HH:MM:SS.ffffff' -> orjson's form;
        # anything else is NULL and the batch goes through the reference path
        return (
            f"CASE WHEN {c} IS NULL THEN 'null' WHEN length({c}) = 26 "
            f"""THEN '"' || replace(replace({c}, ' ', 'T') || 'Z', '.000000Z', 'Z') || '"' END"""
        )
    raise TypeError(f"export-interactions: no JSON encoding for column {c} ({column.type})")


def _sqlite_line_parts() -> tuple[str, str, str]:
    """(SQL of the line before the float, the float column, SQL of the line after it)."""
    floats = [i for i, (_, col) in enumerate(_COLUMNS) if isinstance(col.type, Float)]
    if len(floats) != 1:
        raise TypeError("export-interactions: the SQLite path expects exactly one float column")
    k = floats[0]
    pieces = [
        f"""'{"{" if i == 0 else ","}"{name}":'""" + ("" if i == k else f" || {_sqlite_value_sql(col)}")
        for i, (name, col) in enumerate(_COLUMNS)
    ]
    return " || ".join(pieces[: k + 1]), _COLUMNS[k][1].name, " || ".join(pieces[k + 1 :]) + " || '}'"


_SQLITE_HEAD, _SQLITE_FLOAT, _SQLITE_TAIL = _sqlite_line_parts()


def _read_batch_sqlite(
    session: Session,
    tenant_id: str,
    start: tuple[datetime, int],
    settled: datetime,
    end: tuple[datetime, int] | None,
) -> _Batch | None:
    """SQLite builds each line around the float, which orjson prints (exactly as :func:`encode_rows`
    does); None when a row is not in the shape this path handles (the caller falls back)."""
    query = _batch_query(
        tenant_id,
        start,
        settled,
        end,
        literal_column(_SQLITE_HEAD),
        _T.c[_SQLITE_FLOAT],
        literal_column(_SQLITE_TAIL),
    )
    result = session.execute(query)
    dumps = orjson.dumps
    parts: list[bytes] = []
    first = last = None
    count = 0
    while chunk := result.fetchmany(FETCH_CHUNK):
        if first is None:
            first = chunk[0]
        last = chunk[-1]
        count += len(chunk)
        try:
            text = "\n".join([h + ("null" if v is None else dumps(v).decode()) + t for h, v, t in chunk])
        except TypeError:  # a NULL piece: a value this path does not handle
            result.close()
            return None
        parts.append(text.encode())
        parts.append(b"\n")
    if first is None or last is None:
        return _Batch(0, b"", None, None)
    return _Batch(count, b"".join(parts), _line_key(first), _line_key(last))


def _line_key(row: Any) -> tuple[datetime, int]:
    """The keyset of a row, read back from its own record (createdAt is exact to the microsecond)."""
    rec = orjson.loads(row[0] + "null" + row[2])
    return datetime.fromisoformat(rec["createdAt"]), rec["id"]


def _read_batch_pg(
    session: Session,
    tenant_id: str,
    start: tuple[datetime, int],
    settled: datetime,
    end: tuple[datetime, int] | None,
) -> _Batch:
    """PostgreSQL builds every line; they are joined chunk by chunk, no per-row object is kept."""
    sql = _PG_SELECT
    params: list[Any] = [tenant_id, start[0], start[1], settled]
    if end is not None:
        sql += _PG_UPPER
        params += [end[0], end[1]]
    sql += _PG_ORDER
    params.append(BATCH_SIZE)
    # the driver's own cursor (binary protocol: the lines arrive as UTF-8, keys as native values), on
    # the session's connection and transaction; SQLAlchemy's row layer would only add per-row cost
    driver: Any = session.connection().connection.driver_connection  # psycopg's own connection
    cursor = driver.cursor(binary=True)
    parts: list[bytes] = []
    first = last = None
    count = 0
    try:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(FETCH_CHUNK):
            if first is None:
                first = (chunk[0][1], chunk[0][2])
            last = (chunk[-1][1], chunk[-1][2])
            count += len(chunk)
            parts.append("\n".join([row[0] for row in chunk]).encode())
            parts.append(b"\n")
    finally:
        cursor.close()
    return _Batch(count, b"".join(parts), first, last)


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
            batch = _read_batch(session, tenant_id, position, settled, pending_end)
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


def _record(session: Session, tenant_id: str, name: str, batch: _Batch, now: datetime) -> None:
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


def _bind(key: tuple[datetime, int]) -> tuple[Any, Any]:
    from sqlalchemy import literal

    return literal(key[0], _T.c.created_at.type), literal(key[1], _T.c.id.type)


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
