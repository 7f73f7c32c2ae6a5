"""Crash- and concurrency-safe deletion of attachment blobs: a blob goes only when no row references it.

dsar-purge deletes attachment rows in two steps, so that no blob is ever deleted while a row that
is not being deleted still references it (another tenant's row, a legal-hold row, a fresh row of the
same tenant), and a crash (``kill -9``) at any moment leaves neither an orphan blob nor a row whose
blob is gone:

1. :func:`delete_rows_and_queue` — in **one transaction**: delete a batch of expired rows and insert
   the canonical keys of their blobs (:func:`service.storage_keys.clean_key`) into ``blob_deletions``.
   A crash before the commit changes nothing; after it, the rows are gone and their blobs are
   durably queued.
2. :func:`drain` — per chunk of queued keys, in one transaction that holds them (PostgreSQL:
   ``SELECT … FOR UPDATE SKIP LOCKED``, so two replicas never work on the same key; SQLite:
   ``BEGIN IMMEDIATE``, the database's single writer lock): re-check every table with a
   ``storage_key`` column (:func:`reference_columns`) for a row referencing the key, under any
   spelling that names the same object; a referenced key is dequeued and its blob **kept**; the rest
   are deleted through the store, then dequeued (an already missing blob counts as done). A failed
   delete stays queued with its error and is retried by the next run; a crash after the delete but
   before the commit leaves the key queued, and the next run finds it missing and dequeues it.

Writers that add a row referencing a key that may already exist (content-addressed blobs shared by
rows) follow one rule: call :func:`claim_key` in the row's transaction, commit, then write the blob.
``claim_key`` removes a queued deletion of that key and waits for a drain that holds it, so either
the drain sees the committed row and keeps the blob, or the blob is written after the drain deleted
it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from service.models import Base
from service.models.attachments import AiAttachment, BlobDeletion
from service.models.base import utcnow
from service.storage_keys import StorageError, clean_key

REFERENCE_COLUMN = "storage_key"  # every column of this name holds a key of the attachment store
_IN_CHUNK = 500  # keys per IN (...) list
DRAIN_CHUNK = 500  # queued keys per drain transaction (at most one S3 DeleteObjects request)

# outcome of one queued key, reported to drain()'s callback
DELETED, MISSING, KEPT, FAILED = "deleted", "missing", "kept", "failed"


def reference_columns() -> list[Column[Any]]:
    """Every ``storage_key`` column of the data model (derived, so a new table is covered)."""
    return [t.c[REFERENCE_COLUMN] for t in Base.metadata.sorted_tables if REFERENCE_COLUMN in t.c]


def claim_key(session: Session, key: str) -> None:
    """For a writer adding a row that references ``key``: cancel a queued deletion of its blob (in the
    writer's transaction; commit, then write the blob). Waits while a drain holds the key."""
    session.execute(delete(BlobDeletion).where(BlobDeletion.blob_key == clean_key(key)))


def delete_rows_and_queue(session: Session, ids: Sequence[int], tenant_id: str, cutoff: datetime) -> int:
    """Delete the attachment rows ``ids`` (still of ``tenant_id`` and older than ``cutoff``) and queue
    their blobs, in one committed transaction; the number of rows deleted. Every id's key must have
    passed :func:`service.storage_keys.clean_key` (the caller checks)."""
    if not ids:
        return 0
    dialect = session.get_bind().dialect.name
    try:
        if dialect == "sqlite":
            session.execute(text("BEGIN IMMEDIATE"))
        stmt = (
            delete(AiAttachment)
            .where(
                AiAttachment.id.in_(bindparam("ids", expanding=True)),
                AiAttachment.tenant_id == tenant_id,
                AiAttachment.created_at < cutoff,
            )
            .returning(AiAttachment.storage_key)
            .execution_options(synchronize_session=False)
        )
        gone = list(session.execute(stmt, {"ids": list(ids)}).scalars())
        keys = sorted({clean_key(k) for k in gone})
        if keys:
            _insert_ignore(
                session,
                [
                    {"blob_key": k, "tenant_id": tenant_id, "attempts": 0, "created_at": utcnow()}
                    for k in keys
                ],
            )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return len(gone)


def _insert_ignore(session: Session, rows: list[dict[str, Any]]) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(pg_insert(BlobDeletion).on_conflict_do_nothing(index_elements=["blob_key"]), rows)
    elif dialect == "sqlite":
        session.execute(sqlite_insert(BlobDeletion).on_conflict_do_nothing(index_elements=["blob_key"]), rows)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        have = set(
            session.scalars(
                select(BlobDeletion.blob_key).where(BlobDeletion.blob_key.in_([r["blob_key"] for r in rows]))
            )
        )
        new = [r for r in rows if r["blob_key"] not in have]
        if new:
            session.execute(insert(BlobDeletion), new)


def referenced(session: Session, keys: Iterable[str]) -> set[str]:
    """The canonical ``keys`` that some row still references, under any spelling of the key."""
    return set(_references(session, keys, with_rows=False))


def referenced_by(session: Session, keys: Iterable[str]) -> dict[str, set[tuple[str, Any]]]:
    """For each canonical key that some row references: the rows, as ``(table, primary key)``."""
    return _references(session, keys, with_rows=True)


def _references(session: Session, keys: Iterable[str], *, with_rows: bool) -> dict[str, set[tuple[str, Any]]]:
    """Exact matches use the ``storage_key`` index; a stored key that is not in canonical form (it holds
    a backslash, an empty, ``.`` or ``..`` segment, a leading or trailing ``/``) can only be matched
    after normalising it, so those rows — a superset, found with ``LIKE`` — are normalised here."""
    wanted = set(keys)
    found: dict[str, set[tuple[str, Any]]] = {}
    if not wanted:
        return found
    ordered = sorted(wanted)
    for col in reference_columns():
        table = col.table
        pk = list(table.primary_key.columns)[0]
        cols = (col, pk) if with_rows else (col,)

        def add(rows: Any, *, exact: bool, name: str = table.name) -> None:
            for r in rows:
                if exact:
                    canon = r[0]
                else:
                    try:
                        canon = clean_key(r[0])
                    except StorageError:
                        continue  # a refused key names no object of the store
                    if canon not in wanted:
                        continue
                found.setdefault(canon, set())
                if with_rows:
                    found[canon].add((name, r[1]))

        for i in range(0, len(ordered), _IN_CHUNK):
            q = select(*cols).where(col.in_(ordered[i : i + _IN_CHUNK]))
            add(session.execute(q if with_rows else q.distinct()).all(), exact=True)
        odd = or_(
            col.contains("\\", autoescape=True),
            col.contains("//", autoescape=True),
            col.contains("..", autoescape=True),
            col.contains("/./", autoescape=True),
            col.startswith("./", autoescape=True),
            col.startswith("/", autoescape=True),
            col.endswith("/", autoescape=True),
            col.endswith("/.", autoescape=True),
        )
        q = select(*cols).where(odd)
        add(session.execute(q if with_rows else q.distinct()).all(), exact=False)
    return found


Report = Callable[[str | None, str, str, str | None], None]  # (tenant_id, key, outcome, reason)


def drain(session: Session, store: Any, report: Report, *, between: Callable[[], None] | None = None) -> None:
    """Work through the whole queue once (see the module doc); ``report`` gets every key's outcome.

    ``between()`` runs before each chunk (lease heartbeat, shutdown check: it may raise to stop)."""
    after = ""
    dialect = session.get_bind().dialect.name
    while True:
        if between is not None:
            between()
        try:
            if dialect == "sqlite":
                session.execute(text("BEGIN IMMEDIATE"))
            q = (
                select(BlobDeletion.blob_key, BlobDeletion.tenant_id)
                .where(BlobDeletion.blob_key > after)
                .order_by(BlobDeletion.blob_key)
                .limit(DRAIN_CHUNK)
            )
            if dialect == "postgresql":
                q = q.with_for_update(skip_locked=True)
            rows = session.execute(q).all()
            if not rows:
                session.commit()
                return
            after = rows[-1].blob_key
            owner = {r.blob_key: r.tenant_id for r in rows}
            keep = referenced(session, owner)
            result = store.delete_many(sorted(set(owner) - keep))
            done = sorted(keep | set(result.deleted) | set(result.missing))
            for i in range(0, len(done), _IN_CHUNK):
                session.execute(
                    delete(BlobDeletion).where(BlobDeletion.blob_key.in_(done[i : i + _IN_CHUNK]))
                )
            for key, reason in result.failed.items():
                session.execute(
                    update(BlobDeletion)
                    .where(BlobDeletion.blob_key == key)
                    .values(attempts=BlobDeletion.attempts + 1, last_error=reason[:2000])
                )
            session.commit()
        except BaseException:
            session.rollback()
            raise
        for key in sorted(keep):
            report(owner[key], key, KEPT, None)
        for key in result.deleted:
            report(owner[key], key, DELETED, None)
        for key in result.missing:
            report(owner[key], key, MISSING, None)
        for key, reason in sorted(result.failed.items()):
            report(owner[key], key, FAILED, reason)
        if len(rows) < DRAIN_CHUNK:
            return


def pending_count(session: Session) -> int:
    """Queued blob deletions (0 after a complete run; a failed delete stays until it succeeds)."""
    n = session.scalar(select(func.count()).select_from(BlobDeletion)) or 0
    session.commit()
    return int(n)
