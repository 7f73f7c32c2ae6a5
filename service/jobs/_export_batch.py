"""One batch of a tenant's interaction history for export-interactions, read as NDJSON bytes.

The database builds the lines; Python only joins them as bytes, fetched in chunks of
``FETCH_CHUNK`` rows into one buffer per batch (no per-row dict, datetime or parsed JSON).
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

A batch reads one :class:`Window`: the next rows of one tenant ordered by ``(created_at, id)``
strictly after a keyset position, no newer than the settle time, and (a pending batch re-run) up to
a given end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    TypeDecorator,
    literal,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.orm import Session

from service.models.decisioning import InteractionHistory

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
NAMES = tuple(name for name, _ in _COLUMNS)
_ORJSON_OPTS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC
# PostgreSQL path: rows per fetchmany while the lines are joined into the batch's bytes
FETCH_CHUNK = 2_000


def encode_rows(rows: Sequence[Any]) -> bytes:
    """NDJSON: one JSON object per line, camelCase keys, UTC timestamps with ``Z``."""
    dumps = orjson.dumps
    return b"".join(dumps(dict(zip(NAMES, row, strict=True)), option=_ORJSON_OPTS) for row in rows)


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


@dataclass
class Batch:
    rows: int
    data: bytes
    first: tuple[datetime, int] | None  # keyset of the first and last row (None when empty)
    last: tuple[datetime, int] | None


@dataclass(frozen=True)
class Window:
    """Which rows a batch reads: the next ``limit`` of ``tenant_id`` after the keyset ``start``, none
    created after ``settled`` and, when ``end`` is given (a pending batch re-run), none after it."""

    tenant_id: str
    start: tuple[datetime, int]
    settled: datetime
    end: tuple[datetime, int] | None
    limit: int


def _batch_query(window: Window, *columns: Any) -> Any:
    query = (
        select(*columns)
        .where(
            _T.c.tenant_id == window.tenant_id,
            tuple_(_T.c.created_at, _T.c.id) > tuple_(*_bind(window.start)),
            _T.c.created_at <= window.settled,
        )
        .order_by(_T.c.created_at, _T.c.id)
        .limit(window.limit)
    )
    if window.end is not None:
        query = query.where(tuple_(_T.c.created_at, _T.c.id) <= tuple_(*_bind(window.end)))
    return query


def read_batch(
    session: Session,
    window: Window,
) -> Batch:
    """The rows of ``window``, encoded as NDJSON bytes:
    PostgreSQL with psycopg and SQLite build the lines, any other driver (or a SQLite row outside its
    shape) takes the reference path."""
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        return read_batch_pg(session, window)
    if dialect.name == "sqlite":
        batch = read_batch_sqlite(session, window)
        if batch is not None:
            return batch
    return read_batch_orm(session, window)


def read_batch_orm(
    session: Session,
    window: Window,
) -> Batch:
    """The reference encoding: rows through SQLAlchemy's types, records through orjson."""
    rows = session.execute(_batch_query(window, *(col for _, col in _COLUMNS))).all()
    if not rows:
        return Batch(0, b"", None, None)
    return Batch(
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


def read_batch_sqlite(
    session: Session,
    window: Window,
) -> Batch | None:
    """SQLite builds each line around the float, which orjson prints (exactly as :func:`encode_rows`
    does); None when a row is not in the shape this path handles (the caller falls back)."""
    query = _batch_query(
        window,
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
        return Batch(0, b"", None, None)
    return Batch(count, b"".join(parts), _line_key(first), _line_key(last))


def _line_key(row: Any) -> tuple[datetime, int]:
    """The keyset of a row, read back from its own record (createdAt is exact to the microsecond)."""
    rec = orjson.loads(row[0] + "null" + row[2])
    return datetime.fromisoformat(rec["createdAt"]), rec["id"]


def read_batch_pg(
    session: Session,
    window: Window,
) -> Batch:
    """PostgreSQL builds every line; they are joined chunk by chunk, no per-row object is kept."""
    sql = _PG_SELECT
    params: list[Any] = [window.tenant_id, *window.start, window.settled]
    if window.end is not None:
        sql += _PG_UPPER
        params += [*window.end]
    sql += _PG_ORDER
    params.append(window.limit)
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
    return Batch(count, b"".join(parts), first, last)


def _bind(key: tuple[datetime, int]) -> tuple[Any, Any]:
    return literal(key[0], _T.c.created_at.type), literal(key[1], _T.c.id.type)
